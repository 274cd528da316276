"""Stream ISO 20022 camt.052, camt.053 and camt.054 documents.

Elements are matched on local names, so every version from 001.01 to 001.13 and any
bank envelope around the `Document` read the same way. The document is parsed with
`iterparse` and each statement's entries are cleared once read, so memory stays flat
for large files. Entity resolution, DTD loading and network access are off, and a
document that declares a DOCTYPE or entities is rejected before parsing, because
entity expansion ("billion laughs") is the usual XML denial-of-service attack.
"""

import io
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

from lxml import etree
from recon_common.events import Balance, Direction

from recon_ingest.parsers.camt_entry import read_amount, read_date, read_entry
from recon_ingest.parsers.context import ParseContext, StatementTotals, check_statement
from recon_ingest.parsers.model import ParseRejected
from recon_ingest.parsers.xml_paths import local_name, text

_CONTAINERS = frozenset({"Stmt", "Rpt", "Ntfctn"})
_DECLARATIONS = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"^\s*<\?xml[^>]*encoding=[\"']([A-Za-z0-9._-]+)[\"']")
_OPENING_CODES = ("OPBD", "PRCD")
# Bytes read from the start of a file to find an XML declaration and a DOCTYPE.
_PROLOG_BYTES = 64 * 1024


@dataclass
class _Statement:
    element: etree._Element
    location: str
    statement_id: str | None = None
    sequence: str | None = None
    account: str | None = None
    opening: Balance | None = None
    opening_code: str | None = None
    closing: Balance | None = None
    available: Balance | None = None
    entry_count: int = 0
    statement_date: date | None = None
    undated_entries: int = 0
    booked: list[tuple[Direction, Decimal]] = field(default_factory=list)
    not_booked: dict[str, int] = field(default_factory=dict)


class _CamtReader:
    def __init__(self, context: ParseContext) -> None:
        self.context = context
        self.depth = 0
        self.container_counts: dict[str, int] = {}
        self.current: _Statement | None = None
        self.message_date: date | None = None

    def start(self, element: etree._Element) -> None:
        self.depth += 1
        if self.depth == 1 and element.getroottree().docinfo.doctype:
            raise ParseRejected(
                "XML document contains a DOCTYPE declaration; DTDs are rejected"
            )
        if self.depth > self.context.settings.max_xml_depth:
            raise ParseRejected(
                f"line {element.sourceline}: element {local_name(element)} is nested "
                f"deeper than {self.context.settings.max_xml_depth} levels "
                "(max_xml_depth)"
            )
        name = local_name(element)
        parent = element.getparent()
        if name in _CONTAINERS and parent is not None:
            if local_name(parent).startswith("BkToCstmr"):
                count = self.container_counts.get(name, 0) + 1
                self.container_counts[name] = count
                self.current = _Statement(element=element, location=f"{name}[{count}]")

    def end(self, element: etree._Element) -> None:
        self.depth -= 1
        statement = self.current
        if statement is None:
            parent = element.getparent()
            if local_name(element) == "CreDtTm" and parent is not None:
                if local_name(parent) == "GrpHdr":
                    self.message_date = _date_of(element)
            return
        if element is statement.element:
            self._finish(statement)
            self.current = None
            element.clear(keep_tail=True)
            return
        if element.getparent() is statement.element:
            self._child(statement, element)

    def _child(self, statement: _Statement, element: etree._Element) -> None:
        match local_name(element):
            case "Id":
                statement.statement_id = _own_text(element)
            case "ElctrncSeqNb":
                statement.sequence = _own_text(element)
            case "LglSeqNb":
                statement.sequence = statement.sequence or _own_text(element)
            case "CreDtTm":
                statement.statement_date = statement.statement_date or _date_of(element)
            case "FrToDt":
                to_date = _child_named(element, "ToDtTm")
                if to_date is not None:
                    statement.statement_date = _date_of(to_date)
            case "Acct":
                statement.account = (
                    text(element, "Id/IBAN")
                    or text(element, "Id/Othr/Id")
                    or text(element, "Id/PrxyId/Id")
                    or text(element, "Id/PrtryAcct/Id")
                    or text(element, "Id/BBAN")
                )
            case "Bal":
                self._balance(statement, element)
            case "Ntry":
                self._entry(statement, element)
            case _:
                return
        _release(element)

    def _balance(self, statement: _Statement, element: etree._Element) -> None:
        code = text(element, "Tp/CdOrPrtry/Cd")
        if code not in {*_OPENING_CODES, "CLBD", "CLAV"}:
            return
        where = f"{statement.location}/Bal[{code}]"
        amount = read_amount(_child_named(element, "Amt"), where=where)
        # NOTE: a few banks omit CdtDbtInd on zero or positive balances, so a missing
        # indicator is read as credit.
        indicator = text(element, "CdtDbtInd") or "CRDT"
        if indicator not in {"CRDT", "DBIT"}:
            raise ParseRejected(f'{where}/CdtDbtInd: "{indicator}" is not CRDT or DBIT')
        on = read_date(_child_named(element, "Dt"), where=f"{where}/Dt")
        if on is None:
            raise ParseRejected(f"{where}: Dt is missing")
        value = amount.amount if indicator == "CRDT" else -amount.amount
        balance = Balance(amount=value, currency=amount.currency, date=on)
        if code in _OPENING_CODES:
            # OPBD wins over PRCD when a bank sends both.
            if statement.opening is None or code == "OPBD":
                statement.opening, statement.opening_code = balance, code
        elif code == "CLBD":
            statement.closing = balance
        else:
            statement.available = balance

    def _entry(self, statement: _Statement, element: etree._Element) -> None:
        statement.entry_count += 1
        where = f"{statement.location}/Ntry[{statement.entry_count}]"
        if statement.account is None:
            raise ParseRejected(f"{statement.location}/Acct: account Id is missing")
        fallback = statement.statement_date or self.message_date
        entry = read_entry(element, where=where, fallback_date=fallback)
        statement.undated_entries += entry.undated
        self.context.add_transaction(
            account=statement.account,
            statement_id=statement.statement_id,
            statement_sequence=statement.sequence,
            **entry.fields,
        )
        if entry.booked:
            statement.booked.append((entry.direction, entry.amount))
        else:
            status = entry.status or "unknown"
            statement.not_booked[status] = statement.not_booked.get(status, 0) + 1

    def _finish(self, statement: _Statement) -> None:
        if statement.account is None:
            raise ParseRejected(f"{statement.location}/Acct: account Id is missing")
        info = check_statement(
            StatementTotals(
                account=statement.account,
                statement_id=statement.statement_id,
                sequence=statement.sequence,
                opening=statement.opening,
                closing=statement.closing,
                available=statement.available,
                entries=statement.booked,
                location=statement.location,
            ),
            settings=self.context.settings,
            intraday=self.context.source_format == "camt.052",
        )
        extra = [
            f"{count} entries with status {status} are included as transactions but "
            "left out of the balance check"
            for status, count in sorted(statement.not_booked.items())
        ]
        if statement.undated_entries:
            extra.append(
                f"{statement.undated_entries} entries have neither ValDt nor BookgDt, "
                f"so their value date is the statement date "
                f"{statement.statement_date or self.message_date}"
            )
        info = info.model_copy(
            update={
                "transaction_count": statement.entry_count,
                "warnings": [*info.warnings, *extra],
            }
        )
        self.context.statements.append(info)


