"""API models of the stored definitions."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class DefinitionSummaryOut(BaseModel):
    """One stored definition id with its active and newest version."""

    model_config = ConfigDict(from_attributes=True)

    definition_id: str
    active_version: int
    latest_version: int
    created_at: datetime
    updated_at: datetime
    updated_by: str
    # The active version's name, and who saved that version and when. None only
    # if the active version row is missing, which the store never leaves.
    name: str | None = None
    active_saved_by: str | None = None
    active_saved_at: datetime | None = None


class VersionSummaryOut(BaseModel):
    """One saved version without its body."""

    model_config = ConfigDict(from_attributes=True)

    definition_id: str
    version: int
    active: bool = False
    origin: str
    saved_by: str
    saved_at: datetime
    note: str | None


class VersionOut(VersionSummaryOut):
    """One saved version: the validated definition and the text as it was sent."""

    definition: dict[str, Any]
    source: str
    source_format: str


class SavedVersionOut(VersionOut):
    """A version just saved, with warnings about settings and overlaps."""

    warnings: list[str] = Field(default_factory=list)


class ActivationOut(BaseModel):
    """One switch of the active version."""

    model_config = ConfigDict(from_attributes=True)

    definition_id: str
    activation_number: int
    version: int
    previous_version: int | None
    activated_by: str
    activated_at: datetime
    note: str | None


class ActivateOut(ActivationOut):
    """The activation that made the requested version active.

    `already_active` is true when the version was active before the call. Then
    nothing changed, and the activation is the earlier one with its own note.
    """

    already_active: bool


class ActivateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, max_length=2000)


class ValidationOut(BaseModel):
    """The result of a dry check: the definition as it would be stored."""

    valid: bool
    definition_id: str
    definition: dict[str, Any]
    # Pass settings that cannot take effect (see `advice`) and other active
    # definitions that select the same accounts (see `overlaps`).
    warnings: list[str] = Field(default_factory=list)


class DiffOut(BaseModel):
    """A unified diff between two versions, each written as YAML."""

    definition_id: str
    from_version: int
    to_version: int
    diff: str
