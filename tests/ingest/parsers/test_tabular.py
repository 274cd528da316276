from datetime import date
from decimal import Decimal

import pytest
from recon_common.events import Direction, RecordKind
from recon_ingest.parsers import CsvProfile, ParseRejected

from .support import parse_bytes

LEDGER_HEADER = (
    b"entry_id,account,booking_date,value_date,amount,currency,reference,"
    b"description,counterparty\n"
)
LEDGER = (
    LEDGER_HEADER
    + b"JE0000001,NL91ABNA0417164300,2024-03-01,2024-03-02,-1250.00,EUR,INV-1,"
    + b'"Payment\n'
    + b'for two lines",ACME BV\n'
    + b"JE0000002,NL91ABNA0417164300,2024-03-01,,300,JPY,INV-2,Yen,Tokyo KK\n"
)

EUROPEAN = CsvProfile(
    record_kind=RecordKind.STATEMENT,
    separator=";",
    decimal_mark=",",
    thousands_separator=".",
    date_format="%d.%m.%Y",
    skip_lines=2,
    date_column="Buchungstag",
    amount_column="Betrag",
    currency="EUR",
    account="DE89370400440532013000",
    description_column="Verwendungszweck",
)

SPLIT = CsvProfile(
    record_kind=RecordKind.STATEMENT,
    date_column="Date",
    debit_column="Debit",
    credit_column="Credit",
    thousands_separator=",",
    date_format="%m/%d/%Y",
    currency_column="Currency",
    account_column="Account",
)


def test_ledger_profile_reads_demo_extract() -> None:
    result = parse_bytes(LEDGER, filename="ledger.csv")

    first, second = result.transactions
    assert result.record_kind is RecordKind.LEDGER
    assert result.source_format == "csv"
    assert first.amount == Decimal("1250.00")
    assert first.direction is Direction.DEBIT
    assert first.booking_date == date(2024, 3, 1)
    assert first.value_date == date(2024, 3, 2)
    assert first.customer_reference == "INV-1"
    assert first.bank_reference == "JE0000001"
    assert first.counterparty_name == "ACME BV"
    assert second.currency == "JPY"
    assert second.value_date == date(2024, 3, 1)


def test_csv_quoted_newline_keeps_line_numbers() -> None:
    result = parse_bytes(LEDGER, filename="ledger.csv")

    first, second = result.transactions
    assert first.remittance_info == "Payment\nfor two lines"
    assert first.source_location == "line 2"
    assert second.source_location == "line 4"


def test_csv_title_lines_and_trailing_minus() -> None:
    data = (
        "Kontoauszug Girokonto\n"
        "Zeitraum: März 2024\n"
        "Buchungstag;Verwendungszweck;Betrag\n"
        "01.03.2024;Miete;1.234,56-\n"
        "02.03.2024;Gehalt;2.500,00\n"
    ).encode()

    result = parse_bytes(data, filename="konto.csv", csv_profile=EUROPEAN)

    rent, salary = result.transactions
    assert rent.amount == Decimal("1234.56")
    assert rent.direction is Direction.DEBIT
    assert rent.source_location == "line 4"
    assert salary.direction is Direction.CREDIT
    assert result.record_kind is RecordKind.STATEMENT


def test_csv_bracket_negative() -> None:
    profile = CsvProfile(
        record_kind=RecordKind.LEDGER,
        date_column="date",
        amount_column="amount",
        thousands_separator=",",
        currency="USD",
        account="1001",
    )
    data = b'date,amount\n2024-03-01,"(1,234.56)"\n2024-03-02,"1,000.00"\n'

    result = parse_bytes(data, filename="x.csv", csv_profile=profile)

    refund, payment = result.transactions
    assert refund.amount == Decimal("1234.56")
    assert refund.direction is Direction.DEBIT
    assert payment.amount == Decimal("1000.00")
    assert payment.direction is Direction.CREDIT


