"""Saves that name the version they started from (`base_version`)."""

import httpx
from definition_factories import DEFINITION_ID, definition_yaml, headers

YAML = {"Content-Type": "application/yaml"}


async def _save(
    client: httpx.AsyncClient,
    token: str,
    text: str,
    *,
    user: str = "ada",
    base_version: int | None = None,
) -> httpx.Response:
    params = {} if base_version is None else {"base_version": str(base_version)}
    return await client.put(
        f"/v1/definitions/{DEFINITION_ID}",
        content=text,
        params=params,
        headers={**headers(token, user=user), **YAML},
    )


async def _versions(client: httpx.AsyncClient, token: str) -> list[int]:
    response = await client.get(
        f"/v1/definitions/{DEFINITION_ID}/versions", headers=headers(token)
    )
    return [entry["version"] for entry in response.json()]


async def test_base_version_latest_saves(
    client: httpx.AsyncClient, service_token: str
) -> None:
    response = await _save(
        client, service_token, definition_yaml(tolerance="1.00"), base_version=1
    )

    assert response.status_code == 201
    assert response.json()["version"] == 2


async def test_base_version_stale_conflicts(
    client: httpx.AsyncClient, service_token: str
) -> None:
    newer = await _save(
        client,
        service_token,
        definition_yaml(tolerance="1.00"),
        user="grace",
        base_version=1,
    )

    stale = await _save(
        client, service_token, definition_yaml(tolerance="4.00"), base_version=1
    )

    assert newer.status_code == 201
    assert stale.status_code == 409
    assert stale.json()["error"] == "StaleBaseVersion"
    detail = stale.json()["detail"]
    assert "changed after version 1" in detail
    assert "the newest version is 2" in detail
    assert "saved by grace at " + newer.json()["saved_at"][:19] in detail
    assert "Nothing was saved" in detail
    assert "apply your change to it again" in detail
    assert await _versions(client, service_token) == [1, 2]


async def test_base_version_stale_keeps_active(
    client: httpx.AsyncClient, service_token: str
) -> None:
    await _save(client, service_token, definition_yaml(tolerance="1.00"))

    await _save(
        client, service_token, definition_yaml(tolerance="4.00"), base_version=1
    )

    active = await client.get(
        f"/v1/definitions/{DEFINITION_ID}", headers=headers(service_token)
    )
    assert active.json()["version"] == 2
    assert active.json()["definition"]["passes"][1]["amount_tolerance"] == "1.00"


async def test_base_version_omitted_overwrites(
    client: httpx.AsyncClient, service_token: str
) -> None:
    await _save(client, service_token, definition_yaml(tolerance="1.00"))

    response = await _save(client, service_token, definition_yaml(tolerance="4.00"))

    assert response.status_code == 201
    assert response.json()["version"] == 3


async def test_base_version_beyond_latest_not_found(
    client: httpx.AsyncClient, service_token: str
) -> None:
    response = await _save(
        client, service_token, definition_yaml(tolerance="1.00"), base_version=5
    )

    assert response.status_code == 404
    assert response.json()["error"] == "VersionNotFound"
    assert "the newest version is 1" in response.json()["detail"]
    assert await _versions(client, service_token) == [1]


async def test_base_version_negative_rejected(
    client: httpx.AsyncClient, service_token: str
) -> None:
    response = await _save(
        client, service_token, definition_yaml(tolerance="1.00"), base_version=-1
    )

    assert response.status_code == 422
    assert await _versions(client, service_token) == [1]
