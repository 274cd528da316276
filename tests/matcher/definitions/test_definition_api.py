"""The `/v1/definitions` API: versions, validation, activation, diff and access."""

import json

import httpx
import pytest
from definition_factories import DEFINITION_ID, audit_events, definition_yaml, headers
from fastapi import FastAPI

YAML = {"Content-Type": "application/yaml"}


async def _save(
    client: httpx.AsyncClient,
    token: str,
    text: str,
    *,
    params: dict[str, str] | None = None,
) -> httpx.Response:
    return await client.put(
        f"/v1/definitions/{DEFINITION_ID}",
        content=text,
        params=params,
        headers={**headers(token), **YAML},
    )


async def test_api_list_shows_seeded_definition(
    client: httpx.AsyncClient, service_token: str
) -> None:
    response = await client.get("/v1/definitions", headers=headers(service_token))

    body = response.json()
    assert response.status_code == 200
    assert [item["definition_id"] for item in body] == [DEFINITION_ID]
    assert body[0]["active_version"] == 1
    assert body[0]["updated_by"] == "file"


async def test_api_list_shows_active_name_and_saver(
    client: httpx.AsyncClient, service_token: str
) -> None:
    await client.put(
        f"/v1/definitions/{DEFINITION_ID}",
        params={"activate": "false"},
        content=definition_yaml(name="Staged name"),
        headers={**headers(service_token), "Content-Type": "application/yaml"},
    )

    response = await client.get("/v1/definitions", headers=headers(service_token))

    (item,) = response.json()
    assert item["latest_version"] == 2
    assert item["name"] == "Nostro EUR"
    assert item["active_saved_by"] == "file"
    assert item["active_saved_at"] is not None


async def test_api_save_increments_version(
    client: httpx.AsyncClient, service_token: str
) -> None:
    first = await _save(client, service_token, definition_yaml(tolerance="1.00"))
    second = await _save(
        client,
        service_token,
        definition_yaml(tolerance="2.50"),
        params={"note": "wider tolerance"},
    )

    assert first.status_code == 201
    assert first.json()["version"] == 2
    assert second.json()["version"] == 3
    assert second.json()["active"] is True
    assert second.json()["note"] == "wider tolerance"
    assert second.json()["saved_by"] == "ada"
    assert second.json()["definition"]["passes"][1]["amount_tolerance"] == "2.50"


async def test_api_old_version_unchanged_after_save(
    client: httpx.AsyncClient, service_token: str
) -> None:
    before = await client.get(
        f"/v1/definitions/{DEFINITION_ID}",
        params={"version": "1"},
        headers=headers(service_token),
    )

    await _save(client, service_token, definition_yaml(tolerance="1.00"))
    after = await client.get(
        f"/v1/definitions/{DEFINITION_ID}",
        params={"version": "1"},
        headers=headers(service_token),
    )

    assert after.status_code == 200
    assert after.json()["definition"] == before.json()["definition"]
    assert after.json()["source"] == before.json()["source"]
    assert after.json()["saved_at"] == before.json()["saved_at"]
    assert after.json()["active"] is False


async def test_api_save_json_body(
    client: httpx.AsyncClient, service_token: str
) -> None:
    current = await client.get(
        f"/v1/definitions/{DEFINITION_ID}", headers=headers(service_token)
    )
    document = current.json()["definition"]
    document["name"] = "Nostro EUR, renamed"

    response = await client.put(
        f"/v1/definitions/{DEFINITION_ID}",
        content=json.dumps(document),
        headers={**headers(service_token), "Content-Type": "application/json"},
    )

    assert response.status_code == 201
    assert response.json()["source_format"] == "json"
    assert response.json()["definition"]["name"] == "Nostro EUR, renamed"


