"""Ledger generator: determinism, truth file, CSV shape and match quality."""

import csv
import io
import json
import random
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from recon_common.events import Direction, RecordKind, Transaction
from recon_matcher.definitions import Definition, parse_definitions
from recon_matcher.engine import GroupStatus, match_transactions, score_against_truth

from recon_platform.ledger_generator import (
    LEDGER_COLUMNS,
    GeneratedLedger,
    GeneratorError,
    GeneratorOptions,
    generate_ledger,
    main,
)

ACCOUNT_MAP = {
    "NL91ABNA0417164300": "100200",
    "DE89370400440532013000": "100300",
    "GB29NWBK60161331926819": "200100",
    "JP00MUFG0001234567": "300100",
}
CURRENCY_BY_ACCOUNT = {
    "NL91ABNA0417164300": "EUR",
    "DE89370400440532013000": "EUR",
    "GB29NWBK60161331926819": "USD",
    "JP00MUFG0001234567": "JPY",
}

TWO_PASS_DEFINITION = """
id: nostro
name: Nostro accounts
bank_id: bank-1
side_a: {record_kind: statement, account_pattern: '.*'}
side_b: {record_kind: ledger, account_pattern: '.*'}
account_pairs:
  - {side_a: NL91ABNA0417164300, side_b: "100200"}
  - {side_a: DE89370400440532013000, side_b: "100300"}
  - {side_a: GB29NWBK60161331926819, side_b: "200100"}
  - {side_a: JP00MUFG0001234567, side_b: "300100"}
passes:
  - name: reference
    kind: exact
    reference:
      side_a: {pattern: '(?i)^\\s*(?:inv[-\\s]*)?(.+)$'}
      side_b: {pattern: '(?i)^\\s*(?:inv[-\\s]*)?(.+)$'}
  - name: amount-and-date
    kind: tolerance
    amount_tolerance: 5.00
    currency_tolerances: {JPY: 10}
    date_window_days: 3
"""


def _reference(rng: random.Random, index: int) -> str | None:
    style = rng.randrange(10)
    if style == 0:
        return "NONREF"
    if style == 1:
        return None
    if style < 5:
        return f"E2E-2024-{index:06d}"
    if style < 8:
        return f"{rng.randrange(10**8):09d}"
    return f"RF{rng.randrange(10, 99)}{index:07d}"


