"""Rotating a bank's key: a new key version becomes the bank's current key.

Each version is a key of its own, with its own key id, backend material and state,
because wrapped data keys name the key id (`kv1.<key id>...`) and the broker finds
the key that decrypts them by that id. So after a rotation, new data keys come from
the new current key, data keys wrapped before still decrypt under the old key, and
disabling or deleting the old key makes only the old data unreadable. This is what
AWS KMS calls manual rotation: a new key behind the same name.

A `generated` successor becomes current in the rotation request. An `external`
successor starts in `pending_import`, and the old key stays current, so data keys
keep working, until the import of its material makes the successor current. While
one successor waits for its material, the current key cannot be rotated again.

When the successor becomes current, the active grants of the old key are copied to
it (`grants.service.carry_over_grants`), so services keep their access. Audit
events: `key.created` for the successor (with `rotated_from_key_id`), then, when it
becomes current, `grant.created` for each copied grant and `key.rotated` on the old
key.
"""

import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from recon_keyvault.broker import Broker
from recon_keyvault.errors import InvalidKeyState, KeyAlreadyExists, RotationUnavailable
from recon_keyvault.grants.service import carry_over_grants
from recon_keyvault.keys import repository
from recon_keyvault.keys.service import (
    RESOURCE_TYPE,
    add_key,
    record_created,
    require_key,
)
from recon_keyvault.models import BankKey, KeyOrigin

log = structlog.get_logger(__name__)


async def rotate_key(
    session: AsyncSession,
    *,
    broker: Broker,
    bank_id: str,
    key_id: str,
    alias: str | None,
    description: str | None,
    origin: KeyOrigin,
    actor: str,
) -> BankKey:
    """Create a successor of the bank's current key, and audit it.

    A `generated` successor is current when this returns. An `external` one is
    `pending_import` and becomes current when its material is imported.
    """
    current = await _rotatable_key(session, bank_id=bank_id, key_id=key_id)
    becomes_current = origin == KeyOrigin.GENERATED
    if becomes_current:
        # The unique `current_for_bank` column accepts the successor's row only
        # after the old row's value is cleared.
        current.current_for_bank = None
        await session.flush()

    successor = await add_key(
        session,
        broker=broker,
        bank_id=bank_id,
        alias=alias or current.alias,
        description=description if description is not None else current.description,
        actor=actor,
        origin=origin,
        current=becomes_current,
        rotated_from_key_id=current.key_id,
    )
    if successor.backend_key_ref == current.backend_key_ref:
        raise RotationUnavailable(
            f"the {broker.backend.name} backend returned the material of key "
            f"{current.key_id} for the new key version, so a rotation would change "
            "nothing; with aws-kms, create a new KMS key, set KEYVAULT_KMS_KEY_ARN "
            "to its ARN and restart the broker, then rotate"
        )
    record_created(session, broker=broker, key=successor, auto_created=False)
    if becomes_current:
        await _hand_over(
            session, broker=broker, previous=current, successor=successor, actor=actor
        )
    return successor


async def complete_rotation(
    session: AsyncSession, *, broker: Broker, key: BankKey, actor: str
) -> None:
    """Make an imported successor current if its predecessor is still current."""
    if key.rotated_from_key_id is None or key.current_for_bank is not None:
        return
    previous = await repository.get_current_key(session, bank_id=key.bank_id, lock=True)
    if previous is None or previous.key_id != key.rotated_from_key_id:
        # The predecessor was rotated again while this key's deletion was
        # scheduled, so this key is no longer the next version.
        log.warning(
            "keyvault.key.rotation_superseded",
            bank_id=key.bank_id,
            key_id=key.key_id,
            rotated_from_key_id=key.rotated_from_key_id,
            current_key_id=previous.key_id if previous is not None else None,
        )
        return

    previous.current_for_bank = None
    await session.flush()
    key.current_for_bank = key.bank_id
    try:
        await session.flush()
    except IntegrityError:
        raise _concurrent_change(key.bank_id) from None
    await _hand_over(
        session, broker=broker, previous=previous, successor=key, actor=actor
    )


async def _rotatable_key(
    session: AsyncSession, *, bank_id: str, key_id: str
) -> BankKey:
    current = await repository.get_current_key(session, bank_id=bank_id, lock=True)
    if current is None or current.key_id != key_id:
        key = await require_key(session, bank_id=bank_id, key_id=key_id)
        current_text = current.key_id if current is not None else "none"
        raise InvalidKeyState(
            f"key {key.key_id} is not the current key of bank {bank_id!r} (the "
            f"current key is {current_text}); rotate the current key"
        )
    pending = await repository.get_pending_successor(session, key_id=current.key_id)
    if pending is not None:
        raise InvalidKeyState(
            f"key {current.key_id} already has a successor, key {pending.key_id}, "
            "that waits for its imported material; import the material, or "
            "schedule that key's deletion and rotate again"
        )
    return current


async def _hand_over(
    session: AsyncSession,
    *,
    broker: Broker,
    previous: BankKey,
    successor: BankKey,
    actor: str,
) -> None:
    grants = await carry_over_grants(
        session, broker=broker, source=previous, target=successor, actor=actor
    )
    broker.audit.record_change(
        session,
        actor=actor,
        action="key.rotated",
        resource_type=RESOURCE_TYPE,
        resource_id=previous.key_id,
        details={
            "bank_id": previous.bank_id,
            "state": previous.state.value,
            "new_key_id": successor.key_id,
            "new_key_origin": successor.origin.value,
            "carried_over_grants": str(len(grants)),
        },
    )
    log.info(
        "keyvault.key.rotated",
        bank_id=previous.bank_id,
        key_id=previous.key_id,
        new_key_id=successor.key_id,
        carried_over_grants=len(grants),
        actor=actor,
    )


def _concurrent_change(bank_id: str) -> KeyAlreadyExists:
    return KeyAlreadyExists(
        f"another request changed the current key of bank {bank_id!r} at the same "
        "time; list the keys and retry"
    )
