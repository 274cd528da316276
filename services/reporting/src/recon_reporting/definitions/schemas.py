"""Responses of the matcher's `/v1/definitions` routes, as the pages read them.

The fields mirror the matcher's API models. Unknown fields are ignored, so a newer
matcher that adds fields does not break the pages.
"""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class DefinitionHead(BaseModel):
    """One stored definition id with its active and newest version number."""

    definition_id: str
    active_version: int
    latest_version: int
    created_at: datetime
    updated_at: datetime
    updated_by: str
    # The active version's name, saver and save time. A matcher older than these
    # fields leaves them None, and the list page then reads the active version.
    name: str | None = None
    active_saved_by: str | None = None
    active_saved_at: datetime | None = None


class VersionSummary(BaseModel):
    """One saved version without its body."""

    definition_id: str
    version: int
    active: bool = False
    origin: str
    saved_by: str
    saved_at: datetime
    note: str | None = None


class DefinitionVersion(VersionSummary):
    """One saved version: the stored definition and the text as it was sent."""

    definition: dict[str, Any]
    source: str
    source_format: str
    # Only in the response to a save: settings that cannot take effect and other
    # definitions that select the same accounts.
    warnings: list[str] = Field(default_factory=list)


class Activation(BaseModel):
    """One switch of the active version."""

    definition_id: str
    activation_number: int
    version: int
    previous_version: int | None = None
    activated_by: str
    activated_at: datetime
    note: str | None = None
    # True when the version was active already and the matcher changed nothing;
    # the fields above then describe the earlier activation.
    already_active: bool = False


class VersionDiff(BaseModel):
    """A unified diff between two versions, each written as YAML by the matcher."""

    definition_id: str
    from_version: int
    to_version: int
    diff: str
