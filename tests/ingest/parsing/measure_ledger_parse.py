"""Time the `file-landed` handler on a large CSV ledger extract and on its resend.

Lands a generated extract of `--rows` entries in the built-in `ledger` layout, parses
it, then lands and parses the same entries plus one new row, as a bank does when it
sends a cumulative extract. Both parses run the real handler on a migrated SQLite
database (or the empty migrated database at `--database-url`) and a local object
store, and the script prints the wall time of each parse as JSON.

Run it from the repository root:
`.venv/bin/python -m tests.ingest.parsing.measure_ledger_parse --rows 100000`.
"""

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path

from recon_common.db import create_engine, create_sessionmaker
from recon_common.migrations import upgrade_async
from recon_common.storage.local import LocalObjectStore

from tests.common.test_storage_local import WrappingKeyProvider
from tests.ingest.parsing.conftest import BANK_ID, Ingest
from tests.ingest.parsing.ledgers import ledger_csv


async def _measure(
    rows: int, *, folder: Path, database_url: str | None
) -> dict[str, object]:
    url = database_url or f"sqlite+aiosqlite:///{folder / 'ingest.db'}"
    if database_url is None:
        await upgrade_async("recon_ingest", url)
    engine = create_engine(url)
    store = LocalObjectStore(
        root=folder / "objects", bank_id=BANK_ID, keys=WrappingKeyProvider()
    )
    ingest = Ingest(sessions=create_sessionmaker(engine), store=store)
    try:
        first = await ingest.land("ledger.csv", ledger_csv(range(1, rows + 1)).encode())
        started = time.perf_counter()
        first = await ingest.parse(first)
        first_seconds = time.perf_counter() - started

        resent = await ingest.land(
            "ledger-resent.csv", ledger_csv(range(1, rows + 2)).encode()
        )
        started = time.perf_counter()
        resent = await ingest.parse(resent)
        resent_seconds = time.perf_counter() - started
    finally:
        await engine.dispose()
    return {
        "rows": rows,
        "database": url.split(":", 1)[0],
        "first_parse_seconds": round(first_seconds, 2),
        "first_transactions": first.transaction_count,
        "resent_parse_seconds": round(resent_seconds, 2),
        "resent_transactions": resent.transaction_count,
    }


def main() -> None:
    """Parse the command line, run the measurement and print the result as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows", type=int, default=100_000, help="entries in the first extract"
    )
    parser.add_argument(
        "--database-url",
        help="empty database already migrated to head; default: a new SQLite file",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="measure-ledger-") as folder:
        result = asyncio.run(
            _measure(args.rows, folder=Path(folder), database_url=args.database_url)
        )
    result["loadavg"] = Path("/proc/loadavg").read_text().split()[:3]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
