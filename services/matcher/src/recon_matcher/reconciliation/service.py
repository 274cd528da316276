"""Applying a `transactions-parsed` chunk: store, assign, match, publish.

Everything for one chunk happens in the consumer's transaction: the new transactions,
their reconciliation and side, the groups the engine forms from them and the open
items, the breaks, and the `matches-produced` messages in the outbox. A crash
at any point rolls all of it back and the redelivered chunk starts again, so no
transaction is lost and none is matched twice. Matching is incremental: only the open
items of the reconciliations that received new items take part.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final

import structlog
from recon_common.collector import cyclic_collector_paused
from recon_common.events import (
    BreakReason,
    FileRef,
    FileStatus,
    MatchGroup,
    RecordKind,
    Transaction,
    TransactionsParsed,
)
from sqlalchemy.ext.asyncio import AsyncSession

from recon_matcher.breaks.records import LIVE_STATES, age_basis_for, reason_of
from recon_matcher.breaks.storage import (
    BreakItem,
    break_from_values,
    load_break_values,
    open_breaks,
    update_reasons,
)
from recon_matcher.changes import MatchChanges, new_run_id, publish_changes
from recon_matcher.definitions import Definition
from recon_matcher.definitions.routing import assign, is_intraday
from recon_matcher.engine import MatchResult, run_passes
from recon_matcher.engine.frame import bodies_to_frame
from recon_matcher.models import FileRecord, TransactionRecord
from recon_matcher.reconciliation import repository
from recon_matcher.reconciliation.bulk import insert_rows, table_of
from recon_matcher.reconciliation.groups import store_groups, tombstoned_ids
from recon_matcher.reconciliation.withdrawals import withdraw_grouped_requests
from recon_matcher.settings import MatcherSettings

log = structlog.get_logger(__name__)


_TRANSACTIONS: Final = table_of(TransactionRecord)

# The changes of one chunk, collected for the `matches-produced` messages.
ChunkOutcome = MatchChanges


async def apply_chunk(
    session: AsyncSession,
    *,
    chunk: TransactionsParsed,
    definitions: list[Definition],
    settings: MatcherSettings,
) -> ChunkOutcome:
    """Store a chunk's transactions, match what it touches and queue the results."""
    now = datetime.now(UTC)
    file_record = await _record_file(session, chunk.file)
    file_record.chunks_received += 1

    outcome = ChunkOutcome()
    known = await repository.existing_transaction_ids(
        session, (item.transaction_id for item in chunk.transactions)
    )
    new_items = [
        item for item in chunk.transactions if item.transaction_id not in known
    ]
    touched: dict[str, Definition] = {}
    new_ids: dict[str, list[str]] = {}
    unassigned: dict[tuple[str, str, bool], int] = {}
    rows: list[dict[str, Any]] = []
    for item in new_items:
        row = transaction_values(item, received_at=now)
        assignments = assign(item, definitions)
        if assignments:
            if len(assignments) > 1:
                log.warning(
                    "matcher.transaction.several_definitions",
                    transaction_id=item.transaction_id,
                    chosen=assignments[0].definition.id,
                )
            chosen = assignments[0]
            row["reconciliation_id"] = chosen.definition.id
            row["side"] = chosen.side.value
            touched[chosen.definition.id] = chosen.definition
            new_ids.setdefault(chosen.definition.id, []).append(item.transaction_id)
        else:
            intraday = is_intraday(item.source_format)
            key = (item.account, item.record_kind.value, intraday)
            unassigned[key] = unassigned.get(key, 0) + 1
        rows.append(row)
        outcome.transactions.append(item)
    await insert_rows(session, _TRANSACTIONS, rows)
    for (account_text, record_kind, intraday), count in unassigned.items():
        if intraday:
            # The end-of-day statement repeats these entries and is reconciled.
            log.info(
                "matcher.transactions.intraday_kept",
                file_id=chunk.file.file_id,
                account_suffix=account_text[-4:],
                record_kind=record_kind,
                count=count,
            )
            continue
        # Not matched and not a break: an operator must add a definition for it.
        log.warning(
            "matcher.transactions.unassigned",
            file_id=chunk.file.file_id,
            account_suffix=account_text[-4:],
            record_kind=record_kind,
            count=count,
            hint="no reconciliation definition selects this account",
        )

    for definition in touched.values():
        await _match_definition(
            session,
            definition=definition,
            new_ids=new_ids.get(definition.id, []),
            outcome=outcome,
            settings=settings,
            now=now,
        )
        outcome.summaries.append(
            await repository.reconciliation_summary(session, definition=definition)
        )

    # The matcher's file table keeps no warnings, so they come from the chunk.
    file_ref = _file_ref(file_record).model_copy(
        update={"warnings": chunk.file.warnings}
    )
    publish_changes(
        session,
        changes=outcome,
        settings=settings,
        key=file_ref.file_id,
        run_id=new_run_id(file_ref.file_id),
        files=[file_ref],
    )
    log.info(
        "matcher.chunk.applied",
        file_id=chunk.file.file_id,
        chunk=chunk.chunk_index,
        new_transactions=len(new_items),
        groups=len(outcome.groups),
        open_breaks_added=len(outcome.opened_breaks),
    )
    return outcome


