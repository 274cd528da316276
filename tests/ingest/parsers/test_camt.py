from datetime import date
from decimal import Decimal

import pytest
from recon_common.events import Direction, RecordKind
from recon_ingest.parsers import ParseRejected, ParseSettings, detect_format

from .support import parse_bytes

SINGLE_ENTRY = """
<Ntry>
  <NtryRef>NREF1</NtryRef>
  <Amt Ccy="{ccy}">{amount}</Amt>
  <CdtDbtInd>CRDT</CdtDbtInd>
  <Sts>BOOK</Sts>
  <BookgDt><Dt>2024-03-01</Dt></BookgDt>
  <ValDt><DtTm>2024-03-02T10:00:00+01:00</DtTm></ValDt>
  <AcctSvcrRef>SVC-1</AcctSvcrRef>
  <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly>
  </Domn></BkTxCd>
  <NtryDtls><TxDtls>
    <Refs><InstrId>INSTR-1</InstrId><EndToEndId>E2E-1</EndToEndId></Refs>
    <RltdPties>
      <Dbtr><Nm>ACME GmbH</Nm></Dbtr>
      <DbtrAcct><Id><IBAN>DE02120300000000202051</IBAN></Id></DbtrAcct>
    </RltdPties>
    <RmtInf><Ustrd>Invoice 4711</Ustrd></RmtInf>
  </TxDtls></NtryDtls>
  <AddtlNtryInf>SEPA credit transfer</AddtlNtryInf>
</Ntry>
"""

BATCH_ENTRY = """
<Ntry>
  <Amt Ccy="EUR">30.00</Amt>
  <CdtDbtInd>DBIT</CdtDbtInd>
  <Sts><Cd>BOOK</Cd></Sts>
  <BookgDt><Dt>2024-03-01</Dt></BookgDt>
  <ValDt><Dt>2024-03-01</Dt></ValDt>
  <NtryDtls>
    <Btch><NbOfTxs>2</NbOfTxs></Btch>
    <TxDtls>
      <Refs><PmtInfId>BATCH-7</PmtInfId><EndToEndId>PART-A</EndToEndId></Refs>
      <AmtDtls><TxAmt><Amt Ccy="EUR">10.00</Amt></TxAmt></AmtDtls>
      <RltdPties><Cdtr><Nm>Supplier A</Nm></Cdtr></RltdPties>
    </TxDtls>
    <TxDtls>
      <Refs><PmtInfId>BATCH-7</PmtInfId><EndToEndId>PART-B</EndToEndId></Refs>
      <AmtDtls><TxAmt><Amt Ccy="EUR">20.00</Amt></TxAmt></AmtDtls>
      <RltdPties><Cdtr><Nm>Supplier B</Nm></Cdtr></RltdPties>
    </TxDtls>
  </NtryDtls>
</Ntry>
"""

REVERSAL_ENTRY = """
<Ntry>
  <Amt Ccy="EUR">5.00</Amt>
  <CdtDbtInd>DBIT</CdtDbtInd>
  <RvslInd>true</RvslInd>
  <Sts>BOOK</Sts>
  <BookgDt><Dt>2024-03-01</Dt></BookgDt>
  <ValDt><Dt>2024-03-01</Dt></ValDt>
</Ntry>
"""


def balance(code: str, amount: str, ccy: str = "EUR", indicator: str = "CRDT") -> str:
    """Return a camt `Bal` element."""
    return (
        f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>"
        f'<Amt Ccy="{ccy}">{amount}</Amt><CdtDbtInd>{indicator}</CdtDbtInd>'
        "<Dt><Dt>2024-03-01</Dt></Dt></Bal>"
    )


