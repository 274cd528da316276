from datetime import date
from decimal import Decimal

import pytest
from recon_common.events import Direction, RecordKind
from recon_ingest.parsers import ParseRejected, ParseSettings, detect_format

from .support import parse_bytes, parse_text

MARKS_STATEMENT = """
:20:MARKS
:25:DE89370400440532013000
:28C:00007/001
:60F:C240301EUR100,00
:61:2403010301C50,00NTRFNONREF//B1
:61:2403010301RC20,00NTRFREF2//B2
:61:2403010301RD10,00NTRFREF3//B3
:61:2403010301DR5,00NTRFREF4//B4
:61:2403010301CK1,00NTRFREF5//B5
:62F:C240301EUR136,00
"""


def test_mt940_marks_directions() -> None:
    result = parse_text(MARKS_STATEMENT)

    directions = [t.direction for t in result.transactions]
    assert directions == [
        Direction.CREDIT,
        Direction.DEBIT,
        Direction.CREDIT,
        Direction.DEBIT,
        Direction.CREDIT,
    ]
    assert [t.reversal for t in result.transactions] == [
        False,
        True,
        True,
        False,
        False,
    ]


def test_mt940_reversal_of_credit_balances_as_debit() -> None:
    result = parse_text(MARKS_STATEMENT)

    statement = result.statements[0]
    assert statement.balance_checked is True
    assert statement.warnings == []
    assert statement.transaction_count == 5


def test_mt940_funds_code_after_mark() -> None:
    result = parse_text(MARKS_STATEMENT)

    amounts = [t.amount for t in result.transactions]
    assert amounts == [
        Decimal("50.00"),
        Decimal("20.00"),
        Decimal("10.00"),
        Decimal("5.00"),
        Decimal("1.00"),
    ]


def test_mt940_statement_fields() -> None:
    result = parse_text(MARKS_STATEMENT)

    first = result.transactions[0]
    assert result.source_format == "mt940"
    assert result.record_kind is RecordKind.STATEMENT
    assert first.transaction_id == "f1:1"
    assert first.bank_id == "bank-a"
    assert first.account == "DE89370400440532013000"
    assert first.currency == "EUR"
    assert first.statement_id == "MARKS"
    assert first.statement_sequence == "00007/001"
    assert first.customer_reference is None
    assert first.bank_reference == "B1"
    assert first.bank_transaction_code == "NTRF"
    assert first.source_location == "line 5"
    assert result.transactions[4].transaction_id == "f1:5"


def test_mt940_entry_date_previous_year() -> None:
    result = parse_text(
        """
:20:ROLL
:25:NL92KNAB0123456789
:28C:1/1
:60F:C131229EUR0,
:61:1401011229C1000,NTRFNONREF//ABC
:62F:C140101EUR1000,
"""
    )

    entry = result.transactions[0]
    assert entry.value_date == date(2014, 1, 1)
    assert entry.booking_date == date(2013, 12, 29)


def test_mt940_entry_date_next_year() -> None:
    result = parse_text(
        """
:20:ROLL
:25:NL92KNAB0123456789
:60F:C131231EUR0,
:61:1312310102D15,NTRFNONREF
:62F:D131231EUR15,
"""
    )

    entry = result.transactions[0]
    assert entry.value_date == date(2013, 12, 31)
    assert entry.booking_date == date(2014, 1, 2)


def test_mt940_entry_date_missing() -> None:
    result = parse_text(
        """
:20:NOENTRY
:25:12345
:60F:C240301EUR0,
:61:240301C1,NTRF
:62F:C240301EUR1,
"""
    )

    assert result.transactions[0].booking_date is None


def test_mt940_colon_inside_information_is_text() -> None:
    result = parse_text(
        """
:20:COLON
:25:12345
:60F:C240301EUR0,00
:61:2403010301D12,50NMSCNONREF
:86:Card payment 10:33:22 at shop
:08 Karten-Nr. 1234
:62F:D240301EUR12,50
"""
    )

    info = result.transactions[0].remittance_info or ""
    assert "10:33:22" in info
    assert ":08 Karten-Nr. 1234" in info
    assert result.statements[0].balance_checked is True


def test_mt940_continuation_line_with_unknown_tag_is_text() -> None:
    result = parse_text(
        """
:20:LOOKALIKE
:25:12345
:60F:C240301EUR0,00
:61:2403010301C5,00NTRFNONREF
:86:?20first part
:KO:NR: 42
:99X: not a known tag
:62F:C240301EUR5,00
"""
    )

    info = result.transactions[0].remittance_info or ""
    assert ":KO:NR: 42" in info
    assert ":99X: not a known tag" in info


