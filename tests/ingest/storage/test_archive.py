"""The ingest service's archive job moves landed files past 92 days to the archive."""

import asyncio
import contextlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from recon_common.storage.local import LocalObjectStore
from recon_ingest.app import archive_periodically

from tests.common.test_storage_local import WrappingKeyProvider


def age_object(root: Path, key: str, days: int) -> None:
    """Rewrite an object's creation time as if it landed `days` ago."""
    meta = next(root.rglob(f"{Path(key).name}.meta.json"))
    content = json.loads(meta.read_text())
    content["created_at"] = (datetime.now(UTC) - timedelta(days=days)).isoformat()
    meta.write_text(json.dumps(content))


async def test_archive_job_moves_old_files(tmp_path: Path) -> None:
    store = LocalObjectStore(root=tmp_path, bank_id="bank", keys=WrappingKeyProvider())
    await store.put("landed/2026/old.sta", b"old statement")
    await store.put("landed/2026/new.sta", b"new statement")
    age_object(tmp_path, "landed/2026/old.sta", days=93)

    job = asyncio.create_task(archive_periodically(store, interval_s=0.05))
    await asyncio.sleep(0.3)
    job.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await job

    assert (await store.head("landed/2026/old.sta")).storage_class == "ARCHIVE"
    assert (await store.head("landed/2026/new.sta")).storage_class == "STANDARD"
    assert await store.get("landed/2026/old.sta") == b"old statement"
