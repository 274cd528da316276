"""Settings of the matcher service, read from `MATCHER_*` environment variables."""

from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict
from recon_common.events import BreakAgeBasis
from recon_common.settings import ServiceSettings


class MatcherSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MATCHER_", extra="ignore")

    service_name: str = "matcher"
    http_port: int = 8082
    database_url: SecretStr = SecretStr("sqlite+aiosqlite:///./matcher.db")
    # YAML file of reconciliation definitions that seeds the definition store at
    # start-up. The store keeps the versions, and /v1/definitions edits them.
    definitions_file: Path = Path("./reconciliations.yaml")
    # Items per `matches-produced` message list, far below the broker's 1 MB limit.
    chunk_size: int = 500

    # Date a break's age counts from, per reconciliation id, as JSON in the
    # environment: {"nostro-eur": "arrival"}. Others use `default_break_age_basis`.
    # A definition's own `break_age_basis`, if the definition model has one, wins.
    break_age_basis: dict[str, BreakAgeBasis] = {}
    default_break_age_basis: BreakAgeBasis = BreakAgeBasis.VALUE_DATE
