"""Settings of the reporting service, read from `REPORTING_*` environment variables."""

import ipaddress
from pathlib import Path
from typing import Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict
from recon_common.settings import Environment, ServiceSettings

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_PLACEHOLDER_SECRETS = frozenset(
    {"changeme", "change-me", "secret", "password", "admin"}
)
_MIN_SECRET_LENGTH = 32


def parse_networks(value: str) -> tuple[IPNetwork, ...]:
    """Parse a comma-separated list of CIDR blocks or single addresses."""
    networks: list[IPNetwork] = []
    for item in value.split(","):
        text = item.strip()
        if not text:
            continue
        try:
            networks.append(ipaddress.ip_network(text, strict=True))
        except ValueError as exc:
            raise ValueError(
                f"invalid network {text!r}: expected a CIDR block such as "
                f"10.0.0.0/8 with no host bits set ({exc})"
            ) from None
    return tuple(networks)


class ReportingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REPORTING_", extra="ignore")

    service_name: str = "reporting"
    http_port: int = 8080
    database_url: SecretStr = SecretStr("sqlite+aiosqlite:///./reporting.db")

    # Access: comma-separated CIDR blocks. Requests from other addresses get 403.
    allowed_cidrs: str = "127.0.0.0/8,::1/128"
    # Load balancers whose X-Forwarded-For header is trusted. Empty trusts none.
    trusted_proxies: str = ""

    # Authentication: JSON file of local users, written by `recon-reporting add-user`.
    users_file: Path = Path("./reporting-users.json")
    # Key that signs session cookies and bearer tokens. Placeholders are rejected
    # outside development.
    session_secret: SecretStr = SecretStr("development-only-session-secret")
    # Lifetime of a browser session and of an API bearer token, in seconds. Both
    # also end earlier at logout or when an administrator revokes them.
    session_max_age_s: int = Field(default=8 * 3600, ge=60)
    api_token_max_age_s: int = Field(default=3600, ge=60)
    # Seconds that the HTTP Basic calls of one user from one client address share a
    # server-side session (default 15 minutes). Starting one audits a `login`, so
    # this sets how often a script's Basic calls add one. Every call still has its
    # password checked.
    basic_session_max_age_s: int = Field(default=15 * 60, ge=1)

    # Sign-in throttling: after this many failed sign-ins within the window, further
    # attempts for the same username get 429 until enough of those failures are
    # older than the window. A successful sign-in resets the username's count.
    login_max_failures: int = Field(default=5, ge=1)
    # The same for one client address, which a whole office may share behind NAT,
    # so the default is higher. A success does not reset it.
    login_max_failures_per_address: int = Field(default=20, ge=1)
    # Window in seconds (default 15 minutes).
    login_failure_window_s: int = Field(default=15 * 60, ge=1)

    # Matcher service base URL, called for operator actions with `service_token`.
    matcher_url: str = "http://127.0.0.1:8082"
    # Seconds to wait for the matcher's response to one operator action.
    matcher_timeout_s: float = 30.0

    # Redaction: characters of an account number or IBAN left visible at the end.
    redaction_visible_chars: int = 4

    @field_validator("allowed_cidrs", "trusted_proxies")
    @classmethod
    def _check_networks(cls, value: str) -> str:
        parse_networks(value)
        return value

    @model_validator(mode="after")
    def _reject_placeholder_session_secret(self) -> Self:
        if self.environment == Environment.DEVELOPMENT:
            return self
        secret = self.session_secret.get_secret_value()
        if secret.lower() in _PLACEHOLDER_SECRETS or secret.startswith("development"):
            raise ValueError(
                "session_secret is a placeholder; set REPORTING_SESSION_SECRET to a "
                f"random value of at least {_MIN_SECRET_LENGTH} characters"
            )
        if len(secret) < _MIN_SECRET_LENGTH:
            raise ValueError(
                f"session_secret must have at least {_MIN_SECRET_LENGTH} characters "
                f"outside development, got {len(secret)}"
            )
        return self

    @property
    def allowed_networks(self) -> tuple[IPNetwork, ...]:
        """Networks whose clients may reach the service."""
        return parse_networks(self.allowed_cidrs)

    @property
    def trusted_proxy_networks(self) -> tuple[IPNetwork, ...]:
        """Networks of the proxies whose X-Forwarded-For header is trusted."""
        return parse_networks(self.trusted_proxies)
