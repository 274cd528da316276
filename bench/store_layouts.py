"""Compare table layouts for storing one matching run's state in PostgreSQL.

Each layout gets its own empty database with hand-written DDL, so the comparison
does not depend on the matcher's current migrations. The script stores N statement
and N ledger rows of about 500 bytes of JSON each, and then times, per layout:

1. `copy_groups`: COPY of the run's group rows;
2. `copy_items`: COPY of its group items;
3. `write_state`: whatever else the layout needs so that each grouped transaction
   reads as matched or proposed (an UPDATE joined to the items, or nothing);
4. `read_open`: a SELECT of the open transactions of the reconciliation with their
   `body`, which is what the next matching run reads.

The group and break pattern is the one of `store_benchmark.py`: per 100 index pairs,
94 pairs of two, one group of three, and nine items left as breaks. The breaks are
stored before the run and are not timed. The layouts:

- `today`: `status` and `group_id` on the wide `transactions` row, an index on
  `status`, foreign keys from `match_group_items` to both parent tables;
- `no_item_fks`: as `today`, without the two foreign keys on `match_group_items`;
- `narrow_state`: `status` and `group_id` in a `transaction_states` table of their
  own, with an index on `status`;
- `hot_update`: `body` in its own table, no index on `status`, `fillfactor` 70, so
  that the status update can be a HOT update;
- `derived`: no state column at all. A transaction is open when it has no group
  item and no written-off or closed break. No foreign keys on the items;
- `derived_bytewise`: as `derived`, with the `C` collation on every id column
  (`varchar(36)` and `varchar(80)`), so that the indexes compare ids byte by byte.

Run from the repository root:

    .venv/bin/python bench/store_layouts.py --size 200000
"""

import argparse
import asyncio
import json
import os
import sys
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Final

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import make_url

from recon_platform.infra.postgres import (
    create_database,
    drop_database,
    ensure_postgres,
)

RECONCILIATION_ID: Final = "bench-eur"
FIRST_DAY: Final = date(2026, 6, 1)
LAYOUTS: Final = (
    "today",
    "no_item_fks",
    "narrow_state",
    "hot_update",
    "derived",
    "derived_bytewise",
)

_COMMON_DDL: Final = """
CREATE TABLE match_groups (
    group_id varchar(36) PRIMARY KEY,
    reconciliation_id varchar(100) NOT NULL,
    pass_name varchar(100) NOT NULL,
    status varchar(20) NOT NULL,
    score numeric(38, 10) NOT NULL,
    amount_difference numeric(38, 10) NOT NULL,
    days_apart integer NOT NULL,
    explanation text NOT NULL,
    matched_at timestamptz NOT NULL,
    origin varchar(20) NOT NULL
);
CREATE INDEX ix_match_groups_reconciliation_id ON match_groups (reconciliation_id);
CREATE TABLE breaks (
    transaction_id varchar(80) PRIMARY KEY,
    reconciliation_id varchar(100) NOT NULL,
    state varchar(20) NOT NULL
);
CREATE INDEX ix_breaks_state ON breaks (state);
"""

_TRANSACTION_COLUMNS: Final = """
    transaction_id varchar(80) PRIMARY KEY,
    bank_id varchar(64) NOT NULL,
    file_id varchar(36) NOT NULL,
    record_kind varchar(20) NOT NULL,
    account varchar(64) NOT NULL,
    currency varchar(3) NOT NULL,
    amount numeric(38, 10) NOT NULL,
    value_date date NOT NULL,
    reconciliation_id varchar(100),
    side varchar(1),
    received_at timestamptz NOT NULL
"""

_INDEXES: Final = """
CREATE INDEX ix_transactions_file_id ON transactions (file_id);
CREATE INDEX ix_transactions_reconciliation_id ON transactions (reconciliation_id);
"""