def test_mt940_statement_information_after_closing_balance() -> None:
    result = parse_text(
        """
:20:STMT86
:25:12345
:60F:C240301EUR0,00
:61:2403010301C5,00NTRFNONREF
:86:belongs to the entry
:62F:C240301EUR5,00
:64:C240301EUR5,00
:86:/SUM/ belongs to the statement
"""
    )

    assert result.transactions[0].remittance_info == "belongs to the entry"
    assert result.statements[0].closing_available is not None


def test_mt940_statement_information_before_first_entry() -> None:
    result = parse_text(
        """
:20:STMT86
:25:12345
:60F:C240301EUR0,00
:86:account summary for the day
:61:2403010301C5,00NTRFNONREF
:62F:C240301EUR5,00
"""
    )

    assert result.transactions[0].remittance_info is None


def test_mt940_supplementary_details_line() -> None:
    result = parse_text(
        """
:20:SUPP
:25:12345
:60F:C240301EUR0,00
:61:2403010301C5,00NTRFCUST1//BANK1
/OCMT/USD5,50/
:86:invoice 77
:62F:C240301EUR5,00
"""
    )

    entry = result.transactions[0]
    assert entry.customer_reference == "CUST1"
    assert entry.remittance_info == "/OCMT/USD5,50/\ninvoice 77"


def test_mt940_fin_envelope_several_messages_and_accounts() -> None:
    result = parse_text(
        """
{1:F01BANKBEBBAXXX0000000000}{2:O9401200240301BANKDEFFXXXX00000000002403011200N}{4:
:20:MSG1
:25:ACC-ONE
:28C:1/1
:60F:C240301EUR10,00
:61:2403010301D2,50NCHGNONREF
:62F:C240301EUR7,50
-}{5:{CHK:123456789ABC}}
{1:F01BANKBEBBAXXX0000000000}{2:O9401200240301BANKDEFFXXXX00000000002403011200N}{4:
:20:MSG2
:25:ACC-TWO
:28C:2/1
:60M:C240301USD0,00
:61:2403010301C3,NTRFNONREF
:62M:C240301USD3,
-}
"""
    )

    assert [s.account for s in result.statements] == ["ACC-ONE", "ACC-TWO"]
    assert [t.currency for t in result.transactions] == ["EUR", "USD"]
    assert all(s.balance_checked for s in result.statements)


def test_mt940_non_swift_header_lines_skipped() -> None:
    result = parse_text(
        """
0000 01FVLBNL22AXXX00042
940 00
:20:HEADER
:25:12345
:60F:C240301EUR0,00
:61:240301C5,00NTRFNONREF
:62F:C240301EUR5,00
-XXX
"""
    )

    assert len(result.transactions) == 1


def test_mt940_balance_mismatch_warns() -> None:
    text = MARKS_STATEMENT.replace(":62F:C240301EUR136,00", ":62F:C240301EUR999,00")

    result = parse_text(text, settings=ParseSettings(balance_mismatch="warn"))

    statement = result.statements[0]
    assert statement.balance_checked is False
    assert "closing balance is 999.00" in statement.warnings[0]
    assert len(result.transactions) == 5
    assert "closing balance is 999.00" in result.warnings[0]


def test_mt940_balance_mismatch_rejects() -> None:
    text = MARKS_STATEMENT.replace(":62F:C240301EUR136,00", ":62F:C240301EUR999,00")

    with pytest.raises(ParseRejected) as error:
        parse_text(text, settings=ParseSettings(balance_mismatch="reject"))

    assert "statement at line 1" in error.value.reason
    assert "is 136.00, but the closing balance is 999.00" in error.value.reason


def test_mt940_invalid_amount_names_line() -> None:
    text = MARKS_STATEMENT.replace("C50,00NTRF", "C12,3,4NTRF")

    with pytest.raises(ParseRejected) as error:
        parse_text(text)

    assert error.value.reason == 'line 5: :61: amount "12,3,4" is not a number'


def test_mt940_invalid_value_date_rejected() -> None:
    text = MARKS_STATEMENT.replace(":61:2403010301C50", ":61:2402300301C50")

    with pytest.raises(ParseRejected) as error:
        parse_text(text)

    assert error.value.reason == 'line 5: :61: value date "240230" is not a valid date'


def test_mt940_unknown_mark_rejected() -> None:
    text = MARKS_STATEMENT.replace("0301C50,00", "0301X50,00")

    with pytest.raises(ParseRejected) as error:
        parse_text(text)

    assert "line 5: :61: debit/credit mark" in error.value.reason


def test_mt940_amount_beyond_currency_scale_rejected() -> None:
    text = MARKS_STATEMENT.replace("C50,00NTRF", "C50,001NTRF")

    with pytest.raises(ParseRejected) as error:
        parse_text(text)

    assert error.value.reason.startswith("line 5: :61: amount 50.001 has 3 decimals")


