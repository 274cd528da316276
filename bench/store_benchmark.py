"""Benchmark how fast the matcher stores one matching run's results in PostgreSQL.

For each size N the script creates an empty database on the local PostgreSQL
(`recon_platform.infra.postgres.ensure_postgres`), migrates it, and then, in a fresh
subprocess so that peak RSS belongs to that size alone:

1. stores N statement lines and N ledger entries, open in one reconciliation, with
   the bulk insert that `apply_chunk` uses (`insert_transactions`);
2. loads them by id, as the mapping that `match_records` receives, but as
   `TransactionRecord` instances without the `body` column, which the storage path
   never reads (`load`);
3. stores a synthesised matching result with the service's own storage function,
   `reconciliation.service.store_result`, and commits (`store`, the measured target):
   the group rows, the group items, the closing of the items' live breaks and the
   new break rows. No transaction row is updated, because the match state is
   derived (`reconciliation.states`);
4. queues the run's `matches-produced` messages with `changes.publish_changes` and
   commits (`outbox`);
5. reads what the next chunk's run reads: the open transactions with
   `repository.open_transactions`, and the per-state counts with
   `repository.reconciliation_counts` (`read_open`, `counts`). It reads once right
   after the store, when the planner's statistics still describe the empty
   tables, and once more after an `ANALYZE` (`analyze`, `read_open_analyzed`,
   `counts_analyzed`), which autovacuum would run soon after such a load.

The matching result is synthesised, not computed by the engine, so that the numbers
measure storage alone and a 1M run does not wait on matching. In every block of 100
index pairs, 94 statement lines pair with their ledger entry. Every 20th of those
groups is proposed, the others are confirmed. Two statement lines share one ledger
entry in a group of three, and the other nine items stay open as breaks with
rotating reasons. For N = 1,000,000 that is 950,000 groups, 1,910,000 group items
and 90,000 breaks. Run from the repository root:

    .venv/bin/python bench/store_benchmark.py --sizes 10000,100000,1000000
"""

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import SecretStr
from recon_common.db import create_engine, create_sessionmaker, session_scope
from recon_common.events import (
    BreakReason,
    Direction,
    GroupOrigin,
    MatchGroup,
    MatchGroupStatus,
    RecordKind,
    Transaction,
)
from recon_common.migrations import upgrade_async
from recon_common.settings import Environment
from recon_matcher.changes import MatchChanges, publish_changes
from recon_matcher.definitions import AccountPair, Definition, ExactPass, SideFilter
from recon_matcher.models import TransactionRecord
from recon_matcher.reconciliation import bulk, groups, repository, service, states
from recon_matcher.settings import MatcherSettings
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import defer

from recon_platform.infra.postgres import (
    create_database,
    drop_database,
    ensure_postgres,
)

RECONCILIATION_ID = "bench-eur"
STATEMENT_ACCOUNT = "DE89370400440532013000"
LEDGER_ACCOUNT = "113000"
FIRST_DAY = date(2026, 6, 1)
# Index pairs generated and inserted at a time.
SLICE = 100_000
BREAK_REASONS = (
    BreakReason.NO_COUNTERPART,
    BreakReason.AMOUNT_OUTSIDE_TOLERANCE,
    BreakReason.DATE_OUTSIDE_WINDOW,
)
# Functions of the storage path whose time the report breaks out, by the module
# attribute that `store_groups` and `store_result` call them through.
TIMED_STEPS = {
    (service, "tombstoned_ids"): "tombstone_check",
    (groups, "insert_tuples"): "insert_groups_and_items",
    (groups, "close_breaks"): "close_breaks",
    (service, "sync_breaks"): "open_breaks",
    (service, "withdraw_grouped_requests"): "withdraw_requests",
}


def definition() -> Definition:
    """Return the one reconciliation that every generated item belongs to."""
    return Definition(
        id=RECONCILIATION_ID,
        name="Benchmark EUR",
        bank_id="bench-bank",
        side_a=SideFilter(
            record_kind=RecordKind.STATEMENT, accounts=[STATEMENT_ACCOUNT]
        ),
        side_b=SideFilter(record_kind=RecordKind.LEDGER, accounts=[LEDGER_ACCOUNT]),
        account_pairs=[AccountPair(side_a=STATEMENT_ACCOUNT, side_b=LEDGER_ACCOUNT)],
        passes=[ExactPass.model_validate({"name": "reference", "kind": "exact"})],
    )


