"""Read one camt `Ntry` element, with its transaction details, into transaction fields.

An entry with several `TxDtls` is a batch booking: the account moved once, by the
entry amount. It becomes one transaction with that amount, and each part's
reference, party and amount are listed in its remittance information, so no money
is counted twice.
"""

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from lxml import etree
from recon_common.events import Direction

from recon_ingest.parsers.context import checked_amount
from recon_ingest.parsers.model import ParseRejected
from recon_ingest.parsers.xml_paths import find, find_all, text

# xs:decimal as camt writes amounts: digits with an optional fraction and no sign.
_AMOUNT = re.compile(r"^\d+(?:\.\d+)?$")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
_BOOKED = "BOOK"


@dataclass(frozen=True)
class CamtAmount:
    """An amount with its currency, checked against the currency's minor units."""

    amount: Decimal
    currency: str


@dataclass(frozen=True)
class CamtEntry:
    """The transaction fields of one entry and whether it counts as booked."""

    fields: dict[str, Any]
    direction: Direction
    amount: Decimal
    booked: bool
    status: str | None
    undated: bool


def read_amount(element: etree._Element | None, *, where: str) -> CamtAmount:
    """Read an `Amt` element with its `Ccy` attribute."""
    if element is None:
        raise ParseRejected(f"{where}: Amt is missing")
    currency = element.get("Ccy")
    value = (element.text or "").strip()
    if not currency:
        raise ParseRejected(f"{where}/Amt: Ccy attribute is missing")
    if not _AMOUNT.match(value):
        raise ParseRejected(f'{where}/Amt: amount "{value}" is not a decimal number')
    amount = checked_amount(Decimal(value), currency, where=f"{where}/Amt:")
    return CamtAmount(amount=amount, currency=currency.upper())


def read_direction(element: etree._Element, *, where: str) -> Direction:
    """Read `CdtDbtInd` (CRDT or DBIT)."""
    indicator = text(element, "CdtDbtInd")
    if indicator == "CRDT":
        return Direction.CREDIT
    if indicator == "DBIT":
        return Direction.DEBIT
    raise ParseRejected(f'{where}/CdtDbtInd: "{indicator}" is not CRDT or DBIT')


def read_date(element: etree._Element | None, *, where: str) -> date | None:
    """Read a date choice (`Dt` or `DtTm`) and keep only the calendar date."""
    if element is None:
        return None
    value = text(element, "Dt") or text(element, "DtTm") or text(element, "Dt/DtTm")
    if value is None:
        raise ParseRejected(f"{where}: Dt or DtTm is missing")
    found = _DATE.match(value)
    try:
        if found is None:
            raise ValueError(value)
        return date(int(found.group(1)), int(found.group(2)), int(found.group(3)))
    except ValueError:
        raise ParseRejected(f'{where}: "{value}" is not a valid date') from None


def read_entry(
    entry: etree._Element, *, where: str, fallback_date: date | None
) -> CamtEntry:
    """Read the transaction fields of one `Ntry` element.

    An entry without `ValDt` and `BookgDt` takes `fallback_date`, the date of its
    statement or message, and is marked undated so the caller can warn.
    """
    amount = read_amount(find(entry, "Amt"), where=where)
    direction = read_direction(entry, where=where)
    reversal = (text(entry, "RvslInd") or "false").lower() in {"true", "1"}
    booking_date = read_date(find(entry, "BookgDt"), where=f"{where}/BookgDt")
    value_date = read_date(find(entry, "ValDt"), where=f"{where}/ValDt") or booking_date
    undated = value_date is None
    value_date = value_date or fallback_date
    if value_date is None:
        raise ParseRejected(
            f"{where}: neither ValDt nor BookgDt is present, and the statement has "
            "no date to use instead"
        )
    status = text(entry, "Sts/Cd") or text(entry, "Sts")
    details = find_all(entry, "NtryDtls/TxDtls")
    fields: dict[str, Any] = {
        "currency": amount.currency,
        "amount": amount.amount,
        "direction": direction,
        "value_date": value_date,
        "booking_date": booking_date,
        "reversal": reversal,
        "bank_reference": text(entry, "AcctSvcrRef"),
        "bank_transaction_code": _bank_transaction_code(entry),
        "source_location": where,
    }
    info = text(entry, "AddtlNtryInf")
    if len(details) == 1:
        fields.update(_single_details(details[0], direction, info))
    else:
        fields.update(_batch_details(details, direction, where=where, info=info))
    if fields.get("customer_reference") is None:
        fields["customer_reference"] = text(entry, "NtryRef")
    return CamtEntry(
        fields=fields,
        direction=direction,
        amount=amount.amount,
        booked=status in {None, _BOOKED},
        status=status,
        undated=undated,
    )


