"""Tests that the matcher passes a file's warnings on to `matches-produced`."""

from fastapi import FastAPI
from recon_common.db import session_scope
from recon_common.runtime import ServiceRuntime
from recon_matcher.reconciliation.service import apply_chunk

from tests.matcher.actions.matcher_action_factories import chunk, item, ledger, outbox

WARNING = "opening balance 100.00 plus entries 5.00 is 105.00, but closing is 90.00"


async def test_chunk_warnings_reach_matches_produced(app: FastAPI) -> None:
    parsed = chunk("f1", [item("s1", "5.00"), ledger("l1", "5.00")])
    parsed.file.warnings.append(WARNING)
    runtime: ServiceRuntime = app.state.runtime

    async with session_scope(runtime.sessions) as session:
        await apply_chunk(
            session,
            chunk=parsed,
            definitions=app.state.definitions,
            settings=app.state.settings,
        )

    produced = [
        body for body in await outbox(app) if body["type"] == "matches-produced"
    ]
    assert produced
    assert produced[0]["data"]["files"][0]["warnings"] == [WARNING]
