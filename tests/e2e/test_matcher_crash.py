"""A matcher killed with SIGKILL while a file is in flight loses nothing and
matches nothing twice once it is restarted."""

import asyncio
import time
from datetime import date, timedelta
from decimal import Decimal

import pytest
import yaml
from recon_ingest.parsers import parse_file
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from recon_platform import demo
from recon_platform.ledger_generator import generate_ledger
from tests.e2e.conftest import Platform

pytestmark = [pytest.mark.slow, pytest.mark.kafka, pytest.mark.postgres]

ACCOUNT = "NL02CRSH0123456789"
LEDGER_ACCOUNT = "GL-9000"
RECONCILIATION = "crash-test"
LINES = 2000


def make_statement(lines: int) -> str:
    """Return an MT940 statement with `lines` entries that balances."""
    start = date(2026, 12, 1)
    opening = Decimal("1000000.00")
    body: list[str] = []
    total = Decimal(0)
    for number in range(1, lines + 1):
        day = start + timedelta(days=number % 5)
        amount = Decimal(number % 900 + 10) + Decimal(number % 100) / 100
        mark = "D" if number % 3 else "C"
        total += amount if mark == "C" else -amount
        text_amount = f"{amount:.2f}".replace(".", ",")
        body.append(
            f":61:{day:%y%m%d}{day:%m%d}{mark}{text_amount}NTRFREF{number:06d}"
            f"//B{number:08d}"
        )
        body.append(f":86:Crash test payment {number}")
    closing = opening + total
    head = [":20:CRASHTEST", f":25:{ACCOUNT}", ":28C:1/1", ":60F:C261201EUR1000000,00"]
    tail = [
        f":62F:C{start + timedelta(days=4):%y%m%d}EUR"
        + f"{closing:.2f}".replace(".", ","),
        "-",
    ]
    return "\r\n".join(head + body + tail) + "\r\n"


def add_definition(platform: Platform) -> None:
    path = platform.stack.service_dir("matcher") / "reconciliations.yaml"
    content = yaml.safe_load(path.read_text())
    content["definitions"].append(
        {
            "id": RECONCILIATION,
            "name": "Crash test account",
            "bank_id": "demo-bank",
            "side_a": {"record_kind": "statement", "accounts": [ACCOUNT]},
            "side_b": {"record_kind": "ledger", "accounts": [LEDGER_ACCOUNT]},
            "account_pairs": [{"side_a": ACCOUNT, "side_b": LEDGER_ACCOUNT}],
            "passes": [
                {"name": "exact", "kind": "exact"},
                {
                    "name": "tolerance",
                    "kind": "tolerance",
                    "amount_tolerance": "5.00",
                    "date_window_days": 3,
                },
            ],
        }
    )
    path.write_text(yaml.safe_dump(content, sort_keys=False))


async def matcher_count(platform: Platform, query: str) -> int:
    engine = create_async_engine(platform.stack.database_urls["matcher"])
    try:
        async with engine.connect() as connection:
            value = await connection.scalar(text(query), {"rid": RECONCILIATION})
    finally:
        await engine.dispose()
    return int(value or 0)


async def test_matcher_killed_mid_file(live_platform: Platform) -> None:
    platform = live_platform
    statement_text = make_statement(LINES)
    folder = platform.day.folder
    statement_path = folder / "crash-statement.sta"
    statement_path.write_text(statement_text)
    parsed = parse_file(
        statement_text.encode(),
        filename=statement_path.name,
        file_id="local",
        bank_id="demo-bank",
    )
    ledger = generate_ledger(
        parsed.transactions, seed=7, account_map={ACCOUNT: LEDGER_ACCOUNT}
    )
    ledger_path = folder / "crash-ledger.csv"
    ledger_path.write_text(ledger.csv_text, newline="")
    expected = LINES + len(ledger.entries)
    platform.stack.kill_service("matcher")
    add_definition(platform)
    platform.stack.start_service("matcher")
    count_sql = "SELECT count(*) FROM transactions WHERE reconciliation_id = :rid"

    result = platform.sftp(demo.STATEMENT_USER, [f"put {statement_path}"])
    assert result.returncode == 0, result.stderr
    result = platform.sftp(demo.LEDGER_USER, [f"put {ledger_path}"])
    assert result.returncode == 0, result.stderr
    deadline = time.monotonic() + 120
    stored_at_kill = 0
    while time.monotonic() < deadline:
        stored_at_kill = await matcher_count(platform, count_sql)
        if stored_at_kill > 0:
            platform.stack.kill_service("matcher")
            break
        await asyncio.sleep(0.05)
    platform.stack.start_service("matcher")
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if await matcher_count(platform, count_sql) == expected:
            break
        await asyncio.sleep(0.5)

    assert 0 < stored_at_kill < expected, (
        "the kill did not land while the file was in flight"
    )
    assert await matcher_count(platform, count_sql) == expected
    matched = await matcher_count(
        platform,
        "SELECT count(*) FROM match_group_items i JOIN match_groups g "
        "ON g.group_id = i.group_id JOIN transactions t "
        "ON t.transaction_id = i.transaction_id "
        "WHERE t.reconciliation_id = :rid AND g.status = 'confirmed'",
    )
    items = await matcher_count(
        platform,
        "SELECT count(*) FROM match_group_items i JOIN transactions t "
        "ON t.transaction_id = i.transaction_id WHERE t.reconciliation_id = :rid",
    )
    groups = await matcher_count(
        platform,
        "SELECT count(*) FROM match_groups WHERE reconciliation_id = :rid",
    )
    assert matched > 0
    assert items == matched
    assert groups * 2 == items
