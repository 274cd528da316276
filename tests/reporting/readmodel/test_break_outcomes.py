"""Ended breaks keep their outcome whichever message reaches the read model first."""

import httpx
from fastapi import FastAPI
from recon_common.db import session_scope
from recon_common.events import BreakState
from recon_common.runtime import ServiceRuntime
from recon_reporting.models import ReportBreakOutcome
from sqlalchemy import delete

from tests.reporting.conftest import basic
from tests.reporting.factory import RECONCILIATION_ID
from tests.reporting.readmodel.break_scenarios import apply, break_messages, read_state

WRITTEN_OFF = BreakState.WRITTEN_OFF


async def test_write_off_before_transaction_shows_outcome(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    messages = break_messages()

    await apply(app, messages.change(WRITTEN_OFF, minutes=60), messages.run_envelope())

    response = await client.get(
        f"/api/v1/transactions/{messages.transaction_id}", auth=basic("vera")
    )
    assert response.json()["status"] == "written_off"
    assert response.json()["reconciliation_id"] == RECONCILIATION_ID
    state = await read_state(app)
    assert messages.transaction_id not in state.open_break_ids()


async def test_force_close_before_transaction_shows_closed(app: FastAPI) -> None:
    messages = break_messages()

    await apply(
        app, messages.change(BreakState.CLOSED, minutes=60), messages.run_envelope()
    )

    state = await read_state(app)
    _, status, _, _, outcome = state.transaction(messages.transaction_id)
    assert status == "closed"
    assert outcome == "closed"


async def test_write_off_after_transaction_shows_outcome(app: FastAPI) -> None:
    messages = break_messages()

    await apply(app, messages.run_envelope(), messages.change(WRITTEN_OFF, minutes=60))

    state = await read_state(app)
    _, status, reconciliation_id, group_id, _ = state.transaction(
        messages.transaction_id
    )
    assert status == "written_off"
    assert reconciliation_id == RECONCILIATION_ID
    assert group_id is None
    assert messages.transaction_id not in state.open_break_ids()


async def test_write_off_between_chunks_kept(
    app: FastAPI,
) -> None:
    messages = break_messages()
    transactions, breaks = messages.split_run()

    await apply(app, transactions, messages.change(WRITTEN_OFF, minutes=60), breaks)

    state = await read_state(app)
    assert state.transaction(messages.transaction_id)[1] == "written_off"
    assert messages.transaction_id not in state.open_break_ids()


async def test_write_off_before_chunks_kept(app: FastAPI) -> None:
    messages = break_messages()
    transactions, breaks = messages.split_run()

    await apply(app, messages.change(WRITTEN_OFF, minutes=60), breaks, transactions)

    state = await read_state(app)
    assert state.transaction(messages.transaction_id)[1] == "written_off"
    assert messages.transaction_id not in state.open_break_ids()


async def test_write_off_leaves_other_breaks_open(app: FastAPI) -> None:
    messages = break_messages()

    await apply(app, messages.change(WRITTEN_OFF, minutes=60), messages.run_envelope())

    state = await read_state(app)
    other = [
        item.transaction_id
        for item in messages.run.opened_breaks
        if item.transaction_id != messages.transaction_id
    ]
    assert state.open_break_ids() == other
    assert [state.transaction(tid)[1] for tid in other] == ["open"] * len(other)


async def test_replay_of_same_messages_changes_nothing(app: FastAPI) -> None:
    messages = break_messages()
    history = [
        messages.run_envelope(),
        messages.change(BreakState.ASSIGNED, minutes=30, assignee="anna"),
        messages.change(WRITTEN_OFF, minutes=60),
    ]
    await apply(app, *history)
    before = await read_state(app)

    await apply(app, *history)
    after_replay = await read_state(app)
    await apply(app, *reversed(history))
    after_reversed = await read_state(app)

    assert before.transaction(messages.transaction_id)[1] == "written_off"
    assert after_replay == before
    assert after_reversed == before


async def test_replayed_run_after_write_off_keeps_outcome(app: FastAPI) -> None:
    messages = break_messages()
    run = messages.run_envelope()
    await apply(app, run, messages.change(WRITTEN_OFF, minutes=60))

    await apply(app, run)

    state = await read_state(app)
    assert state.transaction(messages.transaction_id)[1] == "written_off"
    assert messages.transaction_id not in state.open_break_ids()


async def test_reopen_newer_than_write_off_opens(app: FastAPI) -> None:
    messages = break_messages()

    await apply(
        app,
        messages.run_envelope(),
        messages.reopen(minutes=90),
        messages.change(WRITTEN_OFF, minutes=60),
    )

    state = await read_state(app)
    _, status, _, _, outcome = state.transaction(messages.transaction_id)
    assert status == "open"
    assert outcome is None
    assert messages.transaction_id in state.open_break_ids()


async def test_reopen_after_write_off_in_order_opens(app: FastAPI) -> None:
    messages = break_messages()

    await apply(
        app,
        messages.run_envelope(),
        messages.change(WRITTEN_OFF, minutes=60),
        messages.reopen(minutes=90),
    )

    state = await read_state(app)
    assert state.transaction(messages.transaction_id)[1] == "open"


async def test_older_assignment_after_write_off_skipped(app: FastAPI) -> None:
    messages = break_messages()

    await apply(
        app,
        messages.run_envelope(),
        messages.change(WRITTEN_OFF, minutes=60),
        messages.change(BreakState.ASSIGNED, minutes=30, assignee="anna"),
    )

    state = await read_state(app)
    assert state.transaction(messages.transaction_id)[1] == "written_off"
    assert messages.transaction_id not in state.open_break_ids()


async def test_newer_assignment_before_run_kept(app: FastAPI) -> None:
    messages = break_messages()

    await apply(
        app,
        messages.change(BreakState.ASSIGNED, minutes=30, assignee="anna"),
        messages.run_envelope(),
    )

    state = await read_state(app)
    [assigned] = [row for row in state.breaks if row[0] == messages.transaction_id]
    assert assigned[1] == "assigned"
    assert assigned[2] == "anna"
    assert state.transaction(messages.transaction_id)[1] == "open"


async def test_outcome_without_table_row_kept(app: FastAPI) -> None:
    messages = break_messages()
    transactions, _ = messages.split_run()
    await apply(app, messages.run_envelope(), messages.change(WRITTEN_OFF, minutes=60))
    # Rows ended before the migration have an outcome only on the transaction row.
    runtime: ServiceRuntime = app.state.runtime
    async with session_scope(runtime.sessions) as session:
        await session.execute(delete(ReportBreakOutcome))

    await apply(app, transactions)

    state = await read_state(app)
    assert state.outcomes == []
    assert state.transaction(messages.transaction_id)[1] == "written_off"
