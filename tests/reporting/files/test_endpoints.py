"""Tests for the file list: status filter and rejection reasons."""

import httpx
from fastapi import FastAPI

from tests.reporting.conftest import basic, feed, login
from tests.reporting.factory import REJECTION_REASON, build_day


async def test_files_rejected_shows_reason(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed(app, build_day().payload)

    response = await client.get(
        "/api/v1/files", params={"status": "rejected"}, auth=basic("vera")
    )

    [item] = response.json()["items"]
    assert item["file_id"] == "file-broken"
    assert item["status"] == "rejected"
    assert item["rejection_reason"] == REJECTION_REASON


async def test_file_detail_returns_reason(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed(app, build_day().payload)

    response = await client.get("/api/v1/files/file-broken", auth=basic("vera"))

    assert response.json()["rejection_reason"] == REJECTION_REASON


async def test_file_detail_unknown_not_found(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/files/missing", auth=basic("vera"))

    assert response.status_code == 404
    assert response.json()["error"] == "FileNotFound"


async def test_files_page_shows_rejection_reason(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed(app, build_day().payload)
    await login(client, "vera")

    response = await client.get("/files")

    assert response.status_code == 200
    assert "file-broken.sta" in response.text
    assert "tag :61: has an invalid value date 20261340" in response.text
