"""Rules for the key states and material expiry that allow using a key, per backend.

`enabled` keys may be used until their imported material expires. `disabled`,
`pending_deletion` and `pending_import` keys may not. Disabling a key is
crypto-shredding while it lasts: every data key it wrapped stays undecryptable until
the key is enabled again, and once a pending deletion completes, for good.
"""

from datetime import datetime

from recon_keyvault.errors import (
    KeyDisabled,
    KeyMaterialExpired,
    KeyPendingDeletion,
    KeyPendingImport,
    KeyUnusable,
)
from recon_keyvault.models import BankKey, KeyState

# Deletion windows that AWS KMS accepts (days); the broker applies them to every
# backend so that the behaviour is the same.
MIN_DELETION_WINDOW_DAYS = 7
MAX_DELETION_WINDOW_DAYS = 30


def material_expired(key: BankKey, now: datetime) -> bool:
    """Return whether the key's imported material passed its expiry date."""
    return key.material_expires_at is not None and now >= key.material_expires_at


def unusable_error(key: BankKey, now: datetime) -> KeyUnusable | None:
    """Return the error that forbids using the key now, or None if it is usable."""
    name = f"key {key.key_id} of bank {key.bank_id!r}"
    if key.state == KeyState.DISABLED:
        return KeyDisabled(
            f"{name} is disabled, so its data keys cannot be used; enable the key "
            "to restore access"
        )
    if key.state == KeyState.PENDING_DELETION:
        return KeyPendingDeletion(
            f"{name} is scheduled for deletion on {_iso(key.deletion_date)}, so its "
            "data keys cannot be used; cancel the deletion to restore access"
        )
    if key.state == KeyState.PENDING_IMPORT:
        return KeyPendingImport(
            f"{name} has no key material yet; import it with the key's "
            "import-parameters and import endpoints"
        )
    if material_expired(key, now):
        return KeyMaterialExpired(
            f"the imported material of {name} expired on "
            f"{_iso(key.material_expires_at)}; import the same material again "
            "with a later expiry date"
        )
    return None


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment is not None else "(unknown)"
