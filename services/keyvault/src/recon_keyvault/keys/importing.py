"""Bring your own key: importing the bank's own material into an `external` key.

Steps: create the key with origin `external` (state `pending_import`), request
import parameters (an RSA public key and an import token), wrap the 32-byte AES
material with that public key (`RSAES_OAEP_SHA_256` or `RSA_AES_KEY_WRAP_SHA_256`),
and send it with the token and an optional expiry date. The key is then `enabled`
until the expiry date, after which the broker rejects every use of it, whatever the
backend does, until the same material is imported again with a later date.

The first import into a successor from a rotation also makes it the bank's current
key (`rotation.complete_rotation`).
"""

from datetime import datetime

from recon_common.errors import InvalidRequest
from sqlalchemy.ext.asyncio import AsyncSession

from recon_keyvault.backends.base import ImportParameters, WrappingAlgorithm
from recon_keyvault.broker import Broker
from recon_keyvault.errors import InvalidImport, InvalidKeyState
from recon_keyvault.keys.rotation import complete_rotation
from recon_keyvault.keys.service import record_state_change, require_key
from recon_keyvault.keys.states import material_expired
from recon_keyvault.models import BankKey, KeyOrigin, KeyState


async def get_import_parameters(
    session: AsyncSession,
    *,
    broker: Broker,
    bank_id: str,
    key_id: str,
    wrapping_algorithm: WrappingAlgorithm,
) -> ImportParameters:
    """Return the public key and token with which to wrap material for the key."""
    key = await _importable_key(session, broker=broker, bank_id=bank_id, key_id=key_id)
    return await broker.backend.get_import_parameters(
        key_ref=key.backend_key_ref, wrapping_algorithm=wrapping_algorithm
    )


async def import_key_material(
    session: AsyncSession,
    *,
    broker: Broker,
    bank_id: str,
    key_id: str,
    encrypted_material: bytes,
    import_token: bytes,
    valid_to: datetime | None,
    actor: str,
) -> BankKey:
    """Import wrapped material into an external key, enable it, and audit it."""
    key = await _importable_key(session, broker=broker, bank_id=bank_id, key_id=key_id)
    if valid_to is not None and valid_to.tzinfo is None:
        raise InvalidImport("valid_to has no time zone; send it with an offset or Z")
    if valid_to is not None and valid_to <= broker.clock():
        raise InvalidImport(f"valid_to {valid_to.isoformat()} is not in the future")
    await broker.backend.import_key_material(
        key_ref=key.backend_key_ref,
        encrypted_material=encrypted_material,
        import_token=import_token,
        valid_to=valid_to,
    )
    previous = key.state
    key.state = KeyState.ENABLED
    key.state_changed_at = broker.clock()
    key.material_expires_at = valid_to
    await session.flush()
    record_state_change(
        session,
        broker=broker,
        key=key,
        action="key.material_imported",
        actor=actor,
        details={
            "previous_state": previous.value,
            "material_expires_at": valid_to.isoformat() if valid_to else "never",
        },
    )
    if previous == KeyState.PENDING_IMPORT:
        await complete_rotation(session, broker=broker, key=key, actor=actor)
    return key


async def _importable_key(
    session: AsyncSession, *, broker: Broker, bank_id: str, key_id: str
) -> BankKey:
    key = await require_key(session, bank_id=bank_id, key_id=key_id)
    if key.origin != KeyOrigin.EXTERNAL:
        raise InvalidRequest(
            f"key {key_id} has generated material; only a key created with origin "
            "`external` takes imported material"
        )
    expired = key.state == KeyState.ENABLED and material_expired(key, broker.clock())
    if key.state != KeyState.PENDING_IMPORT and not expired:
        raise InvalidKeyState(
            f"key {key_id} is {key.state.value}; material can be imported while the "
            "key is pending_import or after its imported material expired"
        )
    return key
