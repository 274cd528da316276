"""API models of landed files."""

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, computed_field, field_validator
from recon_common.events import FileStatus

from recon_reporting.files.advice import advise


class FileOut(BaseModel):
    """A landed file and the outcome of parsing it."""

    model_config = ConfigDict(from_attributes=True)

    file_id: str
    filename: str
    sha256: str
    size_bytes: int
    landed_at: datetime
    status: FileStatus
    source_format: str | None
    record_kind: str | None
    transaction_count: int
    rejection_reason: str | None
    warnings: list[str]

    @field_validator("warnings", mode="before")
    @classmethod
    def _decode_warnings(cls, value: Any) -> Any:
        # The read model stores the list as JSON text, or NULL when there is none.
        if value is None:
            return []
        if isinstance(value, str):
            return json.loads(value)
        return value

    @computed_field  # type: ignore[prop-decorator]
    @property
    def rejection_advice(self) -> str | None:
        """What to do about the file, for a rejected file."""
        if self.status is not FileStatus.REJECTED or not self.rejection_reason:
            return None
        return advise(self.rejection_reason).text


class FilePage(BaseModel):
    """One page of files, newest first."""

    items: list[FileOut]
    total: int
    limit: int
    offset: int
