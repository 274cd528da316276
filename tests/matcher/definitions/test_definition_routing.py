"""Which definition and side a transaction belongs to."""

from datetime import date
from decimal import Decimal

from recon_common.events import Direction, RecordKind, Transaction
from recon_matcher.definitions import Side, assign, parse_definitions, side_of

DEFINITIONS = parse_definitions(
    """
definitions:
  - id: nostro-eur
    name: Nostro EUR
    bank_id: bank-1
    side_a: {record_kind: statement, accounts: [NL91ABNA0417164300], currencies: [EUR]}
    side_b: {record_kind: ledger, accounts: ["100200"]}
    passes: [{name: e, kind: exact}]
  - id: all-statements
    name: Every statement account
    bank_id: bank-1
    side_a: {record_kind: statement, account_pattern: 'NL.*', source_formats: [mt940]}
    side_b: {record_kind: ledger, account_pattern: '.*'}
    passes: [{name: e, kind: exact}]
"""
)


def _transaction(
    *,
    kind: RecordKind = RecordKind.STATEMENT,
    account: str = "NL91 ABNA 0417 1643 00",
    currency: str = "EUR",
    source_format: str = "mt940",
    bank_id: str = "bank-1",
) -> Transaction:
    return Transaction(
        transaction_id="t1",
        bank_id=bank_id,
        file_id="f1",
        source_format=source_format,
        record_kind=kind,
        account=account,
        currency=currency,
        amount=Decimal("1.00"),
        direction=Direction.CREDIT,
        value_date=date(2024, 1, 2),
        source_location="line 1",
    )


def _sides(transaction: Transaction) -> list[tuple[str, Side]]:
    return [
        (found.definition.id, found.side) for found in assign(transaction, DEFINITIONS)
    ]


def test_routing_statement_in_two_definitions() -> None:
    sides = _sides(_transaction())

    assert sides == [("nostro-eur", Side.A), ("all-statements", Side.A)]


def test_routing_currency_filter() -> None:
    sides = _sides(_transaction(currency="USD"))

    assert sides == [("all-statements", Side.A)]


def test_routing_source_format_filter() -> None:
    sides = _sides(_transaction(source_format="camt.053"))

    assert sides == [("nostro-eur", Side.A)]


def test_routing_ledger_side_b() -> None:
    sides = _sides(_transaction(kind=RecordKind.LEDGER, account="100200"))

    assert sides == [("nostro-eur", Side.B), ("all-statements", Side.B)]


def test_routing_pattern_must_match_whole_account() -> None:
    sides = _sides(_transaction(account="XNL91"))

    assert sides == []


def test_routing_other_bank_rejected() -> None:
    side = side_of(DEFINITIONS[0], _transaction(bank_id="bank-2"))

    assert side is None