def test_csv_debit_credit_columns() -> None:
    data = (
        b"Date,Account,Currency,Debit,Credit\n"
        b'03/01/2024,ACC,USD,"1,500.00",\n'
        b"03/02/2024,ACC,USD,-33.50,\n"
        b"03/03/2024,ACC,usd,,20.00\n"
    )

    result = parse_bytes(data, filename="x.csv", csv_profile=SPLIT)

    assert [t.direction for t in result.transactions] == [
        Direction.DEBIT,
        Direction.DEBIT,
        Direction.CREDIT,
    ]
    assert [t.amount for t in result.transactions] == [
        Decimal("1500.00"),
        Decimal("33.50"),
        Decimal("20.00"),
    ]
    assert result.transactions[2].currency == "USD"


def test_csv_negative_credit_rejected() -> None:
    data = b"Date,Account,Currency,Debit,Credit\n03/01/2024,ACC,USD,,-13.50\n"

    with pytest.raises(ParseRejected) as error:
        parse_bytes(data, filename="x.csv", csv_profile=SPLIT)

    assert error.value.reason.startswith("line 2: Credit contains the negative amount")


def test_csv_both_columns_rejected() -> None:
    data = b"Date,Account,Currency,Debit,Credit\n03/01/2024,ACC,USD,1.00,2.00\n"

    with pytest.raises(ParseRejected) as error:
        parse_bytes(data, filename="x.csv", csv_profile=SPLIT)

    assert error.value.reason == "line 2: both Debit and Credit hold an amount"


def test_csv_bad_amount_names_line_and_column() -> None:
    data = LEDGER.replace(b"-1250.00", b'"12,3,4"')

    with pytest.raises(ParseRejected) as error:
        parse_bytes(data, filename="ledger.csv")

    assert error.value.reason == 'line 2: amount "12,3,4" is not a number'


def test_csv_bad_date_rejected() -> None:
    data = LEDGER.replace(b"2024-03-01,2024-03-02", b"01.03.2024,2024-03-02")

    with pytest.raises(ParseRejected) as error:
        parse_bytes(data, filename="ledger.csv")

    assert error.value.reason == (
        'line 2: booking_date "01.03.2024" does not match the date format %Y-%m-%d'
    )


def test_csv_missing_column_rejected() -> None:
    data = b"entry_id,account\nJE1,ACC\n"

    with pytest.raises(ParseRejected) as error:
        parse_bytes(data, filename="ledger.csv")

    assert error.value.reason.startswith("line 1: header has no column 'amount'")


def test_csv_amount_beyond_scale_rejected() -> None:
    data = LEDGER.replace(b",300,JPY", b",300.5,JPY")

    with pytest.raises(ParseRejected) as error:
        parse_bytes(data, filename="ledger.csv")

    assert error.value.reason.startswith("line 4: amount 300.5 has 1 decimals")


def test_csv_direction_marks() -> None:
    profile = CsvProfile(
        record_kind=RecordKind.STATEMENT,
        date_column="d",
        amount_column="a",
        direction_column="m",
        currency="EUR",
        account="A",
    )
    data = b"d,a,m\n2024-03-01,1,C\n2024-03-01,2,D\n2024-03-01,3,RC\n2024-03-01,4,RD\n"

    result = parse_bytes(data, filename="x.csv", csv_profile=profile)

    assert [(t.direction, t.reversal) for t in result.transactions] == [
        (Direction.CREDIT, False),
        (Direction.DEBIT, False),
        (Direction.DEBIT, True),
        (Direction.CREDIT, True),
    ]


def test_csv_debit_positive_convention() -> None:
    profile = CsvProfile(
        record_kind=RecordKind.LEDGER,
        date_column="d",
        amount_column="a",
        currency="EUR",
        account="A",
        sign_convention="debit_positive",
    )

    result = parse_bytes(b"d,a\n2024-03-01,5\n", filename="x.csv", csv_profile=profile)

    assert result.transactions[0].direction is Direction.DEBIT


def test_csv_blank_rows_skipped() -> None:
    data = LEDGER.replace(b"\nJE0000002", b"\n,,,,,,,,\nJE0000002")

    result = parse_bytes(data, filename="ledger.csv")

    assert len(result.transactions) == 2
    assert result.transactions[1].source_location == "line 5"


def test_csv_profile_needs_amount_columns() -> None:
    with pytest.raises(ValueError, match="amount_column"):
        CsvProfile(
            record_kind=RecordKind.LEDGER, date_column="d", currency="EUR", account="A"
        )
