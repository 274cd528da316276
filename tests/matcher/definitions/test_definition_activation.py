"""Activating the version that is already active: idempotent, but never silent."""

import httpx
from definition_factories import DEFINITION_ID, audit_events, definition_yaml, headers
from fastapi import FastAPI

ACTIVATE_2 = f"/v1/definitions/{DEFINITION_ID}/versions/2/activate"
ACTIVATIONS = f"/v1/definitions/{DEFINITION_ID}/activations"


async def _stage_version_2(client: httpx.AsyncClient, token: str) -> None:
    response = await client.put(
        f"/v1/definitions/{DEFINITION_ID}",
        content=definition_yaml(tolerance="1.00"),
        params={"activate": "false"},
        headers={**headers(token), "Content-Type": "application/yaml"},
    )
    assert response.status_code == 201


async def test_activate_again_reports_already_active(
    client: httpx.AsyncClient, service_token: str
) -> None:
    await _stage_version_2(client, service_token)
    first = await client.post(
        ACTIVATE_2, json={"note": "wider tolerance"}, headers=headers(service_token)
    )

    again = await client.post(ACTIVATE_2, headers=headers(service_token))
    history = await client.get(ACTIVATIONS, headers=headers(service_token))

    assert first.json()["already_active"] is False
    assert again.status_code == 200
    assert again.json()["already_active"] is True
    assert again.json()["activation_number"] == first.json()["activation_number"]
    assert again.json()["note"] == "wider tolerance"
    assert [item["version"] for item in history.json()] == [1, 2]


async def test_activate_retry_with_same_note_succeeds(
    client: httpx.AsyncClient, service_token: str
) -> None:
    await _stage_version_2(client, service_token)
    note = {"note": "wider tolerance"}
    await client.post(ACTIVATE_2, json=note, headers=headers(service_token))

    retried = await client.post(ACTIVATE_2, json=note, headers=headers(service_token))
    blank = await client.post(
        ACTIVATE_2, json={"note": "   "}, headers=headers(service_token)
    )

    assert retried.status_code == 200
    assert retried.json()["already_active"] is True
    assert blank.status_code == 200
    assert blank.json()["already_active"] is True


async def test_activate_active_with_new_note_conflict(
    app: FastAPI, client: httpx.AsyncClient, service_token: str
) -> None:
    await _stage_version_2(client, service_token)
    first = await client.post(
        ACTIVATE_2, json={"note": "wider tolerance"}, headers=headers(service_token)
    )
    audited_before = len(await audit_events(app))

    response = await client.post(
        ACTIVATE_2,
        json={"note": "checked with the desk"},
        headers=headers(service_token, user="grace"),
    )
    history = await client.get(ACTIVATIONS, headers=headers(service_token))

    activated_at = first.json()["activated_at"]
    assert response.status_code == 409
    assert response.json()["error"] == "VersionAlreadyActive"
    assert response.json()["detail"].startswith(
        f"version 2 of definition {DEFINITION_ID!r} is already active, since "
        "activation 2 by ada at "
    )
    assert response.json()["detail"].endswith(
        "; nothing changed and the note was not saved, because a note is stored "
        "only with a change of the active version"
    )
    assert activated_at[:19] in response.json()["detail"]
    assert [item["note"] for item in history.json()][1:] == ["wider tolerance"]
    assert len(await audit_events(app)) == audited_before


async def test_activate_seeded_version_with_note_conflict(
    client: httpx.AsyncClient, service_token: str
) -> None:
    response = await client.post(
        f"/v1/definitions/{DEFINITION_ID}/versions/1/activate",
        json={"note": "confirming the file version"},
        headers=headers(service_token),
    )

    assert response.status_code == 409
    assert "activation 1 by file" in response.json()["detail"]