def transaction_rows(
    count: int, *, received_at: datetime, first: int = 0
) -> list[dict[str, Any]]:
    """Return statement rows `s<i>` and ledger rows `l<i>` for `count` indexes."""
    rows = []
    for index in range(first, first + count):
        amount = Decimal(index % 250_000) / 100 + Decimal("0.01")
        value_date = FIRST_DAY + timedelta(days=index % 30)
        for side, kind, account in (
            ("a", RecordKind.STATEMENT, STATEMENT_ACCOUNT),
            ("b", RecordKind.LEDGER, LEDGER_ACCOUNT),
        ):
            item = Transaction.model_construct(
                transaction_id=f"{'s' if side == 'a' else 'l'}{index:08d}",
                bank_id="bench-bank",
                file_id=f"file-{side}-{index // 5000:04d}",
                source_format="mt940" if side == "a" else "ledger-csv",
                record_kind=kind,
                account=account,
                currency="EUR",
                amount=amount,
                direction=Direction.CREDIT,
                value_date=value_date,
                customer_reference=f"INV-{index:08d}",
                source_location=f"line {index + 1}",
            )
            row = service.transaction_values(item, received_at=received_at)
            row.update(reconciliation_id=RECONCILIATION_ID, side=side)
            rows.append(row)
    return rows


def match_result(
    size: int, *, matched_at: datetime
) -> tuple[list[MatchGroup], list[str], dict[str, BreakReason]]:
    """Return the synthesised groups, break ids and break reasons of a run."""
    formed: list[MatchGroup] = []
    break_ids: list[str] = []
    reasons: dict[str, BreakReason] = {}
    for index in range(size):
        position = index % 100
        statement, ledger = f"s{index:08d}", f"l{index:08d}"
        if position < 94:
            proposed = position % 20 == 19
            formed.append(
                _group([statement, ledger], proposed=proposed, matched_at=matched_at)
            )
        elif position == 94:
            formed.append(
                _group(
                    [statement, f"s{index + 1:08d}", ledger],
                    proposed=False,
                    matched_at=matched_at,
                )
            )
        elif position == 95:
            break_ids.append(ledger)
        else:
            for transaction_id in (statement, ledger):
                break_ids.append(transaction_id)
                reasons[transaction_id] = BREAK_REASONS[index % len(BREAK_REASONS)]
    return formed, break_ids, reasons


def _group(ids: list[str], *, proposed: bool, matched_at: datetime) -> MatchGroup:
    return MatchGroup.model_construct(
        group_id=str(uuid.uuid5(uuid.NAMESPACE_OID, "|".join(ids))),
        reconciliation_id=RECONCILIATION_ID,
        pass_name="reference",  # noqa: S106 - a matching pass, not a password
        transaction_ids=ids,
        score=Decimal("0.9500") if proposed else Decimal(1),
        amount_difference=Decimal(0),
        days_apart=0,
        explanation="reference INV matches on both sides",
        matched_at=matched_at,
        status=MatchGroupStatus.PROPOSED if proposed else MatchGroupStatus.CONFIRMED,
        origin=GroupOrigin.ENGINE,
    )


def _instrument(spent: dict[str, float]) -> None:
    """Wrap the storage steps so that their time adds up in `spent`."""
    for (module, name), step in TIMED_STEPS.items():
        original: Callable[..., Awaitable[Any]] = getattr(module, name)

        def timed(
            *args: Any,
            _original: Callable[..., Awaitable[Any]] = original,
            _step: str = step,
            **kwargs: Any,
        ) -> Awaitable[Any]:
            async def run() -> Any:
                started = time.perf_counter()
                try:
                    return await _original(*args, **kwargs)
                finally:
                    spent[_step] = spent.get(_step, 0.0) + time.perf_counter() - started

            return run()

        setattr(module, name, timed)


async def insert_transactions(
    sessions: async_sessionmaker[AsyncSession], size: int, *, received_at: datetime
) -> float:
    """Store N + N open transactions in one transaction and return the seconds.

    Rows are generated in slices, and only the inserts and the commit count.
    """
    spent = 0.0
    async with session_scope(sessions) as session:
        for start in range(0, size, SLICE):
            rows = transaction_rows(
                min(SLICE, size - start), received_at=received_at, first=start
            )
            started = time.perf_counter()
            await bulk.insert_rows(session, bulk.table_of(TransactionRecord), rows)
            spent += time.perf_counter() - started
        started = time.perf_counter()
    return spent + time.perf_counter() - started


async def open_records(session: AsyncSession) -> list[TransactionRecord]:
    """Load the open transactions as `repository.open_transactions` does, without body.

    The storage path never reads `body`. Leaving it out keeps a 1M run an estimated
    1 GB smaller (2M bodies of about 500 bytes) on a machine shared with other jobs.
    """
    rows = await session.scalars(
        select(TransactionRecord)
        .options(defer(TransactionRecord.body))
        .where(
            TransactionRecord.reconciliation_id == RECONCILIATION_ID,
            states.is_open(),
        )
    )
    return list(rows.all())


async def read_back(
    sessions: async_sessionmaker[AsyncSession], *, suffix: str = ""
) -> dict[str, Any]:
    """Time what the next chunk's matching run reads after the store."""
    async with session_scope(sessions) as session:
        started = time.perf_counter()
        records = await repository.open_transactions(
            session, reconciliation_id=RECONCILIATION_ID
        )
        read_open = time.perf_counter() - started
        started = time.perf_counter()
        counts = await repository.reconciliation_counts(
            session, reconciliation_id=RECONCILIATION_ID
        )
        counted = time.perf_counter() - started
    return {
        f"read_open{suffix}_s": read_open,
        "open_transactions": len(records),
        f"counts{suffix}_s": counted,
        "counts": counts,
    }


