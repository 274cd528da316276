"""Time the break count with each form of the account filter on PostgreSQL.

Run from the repository root with `.venv/bin/python
bench/account_filter_benchmark.py [TRANSACTIONS]`. It creates a
throwaway database on the test PostgreSQL server and loads TRANSACTIONS
transactions (default 1,000,000) on 50 accounts. Every 22nd has an open break,
about the break count of the 1M-line benchmark run. It prints the median of 5 runs
of each query with its plan, and drops the database afterwards.
"""

import asyncio
import statistics
import sys
import time
import uuid

from recon_common.migrations import upgrade_async
from recon_reporting.breaks.repository import AccountMatch, account_condition
from recon_reporting.models import ReportBreak, ReportTransaction
from sqlalchemy import func, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from recon_platform.infra.postgres import (
    create_database,
    drop_database,
    ensure_postgres,
)

BREAK_EVERY = 22
ACCOUNT_PREFIX = "DE89370400440"
LOAD_TRANSACTIONS = text(
    "INSERT INTO report_transactions (transaction_id, file_id, source_format, "  # noqa: S608 - constants
    "record_kind, account, account_suffix, currency, amount, direction, value_date, "
    "reversal, source_location, status) "
    "SELECT 't' || i, 'f' || (i / 5000), 'mt940', 'statement', "
    f"'{ACCOUNT_PREFIX}' || lpad((i % 50)::text, 9, '0'), "
    "right(lpad((i % 50)::text, 9, '0'), 4), 'EUR', (i % 997) + 0.5, 'credit', "
    "date '2026-01-01' + (i % 300), false, 'x', 'open' "
    "FROM generate_series(1, :rows) AS i"
)
LOAD_BREAKS = text(
    "INSERT INTO report_breaks (transaction_id, reconciliation_id, side, reason, "
    "opened_at, state, age_date) "
    "SELECT 't' || i, 'rec-' || (i % 3), 'a', 'no_counterpart', now(), 'open', "
    "date '2026-01-01' + (i % 300) "
    "FROM generate_series(1, :rows) AS i WHERE i % :every = 0"
)
FILTERS = {
    "full number": AccountMatch(value=f"{ACCOUNT_PREFIX}000000042"),
    "last 4 digits": AccountMatch(value="0042", ending=True, min_length=4),
    "last 8 digits": AccountMatch(value="00000042", ending=True),
}
# The filter as a plain LIKE on the account, which the index above replaces.
PLAIN_ENDING = (
    "SELECT count(*) FROM report_breaks JOIN report_transactions "
    "ON report_transactions.transaction_id = report_breaks.transaction_id "
    "WHERE report_transactions.account LIKE '%0042'"
)


def break_count_query(match: AccountMatch) -> str:
    """Return the PostgreSQL text of the break count with an account filter."""
    query = (
        select(func.count())
        .select_from(ReportBreak)
        .join(
            ReportTransaction,
            ReportTransaction.transaction_id == ReportBreak.transaction_id,
        )
        .where(account_condition(match))
    )
    compiled = query.compile(
        dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}
    )
    return str(compiled)


async def time_query(connection: AsyncConnection, label: str, sql: str) -> None:
    """Print the median time, the count and the plan of one query."""
    timings = []
    count = 0
    for _ in range(5):
        started = time.perf_counter()
        count = (await connection.execute(text(sql))).scalar_one()
        timings.append(time.perf_counter() - started)
    median_ms = statistics.median(timings) * 1000
    print(f"{label}: {count} breaks, median {median_ms:.1f} ms")
    for line in await connection.scalars(text("EXPLAIN " + sql)):
        print("   ", line)


async def measure(rows: int) -> None:
    """Load `rows` transactions into a new database and time each filter."""
    admin_url = ensure_postgres()
    name = f"measure_{uuid.uuid4().hex[:8]}"
    url = await create_database(admin_url, name)
    try:
        await upgrade_async("recon_reporting", url)
        engine = create_async_engine(url)
        try:
            async with engine.begin() as connection:
                await connection.execute(LOAD_TRANSACTIONS, {"rows": rows})
                await connection.execute(
                    LOAD_BREAKS, {"rows": rows, "every": BREAK_EVERY}
                )
            async with engine.connect() as connection:
                await connection.execute(text("ANALYZE"))
                for label, match in FILTERS.items():
                    await time_query(connection, label, break_count_query(match))
                await time_query(connection, "plain LIKE", PLAIN_ENDING)
        finally:
            await engine.dispose()
    finally:
        await drop_database(admin_url, name)


if __name__ == "__main__":
    asyncio.run(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000))
