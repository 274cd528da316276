"""Statement fingerprints and leaving repeated statements out of a result."""

from datetime import UTC, date, datetime
from decimal import Decimal

from recon_common.events import (
    Balance,
    Direction,
    RecordKind,
    StatementInfo,
    Transaction,
)
from recon_ingest.models import LandedFile
from recon_ingest.parsers import ParseResult
from recon_ingest.parsing.duplicates import (
    RepeatedStatement,
    statement_fingerprint,
    without_statements,
)

ON = date(2026, 12, 3)


def statement(
    reference: str | None, *, count: int = 1, **values: object
) -> StatementInfo:
    fields: dict[str, object] = {
        "account": "DE89370400440532013000",
        "statement_id": reference,
        "sequence": None,
        "opening_booked": Balance(amount=Decimal("10.00"), currency="EUR", date=ON),
        "closing_booked": Balance(amount=Decimal("11.00"), currency="EUR", date=ON),
        "transaction_count": count,
        "balance_checked": True,
        "source_location": f"statement {reference}",
    }
    fields.update(values)
    return StatementInfo.model_validate(fields)


def transaction(number: int, reference: str | None) -> Transaction:
    return Transaction(
        transaction_id=f"f1:{number}",
        bank_id="test-bank",
        file_id="f1",
        source_format="mt940",
        record_kind=RecordKind.STATEMENT,
        account="DE89370400440532013000",
        statement_id=reference,
        value_date=ON,
        amount=Decimal("1.00"),
        currency="EUR",
        direction=Direction.CREDIT,
        source_location=f"line {number}",
    )


def earlier_file() -> LandedFile:
    return LandedFile(
        file_id="earlier-id",
        filename="earlier.sta",
        landed_at=datetime(2026, 12, 3, 7, 0, tzinfo=UTC),
    )


def fingerprint(info: StatementInfo, source_format: str = "mt940") -> str | None:
    return statement_fingerprint(info, source_format=source_format)


def test_fingerprint_same_for_same_statement() -> None:
    first = statement("S1")
    again = statement("S1", source_location="elsewhere", transaction_count=9)

    assert fingerprint(first) == fingerprint(again)


def test_fingerprint_differs_on_closing_balance() -> None:
    closing = Balance(amount=Decimal("12.00"), currency="EUR", date=ON)

    other = fingerprint(statement("S1", closing_booked=closing))

    assert other != fingerprint(statement("S1"))


def test_fingerprint_mt950_equals_camt053() -> None:
    info = statement("S1")

    assert fingerprint(info, "mt950") == fingerprint(info, "camt.053")


def test_fingerprint_report_differs_from_statement() -> None:
    info = statement("S1")

    assert fingerprint(info, "camt.052") != fingerprint(info, "camt.053")


def test_fingerprint_none_without_identity() -> None:
    anonymous = statement(None, opening_booked=None)

    assert fingerprint(anonymous) is None


def test_without_statements_by_key_fallback() -> None:
    # Counts that do not add up force the match on account, id and sequence.
    result = ParseResult(
        source_format="mt940",
        record_kind=RecordKind.STATEMENT,
        encoding="ascii",
        statements=[statement("S1", count=5), statement("S2", count=5)],
        transactions=[transaction(1, "S1"), transaction(2, "S2"), transaction(3, None)],
    )
    repeat = RepeatedStatement(0, result.statements[0], earlier_file())

    remaining = without_statements(result, [repeat])

    assert [t.transaction_id for t in remaining.transactions] == ["f1:2", "f1:3"]
    assert [s.statement_id for s in remaining.statements] == ["S2"]
    assert "earlier.sta" in remaining.warnings[0]
