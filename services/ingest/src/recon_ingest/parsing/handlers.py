"""Kafka handler that parses each landed file into `transactions-parsed` chunks.

Runs inside the consumer's transaction: the file's new status, every chunk, the
statements it published and the audit event are written together, so a crash leaves
either all of them or none. A file that is not in status `landed` was handled by an
earlier delivery and is skipped.

The file is parsed as a stream. It is downloaded into a private temporary folder
(see `workspace`), with its SHA-256 checked against the one recorded at landing.
`parse_path` then passes the transactions on in batches, and each batch is appended
to a spool file next to the copy, so memory does not grow with the file for camt
documents. Only when the whole file has passed every check are the chunks read back
from the spool and added to the outbox, each flushed to the database before the next
is built. Chunks must wait for the end of the file, because a rejection found late
(a balance mismatch, a limit, a repeated statement) publishes no transactions, and
because every chunk carries the chunk count and the first carries the statements.
The outbox relay publishes the chunks only after the commit, as before.

Repeats are checked twice. A file with the SHA-256 of a parsed file of the same bank
is rejected or accepted without transactions (`INGEST_DUPLICATE_FILES`). A statement
that another file already published rejects the file or is left out with a warning
(`INGEST_DUPLICATE_STATEMENTS`). Two deliveries racing on the same statement cannot
both publish it, because `seen_statements` is unique per bank and fingerprint, so the
later commit fails and the consumer's retry finds the statement. Ledger entries that
an earlier file posted are left out with a warning (`ledger_entries`), and
`posted_ledger_entries` protects them from racing deliveries in the same way.
"""

import asyncio
import json
import math
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import structlog
from recon_common.audit import record_audit
from recon_common.events import (
    TOPIC_TRANSACTIONS_PARSED,
    AuditOutcome,
    Envelope,
    FileLanded,
    FileStatus,
    RecordKind,
    Transaction,
    TransactionsParsed,
)
from recon_common.outbox import enqueue
from recon_common.storage import ObjectStore
from sqlalchemy.ext.asyncio import AsyncSession

from recon_ingest.landing import repository
from recon_ingest.landing.service import file_ref
from recon_ingest.models import LandedFile, OutboxMessage
from recon_ingest.parsers import (
    LEDGER_PROFILE,
    CsvProfile,
    ParseRejected,
    ParseResult,
    detect_path_format,
    parse_path,
)
from recon_ingest.parsing import duplicates, ledger_entries
from recon_ingest.parsing.workspace import (
    TransactionSpool,
    create_private_file,
    parse_workspace,
)
from recon_ingest.settings import DuplicateFiles, DuplicateStatements, IngestSettings

log = structlog.get_logger(__name__)

# Limits of `ParseSettings` that `IngestSettings` sets as `INGEST_PARSE_<FIELD>`.
_LIMIT_FIELDS = ("max_file_bytes", "max_line_chars", "max_entries", "max_xml_depth")


def make_file_landed_handler(
    *,
    settings: IngestSettings,
    store: ObjectStore,
    csv_profiles: dict[str, CsvProfile],
) -> Callable[[AsyncSession, Envelope], Awaitable[None]]:
    """Return the `file-landed` handler bound to the service's storage and profiles."""

    async def handle(session: AsyncSession, envelope: Envelope) -> None:
        landed = envelope.payload(FileLanded)
        row = await repository.get_file(session, landed.file.file_id)
        if row is None:
            raise LookupError(
                f"landed file {landed.file.file_id} is not in the database"
            )
        if row.status != FileStatus.LANDED.value:
            log.info("parse.skipped", file_id=row.file_id, status=row.status)
            return
        await _parse_landed_file(
            session, row=row, settings=settings, store=store, csv_profiles=csv_profiles
        )

    return handle