async def run_size(url: str, size: int) -> dict[str, Any]:
    """Store N + N transactions and one run's results, and return the timings."""
    settings = MatcherSettings(
        environment=Environment.TEST,
        bank_id="bench-bank",
        database_url=SecretStr(url),
        service_token=SecretStr("b" * 40),
    )
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    now = datetime.now(UTC)
    report: dict[str, Any] = {"size": size}
    try:
        report["insert_transactions_s"] = await insert_transactions(
            sessions, size, received_at=now
        )
        report["transactions"] = 2 * size

        formed, break_ids, reasons = match_result(size, matched_at=now)
        steps: dict[str, float] = {}
        _instrument(steps)
        changes = MatchChanges()
        async with session_scope(sessions) as session:
            started = time.perf_counter()
            records = {
                record.transaction_id: record for record in await open_records(session)
            }
            report["load_s"] = time.perf_counter() - started
            started = time.perf_counter()
            await service.store_result(
                session,
                definition=definition(),
                formed=formed,
                break_ids=break_ids,
                reasons=reasons,
                records=records,
                settings=settings,
                changes=changes,
                now=now,
            )
            commit_started = time.perf_counter()
            await session.commit()
        finished = time.perf_counter()
        report["store_s"] = finished - started
        report["store_steps_s"] = steps | {"commit": finished - commit_started}
        report["groups"] = len(changes.groups)
        report["group_items"] = sum(len(group.transaction_ids) for group in formed)
        report["breaks"] = len(changes.opened_breaks)
        report["result_rows"] = (
            report["groups"] + report["group_items"] + report["breaks"]
        )
        report["result_rows_per_s"] = report["result_rows"] / report["store_s"]

        started = time.perf_counter()
        async with session_scope(sessions) as session:
            report["outbox_messages"] = publish_changes(
                session, changes=changes, settings=settings, key="bench", run_id="bench"
            )
        report["outbox_s"] = time.perf_counter() - started
        # The service drops a run's objects once its chunk is done. Kept here, the
        # 2,000,000 loaded records and the contracts would bill the reads below for
        # a full pass of the cyclic garbage collector over them.
        del records, formed, break_ids, reasons, changes
        report |= await read_back(sessions)
        started = time.perf_counter()
        async with engine.connect() as connection:
            await connection.execute(text("ANALYZE"))
            await connection.commit()
        report["analyze_s"] = time.perf_counter() - started
        report |= await read_back(sessions, suffix="_analyzed")
        report["peak_rss_mib"] = (
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        )
        async with engine.connect() as connection:
            report["postgresql"] = await connection.scalar(text("SHOW server_version"))
    finally:
        await engine.dispose()
    return report


async def _worker(url: str, size: int) -> None:
    report = await run_size(url, size)
    print(json.dumps(report))


async def _prepare(admin_url: str, name: str) -> str:
    url = await create_database(admin_url, name)
    await upgrade_async("recon_matcher", url)
    return url


def _run_in_subprocess(url: str, size: int) -> dict[str, Any]:
    command = [sys.executable, __file__, "--worker-url", url, "--sizes", str(size)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise RuntimeError(
            f"benchmark of N={size} failed with exit code {done.returncode}:\n"
            f"{done.stderr[-4000:]}"
        )
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def main(argv: list[str] | None = None) -> int:
    """Benchmark the storage path for each size and print one JSON line per size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default="10000,100000,1000000",
        help="comma-separated N: statement lines, and ledger entries, per run",
    )
    parser.add_argument(
        "--admin-url",
        help="asyncpg URL of a role that may create databases "
        "(default: the local PostgreSQL that ensure_postgres installs and starts)",
    )
    parser.add_argument(
        "--keep-databases",
        action="store_true",
        help="keep each size's database instead of dropping it afterwards",
    )
    parser.add_argument("--json", help="also write the reports to this JSON file")
    parser.add_argument("--worker-url", help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    sizes = [int(size) for size in arguments.sizes.split(",")]
    if arguments.worker_url:
        asyncio.run(_worker(arguments.worker_url, sizes[0]))
        return 0

    admin_url = arguments.admin_url or ensure_postgres()
    reports = []
    for size in sizes:
        name = f"store_bench_{size}_{os.getpid()}"
        url = asyncio.run(_prepare(admin_url, name))
        try:
            report = _run_in_subprocess(url, size)
        finally:
            if not arguments.keep_databases:
                asyncio.run(drop_database(admin_url, name))
        reports.append(report)
        print(json.dumps(report), flush=True)
    if arguments.json:
        with open(arguments.json, "w", encoding="utf-8") as output:
            json.dump(reports, output, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
