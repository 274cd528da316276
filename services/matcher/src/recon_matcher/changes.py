"""Changes of a matching run or an operator action, and their `matches-produced`.

Every change reaches the reporting read model through `matches-produced` messages in
the outbox, written in the same transaction as the change. The lists of one change
are split over as many messages as the longest list needs, so no message exceeds
`chunk_size` items per list.
"""

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime

from recon_common.events import (
    TOPIC_MATCHES_PRODUCED,
    Break,
    Comment,
    FileRef,
    MatchesProduced,
    MatchGroup,
    ReconciliationSummary,
    Transaction,
)
from recon_common.outbox import enqueue
from sqlalchemy.ext.asyncio import AsyncSession

from recon_matcher.models import OutboxMessage
from recon_matcher.settings import MatcherSettings


@dataclass
class MatchChanges:
    """Transactions, groups, breaks and comments that one run or action changed."""

    transactions: list[Transaction] = field(default_factory=list)
    groups: list[MatchGroup] = field(default_factory=list)
    opened_breaks: list[Break] = field(default_factory=list)
    closed_break_ids: list[str] = field(default_factory=list)
    dissolved_group_ids: list[str] = field(default_factory=list)
    updated_breaks: list[Break] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    summaries: list[ReconciliationSummary] = field(default_factory=list)


def publish_changes(
    session: AsyncSession,
    *,
    changes: MatchChanges,
    settings: MatcherSettings,
    key: str,
    run_id: str,
    files: list[FileRef] | None = None,
    action: str | None = None,
    actor: str | None = None,
) -> int:
    """Queue `changes` as `matches-produced` messages and return how many."""
    size = settings.chunk_size
    # Dissolved groups go first, in messages of their own: the read model skips an
    # opened break whose item it still finds in a group, and the messages of one key
    # are applied in order.
    dissolved = [
        changes.dissolved_group_ids[start : start + size]
        for start in range(0, len(changes.dissolved_group_ids), size)
    ]
    lists = (
        changes.transactions,
        changes.groups,
        changes.opened_breaks,
        changes.closed_break_ids,
        changes.updated_breaks,
        changes.comments,
    )
    rest_count = max(1, *(math.ceil(len(items) / size) for items in lists))
    chunk_count = len(dissolved) + rest_count
    for index, group_ids in enumerate(dissolved):
        message = MatchesProduced(
            run_id=run_id,
            chunk_index=index,
            chunk_count=chunk_count,
            dissolved_group_ids=group_ids,
            action=action,
            actor=actor,
        )
        _enqueue(session, settings=settings, message=message, key=key)
    for index in range(rest_count):
        window = slice(index * size, (index + 1) * size)
        message = MatchesProduced(
            run_id=run_id,
            chunk_index=len(dissolved) + index,
            chunk_count=chunk_count,
            files=files or [],
            transactions=changes.transactions[window],
            groups=changes.groups[window],
            opened_breaks=changes.opened_breaks[window],
            closed_break_ids=changes.closed_break_ids[window],
            updated_breaks=changes.updated_breaks[window],
            comments=changes.comments[window],
            summaries=changes.summaries,
            action=action,
            actor=actor,
        )
        _enqueue(session, settings=settings, message=message, key=key)
    return chunk_count


def _enqueue(
    session: AsyncSession,
    *,
    settings: MatcherSettings,
    message: MatchesProduced,
    key: str,
) -> None:
    enqueue(
        session,
        OutboxMessage,
        settings=settings,
        topic=TOPIC_MATCHES_PRODUCED,
        payload=message,
        key=key,
    )


def new_run_id(prefix: str) -> str:
    """Return a run id made of `prefix` and the current time."""
    return f"{prefix}:{datetime.now(UTC).isoformat()}"
