"""Tests for the local stack: one service token that every service accepts."""

import os
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

from recon_platform.stack import SERVICE_ORDER, LocalStack, StackError

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


def _running_stack_folder(tmp_path: Path, *, offset: str) -> Path:
    """Write the run folder of a stack whose key broker is this test's process."""
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "keyvault.pid").write_text(str(os.getpid()))
    (run_dir / "port-offset").write_text(f"{offset}\n")
    return tmp_path


def test_stack_running_uses_recorded_offset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RECON_PORT_OFFSET", raising=False)
    data_dir = _running_stack_folder(tmp_path, offset="700")

    stack = LocalStack(data_dir)

    assert stack.ports.offset == 700
    assert stack.url("matcher") == "http://127.0.0.1:8782"


def test_stack_offset_variable_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECON_PORT_OFFSET", "100")
    data_dir = _running_stack_folder(tmp_path, offset="700")

    stack = LocalStack(data_dir)

    assert stack.ports.offset == 100


def test_stack_running_offset_marked_from_last_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RECON_PORT_OFFSET", raising=False)
    data_dir = _running_stack_folder(tmp_path, offset="700")

    stack = LocalStack(data_dir)

    assert stack.offset_from_last_run is True


def test_stack_stopped_uses_last_offset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RECON_PORT_OFFSET", raising=False)
    data_dir = _running_stack_folder(tmp_path, offset="700")
    (data_dir / "run" / "keyvault.pid").unlink()

    stack = LocalStack(data_dir)

    assert stack.ports.offset == 700
    assert stack.offset_from_last_run is True
    assert stack.url("reporting") == "http://127.0.0.1:8780"


def test_stack_empty_variable_uses_last_offset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECON_PORT_OFFSET", "")
    data_dir = _running_stack_folder(tmp_path, offset="700")

    stack = LocalStack(data_dir)

    assert stack.ports.offset == 700


def test_stack_variable_not_marked_from_last_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECON_PORT_OFFSET", "700")
    data_dir = _running_stack_folder(tmp_path, offset="700")

    stack = LocalStack(data_dir)

    assert stack.offset_from_last_run is False


def test_stack_without_offset_file_uses_zero(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RECON_PORT_OFFSET", raising=False)

    stack = LocalStack(tmp_path)

    assert stack.ports.offset == 0
    assert stack.offset_from_last_run is False


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("abc", "invalid port offset 'abc' in RECON_PORT_OFFSET"),
        ("1.5", "invalid port offset '1.5' in RECON_PORT_OFFSET"),
        ("-1", "port offset -1 in RECON_PORT_OFFSET is out of range"),
        ("46444", "port offset 46444 in RECON_PORT_OFFSET is out of range"),
    ],
)
def test_stack_invalid_offset_variable_raises(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, expected: str
) -> None:
    monkeypatch.setenv("RECON_PORT_OFFSET", text)

    with pytest.raises(StackError) as caught:
        LocalStack(tmp_path)

    assert str(caught.value).startswith(expected)


def test_stack_highest_offset_accepted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECON_PORT_OFFSET", "46443")

    stack = LocalStack(tmp_path)

    assert stack.ports.of("kafka") == 65535


def test_stack_invalid_offset_file_names_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RECON_PORT_OFFSET", raising=False)
    data_dir = _running_stack_folder(tmp_path, offset="seven")

    with pytest.raises(StackError) as caught:
        LocalStack(data_dir)

    offset_file = data_dir / "run" / "port-offset"
    assert str(caught.value).startswith(
        f"invalid port offset 'seven' in {offset_file.resolve()}"
    )
