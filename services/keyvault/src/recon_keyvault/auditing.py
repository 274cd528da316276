"""Audit events of the key broker, written through the outbox.

Key changes are recorded in the transaction that makes them, so the event and the
change commit together. Denied requests change nothing and their request transaction
rolls back, so `record_denial` commits its event in a transaction of its own.
"""

import structlog
from recon_common.audit import record_audit
from recon_common.db import session_scope
from recon_common.errors import ReconError
from recon_common.events import AuditOutcome
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from recon_keyvault.models import OutboxMessage
from recon_keyvault.settings import KeyvaultSettings

log = structlog.get_logger(__name__)


class AuditTrail:
    """Write the broker's audit events to its outbox."""

    def __init__(
        self,
        *,
        settings: KeyvaultSettings,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        self._settings = settings
        self._sessions = sessions

    def record_change(
        self,
        session: AsyncSession,
        *,
        actor: str,
        action: str,
        resource_type: str,
        resource_id: str,
        details: dict[str, str] | None = None,
    ) -> None:
        """Add a successful key change to the outbox in the caller's transaction."""
        record_audit(
            session,
            OutboxMessage,
            settings=self._settings,
            actor=actor,
            action=action,
            resource_type=resource_type,
            resource_id=resource_id,
            details=details,
        )

    async def record_denial(
        self,
        *,
        actor: str,
        action: str,
        resource_type: str,
        resource_id: str,
        error: ReconError,
        details: dict[str, str] | None = None,
    ) -> None:
        """Commit an audit event for a rejected request in its own transaction."""
        reason = {"error": type(error).__name__, "reason": error.message[:500]}
        async with session_scope(self._sessions) as session:
            record_audit(
                session,
                OutboxMessage,
                settings=self._settings,
                actor=actor,
                action=action,
                resource_type=resource_type,
                resource_id=resource_id,
                outcome=AuditOutcome.FAILURE,
                details={**(details or {}), **reason},
            )
        log.warning(
            "keyvault.request.denied",
            actor=actor,
            action=action,
            resource_id=resource_id,
            error=type(error).__name__,
        )
