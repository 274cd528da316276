"""Find statements in a parsed file that an earlier file already published.

A statement is identified by its account, statement id (MT :20:, camt `Stmt/Id`),
sequence number (MT :28C:, camt `ElctrncSeqNb` or `LglSeqNb`) and its opening and
closing booked balances with currency and date. A statement with neither an id, a
sequence number nor both booked balances cannot be distinguished from the next one
of its account, so it is never treated as a repeat.

The kind of message is part of the identity too: an end-of-day statement (MT940,
MT950, camt.053) is never a repeat of an intraday report (MT942, camt.052) or a
notification (camt.054), so an early report cannot suppress the final statement. The
same statement sent as MT950 and as its camt.053 translation is a repeat.
"""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from recon_common.events import Balance, StatementInfo, Transaction
from sqlalchemy.ext.asyncio import AsyncSession

from recon_ingest.models import LandedFile
from recon_ingest.parsers import ParseResult
from recon_ingest.parsing import repository


@dataclass(frozen=True)
class RepeatedStatement:
    """A statement of the new file and the earlier file that published it."""

    index: int
    statement: StatementInfo
    earlier_file: LandedFile

    def describe(self) -> str:
        """Return a sentence naming the statement and the earlier file."""
        earlier = self.earlier_file
        return (
            f"statement at {self.statement.source_location} (statement id "
            f"{self.statement.statement_id or '-'}, sequence "
            f"{self.statement.sequence or '-'}) was already published from file "
            f"{earlier.filename} ({earlier.file_id}) landed at "
            f"{earlier.landed_at.isoformat()}"
        )


_MESSAGE_KINDS = {
    "mt940": "statement",
    "mt950": "statement",
    "camt.053": "statement",
    "mt942": "report",
    "camt.052": "report",
    "camt.054": "notification",
}


def statement_fingerprint(
    statement: StatementInfo, *, source_format: str
) -> str | None:
    """Return the SHA-256 identity of `statement`, or None if it has too little."""
    opening, closing = statement.opening_booked, statement.closing_booked
    has_balances = opening is not None and closing is not None
    if not (statement.statement_id or statement.sequence or has_balances):
        return None
    parts = [
        _MESSAGE_KINDS.get(source_format, source_format),
        statement.account,
        statement.statement_id or "",
        statement.sequence or "",
        _balance_key(opening),
        _balance_key(closing),
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _balance_key(balance: Balance | None) -> str:
    if balance is None:
        return ""
    amount = format(Decimal(balance.amount).normalize(), "f")
    return f"{amount} {balance.currency} {balance.date.isoformat()}"


async def find_repeated_statements(
    session: AsyncSession, *, bank_id: str, file_id: str, result: ParseResult
) -> list[RepeatedStatement]:
    """Return the statements of `result` that another file already published."""
    fingerprints = [
        statement_fingerprint(s, source_format=result.source_format)
        for s in result.statements
    ]
    seen = await repository.find_seen_statements(
        session,
        bank_id=bank_id,
        fingerprints=[f for f in fingerprints if f is not None],
        exclude_file_id=file_id,
    )
    repeats: list[RepeatedStatement] = []
    for index, (statement, fingerprint) in enumerate(
        zip(result.statements, fingerprints, strict=True)
    ):
        if fingerprint is not None and fingerprint in seen:
            _, earlier_file = seen[fingerprint]
            repeats.append(RepeatedStatement(index, statement, earlier_file))
    return repeats


def record_statements(
    session: AsyncSession,
    *,
    bank_id: str,
    file_id: str,
    result: ParseResult,
) -> int:
    """Remember the published statements of a file; return how many were added."""
    identified = [
        (statement_fingerprint(s, source_format=result.source_format), s)
        for s in result.statements
    ]
    return repository.add_seen_statements(
        session,
        bank_id=bank_id,
        file_id=file_id,
        statements=[(f, s) for f, s in identified if f is not None],
    )


def without_statements(
    result: ParseResult, repeats: list[RepeatedStatement]
) -> ParseResult:
    """Return `result` without the repeated statements and their transactions.

    A streamed result has no transactions. Its caller leaves them out with
    `StatementFilter`, built from the same `result` and `repeats`.
    """
    skipped = {repeat.index for repeat in repeats}
    statement_filter = StatementFilter(
        result.statements, repeats, transaction_count=len(result.transactions)
    )
    statements = [s for i, s in enumerate(result.statements) if i not in skipped]
    transactions = [
        transaction
        for position, transaction in enumerate(result.transactions)
        if statement_filter.keeps(position, transaction)
    ]
    warnings = [
        f"{repeat.describe()}, so its {repeat.statement.transaction_count} "
        "transactions were skipped"
        for repeat in repeats
    ]
    return ParseResult(
        source_format=result.source_format,
        record_kind=result.record_kind,
        encoding=result.encoding,
        statements=statements,
        transactions=transactions,
        warnings=[*result.warnings, *warnings],
    )


class StatementFilter:
    """Tell whether a transaction of a file belongs to no repeated statement.

    Every parser appends a statement's transactions in one run, so where the
    statements' counts add up to the file's transaction count, they partition the
    transactions by position. Where they do not add up, each transaction belongs to
    the first statement with its account, statement id and sequence number, and a
    transaction that matches no statement is always kept.
    """

    def __init__(
        self,
        statements: list[StatementInfo],
        repeats: list[RepeatedStatement],
        *,
        transaction_count: int,
    ) -> None:
        skipped = {repeat.index for repeat in repeats}
        counts = [statement.transaction_count for statement in statements]
        self._by_position = sum(counts) == transaction_count
        # Position ranges [start, end) of the skipped statements' transactions.
        self._ranges: list[tuple[int, int]] = []
        start = 0
        for index, count in enumerate(counts):
            if index in skipped:
                self._ranges.append((start, start + count))
            start += count
        first_by_key: dict[tuple[str, str | None, str | None], int] = {}
        for index, statement in enumerate(statements):
            key = (statement.account, statement.statement_id, statement.sequence)
            first_by_key.setdefault(key, index)
        self._skipped_keys = {
            key for key, index in first_by_key.items() if index in skipped
        }

    def keeps(self, position: int, transaction: Transaction) -> bool:
        """Return whether the transaction at 0-based `position` is kept."""
        if self._by_position:
            return not any(start <= position < end for start, end in self._ranges)
        key = (
            transaction.account,
            transaction.statement_id,
            transaction.statement_sequence,
        )
        return key not in self._skipped_keys

    def skipped_count(
        self, key_counts: Mapping[tuple[str, str | None, str | None], int]
    ) -> int:
        """Return how many transactions `keeps` leaves out.

        `key_counts` is the number of transactions per account, statement id and
        sequence number, which the count needs where positions do not apply.
        """
        if self._by_position:
            return sum(end - start for start, end in self._ranges)
        return sum(key_counts.get(key, 0) for key in self._skipped_keys)
