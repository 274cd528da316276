"""SQL of the statements that parsed files have published."""

from collections.abc import Iterable
from datetime import UTC, datetime

from recon_common.events import StatementInfo
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from recon_ingest.models import LandedFile, SeenStatement

# Bound parameters per IN list; Oracle accepts at most 1,000 expressions in one.
_IN_LIST_SIZE = 500


async def find_seen_statements(
    session: AsyncSession,
    *,
    bank_id: str,
    fingerprints: Iterable[str],
    exclude_file_id: str,
) -> dict[str, tuple[SeenStatement, LandedFile]]:
    """Return the earlier statements and their files by fingerprint."""
    unique = sorted(set(fingerprints))
    found: dict[str, tuple[SeenStatement, LandedFile]] = {}
    for start in range(0, len(unique), _IN_LIST_SIZE):
        rows = await session.execute(
            select(SeenStatement, LandedFile)
            .join(LandedFile, LandedFile.file_id == SeenStatement.file_id)
            .where(
                SeenStatement.bank_id == bank_id,
                SeenStatement.fingerprint.in_(unique[start : start + _IN_LIST_SIZE]),
                SeenStatement.file_id != exclude_file_id,
            )
        )
        for seen, landed in rows:
            found[seen.fingerprint] = (seen, landed)
    return found


def add_seen_statements(
    session: AsyncSession,
    *,
    bank_id: str,
    file_id: str,
    statements: Iterable[tuple[str, StatementInfo]],
) -> int:
    """Add one row per fingerprint and statement, skipping repeats within the file."""
    now = datetime.now(UTC)
    added: set[str] = set()
    for fingerprint, statement in statements:
        if fingerprint in added:
            continue
        added.add(fingerprint)
        opening, closing = statement.opening_booked, statement.closing_booked
        session.add(
            SeenStatement(
                bank_id=bank_id,
                fingerprint=fingerprint,
                account=statement.account,
                statement_id=statement.statement_id,
                sequence=statement.sequence,
                opening_amount=opening.amount if opening else None,
                opening_currency=opening.currency if opening else None,
                opening_date=opening.date if opening else None,
                closing_amount=closing.amount if closing else None,
                closing_currency=closing.currency if closing else None,
                closing_date=closing.date if closing else None,
                file_id=file_id,
                source_location=statement.source_location[:200],
                seen_at=now,
            )
        )
    return len(added)