def _date_of(element: etree._Element) -> date | None:
    value = _own_text(element) or ""
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _own_text(element: etree._Element) -> str | None:
    value = (element.text or "").strip()
    return value or None


def _child_named(element: etree._Element, name: str) -> etree._Element | None:
    return next((child for child in element if local_name(child) == name), None)


def _release(element: etree._Element) -> None:
    """Free a processed child and the siblings before it."""
    element.clear(keep_tail=True)
    parent = element.getparent()
    if parent is None:
        return
    while element.getprevious() is not None:
        del parent[0]


def parse_camt(data: bytes, *, context: ParseContext) -> str:
    """Parse a camt document into the context and return its encoding."""
    return _parse_source(io.BytesIO(data), head=data, context=context)


def parse_camt_path(path: Path, *, context: ParseContext) -> str:
    """Parse a camt document from a file, reading it in blocks; return its encoding.

    Only the file's first `_PROLOG_BYTES` are searched for DOCTYPE and ENTITY
    declarations, because XML allows them only in the prolog before the root element.
    A DOCTYPE further on is still rejected when the first element starts.
    """
    with path.open("rb") as stream:
        head = stream.read(_PROLOG_BYTES)
        stream.seek(0)
        return _parse_source(stream, head=head, context=context)


def _parse_source(source: BinaryIO, *, head: bytes, context: ParseContext) -> str:
    if _DECLARATIONS.search(head) is not None:
        raise ParseRejected(
            "XML document contains a DOCTYPE or ENTITY declaration; these are "
            "rejected to prevent entity expansion attacks"
        )
    declared = _XML_ENCODING.match(head)
    encoding = context.settings.encoding or (
        declared.group(1).decode("ascii").lower() if declared else "utf-8"
    )
    reader = _CamtReader(context)
    events = etree.iterparse(
        source,
        events=("start", "end"),
        encoding=context.settings.encoding,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        for event, element in events:
            if event == "start":
                reader.start(element)
            else:
                reader.end(element)
    except etree.XMLSyntaxError as error:
        raise ParseRejected(
            f"line {error.lineno}: XML is not well-formed: {error.msg}"
        ) from None
    if not reader.container_counts:
        raise ParseRejected("XML document has no Stmt, Rpt or Ntfctn element")
    return encoding
