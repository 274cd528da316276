"""Generating and unwrapping data keys under a bank key, with grants enforced.

Checks run in this order: key state and material expiry, grant, encryption
context, then the backend's
authentication of the wrapped bytes, so a caller without a grant learns nothing about
the context. These requests change no rows, so they use short read transactions of
their own instead of the request session. Two writes happen on this path and each
commits on its own: the development-mode creation of a missing bank key, and the
audit event of a rejected request (the failed request's transaction rolls back).
Successful calls are counted in `Broker.usage`, not audited one by one.
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import structlog
from recon_common.db import session_scope
from recon_common.errors import ReconError

from recon_keyvault.auth import Caller
from recon_keyvault.broker import Broker
from recon_keyvault.datakeys.wrapping import decode_wrapped_key, encode_wrapped_key
from recon_keyvault.errors import (
    GrantMissing,
    InvalidEncryptionContext,
    InvalidWrappedKey,
    KeyAlreadyExists,
    KeyNotFound,
    KeyUnusable,
)
from recon_keyvault.grants import repository as grants_repository
from recon_keyvault.grants.schemas import GrantOperation
from recon_keyvault.grants.service import is_allowed
from recon_keyvault.keys import repository as keys_repository
from recon_keyvault.keys import service as keys_service
from recon_keyvault.keys.states import unusable_error
from recon_keyvault.models import BankKey, KeyGrant

log = structlog.get_logger(__name__)

AUTO_CREATED_ALIAS = "default"


@dataclass(frozen=True)
class IssuedDataKey:
    key_id: str
    plaintext: bytes = field(repr=False)
    wrapped_key: str


async def generate_data_key(
    *,
    broker: Broker,
    bank_id: str,
    caller: Caller,
    encryption_context: Mapping[str, str],
) -> IssuedDataKey:
    """Return a fresh data key wrapped by the bank's current key."""
    key, grants = await _current_key(broker, bank_id=bank_id, caller=caller)
    operation = GrantOperation.GENERATE_DATA_KEY
    await _authorize(
        broker,
        key=key,
        grants=grants,
        caller=caller,
        operation=operation,
        encryption_context=encryption_context,
    )
    try:
        material = await broker.backend.generate_data_key(
            key_ref=key.backend_key_ref, encryption_context=encryption_context
        )
    except KeyUnusable as error:
        await _deny(broker, caller, operation, key.key_id, encryption_context, error)
        raise
    wrapped_key = encode_wrapped_key(
        key_id=key.key_id,
        encryption_context=encryption_context,
        backend_bytes=material.wrapped,
    )
    broker.usage.add(operation=operation.value, service=caller.service)
    return IssuedDataKey(
        key_id=key.key_id, plaintext=material.plaintext, wrapped_key=wrapped_key
    )


async def decrypt_data_key(
    *,
    broker: Broker,
    bank_id: str,
    caller: Caller,
    wrapped_key: str,
    encryption_context: Mapping[str, str],
) -> bytes:
    """Return the plaintext of a data key wrapped by one of the bank's keys."""
    operation = GrantOperation.DECRYPT
    try:
        parsed = decode_wrapped_key(wrapped_key)
    except InvalidWrappedKey as error:
        await _deny(broker, caller, operation, "unknown", encryption_context, error)
        raise
    key, grants = await _key_by_id(broker, bank_id=bank_id, key_id=parsed.key_id)
    if key is None:
        unknown_key = InvalidWrappedKey(
            f"the wrapped key names key {parsed.key_id}, which bank {bank_id!r} "
            "does not have"
        )
        await _deny(
            broker, caller, operation, parsed.key_id, encryption_context, unknown_key
        )
        raise unknown_key
    await _authorize(
        broker,
        key=key,
        grants=grants,
        caller=caller,
        operation=operation,
        encryption_context=encryption_context,
    )
    if not parsed.matches_context(encryption_context):
        context_error = InvalidEncryptionContext(
            f"the encryption context differs from the one data key of key "
            f"{key.key_id} was wrapped with; send the same context as at creation"
        )
        await _deny(
            broker, caller, operation, key.key_id, encryption_context, context_error
        )
        raise context_error
    try:
        plaintext = await broker.backend.decrypt_data_key(
            key_ref=key.backend_key_ref,
            wrapped=parsed.backend_bytes,
            encryption_context=encryption_context,
        )
    except (InvalidWrappedKey, KeyUnusable) as error:
        await _deny(broker, caller, operation, key.key_id, encryption_context, error)
        raise
    broker.usage.add(operation=operation.value, service=caller.service)
    return plaintext


