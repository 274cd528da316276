"""Stored versions: immutable rows, and the version that matches each chunk."""

import httpx
import pytest
from definition_factories import (
    DEFINITION_ID,
    definition_yaml,
    feed,
    group_passes,
    group_versions,
    headers,
    item,
    produced_group_versions,
)
from fastapi import FastAPI
from recon_common.db import session_scope
from recon_common.events import RecordKind
from recon_common.runtime import ServiceRuntime
from recon_matcher.definitions.records import (
    DefinitionActivationRecord,
    DefinitionVersionRecord,
)
from sqlalchemy import delete, update
from sqlalchemy.exc import DBAPIError

LEDGER = RecordKind.LEDGER


async def _save_tolerance(client: httpx.AsyncClient, token: str) -> None:
    response = await client.put(
        f"/v1/definitions/{DEFINITION_ID}",
        content=definition_yaml(tolerance="1.00"),
        headers={**headers(token), "Content-Type": "application/yaml"},
    )
    assert response.status_code == 201


async def _activate(client: httpx.AsyncClient, token: str, version: int) -> None:
    response = await client.post(
        f"/v1/definitions/{DEFINITION_ID}/versions/{version}/activate",
        headers=headers(token),
    )
    assert response.status_code == 200


async def test_version_row_update_rejected(app: FastAPI) -> None:
    runtime: ServiceRuntime = app.state.runtime

    with pytest.raises(DBAPIError, match="append-only"):
        async with session_scope(runtime.sessions) as session:
            await session.execute(
                update(DefinitionVersionRecord).values(note="rewritten")
            )


async def test_version_row_delete_rejected(app: FastAPI) -> None:
    runtime: ServiceRuntime = app.state.runtime

    with pytest.raises(DBAPIError, match="append-only"):
        async with session_scope(runtime.sessions) as session:
            await session.execute(delete(DefinitionVersionRecord))


async def test_activation_row_update_rejected(app: FastAPI) -> None:
    runtime: ServiceRuntime = app.state.runtime

    with pytest.raises(DBAPIError, match="append-only"):
        async with session_scope(runtime.sessions) as session:
            await session.execute(update(DefinitionActivationRecord).values(version=7))


async def test_chunk_matched_with_seeded_version(app: FastAPI) -> None:
    await feed(app, "f1", [item("s1", "100.00"), item("l1", "100.40", kind=LEDGER)])

    groups = await group_passes(app)

    assert groups == []


async def test_activation_switches_next_chunk(
    app: FastAPI, client: httpx.AsyncClient, service_token: str
) -> None:
    await feed(app, "f1", [item("s1", "100.00"), item("l1", "100.40", kind=LEDGER)])
    await _save_tolerance(client, service_token)

    await feed(app, "f2", [item("s2", "55.00")])

    passes = [pass_name for pass_name, _ in await group_passes(app)]
    assert passes == ["amount"]


async def test_older_activation_switches_back(
    app: FastAPI, client: httpx.AsyncClient, service_token: str
) -> None:
    await _save_tolerance(client, service_token)
    await _activate(client, service_token, 1)

    await feed(app, "f1", [item("s1", "100.00"), item("l1", "100.40", kind=LEDGER)])

    assert await group_passes(app) == []


async def test_activation_updates_app_definitions(
    app: FastAPI, client: httpx.AsyncClient, service_token: str
) -> None:
    await _save_tolerance(client, service_token)

    response = await client.get("/v1/reconciliations", headers=headers(service_token))

    (definition,) = app.state.definitions
    assert response.status_code == 200
    assert [step.name for step in definition.passes] == ["reference", "amount"]


async def test_request_without_token_not_refreshing(
    app: FastAPI, client: httpx.AsyncClient, service_token: str
) -> None:
    await _save_tolerance(client, service_token)

    response = await client.get(
        "/v1/reconciliations", headers=headers("not-the-service-token")
    )

    (definition,) = app.state.definitions
    assert response.status_code == 401
    assert [step.name for step in definition.passes] == ["reference"]


async def test_staged_version_not_used(
    app: FastAPI, client: httpx.AsyncClient, service_token: str
) -> None:
    response = await client.put(
        f"/v1/definitions/{DEFINITION_ID}",
        params={"activate": "false"},
        content=definition_yaml(tolerance="1.00"),
        headers={**headers(service_token), "Content-Type": "application/yaml"},
    )

    await feed(app, "f1", [item("s1", "100.00"), item("l1", "100.40", kind=LEDGER)])

    assert response.status_code == 201
    assert await group_passes(app) == []


async def test_group_records_seeded_version(app: FastAPI) -> None:
    await feed(
        app,
        "f1",
        [
            item("s1", "100.00", reference="INV-1"),
            item("l1", "100.00", kind=LEDGER, reference="INV-1"),
        ],
    )

    assert await group_versions(app) == {"reference": 1}


async def test_group_records_activated_version(
    app: FastAPI, client: httpx.AsyncClient, service_token: str
) -> None:
    await _save_tolerance(client, service_token)

    await feed(app, "f1", [item("s1", "100.00"), item("l1", "100.40", kind=LEDGER)])

    assert await group_versions(app) == {"amount": 2}


async def test_group_records_older_version_after_switch_back(
    app: FastAPI, client: httpx.AsyncClient, service_token: str
) -> None:
    await _save_tolerance(client, service_token)
    await _activate(client, service_token, 1)

    await feed(
        app,
        "f1",
        [
            item("s1", "100.00", reference="INV-1"),
            item("l1", "100.00", kind=LEDGER, reference="INV-1"),
        ],
    )

    assert await group_versions(app) == {"reference": 1}


async def test_produced_group_carries_version(
    app: FastAPI, client: httpx.AsyncClient, service_token: str
) -> None:
    await _save_tolerance(client, service_token)

    await feed(app, "f1", [item("s1", "100.00"), item("l1", "100.40", kind=LEDGER)])

    assert await produced_group_versions(app) == [2]


async def test_manual_group_records_active_version(
    app: FastAPI, client: httpx.AsyncClient, service_token: str
) -> None:
    await _save_tolerance(client, service_token)
    await feed(app, "f1", [item("s1", "100.00"), item("l1", "250.00", kind=LEDGER)])

    response = await client.post(
        f"/v1/reconciliations/{DEFINITION_ID}/manual-matches",
        json={"transaction_ids": ["s1", "l1"], "reason": "agreed", "force": True},
        headers=headers(service_token),
    )

    assert response.status_code == 201, response.text
    assert response.json()["group"]["definition_version"] == 2
    assert await group_versions(app) == {"manual": 2}
