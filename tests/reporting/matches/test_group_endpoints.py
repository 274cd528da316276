"""Tests for the match group routes of the reporting API."""

import httpx
from fastapi import FastAPI
from recon_common.events import MatchesProduced, MatchGroupStatus

from tests.reporting.conftest import basic, feed
from tests.reporting.factory import DEFINITION_VERSION, build_day


async def test_group_detail_shows_definition_version(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    day = build_day(statements=4, matched_pairs=2)
    await feed(app, day.payload)

    response = await client.get("/api/v1/match-groups/group-000", auth=basic("vera"))

    assert response.status_code == 200
    assert response.json()["definition_version"] == DEFINITION_VERSION


async def test_group_list_shows_definition_version(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    day = build_day(statements=4, matched_pairs=2)
    await feed(app, day.payload)

    response = await client.get("/api/v1/match-groups", auth=basic("vera"))

    versions = [item["definition_version"] for item in response.json()["items"]]
    assert versions == [DEFINITION_VERSION, DEFINITION_VERSION]


async def test_group_without_version_is_null(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    day = build_day(statements=4, matched_pairs=1)
    payload: MatchesProduced = day.payload
    unversioned = [
        group.model_copy(update={"definition_version": None})
        for group in payload.groups
    ]
    await feed(app, payload.model_copy(update={"groups": unversioned}))

    response = await client.get("/api/v1/match-groups/group-000", auth=basic("vera"))

    assert response.json()["definition_version"] is None


async def test_group_unknown_id_not_found(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/match-groups/no-such", auth=basic("vera"))

    assert response.status_code == 404
    assert "no-such" in response.text


async def test_group_list_shows_status_and_origin(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    day = build_day(statements=4, matched_pairs=1)
    await feed(app, day.payload)

    response = await client.get("/api/v1/match-groups", auth=basic("vera"))

    (item,) = response.json()["items"]
    assert item["status"] == "confirmed"
    assert item["origin"] == "engine"


async def test_group_list_filters_by_status(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    day = build_day(statements=4, matched_pairs=2)
    payload: MatchesProduced = day.payload
    first, second = payload.groups
    proposed = second.model_copy(update={"status": MatchGroupStatus.PROPOSED})
    await feed(app, payload.model_copy(update={"groups": [first, proposed]}))

    response = await client.get(
        "/api/v1/match-groups", params={"status": "proposed"}, auth=basic("vera")
    )

    body = response.json()
    assert body["total"] == 1
    assert [item["group_id"] for item in body["items"]] == [second.group_id]


async def test_group_list_unknown_status_rejected(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/api/v1/match-groups", params={"status": "pending"}, auth=basic("vera")
    )

    assert response.status_code == 422
    assert "pending" in response.text
