"""Settings of the audit service, read from `AUDIT_*` environment variables."""

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict
from recon_common.settings import ServiceSettings


class AuditSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="AUDIT_", extra="ignore")

    service_name: str = "audit"
    http_port: int = 8084
    database_url: SecretStr = SecretStr("sqlite+aiosqlite:///./audit.db")
