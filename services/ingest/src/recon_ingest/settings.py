"""Settings of the ingest service, read from `INGEST_*` environment variables."""

from enum import StrEnum
from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict
from recon_common.settings import ServiceSettings


class StorageBackend(StrEnum):
    LOCAL = "local"
    S3 = "s3"


class IngestSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INGEST_", extra="ignore")

    service_name: str = "ingest"
    http_port: int = 8081
    database_url: SecretStr = SecretStr("sqlite+aiosqlite:///./ingest.db")

    # SFTP server.
    sftp_host: str = "127.0.0.1"
    sftp_port: int = 2222
    # Folder with one home folder per SFTP user, and the landing queue.
    sftp_root: Path = Path("./sftp")
    # YAML file listing the SFTP users (see docs/sftp-users.md for the format).
    sftp_users_file: Path = Path("./sftp-users.yaml")
    # Host key of the SFTP server; generated (Ed25519) on first start if missing.
    sftp_host_key: Path = Path("./sftp-host-key")
    # Largest file accepted over SFTP (bytes).
    max_upload_bytes: int = 200 * 1024 * 1024

    # Object storage for landed files.
    storage_backend: StorageBackend = StorageBackend.LOCAL
    storage_path: Path = Path("./objects")
    s3_bucket: str = ""
    s3_prefix: str = ""
    s3_region: str = "eu-west-1"
    s3_endpoint_url: str | None = None
    kms_key_arn: str = ""
    # How long landed files are kept immutable (days), in COMPLIANCE mode.
    retention_days: int = 2557

    # YAML file of named CSV column mappings; empty means the built-in ledger layout.
    csv_profiles_file: Path | None = None
    # Transactions per `transactions-parsed` message, which keeps messages far below
    # the broker's 1 MB default limit (about 600 bytes per transaction).
    chunk_size: int = 500
