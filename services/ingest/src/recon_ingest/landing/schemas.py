"""API models of landed files."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict


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
    landed_at: datetime
    parsed_at: datetime | None


class LandedFilePage(BaseModel):
    files: list[LandedFileOut]
    total: int
