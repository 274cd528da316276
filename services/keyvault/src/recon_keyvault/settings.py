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
# User PIN of the PKCS#11 token, accepted only when `environment` is `development`.
DEVELOPMENT_PKCS11_PIN = "development-only-pin"  # noqa: S105 - public default
DEFAULT_PKCS11_LIBRARY = Path("/usr/lib/softhsm/libsofthsm2.so")

_PLACEHOLDERS = frozenset({"changeme", "change-me", "secret", "password", "admin"})
_MIN_SECRET_CHARS = 32


class KeyBackendName(StrEnum):
    LOCAL = "local"
    AWS_KMS = "aws-kms"
    PKCS11 = "pkcs11"


def _is_placeholder(value: str) -> bool:
    return value in _PLACEHOLDERS or value.startswith("development")


class KeyvaultSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="KEYVAULT_", extra="ignore")

    service_name: str = "keyvault"
    http_port: int = 8083
    database_url: SecretStr = SecretStr("sqlite+aiosqlite:///./keyvault.db")

    # Where bank key material lives: `local` is a keyring folder on disk, `aws-kms`
    # a KMS key, `pkcs11` an AES key on an HSM token.
    backend: KeyBackendName = KeyBackendName.LOCAL
    # Folder of the local keyring: one encrypted file per bank key.
    keyring_path: Path = Path("./keyring")
    # Secret from which the key that encrypts keyring files is derived (HKDF-SHA256).
    # Use a random value of at least 32 characters, not a password.
    master_key: SecretStr = SecretStr(DEVELOPMENT_MASTER_KEY)

    # aws-kms: ARN of the bank's KMS key, used as-is (a key in another account
    # works when its key policy allows this account). Empty: the broker creates a
    # KMS key in its own account for each bank key.
    kms_key_arn: str = ""
    # aws-kms: region of the KMS client. Empty: AWS_REGION or AWS_DEFAULT_REGION.
    aws_region: str = ""
    # aws-kms: KMS endpoint URL, for tests against an emulator. Empty: AWS's own.
    kms_endpoint_url: str = ""
    # aws-kms: IAM principal ARN that KMS grants name as grantee. Empty: the role
    # or user that the broker runs as, read with STS GetCallerIdentity.
    kms_grantee_principal: str = ""
    # pkcs11: path of the PKCS#11 module (SoftHSM2 here, CloudHSM in production).
    pkcs11_library: Path = DEFAULT_PKCS11_LIBRARY
    # pkcs11: label of the token that contains the bank keys.
    pkcs11_token_label: str = ""
    # pkcs11: user PIN of that token.
    pkcs11_pin: SecretStr = SecretStr(DEVELOPMENT_PKCS11_PIN)

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
    def _check_backend_settings(self) -> Self:
        if self.backend == KeyBackendName.PKCS11:
            if not self.pkcs11_token_label:
                raise ValueError(
                    "pkcs11_token_label is empty; set the label of the token that "
                    "holds the bank keys (KEYVAULT_PKCS11_TOKEN_LABEL)"
                )
            if not self.development and _is_placeholder(
                self.pkcs11_pin.get_secret_value()
            ):
                raise ValueError(
                    "pkcs11_pin is a placeholder; set the token's user PIN "
                    "(KEYVAULT_PKCS11_PIN) outside development"
                )
        return self

    @model_validator(mode="after")
    def _check_keyvault_secrets(self) -> Self:
        tokens = self.tokens_by_service()
        if self.environment != Environment.PRODUCTION:
            return self
        master_key = self.master_key.get_secret_value()
        # The master key only encrypts the local keyring's files.
        local = self.backend == KeyBackendName.LOCAL
        if local and (
            _is_placeholder(master_key) or len(master_key) < _MIN_SECRET_CHARS
        ):
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
