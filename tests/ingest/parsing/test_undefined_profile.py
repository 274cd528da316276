"""Files of an SFTP user whose `csv_profile` the profiles file does not define."""

from recon_common.db import session_scope
from recon_common.events import FileStatus
from recon_ingest.models import LandedFile

from .conftest import Ingest
from .ledgers import ledger_csv
from .statements import mt940


async def _land_as_profile(ingest: Ingest, filename: str, data: bytes) -> LandedFile:
    row = await ingest.land(filename, data)
    async with session_scope(ingest.sessions) as session:
        stored = await session.get(LandedFile, row.file_id)
        assert stored is not None
        stored.csv_profile = "fr-bank"
    return await ingest.file(row.file_id)


async def test_undefined_profile_rejects_csv(ingest: Ingest) -> None:
    row = await _land_as_profile(ingest, "ledger.csv", ledger_csv([1, 2]).encode())

    parsed = await ingest.parse(row)

    assert parsed.status == FileStatus.REJECTED.value
    assert parsed.rejection_reason is not None
    assert "csv_profile 'fr-bank' is not defined" in parsed.rejection_reason
    assert "INGEST_CSV_PROFILES_FILE" in parsed.rejection_reason
    published = await ingest.published(row.file_id)
    assert [payload["transactions"] for payload in published] == [[]]


async def test_undefined_profile_keeps_statements(ingest: Ingest) -> None:
    row = await _land_as_profile(ingest, "day1.sta", mt940().encode())

    parsed = await ingest.parse(row)

    assert parsed.status == FileStatus.PARSED.value
    assert parsed.transaction_count == 2
