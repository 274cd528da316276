"""Break outcomes on PostgreSQL, the tested server database.

The other tests of this folder run on SQLite. These repeat the ones that compare
stored message times, whose precision and time zone handling differ by database.
"""

import pytest
from fastapi import FastAPI
from recon_common.events import BreakState
from recon_common.migrations import upgrade_async

from tests.reporting.readmodel.break_scenarios import apply, break_messages, read_state

pytestmark = pytest.mark.postgres


@pytest.fixture
async def database_url(postgres_url: str) -> str:
    await upgrade_async("recon_reporting", postgres_url)
    return postgres_url


async def test_postgres_write_off_before_transaction_shows_outcome(
    app: FastAPI,
) -> None:
    messages = break_messages()
    transactions, breaks = messages.split_run()

    await apply(
        app, messages.change(BreakState.WRITTEN_OFF, minutes=60), breaks, transactions
    )

    state = await read_state(app)
    assert state.transaction(messages.transaction_id)[1] == "written_off"
    assert messages.transaction_id not in state.open_break_ids()


async def test_postgres_replay_of_same_messages_changes_nothing(app: FastAPI) -> None:
    messages = break_messages()
    history = [
        messages.run_envelope(),
        messages.change(BreakState.ASSIGNED, minutes=30, assignee="anna"),
        messages.change(BreakState.WRITTEN_OFF, minutes=60),
    ]
    await apply(app, *history)
    before = await read_state(app)

    await apply(app, *reversed(history))
    after = await read_state(app)

    assert before.transaction(messages.transaction_id)[1] == "written_off"
    assert after == before


async def test_postgres_reopen_newer_than_write_off_opens(app: FastAPI) -> None:
    messages = break_messages()

    await apply(
        app,
        messages.run_envelope(),
        messages.reopen(minutes=90),
        messages.change(BreakState.WRITTEN_OFF, minutes=60),
    )

    state = await read_state(app)
    assert state.transaction(messages.transaction_id)[1] == "open"
