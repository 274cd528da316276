"""Generated camt.053 documents for the streaming tests."""

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TextIO

ACCOUNT = "DE89370400440532013000"
_FIRST_DAY = date(2026, 12, 1)
# Entries per statement in `write_camt053`.
STATEMENT_ENTRIES = 1000


@dataclass(frozen=True)
class CamtStatement:
    """One statement: its number picks the id, sequence, day and entry amounts."""

    number: int
    entries: int
    opening: Decimal = Decimal("1000.00")

    @property
    def day(self) -> date:
        return _FIRST_DAY + timedelta(days=self.number % 28)

    def amounts(self) -> Iterator[Decimal]:
        """Yield signed entry amounts: credits and debits of cents to thousands."""
        for index in range(self.entries):
            cents = (index * 7919 + self.number * 104729) % 500_000 + 1
            amount = Decimal(cents).scaleb(-2)
            yield amount if index % 3 else -amount

    def closing(self) -> Decimal:
        return self.opening + sum(self.amounts(), Decimal(0))


def camt053(*statements: CamtStatement) -> bytes:
    """Return a camt.053.001.08 document with `statements`."""
    out = io.StringIO()
    _write(out, statements)
    return out.getvalue().encode()


def write_camt053(path: Path, *, target_bytes: int) -> int:
    """Write statements of about `target_bytes` in all to `path`; return entry count.

    Each statement has at most `STATEMENT_ENTRIES` entries, as a day of one account
    would, because the parser keeps each open statement's entry amounts for its
    balance check.
    """
    entries = max(1, target_bytes // len(_entry(Decimal("1234.56"), _FIRST_DAY, 1)))
    full, rest = divmod(entries, STATEMENT_ENTRIES)
    statements = [
        CamtStatement(number=number, entries=STATEMENT_ENTRIES)
        for number in range(1, full + 1)
    ]
    if rest:
        statements.append(CamtStatement(number=full + 1, entries=rest))
    with path.open("w", encoding="utf-8") as out:
        _write(out, statements)
    return entries


def _write(out: TextIO, statements: Iterable[CamtStatement]) -> None:
    out.write(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">'
        "<BkToCstmrStmt><GrpHdr><MsgId>TEST-1</MsgId>"
        "<CreDtTm>2026-12-04T06:00:00Z</CreDtTm></GrpHdr>\n"
    )
    for statement in statements:
        out.write(_header(statement))
        for index, amount in enumerate(statement.amounts(), start=1):
            out.write(
                _entry(amount, statement.day, statement.number * 1_000_000 + index)
            )
        out.write("</Stmt>\n")
    out.write("</BkToCstmrStmt></Document>\n")


def _balance(code: str, amount: Decimal, on: date) -> str:
    indicator = "CRDT" if amount >= 0 else "DBIT"
    return (
        f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>"
        f'<Amt Ccy="EUR">{abs(amount):.2f}</Amt><CdtDbtInd>{indicator}</CdtDbtInd>'
        f"<Dt><Dt>{on.isoformat()}</Dt></Dt></Bal>"
    )


def _header(statement: CamtStatement) -> str:
    number, day = statement.number, statement.day
    return (
        f"<Stmt><Id>STMT{number:08d}</Id><ElctrncSeqNb>{number}</ElctrncSeqNb>"
        f"<CreDtTm>{day.isoformat()}T23:00:00Z</CreDtTm>"
        f"<Acct><Id><IBAN>{ACCOUNT}</IBAN></Id><Ccy>EUR</Ccy></Acct>"
        f"{_balance('OPBD', statement.opening, day)}"
        f"{_balance('CLBD', statement.closing(), day)}\n"
    )


def _entry(amount: Decimal, on: date, reference: int) -> str:
    indicator = "CRDT" if amount >= 0 else "DBIT"
    party = "Dbtr" if amount >= 0 else "Cdtr"
    return (
        f'<Ntry><Amt Ccy="EUR">{abs(amount):.2f}</Amt>'
        f"<CdtDbtInd>{indicator}</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>"
        f"<BookgDt><Dt>{on}</Dt></BookgDt><ValDt><Dt>{on}</Dt></ValDt>"
        f"<AcctSvcrRef>REF{reference:012d}</AcctSvcrRef>"
        "<NtryDtls><TxDtls><Refs>"
        f"<EndToEndId>E2E{reference:012d}</EndToEndId></Refs>"
        f"<RltdPties><{party}><Pty><Nm>Counterparty {reference % 97}</Nm></Pty>"
        f"</{party}></RltdPties>"
        f"<RmtInf><Ustrd>Invoice {reference} of the streaming test</Ustrd></RmtInf>"
        "</TxDtls></NtryDtls></Ntry>\n"
    )
