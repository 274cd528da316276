"""Settings of the key broker, read from `KEYVAULT_*` environment variables."""

from enum import StrEnum
from pathlib import Path
from typing import Self

from pydantic import SecretStr, model_validator
from pydantic_settings import SettingsConfigDict
from recon_common.settings import Environment, ServiceSettings

# Accepted only when `environment` is `development`; production rejects it.
DEVELOPMENT_MASTER_KEY = "development-only-keyring-master-key"
# Accepted from any service name in development, rejected in production.
DEVELOPMENT_SERVICE_TOKEN = "development-only-token"  # noqa: S105 - public default

_PLACEHOLDERS = frozenset({"changeme", "change-me", "secret", "password", "admin"})
_MIN_SECRET_CHARS = 32


class KeyBackendName(StrEnum):
    LOCAL = "local"


def _is_placeholder(value: str) -> bool:
    return value in _PLACEHOLDERS or value.startswith("development")


class KeyvaultSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="KEYVAULT_", extra="ignore")

    service_name: str = "keyvault"
    http_port: int = 8083
    database_url: SecretStr = SecretStr("sqlite+aiosqlite:///./keyvault.db")

    # Where bank key material lives: `local` is a keyring folder on disk.
    backend: KeyBackendName = KeyBackendName.LOCAL
    # Folder of the local keyring: one encrypted file per bank key.
    keyring_path: Path = Path("./keyring")
    # Secret from which the key that encrypts keyring files is derived (HKDF-SHA256).
    # Use a random value of at least 32 characters, not a password.
    master_key: SecretStr = SecretStr(DEVELOPMENT_MASTER_KEY)
    # Services allowed to call the broker, as comma-separated `name:token` pairs,
    # for example `ingest:<token>,reporting:<token>`. In development, a service not
    # listed here may authenticate with `development-only-token`.
    service_tokens: SecretStr = SecretStr("")
    # Services allowed to create, enable and disable keys and to manage grants, as
    # comma-separated names. Empty: every authenticated service in development and
    # none in test or production.
    key_admins: str = ""

    @property
    def development(self) -> bool:
        """Return whether the development relaxations apply."""
        return self.environment == Environment.DEVELOPMENT

    def key_admin_names(self) -> frozenset[str]:
        """Return the service names allowed to change keys and grants."""
        return frozenset(
            name.strip() for name in self.key_admins.split(",") if name.strip()
        )

    def tokens_by_service(self) -> dict[str, str]:
        """Return the configured token of each service name."""
        tokens: dict[str, str] = {}
        raw = self.service_tokens.get_secret_value()
        for entry in raw.split(","):
            if not entry.strip():
                continue
            name, separator, token = entry.strip().partition(":")
            if not separator or not name.strip() or not token.strip():
                raise ValueError(
                    "service_tokens entries must be `name:token` pairs separated by "
                    f"commas; an entry for {name.strip() or '(no name)'!r} is invalid"
                )
            tokens[name.strip()] = token.strip()
        return tokens

    @model_validator(mode="after")
    def _check_keyvault_secrets(self) -> Self:
        tokens = self.tokens_by_service()
        if self.environment != Environment.PRODUCTION:
            return self
        master_key = self.master_key.get_secret_value()
        if _is_placeholder(master_key) or len(master_key) < _MIN_SECRET_CHARS:
            raise ValueError(
                "master_key is a placeholder or shorter than 32 characters; set a "
                "random value of at least 32 characters in production"
            )
        if not tokens:
            raise ValueError(
                "service_tokens is empty; list the `name:token` pair of every service "
                "that may call the key broker in production"
            )
        for name, token in tokens.items():
            if _is_placeholder(token) or len(token) < _MIN_SECRET_CHARS:
                raise ValueError(
                    f"service_tokens entry for {name!r} is a placeholder or shorter "
                    "than 32 characters; set a random token in production"
                )
        return self
