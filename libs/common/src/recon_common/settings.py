"""Settings base shared by every service.

Each service subclasses `ServiceSettings` with its own environment prefix (`INGEST_`,
`MATCHER_`, ...). Nothing reads settings at import time: `main()` or the app factory
builds them, so tests can pass their own values.
"""

from enum import StrEnum
from typing import Self

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_PLACEHOLDER_SECRETS = frozenset(
    {"changeme", "change-me", "secret", "password", "admin"}
)


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class LogFormat(StrEnum):
    CONSOLE = "console"
    JSON = "json"


class ServiceSettings(BaseSettings):
    """Settings that every service has, read from `<PREFIX>*` environment variables."""

    model_config = SettingsConfigDict(extra="ignore")

    service_name: str = "recon"
    environment: Environment = Environment.DEVELOPMENT
    bank_id: str = "demo-bank"

    # Database: sqlite+aiosqlite:///..., postgresql+asyncpg://..., oracle+oracledb://...
    database_url: SecretStr = SecretStr("sqlite+aiosqlite:///./recon.db")
    database_pool_size: int = 5

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    kafka_security_protocol: str = (
        "PLAINTEXT"  # PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL
    )
    kafka_sasl_mechanism: str | None = None  # PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: str | None = None
    # Prepended to every topic and consumer group name, so tests can share a broker.
    kafka_topic_prefix: str = ""

    http_host: str = "127.0.0.1"
    http_port: int = 8080

    log_format: LogFormat = LogFormat.CONSOLE
    log_level: str = "INFO"

    # Key broker base URL, used by services that encrypt or decrypt data.
    keyvault_url: str = "http://127.0.0.1:8083"
    # Token that services present to the key broker; placeholder values are rejected
    # outside development.
    service_token: SecretStr = SecretStr("development-only-token")

    @model_validator(mode="after")
    def _reject_placeholder_secrets(self) -> Self:
        if self.environment != Environment.PRODUCTION:
            return self
        token = self.service_token.get_secret_value()
        if token in _PLACEHOLDER_SECRETS or token.startswith("development"):
            raise ValueError(
                "service_token is a placeholder; set a random value of at least 32 "
                "characters in production"
            )
        if len(token) < 32:
            raise ValueError(
                "service_token must have at least 32 characters in production"
            )
        return self
