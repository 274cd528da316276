"""Tests for the IP allowlist and X-Forwarded-For handling."""

from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from recon_reporting.access.client_address import resolve_client
from recon_reporting.app import create_app
from recon_reporting.settings import ReportingSettings, parse_networks

from tests.reporting.conftest import basic, make_client


@pytest.fixture
async def proxied_app(settings: ReportingSettings) -> AsyncIterator[FastAPI]:
    configured = settings.model_copy(
        update={"allowed_cidrs": "192.0.2.0/24", "trusted_proxies": "10.0.0.0/8"}
    )
    application = create_app(configured, start_kafka=False)
    async with application.router.lifespan_context(application):
        yield application


async def test_allowlist_rejects_other_address(app: FastAPI) -> None:
    async with make_client(app, address="198.51.100.7") as http:
        response = await http.get("/api/v1/summary", auth=basic("vera"))

    assert response.status_code == 403
    assert response.json()["error"] == "ClientAddressNotAllowed"
    assert "198.51.100.7" in response.json()["detail"]


async def test_allowlist_exempts_health(app: FastAPI) -> None:
    async with make_client(app, address="198.51.100.7") as http:
        response = await http.get("/healthz")

    assert response.status_code == 200


async def test_allowlist_forwarded_for_from_trusted_proxy(proxied_app: FastAPI) -> None:
    async with make_client(proxied_app, address="10.1.2.3") as http:
        response = await http.get(
            "/api/v1/summary",
            headers={"X-Forwarded-For": "203.0.113.9, 192.0.2.44, 10.9.9.9"},
            auth=basic("vera"),
        )

    assert response.status_code == 200


async def test_allowlist_forwarded_for_from_untrusted_peer_ignored(
    proxied_app: FastAPI,
) -> None:
    async with make_client(proxied_app, address="198.51.100.7") as http:
        response = await http.get(
            "/api/v1/summary",
            headers={"X-Forwarded-For": "192.0.2.44"},
            auth=basic("vera"),
        )

    assert response.status_code == 403


async def test_allowlist_spoofed_left_entry_ignored(proxied_app: FastAPI) -> None:
    async with make_client(proxied_app, address="10.1.2.3") as http:
        response = await http.get(
            "/api/v1/summary",
            headers={"X-Forwarded-For": "192.0.2.44, 198.51.100.7"},
            auth=basic("vera"),
        )

    assert response.status_code == 403


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("192.0.2.1", ["203.0.113.5"], "192.0.2.1"),
        ("10.0.0.1", ["203.0.113.5, 10.0.0.2"], "203.0.113.5"),
        ("10.0.0.1", ["198.51.100.1", "203.0.113.5"], "203.0.113.5"),
        ("10.0.0.1", ["10.0.0.3"], "10.0.0.3"),
        ("10.0.0.1", ["[2001:db8::1]:4711"], "2001:db8::1"),
        ("10.0.0.1", [], "10.0.0.1"),
    ],
)
def test_resolve_client_cases(peer: str, forwarded: list[str], expected: str) -> None:
    address = resolve_client(
        peer, forwarded, trusted_proxies=parse_networks("10.0.0.0/8")
    )

    assert str(address) == expected


def test_settings_invalid_cidr_rejected() -> None:
    with pytest.raises(ValueError, match="invalid network"):
        ReportingSettings(allowed_cidrs="10.0.0.1/8")
