"""Applying `matches-produced` chunks to the read model.

Each chunk is applied as upserts keyed by natural ids, so a redelivered chunk leaves
the tables as they were. A transaction's `status`, `group_id`, `reconciliation_id`
and `break_outcome` are derived from the match items, open breaks and break outcomes
after every chunk, for every transaction the chunk names, so the result does not
depend on which chunk arrives first. `readmodel.breaks` orders the changes of one
break by the time their messages were sent. A matched transaction never keeps an
open break. Groups that an operator
action or a re-run dissolved are deleted first, so their items can take the breaks
that the same message opens.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from recon_common.events import (
    Comment,
    Contract,
    FileRef,
    MatchesProduced,
    MatchGroup,
    ReconciliationSummary,
    Transaction,
)
from sqlalchemy.ext.asyncio import AsyncSession

from recon_reporting.models import (
    ReportBreak,
    ReportBreakOutcome,
    ReportComment,
    ReportFile,
    ReportMatchGroup,
    ReportMatchItem,
    ReportReconciliation,
    ReportTransaction,
    TransactionStatus,
    account_suffix,
)
from recon_reporting.readmodel import repository
from recon_reporting.readmodel.breaks import (
    apply_break_updates,
    apply_opened_breaks,
    load_outcomes,
)

_FILE_FIELDS = frozenset(ReportFile.__table__.columns.keys()) - {"warnings"}
_TRANSACTION_FIELDS = frozenset(ReportTransaction.__table__.columns.keys()) - {
    "account_suffix",
    "status",
    "reconciliation_id",
    "group_id",
    "break_outcome",
}


@dataclass(frozen=True, slots=True)
class AppliedChunk:
    """Counts of what one chunk carried."""

    files: int
    transactions: int
    groups: int
    opened_breaks: int
    closed_breaks: int


def _copy_fields(row: Any, source: Contract, fields: Iterable[str]) -> None:
    # Attributes, not model_dump(): the dump turns Money fields into strings.
    for field in fields:
        value = getattr(source, field)
        setattr(row, field, value.value if isinstance(value, Enum) else value)


async def _upsert_files(session: AsyncSession, files: list[FileRef]) -> None:
    existing = await repository.load_by_key(
        session, ReportFile, ReportFile.file_id, [file.file_id for file in files]
    )
    for file in files:
        row = existing.get(file.file_id)
        if row is None:
            row = ReportFile(file_id=file.file_id)
            session.add(row)
            existing[file.file_id] = row
        _copy_fields(row, file, _FILE_FIELDS)
        row.warnings = json.dumps(file.warnings) if file.warnings else None


async def _upsert_transactions(
    session: AsyncSession, transactions: list[Transaction]
) -> None:
    ids = [transaction.transaction_id for transaction in transactions]
    existing = await repository.load_by_key(
        session, ReportTransaction, ReportTransaction.transaction_id, ids
    )
    for transaction in transactions:
        row = existing.get(transaction.transaction_id)
        if row is None:
            row = ReportTransaction(status=TransactionStatus.PENDING.value)
            session.add(row)
            existing[transaction.transaction_id] = row
        _copy_fields(row, transaction, _TRANSACTION_FIELDS)
        row.account_suffix = account_suffix(transaction.account)


async def _upsert_groups(session: AsyncSession, groups: list[MatchGroup]) -> None:
    group_ids = [group.group_id for group in groups]
    existing = await repository.load_by_key(
        session, ReportMatchGroup, ReportMatchGroup.group_id, group_ids
    )
    items = await repository.load_group_items(session, group_ids=group_ids)
    kept: set[tuple[str, str]] = set()
    for group in groups:
        row = existing.get(group.group_id)
        if row is None:
            row = ReportMatchGroup(group_id=group.group_id)
            session.add(row)
            existing[group.group_id] = row
        _copy_fields(row, group, ReportMatchGroup.__table__.columns.keys())
        for position, transaction_id in enumerate(group.transaction_ids):
            key = (group.group_id, transaction_id)
            kept.add(key)
            item = items.get(key)
            if item is None:
                item = ReportMatchItem(group_id=group.group_id, transaction_id=key[1])
                session.add(item)
                items[key] = item
            item.position = position
    for key, item in items.items():
        if key not in kept:
            await session.delete(item)


async def _upsert_comments(session: AsyncSession, comments: list[Comment]) -> None:
    existing = await repository.load_by_key(
        session,
        ReportComment,
        ReportComment.comment_id,
        [comment.comment_id for comment in comments],
    )
    for comment in comments:
        if comment.comment_id in existing:
            continue
        row = ReportComment(comment_id=comment.comment_id)
        _copy_fields(row, comment, ReportComment.__table__.columns.keys())
        session.add(row)


async def _upsert_summaries(
    session: AsyncSession,
    summaries: list[ReconciliationSummary],
    *,
    run_id: str,
    reported_at: datetime,
) -> None:
    ids = [summary.reconciliation_id for summary in summaries]
    existing = await repository.load_by_key(
        session, ReportReconciliation, ReportReconciliation.reconciliation_id, ids
    )
    for summary in summaries:
        row = existing.get(summary.reconciliation_id)
        if row is None:
            row = ReportReconciliation(reconciliation_id=summary.reconciliation_id)
            session.add(row)
            existing[summary.reconciliation_id] = row
        elif row.reported_at > reported_at:
            continue
        _copy_fields(row, summary, ReconciliationSummary.model_fields)
        row.run_id = run_id
        row.reported_at = reported_at


async def refresh_links(session: AsyncSession, *, transaction_ids: set[str]) -> None:
    """Derive status, group, reconciliation and break outcome of `transaction_ids`."""
    rows = await repository.load_by_key(
        session, ReportTransaction, ReportTransaction.transaction_id, transaction_ids
    )
    links = await repository.load_items(session, transaction_ids=transaction_ids)
    breaks = await repository.load_by_key(
        session, ReportBreak, ReportBreak.transaction_id, transaction_ids
    )
    outcomes = await load_outcomes(session, transaction_ids=transaction_ids)
    for transaction_id in transaction_ids:
        link = links.get(transaction_id)
        open_break = breaks.get(transaction_id)
        if link is not None and open_break is not None:
            await session.delete(open_break)
            open_break = None
        row = rows.get(transaction_id)
        if row is None:
            continue
        status = _derive_status(
            row,
            link=link,
            open_break=open_break,
            outcome=outcomes.get(transaction_id),
        )
        row.status = status.value


def _derive_status(
    row: ReportTransaction,
    *,
    link: tuple[str, str] | None,
    open_break: ReportBreak | None,
    outcome: ReportBreakOutcome | None,
) -> TransactionStatus:
    """Set the group, reconciliation and break outcome of `row`, return its status."""
    # Without an outcome row, as for breaks ended before the table existed, the
    # transaction keeps the break_outcome it has.
    if outcome is not None:
        row.break_outcome = outcome.outcome
        if outcome.outcome is not None:
            row.reconciliation_id = outcome.reconciliation_id
    if link is not None:
        row.group_id, row.reconciliation_id = link
        row.break_outcome = None
        return TransactionStatus.MATCHED
    row.group_id = None
    if open_break is not None:
        row.reconciliation_id = open_break.reconciliation_id
        row.break_outcome = None
        return TransactionStatus.OPEN
    if row.break_outcome is not None:
        return TransactionStatus(row.break_outcome)
    if row.reconciliation_id is None:
        return TransactionStatus.UNASSIGNED
    return TransactionStatus.PENDING


async def apply_chunk(
    session: AsyncSession, *, payload: MatchesProduced, reported_at: datetime
) -> AppliedChunk:
    """Upsert one `matches-produced` chunk into the read model and flush."""
    dissolved_items = await repository.dissolve_groups(
        session, group_ids=payload.dissolved_group_ids
    )
    await _upsert_files(session, payload.files)
    await _upsert_transactions(session, payload.transactions)
    await _upsert_groups(session, payload.groups)
    await session.flush()

    await repository.delete_breaks(session, transaction_ids=payload.closed_break_ids)
    opened_ids = {item.transaction_id for item in payload.opened_breaks}
    matched_ids = set(await repository.load_items(session, transaction_ids=opened_ids))
    await apply_opened_breaks(
        session, payload.opened_breaks, matched_ids=matched_ids, sent_at=reported_at
    )
    await apply_break_updates(session, payload.updated_breaks, sent_at=reported_at)
    await _upsert_comments(session, payload.comments)
    await _upsert_summaries(
        session, payload.summaries, run_id=payload.run_id, reported_at=reported_at
    )
    await session.flush()

    touched = {transaction.transaction_id for transaction in payload.transactions}
    touched.update(tid for group in payload.groups for tid in group.transaction_ids)
    touched.update(opened_ids)
    touched.update(payload.closed_break_ids)
    touched.update(dissolved_items)
    touched.update(item.transaction_id for item in payload.updated_breaks)
    await refresh_links(session, transaction_ids=touched)
    await session.flush()
    return AppliedChunk(
        files=len(payload.files),
        transactions=len(payload.transactions),
        groups=len(payload.groups),
        opened_breaks=len(payload.opened_breaks),
        closed_breaks=len(payload.closed_break_ids),
    )
