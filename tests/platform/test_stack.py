"""Tests for the local stack: one service token that every service accepts."""

from pathlib import Path

import pytest
from pydantic_settings import BaseSettings
from recon_audit.settings import AuditSettings
from recon_common.settings import ServiceSettings
from recon_ingest.settings import IngestSettings
from recon_keyvault.auth import authenticate
from recon_keyvault.settings import KeyvaultSettings
from recon_matcher.settings import MatcherSettings
from recon_reporting.settings import ReportingSettings

from recon_platform.stack import SERVICE_ORDER, LocalStack

SETTINGS_CLASSES: dict[str, type[ServiceSettings]] = {
    "ingest": IngestSettings,
    "matcher": MatcherSettings,
    "reporting": ReportingSettings,
    "keyvault": KeyvaultSettings,
    "audit": AuditSettings,
}


def _settings_of(
    stack: LocalStack, service: str, monkeypatch: pytest.MonkeyPatch
) -> BaseSettings:
    """Build a service's settings from the environment the stack starts it with."""
    prefix = f"{service.upper()}_"
    for name, value in stack.environment(service, bootstrap="127.0.0.1:1").items():
        if name.startswith(prefix):
            monkeypatch.setenv(name, value)
    return SETTINGS_CLASSES[service]()


def test_stack_covers_every_service() -> None:
    assert set(SETTINGS_CLASSES) == set(SERVICE_ORDER)


@pytest.mark.parametrize("service", SERVICE_ORDER)
def test_stack_headers_carry_service_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, service: str
) -> None:
    stack = LocalStack(tmp_path)

    settings = _settings_of(stack, service, monkeypatch)

    assert isinstance(settings, ServiceSettings)
    expected = f"Bearer {settings.service_token.get_secret_value()}"
    assert stack.service_headers() == {"Authorization": expected}


def test_stack_token_overrides_shell_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUDIT_SERVICE_TOKEN", "left-over-from-the-shell")
    stack = LocalStack(tmp_path)

    settings = _settings_of(stack, "audit", monkeypatch)

    assert isinstance(settings, AuditSettings)
    assert settings.service_token.get_secret_value() != "left-over-from-the-shell"


@pytest.mark.parametrize("caller", ["ingest", "reporting"])
def test_stack_token_accepted_by_key_broker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caller: str
) -> None:
    stack = LocalStack(tmp_path)
    broker_settings = _settings_of(stack, "keyvault", monkeypatch)
    assert isinstance(broker_settings, KeyvaultSettings)

    caller_found = authenticate(
        broker_settings,
        authorization=stack.service_headers()["Authorization"],
        service=caller,
    )

    assert caller_found.service == caller
