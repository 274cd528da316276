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


@pytest.mark.parametrize("backend", ["local", "aws-kms", "pkcs11"])
def test_backend_names_accepted(tmp_path: Path, backend: str) -> None:
    settings = make_settings(tmp_path, backend=backend, pkcs11_token_label="t")

    assert settings.backend == backend


def test_unknown_backend_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="backend"):
        make_settings(tmp_path, backend="vault")


def test_pkcs11_defaults() -> None:
    settings = KeyvaultSettings()

    assert str(settings.pkcs11_library) == "/usr/lib/softhsm/libsofthsm2.so"
    assert repr(settings.pkcs11_pin) == "SecretStr('**********')"


def test_pkcs11_without_token_label_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="pkcs11_token_label"):
        make_settings(tmp_path, backend="pkcs11")


@pytest.mark.parametrize("environment", [Environment.TEST, Environment.PRODUCTION])
def test_pkcs11_placeholder_pin_rejected(
    tmp_path: Path, environment: Environment
) -> None:
    with pytest.raises(ValidationError, match="pkcs11_pin"):
        make_settings(
            tmp_path,
            environment=environment,
            backend="pkcs11",
            pkcs11_token_label="bank-a",
            service_token=STRONG,
            master_key=STRONG,
            service_tokens=f"ingest:{STRONG}",
        )


def test_pkcs11_placeholder_pin_allowed_in_development(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, backend="pkcs11", pkcs11_token_label="bank-a")

    assert settings.pkcs11_pin.get_secret_value() == "development-only-pin"


def test_production_aws_kms_needs_no_master_key(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path,
        environment=Environment.PRODUCTION,
        backend="aws-kms",
        kms_key_arn="arn:aws:kms:eu-west-1:210987654321:key/0f1e2d3c",
        service_token=STRONG,
        service_tokens=f"ingest:{STRONG}",
    )

    assert (
        settings.master_key.get_secret_value() == "development-only-keyring-master-key"
    )


def test_kms_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    arn = "arn:aws:kms:eu-west-1:210987654321:key/0f1e2d3c"
    monkeypatch.setenv("KEYVAULT_BACKEND", "aws-kms")
    monkeypatch.setenv("KEYVAULT_KMS_KEY_ARN", arn)
    monkeypatch.setenv("KEYVAULT_AWS_REGION", "eu-west-1")
    monkeypatch.setenv("KEYVAULT_KMS_ENDPOINT_URL", "http://127.0.0.1:5000")

    settings = KeyvaultSettings()

    assert settings.backend == "aws-kms"
    assert settings.kms_key_arn == arn
    assert settings.aws_region == "eu-west-1"
    assert settings.kms_endpoint_url == "http://127.0.0.1:5000"