def _bank_transaction_code(entry: etree._Element) -> str | None:
    domain = text(entry, "BkTxCd/Domn/Cd")
    family = text(entry, "BkTxCd/Domn/Fmly/Cd")
    sub_family = text(entry, "BkTxCd/Domn/Fmly/SubFmlyCd")
    if domain is not None:
        return "/".join(part for part in (domain, family, sub_family) if part)
    return text(entry, "BkTxCd/Prtry/Cd")


def _party(
    details: etree._Element, direction: Direction
) -> tuple[str | None, str | None]:
    # The counterparty of a credit is the debtor who paid, of a debit the creditor.
    role = "Dbtr" if direction is Direction.CREDIT else "Cdtr"
    parties = find(details, "RltdPties")
    name = text(parties, f"{role}/Nm") or text(parties, f"{role}/Pty/Nm")
    account = (
        text(parties, f"{role}Acct/Id/IBAN")
        or text(parties, f"{role}Acct/Id/Othr/Id")
        or text(parties, f"{role}Acct/Id/PrxyId/Id")
    )
    return name, account


def _remittance(details: etree._Element) -> list[str]:
    lines = [
        (item.text or "").strip()
        for item in find_all(details, "RmtInf/Ustrd")
        if (item.text or "").strip()
    ]
    for reference in find_all(details, "RmtInf/Strd/CdtrRefInf/Ref"):
        if (reference.text or "").strip():
            lines.append(f"creditor reference {(reference.text or '').strip()}")
    return lines


def _customer_reference(details: etree._Element) -> str | None:
    for path in ("Refs/InstrId", "Refs/PmtInfId", "Refs/MsgId", "Refs/TxId"):
        value = text(details, path)
        if value is not None and value != "NOTPROVIDED":
            return value
    return None


def _end_to_end(details: etree._Element) -> str | None:
    value = text(details, "Refs/EndToEndId")
    return None if value in {None, "NOTPROVIDED"} else value


def _single_details(
    details: etree._Element, direction: Direction, info: str | None
) -> dict[str, Any]:
    name, account = _party(details, direction)
    lines = _remittance(details)
    if info is not None:
        lines.append(info)
    return {
        "customer_reference": _customer_reference(details),
        "end_to_end_id": _end_to_end(details),
        "counterparty_name": name,
        "counterparty_account": account,
        "remittance_info": "\n".join(lines) or None,
    }


def _batch_details(
    details: list[etree._Element],
    direction: Direction,
    *,
    where: str,
    info: str | None,
) -> dict[str, Any]:
    lines = [info] if info is not None else []
    if details:
        lines.append(f"batch of {len(details)} transactions:")
    for index, part in enumerate(details, start=1):
        location = f"{where}/TxDtls[{index}]"
        lines.append(_describe_part(part, direction, index=index, where=location))
    payment_info = {text(part, "Refs/PmtInfId") for part in details} - {None}
    return {
        "customer_reference": payment_info.pop() if len(payment_info) == 1 else None,
        "remittance_info": "\n".join(lines) or None,
    }


def _describe_part(
    part: etree._Element, direction: Direction, *, index: int, where: str
) -> str:
    pieces: list[str] = []
    amount_element = find(part, "AmtDtls/TxAmt/Amt")
    if amount_element is None:
        amount_element = find(part, "Amt")
    if amount_element is not None:
        amount = read_amount(amount_element, where=where)
        indicator = text(part, "CdtDbtInd")
        sign = " DBIT" if indicator == "DBIT" else ""
        pieces.append(f"{amount.amount} {amount.currency}{sign}")
    for label, path in (
        ("end-to-end", "Refs/EndToEndId"),
        ("instruction", "Refs/InstrId"),
    ):
        value = text(part, path)
        if value is not None and value != "NOTPROVIDED":
            pieces.append(f"{label} {value}")
    name, account = _party(part, direction)
    pieces.extend(value for value in (name, account) if value)
    pieces.extend(_remittance(part))
    return f"[{index}] " + " | ".join(pieces)
