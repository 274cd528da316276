"""API models of bank keys. Key material never appears in them."""

import base64
from datetime import datetime
from typing import Self

from pydantic import BaseModel, Field

from recon_keyvault.backends.base import ImportParameters, WrappingAlgorithm
from recon_keyvault.keys.states import (
    MAX_DELETION_WINDOW_DAYS,
    MIN_DELETION_WINDOW_DAYS,
)
from recon_keyvault.models import BankKey, KeyOrigin, KeyState

# Wrapped AES-256 material is at most one RSA-4096 block plus 40 bytes of AES key
# wrap; the limit leaves room for that in base64.
_MAX_IMPORT_TEXT = 8192


class KeyCreate(BaseModel):
    alias: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    origin: KeyOrigin = KeyOrigin.GENERATED


class KeyRotate(BaseModel):
    alias: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="alias of the new key version; null keeps the current alias",
    )
    description: str | None = Field(
        default=None,
        max_length=2000,
        description="description of the new key version; null keeps the current one",
    )
    origin: KeyOrigin = Field(
        default=KeyOrigin.GENERATED,
        description="`external`: the new version waits for imported material and "
        "becomes current when the import completes",
    )


class DeletionSchedule(BaseModel):
    pending_window_days: int = Field(
        ge=MIN_DELETION_WINDOW_DAYS,
        le=MAX_DELETION_WINDOW_DAYS,
        description="days until the key is deleted",
    )


class ImportParametersRequest(BaseModel):
    wrapping_algorithm: WrappingAlgorithm = WrappingAlgorithm.RSAES_OAEP_SHA_256


class ImportParametersOut(BaseModel):
    public_key: str = Field(description="DER SubjectPublicKeyInfo, base64")
    import_token: str = Field(description="base64")
    parameters_valid_to: datetime

    @classmethod
    def from_parameters(cls, parameters: ImportParameters) -> Self:
        """Build the API model from the backend's import parameters."""
        return cls(
            public_key=base64.b64encode(parameters.public_key).decode(),
            import_token=base64.b64encode(parameters.import_token).decode(),
            parameters_valid_to=parameters.valid_to,
        )


class KeyMaterialImport(BaseModel):
    encrypted_key_material: str = Field(
        min_length=1, max_length=_MAX_IMPORT_TEXT, description="base64"
    )
    import_token: str = Field(
        min_length=1, max_length=_MAX_IMPORT_TEXT, description="base64"
    )
    valid_to: datetime | None = Field(
        default=None, description="expiry of the material; null: never expires"
    )


class KeyOut(BaseModel):
    key_id: str
    bank_id: str
    alias: str
    description: str | None
    state: KeyState
    origin: KeyOrigin
    deletion_date: datetime | None
    material_expires_at: datetime | None
    backend: str
    current: bool
    rotated_from_key_id: str | None
    created_by: str
    created_at: datetime
    state_changed_at: datetime

    @classmethod
    def from_row(cls, row: BankKey) -> Self:
        """Build the API model from a key row."""
        return cls(
            key_id=row.key_id,
            bank_id=row.bank_id,
            alias=row.alias,
            description=row.description,
            state=row.state,
            origin=row.origin,
            deletion_date=row.deletion_date,
            material_expires_at=row.material_expires_at,
            backend=row.backend,
            current=row.current_for_bank is not None,
            rotated_from_key_id=row.rotated_from_key_id,
            created_by=row.created_by,
            created_at=row.created_at,
            state_changed_at=row.state_changed_at,
        )


class KeyList(BaseModel):
    keys: list[KeyOut]
