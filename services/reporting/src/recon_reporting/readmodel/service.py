"""Applying `matches-produced` chunks to the read model.

Each chunk is applied as upserts keyed by natural ids, so a redelivered chunk leaves
the tables as they were. A transaction's `status`, `group_id` and `reconciliation_id`
are derived from the match items and open breaks after every chunk, for every
transaction the chunk names, so the result does not depend on which chunk arrives
first. A matched transaction never keeps an open break. Groups that an operator
action or a re-run dissolved are deleted first, so their items can take the breaks
that the same message opens.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from recon_common.events import (
    Break,
    BreakState,
    Comment,
    Contract,
    FileRef,
    MatchesProduced,
    MatchGroup,
    ReconciliationSummary,
    Transaction,
)
from sqlalchemy.ext.asyncio import AsyncSession

from recon_reporting.breaks.service import age_start
from recon_reporting.models import (
    ReportBreak,
    ReportComment,
    ReportFile,
    ReportMatchGroup,
    ReportMatchItem,
    ReportReconciliation,
    ReportTransaction,
    TransactionStatus,
)
from recon_reporting.readmodel import repository

_TRANSACTION_FIELDS = frozenset(ReportTransaction.__table__.columns.keys()) - {
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
        _copy_fields(row, file, ReportFile.__table__.columns.keys())


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


async def _upsert_breaks(
    session: AsyncSession, breaks: list[Break], *, matched_ids: set[str]
) -> None:
    ids = [item.transaction_id for item in breaks]
    existing = await repository.load_by_key(
        session, ReportBreak, ReportBreak.transaction_id, ids
    )
    for item in breaks:
        if item.transaction_id in matched_ids:
            continue
        row = existing.get(item.transaction_id)
        if row is None:
            row = ReportBreak(transaction_id=item.transaction_id)
            session.add(row)
            existing[item.transaction_id] = row
        _copy_break(row, item)


def _copy_break(row: ReportBreak, item: Break) -> None:
    row.reconciliation_id = item.reconciliation_id
    row.side = item.side
    row.reason = item.reason.value
    row.opened_at = item.opened_at
    row.state = item.state.value
    row.assignee = item.assignee
    row.age_basis = item.age_basis.value
    row.age_date = age_start(age_date=item.age_date, opened_at=item.opened_at)
    row.amount_band = item.amount_band
    row.pending_approval_id = item.pending_approval_id
    row.pending_action = item.pending_action
    row.requested_by = item.requested_by


async def _apply_break_updates(session: AsyncSession, breaks: list[Break]) -> None:
    """Apply state changes; a written-off or closed break leaves the open list."""
    ended_breaks = {
        item.transaction_id: item
        for item in breaks
        if item.state in (BreakState.WRITTEN_OFF, BreakState.CLOSED)
    }
    ended = list(ended_breaks)
    await repository.delete_breaks(session, transaction_ids=ended)
    transactions = await repository.load_by_key(
        session, ReportTransaction, ReportTransaction.transaction_id, ended
    )
    # NOTE: the outcome is lost if the transaction has not reached the read model
    # yet, because only transaction rows store it.
    for transaction_id, transaction in transactions.items():
        ended_break = ended_breaks[transaction_id]
        transaction.break_outcome = ended_break.state.value
        transaction.reconciliation_id = ended_break.reconciliation_id
    live = [item for item in breaks if item.transaction_id not in set(ended)]
    existing = await repository.load_by_key(
        session,
        ReportBreak,
        ReportBreak.transaction_id,
        [item.transaction_id for item in live],
    )
    for item in live:
        row = existing.get(item.transaction_id)
        if row is None:
            row = ReportBreak(transaction_id=item.transaction_id)
            session.add(row)
            existing[item.transaction_id] = row
        _copy_break(row, item)


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
    """Derive status, group and reconciliation of `transaction_ids` from the tables."""
    rows = await repository.load_by_key(
        session, ReportTransaction, ReportTransaction.transaction_id, transaction_ids
    )
    links = await repository.load_items(session, transaction_ids=transaction_ids)
    breaks = await repository.load_by_key(
        session, ReportBreak, ReportBreak.transaction_id, transaction_ids
    )
    for transaction_id in transaction_ids:
        link = links.get(transaction_id)
        open_break = breaks.get(transaction_id)
        if link is not None and open_break is not None:
            await session.delete(open_break)
            open_break = None
        row = rows.get(transaction_id)
        if row is None:
            continue
        row.status = _derive_status(row, link=link, open_break=open_break).value


def _derive_status(
    row: ReportTransaction,
    *,
    link: tuple[str, str] | None,
    open_break: ReportBreak | None,
) -> TransactionStatus:
    """Set the group and reconciliation of `row` and return its status."""
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
    await _upsert_breaks(session, payload.opened_breaks, matched_ids=matched_ids)
    await _apply_break_updates(session, payload.updated_breaks)
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
