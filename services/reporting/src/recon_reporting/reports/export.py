"""The open break export as CSV, streamed in batches.

The export reads all matching breaks with one query through a server-side cursor
and writes them in batches of `BATCH_SIZE` rows, so memory does not grow with the
number of breaks. Accounts are redacted for the user's role exactly as the break
list shows them. For a role allowed the full numbers, each batch is audited as a
`sensitive.read` event with the batch's transaction ids, as one page of the break
list is, and that event is committed before the batch is sent. A download that
stops half way has therefore audited every row it sent, and at most one batch
that it did not send.

Cells that a spreadsheet would read as a formula (starting with =, +, -, @, a tab
or a carriage return) get a leading apostrophe. The amount cell is exempt because
the export writes it from a `Decimal`, so it is always a plain number such as
`-12.50`, which spreadsheets read as a number and never as a formula.
"""

import csv
import io
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

import structlog
from recon_common.db import session_scope
from recon_common.runtime import ServiceRuntime

from recon_reporting.access.redaction import AccountMasker
from recon_reporting.auditing import record_sensitive_read
from recon_reporting.breaks.service import age_days
from recon_reporting.pagination import MAX_PAGE_SIZE
from recon_reporting.reports import repository
from recon_reporting.reports.repository import BreakFilters, ExportRow
from recon_reporting.reports.service import age_band_of, canonical_amount
from recon_reporting.settings import ReportingSettings

log = structlog.get_logger(__name__)

# Rows per batch: the break list's maximum page size, so that one audit event of
# the export names no more records than one of the break list.
BATCH_SIZE: Final = MAX_PAGE_SIZE

CSV_COLUMNS: Final = (
    "reconciliation_id",
    "transaction_id",
    "side",
    "account",
    "currency",
    "amount",
    "direction",
    "value_date",
    "age_days",
    "age_band",
    "reason",
    "state",
    "assignee",
)

# A byte order mark, so that Excel reads the file as UTF-8 and shows the redaction
# mask and non-ASCII names correctly. Python's csv readers skip it with
# encoding="utf-8-sig".
BYTE_ORDER_MARK: Final = "\ufeff"

FORMULA_PREFIXES: Final = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: str) -> str:
    """Prefix `value` with an apostrophe if a spreadsheet would run it as a formula."""
    if value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


@dataclass(frozen=True, slots=True)
class BreakExport:
    """An export request: its filters, the requesting user, and its audit details."""

    filters: BreakFilters
    masker: AccountMasker
    # The UTC day from which ages count, fixed for the whole file.
    today: date
    # Path and query of the request, the resource of its audit events.
    resource: str
    client_address: str | None


def _cells(row: ExportRow, *, export: BreakExport) -> list[str]:
    (
        reconciliation_id,
        transaction_id,
        side,
        reason,
        state,
        assignee,
        age_date,
        opened_at,
        account,
        currency,
        amount,
        direction,
        value_date,
    ) = row
    days = age_days(age_date=age_date, opened_at=opened_at, today=export.today)
    shown = export.masker.show(account, resource_id=transaction_id, field="account")
    text_cells = {
        "reconciliation_id": reconciliation_id,
        "transaction_id": transaction_id,
        "side": side,
        "account": shown or "",
        "currency": currency or "",
        "direction": direction or "",
        "value_date": value_date.isoformat() if value_date else "",
        "age_days": str(days),
        "age_band": age_band_of(age_date, today=export.today).value,
        "reason": reason,
        "state": state,
        "assignee": assignee or "",
    }
    cells = {name: escape_cell(value) for name, value in text_cells.items()}
    cells["amount"] = (
        "" if amount is None else format(canonical_amount(amount, currency), "f")
    )
    return [cells[name] for name in CSV_COLUMNS]


def _write_batch(rows: Sequence[ExportRow], *, export: BreakExport) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(_cells(row, export=export))
    return buffer.getvalue()


def header_line() -> str:
    """Return the first line of the export: the byte order mark and column names."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow(CSV_COLUMNS)
    return BYTE_ORDER_MARK + buffer.getvalue()


async def _audit_batch(
    runtime: ServiceRuntime, *, settings: ReportingSettings, export: BreakExport
) -> None:
    async with session_scope(runtime.sessions) as session:
        record_sensitive_read(
            session,
            settings=settings,
            actor=export.masker.user.username,
            resource_type="break",
            resource=export.resource,
            revealed=export.masker.revealed,
            client_address=export.client_address,
        )
    runtime.relay.notify()
    export.masker.revealed.clear()


async def stream_breaks_csv(
    runtime: ServiceRuntime, *, settings: ReportingSettings, export: BreakExport
) -> AsyncGenerator[str]:
    """Yield the CSV text of the open breaks that match the export's filters."""
    username = export.masker.user.username
    log.info("reporting.breaks_export.started", username=username)
    rows = 0
    yield header_line()
    try:
        async with runtime.sessions() as session:
            batches = repository.stream_open_breaks(
                session, filters=export.filters, batch_size=BATCH_SIZE
            )
            async for batch in batches:
                text = _write_batch(batch, export=export)
                if export.masker.revealed:
                    await _audit_batch(runtime, settings=settings, export=export)
                rows += len(batch)
                yield text
    except Exception:
        # The response status and the first rows are already sent, so the client
        # gets a file that ends early.
        log.exception("reporting.breaks_export.failed", username=username, rows=rows)
        raise
    log.info("reporting.breaks_export.finished", username=username, rows=rows)