async def _current_key(
    broker: Broker, *, bank_id: str, caller: Caller
) -> tuple[BankKey, Sequence[KeyGrant]]:
    async with session_scope(broker.sessions) as session:
        key = await keys_repository.get_current_key(session, bank_id=bank_id)
    if key is None:
        if not broker.settings.development:
            raise KeyNotFound(
                f"bank {bank_id!r} has no key; create one with "
                f"`POST /v1/banks/{bank_id}/keys` or "
                f"`recon-keyvault create-key --bank-id {bank_id}`"
            )
        await _create_missing_key(broker, bank_id=bank_id, caller=caller)
    async with session_scope(broker.sessions) as session:
        key = await keys_repository.get_current_key(session, bank_id=bank_id)
        if key is None:
            raise KeyNotFound(f"bank {bank_id!r} has no key")
        grants = await grants_repository.list_grants(
            session, key_id=key.key_id, include_revoked=True
        )
    return key, grants


async def _create_missing_key(broker: Broker, *, bank_id: str, caller: Caller) -> None:
    log.warning(
        "keyvault.key.auto_creating",
        bank_id=bank_id,
        requested_by=caller.service,
        reason="development mode and the bank has no key",
    )
    try:
        async with session_scope(broker.sessions) as session:
            await keys_service.create_key(
                session,
                broker=broker,
                bank_id=bank_id,
                alias=AUTO_CREATED_ALIAS,
                description=f"created on first data-key request of {caller.service}",
                actor=caller.service,
                auto_created=True,
            )
    except KeyAlreadyExists:
        # A concurrent request created it first; the caller reads that key.
        return


async def _key_by_id(
    broker: Broker, *, bank_id: str, key_id: str
) -> tuple[BankKey | None, Sequence[KeyGrant]]:
    async with session_scope(broker.sessions) as session:
        key = await keys_repository.get_key(session, bank_id=bank_id, key_id=key_id)
        if key is None:
            return None, []
        grants = await grants_repository.list_grants(
            session, key_id=key_id, include_revoked=True
        )
    return key, grants


async def _authorize(
    broker: Broker,
    *,
    key: BankKey,
    grants: Sequence[KeyGrant],
    caller: Caller,
    operation: GrantOperation,
    encryption_context: Mapping[str, str],
) -> None:
    error: ReconError | None = unusable_error(key, broker.clock())
    if error is None and not is_allowed(
        grants,
        development=broker.settings.development,
        service=caller.service,
        operation=operation,
        encryption_context=encryption_context,
    ):
        error = GrantMissing(
            f"service {caller.service!r} has no grant for {operation.value} on key "
            f"{key.key_id} with this encryption context; create a grant with "
            f"`POST /v1/banks/{key.bank_id}/keys/{key.key_id}/grants`"
        )
    if error is not None:
        await _deny(broker, caller, operation, key.key_id, encryption_context, error)
        raise error


async def _deny(
    broker: Broker,
    caller: Caller,
    operation: GrantOperation,
    key_id: str,
    encryption_context: Mapping[str, str],
    error: ReconError,
) -> None:
    await broker.audit.record_denial(
        actor=caller.service,
        action=f"data_key.{operation.value}",
        resource_type="bank_key",
        resource_id=key_id,
        error=error,
        details={
            "operation": operation.value,
            "encryption_context": json.dumps(dict(encryption_context), sort_keys=True),
        },
    )
