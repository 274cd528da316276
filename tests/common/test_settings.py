"""Tests for the settings base and its checks on secrets."""

import pytest
from pydantic import ValidationError
from recon_common.settings import Environment, ServiceSettings

STRONG_TOKEN = "q8V2rX5kLm9Zt3Yw7Bn4Hc6Jd1Fg0Sa2"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep variables of the developer's shell out of the settings under test."""
    for name in ("ENVIRONMENT", "SERVICE_TOKEN", "BANK_ID", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)


def test_settings_development_accepts_default_token() -> None:
    settings = ServiceSettings()

    assert settings.environment == Environment.DEVELOPMENT
    assert settings.service_token.get_secret_value() == "development-only-token"


@pytest.mark.parametrize(
    "token", ["changeme", "secret", "password", "development-only-token"]
)
def test_settings_production_placeholder_token_rejected(token: str) -> None:
    with pytest.raises(ValidationError, match="service_token is a placeholder"):
        ServiceSettings(environment=Environment.PRODUCTION, service_token=token)


def test_settings_production_default_token_rejected() -> None:
    with pytest.raises(ValidationError, match="service_token is a placeholder"):
        ServiceSettings(environment=Environment.PRODUCTION)


def test_settings_production_short_token_rejected() -> None:
    with pytest.raises(ValidationError, match="at least 32 characters"):
        ServiceSettings(
            environment=Environment.PRODUCTION, service_token=STRONG_TOKEN[:31]
        )


def test_settings_production_strong_token_accepted() -> None:
    settings = ServiceSettings(
        environment=Environment.PRODUCTION, service_token=STRONG_TOKEN
    )

    assert settings.service_token.get_secret_value() == STRONG_TOKEN


def test_settings_read_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("SERVICE_TOKEN", "changeme")

    with pytest.raises(ValidationError, match="service_token is a placeholder"):
        ServiceSettings()


def test_settings_secret_hidden_in_repr() -> None:
    settings = ServiceSettings(
        environment=Environment.PRODUCTION,
        service_token=STRONG_TOKEN,
        database_url="postgresql+asyncpg://recon:db-password@127.0.0.1/recon",
    )

    text = repr(settings)

    assert STRONG_TOKEN not in text
    assert "db-password" not in text