def _items_ddl(*, foreign_keys: bool) -> str:
    references = (
        (
            " REFERENCES transactions (transaction_id)",
            " REFERENCES match_groups (group_id)",
        )
        if foreign_keys
        else ("", "")
    )
    return f"""
CREATE TABLE match_group_items (
    transaction_id varchar(80) PRIMARY KEY{references[0]},
    group_id varchar(36) NOT NULL{references[1]}
);
CREATE INDEX ix_match_group_items_group_id ON match_group_items (group_id);
"""


def layout_ddl(layout: str) -> str:
    """Return the DDL of `layout`."""
    if layout in ("today", "no_item_fks"):
        return f"""{_COMMON_DDL}
CREATE TABLE transactions ({_TRANSACTION_COLUMNS},
    status varchar(20) NOT NULL,
    group_id varchar(36),
    body text NOT NULL
);
{_INDEXES}
CREATE INDEX ix_transactions_status ON transactions (status);
{_items_ddl(foreign_keys=layout == "today")}"""
    if layout == "narrow_state":
        return f"""{_COMMON_DDL}
CREATE TABLE transactions ({_TRANSACTION_COLUMNS}, body text NOT NULL);
{_INDEXES}
CREATE TABLE transaction_states (
    transaction_id varchar(80) PRIMARY KEY,
    reconciliation_id varchar(100),
    status varchar(20) NOT NULL,
    group_id varchar(36)
);
CREATE INDEX ix_transaction_states_status ON transaction_states (status);
{_items_ddl(foreign_keys=False)}"""
    if layout == "hot_update":
        return f"""{_COMMON_DDL}
CREATE TABLE transactions ({_TRANSACTION_COLUMNS},
    status varchar(20) NOT NULL,
    group_id varchar(36)
) WITH (fillfactor = 70);
{_INDEXES}
CREATE TABLE transaction_bodies (
    transaction_id varchar(80) PRIMARY KEY,
    body text NOT NULL
);
{_items_ddl(foreign_keys=False)}"""
    if layout == "derived":
        return f"""{_COMMON_DDL}
CREATE TABLE transactions ({_TRANSACTION_COLUMNS}, body text NOT NULL);
{_INDEXES}
{_items_ddl(foreign_keys=False)}"""
    if layout == "derived_bytewise":
        # Every varchar(36) and varchar(80) column of these tables is an id.
        return (
            layout_ddl("derived")
            .replace("varchar(36)", 'varchar(36) COLLATE "C"')
            .replace("varchar(80)", 'varchar(80) COLLATE "C"')
        )
    raise ValueError(f"invalid layout {layout!r}, expected one of {', '.join(LAYOUTS)}")


def transaction_tuples(
    first: int, count: int, *, received_at: datetime
) -> list[tuple[Any, ...]]:
    """Return the base columns and the JSON body of `s<i>` and `l<i>`."""
    rows: list[tuple[Any, ...]] = []
    for index in range(first, first + count):
        value_date = FIRST_DAY + timedelta(days=index % 30)
        amount = f"{index % 250_000 / 100 + 0.01:.2f}"
        for prefix, kind, account in (
            ("s", "statement", "DE89370400440532013000"),
            ("l", "ledger", "113000"),
        ):
            transaction_id = f"{prefix}{index:08d}"
            body = json.dumps(
                {
                    "transaction_id": transaction_id,
                    "bank_id": "bench-bank",
                    "file_id": f"file-{prefix}-{index // 5000:04d}",
                    "record_kind": kind,
                    "account": account,
                    "currency": "EUR",
                    "amount": amount,
                    "direction": "credit",
                    "value_date": value_date.isoformat(),
                    "customer_reference": f"INV-{index:08d}",
                    "source_location": f"line {index + 1}",
                    "padding": "x" * 200,
                }
            )
            rows.append(
                (
                    transaction_id,
                    "bench-bank",
                    f"file-{prefix}-{index // 5000:04d}",
                    kind,
                    account,
                    "EUR",
                    Decimal(amount),
                    value_date,
                    RECONCILIATION_ID,
                    "a" if prefix == "s" else "b",
                    received_at,
                    body,
                )
            )
    return rows


