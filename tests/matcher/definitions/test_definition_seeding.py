"""Seeding the definition store from the definitions file at start-up."""

from pathlib import Path

import httpx
from conftest import Matcher
from definition_factories import (
    DEFINITION_ID,
    definition_yaml,
    file_text,
    headers,
    write_file,
)
from fastapi import FastAPI


async def _versions(app: FastAPI, token: str) -> list[dict[str, object]]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://m") as http:
        response = await http.get(
            f"/v1/definitions/{DEFINITION_ID}/versions", headers=headers(token)
        )
    found: list[dict[str, object]] = response.json()
    return found


async def _save(app: FastAPI, token: str, text: str) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://m") as http:
        response = await http.put(
            f"/v1/definitions/{DEFINITION_ID}",
            content=text,
            headers={**headers(token), "Content-Type": "application/yaml"},
        )
    assert response.status_code == 201


async def test_seeding_first_start_saves_version(
    app: FastAPI, service_token: str
) -> None:
    versions = await _versions(app, service_token)

    assert len(versions) == 1
    assert versions[0]["saved_by"] == "file"
    assert versions[0]["origin"] == "file"
    assert versions[0]["active"] is True


async def test_seeding_restart_idempotent(matcher: Matcher, service_token: str) -> None:
    await matcher.start()
    await matcher.stop()
    await matcher.start()
    await matcher.stop()

    app = await matcher.start()
    versions = await _versions(app, service_token)

    assert [item["version"] for item in versions] == [1]


async def test_seeding_changed_file_adds_version(
    matcher: Matcher, service_token: str, definitions_file: Path
) -> None:
    await matcher.start()
    await matcher.stop()
    write_file(definitions_file, file_text(definition_yaml(tolerance="1.00")))

    app = await matcher.start()
    versions = await _versions(app, service_token)

    assert [item["version"] for item in versions] == [1, 2]
    assert versions[1]["saved_by"] == "file"
    assert versions[1]["active"] is True


async def test_seeding_keeps_api_edit(matcher: Matcher, service_token: str) -> None:
    first = await matcher.start()
    await _save(first, service_token, definition_yaml(tolerance="1.00"))
    await matcher.stop()

    app = await matcher.start()
    versions = await _versions(app, service_token)

    assert [item["version"] for item in versions] == [1, 2]
    assert versions[1]["saved_by"] == "ada"
    assert versions[1]["active"] is True


async def test_seeding_changed_file_wins(
    matcher: Matcher, service_token: str, definitions_file: Path
) -> None:
    first = await matcher.start()
    await _save(first, service_token, definition_yaml(tolerance="1.00"))
    await matcher.stop()
    write_file(definitions_file, file_text(definition_yaml(tolerance="3.00")))

    app = await matcher.start()
    versions = await _versions(app, service_token)

    assert [item["version"] for item in versions] == [1, 2, 3]
    assert versions[2]["saved_by"] == "file"
    assert versions[2]["active"] is True


async def test_seeding_equal_file_adds_nothing(
    matcher: Matcher, service_token: str, definitions_file: Path
) -> None:
    first = await matcher.start()
    await _save(first, service_token, definition_yaml(tolerance="1.00"))
    await matcher.stop()
    # The same definition written another way: key order and number format differ.
    text = definition_yaml(tolerance="1.0")
    lines = text.splitlines()
    reordered = "\n".join([lines[2], lines[1], lines[0], *lines[3:]]) + "\n"
    write_file(definitions_file, file_text(reordered))

    app = await matcher.start()
    versions = await _versions(app, service_token)

    assert [item["version"] for item in versions] == [1, 2]


async def test_seeding_without_file_keeps_store(
    matcher: Matcher, service_token: str, definitions_file: Path
) -> None:
    await matcher.start()
    await matcher.stop()
    write_file(definitions_file, None)

    app = await matcher.start()
    versions = await _versions(app, service_token)

    assert [item["version"] for item in versions] == [1]
    assert [item.id for item in app.state.definitions] == [DEFINITION_ID]
