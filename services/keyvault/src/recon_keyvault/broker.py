"""The objects that every request of the key broker shares."""

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from recon_keyvault.auditing import AuditTrail
from recon_keyvault.backends import KeyBackend
from recon_keyvault.settings import KeyvaultSettings

log = structlog.get_logger(__name__)

# Successful data-key calls are too many to audit one by one, so they are counted
# and logged as one line per interval (seconds).
USAGE_LOG_INTERVAL_S = 60.0


@dataclass
class UsageCounter:
    """Counts of successful data-key calls, logged once per interval and at stop."""

    interval_s: float = USAGE_LOG_INTERVAL_S
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    _last_logged: float = field(default_factory=time.monotonic)

    def add(self, *, operation: str, service: str) -> None:
        """Count one successful operation and log the totals when the interval ends."""
        self.counts[(operation, service)] += 1
        if time.monotonic() - self._last_logged >= self.interval_s:
            self.flush()

    def flush(self) -> None:
        """Log the counts since the last line and reset them."""
        if self.counts:
            log.info(
                "keyvault.data_keys.used",
                counts={f"{op}:{svc}": n for (op, svc), n in self.counts.items()},
                total=sum(self.counts.values()),
            )
        self.counts.clear()
        self._last_logged = time.monotonic()


@dataclass(frozen=True)
class Broker:
    """Settings, key backend, audit trail and session factory of one process."""

    settings: KeyvaultSettings
    backend: KeyBackend
    audit: AuditTrail
    sessions: async_sessionmaker[AsyncSession]
    usage: UsageCounter = field(default_factory=UsageCounter)
    # The time against which deletion dates and material expiry are checked.
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
