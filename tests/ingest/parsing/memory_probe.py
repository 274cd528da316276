"""Run the `file-landed` handler on one landed file and print its peak memory.

Started by `test_streaming_memory` in its own process, so that the peak resident
set size (VmHWM in /proc/self/status, Linux only) covers the parse step alone. The
peak is reset by writing 5 to /proc/self/clear_refs just before the handler runs.
"""

import argparse
import asyncio
import json
import tracemalloc
from pathlib import Path

from recon_common.db import create_engine, create_sessionmaker, session_scope
from recon_common.events import TOPIC_FILE_LANDED, Envelope, FileLanded
from recon_common.storage.local import LocalObjectStore
from recon_ingest.landing.service import file_ref
from recon_ingest.models import LandedFile
from recon_ingest.parsing.handlers import make_file_landed_handler
from recon_ingest.parsing.profiles import load_csv_profiles

from tests.ingest.parsing.conftest import BANK_ID, make_settings
from tests.ingest.parsing.keys import FixedKeyProvider


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise LookupError(f"{field} is missing from /proc/self/status")


def _reset_peak_rss() -> None:
    Path("/proc/self/clear_refs").write_text("5")


async def _run(args: argparse.Namespace) -> dict[str, int]:
    engine = create_engine(args.database_url)
    sessions = create_sessionmaker(engine)
    store = LocalObjectStore(
        root=args.objects,
        bank_id=BANK_ID,
        keys=FixedKeyProvider(bytes.fromhex(args.key_hex)),
    )

    handler = make_file_landed_handler(
        settings=make_settings(
            parse_temp_path=args.work, parse_max_file_bytes=1024 * 1024 * 1024
        ),
        store=store,
        csv_profiles=load_csv_profiles(None),
    )
    async with session_scope(sessions) as session:
        row = await session.get(LandedFile, args.file_id)
    assert row is not None

    envelope = Envelope.wrap(
        topic=TOPIC_FILE_LANDED,
        source="ingest",
        bank_id=BANK_ID,
        payload=FileLanded(
            file=file_ref(row), object_key=row.object_key, uploaded_by="bank"
        ),
    )

    _reset_peak_rss()
    before = _status_kib("VmRSS")
    tracemalloc.reset_peak()
    traced_before, _ = tracemalloc.get_traced_memory()
    async with session_scope(sessions) as session:
        await handler(session, envelope)

    peak = _status_kib("VmHWM")
    _, traced_peak = tracemalloc.get_traced_memory()
    await engine.dispose()
    return {
        "rss_before_kib": before,
        "peak_kib": peak,
        # Python allocations only, and 0 unless run with `-X tracemalloc`.
        "traced_growth_kib": (traced_peak - traced_before) // 1024,
    }


def main() -> None:
    """Parse the arguments, run the handler once and print the JSON result."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--objects", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--file-id", required=True)
    parser.add_argument("--key-hex", required=True)
    print(json.dumps(asyncio.run(_run(parser.parse_args()))))


if __name__ == "__main__":
    main()