def run_pattern(
    size: int, *, matched_at: datetime
) -> tuple[list[tuple[Any, ...]], list[tuple[str, str, bool]], list[str]]:
    """Return group rows, (item, group, confirmed) triples and the break ids."""
    groups: list[tuple[Any, ...]] = []
    items: list[tuple[str, str, bool]] = []
    break_ids: list[str] = []
    for index in range(size):
        position = index % 100
        if position < 94:
            ids = [f"s{index:08d}", f"l{index:08d}"]
        elif position == 94:
            ids = [f"s{index:08d}", f"s{index + 1:08d}", f"l{index:08d}"]
        elif position == 95:
            break_ids.append(f"l{index:08d}")
            continue
        else:
            break_ids.extend((f"s{index:08d}", f"l{index:08d}"))
            continue
        confirmed = position % 20 != 19
        group_id = str(uuid.uuid5(uuid.NAMESPACE_OID, "|".join(ids)))
        groups.append(
            (
                group_id,
                RECONCILIATION_ID,
                "reference",
                "confirmed" if confirmed else "proposed",
                Decimal(1),
                Decimal(0),
                0,
                "reference INV matches on both sides",
                matched_at,
                "engine",
            )
        )
        items.extend((transaction_id, group_id, confirmed) for transaction_id in ids)
    return groups, items, break_ids


async def load_transactions(
    connection: asyncpg.Connection, layout: str, size: int, now: datetime
) -> None:
    """Store the 2N transactions and the breaks of the run, untimed."""
    columns = [
        "transaction_id",
        "bank_id",
        "file_id",
        "record_kind",
        "account",
        "currency",
        "amount",
        "value_date",
        "reconciliation_id",
        "side",
        "received_at",
    ]
    for first in range(0, size, 100_000):
        rows = transaction_tuples(first, min(100_000, size - first), received_at=now)
        if layout == "hot_update":
            await connection.copy_records_to_table(
                "transactions",
                records=[(*row[:-1], "open", None) for row in rows],
                columns=[*columns, "status", "group_id"],
            )
            await connection.copy_records_to_table(
                "transaction_bodies",
                records=[(row[0], row[-1]) for row in rows],
                columns=["transaction_id", "body"],
            )
        elif layout in ("today", "no_item_fks"):
            await connection.copy_records_to_table(
                "transactions",
                records=[(*row, "open", None) for row in rows],
                columns=[*columns, "body", "status", "group_id"],
            )
        else:
            await connection.copy_records_to_table(
                "transactions", records=rows, columns=[*columns, "body"]
            )
        if layout == "narrow_state":
            await connection.copy_records_to_table(
                "transaction_states",
                records=[(row[0], RECONCILIATION_ID, "open", None) for row in rows],
                columns=["transaction_id", "reconciliation_id", "status", "group_id"],
            )
    await connection.execute("ANALYZE")


async def write_state(
    connection: asyncpg.Connection,
    layout: str,
    items: Sequence[tuple[str, str, bool]],
) -> None:
    """Make each grouped transaction read as matched or proposed."""
    if layout.startswith("derived"):
        return
    table = "transaction_states" if layout == "narrow_state" else "transactions"
    for confirmed in (True, False):
        ids = [item[0] for item in items if item[2] is confirmed]
        await connection.execute(
            f"UPDATE {table} AS t SET status = $1, group_id = i.group_id "  # noqa: S608
            "FROM match_group_items AS i "
            "WHERE t.transaction_id = i.transaction_id AND i.transaction_id = ANY($2)",
            "matched" if confirmed else "proposed",
            ids,
        )


