"""Definition texts, transactions and helpers for the stored-definition tests."""

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from recon_common.db import session_scope
from recon_common.events import (
    TOPIC_TRANSACTIONS_PARSED,
    Direction,
    Envelope,
    FileRef,
    FileStatus,
    RecordKind,
    Transaction,
    TransactionsParsed,
)
from recon_common.runtime import ServiceRuntime
from recon_matcher.models import MatchGroupRecord, OutboxMessage
from sqlalchemy import select

BANK_ID = "bank-1"
DEFINITION_ID = "nostro-eur"
STATEMENT_ACCOUNT = "NL91ABNA0417164300"
LEDGER_ACCOUNT = "100200"
DAY = date(2026, 11, 2)


def definition_yaml(*, tolerance: str | None = None, name: str = "Nostro EUR") -> str:
    """Return a definition: an exact pass, then a tolerance pass if `tolerance`."""
    text = f"""\
id: {DEFINITION_ID}
name: {name}
bank_id: {BANK_ID}
side_a: {{record_kind: statement, accounts: [{STATEMENT_ACCOUNT}]}}
side_b: {{record_kind: ledger, accounts: ["{LEDGER_ACCOUNT}"]}}
account_pairs:
  - {{side_a: {STATEMENT_ACCOUNT}, side_b: "{LEDGER_ACCOUNT}"}}
passes:
  - {{name: reference, kind: exact}}
"""
    if tolerance is not None:
        text += (
            f"  - {{name: amount, kind: tolerance, amount_tolerance: {tolerance}, "
            "date_window_days: 3}\n"
        )
    return text


def file_text(*definitions: str) -> str:
    """Return a definitions file that lists each definition text."""
    lines = ["definitions:"]
    for text in definitions:
        body = text.splitlines()
        lines.append("  - " + body[0])
        lines.extend("    " + line for line in body[1:])
    return "\n".join(lines) + "\n"


def write_file(path: Path, text: str | None) -> None:
    """Write `text` to the definitions file at `path`, or delete it for None."""
    if text is None:
        path.unlink()
    else:
        path.write_text(text, encoding="utf-8")


def headers(token: str, *, user: str = "ada", role: str = "approver") -> dict[str, str]:
    """Return the headers of a call from the reporting service for `user`."""
    return {
        "Authorization": f"Bearer {token}",
        "X-Acting-User": user,
        "X-Acting-Role": role,
    }


def item(
    transaction_id: str,
    amount: str,
    *,
    kind: RecordKind = RecordKind.STATEMENT,
    reference: str | None = None,
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
        value_date=DAY,
        customer_reference=reference,
        source_location="line 1",
    )


def envelope(file_id: str, transactions: list[Transaction]) -> Envelope:
    """Return a one-chunk `transactions-parsed` event of `transactions`."""
    payload = TransactionsParsed(
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
    return Envelope.wrap(
        topic=TOPIC_TRANSACTIONS_PARSED,
        source="ingest",
        bank_id=BANK_ID,
        payload=payload,
    )


async def feed(app: FastAPI, file_id: str, transactions: list[Transaction]) -> None:
    """Apply one chunk with the app's consumer handler, and commit."""
    runtime: ServiceRuntime = app.state.runtime
    async with session_scope(runtime.sessions) as session:
        await app.state.chunk_handler(session, envelope(file_id, transactions))


async def group_passes(app: FastAPI) -> list[tuple[str, str]]:
    """Return `(pass_name, explanation)` of every live match group."""
    runtime: ServiceRuntime = app.state.runtime
    async with session_scope(runtime.sessions) as session:
        rows = await session.execute(
            select(MatchGroupRecord.pass_name, MatchGroupRecord.explanation).order_by(
                MatchGroupRecord.matched_at
            )
        )
        return [(pass_name, explanation) for pass_name, explanation in rows]


async def group_versions(app: FastAPI) -> dict[str, int | None]:
    """Return the definition version of every live match group, by pass name."""
    runtime: ServiceRuntime = app.state.runtime
    async with session_scope(runtime.sessions) as session:
        rows = await session.execute(
            select(MatchGroupRecord.pass_name, MatchGroupRecord.definition_version)
        )
        return {pass_name: version for pass_name, version in rows}


async def produced_group_versions(app: FastAPI) -> list[int | None]:
    """Return the definition version of each group in the outbox's messages."""
    runtime: ServiceRuntime = app.state.runtime
    async with session_scope(runtime.sessions) as session:
        rows = await session.scalars(
            select(OutboxMessage).order_by(OutboxMessage.position)
        )
        bodies = [json.loads(row.body) for row in rows]
    return [
        group["definition_version"]
        for body in bodies
        if body["type"] == "matches-produced"
        for group in body["data"]["groups"]
    ]


async def audit_events(app: FastAPI) -> list[dict[str, Any]]:
    """Return the data of each audit event in the outbox, oldest first."""
    runtime: ServiceRuntime = app.state.runtime
    async with session_scope(runtime.sessions) as session:
        rows = await session.scalars(
            select(OutboxMessage).order_by(OutboxMessage.position)
        )
        bodies = [json.loads(row.body) for row in rows]
    return [body["data"] for body in bodies if body["type"] == "audit-events"]
