"""API models of landed files."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict
from recon_common.events import FileStatus


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


class FilePage(BaseModel):
    """One page of files, newest first."""

    items: list[FileOut]
    total: int
    limit: int
    offset: int
