"""Property tests: random items and pass settings through the whole engine."""

import random
import re
from datetime import date, timedelta
from decimal import Decimal

from engine_factories import (
    LEDGER_ACCOUNT,
    STATEMENT_ACCOUNT,
    definition,
    exact,
    item,
    ledger,
    tolerance,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from recon_common.events import Transaction
from recon_matcher.definitions import (
    AmountSign,
    Definition,
    ExactPass,
    MatchField,
    ReferenceRule,
    Side,
    SideReference,
    TolerancePass,
)
from recon_matcher.engine import MatchResult, match_transactions, signed_amount

INVOICE_PATTERN = r"(?i)^\s*(?:inv[-\s]*)?(.+)$"
REFERENCES = [None, "NONREF", "A-1", "a1", "0A1", "INV-A1", "B2", "b 2", "00B2", "C3"]
FIRST_DAY = date(2024, 5, 1)


@st.composite
def transactions(draw: st.DrawFn, *, side: Side) -> list[Transaction]:
    count = draw(st.integers(min_value=0, max_value=14))
    make = item if side is Side.A else ledger
    own_account = STATEMENT_ACCOUNT if side is Side.A else LEDGER_ACCOUNT
    built: list[Transaction] = []
    for index in range(count):
        currency = draw(st.sampled_from(["EUR", "EUR", "JPY"]))
        minor = draw(st.integers(min_value=-60, max_value=60))
        amount = Decimal(minor) if currency == "JPY" else Decimal(minor).scaleb(-2)
        built.append(
            make(
                f"{side}{index:02d}",
                str(amount),
                currency=currency,
                account=draw(st.sampled_from([own_account, own_account, "OTHER1"])),
                reference=draw(st.sampled_from(REFERENCES)),
                value_date=FIRST_DAY + timedelta(days=draw(st.integers(0, 6))),
            )
        )
    return built


@st.composite
def exact_passes(draw: st.DrawFn, *, name: str) -> ExactPass:
    fields = [MatchField.CURRENCY]
    fields.append(draw(st.sampled_from([MatchField.REFERENCE, MatchField.AMOUNT])))
    optional = [MatchField.REFERENCE, MatchField.AMOUNT, MatchField.ACCOUNT]
    fields += [
        field for field in optional if field not in fields and draw(st.booleans())
    ]
    if draw(st.booleans()):
        fields.append(MatchField.VALUE_DATE)
    pattern = draw(st.sampled_from([None, INVOICE_PATTERN]))
    rule = ReferenceRule(
        side_b=SideReference(pattern=pattern),
        strip_leading_zeros=draw(st.booleans()),
    )
    return exact(name=name, fields=fields, reference=rule)


@st.composite
def tolerance_passes(draw: st.DrawFn, *, name: str) -> TolerancePass:
    euro = Decimal(draw(st.integers(0, 40))).scaleb(-2)
    currency_tolerances = {}
    if draw(st.booleans()):
        currency_tolerances["JPY"] = Decimal(draw(st.integers(0, 40)))
    window = {
        "days_before": draw(st.integers(0, 4)),
        "days_after": draw(st.integers(0, 4)),
    }
    percents = [None, Decimal(0), Decimal("2.5"), Decimal(10), Decimal(50)]
    percent = draw(st.sampled_from(percents))
    if percent is not None and draw(st.booleans()):
        euro = Decimal(0)
        currency_tolerances = {}
    return tolerance(
        name=name,
        amount_tolerance=euro,
        amount_tolerance_percent=percent,
        currency_tolerances=currency_tolerances,
        inclusive=draw(st.booleans()),
        date_window=window,
    )


@st.composite
def definitions(draw: st.DrawFn) -> Definition:
    count = draw(st.integers(min_value=1, max_value=3))
    passes: list[ExactPass | TolerancePass] = []
    for index in range(count):
        strategy = draw(st.sampled_from([exact_passes, tolerance_passes]))
        passes.append(draw(strategy(name=f"pass-{index}")))
    sign = draw(st.sampled_from(list(AmountSign)))
    return definition(*passes, side_b_sign=sign)


def _reference(tx: Transaction, side: SideReference, rule: ReferenceRule) -> str | None:
    for field in side.fields:
        raw = getattr(tx, field.value)
        if raw is not None and side.pattern is not None:
            found = re.search(side.pattern, raw)
            raw = found.group(1) if found else None
        if raw is None:
            continue
        text = re.sub(r"[^A-Z0-9]", "", raw.upper())
        if text in rule.ignore:
            continue
        if rule.strip_leading_zeros:
            text = text.lstrip("0")
        if text:
            return text
    return None


def _account_key(spec: Definition, tx: Transaction, side: Side) -> str:
    account = "".join(tx.account.split()).upper()
    return spec.account_keys(side).get(account, account)


def _amounts(
    spec: Definition, a: Transaction, b: Transaction
) -> tuple[Decimal, Decimal]:
    b_amount = signed_amount(b)
    if spec.side_b_sign is AmountSign.OPPOSITE:
        b_amount = -b_amount
    return signed_amount(a), b_amount


def _satisfies(
    spec: Definition, step: ExactPass | TolerancePass, a: Transaction, b: Transaction
) -> bool:
    """Decide in plain Python whether `a` and `b` meet the constraints of `step`."""
    a_amount, b_amount = _amounts(spec, a, b)
    same_account = _account_key(spec, a, Side.A) == _account_key(spec, b, Side.B)
    if a.currency != b.currency:
        return False
    if isinstance(step, ExactPass):
        rule = step.reference
        checks = {
            MatchField.REFERENCE: _reference(a, rule.side_a, rule) is not None
            and _reference(a, rule.side_a, rule) == _reference(b, rule.side_b, rule),
            MatchField.AMOUNT: a_amount == b_amount,
            MatchField.CURRENCY: True,
            MatchField.ACCOUNT: same_account,
            MatchField.VALUE_DATE: a.value_date == b.value_date,
        }
        return all(checks[field] for field in step.fields)
    limit = step.tolerance_for(a.currency)
    if step.amount_tolerance_percent is not None:
        share = abs(a_amount) * step.amount_tolerance_percent / 100
        limit = max(limit, share)
    difference = abs(a_amount - b_amount)
    within = difference <= limit if step.inclusive else difference < limit
    days = (b.value_date - a.value_date).days
    window = step.window()
    in_window = -window.days_before <= days <= window.days_after
    return same_account and within and in_window


def _check_result(
    spec: Definition,
    side_a: list[Transaction],
    side_b: list[Transaction],
    result: MatchResult,
) -> None:
    by_id = {tx.transaction_id: tx for tx in side_a + side_b}
    steps = {step.name: step for step in spec.passes}
    records = result.group_records()
    a_ids = [group.side_a_ids[0] for group in records]
    b_ids = [group.side_b_ids[0] for group in records]
    unmatched_a = result.unmatched_a.get_column("transaction_id").to_list()
    unmatched_b = result.unmatched_b.get_column("transaction_id").to_list()

    assert len(a_ids) == len(set(a_ids))
    assert len(b_ids) == len(set(b_ids))
    assert sorted(a_ids + unmatched_a) == sorted(tx.transaction_id for tx in side_a)
    assert sorted(b_ids + unmatched_b) == sorted(tx.transaction_id for tx in side_b)
    for group in records:
        a, b = by_id[group.side_a_ids[0]], by_id[group.side_b_ids[0]]
        a_amount, b_amount = _amounts(spec, a, b)
        assert _satisfies(spec, steps[group.pass_name], a, b), group
        assert group.amount_difference == a_amount - b_amount
        assert group.days_apart == abs((b.value_date - a.value_date).days)
        assert 0 <= group.score <= 1
    for step in spec.passes:
        for a_id in unmatched_a:
            for b_id in unmatched_b:
                assert not _satisfies(spec, step, by_id[a_id], by_id[b_id])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    spec=definitions(),
    side_a=transactions(side=Side.A),
    side_b=transactions(side=Side.B),
)
def test_engine_groups_respect_passes(
    spec: Definition, side_a: list[Transaction], side_b: list[Transaction]
) -> None:
    result = match_transactions(spec, side_a, side_b)

    _check_result(spec, side_a, side_b, result)


@settings(max_examples=50, deadline=None)
@given(
    spec=definitions(),
    side_a=transactions(side=Side.A),
    side_b=transactions(side=Side.B),
    seed=st.integers(0, 2**16),
)
def test_engine_ignores_input_order(
    spec: Definition, side_a: list[Transaction], side_b: list[Transaction], seed: int
) -> None:
    shuffled_a, shuffled_b = list(side_a), list(side_b)
    random.Random(seed).shuffle(shuffled_a)  # noqa: S311 - test data
    random.Random(seed + 1).shuffle(shuffled_b)  # noqa: S311 - test data

    first = match_transactions(spec, side_a, side_b)
    second = match_transactions(spec, shuffled_a, shuffled_b)

    assert first.group_records() == second.group_records()


@settings(max_examples=150, deadline=None)
@given(
    step=tolerance_passes(name="tolerance"),
    side_a=transactions(side=Side.A),
    side_b=transactions(side=Side.B),
)
def test_tolerance_pass_alone_respects_limits(
    step: TolerancePass, side_a: list[Transaction], side_b: list[Transaction]
) -> None:
    spec = definition(step)

    result = match_transactions(spec, side_a, side_b)

    _check_result(spec, side_a, side_b, result)
