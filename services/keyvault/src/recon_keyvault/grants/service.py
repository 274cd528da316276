"""Creating, listing, revoking and checking grants on bank keys.

Rules: in development, a key that never had a grant may be used by every
authenticated service. Once a key has had any grant, revoked ones included, only an
active grant for the calling service, the operation and a matching encryption
context allows a request. Outside development a key without grants allows nothing.
Counting revoked grants keeps a key closed after its last grant is revoked.

A backend with grants of its own (AWS KMS) gets a copy of each grant with the same
operations and encryption-context constraint, and the copy is revoked with it. The
broker still checks its own grants on every request, whatever the backend does.

Rotation copies the grants of the old key to the new current key, so the services
that used the old key keep their access. Revoked grants are copied as revoked rows
too, so a development key that was closed by revoking its grants stays closed.
"""

import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from recon_keyvault.broker import Broker
from recon_keyvault.errors import GrantNotFound
from recon_keyvault.grants import repository
from recon_keyvault.grants.schemas import GrantOperation
from recon_keyvault.keys.service import require_key
from recon_keyvault.models import BankKey, KeyGrant

log = structlog.get_logger(__name__)

RESOURCE_TYPE = "key_grant"


async def create_grant(
    session: AsyncSession,
    *,
    broker: Broker,
    bank_id: str,
    key_id: str,
    grantee: str,
    operations: Sequence[GrantOperation],
    context_subset: Mapping[str, str],
    actor: str,
) -> KeyGrant:
    """Grant `grantee` the operations on a bank key and audit it."""
    key = await require_key(session, bank_id=bank_id, key_id=key_id)
    return await _add_grant(
        session,
        broker=broker,
        key=key,
        grantee=grantee,
        operations=sorted(set(operations)),
        context_subset=context_subset,
        actor=actor,
        carried_over_from=None,
    )


async def carry_over_grants(
    session: AsyncSession,
    *,
    broker: Broker,
    source: BankKey,
    target: BankKey,
    actor: str,
) -> list[KeyGrant]:
    """Copy the active grants of `source` to `target` and audit each copy.

    Rotation calls this so that services keep their access to the new current
    key. The grants of `source` stay, because its data keys still need them.
    Revoked grants are copied as revoked history rows, without an audit event or
    a backend grant, and are not returned.
    """
    copies = []
    for grant in await repository.list_grants(
        session, key_id=source.key_id, include_revoked=True
    ):
        if grant.revoked_at is not None:
            session.add(_revoked_copy(grant, target))
            continue
        copied = await _add_grant(
            session,
            broker=broker,
            key=target,
            grantee=grant.grantee,
            operations=grant.operations.split(","),
            context_subset=json.loads(grant.context_subset),
            actor=actor,
            carried_over_from=grant,
        )
        copies.append(copied)
    await session.flush()
    return copies


def _revoked_copy(grant: KeyGrant, target: BankKey) -> KeyGrant:
    return KeyGrant(
        grant_id=str(uuid.uuid4()),
        key_id=target.key_id,
        bank_id=target.bank_id,
        grantee=grant.grantee,
        operations=grant.operations,
        context_subset=grant.context_subset,
        created_by=grant.created_by,
        created_at=grant.created_at,
        revoked_by=grant.revoked_by,
        revoked_at=grant.revoked_at,
    )


async def _add_grant(
    session: AsyncSession,
    *,
    broker: Broker,
    key: BankKey,
    grantee: str,
    operations: Sequence[str],
    context_subset: Mapping[str, str],
    actor: str,
    carried_over_from: KeyGrant | None,
) -> KeyGrant:
    grant = KeyGrant(
        grant_id=str(uuid.uuid4()),
        key_id=key.key_id,
        bank_id=key.bank_id,
        grantee=grantee,
        operations=",".join(operations),
        context_subset=json.dumps(dict(context_subset), sort_keys=True),
        created_by=actor,
        created_at=datetime.now(UTC),
    )
    grant.backend_grant_id = await broker.backend.create_grant(
        key_ref=key.backend_key_ref,
        grant_id=grant.grant_id,
        grantee=grantee,
        operations=operations,
        context_subset=context_subset,
    )
    session.add(grant)
    await session.flush()

    details = {
        "bank_id": key.bank_id,
        "key_id": key.key_id,
        "grantee": grantee,
        "operations": grant.operations,
        "encryption_context_subset": grant.context_subset,
    }
    if carried_over_from is not None:
        details["carried_over_from_grant_id"] = carried_over_from.grant_id
        details["carried_over_from_key_id"] = carried_over_from.key_id
    broker.audit.record_change(
        session,
        actor=actor,
        action="grant.created",
        resource_type=RESOURCE_TYPE,
        resource_id=grant.grant_id,
        details=details,
    )
    log.info(
        "keyvault.grant.created",
        bank_id=key.bank_id,
        key_id=key.key_id,
        grant_id=grant.grant_id,
        grantee=grantee,
        actor=actor,
        carried_over_from=details.get("carried_over_from_grant_id"),
    )
    return grant


async def list_grants(
    session: AsyncSession, *, bank_id: str, key_id: str, include_revoked: bool
) -> Sequence[KeyGrant]:
    """Return the grants of a bank key."""
    await require_key(session, bank_id=bank_id, key_id=key_id)
    return await repository.list_grants(
        session, key_id=key_id, include_revoked=include_revoked
    )


async def revoke_grant(
    session: AsyncSession,
    *,
    broker: Broker,
    bank_id: str,
    key_id: str,
    grant_id: str,
    actor: str,
) -> KeyGrant:
    """Revoke an active grant and audit it."""
    key = await require_key(session, bank_id=bank_id, key_id=key_id)
    grant = await repository.get_grant(session, key_id=key_id, grant_id=grant_id)
    if grant is None or grant.revoked_at is not None:
        raise GrantNotFound(f"key {key_id} has no active grant {grant_id!r}")
    if grant.backend_grant_id is not None:
        await broker.backend.revoke_grant(
            key_ref=key.backend_key_ref, backend_grant_id=grant.backend_grant_id
        )
    grant.revoked_at = datetime.now(UTC)
    grant.revoked_by = actor
    await session.flush()
    broker.audit.record_change(
        session,
        actor=actor,
        action="grant.revoked",
        resource_type=RESOURCE_TYPE,
        resource_id=grant_id,
        details={"bank_id": bank_id, "key_id": key_id, "grantee": grant.grantee},
    )
    log.info(
        "keyvault.grant.revoked",
        bank_id=bank_id,
        key_id=key_id,
        grant_id=grant_id,
        actor=actor,
    )
    return grant


def is_allowed(
    grants: Sequence[KeyGrant],
    *,
    development: bool,
    service: str,
    operation: GrantOperation,
    encryption_context: Mapping[str, str],
) -> bool:
    """Return whether `grants` (revoked ones included) allow the request."""
    if not grants:
        return development
    return any(
        _allows(grant, service, operation, encryption_context) for grant in grants
    )


def _allows(
    grant: KeyGrant,
    service: str,
    operation: GrantOperation,
    encryption_context: Mapping[str, str],
) -> bool:
    if grant.revoked_at is not None or grant.grantee != service:
        return False
    if operation.value not in grant.operations.split(","):
        return False
    subset: dict[str, str] = json.loads(grant.context_subset)
    return all(encryption_context.get(name) == value for name, value in subset.items())
