"""Settings of the ingest service, read from `INGEST_*` environment variables."""

import codecs
from enum import StrEnum
from pathlib import Path

from pydantic import PositiveInt, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict
from recon_common.settings import ServiceSettings

from recon_ingest.parsers import ParseSettings

_PARSE_DEFAULTS = ParseSettings()


class StorageBackend(StrEnum):
    LOCAL = "local"
    S3 = "s3"


class BalanceMismatch(StrEnum):
    WARN = "warn"
    REJECT = "reject"


class DuplicateFiles(StrEnum):
    REJECT = "reject"
    ACCEPT = "accept"


class DuplicateStatements(StrEnum):
    REJECT = "reject"
    SKIP = "skip"


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
    # YAML file listing the SFTP users (see docs/ingest.md for the format).
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
    chunk_size: PositiveInt = 500
    # Folder for the decrypted copy of a file and its parsed transactions while the
    # file is parsed, each in a private subfolder that is deleted afterwards. Unset
    # means the system's temporary folder (`TMPDIR`, else /tmp on Linux).
    parse_temp_path: Path | None = None

    # Parser limits. A file over any of them is rejected with the limit named.
    # Maximum size of a file the parser reads (bytes). Uploads up to
    # `max_upload_bytes` still land, so a larger file is kept and marked rejected.
    parse_max_file_bytes: PositiveInt = _PARSE_DEFAULTS.max_file_bytes
    # Maximum length of one line in MT, BAI2 and CSV files (characters).
    parse_max_line_chars: PositiveInt = _PARSE_DEFAULTS.max_line_chars
    # Maximum number of transactions in one file (entries).
    parse_max_entries: PositiveInt = _PARSE_DEFAULTS.max_entries
    # Maximum element nesting depth of camt XML (levels).
    parse_max_xml_depth: PositiveInt = _PARSE_DEFAULTS.max_xml_depth
    # Text encoding of every file, as a Python codec name; unset detects it.
    encoding: str | None = None
    # Opening balance plus entries differing from the closing balance: `warn` keeps
    # the statement with a warning, `reject` rejects the whole file.
    balance_mismatch: BalanceMismatch = BalanceMismatch.WARN
    # A file with the SHA-256 of a file of the same bank that was already parsed:
    # `reject` marks it rejected, `accept` marks it parsed but publishes no
    # transactions, so they are never posted twice.
    duplicate_files: DuplicateFiles = DuplicateFiles.REJECT
    # A statement (same account, statement id, sequence number, opening and closing
    # balances) already published from another file: `reject` rejects the new file,
    # `skip` leaves out that statement and its transactions with a warning.
    duplicate_statements: DuplicateStatements = DuplicateStatements.REJECT

    @field_validator("encoding")
    @classmethod
    def _check_encoding(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError(
                f"unknown encoding {value!r}; use a Python codec name such as "
                "utf-8, windows-1252, iso-8859-1 or cp852"
            ) from None
        return value

    def parse_settings(self) -> ParseSettings:
        """Return the parser settings these service settings select."""
        return ParseSettings(
            max_file_bytes=self.parse_max_file_bytes,
            max_line_chars=self.parse_max_line_chars,
            max_entries=self.parse_max_entries,
            max_xml_depth=self.parse_max_xml_depth,
            encoding=self.encoding,
            balance_mismatch=(
                "reject" if self.balance_mismatch is BalanceMismatch.REJECT else "warn"
            ),
        )