def camt053(
    entries: str,
    *,
    version: str = "02",
    opening: str = "100.00",
    closing: str = "110.00",
    ccy: str = "EUR",
) -> bytes:
    """Return a camt.053 document with one statement holding `entries`."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version}">
<BkToCstmrStmt>
<GrpHdr><MsgId>MSG-1</MsgId><CreDtTm>2024-03-01T18:00:00+01:00</CreDtTm></GrpHdr>
<Stmt>
  <Id>STMT-1</Id>
  <ElctrncSeqNb>42</ElctrncSeqNb>
  <Acct><Id><IBAN>NL91ABNA0417164300</IBAN></Id><Ccy>{ccy}</Ccy></Acct>
  {balance("OPBD", opening, ccy)}
  {balance("CLBD", closing, ccy)}
  {balance("CLAV", closing, ccy)}
  {entries}
</Stmt>
</BkToCstmrStmt>
</Document>
""".encode()


def test_camt053_single_entry_fields() -> None:
    data = camt053(SINGLE_ENTRY.format(ccy="EUR", amount="10.00"))

    result = parse_bytes(data, filename="s.xml")

    entry = result.transactions[0]
    assert result.source_format == "camt.053"
    assert result.record_kind is RecordKind.STATEMENT
    assert entry.transaction_id == "f1:1"
    assert entry.amount == Decimal("10.00")
    assert entry.direction is Direction.CREDIT
    assert entry.value_date == date(2024, 3, 2)
    assert entry.booking_date == date(2024, 3, 1)
    assert entry.account == "NL91ABNA0417164300"
    assert entry.bank_reference == "SVC-1"
    assert entry.customer_reference == "INSTR-1"
    assert entry.end_to_end_id == "E2E-1"
    assert entry.counterparty_name == "ACME GmbH"
    assert entry.counterparty_account == "DE02120300000000202051"
    assert entry.remittance_info == "Invoice 4711\nSEPA credit transfer"
    assert entry.bank_transaction_code == "PMNT/RCDT/ESCT"
    assert entry.statement_id == "STMT-1"
    assert entry.statement_sequence == "42"
    assert entry.source_location == "Stmt[1]/Ntry[1]"


def test_camt053_balances_checked() -> None:
    data = camt053(SINGLE_ENTRY.format(ccy="EUR", amount="10.00"))

    result = parse_bytes(data, filename="s.xml")

    statement = result.statements[0]
    assert statement.balance_checked is True
    assert statement.opening_booked is not None
    assert statement.opening_booked.amount == Decimal("100.00")
    assert statement.closing_available is not None


def test_camt053_balance_mismatch_rejected() -> None:
    data = camt053(SINGLE_ENTRY.format(ccy="EUR", amount="10.00"), closing="111.00")

    with pytest.raises(ParseRejected) as error:
        parse_bytes(
            data, filename="s.xml", settings=ParseSettings(balance_mismatch="reject")
        )

    assert error.value.reason.startswith("statement at Stmt[1]: opening balance")


def test_camt053_batch_counts_money_once() -> None:
    data = camt053(BATCH_ENTRY, closing="70.00")

    result = parse_bytes(data, filename="s.xml")

    assert len(result.transactions) == 1
    entry = result.transactions[0]
    assert entry.amount == Decimal("30.00")
    assert entry.direction is Direction.DEBIT
    assert entry.customer_reference == "BATCH-7"
    assert entry.end_to_end_id is None
    assert result.statements[0].balance_checked is True


def test_camt053_batch_parts_listed() -> None:
    data = camt053(BATCH_ENTRY, closing="70.00")

    result = parse_bytes(data, filename="s.xml")

    info = result.transactions[0].remittance_info or ""
    assert "batch of 2 transactions:" in info
    assert "[1] 10.00 EUR | end-to-end PART-A | Supplier A" in info
    assert "[2] 20.00 EUR | end-to-end PART-B | Supplier B" in info


def test_camt053_reversal_indicator() -> None:
    data = camt053(REVERSAL_ENTRY, closing="95.00")

    result = parse_bytes(data, filename="s.xml")

    entry = result.transactions[0]
    assert entry.reversal is True
    assert entry.direction is Direction.DEBIT
    assert result.statements[0].balance_checked is True


