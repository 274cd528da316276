"""Tests for the warnings of a file: the FileRef contract and ingest's views of it."""

import json
from datetime import UTC, datetime

from recon_common.events import (
    TOPIC_TRANSACTIONS_PARSED,
    Envelope,
    FileRef,
    FileStatus,
    TransactionsParsed,
)
from recon_ingest.landing.schemas import LandedFileOut
from recon_ingest.landing.service import file_ref
from recon_ingest.models import LandedFile

LANDED_AT = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)
WARNINGS = [
    "statement at line 1: opening balance 25170637.10 plus entries -1012213.50 is "
    "24158423.60, but the closing balance is 25281687.60",
    "no currency given for some accounts, so USD was assumed",
]
# A FileRef as events carried it before the warnings field existed.
OLDER_FILE_REF = {
    "file_id": "file-1",
    "filename": "statement.sta",
    "sha256": "0" * 64,
    "size_bytes": 512,
    "landed_at": LANDED_AT.isoformat(),
    "status": "parsed",
    "source_format": "mt940",
    "record_kind": "statement",
    "transaction_count": 7,
    "rejection_reason": None,
}


def landed_file(warnings: str | None) -> LandedFile:
    return LandedFile(
        file_id="file-1",
        bank_id="bank-a",
        filename="statement.sta",
        uploaded_by="bank-a-sftp",
        sha256="0" * 64,
        size_bytes=512,
        object_key="landed/file-1",
        status=FileStatus.PARSED.value,
        source_format="mt940",
        record_kind="statement",
        encoding="cp852",
        transaction_count=7,
        rejection_reason=None,
        warnings=warnings,
        landed_at=LANDED_AT,
        parsed_at=LANDED_AT,
    )


def test_file_ref_older_event_has_no_warnings() -> None:
    ref = FileRef.model_validate_json(json.dumps(OLDER_FILE_REF))

    assert ref.warnings == []


def test_file_ref_warnings_survive_envelope_round_trip() -> None:
    ref = FileRef.model_validate({**OLDER_FILE_REF, "warnings": WARNINGS})
    envelope = Envelope.wrap(
        topic=TOPIC_TRANSACTIONS_PARSED,
        source="ingest",
        bank_id="bank-a",
        payload=TransactionsParsed(file=ref, chunk_index=0, chunk_count=1),
    )

    decoded = Envelope.model_validate_json(envelope.model_dump_json())
    payload = decoded.payload(TransactionsParsed)

    assert payload.file.warnings == WARNINGS


def test_ingest_file_ref_reads_stored_warnings() -> None:
    row = landed_file(json.dumps(WARNINGS))

    ref = file_ref(row)

    assert ref.warnings == WARNINGS


def test_ingest_file_ref_without_warnings_is_empty() -> None:
    row = landed_file(None)

    ref = file_ref(row)

    assert ref.warnings == []


def test_ingest_file_api_returns_stored_warnings() -> None:
    row = landed_file(json.dumps(WARNINGS))

    out = LandedFileOut.model_validate(row)

    assert out.warnings == WARNINGS


def test_ingest_file_api_without_warnings_is_empty() -> None:
    row = landed_file(None)

    body = json.loads(LandedFileOut.model_validate(row).model_dump_json())

    assert body["warnings"] == []