def test_mt940_missing_account_rejected() -> None:
    text = MARKS_STATEMENT.replace(":25:DE89370400440532013000\n", "")

    with pytest.raises(ParseRejected) as error:
        parse_text(text)

    assert error.value.reason == "line 1: statement has no :25: account"


def test_mt940_no_fields_rejected() -> None:
    with pytest.raises(ParseRejected) as error:
        parse_bytes(b"hello\n:20:\n", filename="x.sta")

    assert "no :25: account" in error.value.reason


def test_mt942_expected_marks_and_totals() -> None:
    result = parse_text(
        """
:20:INTRADAY
:25:45050050/76198810
:28C:13/37
:34F:EURD0,00
:13D:1901091733+0100
:61:190109EC10,00NTRFNONREF
:61:190109ED4,00NTRFNONREF
:90D:1EUR4,00
:90C:1EUR10,00
"""
    )

    assert result.source_format == "mt942"
    assert [t.direction for t in result.transactions] == [
        Direction.CREDIT,
        Direction.DEBIT,
    ]
    assert result.transactions[0].currency == "EUR"
    assert result.statements[0].balance_checked is False


def test_mt942_without_booked_balances_no_warning() -> None:
    # MT942 carries no :60F: or :62F: by design, and :90D:/:90C: are checked.
    result = parse_text(
        """
:20:INTRADAY
:25:45050050/76198810
:34F:EURD0,00
:13D:1901091733+0100
:61:190109C10,00NTRFNONREF
:90C:1EUR10,00
"""
    )

    assert result.statements[0].warnings == []
    assert result.warnings == []


def test_mt942_totals_mismatch_warns() -> None:
    result = parse_text(
        """
:20:INTRADAY
:25:45050050/76198810
:34F:EURD0,00
:13D:1901091733+0100
:61:190109C10,00NTRFNONREF
:90C:2EUR10,00
"""
    )

    assert any(":90C: states 2 entries" in w for w in result.statements[0].warnings)


def test_mt950_detected_from_envelope() -> None:
    data = (
        b"{1:F01BANKBEBBAXXX0000000000}{2:I950BANKDEFFXXXXN}{4:\r\n"
        b":20:S\r\n:25:1\r\n:28C:1/1\r\n:60F:C240301EUR0,\r\n:62F:C240301EUR0,\r\n-}"
    )

    assert detect_format(data, "x.fin") == "mt950"


def test_mt940_ctrl_z_between_messages() -> None:
    result = parse_text(
        """
:20:A
:25:1
:60F:C240301EUR0,
:62F:C240301EUR0,
\x1a:20:B
:25:2
:60F:C240301EUR0,
:62F:C240301EUR0,
"""
    )

    assert [s.statement_id for s in result.statements] == ["A", "B"]


def test_mt940_same_file_same_ids() -> None:
    first = parse_text(MARKS_STATEMENT)

    second = parse_text(MARKS_STATEMENT)

    assert [t.transaction_id for t in first.transactions] == [
        t.transaction_id for t in second.transactions
    ]


def test_mt940_reversal_mark_with_funds_code() -> None:
    result = parse_text(
        """
:20:RCR
:25:12345
:60F:C240301EUR50,00
:61:2403010301RCR20,00NTRFNONREF
:61:2403010301RDR5,00NTRFNONREF
:62F:C240301EUR35,00
"""
    )

    reversed_credit, reversed_debit = result.transactions
    assert reversed_credit.direction is Direction.DEBIT
    assert reversed_credit.reversal is True
    assert reversed_debit.direction is Direction.CREDIT
    assert reversed_debit.reversal is True
    assert result.statements[0].balance_checked is True


def test_mt940_one_line_field_continuation_rejected() -> None:
    text = MARKS_STATEMENT.replace(
        ":25:DE89370400440532013000", ":25:DE89370400440532013000\nEXTRA"
    )

    with pytest.raises(ParseRejected) as error:
        parse_text(text)

    assert error.value.reason == (
        'line 2: :25: unexpected line "EXTRA" after this one-line field'
    )


def test_mt940_framing_characters_ignored() -> None:
    data = b"\x01\r\n" + MARKS_STATEMENT.strip().encode() + b"\r\n-\x03"

    result = parse_bytes(data)

    assert len(result.transactions) == 5


def test_mt942_information_after_totals_belongs_to_report() -> None:
    result = parse_text(
        """
:20:INTRADAY
:25:45050050/76198810
:34F:EURD0,00
:13D:1901091733+0100
:61:190109C10,00NTRFNONREF
:86:entry text
:90C:1EUR10,00
:86:report text
"""
    )

    assert result.transactions[0].remittance_info == "entry text"
