"""API models of key grants."""

import json
from datetime import datetime
from enum import StrEnum
from typing import Self

from pydantic import BaseModel, Field

from recon_keyvault.models import KeyGrant


class GrantOperation(StrEnum):
    GENERATE_DATA_KEY = "GenerateDataKey"
    DECRYPT = "Decrypt"


class GrantConstraints(BaseModel):
    # Pairs that the request's encryption context must contain, as in AWS KMS.
    encryption_context_subset: dict[str, str] = Field(default_factory=dict)


class GrantCreate(BaseModel):
    grantee: str = Field(min_length=1, max_length=200)
    operations: list[GrantOperation] = Field(min_length=1)
    constraints: GrantConstraints = Field(default_factory=GrantConstraints)


class GrantOut(BaseModel):
    grant_id: str
    key_id: str
    grantee: str
    operations: list[GrantOperation]
    constraints: GrantConstraints
    created_by: str
    created_at: datetime
    revoked_by: str | None
    revoked_at: datetime | None

    @classmethod
    def from_row(cls, row: KeyGrant) -> Self:
        """Build the API model from a grant row."""
        return cls(
            grant_id=row.grant_id,
            key_id=row.key_id,
            grantee=row.grantee,
            operations=[GrantOperation(op) for op in row.operations.split(",")],
            constraints=GrantConstraints(
                encryption_context_subset=json.loads(row.context_subset)
            ),
            created_by=row.created_by,
            created_at=row.created_at,
            revoked_by=row.revoked_by,
            revoked_at=row.revoked_at,
        )


class GrantList(BaseModel):
    grants: list[GrantOut]