def test_camt053_jpy_whole_amounts() -> None:
    entry = SINGLE_ENTRY.format(ccy="JPY", amount="1500")
    data = camt053(entry, opening="1000", closing="2500", ccy="JPY")

    result = parse_bytes(data, filename="s.xml")

    assert result.transactions[0].amount == Decimal("1500")
    assert result.statements[0].balance_checked is True


def test_camt053_jpy_decimals_rejected() -> None:
    entry = SINGLE_ENTRY.format(ccy="JPY", amount="1500.5")
    data = camt053(entry, opening="1000", closing="2500", ccy="JPY")

    with pytest.raises(ParseRejected) as error:
        parse_bytes(data, filename="s.xml")

    assert error.value.reason.startswith("Stmt[1]/Ntry[1]/Amt: amount 1500.5")
    assert "JPY allows 0" in error.value.reason


def test_camt053_bhd_three_decimals() -> None:
    entry = SINGLE_ENTRY.format(ccy="BHD", amount="1.125")
    data = camt053(entry, opening="1.000", closing="2.125", ccy="BHD")

    result = parse_bytes(data, filename="s.xml")

    assert result.transactions[0].amount == Decimal("1.125")


def test_camt053_bhd_four_decimals_rejected() -> None:
    entry = SINGLE_ENTRY.format(ccy="BHD", amount="1.1255")
    data = camt053(entry, opening="1.000", closing="2.125", ccy="BHD")

    with pytest.raises(ParseRejected) as error:
        parse_bytes(data, filename="s.xml")

    assert "BHD allows 3" in error.value.reason


def test_camt053_balance_scale_rejected() -> None:
    data = camt053("", opening="1.001", closing="1.001")

    with pytest.raises(ParseRejected) as error:
        parse_bytes(data, filename="s.xml")

    assert error.value.reason.startswith("Stmt[1]/Bal[OPBD]/Amt: amount 1.001")


def test_camt053_negative_amount_rejected() -> None:
    data = camt053(SINGLE_ENTRY.format(ccy="EUR", amount="-10.00"))

    with pytest.raises(ParseRejected) as error:
        parse_bytes(data, filename="s.xml")

    assert error.value.reason == (
        'Stmt[1]/Ntry[1]/Amt: amount "-10.00" is not a decimal number'
    )


def test_camt053_namespace_versions_read_alike() -> None:
    entries = SINGLE_ENTRY.format(ccy="EUR", amount="10.00")

    old = parse_bytes(camt053(entries, version="02"), filename="s.xml")
    new = parse_bytes(camt053(entries, version="08"), filename="s.xml")

    assert old.transactions == new.transactions
    assert old.statements == new.statements


def test_camt053_envelope_with_app_header() -> None:
    document = camt053(SINGLE_ENTRY.format(ccy="EUR", amount="10.00"))
    body = document.split(b"?>", 1)[1]
    data = (
        b'<?xml version="1.0"?><Envelope xmlns="urn:swift:xsd:envelope">'
        b'<head:AppHdr xmlns:head="urn:iso:std:iso:20022:tech:xsd:head.001.001.02">'
        b"<head:MsgDefIdr>camt.053.001.08</head:MsgDefIdr></head:AppHdr>"
        + body
        + b"</Envelope>"
    )

    result = parse_bytes(data, filename="s.xml")

    assert len(result.transactions) == 1
    assert result.statements[0].balance_checked is True


def test_camt_xml_bomb_rejected() -> None:
    data = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>