async def test_api_invalid_body_names_path(
    client: httpx.AsyncClient, service_token: str
) -> None:
    text = definition_yaml(tolerance="-1")

    response = await _save(client, service_token, text)

    problems = response.json()["detail"]["problems"]
    assert response.status_code == 422
    assert response.json()["error"] == "InvalidDefinition"
    assert problems[0]["path"] == "passes[1].amount_tolerance"
    assert problems[0]["message"].startswith("must not be negative, found -1")


async def test_api_invalid_body_saves_nothing(
    client: httpx.AsyncClient, service_token: str
) -> None:
    await _save(client, service_token, definition_yaml(tolerance="-1"))

    versions = await client.get(
        f"/v1/definitions/{DEFINITION_ID}/versions", headers=headers(service_token)
    )

    assert [item["version"] for item in versions.json()] == [1]


@pytest.mark.parametrize(
    ("text", "path", "fragment"),
    [
        (
            definition_yaml().replace("kind: exact", "kind: exakt"),
            "passes[0]",
            "set `kind` to `exact`, `tolerance` or `fuzzy`",
        ),
        (
            definition_yaml().replace("bank_id: bank-1", "bank_id: bank-2"),
            "bank_id",
            "the bank of this deployment",
        ),
        (
            definition_yaml().replace(f"id: {DEFINITION_ID}", "id: other"),
            "id",
            "as in the URL",
        ),
        ("id: [unclosed\n", "", "invalid YAML at line 2"),
        ("- a list\n", "", "expected one definition as a mapping"),
    ],
)
async def test_api_invalid_bodies_rejected(
    client: httpx.AsyncClient, service_token: str, text: str, path: str, fragment: str
) -> None:
    response = await _save(client, service_token, text)

    problems = response.json()["detail"]["problems"]
    assert response.status_code == 422
    assert problems[0]["path"] == path
    assert fragment in problems[0]["message"]


async def test_api_validate_saves_nothing(
    client: httpx.AsyncClient, service_token: str
) -> None:
    response = await client.post(
        "/v1/definitions/validate",
        content=definition_yaml(tolerance="1.00"),
        headers={**headers(service_token, role="viewer"), **YAML},
    )
    versions = await client.get(
        f"/v1/definitions/{DEFINITION_ID}/versions", headers=headers(service_token)
    )

    assert response.status_code == 200
    assert response.json()["valid"] is True
    assert response.json()["definition"]["passes"][1]["amount_tolerance"] == "1.00"
    assert len(versions.json()) == 1


async def test_api_validate_rejects_invalid(
    client: httpx.AsyncClient, service_token: str
) -> None:
    text = definition_yaml().replace("side_b: {", "side_b: {colour: red, ")

    response = await client.post(
        "/v1/definitions/validate",
        content=text,
        headers={**headers(service_token), **YAML},
    )

    problems = response.json()["detail"]["problems"]
    assert response.status_code == 422
    assert problems[0]["path"] == "side_b.colour"
    assert "remove this key" in problems[0]["message"]


async def test_api_activate_older_version(
    client: httpx.AsyncClient, service_token: str
) -> None:
    await _save(client, service_token, definition_yaml(tolerance="1.00"))

    response = await client.post(
        f"/v1/definitions/{DEFINITION_ID}/versions/1/activate",
        json={"note": "back to exact only"},
        headers=headers(service_token),
    )
    current = await client.get(
        f"/v1/definitions/{DEFINITION_ID}", headers=headers(service_token)
    )
    history = await client.get(
        f"/v1/definitions/{DEFINITION_ID}/activations", headers=headers(service_token)
    )

    assert response.status_code == 200
    assert response.json()["version"] == 1
    assert response.json()["previous_version"] == 2
    assert response.json()["already_active"] is False
    assert current.json()["version"] == 1
    assert [item["version"] for item in history.json()] == [1, 2, 1]
    assert [item["activation_number"] for item in history.json()] == [1, 2, 3]


