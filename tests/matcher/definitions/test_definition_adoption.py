"""Transactions that arrived before their definition: adopted when it becomes active.

Each test runs on SQLite and on PostgreSQL. The transactions arrive through the
consumer's handler while no definition selects them, so they are stored
unassigned, and the definition then comes from the API or the definitions file.
"""

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import Matcher
from definition_factories import (
    DEFINITION_ID,
    definition_yaml,
    feed,
    file_text,
    headers,
    item,
    write_file,
)
from fastapi import FastAPI
from recon_common.db import session_scope
from recon_common.events import RecordKind, Transaction
from recon_common.runtime import ServiceRuntime
from recon_matcher.definitions.loader import parse_definition
from recon_matcher.definitions.store import Origin, save_version
from recon_matcher.models import MatchGroupItem, OutboxMessage, TransactionRecord
from recon_matcher.reconciliation.adoption import (
    AdoptionCounts,
    adopt_batch,
    adopt_unassigned,
    find_adoptions,
)
from recon_matcher.settings import MatcherSettings
from sqlalchemy import select

LEDGER = RecordKind.LEDGER
RERUN = f"/v1/reconciliations/{DEFINITION_ID}/rerun"
NOVEMBER = {"from": "2026-11-01", "to": "2026-11-30"}


def pairs(count: int) -> list[Transaction]:
    """Return `count` statement and ledger entries that match in pairs by reference."""
    found: list[Transaction] = []
    for index in range(count):
        amount = f"{100 + index}.00"
        reference = f"INV-{index}"
        found.append(item(f"s{index}", amount, reference=reference))
        found.append(item(f"l{index}", amount, kind=LEDGER, reference=reference))
    return found


async def assignments(app: FastAPI) -> dict[str, tuple[str | None, str | None]]:
    """Return the reconciliation id and side of every stored transaction."""
    runtime: ServiceRuntime = app.state.runtime
    async with session_scope(runtime.sessions) as session:
        rows = await session.execute(
            select(
                TransactionRecord.transaction_id,
                TransactionRecord.reconciliation_id,
                TransactionRecord.side,
            )
        )
        return {key: (reconciliation, side) for key, reconciliation, side in rows}


async def grouped(app: FastAPI) -> dict[str, str]:
    """Return the live group id of every grouped transaction."""
    runtime: ServiceRuntime = app.state.runtime
    async with session_scope(runtime.sessions) as session:
        rows = await session.execute(
            select(MatchGroupItem.transaction_id, MatchGroupItem.group_id)
        )
        return {key: group_id for key, group_id in rows}


async def produced(app: FastAPI) -> list[dict[str, Any]]:
    """Return the data of each `matches-produced` message in the outbox."""
    runtime: ServiceRuntime = app.state.runtime
    async with session_scope(runtime.sessions) as session:
        rows = await session.scalars(
            select(OutboxMessage).order_by(OutboxMessage.position)
        )
        bodies = [json.loads(row.body) for row in rows]
    return [body["data"] for body in bodies if body["type"] == "matches-produced"]


def produced_group_ids(messages: list[dict[str, Any]]) -> list[str]:
    """Return the id of every group in `messages`, repeats included."""
    return [group["group_id"] for data in messages for group in data["groups"]]


async def start_without_definitions(matcher: Matcher, path: Path) -> FastAPI:
    """Start the matcher with no definitions file, so no definition is active."""
    write_file(path, None)
    return await matcher.start()


async def put_definition(
    client: httpx.AsyncClient, token: str, text: str, *, activate: bool = True
) -> httpx.Response:
    return await client.put(
        f"/v1/definitions/{DEFINITION_ID}",
        content=text,
        params={"activate": str(activate).lower()},
        headers={**headers(token), "Content-Type": "application/yaml"},
    )


async def test_adoption_api_save_matches_earlier_transactions(
    matcher: Matcher, definitions_file: Path, service_token: str
) -> None:
    app = await start_without_definitions(matcher, definitions_file)
    await feed(app, "f1", pairs(2))

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://matcher"
    ) as client:
        response = await put_definition(client, service_token, definition_yaml())

    stored = await assignments(app)
    groups = await grouped(app)
    messages = await produced(app)
    assert response.status_code == 201
    assert stored["s0"] == (DEFINITION_ID, "a")
    assert stored["l1"] == (DEFINITION_ID, "b")
    assert sorted(groups) == ["l0", "l1", "s0", "s1"]
    assert len(set(groups.values())) == 2
    assert sorted(produced_group_ids(messages)) == sorted(set(groups.values()))
    assert messages[-1]["summaries"][0]["matched"] == 4


async def test_adoption_activation_adopts_then_nothing_twice(
    matcher: Matcher, definitions_file: Path, service_token: str
) -> None:
    app = await start_without_definitions(matcher, definitions_file)
    await feed(app, "f1", pairs(3))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://matcher"
    ) as client:
        await put_definition(client, service_token, definition_yaml())
        first_groups = await grouped(app)
        first_messages = len(await produced(app))
        await put_definition(
            client, service_token, definition_yaml(tolerance="1.00"), activate=False
        )

        again = await client.post(
            f"/v1/definitions/{DEFINITION_ID}/versions/2/activate",
            headers=headers(service_token),
        )

    assert again.status_code == 200
    assert len(first_groups) == 6
    assert await grouped(app) == first_groups
    assert len(await produced(app)) == first_messages


async def test_adoption_file_seeded_at_start_up(
    matcher: Matcher, definitions_file: Path
) -> None:
    app = await start_without_definitions(matcher, definitions_file)
    await feed(app, "f1", pairs(2))
    await matcher.stop()
    write_file(definitions_file, file_text(definition_yaml()))

    restarted = await matcher.start()

    assert sorted(await grouped(restarted)) == ["l0", "l1", "s0", "s1"]
    assert (await assignments(restarted))["s1"] == (DEFINITION_ID, "a")


