"""Build `matches-produced` payloads and envelopes for the reporting tests."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from recon_common.events import (
    TOPIC_MATCHES_PRODUCED,
    Break,
    BreakReason,
    Direction,
    Envelope,
    FileRef,
    FileStatus,
    MatchesProduced,
    MatchGroup,
    ReconciliationSummary,
    RecordKind,
    Transaction,
)

BANK_ID = "test-bank"
RECONCILIATION_ID = "rec-eur-nostro"
# The matcher definition version that formed the generated groups.
DEFINITION_VERSION = 3
STATEMENT_ACCOUNT = "DE89370400440532013000"
LEDGER_ACCOUNT = "GL-100200-EUR-4711"
COUNTERPARTY_ACCOUNT = "GB29NWBK60161331926819"
REJECTION_REASON = "line 4: tag :61: has an invalid value date 20261340"
LANDED_AT = datetime(2026, 12, 3, 7, 30, tzinfo=UTC)


def file_ref(
    file_id: str, *, status: FileStatus = FileStatus.PARSED, count: int = 0
) -> FileRef:
    return FileRef(
        file_id=file_id,
        filename=f"{file_id}.sta",
        sha256="a" * 64,
        size_bytes=1234,
        landed_at=LANDED_AT,
        status=status,
        source_format="mt940",
        record_kind=RecordKind.STATEMENT,
        transaction_count=count,
        rejection_reason=REJECTION_REASON if status == FileStatus.REJECTED else None,
    )


def transaction(
    transaction_id: str,
    *,
    kind: RecordKind,
    amount: str,
    value_date: date,
    currency: str = "EUR",
    file_id: str = "file-statement",
) -> Transaction:
    statement = kind == RecordKind.STATEMENT
    return Transaction(
        transaction_id=transaction_id,
        bank_id=BANK_ID,
        file_id=file_id,
        source_format="mt940" if statement else "csv",
        record_kind=kind,
        account=STATEMENT_ACCOUNT if statement else LEDGER_ACCOUNT,
        currency=currency,
        amount=Decimal(amount),
        direction=Direction.CREDIT,
        value_date=value_date,
        bank_reference=f"REF-{transaction_id}",
        counterparty_name="ACME GmbH",
        counterparty_account=COUNTERPARTY_ACCOUNT,
        source_location=f"{file_id}:1",
    )


@dataclass
class Day:
    """One reconciliation run: what the handler is fed and what it should show."""

    payload: MatchesProduced
    files: int
    files_rejected: int
    transactions: int
    matched: int
    open_breaks: int
    transactions_list: list[Transaction] = field(default_factory=list)


def build_day(
    *, statements: int = 6, matched_pairs: int = 4, opened_at: datetime | None = None
) -> Day:
    """Return a run with `statements` statement lines, the first pairs matched."""
    opened = opened_at or datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
    start = date(2026, 12, 1)
    statement_rows = [
        transaction(
            f"stmt-{index:03d}",
            kind=RecordKind.STATEMENT,
            amount=f"{1000 + index}.50",
            value_date=start + timedelta(days=index % 3),
        )
        for index in range(statements)
    ]
    ledger_rows = [
        transaction(
            f"ledger-{index:03d}",
            kind=RecordKind.LEDGER,
            amount=f"{1000 + index}.50",
            value_date=start + timedelta(days=index % 3),
            file_id="file-ledger",
        )
        for index in range(matched_pairs)
    ]
    groups = [
        MatchGroup(
            group_id=f"group-{index:03d}",
            reconciliation_id=RECONCILIATION_ID,
            pass_name="exact-reference",
            transaction_ids=[f"stmt-{index:03d}", f"ledger-{index:03d}"],
            score=Decimal("1.0"),
            amount_difference=Decimal("0.00"),
            days_apart=0,
            explanation="same amount, value date and reference",
            matched_at=opened,
            definition_version=DEFINITION_VERSION,
        )
        for index in range(matched_pairs)
    ]
    breaks = [
        Break(
            transaction_id=row.transaction_id,
            reconciliation_id=RECONCILIATION_ID,
            side="statement",
            reason=BreakReason.NO_COUNTERPART,
            opened_at=opened,
        )
        for row in statement_rows[matched_pairs:]
    ]
    transactions = statement_rows + ledger_rows
    files = [
        file_ref("file-statement", count=statements),
        file_ref("file-ledger", count=matched_pairs),
        file_ref("file-broken", status=FileStatus.REJECTED),
    ]
    payload = MatchesProduced(
        run_id="run-1",
        chunk_index=0,
        chunk_count=1,
        files=files,
        transactions=transactions,
        groups=groups,
        opened_breaks=breaks,
        summaries=[
            ReconciliationSummary(
                reconciliation_id=RECONCILIATION_ID,
                name="EUR nostro",
                transactions=len(transactions),
                matched=2 * matched_pairs,
                open_breaks=len(breaks),
            )
        ],
    )
    return Day(
        payload=payload,
        files=len(files),
        files_rejected=1,
        transactions=len(transactions),
        matched=2 * matched_pairs,
        open_breaks=len(breaks),
        transactions_list=transactions,
    )


def envelope(payload: MatchesProduced, *, time: datetime | None = None) -> Envelope:
    """Wrap `payload` as the matcher would publish it."""
    wrapped = Envelope.wrap(
        topic=TOPIC_MATCHES_PRODUCED, source="matcher", bank_id=BANK_ID, payload=payload
    )
    if time is None:
        return wrapped
    return wrapped.model_copy(update={"time": time})
