"""Kafka handler that parses each landed file into `transactions-parsed` chunks.

Runs inside the consumer's transaction: the file's new status, every chunk, the
statements it published and the audit event are written together, so a crash leaves
either all of them or none. A file that is not in status `landed` was handled by an
earlier delivery and is skipped.

Repeats are checked twice. A file with the SHA-256 of a parsed file of the same bank
is rejected or accepted without transactions (`INGEST_DUPLICATE_FILES`). A statement
that another file already published rejects the file or is left out with a warning
(`INGEST_DUPLICATE_STATEMENTS`). Two deliveries racing on the same statement cannot
both publish it, because `seen_statements` is unique per bank and fingerprint, so the
later commit fails and the consumer's retry finds the statement.
"""

import asyncio
import json
import math
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import structlog
from recon_common.audit import record_audit
from recon_common.events import (
    TOPIC_TRANSACTIONS_PARSED,
    AuditOutcome,
    Envelope,
    FileLanded,
    FileStatus,
    RecordKind,
    TransactionsParsed,
)
from recon_common.outbox import enqueue
from recon_common.storage import ObjectStore
from sqlalchemy.ext.asyncio import AsyncSession

from recon_ingest.landing import repository
from recon_ingest.landing.service import file_ref
from recon_ingest.models import LandedFile, OutboxMessage
from recon_ingest.parsers import CsvProfile, ParseRejected, ParseResult, parse_file
from recon_ingest.parsing import duplicates
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
        _handle_duplicate_file(session, row=row, earlier=duplicate, settings=settings)
        return
    if row.size_bytes > settings.parse_max_file_bytes:
        # Checked before the download, so an oversized file is never held in memory.
        reason = (
            f"file is {row.size_bytes} bytes, more than the limit of "
            f"{settings.parse_max_file_bytes} (INGEST_PARSE_MAX_FILE_BYTES)"
        )
        _reject(session, row=row, settings=settings, reason=reason)
        return

    data = await store.get(row.object_key)
    profile = csv_profiles.get(row.csv_profile or "ledger")
    try:
        result = await asyncio.to_thread(
            parse_file,
            data,
            filename=row.filename,
            file_id=row.file_id,
            bank_id=row.bank_id,
            settings=settings.parse_settings(),
            csv_profile=profile,
        )
    except ParseRejected as exc:
        _reject(session, row=row, settings=settings, reason=_name_setting(exc.reason))
        return

    repeats = await duplicates.find_repeated_statements(
        session, bank_id=row.bank_id, file_id=row.file_id, result=result
    )
    if repeats and settings.duplicate_statements is DuplicateStatements.REJECT:
        reason = f"{repeats[0].describe()}, so the file was rejected"
        if len(repeats) > 1:
            reason += f" ({len(repeats) - 1} more statements were repeats too)"
        _reject(session, row=row, settings=settings, reason=reason)
        return
    if repeats:
        result = duplicates.without_statements(result, repeats)
        log.warning(
            "parse.statements.skipped",
            file_id=row.file_id,
            statements=len(repeats),
            earlier_file_ids=sorted({r.earlier_file.file_id for r in repeats}),
        )
    _accept(session, row=row, settings=settings, result=result)
    duplicates.record_statements(
        session, bank_id=row.bank_id, file_id=row.file_id, result=result
    )


def _name_setting(reason: str) -> str:
    """Replace the parser's name of a limit in `reason` with its `INGEST_*` name."""
    for field in _LIMIT_FIELDS:
        reason = reason.replace(f"({field})", f"(INGEST_PARSE_{field.upper()})")
    return reason


def _handle_duplicate_file(
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
    _accept(session, row=row, settings=settings, result=result)


def _accept(
    session: AsyncSession,
    *,
    row: LandedFile,
    settings: IngestSettings,
    result: ParseResult,
) -> None:
    row.status = FileStatus.PARSED.value
    row.source_format = result.source_format
    row.record_kind = result.record_kind.value
    row.encoding = result.encoding
    row.transaction_count = len(result.transactions)
    row.warnings = json.dumps(result.warnings) if result.warnings else None
    row.parsed_at = datetime.now(UTC)

    reference = file_ref(row)
    size = settings.chunk_size
    chunk_count = max(1, math.ceil(len(result.transactions) / size))
    for index in range(chunk_count):
        chunk = TransactionsParsed(
            file=reference,
            chunk_index=index,
            chunk_count=chunk_count,
            statements=result.statements if index == 0 else [],
            transactions=result.transactions[index * size : (index + 1) * size],
        )
        enqueue(
            session,
            OutboxMessage,
            settings=settings,
            topic=TOPIC_TRANSACTIONS_PARSED,
            payload=chunk,
            key=row.file_id,
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
            "transactions": str(len(result.transactions)),
            "warnings": str(len(result.warnings)),
        },
    )
    log.info(
        "parse.file.parsed",
        file_id=row.file_id,
        format=result.source_format,
        transactions=len(result.transactions),
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
