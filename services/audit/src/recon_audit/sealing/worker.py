"""The background loop that seals the journal while the service runs."""

import asyncio

import structlog
from recon_common.storage import ObjectStore
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from recon_audit.sealing.service import seal_due
from recon_audit.settings import AuditSettings

log = structlog.get_logger(__name__)

# While rounds keep failing, one error in this many is logged.
_LOG_EVERY_FAILURES = 60


class JournalSealer:
    """Seal due segments every `seal_poll_interval_s` seconds."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        store: ObjectStore,
        settings: AuditSettings,
    ) -> None:
        self._sessions = sessions
        self._store = store
        self._settings = settings
        self._task: asyncio.Task[None] | None = None
        self.sealed = 0
        self._failures = 0

    def start(self) -> None:
        """Start the sealing loop as a background task."""
        self._task = asyncio.create_task(self._run(), name="journal-sealer")
        log.info(
            "audit.sealer.started",
            backend=self._settings.seal_backend.value,
            every_entries=self._settings.seal_every_entries,
            after_minutes=self._settings.seal_after_minutes,
        )

    async def stop(self) -> None:
        """Stop the loop. The next start finishes an interrupted segment."""
        if self._task is None:
            return
        self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            pass
        self._task = None
        log.info("audit.sealer.stopped", sealed=self.sealed)

    @property
    def running(self) -> bool:
        """Return whether the sealing loop is alive."""
        return self._task is not None and not self._task.done()

    async def _run(self) -> None:
        while True:
            try:
                results = await seal_due(
                    self._sessions, store=self._store, settings=self._settings
                )
                self.sealed += len(results)
                self._failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the loop must outlive outages
                # Database, storage and key broker outages are retried next round.
                # A broken chain or a conflicting object fails every round until a
                # person acts, so it is logged as an error.
                if self._failures % _LOG_EVERY_FAILURES == 0:
                    log.error(
                        "audit.sealer.round_failed",
                        error=f"{type(exc).__name__}: {exc}",
                        consecutive_failures=self._failures + 1,
                    )
                self._failures += 1
            await asyncio.sleep(self._settings.seal_poll_interval_s)
