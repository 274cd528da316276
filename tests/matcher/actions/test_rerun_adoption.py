"""The `items_adopted` count of a re-run, dry and applied.

The transactions arrive while no definition is active, so they are stored
unassigned. The re-run's definition then selects some of them: the credits of
November, but neither a December credit (outside the range) nor an MT942 intraday
entry (the definition names no intraday format).
"""

from datetime import date

import httpx
from fastapi import FastAPI
from matcher_action_factories import (
    RECONCILIATION_ID,
    feed,
    headers,
    item,
    ledger,
    outbox,
)
from recon_common.db import session_scope
from recon_matcher.models import MatchGroupItem, TransactionRecord
from sqlalchemy import select

RERUN = f"/v1/reconciliations/{RECONCILIATION_ID}/rerun"
NOVEMBER = {"from": "2026-11-01", "to": "2026-11-30"}
# The transactions that a November re-run adopts.
ADOPTABLE = {"s1", "l1", "s2"}


async def store_unassigned(app: FastAPI) -> None:
    """Feed the transactions while no definition is active, then activate it."""
    active = app.state.definitions
    app.state.definitions = []
    intraday = item("i1", "100.00", reference="INV-1").model_copy(
        update={"source_format": "mt942"}
    )
    await feed(
        app,
        "early-1",
        [
            item("s1", "100.00", reference="INV-1"),
            ledger("l1", "100.00", reference="INV-1"),
            item("s2", "250.00"),
            item("d1", "75.00", value_date=date(2026, 12, 1)),
            intraday,
        ],
    )
    app.state.definitions = active


async def assignments(app: FastAPI) -> dict[str, str | None]:
    """Return the reconciliation id of every stored transaction."""
    async with session_scope(app.state.runtime.sessions) as session:
        rows = await session.execute(
            select(
                TransactionRecord.transaction_id, TransactionRecord.reconciliation_id
            )
        )
        return {transaction_id: found for transaction_id, found in rows}


async def grouped_ids(app: FastAPI) -> set[str]:
    async with session_scope(app.state.runtime.sessions) as session:
        return set(await session.scalars(select(MatchGroupItem.transaction_id)))


async def test_rerun_dry_run_counts_adoptable(
    app: FastAPI, client: httpx.AsyncClient, service_token: str
) -> None:
    await store_unassigned(app)
    before = (await assignments(app), await outbox(app))

    dry = await client.post(
        RERUN, params={**NOVEMBER, "dry_run": "true"}, headers=headers(service_token)
    )

    assert dry.status_code == 200, dry.text
    assert dry.json()["items_adopted"] == len(ADOPTABLE)
    assert dry.json()["items_considered"] == len(ADOPTABLE)
    assert len(dry.json()["groups_formed"]) == 1
    assert (await assignments(app), await outbox(app)) == before
    assert set(before[0].values()) == {None}
    assert await grouped_ids(app) == set()


async def test_rerun_applied_adopts_counted_items(
    app: FastAPI, client: httpx.AsyncClient, service_token: str
) -> None:
    await store_unassigned(app)

    applied = await client.post(
        RERUN, params={**NOVEMBER, "dry_run": "false"}, headers=headers(service_token)
    )

    assert applied.status_code == 200, applied.text
    assert applied.json()["items_adopted"] == len(ADOPTABLE)
    stored = await assignments(app)
    adopted = {key for key, found in stored.items() if found == RECONCILIATION_ID}
    assert adopted == ADOPTABLE
    assert stored["d1"] is None
    assert stored["i1"] is None
    assert await grouped_ids(app) == {"s1", "l1"}


async def test_rerun_applied_audits_adopted_count(
    app: FastAPI, client: httpx.AsyncClient, service_token: str
) -> None:
    await store_unassigned(app)

    applied = await client.post(
        RERUN, params={**NOVEMBER, "dry_run": "false"}, headers=headers(service_token)
    )

    assert applied.status_code == 200, applied.text
    [audit] = [
        body["data"]
        for body in await outbox(app)
        if body["type"] == "audit-events"
        and body["data"]["action"] == "reconciliation.rerun"
    ]
    assert audit["details"]["items_adopted"] == str(len(ADOPTABLE))


async def test_rerun_nothing_unassigned_adopts_none(
    app: FastAPI, client: httpx.AsyncClient, service_token: str
) -> None:
    await feed(app, "statement-1", [item("s1", "100.00")])

    dry = await client.post(
        RERUN, params={**NOVEMBER, "dry_run": "true"}, headers=headers(service_token)
    )

    assert dry.status_code == 200, dry.text
    assert dry.json()["items_adopted"] == 0
    assert dry.json()["items_considered"] == 1