async def _match_definition(
    session: AsyncSession,
    *,
    definition: Definition,
    new_ids: Sequence[str],
    outcome: ChunkOutcome,
    settings: MatcherSettings,
    now: datetime,
) -> None:
    records = await repository.open_transactions(
        session, reconciliation_id=definition.id, new_ids=new_ids
    )
    await match_records(
        session,
        definition=definition,
        records=records,
        settings=settings,
        changes=outcome,
        now=now,
    )


async def match_records(
    session: AsyncSession,
    *,
    definition: Definition,
    records: Mapping[str, repository.OpenItem],
    settings: MatcherSettings,
    changes: MatchChanges,
    now: datetime,
) -> None:
    """Match open `records`, store the groups and keep a break on every other one.

    `records` are the open items by transaction id, as `open_transactions`
    returns them.
    """
    # A large run builds a contract per group and a row per item, all alive until
    # the commit (see `recon_common.collector`).
    with cyclic_collector_paused():
        result = run_engine(definition, records.values())
        await store_result(
            session,
            definition=definition,
            formed=result.match_groups(
                matched_at=now, definition_version=definition.stored_version
            ),
            break_ids=result.unmatched_ids(),
            reasons=break_reasons(result),
            records=records,
            settings=settings,
            changes=changes,
            now=now,
        )


async def store_result(
    session: AsyncSession,
    *,
    definition: Definition,
    formed: Sequence[MatchGroup],
    break_ids: Sequence[str],
    reasons: dict[str, BreakReason],
    records: Mapping[str, BreakItem],
    settings: MatcherSettings,
    changes: MatchChanges,
    now: datetime,
) -> None:
    """Store one matching run: its groups, their items and the breaks.

    `formed` are the engine's groups and `break_ids` the items it left unmatched.
    `records` must contain every item that may get a break. A group that an
    operator dissolved before is not formed again, and its items stay open. A
    pending write-off or force-close request of a grouped item is withdrawn.

    The cyclic garbage collector is paused meanwhile. At 1,000,000 results,
    `bench/store_benchmark.py` stored in 23.8 s with it running and in 19.4 to
    20.1 s in three runs without it.
    """
    with cyclic_collector_paused():
        blocked = await tombstoned_ids(session, formed)
        await store_groups(
            session,
            groups=[(group, None) for group in formed if group.group_id not in blocked],
            changes=changes,
            now=now,
        )
        await withdraw_grouped_requests(
            session, definition=definition, settings=settings, now=now
        )
        await sync_breaks(
            session,
            definition=definition,
            unmatched=_with_blocked_items(list(break_ids), formed, blocked=blocked),
            reasons=reasons,
            records=records,
            settings=settings,
            changes=changes,
            now=now,
        )


def unmatched_ids(
    result: MatchResult, formed: Sequence[MatchGroup], *, blocked: set[str]
) -> list[str]:
    """Return the items without a group: the engine's breaks and blocked groups."""
    return _with_blocked_items(result.unmatched_ids(), formed, blocked=blocked)


