"""Parse one landed file into normalized statements and transactions."""

import dataclasses
from collections.abc import Callable
from pathlib import Path

import structlog
from recon_common.events import RecordKind, Transaction

from recon_ingest.parsers.bai2 import parse_bai2
from recon_ingest.parsers.camt import parse_camt, parse_camt_path
from recon_ingest.parsers.context import ParseContext
from recon_ingest.parsers.csv_profile import LEDGER_PROFILE, CsvProfile
from recon_ingest.parsers.detect import FORMATS, detect_format, reject_blank
from recon_ingest.parsers.model import ParseRejected, ParseResult, ParseSettings
from recon_ingest.parsers.swift_mt import parse_mt
from recon_ingest.parsers.tabular import parse_csv, parse_xlsx
from recon_ingest.parsers.text import decode_text, split_lines
from recon_ingest.parsers.wide import (
    transcode_head,
    transcode_to_utf8,
    wide_encoding,
)

logger = structlog.get_logger(__name__)

_DEFAULT_SETTINGS = ParseSettings()
_CAMT_FORMATS = frozenset({"camt.052", "camt.053", "camt.054"})
# Bytes read for format detection; `detect_format` looks at the first 1 MiB too.
_HEAD_BYTES = 1024 * 1024


def parse_file(
    data: bytes,
    *,
    filename: str,
    file_id: str,
    bank_id: str,
    settings: ParseSettings = _DEFAULT_SETTINGS,
    csv_profile: CsvProfile | None = None,
    source_format: str | None = None,
) -> ParseResult:
    """Parse a statement or ledger file, or raise ParseRejected with the reason."""
    try:
        result = _parse(
            data,
            filename=filename,
            file_id=file_id,
            bank_id=bank_id,
            settings=settings,
            csv_profile=csv_profile,
            source_format=source_format,
        )
    except ParseRejected as error:
        logger.info("ingest.parse.rejected", file_id=file_id, reason=error.reason)
        raise
    logger.info(
        "ingest.parse.finished",
        file_id=file_id,
        source_format=result.source_format,
        statements=len(result.statements),
        transactions=len(result.transactions),
        warnings=len(result.warnings),
    )
    return result


def _parse(
    data: bytes,
    *,
    filename: str,
    file_id: str,
    bank_id: str,
    settings: ParseSettings,
    csv_profile: CsvProfile | None,
    source_format: str | None,
) -> ParseResult:
    if len(data) > settings.max_file_bytes:
        raise ParseRejected(
            f"file is {len(data)} bytes, more than the limit of "
            f"{settings.max_file_bytes} (max_file_bytes)"
        )
    size = len(data)
    wide = wide_encoding(data[:_HEAD_BYTES], configured=settings.encoding)
    if wide is not None:
        data = transcode_to_utf8(data, encoding=wide)
        # The parsers now read UTF-8, also where the XML declaration declares UTF-16.
        settings = dataclasses.replace(settings, encoding="utf-8")
    reject_blank(data, filename, size=size)
    if source_format is None:
        source_format = detect_format(data, filename)
    elif source_format not in FORMATS:
        raise ParseRejected(
            f"unknown format {source_format!r}; expected one of {', '.join(FORMATS)}"
        )
    profile = csv_profile or LEDGER_PROFILE
    tabular = source_format in {"csv", "xlsx"}
    context = ParseContext(
        file_id=file_id,
        bank_id=bank_id,
        source_format=source_format,
        record_kind=profile.record_kind if tabular else RecordKind.STATEMENT,
        settings=settings,
    )
    encoding = _dispatch(data, context=context, profile=profile)
    _add_statement_warnings(context)
    return ParseResult(
        source_format=source_format,
        record_kind=context.record_kind,
        encoding=wide or encoding,
        statements=context.statements,
        transactions=context.transactions,
        warnings=context.warnings,
    )


def _dispatch(data: bytes, *, context: ParseContext, profile: CsvProfile) -> str:
    settings = context.settings
    match context.source_format:
        case "camt.052" | "camt.053" | "camt.054":
            return parse_camt(data, context=context)
        case "xlsx":
            parse_xlsx(data, profile=profile, context=context)
            return "xlsx"
        case _:
            pass
    preferred = profile.encoding if context.source_format == "csv" else None
    decoded = decode_text(data, settings=settings, preferred=preferred)
    context.warnings.extend(decoded.warnings)
    lines = split_lines(decoded.text, settings=settings)
    match context.source_format:
        case "csv":
            parse_csv(decoded.text, profile=profile, context=context)
        case "bai2":
            parse_bai2(lines, context=context)
        case _:
            parse_mt(lines, context=context)
    return decoded.encoding