async def test_adoption_crash_leaves_rest_for_restart(
    matcher: Matcher, definitions_file: Path, settings: MatcherSettings
) -> None:
    app = await start_without_definitions(matcher, definitions_file)
    await feed(app, "f1", pairs(3))
    runtime: ServiceRuntime = app.state.runtime
    definition = parse_definition(
        definition_yaml(), source="test", media_type="yaml"
    ).at_version(1)
    async with session_scope(runtime.sessions) as session:
        await save_version(
            session,
            definition=definition,
            source=definition_yaml(),
            source_format="yaml",
            origin=Origin.API,
            actor="ada",
            role="approver",
            note=None,
            activate=True,
            settings=settings,
        )
    # The first batch of two rows commits. The second one raises before its
    # commit, as a crash would end it.
    async with session_scope(runtime.sessions) as session:
        batch = await find_adoptions(
            session, definitions=[definition], scope=[definition], after=None, limit=2
        )
        await adopt_batch(
            session,
            batch=batch,
            definitions=[definition],
            settings=settings,
            counts=AdoptionCounts(),
        )
    with pytest.raises(RuntimeError):
        async with session_scope(runtime.sessions) as session:
            rest = await find_adoptions(
                session,
                definitions=[definition],
                scope=[definition],
                after=batch.last_id,
                limit=2,
            )
            await adopt_batch(
                session,
                batch=rest,
                definitions=[definition],
                settings=settings,
                counts=AdoptionCounts(),
            )
            raise RuntimeError("crash before the commit")
    after_crash = await assignments(app)

    counts = await adopt_unassigned(
        runtime.sessions,
        active=app.state.active_definitions,
        settings=settings,
        definition_id=None,
        trigger="start-up",
    )

    assert sorted(key for key, value in after_crash.items() if value[0]) == [
        "l0",
        "l1",
    ]
    assert counts.adopted == {DEFINITION_ID: 4}
    groups = await grouped(app)
    assert sorted(groups) == ["l0", "l1", "l2", "s0", "s1", "s2"]
    group_ids = produced_group_ids(await produced(app))
    assert len(group_ids) == len(set(group_ids))
    assert sorted(group_ids) == sorted(set(groups.values()))


async def test_adoption_rerun_dry_run_changes_nothing(
    matcher: Matcher,
    definitions_file: Path,
    settings: MatcherSettings,
    service_token: str,
) -> None:
    app = await start_without_definitions(matcher, definitions_file)
    await feed(app, "f1", pairs(2))
    await _save_without_adoption(app, settings)
    before = await assignments(app)
    messages_before = len(await produced(app))

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://matcher"
    ) as client:
        dry = await client.post(
            RERUN,
            params={**NOVEMBER, "dry_run": "true"},
            headers=headers(service_token),
        )

    assert dry.status_code == 200, dry.text
    assert dry.json()["items_considered"] == 4
    assert len(dry.json()["groups_formed"]) == 2
    assert await assignments(app) == before
    assert await grouped(app) == {}
    assert len(await produced(app)) == messages_before


async def test_adoption_rerun_adopts_range_only(
    matcher: Matcher,
    definitions_file: Path,
    settings: MatcherSettings,
    service_token: str,
) -> None:
    app = await start_without_definitions(matcher, definitions_file)
    december = [
        entry.model_copy(update={"value_date": entry.value_date.replace(month=12)})
        for entry in pairs(1)
    ]
    later = [
        entry.model_copy(update={"transaction_id": f"d{entry.transaction_id}"})
        for entry in december
    ]
    await feed(app, "f1", [*pairs(1), *later])
    await _save_without_adoption(app, settings)

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://matcher"
    ) as client:
        applied = await client.post(
            RERUN,
            params={**NOVEMBER, "dry_run": "false"},
            headers=headers(service_token),
        )

    stored = await assignments(app)
    assert applied.status_code == 200, applied.text
    assert sorted(await grouped(app)) == ["l0", "s0"]
    assert stored["s0"] == (DEFINITION_ID, "a")
    assert stored["ds0"] == (None, None)
    assert len(produced_group_ids(await produced(app))) == 1


async def _save_without_adoption(app: FastAPI, settings: MatcherSettings) -> None:
    # Saved through the store, as a matcher older than adoption did, so that the
    # transactions stay unassigned while the definition is active.
    definition = parse_definition(definition_yaml(), source="test", media_type="yaml")
    async with session_scope(app.state.runtime.sessions) as session:
        await save_version(
            session,
            definition=definition,
            source=definition_yaml(),
            source_format="yaml",
            origin=Origin.API,
            actor="ada",
            role="approver",
            note=None,
            activate=True,
            settings=settings,
        )


async def test_adoption_batches_match_across_batches(
    matcher: Matcher, definitions_file: Path, settings: MatcherSettings
) -> None:
    app = await start_without_definitions(matcher, definitions_file)
    await feed(app, "f1", pairs(3))
    await _save_without_adoption(app, settings)

    counts = await adopt_unassigned(
        app.state.runtime.sessions,
        active=app.state.active_definitions,
        settings=settings,
        definition_id=DEFINITION_ID,
        trigger="activation",
        batch_size=4,
    )

    groups = await grouped(app)
    assert counts.batches == 2
    assert counts.read == 6
    assert counts.adopted == {DEFINITION_ID: 6}
    assert sorted(groups) == ["l0", "l1", "l2", "s0", "s1", "s2"]
    assert len(set(groups.values())) == 3