<Document><BkToCstmrStmt><Stmt><Id>&lol2;</Id></Stmt></BkToCstmrStmt></Document>"""

    with pytest.raises(ParseRejected) as error:
        parse_bytes(data, filename="bomb.xml")

    assert "DOCTYPE or ENTITY declaration" in error.value.reason


def test_camt_depth_limit() -> None:
    nested = "<X>" * 30 + "</X>" * 30
    data = camt053(nested)

    with pytest.raises(ParseRejected) as error:
        parse_bytes(data, filename="s.xml", settings=ParseSettings(max_xml_depth=20))

    assert "(max_xml_depth)" in error.value.reason


def test_camt_malformed_xml_rejected() -> None:
    data = camt053(SINGLE_ENTRY.format(ccy="EUR", amount="10.00")).replace(
        b"</Stmt>", b""
    )

    with pytest.raises(ParseRejected) as error:
        parse_bytes(data, filename="s.xml")

    assert "XML is not well-formed" in error.value.reason


def test_camt_pending_entry_left_out_of_balance() -> None:
    pending = SINGLE_ENTRY.format(ccy="EUR", amount="10.00").replace(
        "<Sts>BOOK</Sts>", "<Sts>PDNG</Sts>"
    )
    data = camt053(pending, closing="100.00")

    result = parse_bytes(data, filename="s.xml")

    statement = result.statements[0]
    assert len(result.transactions) == 1
    assert statement.balance_checked is True
    assert "1 entries with status PDNG" in statement.warnings[0]


def test_camt_entry_without_dates_uses_message_date() -> None:
    undated = (
        SINGLE_ENTRY.format(ccy="EUR", amount="10.00")
        .replace("<BookgDt><Dt>2024-03-01</Dt></BookgDt>", "")
        .replace("<ValDt><DtTm>2024-03-02T10:00:00+01:00</DtTm></ValDt>", "")
    )

    result = parse_bytes(camt053(undated), filename="s.xml")

    assert result.transactions[0].value_date == date(2024, 3, 1)
    assert "neither ValDt nor BookgDt" in result.statements[0].warnings[0]


@pytest.mark.parametrize(
    ("root", "expected"),
    [
        ("BkToCstmrStmt", "camt.053"),
        ("BkToCstmrAcctRpt", "camt.052"),
        ("BkToCstmrDbtCdtNtfctn", "camt.054"),
        ("BkToCstmrAcctRptV01", "camt.052"),
    ],
)
def test_detect_camt_kinds(root: str, expected: str) -> None:
    data = f"<Document><{root}><GrpHdr/></{root}></Document>".encode()

    assert detect_format(data, "x.xml") == expected


def test_camt054_notification() -> None:
    data = (
        camt053(SINGLE_ENTRY.format(ccy="EUR", amount="10.00"))
        .replace(b"BkToCstmrStmt", b"BkToCstmrDbtCdtNtfctn")
        .replace(b"<Stmt>", b"<Ntfctn>")
        .replace(b"</Stmt>", b"</Ntfctn>")
    )

    result = parse_bytes(data, filename="n.xml")

    assert result.source_format == "camt.054"
    assert result.transactions[0].source_location == "Ntfctn[1]/Ntry[1]"


def test_camt052_without_closing_balance_no_warning() -> None:
    # An intraday report often carries the opening balance only.
    data = (
        camt053(SINGLE_ENTRY.format(ccy="EUR", amount="10.00"))
        .replace(b"BkToCstmrStmt", b"BkToCstmrAcctRpt")
        .replace(b"<Stmt>", b"<Rpt>")
        .replace(b"</Stmt>", b"</Rpt>")
        .replace(balance("CLBD", "110.00").encode(), b"")
    )

    result = parse_bytes(data, filename="report.xml")

    assert result.source_format == "camt.052"
    assert result.statements[0].warnings == []
    assert result.statements[0].balance_checked is False


def test_camt_structured_creditor_reference() -> None:
    entry = SINGLE_ENTRY.format(ccy="EUR", amount="10.00").replace(
        "<RmtInf><Ustrd>Invoice 4711</Ustrd></RmtInf>",
        "<RmtInf><Strd><CdtrRefInf><Ref>RF18539007547034</Ref></CdtrRefInf></Strd>"
        "</RmtInf>",
    )

    result = parse_bytes(camt053(entry), filename="s.xml")

    assert result.transactions[0].remittance_info == (
        "creditor reference RF18539007547034\nSEPA credit transfer"
    )
