from datetime import date
from decimal import Decimal

import pytest
from recon_common.events import Direction
from recon_ingest.parsers import ParseRejected

from .support import parse_bytes

BAI2 = b"""01,SENDER,RECEIVER,240301,0800,1,,,2/
02,RECEIVER,BANKID,1,240301,2400,USD,2/
03,123456789,,010,100000,,,015,110050,,/
88,045,110050,,/
16,195,15050,V,240229,,BANKREF1,CUSTREF1,WIRE FROM ACME, INV 1/2
88,SECOND LINE OF TEXT/
16,475,5000,0,BANKREF2,,CHECK PAID/
49,340150,6/
98,340150,1,8/
99,340150,1,10/
"""


def test_bai2_transactions() -> None:
    result = parse_bytes(BAI2, filename="bank.bai2")

    wire, check = result.transactions
    assert result.source_format == "bai2"
    assert wire.amount == Decimal("150.50")
    assert wire.direction is Direction.CREDIT
    assert wire.value_date == date(2024, 2, 29)
    assert wire.booking_date == date(2024, 3, 1)
    assert wire.bank_reference == "BANKREF1"
    assert wire.customer_reference == "CUSTREF1"
    assert wire.bank_transaction_code == "195"
    assert check.direction is Direction.DEBIT
    assert check.amount == Decimal("50.00")
    assert check.source_location == "line 7"


def test_bai2_text_with_comma_slash_and_continuation() -> None:
    result = parse_bytes(BAI2, filename="bank.bai2")

    assert result.transactions[0].remittance_info == (
        "WIRE FROM ACME, INV 1/2\nSECOND LINE OF TEXT"
    )


def test_bai2_balances_checked() -> None:
    result = parse_bytes(BAI2, filename="bank.bai2")

    statement = result.statements[0]
    assert statement.balance_checked is True
    assert statement.closing_available is not None
    assert statement.closing_available.amount == Decimal("1100.50")


def test_bai2_without_slashes_and_padding() -> None:
    data = BAI2.replace(b"/\n", b"   \n")

    result = parse_bytes(data, filename="bank.bai2")

    assert len(result.transactions) == 2


def test_bai2_control_total_mismatch_rejected() -> None:
    data = BAI2.replace(b"49,340150,6/", b"49,340151,6/")

    with pytest.raises(ParseRejected) as error:
        parse_bytes(data, filename="bank.bai2")

    assert error.value.reason == (
        "line 8: 49 account control total is 340151 but the records add up to 340150"
    )


def test_bai2_record_count_mismatch_rejected() -> None:
    data = BAI2.replace(b"99,340150,1,10/", b"99,340150,1,9/")

    with pytest.raises(ParseRejected) as error:
        parse_bytes(data, filename="bank.bai2")

    assert error.value.reason == (
        "line 10: 99 file record count is 9 but the records add up to 10"
    )


def test_bai2_missing_trailer_rejected() -> None:
    data = BAI2.replace(b"99,340150,1,10/\n", b"")

    with pytest.raises(ParseRejected) as error:
        parse_bytes(data, filename="bank.bai2")

    assert error.value.reason == "BAI2 file ends without a 99 file trailer"


def test_bai2_unknown_type_code_rejected() -> None:
    data = BAI2.replace(b"16,475,", b"16,901,")

    with pytest.raises(ParseRejected) as error:
        parse_bytes(data, filename="bank.bai2")

    assert error.value.reason.startswith('line 7: 16 type code "901" is not a credit')


def test_bai2_distributed_availability_summary() -> None:
    data = (
        b"01,S,R,240301,0800,1,,,2/\n"
        b"02,R,B,1,240301,,USD,2/\n"
        b"03,1,,010,500,,,190,7000,4,D,2,0,3000,1,4000/\n"
        b"49,7500,2/\n"
        b"98,7500,1,4/\n"
        b"99,7500,1,6/\n"
    )

    result = parse_bytes(data, filename="bank.bai2")

    assert result.statements[0].opening_booked is not None
    assert result.transactions == []