def make_statement(count: int, *, seed: int) -> list[Transaction]:
    """Return `count` statement transactions spread over accounts and 30 days."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data
    accounts = sorted(ACCOUNT_MAP)
    first_day = date(2024, 6, 3)
    built: list[Transaction] = []
    for index in range(count):
        account = rng.choice(accounts)
        currency = CURRENCY_BY_ACCOUNT[account]
        scale = 0 if currency == "JPY" else 2
        amount = Decimal(rng.randint(100, 5_000_000)).scaleb(-scale)
        built.append(
            Transaction(
                transaction_id=f"ST{index:06d}",
                bank_id="bank-1",
                file_id="statement-1",
                source_format="mt940",
                record_kind=RecordKind.STATEMENT,
                account=account,
                currency=currency,
                amount=amount,
                direction=rng.choice([Direction.CREDIT, Direction.DEBIT]),
                value_date=first_day + timedelta(days=rng.randrange(30)),
                customer_reference=_reference(rng, index),
                counterparty_name=f"Customer {rng.randrange(500)}",
                remittance_info=f"Invoice payment {index}",
                source_location=f"line {index + 1}",
            )
        )
    return built


def _generate(transactions: list[Transaction], seed: int) -> GeneratedLedger:
    return generate_ledger(
        transactions, seed=seed, account_map=ACCOUNT_MAP, options=GeneratorOptions()
    )


def _definition() -> Definition:
    return parse_definitions(TWO_PASS_DEFINITION)[0]


def test_generator_same_seed_identical() -> None:
    statement = make_statement(300, seed=1)

    first = _generate(statement, seed=42)
    second = _generate(statement, seed=42)

    assert first.csv_text == second.csv_text
    assert first.truth_csv_text == second.truth_csv_text


def test_generator_different_seed_differs() -> None:
    statement = make_statement(300, seed=1)

    first = _generate(statement, seed=42)
    second = _generate(statement, seed=43)

    assert first.csv_text != second.csv_text


def test_generator_truth_references_existing_ids() -> None:
    statement = make_statement(500, seed=2)

    generated = _generate(statement, seed=7)

    entry_ids = {entry.entry_id for entry in generated.entries}
    statement_ids = {item.transaction_id for item in statement}
    truth_ledger_ids = [row.ledger_entry_id for row in generated.truth]
    truth_statement_ids = [row.statement_transaction_id for row in generated.truth]
    assert set(truth_ledger_ids) <= entry_ids
    assert set(truth_statement_ids) <= statement_ids
    assert len(set(truth_ledger_ids)) == len(truth_ledger_ids)
    assert len(set(truth_statement_ids)) == len(truth_statement_ids)
    assert set(generated.missing_statement_ids).isdisjoint(truth_statement_ids)
    assert set(generated.ledger_only_ids).isdisjoint(truth_ledger_ids)
    assert len(truth_ledger_ids) + len(generated.ledger_only_ids) == len(entry_ids)


def test_generator_produces_each_difference() -> None:
    statement = make_statement(2000, seed=3)
    by_id = {item.transaction_id: item for item in statement}

    generated = _generate(statement, seed=11)

    entries = {entry.entry_id: entry for entry in generated.entries}
    pairs = [(entries[row[0]], by_id[row[1]]) for row in generated.truth]
    lags = {abs((entry.booking_date - item.value_date).days) for entry, item in pairs}
    fees = [entry for entry, item in pairs if abs(entry.amount) != item.amount]
    shifted = [entry for entry, item in pairs if entry.value_date != item.value_date]
    prefixed = [entry for entry, _ in pairs if entry.reference.startswith("INV-")]
    assert lags == {1, 2, 3}
    assert fees
    assert all(Decimal("0") < abs(entry.amount) for entry in fees)
    assert shifted
    assert prefixed
    assert generated.missing_statement_ids
    assert generated.ledger_only_ids


def test_generator_fees_within_range() -> None:
    statement = make_statement(2000, seed=3)
    by_id = {item.transaction_id: item for item in statement}

    generated = _generate(statement, seed=11)

    entries = {entry.entry_id: entry for entry in generated.entries}
    for ledger_id, statement_id in generated.truth:
        entry, item = entries[ledger_id], by_id[statement_id]
        fee = abs(entry.amount) - item.amount
        assert Decimal(0) <= fee <= Decimal("5.00"), (ledger_id, fee)


def test_generator_csv_shape() -> None:
    statement = make_statement(200, seed=4)

    generated = _generate(statement, seed=5)

    rows = list(csv.reader(io.StringIO(generated.csv_text)))
    header, body = rows[0], rows[1:]
    assert tuple(header) == LEDGER_COLUMNS
    assert len(body) == len(generated.entries)
    for row in body:
        assert len(row) == len(LEDGER_COLUMNS)
        assert date.fromisoformat(row[2]) <= date(2024, 12, 31)
        assert date.fromisoformat(row[3]) <= date(2024, 12, 31)
        assert "," not in row[4]
        assert Decimal(row[4]) != 0


def test_generator_signed_amounts_follow_direction() -> None:
    statement = make_statement(200, seed=4)
    by_id = {item.transaction_id: item for item in statement}

    generated = _generate(statement, seed=5)

    entries = {entry.entry_id: entry for entry in generated.entries}
    for ledger_id, statement_id in generated.truth:
        negative = entries[ledger_id].amount < 0
        assert negative is (by_id[statement_id].direction is Direction.DEBIT)


def test_generator_mirror_signs() -> None:
    statement = make_statement(100, seed=4)
    by_id = {item.transaction_id: item for item in statement}
    options = GeneratorOptions(mirror_signs=True)

    generated = generate_ledger(
        statement, seed=5, account_map=ACCOUNT_MAP, options=options
    )

    entries = {entry.entry_id: entry for entry in generated.entries}
    for ledger_id, statement_id in generated.truth:
        negative = entries[ledger_id].amount < 0
        assert negative is (by_id[statement_id].direction is Direction.CREDIT)


def test_generator_unknown_account_rejected() -> None:
    statement = make_statement(10, seed=4)

    with pytest.raises(GeneratorError, match="add it to account_map"):
        generate_ledger(statement, seed=1, account_map={})


def test_generator_invalid_rate_rejected() -> None:
    with pytest.raises(GeneratorError, match="fee_rate"):
        GeneratorOptions(fee_rate=1.5)


def test_generator_write_files(tmp_path: Path) -> None:
    generated = _generate(make_statement(50, seed=6), seed=6)

    ledger_path, truth_path = generated.write(tmp_path / "out")

    assert ledger_path.read_text(encoding="utf-8") == generated.csv_text
    truth_lines = truth_path.read_text(encoding="utf-8").splitlines()
    assert truth_lines[0] == "ledger_entry_id,statement_transaction_id"
    assert len(truth_lines) == len(generated.truth) + 1


def test_generator_command_line(tmp_path: Path) -> None:
    statement = make_statement(40, seed=8)
    source = tmp_path / "statement.json"
    source.write_text(
        json.dumps([item.model_dump(mode="json") for item in statement]),
        encoding="utf-8",
    )
    arguments = [str(source), "--seed", "9", "--out", str(tmp_path / "out")]
    arguments += [f"--account={key}={value}" for key, value in ACCOUNT_MAP.items()]

    exit_code = main(arguments)

    expected = _generate(statement, seed=9).csv_text
    assert exit_code == 0
    assert (tmp_path / "out" / "ledger.csv").read_text(encoding="utf-8") == expected


def test_generated_ledger_matches_with_quality() -> None:
    statement = make_statement(4000, seed=20)
    generated = _generate(statement, seed=21)
    ledger = generated.transactions(bank_id="bank-1", file_id="ledger-1")

    result = match_transactions(_definition(), statement, ledger)

    confirmed = [
        group
        for group in result.group_records()
        if group.status is GroupStatus.CONFIRMED
    ]
    report = score_against_truth(confirmed, generated.truth)
    assert report.overall.precision >= Decimal("0.999"), report
    assert report.overall.recall >= Decimal("0.95"), report
    assert report.by_pass["reference"].matched_pairs > 0
    assert report.by_pass["amount-and-date"].matched_pairs > 0
