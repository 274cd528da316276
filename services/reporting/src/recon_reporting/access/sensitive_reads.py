"""Auditing the responses that showed account numbers in full."""

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from recon_reporting.access.redaction import AccountMasker
from recon_reporting.auditing import record_sensitive_read
from recon_reporting.auth.dependencies import client_address
from recon_reporting.dependencies import get_settings


def audit_revealed(
    request: Request,
    session: AsyncSession,
    *,
    masker: AccountMasker,
    resource_type: str,
) -> None:
    """Add a `sensitive.read` event to the request's transaction if needed."""
    resource = request.url.path
    if request.url.query:
        resource += "?" + request.url.query
    record_sensitive_read(
        session,
        settings=get_settings(request),
        actor=masker.user.username,
        resource_type=resource_type,
        resource=resource,
        revealed=masker.revealed,
        client_address=client_address(request),
    )
