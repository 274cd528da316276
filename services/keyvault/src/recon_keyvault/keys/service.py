"""Creating bank keys and changing their state.

A bank has at most one current key, enforced by the unique `current_for_bank` column.
Creating a second key is a conflict. A new key version comes from rotation
(`recon_keyvault.keys.rotation`). Disabling a key makes every data key it wrapped
undecryptable until it is enabled again.

State changes: `enabled` and `disabled` switch between each other. Either of them,
or `pending_import`, may be scheduled for deletion in 7 to 30 days, which moves the
key to `pending_deletion`. Cancelling before the deletion date restores the state
the key had before. The broker's row is the source of truth. Each change is applied
to the backend too (AWS KMS mirrors it, the others ignore it) before the row
changes, so a failed backend call leaves the row as it was.
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import structlog
from recon_common.errors import InvalidRequest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from recon_keyvault.broker import Broker
from recon_keyvault.errors import InvalidKeyState, KeyAlreadyExists, KeyNotFound
from recon_keyvault.keys import repository
from recon_keyvault.keys.states import (
    MAX_DELETION_WINDOW_DAYS,
    MIN_DELETION_WINDOW_DAYS,
)
from recon_keyvault.models import BankKey, KeyOrigin, KeyState

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
    origin: KeyOrigin = KeyOrigin.GENERATED,
    auto_created: bool = False,
) -> BankKey:
    """Create the bank's key, its material in the backend, and audit it.

    An `external` key starts in `pending_import` until its material is imported.
    A key that the backend already has (a configured KMS key ARN) starts in the
    state that the backend reports.
    """
    existing = await repository.get_current_key(session, bank_id=bank_id)
    if existing is not None:
        raise _already_exists(bank_id, existing.key_id)

    key = await add_key(
        session,
        broker=broker,
        bank_id=bank_id,
        alias=alias,
        description=description,
        actor=actor,
        origin=origin,
        current=True,
        rotated_from_key_id=None,
    )
    record_created(session, broker=broker, key=key, auto_created=auto_created)
    return key


async def add_key(
    session: AsyncSession,
    *,
    broker: Broker,
    bank_id: str,
    alias: str,
    description: str | None,
    actor: str,
    origin: KeyOrigin,
    current: bool,
    rotated_from_key_id: str | None,
) -> BankKey:
    """Insert a key row and create its material in the backend, without auditing.

    With `current`, the key becomes the bank's current key, so the caller must
    have cleared the previous current key in this transaction.
    """
    now = datetime.now(UTC)
    key = BankKey(
        key_id=str(uuid.uuid4()),
        bank_id=bank_id,
        alias=alias,
        description=description,
        state=KeyState.ENABLED,
        origin=origin,
        backend=broker.backend.name,
        backend_key_ref="",
        current_for_bank=bank_id if current else None,
        created_by=actor,
        created_at=now,
        state_changed_at=now,
        rotated_from_key_id=rotated_from_key_id,
    )
    session.add(key)
    try:
        await session.flush()
    except IntegrityError:
        # Another request made a key current between the check and the insert.
        raise KeyAlreadyExists(
            f"another request made a key current for bank {bank_id!r} at the same "
            "time; list the keys and retry"
        ) from None

    # NOTE: a transaction that fails after this call leaves unused backend material,
    # because no row references it.
    key.backend_key_ref = await broker.backend.create_key(
        bank_id=bank_id, key_id=key.key_id, external=origin == KeyOrigin.EXTERNAL
    )
    await _adopt_backend_state(broker, key)
    await session.flush()
    return key


async def _adopt_backend_state(broker: Broker, key: BankKey) -> None:
    status = await broker.backend.describe_key(key_ref=key.backend_key_ref)
    if key.origin == KeyOrigin.EXTERNAL:
        key.state = KeyState.PENDING_IMPORT
    if status is None:
        return
    if key.origin == KeyOrigin.GENERATED:
        key.state = status.state
    key.material_expires_at = status.material_expires_at
    if status.state == KeyState.PENDING_DELETION:
        key.deletion_date = status.deletion_date
        # Cancelling a KMS key deletion leaves the key disabled.
        key.state_before_deletion = KeyState.DISABLED.value


def record_created(
    session: AsyncSession, *, broker: Broker, key: BankKey, auto_created: bool
) -> None:
    """Audit and log the creation of a key in the caller's transaction."""
    details = {
        "bank_id": key.bank_id,
        "alias": key.alias,
        "backend": key.backend,
        "origin": key.origin.value,
        "state": key.state.value,
        "auto_created": str(auto_created).lower(),
    }
    if key.rotated_from_key_id is not None:
        details["rotated_from_key_id"] = key.rotated_from_key_id
    broker.audit.record_change(
        session,
        actor=key.created_by,
        action="key.created",
        resource_type=RESOURCE_TYPE,
        resource_id=key.key_id,
        details=details,
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
    if state not in (KeyState.ENABLED, KeyState.DISABLED):
        raise InvalidRequest(f"state {state.value!r} is set by its own endpoint")
    key = await require_key(session, bank_id=bank_id, key_id=key_id)
    if key.state == state:
        return key
    if key.state not in (KeyState.ENABLED, KeyState.DISABLED):
        raise InvalidKeyState(
            f"key {key_id} is {key.state.value}; cancel the deletion or import the "
            f"key material before setting it {state.value}"
        )
    previous = key.state
    await broker.backend.apply_state(
        key_ref=key.backend_key_ref, state=state, pending_window_days=None
    )
    _change_state(key, state, broker)
    await session.flush()
    record_state_change(
        session,
        broker=broker,
        key=key,
        action=f"key.{state.value}",
        actor=actor,
        details={"previous_state": previous.value},
    )
    return key


async def schedule_key_deletion(
    session: AsyncSession,
    *,
    broker: Broker,
    bank_id: str,
    key_id: str,
    pending_window_days: int,
    actor: str,
) -> BankKey:
    """Schedule a key for deletion after a window of days, and audit it."""
    if not MIN_DELETION_WINDOW_DAYS <= pending_window_days <= MAX_DELETION_WINDOW_DAYS:
        raise InvalidRequest(
            f"pending_window_days is {pending_window_days}; use "
            f"{MIN_DELETION_WINDOW_DAYS} to {MAX_DELETION_WINDOW_DAYS} days"
        )

    key = await require_key(session, bank_id=bank_id, key_id=key_id)
    if key.state == KeyState.PENDING_DELETION:
        raise InvalidKeyState(
            f"key {key_id} is already scheduled for deletion on "
            f"{key.deletion_date}; cancel it first to choose another date"
        )

    previous = key.state
    await broker.backend.apply_state(
        key_ref=key.backend_key_ref,
        state=KeyState.PENDING_DELETION,
        pending_window_days=pending_window_days,
    )
    _change_state(key, KeyState.PENDING_DELETION, broker)
    key.state_before_deletion = previous.value
    key.deletion_date = key.state_changed_at + timedelta(days=pending_window_days)
    await session.flush()

    record_state_change(
        session,
        broker=broker,
        key=key,
        action="key.deletion_scheduled",
        actor=actor,
        details={
            "previous_state": previous.value,
            "pending_window_days": str(pending_window_days),
            "deletion_date": key.deletion_date.isoformat(),
        },
    )
    return key


async def cancel_key_deletion(
    session: AsyncSession, *, broker: Broker, bank_id: str, key_id: str, actor: str
) -> BankKey:
    """Cancel a pending deletion, restore the state before it, and audit it."""
    key = await require_key(session, bank_id=bank_id, key_id=key_id)
    if key.state != KeyState.PENDING_DELETION:
        raise InvalidKeyState(
            f"key {key_id} is {key.state.value}, not scheduled for deletion"
        )
    if key.deletion_date is not None and broker.clock() >= key.deletion_date:
        raise InvalidKeyState(
            f"key {key_id} was deleted on {key.deletion_date.isoformat()}; a "
            "deletion cannot be cancelled after its date"
        )
    restored = KeyState(key.state_before_deletion or KeyState.DISABLED.value)
    await broker.backend.apply_state(
        key_ref=key.backend_key_ref, state=restored, pending_window_days=None
    )
    _change_state(key, restored, broker)
    key.deletion_date = None
    key.state_before_deletion = None
    await session.flush()
    record_state_change(
        session,
        broker=broker,
        key=key,
        action="key.deletion_cancelled",
        actor=actor,
        details={"restored_state": restored.value},
    )
    return key


def _change_state(key: BankKey, state: KeyState, broker: Broker) -> None:
    key.state = state
    key.state_changed_at = broker.clock()


def record_state_change(
    session: AsyncSession,
    *,
    broker: Broker,
    key: BankKey,
    action: str,
    actor: str,
    details: dict[str, str],
) -> None:
    """Audit and log a change of a key's state in the caller's transaction."""
    broker.audit.record_change(
        session,
        actor=actor,
        action=action,
        resource_type=RESOURCE_TYPE,
        resource_id=key.key_id,
        details={"bank_id": key.bank_id, "state": key.state.value, **details},
    )
    log.info(
        "keyvault.key.state_changed",
        bank_id=key.bank_id,
        key_id=key.key_id,
        action=action,
        state=key.state.value,
        actor=actor,
    )


def _already_exists(bank_id: str, key_id: str) -> KeyAlreadyExists:
    return KeyAlreadyExists(
        f"bank {bank_id!r} already has key {key_id}; to change the key, rotate it "
        f"with `POST /v1/banks/{bank_id}/keys/{key_id}/rotate`"
    )