async def _parse_landed_file(
    session: AsyncSession,
    *,
    row: LandedFile,
    settings: IngestSettings,
    store: ObjectStore,
    csv_profiles: dict[str, CsvProfile],
) -> None:
    duplicate = await repository.find_parsed_duplicate(
        session, bank_id=row.bank_id, sha256=row.sha256, exclude_file_id=row.file_id
    )
    if duplicate is not None:
        await _handle_duplicate_file(
            session, row=row, earlier=duplicate, settings=settings
        )
        return
    if row.size_bytes > settings.parse_max_file_bytes:
        # Checked before the download, so an oversized file is never held in memory.
        reason = (
            f"file is {row.size_bytes} bytes, more than the limit of "
            f"{settings.parse_max_file_bytes} (INGEST_PARSE_MAX_FILE_BYTES)"
        )
        _reject(session, row=row, settings=settings, reason=reason)
        return

    # A profile that the profiles file does not define gives None here. A CSV or
    # .xlsx file of such a user is rejected before parsing, so that its reason is
    # the missing profile and not the header error of another profile.
    profile = csv_profiles.get(row.csv_profile or "ledger")
    async with parse_workspace(settings.parse_temp_path) as folder:
        copy = folder / "landed"
        await asyncio.to_thread(create_private_file, copy)
        await store.download_to(row.object_key, copy, sha256=row.sha256)
        spool = TransactionSpool(folder / "transactions.jsonl")
        source_format: str | None = None
        try:
            if profile is None:
                source_format = await asyncio.to_thread(
                    _detect_without_profile,
                    copy,
                    row=row,
                    settings=settings,
                    csv_profiles=csv_profiles,
                )
            result = await asyncio.to_thread(
                _parse_to_spool,
                copy,
                spool,
                row=row,
                settings=settings,
                profile=profile,
                source_format=source_format,
            )
        except ParseRejected as exc:
            _reject(
                session, row=row, settings=settings, reason=_name_setting(exc.reason)
            )
            return
        await _publish_parsed(
            session,
            row=row,
            settings=settings,
            result=result,
            spool=spool,
            # None only for a file that is not tabular, which has no ledger entries.
            profile=profile or LEDGER_PROFILE,
        )


def _detect_without_profile(
    path: Path,
    *,
    row: LandedFile,
    settings: IngestSettings,
    csv_profiles: dict[str, CsvProfile],
) -> str:
    """Detect the format of a file whose user's csv_profile is not defined.

    Raise ParseRejected if the file is CSV or .xlsx, because no profile can read it.
    The format is returned, so that the parser reads the file in the format checked.
    """
    source_format = detect_path_format(
        path, settings=settings.parse_settings(), filename=row.filename
    )
    if source_format not in {"csv", "xlsx"}:
        return source_format
    defined = ", ".join(sorted(csv_profiles)) or "none"
    raise ParseRejected(
        f"the SFTP user's csv_profile {row.csv_profile!r} is not defined in "
        f"INGEST_CSV_PROFILES_FILE (defined: {defined}); define it there and "
        "restart ingest, or correct the user's csv_profile in the SFTP users file, "
        "then deliver the file again"
    )


def _parse_to_spool(
    path: Path,
    spool: TransactionSpool,
    *,
    row: LandedFile,
    settings: IngestSettings,
    profile: CsvProfile | None,
    source_format: str | None,
) -> ParseResult:
    with spool:
        return parse_path(
            path,
            file_id=row.file_id,
            bank_id=row.bank_id,
            on_transactions=spool.write,
            batch_size=settings.chunk_size,
            settings=settings.parse_settings(),
            csv_profile=profile,
            source_format=source_format,
            filename=row.filename,
        )


async def _publish_parsed(
    session: AsyncSession,
    *,
    row: LandedFile,
    settings: IngestSettings,
    result: ParseResult,
    spool: TransactionSpool,
    profile: CsvProfile,
) -> None:
    """Leave out repeated statements and ledger entries, then publish the rest."""
    repeats = await duplicates.find_repeated_statements(
        session, bank_id=row.bank_id, file_id=row.file_id, result=result
    )
    if repeats and settings.duplicate_statements is DuplicateStatements.REJECT:
        reason = f"{repeats[0].describe()}, so the file was rejected"
        if len(repeats) > 1:
            reason += f" ({len(repeats) - 1} more statements were repeats too)"
        _reject(session, row=row, settings=settings, reason=reason)
        return
    statement_filter = duplicates.StatementFilter(
        result.statements, repeats, transaction_count=spool.count
    )
    if repeats:
        result = duplicates.without_statements(result, repeats)
        log.warning(
            "parse.statements.skipped",
            file_id=row.file_id,
            statements=len(repeats),
            earlier_file_ids=sorted({r.earlier_file.file_id for r in repeats}),
        )
    ledger = await ledger_entries.check_entries(
        session,
        bank_id=row.bank_id,
        file_id=row.file_id,
        spool=spool,
        index=spool.ledger,
        profile=profile,
    )
    if ledger.warnings:
        result = replace(result, warnings=[*result.warnings, *ledger.warnings])

    def keeps(position: int, transaction: Transaction) -> bool:
        return statement_filter.keeps(position, transaction) and ledger.keeps(
            transaction
        )

    # Ledger rows come only from CSV and .xlsx files, which have no statements, so
    # no transaction is left out by both filters and the two counts add up.
    count = (
        spool.count
        - statement_filter.skipped_count(spool.key_counts)
        - ledger.skipped_count
    )
    chunks = spool.chunks(settings.chunk_size, keeps=keeps)
    recorded = ledger_entries.record_posted(
        session, chunks, bank_id=row.bank_id, file_id=row.file_id, index=spool.ledger
    )
    try:
        await _accept(
            session,
            row=row,
            settings=settings,
            result=result,
            transaction_count=count,
            chunks=recorded,
        )
    finally:
        await recorded.aclose()
        await chunks.aclose()
    duplicates.record_statements(
        session, bank_id=row.bank_id, file_id=row.file_id, result=result
    )


