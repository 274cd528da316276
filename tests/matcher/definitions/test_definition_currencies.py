"""Currency codes in definitions: active ISO 4217 codes only, with suggestions."""

import json

import httpx
import pytest
from definition_factories import DEFINITION_ID, definition_yaml, headers
from fastapi import FastAPI
from iso4217 import Currency
from recon_common.db import session_scope
from recon_common.money import minor_units
from recon_matcher.definitions import DefinitionError
from recon_matcher.definitions.currencies import ACTIVE_CODES, nearest_codes
from recon_matcher.definitions.loader import parse_definition
from recon_matcher.definitions.records import DefinitionRecord, DefinitionVersionRecord

BASE = (
    "id: d1\nname: D\nbank_id: b\n"
    "side_b: {record_kind: ledger, accounts: [B1]}\n"
    "passes: [{name: e, kind: exact}]\n"
)


def _with_currencies(codes: str) -> str:
    return (
        BASE
        + f"side_a: {{record_kind: statement, accounts: [A1], currencies: {codes}}}\n"
    )


def _problems(text: str) -> list[tuple[str, str]]:
    with pytest.raises(DefinitionError) as caught:
        parse_definition(text)
    return [(problem.path, problem.message) for problem in caught.value.problems]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("EUE", ["EUR"]),
        ("GPB", ["GBP"]),
        ("JYP", ["JPY"]),
        ("USS", ["USD", "USN", "UZS"]),
        ("CHG", ["CHE", "CHF", "CHW"]),
        ("QQQ", []),
    ],
)
def test_nearest_codes_cases(code: str, expected: list[str]) -> None:
    assert nearest_codes(code) == expected


def test_currency_filter_lower_case_accepted() -> None:
    definition = parse_definition(_with_currencies("[eur, xau]"))

    assert definition.side_a.currencies == ["EUR", "XAU"]


def test_currency_filter_unknown_code_names_nearest() -> None:
    problems = _problems(_with_currencies("[EUR, EUX, QQQ]"))

    assert problems == [
        (
            "side_a.currencies[1]",
            "invalid currency code 'EUX': not an active ISO 4217 code; "
            "did you mean EUR?",
        ),
        (
            "side_a.currencies[2]",
            "invalid currency code 'QQQ': not an active ISO 4217 code; use the "
            "three-letter code of an active currency, such as EUR or USD",
        ),
    ]


def test_currency_filter_withdrawn_code_rejected() -> None:
    # The Croatian kuna was replaced by the euro in 2023.
    problems = _problems(_with_currencies("[HRK]"))

    assert len(problems) == 1
    assert problems[0][0] == "side_a.currencies[0]"
    assert (
        "invalid currency code 'HRK': not an active ISO 4217 code" in (problems[0][1])
    )


def test_currency_filter_not_letters_rejected() -> None:
    problems = _problems(_with_currencies("[US$]"))

    assert problems == [
        (
            "side_a.currencies[0]",
            "invalid currency code 'US$': expected three letters",
        )
    ]


def test_currency_tolerance_unknown_code_names_nearest() -> None:
    text = (
        BASE.replace(
            "passes: [{name: e, kind: exact}]",
            "passes: [{name: t, kind: tolerance, currency_tolerances: {GPB: 1}}]",
        )
        + "side_a: {record_kind: statement, accounts: [A1]}\n"
    )

    problems = _problems(text)

    assert problems == [
        (
            "passes[0].currency_tolerances",
            "invalid currency code 'GPB': not an active ISO 4217 code; "
            "did you mean GBP?",
        )
    ]


def test_active_codes_minor_units_agree() -> None:
    # `recon_common.money` lists only the exceptions to two decimals. Codes such as
    # XAU have no minor unit in ISO 4217, so they are left out of the comparison.
    differing = [
        currency.code
        for currency in Currency
        if currency.exponent is not None
        and minor_units(currency.code) != currency.exponent
    ]

    assert len(ACTIVE_CODES) > 150
    assert differing == []


async def test_api_save_unknown_currency_rejected(
    client: httpx.AsyncClient, service_token: str
) -> None:
    text = definition_yaml().replace(
        "side_a: {record_kind: statement,",
        "side_a: {record_kind: statement, currencies: [EUR, EUE],",
    )

    response = await client.put(
        f"/v1/definitions/{DEFINITION_ID}",
        content=text,
        headers={**headers(service_token), "Content-Type": "application/yaml"},
    )
    versions = await client.get(
        f"/v1/definitions/{DEFINITION_ID}/versions", headers=headers(service_token)
    )

    assert response.status_code == 422
    assert response.json()["detail"]["problems"] == [
        {
            "path": "side_a.currencies[1]",
            "message": "invalid currency code 'EUE': not an active ISO 4217 code; "
            "did you mean EUR?",
        }
    ]
    assert len(versions.json()) == 1


async def test_stored_version_with_withdrawn_code_loads(
    app: FastAPI, client: httpx.AsyncClient, service_token: str
) -> None:
    # A version saved before this check, or before ISO withdrew its code, must
    # still load, or the matcher could not match with its active definitions.
    async with session_scope(app.state.runtime.sessions) as session:
        seeded = await session.get(DefinitionVersionRecord, (DEFINITION_ID, 1))
        assert seeded is not None
        body = json.loads(seeded.body)
        body["side_a"]["currencies"] = ["HRK"]
        session.add(
            DefinitionVersionRecord(
                definition_id=DEFINITION_ID,
                version=2,
                body=json.dumps(body, sort_keys=True),
                source=seeded.source,
                source_format=seeded.source_format,
                origin="api",
                saved_by="ada",
                saved_at=seeded.saved_at,
                note="saved by an earlier matcher version",
            )
        )
        head = await session.get(DefinitionRecord, DEFINITION_ID)
        assert head is not None
        head.active_version = 2
        head.latest_version = 2

    response = await client.get(
        f"/v1/definitions/{DEFINITION_ID}", headers=headers(service_token)
    )
    async with session_scope(app.state.runtime.sessions) as session:
        active = await app.state.active_definitions.definitions(session)

    assert response.status_code == 200
    assert response.json()["definition"]["side_a"]["currencies"] == ["HRK"]
    assert [definition.side_a.currencies for definition in active] == [["HRK"]]
