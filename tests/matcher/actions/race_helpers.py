"""A barrier that makes two HTTP calls race, and the rows that the race tests read.

A barrier inside the action keeps the first call waiting until the second has read
the same rows, so both calls have passed the checks that read those rows before
either writes. On PostgreSQL the second call waits for the first call's row lock
instead, so the barrier gives up after a short timeout and the calls run one after
the other.
"""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from matcher_action_factories import feed, headers, item, ledger
from recon_common.db import session_scope
from recon_matcher.models import ApprovalRecord, BreakRecord, MatchGroupItem
from sqlalchemy import Select, select

ROUNDS = 3
BARRIER_TIMEOUT_SECONDS = 0.5
# How long a call that left the barrier waits before it writes, so that the other
# call commits first. It only makes the losing order likely, so a test that uses it
# must accept either order.
WRITE_DELAY_SECONDS = 0.3


def hold_at_barrier(
    monkeypatch: pytest.MonkeyPatch,
    module: Any,
    *names: str,
    barrier: asyncio.Barrier | None = None,
    delay: float = 0.0,
) -> asyncio.Barrier:
    """Make each function `names` of `module` wait until two calls reach any of them.

    A call that waits longer than the timeout goes on alone. Pass the returned
    barrier to a second call to hold functions of another module at the same one.
    After the barrier, the functions sleep `delay` seconds before they run.
    """
    shared = barrier or asyncio.Barrier(2)
    for name in names:
        original: Callable[..., Awaitable[Any]] = getattr(module, name)
        monkeypatch.setattr(module, name, _held(original, shared, delay))
    return shared


def _held(
    original: Callable[..., Awaitable[Any]], barrier: asyncio.Barrier, delay: float
) -> Callable[..., Awaitable[Any]]:
    async def held(*args: Any, **kwargs: Any) -> Any:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(barrier.wait(), BARRIER_TIMEOUT_SECONDS)
        if delay:
            await asyncio.sleep(delay)
        return await original(*args, **kwargs)

    return held


async def stored_approval(app: FastAPI, approval_id: str) -> ApprovalRecord | None:
    async with session_scope(app.state.runtime.sessions) as session:
        return await session.get(ApprovalRecord, approval_id)


async def stored_break(app: FastAPI, transaction_id: str) -> BreakRecord | None:
    async with session_scope(app.state.runtime.sessions) as session:
        return await session.get(BreakRecord, transaction_id)


async def request_write_off(
    client: httpx.AsyncClient, service_token: str, transaction_id: str
) -> str:
    response = await client.post(
        f"/v1/breaks/{transaction_id}/close-requests",
        json={"action": "write_off", "reason": "bank fee, below threshold"},
        headers=headers(service_token, "otto"),
    )
    assert response.status_code == 201
    approval_id: str = response.json()["approval_id"]
    return approval_id


async def proposed_groups(app: FastAPI) -> list[str]:
    """Feed one proposed group a round and return their ids, oldest first."""
    # 100.00 against 100.60 is inside the 1.00 tolerance but scores below 0.99.
    group_ids = []
    for round_ in range(ROUNDS):
        await feed(
            app,
            f"file-{round_}",
            [item(f"s{round_}", "100.00"), ledger(f"l{round_}", "100.60")],
        )
        async with session_scope(app.state.runtime.sessions) as session:
            group_id = await session.scalar(group_of(f"s{round_}"))
        assert group_id is not None, f"the engine formed no group of s{round_}"
        group_ids.append(group_id)
    return group_ids


def group_of(transaction_id: str) -> Select[str]:
    return select(MatchGroupItem.group_id).where(
        MatchGroupItem.transaction_id == transaction_id
    )
