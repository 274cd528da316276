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
    fuzzy,
    item,
    ledger,
    tolerance,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import Levenshtein
from recon_common.events import Transaction
from recon_matcher.definitions import (
    AmountDateLimits,
    AmountSign,
    Definition,
    ExactPass,
    FuzzyPass,
    Grouping,
    MatchField,
    ReferenceRule,
    Side,
    SideReference,
    TolerancePass,
)
from recon_matcher.engine import Group, MatchResult, match_transactions, signed_amount

PassSpec = ExactPass | TolerancePass | FuzzyPass

INVOICE_PATTERN = r"(?i)^\s*(?:inv[-\s]*)?(.+)$"
REFERENCES = [
    None,
    "NONREF",
    "A-1",
    "a1",
    "0A1",
    "INV-A1",
    "B2",
    "b 2",
    "00B2",
    "C3",
    "ACME1234",
    "ACME1243",
    "acme-1234",
]
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
def fuzzy_passes(draw: st.DrawFn, *, name: str) -> FuzzyPass:
    return fuzzy(
        name=name,
        min_similarity=draw(st.sampled_from(["0.5", "0.75", "0.9", "1"])),
        amount_tolerance=Decimal(draw(st.integers(0, 40))).scaleb(-2),
        date_window_days=draw(st.integers(0, 3)),
        inclusive=draw(st.booleans()),
    )


@st.composite
def grouped_passes(draw: st.DrawFn, *, name: str) -> ExactPass | TolerancePass:
    size = draw(st.integers(2, 4))
    if draw(st.booleans()):
        grouping = draw(st.sampled_from(list(Grouping)[1:]))
        fields = [MatchField.REFERENCE, MatchField.AMOUNT, MatchField.CURRENCY]
        if draw(st.booleans()):
            fields.append(MatchField.ACCOUNT)
        return exact(name=name, grouping=grouping, max_group_size=size, fields=fields)
    grouping = draw(st.sampled_from([Grouping.ONE_TO_MANY, Grouping.MANY_TO_ONE]))
    return tolerance(
        name=name,
        grouping=grouping,
        max_group_size=size,
        max_group_candidates=draw(st.integers(2, 6)),
        amount_tolerance=Decimal(draw(st.integers(0, 20))).scaleb(-2),
        date_window=draw(st.sampled_from([None, {"days_before": 1, "days_after": 2}])),
    )


@st.composite
def definitions(draw: st.DrawFn) -> Definition:
    count = draw(st.integers(min_value=1, max_value=3))
    passes: list[PassSpec] = []
    kinds = [exact_passes, tolerance_passes, fuzzy_passes, grouped_passes]
    for index in range(count):
        strategy = draw(st.sampled_from(kinds))
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


def _within_limits(
    step: AmountDateLimits, a: Transaction, difference: Decimal, days: int
) -> bool:
    """Decide whether an amount difference and a day offset fit `step`'s limits."""
    a_amount = signed_amount(a)
    limit = step.tolerance_for(a.currency)
    if step.amount_tolerance_percent is not None:
        share = abs(a_amount) * step.amount_tolerance_percent / 100
        limit = max(limit, share)
    within = abs(difference) <= limit if step.inclusive else abs(difference) < limit
    window = step.window()
    return within and -window.days_before <= days <= window.days_after


def _similarity(left: str, right: str) -> int:
    longer = max(len(left), len(right))
    return (longer - Levenshtein.distance(left, right)) * 10_000 // longer


