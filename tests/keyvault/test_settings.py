"""Validation of the key broker settings."""

from pathlib import Path

import pytest
from pydantic import ValidationError
from recon_common.settings import Environment
from recon_keyvault.settings import KeyvaultSettings

from tests.keyvault.conftest import make_settings

STRONG = "q" * 40


def test_settings_defaults() -> None:
    settings = KeyvaultSettings()

    assert settings.http_port == 8083
    assert settings.service_name == "keyvault"
    assert settings.backend == "local"


def test_production_placeholder_master_key_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="master_key"):
        make_settings(
            tmp_path,
            environment=Environment.PRODUCTION,
            service_token=STRONG,
            service_tokens=f"ingest:{STRONG}",
        )


def test_production_without_service_tokens_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="service_tokens is empty"):
        make_settings(
            tmp_path,
            environment=Environment.PRODUCTION,
            service_token=STRONG,
            master_key=STRONG,
        )


def test_production_short_service_token_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="'ingest'"):
        make_settings(
            tmp_path,
            environment=Environment.PRODUCTION,
            service_token=STRONG,
            master_key=STRONG,
            service_tokens="ingest:short",
        )


def test_malformed_service_tokens_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="name:token"):
        make_settings(tmp_path, service_tokens="ingest-without-token")


def test_service_tokens_parsed(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, service_tokens=" ingest:abc , reporting:d:e ")

    assert settings.tokens_by_service() == {"ingest": "abc", "reporting": "d:e"}