def parse_path(
    path: Path,
    *,
    file_id: str,
    bank_id: str,
    on_transactions: Callable[[list[Transaction]], None],
    batch_size: int = 1000,
    settings: ParseSettings = _DEFAULT_SETTINGS,
    csv_profile: CsvProfile | None = None,
    source_format: str | None = None,
    filename: str | None = None,
) -> ParseResult:
    """Parse a file on disk, passing transactions to `on_transactions` in batches.

    camt documents are read from the file in blocks and each batch is released
    once passed on, so memory depends on `batch_size` and the largest entry, not on
    the file size. The other formats, and UTF-16 or UTF-32 files of any format,
    are read whole, as `parse_file` does. The
    returned result has the statements and warnings but no transactions.
    `filename` is the name that format detection sees, for a copy of an uploaded
    file stored under another name; it defaults to the name of `path`.
    """
    name = filename or path.name
    size = path.stat().st_size
    if size > settings.max_file_bytes:
        raise ParseRejected(
            f"file is {size} bytes, more than the limit of "
            f"{settings.max_file_bytes} (max_file_bytes)"
        )
    with path.open("rb") as stream:
        head = stream.read(_HEAD_BYTES)
    wide = wide_encoding(head, configured=settings.encoding)
    if wide is None and source_format is None:
        source_format = detect_format(head, name, size=size)
    # NOTE: `parse_file` transcodes a UTF-16 or UTF-32 file whole, so a wide camt
    # document is not streamed and needs memory for the whole file.
    if wide is not None or source_format not in _CAMT_FORMATS:
        result = parse_file(
            path.read_bytes(),
            filename=name,
            file_id=file_id,
            bank_id=bank_id,
            settings=settings,
            csv_profile=csv_profile,
            source_format=source_format,
        )
        for start in range(0, len(result.transactions), batch_size):
            on_transactions(result.transactions[start : start + batch_size])
        return _without_transactions(result)
    batch: list[Transaction] = []

    def collect(transaction: Transaction) -> None:
        batch.append(transaction)
        if len(batch) >= batch_size:
            on_transactions(batch.copy())
            batch.clear()

    context = ParseContext(
        file_id=file_id,
        bank_id=bank_id,
        source_format=source_format,
        record_kind=RecordKind.STATEMENT,
        settings=settings,
        sink=collect,
    )
    try:
        encoding = parse_camt_path(path, context=context)
    except ParseRejected as error:
        logger.info("ingest.parse.rejected", file_id=file_id, reason=error.reason)
        raise
    if batch:
        on_transactions(batch.copy())
    _add_statement_warnings(context)
    logger.info(
        "ingest.parse.finished",
        file_id=file_id,
        source_format=source_format,
        statements=len(context.statements),
        transactions=context.transaction_count,
        warnings=len(context.warnings),
    )
    return ParseResult(
        source_format=source_format,
        record_kind=context.record_kind,
        encoding=encoding,
        statements=context.statements,
        transactions=[],
        warnings=context.warnings,
    )


def detect_path_format(
    path: Path,
    *,
    settings: ParseSettings = _DEFAULT_SETTINGS,
    filename: str | None = None,
) -> str:
    """Detect the format of a file on disk from its first bytes, as `parse_path` does.

    Raise ParseRejected for an empty file, unknown content, or a UTF-16 or UTF-32
    file whose first bytes are not valid in its encoding. `filename` is the name
    used for detection, as in `parse_path`.
    """
    name = filename or path.name
    size = path.stat().st_size
    with path.open("rb") as stream:
        head = stream.read(_HEAD_BYTES)
    wide = wide_encoding(head, configured=settings.encoding)
    if wide is None:
        return detect_format(head, name, size=size)
    text = transcode_head(head, encoding=wide)
    if size > len(head):
        # `text` is only the start of the file's UTF-8, so a size past its end
        # keeps detection from judging the whole file blank.
        return detect_format(text, name, size=len(text) + 1)
    reject_blank(text, name, size=size)
    return detect_format(text, name)


def _add_statement_warnings(context: ParseContext) -> None:
    for statement in context.statements:
        context.warnings.extend(
            f"statement at {statement.source_location}: {warning}"
            for warning in statement.warnings
        )


def _without_transactions(result: ParseResult) -> ParseResult:
    return ParseResult(
        source_format=result.source_format,
        record_kind=result.record_kind,
        encoding=result.encoding,
        statements=result.statements,
        transactions=[],
        warnings=result.warnings,
    )