def _name_setting(reason: str) -> str:
    """Replace the parser's name of a limit in `reason` with its `INGEST_*` name."""
    for field in _LIMIT_FIELDS:
        reason = reason.replace(f"({field})", f"(INGEST_PARSE_{field.upper()})")
    return reason


async def _handle_duplicate_file(
    session: AsyncSession,
    *,
    row: LandedFile,
    earlier: LandedFile,
    settings: IngestSettings,
) -> None:
    description = (
        f"duplicate of file {earlier.filename} ({earlier.file_id}) landed at "
        f"{earlier.landed_at.isoformat()} with the same SHA-256, so its "
        "transactions were not posted again"
    )
    if settings.duplicate_files is DuplicateFiles.REJECT:
        _reject(session, row=row, settings=settings, reason=description)
        return
    result = ParseResult(
        source_format=earlier.source_format or "unknown",
        record_kind=RecordKind(earlier.record_kind or RecordKind.STATEMENT.value),
        encoding=earlier.encoding or "unknown",
        statements=[],
        transactions=[],
        warnings=[description],
    )
    await _accept(
        session,
        row=row,
        settings=settings,
        result=result,
        transaction_count=0,
        chunks=_no_chunks(),
    )


async def _no_chunks() -> AsyncGenerator[list[Transaction], None]:
    return
    yield


async def _accept(
    session: AsyncSession,
    *,
    row: LandedFile,
    settings: IngestSettings,
    result: ParseResult,
    transaction_count: int,
    chunks: AsyncGenerator[list[Transaction], None],
) -> None:
    """Mark the file parsed and add its chunks of `chunk_size` to the outbox.

    `chunks` yields exactly `transaction_count` transactions in chunks of
    `chunk_size`. Each chunk is flushed once added, so the session keeps only weak
    references to its rows and memory holds one chunk at a time.
    """
    row.status = FileStatus.PARSED.value
    row.source_format = result.source_format
    row.record_kind = result.record_kind.value
    row.encoding = result.encoding
    row.transaction_count = transaction_count
    row.warnings = json.dumps(result.warnings) if result.warnings else None
    row.parsed_at = datetime.now(UTC)

    reference = file_ref(row)
    chunk_count = max(1, math.ceil(transaction_count / settings.chunk_size))
    for index in range(chunk_count):
        chunk = TransactionsParsed(
            file=reference,
            chunk_index=index,
            chunk_count=chunk_count,
            statements=result.statements if index == 0 else [],
            transactions=await anext(chunks, []),
        )
        enqueue(
            session,
            OutboxMessage,
            settings=settings,
            topic=TOPIC_TRANSACTIONS_PARSED,
            payload=chunk,
            key=row.file_id,
        )
        await session.flush()
    if await anext(chunks, None) is not None:
        raise RuntimeError(
            f"file {row.file_id} has more than the {transaction_count} transactions "
            "counted while it was parsed; nothing was published"
        )
    record_audit(
        session,
        OutboxMessage,
        settings=settings,
        actor=settings.service_name,
        action="file.parsed",
        resource_type="file",
        resource_id=row.file_id,
        details={
            "filename": row.filename,
            "format": result.source_format,
            "transactions": str(transaction_count),
            "warnings": str(len(result.warnings)),
        },
    )
    log.info(
        "parse.file.parsed",
        file_id=row.file_id,
        format=result.source_format,
        transactions=transaction_count,
        chunks=chunk_count,
    )


def _reject(
    session: AsyncSession, *, row: LandedFile, settings: IngestSettings, reason: str
) -> None:
    row.status = FileStatus.REJECTED.value
    row.rejection_reason = reason
    row.parsed_at = datetime.now(UTC)
    enqueue(
        session,
        OutboxMessage,
        settings=settings,
        topic=TOPIC_TRANSACTIONS_PARSED,
        payload=TransactionsParsed(file=file_ref(row), chunk_index=0, chunk_count=1),
        key=row.file_id,
    )
    record_audit(
        session,
        OutboxMessage,
        settings=settings,
        actor=settings.service_name,
        action="file.rejected",
        outcome=AuditOutcome.FAILURE,
        resource_type="file",
        resource_id=row.file_id,
        details={"filename": row.filename, "reason": reason[:1000]},
    )
    log.warning("parse.file.rejected", file_id=row.file_id, reason=reason)
