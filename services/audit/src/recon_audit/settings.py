"""Settings of the audit service, read from `AUDIT_*` environment variables."""

from enum import StrEnum
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict
from recon_common.settings import ServiceSettings


class SealBackend(StrEnum):
    # Encrypted files under `seal_storage_path`: read-only, but not WORM storage.
    LOCAL = "local"
    # An S3 bucket with Object Lock, where segments get COMPLIANCE retention.
    S3 = "s3"
    # No sealing: verification checks only the hash chain in the database.
    NONE = "none"


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

    # Sealing of the journal into object storage (docs/audit.md). A segment is
    # written when `seal_every_entries` entries are unsealed, or when the oldest
    # unsealed entry is `seal_after_minutes` old. The loop checks every
    # `seal_poll_interval_s` seconds.
    seal_backend: SealBackend = SealBackend.LOCAL
    seal_every_entries: int = Field(default=1000, ge=1)
    seal_after_minutes: float = Field(default=15.0, gt=0)
    seal_poll_interval_s: float = Field(default=10.0, gt=0)
    # Days of COMPLIANCE retention on each segment and manifest. Set the bank's
    # record-keeping period. The local backend enforces it in the platform only.
    seal_retention_days: int = Field(default=3653, ge=1)
    # Local backend: the folder of the encrypted segment files.
    seal_storage_path: Path = Path("./audit-segments")
    # S3 backend: the bucket must exist with Object Lock enabled, or the service
    # does not start. Objects are encrypted with SSE-KMS under `seal_kms_key_arn`.
    seal_s3_bucket: str = ""
    seal_s3_prefix: str = ""
    seal_s3_region: str = "eu-west-1"
    seal_s3_endpoint_url: str | None = None
    seal_kms_key_arn: str = ""
