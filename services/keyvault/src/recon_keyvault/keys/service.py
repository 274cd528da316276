"""Creating bank keys and changing their state.

A bank has at most one current key, enforced by the unique `current_for_bank` column.
Rotation is not built yet, so creating a second key is a conflict. Disabling a key
makes every data key it wrapped undecryptable until it is enabled again.
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from recon_keyvault.broker import Broker
from recon_keyvault.errors import KeyAlreadyExists, KeyNotFound
from recon_keyvault.keys import repository
from recon_keyvault.models import BankKey, KeyState

log = structlog.get_logger(__name__)

RESOURCE_TYPE = "bank_key"


async def create_key(
    session: AsyncSession,
    *,
    broker: Broker,
    bank_id: str,
    alias: str,
    description: str | None,
    actor: str,
    auto_created: bool = False,
) -> BankKey:
    """Create the bank's key, its material in the backend, and audit it."""
    existing = await repository.get_current_key(session, bank_id=bank_id)
    if existing is not None:
        raise _already_exists(bank_id, existing.key_id)

    now = datetime.now(UTC)
    key = BankKey(
        key_id=str(uuid.uuid4()),
        bank_id=bank_id,
        alias=alias,
        description=description,
        state=KeyState.ENABLED,
        backend=broker.backend.name,
        backend_key_ref="",
        current_for_bank=bank_id,
        created_by=actor,
        created_at=now,
        state_changed_at=now,
    )
    session.add(key)
    try:
        await session.flush()
    except IntegrityError:
        # Another request created the bank's key between the check and the insert.
        raise _already_exists(bank_id, "(created concurrently)") from None

    # NOTE: a transaction that fails after this call leaves unused backend material,
    # because no row references it.
    key.backend_key_ref = await broker.backend.create_key(
        bank_id=bank_id, key_id=key.key_id
    )
    await session.flush()
    _record_created(session, broker=broker, key=key, auto_created=auto_created)
    return key


def _record_created(
    session: AsyncSession, *, broker: Broker, key: BankKey, auto_created: bool
) -> None:
    broker.audit.record_change(
        session,
        actor=key.created_by,
        action="key.created",
        resource_type=RESOURCE_TYPE,
        resource_id=key.key_id,
        details={
            "bank_id": key.bank_id,
            "alias": key.alias,
            "backend": key.backend,
            "auto_created": str(auto_created).lower(),
        },
    )
    log.info(
        "keyvault.key.created",
        bank_id=key.bank_id,
        key_id=key.key_id,
        actor=key.created_by,
        auto_created=auto_created,
    )


async def list_keys(session: AsyncSession, *, bank_id: str) -> Sequence[BankKey]:
    """Return the bank's keys with their state."""
    return await repository.list_keys(session, bank_id=bank_id)


async def require_key(session: AsyncSession, *, bank_id: str, key_id: str) -> BankKey:
    """Return one of the bank's keys, or raise `KeyNotFound`."""
    key = await repository.get_key(session, bank_id=bank_id, key_id=key_id)
    if key is None:
        raise KeyNotFound(f"bank {bank_id!r} has no key {key_id!r}")
    return key


async def set_key_state(
    session: AsyncSession,
    *,
    broker: Broker,
    bank_id: str,
    key_id: str,
    state: KeyState,
    actor: str,
) -> BankKey:
    """Enable or disable a bank key and audit the change; a no-op is not audited."""
    key = await require_key(session, bank_id=bank_id, key_id=key_id)
    if key.state == state:
        return key
    previous = key.state
    key.state = state
    key.state_changed_at = datetime.now(UTC)
    await session.flush()
    broker.audit.record_change(
        session,
        actor=actor,
        action=f"key.{state.value}",
        resource_type=RESOURCE_TYPE,
        resource_id=key_id,
        details={"bank_id": bank_id, "previous_state": previous.value},
    )
    log.info(
        "keyvault.key.state_changed",
        bank_id=bank_id,
        key_id=key_id,
        state=state.value,
        actor=actor,
    )
    return key


def _already_exists(bank_id: str, key_id: str) -> KeyAlreadyExists:
    return KeyAlreadyExists(
        f"bank {bank_id!r} already has key {key_id}; a bank has one key and "
        "rotation is not supported yet, so enable or disable the existing key"
    )
