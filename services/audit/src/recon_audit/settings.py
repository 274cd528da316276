"""Settings of the audit service, read from `AUDIT_*` environment variables."""

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict
from recon_common.settings import ServiceSettings


class AuditSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="AUDIT_", extra="ignore")

    service_name: str = "audit"
    http_port: int = 8084
    database_url: SecretStr = SecretStr("sqlite+aiosqlite:///./audit.db")

    # Alarm rules: a YAML file of rules and notification targets (docs/alarms.md).
    # Unset means only the built-in permission-change rule, which then stores its
    # alarms without sending notifications.
    alarm_rules_file: Path | None = None

    # Delivery of alarm notifications. Seconds between polls of the delivery table,
    # seconds allowed for one send, attempts before a delivery is marked failed, and
    # the exponential backoff between attempts (base doubled per attempt, capped).
    alarm_delivery_poll_interval_s: float = Field(default=1.0, gt=0)
    alarm_delivery_timeout_s: float = Field(default=10.0, gt=0)
    alarm_delivery_max_attempts: int = Field(default=8, ge=1)
    alarm_retry_base_s: float = Field(default=5.0, gt=0)
    alarm_retry_max_s: float = Field(default=900.0, gt=0)

    # SMTP server for email targets. The client upgrades with STARTTLS when
    # `smtp_starttls` is set, and logs in only when `smtp_username` is set.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_sender: str = "recon-audit@localhost"
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
