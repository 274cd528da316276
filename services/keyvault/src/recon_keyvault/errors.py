"""Errors of the key broker; each class name is the `error` field of its response."""

from recon_common.errors import (
    Conflict,
    Forbidden,
    InvalidRequest,
    NotFound,
    ReconError,
)


class KeyNotFound(NotFound):
    """The bank has no key with that id, or no key at all."""


class KeyAlreadyExists(Conflict):
    """The bank already has a current key."""


class KeyUnusable(Forbidden):
    """The bank key's state or material expiry forbids using it."""


class KeyDisabled(KeyUnusable):
    """The bank key is disabled, so its data keys cannot be used."""


class KeyPendingDeletion(KeyUnusable):
    """The bank key is scheduled for deletion, so its data keys cannot be used."""


class KeyPendingImport(KeyUnusable):
    """The bank key waits for its imported material, so it cannot be used yet."""


class KeyMaterialExpired(KeyUnusable):
    """The imported material of the bank key passed its expiry date."""


class InvalidKeyState(Conflict):
    """The requested change is not allowed from the key's current state."""


class RotationUnavailable(Conflict):
    """The key backend would give a new key version the material of the current one."""


class ImportNotSupported(InvalidRequest):
    """The configured key backend cannot import key material."""


class InvalidImport(InvalidRequest):
    """The import token or the wrapped key material is invalid or expired."""


class InvalidEncryptionContext(Forbidden):
    """The encryption context differs from the one the data key was wrapped with."""


class GrantMissing(Forbidden):
    """No grant allows the calling service this operation on this key."""


class GrantNotFound(NotFound):
    """The key has no active grant with that id."""


class KeyAdminRequired(Forbidden):
    """The calling service may not change keys or grants."""


class BankNotServed(Forbidden):
    """The request names a bank other than the one this deployment serves."""


class InvalidWrappedKey(InvalidRequest):
    """The wrapped key is malformed, altered, or not made by this bank's key."""


class KeyMaterialUnavailable(ReconError):
    """The key backend cannot read the material of a key that the database lists."""

    status_code = 500