def _with_blocked_items(
    ids: list[str], formed: Sequence[MatchGroup], *, blocked: set[str]
) -> list[str]:
    # A run usually meets no tombstone, so the million groups are walked only when
    # one of them is blocked.
    if blocked:
        for group in formed:
            if group.group_id in blocked:
                ids.extend(group.transaction_ids)
    return ids


def run_engine(
    definition: Definition, records: Iterable[repository.OpenItem]
) -> MatchResult:
    """Run the engine over stored records, split by their side."""
    bodies: dict[str, list[str]] = defaultdict(list)
    for record in records:
        bodies[record.side or ""].append(record.body)
    return run_passes(
        definition, bodies_to_frame(bodies["a"]), bodies_to_frame(bodies["b"])
    )


def break_reasons(result: MatchResult) -> dict[str, BreakReason]:
    """Return the engine's reason code per unmatched item, where it gives one."""
    reasons_of = getattr(result, "break_reasons", None)
    codes: dict[str, str] = reasons_of() if callable(reasons_of) else {}
    return {
        transaction_id: reason_of(codes, transaction_id) for transaction_id in codes
    }


async def sync_breaks(
    session: AsyncSession,
    *,
    definition: Definition,
    unmatched: Sequence[str],
    reasons: dict[str, BreakReason],
    records: Mapping[str, BreakItem],
    settings: MatcherSettings,
    changes: MatchChanges,
    now: datetime,
) -> None:
    """Open a break for each unmatched item without one and refresh the reasons."""
    existing = await load_break_values(session, unmatched)
    to_open: list[BreakItem] = []
    new_reasons: list[dict[str, Any]] = []
    for transaction_id in unmatched:
        reason = reasons.get(transaction_id, BreakReason.NO_COUNTERPART)
        row = existing.get(transaction_id)
        if row is not None and row["state"] in LIVE_STATES:
            if row["reason"] != reason.value:
                row.update(reason=reason.value, updated_at=now)
                new_reasons.append(row)
                changes.updated_breaks.append(break_from_values(row))
            continue
        to_open.append(records[transaction_id])
    await update_reasons(session, rows=new_reasons, now=now)
    changes.opened_breaks.extend(
        await open_breaks(
            session,
            records=to_open,
            existing=existing,
            reasons=reasons,
            basis=age_basis_for(definition, settings=settings),
            now=now,
        )
    )


async def _record_file(session: AsyncSession, reference: FileRef) -> FileRecord:
    record = await repository.get_file(session, reference.file_id)
    if record is None:
        record = FileRecord(
            file_id=reference.file_id,
            filename=reference.filename,
            sha256=reference.sha256,
            size_bytes=reference.size_bytes,
            landed_at=reference.landed_at,
            chunk_count=1,
            chunks_received=0,
            status=reference.status.value,
            transaction_count=reference.transaction_count,
        )
        session.add(record)
    record.status = reference.status.value
    record.source_format = reference.source_format
    record.record_kind = reference.record_kind.value if reference.record_kind else None
    record.transaction_count = reference.transaction_count
    record.rejection_reason = reference.rejection_reason
    return record


def transaction_values(item: Transaction, *, received_at: datetime) -> dict[str, Any]:
    """Return the row of a new transaction, unassigned until a definition takes it."""
    return {
        "transaction_id": item.transaction_id,
        "bank_id": item.bank_id,
        "file_id": item.file_id,
        "record_kind": item.record_kind.value,
        "account": item.account,
        "currency": item.currency,
        "amount": item.amount,
        "value_date": item.value_date,
        "reconciliation_id": None,
        "side": None,
        "body": item.model_dump_json(),
        "received_at": received_at,
    }


def _file_ref(record: FileRecord) -> FileRef:
    return FileRef(
        file_id=record.file_id,
        filename=record.filename,
        sha256=record.sha256,
        size_bytes=record.size_bytes,
        landed_at=record.landed_at,
        status=FileStatus(record.status),
        source_format=record.source_format,
        record_kind=RecordKind(record.record_kind) if record.record_kind else None,
        transaction_count=record.transaction_count,
        rejection_reason=record.rejection_reason,
    )
