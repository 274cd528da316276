"""Transactions, a definition and helpers for the matcher action tests."""

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from fastapi import FastAPI
from recon_common.db import session_scope
from recon_common.events import (
    Direction,
    FileRef,
    FileStatus,
    RecordKind,
    Transaction,
    TransactionsParsed,
)
from recon_common.runtime import ServiceRuntime
from recon_matcher.definitions import (
    AccountPair,
    Definition,
    ExactPass,
    SideFilter,
    TolerancePass,
)
from recon_matcher.models import OutboxMessage
from recon_matcher.reconciliation.service import apply_chunk
from sqlalchemy import select

BANK_ID = "bank-1"
RECONCILIATION_ID = "nostro-eur"
STATEMENT_ACCOUNT = "NL91ABNA0417164300"
LEDGER_ACCOUNT = "100200"
DAY = date(2026, 11, 2)


def definition() -> Definition:
    """Return a definition: exact references, then amounts within 1.00 EUR.

    Tolerance groups below a score of 0.99 are proposed, not confirmed.
    """
    return Definition(
        id=RECONCILIATION_ID,
        name="Nostro EUR",
        bank_id=BANK_ID,
        side_a=SideFilter(
            record_kind=RecordKind.STATEMENT, accounts=[STATEMENT_ACCOUNT]
        ),
        side_b=SideFilter(record_kind=RecordKind.LEDGER, accounts=[LEDGER_ACCOUNT]),
        account_pairs=[AccountPair(side_a=STATEMENT_ACCOUNT, side_b=LEDGER_ACCOUNT)],
        passes=[
            ExactPass.model_validate({"name": "reference", "kind": "exact"}),
            TolerancePass.model_validate(
                {
                    "name": "amount",
                    "kind": "tolerance",
                    "amount_tolerance": "1.00",
                    "date_window_days": 3,
                    "thresholds": {"min_score": "0", "auto_confirm": "0.99"},
                }
            ),
        ],
    )


def with_tolerance(tolerance: str) -> Definition:
    """Return the test definition with the tolerance pass set to `tolerance`."""
    base = definition()
    exact, loose = base.passes
    assert isinstance(loose, TolerancePass)
    changed = loose.model_copy(update={"amount_tolerance": Decimal(tolerance)})
    return base.model_copy(update={"passes": [exact, changed]})


def item(
    transaction_id: str,
    amount: str,
    *,
    kind: RecordKind = RecordKind.STATEMENT,
    reference: str | None = None,
    value_date: date = DAY,
) -> Transaction:
    """Return a credit on the statement account, or on the ledger for `LEDGER`."""
    statement = kind is RecordKind.STATEMENT
    return Transaction(
        transaction_id=transaction_id,
        bank_id=BANK_ID,
        file_id="file",
        source_format="mt940" if statement else "ledger-csv",
        record_kind=kind,
        account=STATEMENT_ACCOUNT if statement else LEDGER_ACCOUNT,
        currency="EUR",
        amount=Decimal(amount),
        direction=Direction.CREDIT,
        value_date=value_date,
        customer_reference=reference,
        source_location="line 1",
    )


def ledger(transaction_id: str, amount: str, **fields: Any) -> Transaction:
    """Return a ledger-side credit."""
    return item(transaction_id, amount, kind=RecordKind.LEDGER, **fields)


def chunk(file_id: str, transactions: list[Transaction]) -> TransactionsParsed:
    """Return a one-chunk `transactions-parsed` payload of `transactions`."""
    return TransactionsParsed(
        file=FileRef(
            file_id=file_id,
            filename=f"{file_id}.txt",
            sha256="0" * 64,
            size_bytes=100,
            landed_at=datetime(2026, 11, 2, 8, tzinfo=UTC),
            status=FileStatus.PARSED,
            source_format="mt940",
            record_kind=RecordKind.STATEMENT,
            transaction_count=len(transactions),
        ),
        chunk_index=0,
        chunk_count=1,
        transactions=[
            entry.model_copy(update={"file_id": file_id}) for entry in transactions
        ],
    )


async def feed(app: FastAPI, file_id: str, transactions: list[Transaction]) -> None:
    """Apply one file's transactions as the consumer would, and commit."""
    runtime: ServiceRuntime = app.state.runtime
    async with session_scope(runtime.sessions) as session:
        await apply_chunk(
            session,
            chunk=chunk(file_id, transactions),
            definitions=app.state.definitions,
            settings=app.state.settings,
        )


async def outbox(app: FastAPI) -> list[dict[str, Any]]:
    """Return the envelopes in the outbox, oldest first."""
    runtime: ServiceRuntime = app.state.runtime
    async with session_scope(runtime.sessions) as session:
        rows = await session.scalars(
            select(OutboxMessage).order_by(OutboxMessage.position)
        )
        return [json.loads(row.body) for row in rows]


async def audit_actions(app: FastAPI) -> list[tuple[str, str, str]]:
    """Return `(action, actor, outcome)` of each audit event in the outbox."""
    return [
        (body["data"]["action"], body["data"]["actor"], body["data"]["outcome"])
        for body in await outbox(app)
        if body["type"] == "audit-events"
    ]


def headers(token: str, user: str = "otto", role: str = "operator") -> dict[str, str]:
    """Return the headers of a call from the reporting service for `user`."""
    return {
        "Authorization": f"Bearer {token}",
        "X-Acting-User": user,
        "X-Acting-Role": role,
    }