async def test_api_activate_active_version_adds_nothing(
    client: httpx.AsyncClient, service_token: str
) -> None:
    response = await client.post(
        f"/v1/definitions/{DEFINITION_ID}/versions/1/activate",
        headers=headers(service_token),
    )
    history = await client.get(
        f"/v1/definitions/{DEFINITION_ID}/activations", headers=headers(service_token)
    )

    assert response.status_code == 200
    assert response.json()["activation_number"] == 1
    assert response.json()["already_active"] is True
    assert len(history.json()) == 1


async def test_api_staged_save_keeps_active(
    client: httpx.AsyncClient, service_token: str
) -> None:
    response = await _save(
        client,
        service_token,
        definition_yaml(tolerance="1.00"),
        params={"activate": "false"},
    )
    current = await client.get(
        f"/v1/definitions/{DEFINITION_ID}", headers=headers(service_token)
    )

    assert response.status_code == 201
    assert response.json()["version"] == 2
    assert response.json()["active"] is False
    assert current.json()["version"] == 1


async def test_api_unknown_version_not_found(
    client: httpx.AsyncClient, service_token: str
) -> None:
    missing_version = await client.post(
        f"/v1/definitions/{DEFINITION_ID}/versions/9/activate",
        headers=headers(service_token),
    )
    missing_id = await client.get(
        "/v1/definitions/absent", headers=headers(service_token)
    )

    assert missing_version.status_code == 404
    assert missing_version.json()["error"] == "VersionNotFound"
    assert missing_id.status_code == 404
    assert missing_id.json()["error"] == "DefinitionNotFound"


async def test_api_diff_between_versions(
    client: httpx.AsyncClient, service_token: str
) -> None:
    await _save(client, service_token, definition_yaml(tolerance="1.00"))

    response = await client.get(
        f"/v1/definitions/{DEFINITION_ID}/diff",
        params={"from": "1", "to": "2"},
        headers=headers(service_token),
    )

    diff = response.json()["diff"]
    assert response.status_code == 200
    assert f"--- {DEFINITION_ID} version 1" in diff
    assert "+  amount_tolerance: '1.00'" in diff
    assert "-  amount_tolerance" not in diff


async def test_api_save_and_activation_audited(
    app: FastAPI, client: httpx.AsyncClient, service_token: str
) -> None:
    await _save(client, service_token, definition_yaml(tolerance="1.00"))
    await client.post(
        f"/v1/definitions/{DEFINITION_ID}/versions/1/activate",
        headers=headers(service_token),
    )

    events = [
        (event["action"], event["actor"], event["details"].get("version"))
        for event in await audit_events(app)
        if event["resource_type"] == "definition"
    ]

    assert events == [
        ("definition.save", "file", "1"),
        ("definition.activate", "file", "1"),
        ("definition.save", "ada", "2"),
        ("definition.activate", "ada", "2"),
        ("definition.activate", "ada", "1"),
    ]


@pytest.mark.parametrize(
    ("request_headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Bearer wrong", "X-Acting-User": "ada"}, 401),
        ("viewer", 403),
        ("operator", 403),
    ],
)
async def test_api_save_unauthorized_rejected(
    client: httpx.AsyncClient,
    service_token: str,
    request_headers: dict[str, str] | str,
    status: int,
) -> None:
    if isinstance(request_headers, str):
        request_headers = headers(service_token, role=request_headers)

    response = await client.put(
        f"/v1/definitions/{DEFINITION_ID}",
        content=definition_yaml(tolerance="1.00"),
        headers={**request_headers, **YAML},
    )
    versions = await client.get(
        f"/v1/definitions/{DEFINITION_ID}/versions", headers=headers(service_token)
    )

    assert response.status_code == status
    assert len(versions.json()) == 1