_OPEN_QUERIES: Final = {
    "today": "SELECT t.transaction_id, t.body FROM transactions AS t "
    "WHERE t.reconciliation_id = $1 AND t.status = 'open'",
    "narrow_state": "SELECT t.transaction_id, t.body FROM transactions AS t "
    "JOIN transaction_states AS s ON s.transaction_id = t.transaction_id "
    "WHERE s.reconciliation_id = $1 AND s.status = 'open'",
    "hot_update": "SELECT t.transaction_id, b.body FROM transactions AS t "
    "JOIN transaction_bodies AS b ON b.transaction_id = t.transaction_id "
    "WHERE t.reconciliation_id = $1 AND t.status = 'open'",
    "derived": "SELECT t.transaction_id, t.body FROM transactions AS t "
    "WHERE t.reconciliation_id = $1 AND NOT EXISTS (SELECT 1 FROM match_group_items "
    "AS i WHERE i.transaction_id = t.transaction_id) AND NOT EXISTS (SELECT 1 FROM "
    "breaks AS b WHERE b.transaction_id = t.transaction_id "
    "AND b.state IN ('written_off', 'closed'))",
}
_OPEN_QUERIES["no_item_fks"] = _OPEN_QUERIES["today"]
_OPEN_QUERIES["derived_bytewise"] = _OPEN_QUERIES["derived"]


async def measure(admin_url: str, layout: str, size: int) -> dict[str, Any]:
    """Create the layout's database, store one run and return the timings."""
    name = f"store_layout_{layout}_{os.getpid()}"
    url = await create_database(admin_url, name)
    dsn = make_url(url).set(drivername="postgresql")
    connection = await asyncpg.connect(dsn.render_as_string(hide_password=False))
    now = datetime.now(UTC)
    report: dict[str, Any] = {"layout": layout, "size": size}
    try:
        await connection.execute(layout_ddl(layout))
        await load_transactions(connection, layout, size, now)
        groups, items, break_ids = run_pattern(size, matched_at=now)
        await connection.copy_records_to_table(
            "breaks",
            records=[(tid, RECONCILIATION_ID, "open") for tid in break_ids],
            columns=["transaction_id", "reconciliation_id", "state"],
        )
        async with connection.transaction():
            started = time.perf_counter()
            await connection.copy_records_to_table("match_groups", records=groups)
            copied_groups = time.perf_counter()
            await connection.copy_records_to_table(
                "match_group_items",
                records=[item[:2] for item in items],
                columns=["transaction_id", "group_id"],
            )
            copied_items = time.perf_counter()
            await write_state(connection, layout, items)
            wrote_state = time.perf_counter()
        committed = time.perf_counter()
        await connection.execute("ANALYZE")
        read_started = time.perf_counter()
        rows = await connection.fetch(_OPEN_QUERIES[layout], RECONCILIATION_ID)
        read_open = time.perf_counter() - read_started
        report |= {
            "groups": len(groups),
            "items": len(items),
            "open": len(rows),
            "copy_groups_s": round(copied_groups - started, 2),
            "copy_items_s": round(copied_items - copied_groups, 2),
            "write_state_s": round(wrote_state - copied_items, 2),
            "commit_s": round(committed - wrote_state, 2),
            "store_s": round(committed - started, 2),
            "read_open_s": round(read_open, 2),
        }
    finally:
        await connection.close()
        await drop_database(admin_url, name)
    return report


def main(argv: list[str] | None = None) -> int:
    """Measure each layout in turn and print one JSON line per layout."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--size",
        type=int,
        default=200_000,
        help="N: statement lines, and ledger entries, in the run",
    )
    parser.add_argument(
        "--layouts",
        default=",".join(LAYOUTS),
        help=f"comma-separated layouts to measure, from {', '.join(LAYOUTS)}",
    )
    parser.add_argument(
        "--admin-url",
        help="URL of a role that may create databases "
        "(default: the local PostgreSQL that ensure_postgres installs and starts)",
    )
    arguments = parser.parse_args(argv)
    admin_url = arguments.admin_url or ensure_postgres()
    for layout in arguments.layouts.split(","):
        report = asyncio.run(measure(admin_url, layout, arguments.size))
        print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