def _satisfies(
    spec: Definition, step: PassSpec, a: Transaction, b: Transaction
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
    days = (b.value_date - a.value_date).days
    in_limits = _within_limits(step, a, a_amount - b_amount, days)
    if isinstance(step, FuzzyPass):
        rule = step.reference
        left = _reference(a, rule.side_a, rule)
        right = _reference(b, rule.side_b, rule)
        if left is None or right is None:
            return False
        minimum = step.min_similarity * 10_000
        if _similarity(left, right) < minimum:
            return False
    return same_account and in_limits


def _check_group(
    spec: Definition,
    step: PassSpec,
    group: Group,
    by_id: dict[str, Transaction],
) -> None:
    """Check a group of a grouped pass: sizes, shared keys, sums and dates."""
    a_items = [by_id[a_id] for a_id in group.side_a_ids]
    b_items = [by_id[b_id] for b_id in group.side_b_ids]
    one_a = step.grouping is Grouping.ONE_TO_MANY
    one_b = step.grouping is Grouping.MANY_TO_ONE
    assert len(a_items) == 1 or not one_a, group
    assert len(b_items) == 1 or not one_b, group
    assert len(a_items) <= step.max_group_size
    assert len(b_items) <= step.max_group_size
    assert len(a_items) + len(b_items) >= 3
    signs = -1 if spec.side_b_sign is AmountSign.OPPOSITE else 1
    a_sum = sum(signed_amount(tx) for tx in a_items)
    b_sum = signs * sum(signed_amount(tx) for tx in b_items)
    assert group.amount_difference == a_sum - b_sum
    keys = {_account_key(spec, tx, Side.A) for tx in a_items}
    keys |= {_account_key(spec, tx, Side.B) for tx in b_items}
    currencies = {tx.currency for tx in a_items + b_items}
    assert len(currencies) == 1
    if isinstance(step, ExactPass):
        rule = step.reference
        references = {_reference(tx, rule.side_a, rule) for tx in a_items}
        references |= {_reference(tx, rule.side_b, rule) for tx in b_items}
        assert a_sum == b_sum
        assert len(references) == 1
        assert None not in references
        assert len(keys) == 1 or MatchField.ACCOUNT not in step.fields
        return
    assert isinstance(step, TolerancePass)
    assert len(keys) == 1
    anchor = a_items[0] if one_a else b_items[0]
    members = b_items if one_a else a_items
    for member in members:
        days = (member.value_date - anchor.value_date).days
        offset = days if one_a else -days
        window = step.window()
        assert -window.days_before <= offset <= window.days_after, group
    limit = step.tolerance_for(anchor.currency)
    if step.amount_tolerance_percent is not None:
        limit = max(
            limit, abs(signed_amount(anchor)) * step.amount_tolerance_percent / 100
        )
    assert abs(a_sum - b_sum) <= limit


def _check_result(
    spec: Definition,
    side_a: list[Transaction],
    side_b: list[Transaction],
    result: MatchResult,
) -> None:
    by_id = {tx.transaction_id: tx for tx in side_a + side_b}
    steps = {step.name: step for step in spec.passes}
    records = result.group_records()
    a_ids = [a_id for group in records for a_id in group.side_a_ids]
    b_ids = [b_id for group in records for b_id in group.side_b_ids]
    unmatched_a = result.unmatched_a.get_column("transaction_id").to_list()
    unmatched_b = result.unmatched_b.get_column("transaction_id").to_list()

    assert len(a_ids) == len(set(a_ids))
    assert len(b_ids) == len(set(b_ids))
    assert sorted(a_ids + unmatched_a) == sorted(tx.transaction_id for tx in side_a)
    assert sorted(b_ids + unmatched_b) == sorted(tx.transaction_id for tx in side_b)
    assert set(result.break_reasons()) == set(unmatched_a + unmatched_b)
    for group in records:
        step = steps[group.pass_name]
        assert 0 <= group.score <= 1
        if step.grouping is not Grouping.ONE_TO_ONE:
            _check_group(spec, step, group, by_id)
            continue
        a, b = by_id[group.side_a_ids[0]], by_id[group.side_b_ids[0]]
        a_amount, b_amount = _amounts(spec, a, b)
        assert _satisfies(spec, step, a, b), group
        assert group.amount_difference == a_amount - b_amount
        assert group.days_apart == abs((b.value_date - a.value_date).days)
    # A grouped pass may leave a pair that it could group, because it searches a
    # bounded set of subsets, so only one-to-one passes are checked exhaustively.
    for step in spec.passes:
        if step.grouping is not Grouping.ONE_TO_ONE:
            continue
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