async def test_api_read_without_token_rejected(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/definitions")

    assert response.status_code == 401
    assert response.json()["error"] == "InvalidServiceToken"


async def test_api_activate_as_viewer_rejected(
    client: httpx.AsyncClient, service_token: str
) -> None:
    response = await client.post(
        f"/v1/definitions/{DEFINITION_ID}/versions/1/activate",
        headers=headers(service_token, role="viewer"),
    )

    assert response.status_code == 403
    assert response.json()["error"] == "ActionForbidden"


async def test_api_unsupported_media_type(
    client: httpx.AsyncClient, service_token: str
) -> None:
    response = await client.put(
        f"/v1/definitions/{DEFINITION_ID}",
        content=b"<definition/>",
        headers={**headers(service_token), "Content-Type": "application/xml"},
    )

    assert response.status_code == 415


async def test_api_oversized_body_rejected(
    client: httpx.AsyncClient, service_token: str
) -> None:
    text = definition_yaml() + "# " + "x" * 1_100_000 + "\n"

    response = await _save(client, service_token, text)

    assert response.status_code == 413


async def test_api_diff_without_versions_uses_envelope(
    client: httpx.AsyncClient, service_token: str
) -> None:
    response = await client.get(
        f"/v1/definitions/{DEFINITION_ID}/diff", headers=headers(service_token)
    )

    body = response.json()
    assert response.status_code == 422
    assert body["error"] == "RequestValidationError"
    assert body["detail"] == (
        "missing query parameter from; send a whole number; "
        "missing query parameter to; send a whole number"
    )


async def test_api_read_without_acting_user_rejected(
    client: httpx.AsyncClient, service_token: str
) -> None:
    response = await client.get(
        "/v1/definitions", headers={"Authorization": f"Bearer {service_token}"}
    )

    assert response.status_code == 400
    assert response.json()["error"] == "MissingActingUser"
    assert (
        "missing X-Acting-User and X-Acting-Role headers;" in response.json()["detail"]
    )


async def test_api_unchanged_active_save_conflicts(
    client: httpx.AsyncClient, service_token: str
) -> None:
    response = await _save(client, service_token, definition_yaml())
    versions = await client.get(
        f"/v1/definitions/{DEFINITION_ID}/versions", headers=headers(service_token)
    )

    assert response.status_code == 409
    assert "version 1 of definition" in response.json()["detail"]
    assert "nothing to save" in response.json()["detail"]
    assert len(versions.json()) == 1


async def test_api_unchanged_staged_save_names_activation(
    client: httpx.AsyncClient, service_token: str
) -> None:
    staged = definition_yaml(tolerance="1.00")
    await _save(client, service_token, staged, params={"activate": "false"})

    response = await _save(client, service_token, "# same again\n" + staged)

    assert response.status_code == 409
    assert "/versions/2/activate" in response.json()["detail"]


async def test_api_overlapping_definition_warns(
    client: httpx.AsyncClient, service_token: str
) -> None:
    text = definition_yaml().replace(f"id: {DEFINITION_ID}", "id: a-overlap")

    validated = await client.post(
        "/v1/definitions/validate",
        content=text,
        headers={**headers(service_token), **YAML},
    )
    saved = await client.put(
        "/v1/definitions/a-overlap",
        content=text,
        headers={**headers(service_token), **YAML},
    )
    own = await _save(client, service_token, definition_yaml(name="Renamed"))

    expected = [
        f"side_a: 1 account(s) are also selected by side_a of definition "
        f"{DEFINITION_ID!r}; a transaction of both goes to 'a-overlap', whose id "
        "sorts first",
        f"side_b: 1 account(s) are also selected by side_b of definition "
        f"{DEFINITION_ID!r}; a transaction of both goes to 'a-overlap', whose id "
        "sorts first",
    ]
    assert validated.status_code == 200
    assert validated.json()["warnings"] == expected
    assert saved.status_code == 201
    assert saved.json()["warnings"] == expected
    assert own.status_code == 201
    assert own.json()["warnings"] == [
        "side_a: 1 account(s) are also selected by side_a of definition "
        "'a-overlap'; a transaction of both goes to 'a-overlap', whose id sorts "
        "first",
        "side_b: 1 account(s) are also selected by side_b of definition "
        "'a-overlap'; a transaction of both goes to 'a-overlap', whose id sorts "
        "first",
    ]
