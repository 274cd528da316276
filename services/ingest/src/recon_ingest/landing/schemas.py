"""API models of landed files."""

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator


class LandedFileOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    file_id: str
    filename: str
    uploaded_by: str
    sha256: str
    size_bytes: int
    status: str
    source_format: str | None
    record_kind: str | None
    encoding: str | None
    transaction_count: int
    rejection_reason: str | None
    warnings: list[str]
    landed_at: datetime
    parsed_at: datetime | None

    @field_validator("warnings", mode="before")
    @classmethod
    def _decode_warnings(cls, value: Any) -> Any:
        # The table stores the list as JSON text, or NULL when there is none.
        if value is None:
            return []
        if isinstance(value, str):
            return json.loads(value)
        return value


class LandedFilePage(BaseModel):
    files: list[LandedFileOut]
    total: int
