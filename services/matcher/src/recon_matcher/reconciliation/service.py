"""Applying a `transactions-parsed` chunk: store, assign, match, publish.

Everything for one chunk happens in the consumer's transaction: the new transactions,
their reconciliation and side, the groups the engine forms from them and the open
items, the status changes, and the `matches-produced` messages in the outbox. A crash
at any point rolls all of it back and the redelivered chunk starts again, so no
transaction is lost and none is matched twice. Matching is incremental: only the open
items of the reconciliations that received new items take part.
"""

import math
from collections import defaultdict
from datetime import UTC, datetime

import structlog
from recon_common.events import (
    TOPIC_MATCHES_PRODUCED,
    Break,
    FileRef,
    FileStatus,
    MatchesProduced,
    MatchGroup,
    ReconciliationSummary,
    Transaction,
    TransactionsParsed,
)
from recon_common.outbox import enqueue
from sqlalchemy.ext.asyncio import AsyncSession

from recon_matcher.definitions import Definition
from recon_matcher.definitions.routing import assign
from recon_matcher.engine import match_transactions
from recon_matcher.engine.run import GroupStatus
from recon_matcher.models import (
    FileRecord,
    MatchGroupItem,
    MatchGroupRecord,
    OutboxMessage,
    TransactionRecord,
)
from recon_matcher.reconciliation import repository
from recon_matcher.settings import MatcherSettings

log = structlog.get_logger(__name__)

OPEN = "open"
MATCHED = "matched"
PROPOSED = "proposed"
UNASSIGNED = "unassigned"


class ChunkOutcome:
    """What one chunk changed, collected for the `matches-produced` messages."""

    def __init__(self) -> None:
        self.transactions: list[Transaction] = []
        self.groups: list[MatchGroup] = []
        self.opened_breaks: list[Break] = []
        self.closed_break_ids: list[str] = []
        self.summaries: list[ReconciliationSummary] = []


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
    for item in new_items:
        record = _new_record(item, received_at=now)
        assignments = assign(item, definitions)
        if assignments:
            if len(assignments) > 1:
                log.warning(
                    "matcher.transaction.several_definitions",
                    transaction_id=item.transaction_id,
                    chosen=assignments[0].definition.id,
                )
            chosen = assignments[0]
            record.reconciliation_id = chosen.definition.id
            record.side = chosen.side.value
            record.status = OPEN
            touched[chosen.definition.id] = chosen.definition
        session.add(record)
        outcome.transactions.append(item)
    await session.flush()

    new_ids = {item.transaction_id for item in new_items}
    for definition in touched.values():
        await _match_definition(
            session, definition=definition, new_ids=new_ids, outcome=outcome, now=now
        )
        counts = await repository.reconciliation_counts(
            session, reconciliation_id=definition.id
        )
        outcome.summaries.append(
            ReconciliationSummary(
                reconciliation_id=definition.id,
                name=definition.name,
                transactions=sum(counts.values()),
                matched=counts.get(MATCHED, 0),
                open_breaks=counts.get(OPEN, 0),
            )
        )

    _publish(
        session, outcome=outcome, file_ref=_file_ref(file_record), settings=settings
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
    new_ids: set[str],
    outcome: ChunkOutcome,
    now: datetime,
) -> None:
    records = await repository.open_transactions(
        session, reconciliation_id=definition.id
    )
    by_id = {record.transaction_id: record for record in records}
    sides: dict[str, list[Transaction]] = defaultdict(list)
    for record in records:
        sides[record.side or ""].append(Transaction.model_validate_json(record.body))
    result = match_transactions(definition, sides["a"], sides["b"])

    # group_records() and match_groups() walk the same rows in the same order.
    pairs = list(
        zip(result.group_records(), result.match_groups(matched_at=now), strict=True)
    )
    for engine_group, group in pairs:
        session.add(
            MatchGroupRecord(
                group_id=group.group_id,
                reconciliation_id=definition.id,
                pass_name=group.pass_name,
                status=engine_group.status.value,
                score=group.score,
                amount_difference=group.amount_difference,
                days_apart=group.days_apart,
                explanation=group.explanation,
                matched_at=now,
            )
        )
    # Groups first: without ORM relationships the flush does not order the inserts
    # by the items' foreign key.
    await session.flush()
    for engine_group, group in pairs:
        confirmed = engine_group.status == GroupStatus.CONFIRMED
        for transaction_id in group.transaction_ids:
            record = by_id[transaction_id]
            record.status = MATCHED if confirmed else PROPOSED
            record.group_id = group.group_id
            session.add(
                MatchGroupItem(transaction_id=transaction_id, group_id=group.group_id)
            )
            if transaction_id not in new_ids:
                outcome.closed_break_ids.append(transaction_id)
        outcome.groups.append(group)

    for item in result.breaks(opened_at=now):
        if item.transaction_id in new_ids:
            outcome.opened_breaks.append(item)
    await session.flush()


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


def _new_record(item: Transaction, *, received_at: datetime) -> TransactionRecord:
    return TransactionRecord(
        transaction_id=item.transaction_id,
        bank_id=item.bank_id,
        file_id=item.file_id,
        record_kind=item.record_kind.value,
        account=item.account,
        currency=item.currency,
        amount=item.amount,
        value_date=item.value_date,
        status=UNASSIGNED,
        body=item.model_dump_json(),
        received_at=received_at,
    )


def _file_ref(record: FileRecord) -> FileRef:
    return FileRef(
        file_id=record.file_id,
        filename=record.filename,
        sha256=record.sha256,
        size_bytes=record.size_bytes,
        landed_at=record.landed_at,
        status=FileStatus(record.status),
        source_format=record.source_format,
        record_kind=record.record_kind,  # type: ignore[arg-type]
        transaction_count=record.transaction_count,
        rejection_reason=record.rejection_reason,
    )


def _publish(
    session: AsyncSession,
    *,
    outcome: ChunkOutcome,
    file_ref: FileRef,
    settings: MatcherSettings,
) -> None:
    size = settings.chunk_size
    lists = (
        outcome.transactions,
        outcome.groups,
        outcome.opened_breaks,
        outcome.closed_break_ids,
    )
    chunk_count = max(1, *(math.ceil(len(items) / size) for items in lists))
    run_id = f"{file_ref.file_id}:{datetime.now(UTC).isoformat()}"
    for index in range(chunk_count):
        window = slice(index * size, (index + 1) * size)
        message = MatchesProduced(
            run_id=run_id,
            chunk_index=index,
            chunk_count=chunk_count,
            files=[file_ref],
            transactions=outcome.transactions[window],
            groups=outcome.groups[window],
            opened_breaks=outcome.opened_breaks[window],
            closed_break_ids=outcome.closed_break_ids[window],
            summaries=outcome.summaries,
        )
        enqueue(
            session,
            OutboxMessage,
            settings=settings,
            topic=TOPIC_MATCHES_PRODUCED,
            payload=message,
            key=file_ref.file_id,
        )
