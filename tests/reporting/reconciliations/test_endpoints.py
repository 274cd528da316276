"""Tests for the summary and reconciliation routes."""

from datetime import UTC, date, datetime
from decimal import Decimal

import httpx
from fastapi import FastAPI
from recon_common.events import (
    GroupOrigin,
    MatchesProduced,
    MatchGroup,
    MatchGroupStatus,
    RecordKind,
)

from tests.reporting.conftest import basic, feed
from tests.reporting.factory import RECONCILIATION_ID, build_day, transaction


def manual_group(
    group_id: str,
    transaction_ids: list[str],
    *,
    origin: GroupOrigin = GroupOrigin.MANUAL,
    status: MatchGroupStatus = MatchGroupStatus.CONFIRMED,
) -> MatchGroup:
    return MatchGroup(
        group_id=group_id,
        reconciliation_id=RECONCILIATION_ID,
        pass_name="manual",
        transaction_ids=transaction_ids,
        score=Decimal(1),
        amount_difference=Decimal("0.00"),
        days_apart=0,
        explanation="manual match by otto: same invoice",
        matched_at=datetime(2026, 12, 3, 9, 0, tzinfo=UTC),
        status=status,
        origin=origin,
    )


async def test_summary_equals_fed_numbers(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    day = build_day(statements=10, matched_pairs=7)
    await feed(app, day.payload)

    response = await client.get("/api/v1/summary", auth=basic("vera"))

    body = response.json()
    assert response.status_code == 200
    assert body["files"] == day.files
    assert body["files_rejected"] == day.files_rejected
    assert body["transactions"] == day.transactions
    assert body["matched"] == day.matched
    assert body["open_breaks"] == day.open_breaks
    # 14 matched of 17 transactions.
    assert body["auto_match_rate"] == "0.8235"


async def test_summary_empty_read_model_is_zero(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/summary", auth=basic("vera"))

    assert response.json() == {
        "files": 0,
        "files_rejected": 0,
        "transactions": 0,
        "matched": 0,
        "auto_matched": 0,
        "unassigned": 0,
        "intraday_unassigned": 0,
        "open_breaks": 0,
        "auto_match_rate": "0.0000",
    }


async def test_reconciliations_list_counts(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    day = build_day(statements=6, matched_pairs=4)
    await feed(app, day.payload)

    response = await client.get("/api/v1/reconciliations", auth=basic("vera"))

    [item] = response.json()["items"]
    assert item["reconciliation_id"] == RECONCILIATION_ID
    assert item["name"] == "EUR nostro"
    assert item["transactions"] == day.transactions
    assert item["matched"] == day.matched
    assert item["open_breaks"] == day.open_breaks
    assert item["auto_match_rate"] == "0.8000"


async def test_reconciliation_unknown_is_not_found(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/reconciliations/nope", auth=basic("vera"))

    assert response.status_code == 404
    assert response.json()["error"] == "ReconciliationNotFound"


async def test_summary_without_credentials_is_unauthorized(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/v1/summary")

    assert response.status_code == 401
    assert response.json()["error"] == "Unauthorized"


async def test_summary_rate_excludes_manual_matches(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    day = build_day(statements=10, matched_pairs=7)
    await feed(app, day.payload)
    # Two of the three statement breaks matched by hand, without a ledger entry.
    manual = manual_group("group-manual", ["stmt-007", "stmt-008"])
    await feed(
        app,
        MatchesProduced(
            run_id="run-2",
            chunk_index=0,
            chunk_count=1,
            groups=[manual],
            closed_break_ids=manual.transaction_ids,
        ),
    )

    response = await client.get("/api/v1/summary", auth=basic("vera"))

    body = response.json()
    assert body["matched"] == day.matched + 2
    assert body["auto_matched"] == day.matched
    # Still 14 auto-matched of 17 transactions.
    assert body["auto_match_rate"] == "0.8235"


async def test_summary_rate_excludes_unassigned(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    day = build_day(statements=10, matched_pairs=7)
    await feed(app, day.payload)
    stray = [
        transaction(
            f"stray-{index}",
            kind=RecordKind.STATEMENT,
            amount="10.00",
            value_date=date(2026, 12, 3),
            file_id="file-other",
        )
        for index in range(3)
    ]
    await feed(
        app,
        MatchesProduced(
            run_id="run-2", chunk_index=0, chunk_count=1, transactions=stray
        ),
    )

    response = await client.get("/api/v1/summary", auth=basic("vera"))

    body = response.json()
    assert body["unassigned"] == 3
    assert body["transactions"] == day.transactions + 3
    # Still 14 auto-matched of the 17 transactions that a reconciliation took.
    assert body["auto_match_rate"] == "0.8235"


async def test_summary_counts_intraday_apart(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    day = build_day(statements=10, matched_pairs=7)
    await feed(app, day.payload)
    stray = transaction(
        "stray-0",
        kind=RecordKind.STATEMENT,
        amount="10.00",
        value_date=date(2026, 12, 3),
        file_id="file-other",
    )
    intraday = [
        stray.model_copy(
            update={"transaction_id": f"intraday-{index}", "source_format": name}
        )
        for index, name in enumerate(["mt942", "camt.052"])
    ]
    await feed(
        app,
        MatchesProduced(
            run_id="run-2",
            chunk_index=0,
            chunk_count=1,
            transactions=[stray, *intraday],
        ),
    )

    response = await client.get("/api/v1/summary", auth=basic("vera"))

    body = response.json()
    assert body["unassigned"] == 1
    assert body["intraday_unassigned"] == 2
    assert body["transactions"] == day.transactions + 3
    # Still 14 auto-matched of the 17 transactions that a reconciliation took.
    assert body["auto_match_rate"] == "0.8235"


async def test_summary_rate_excludes_proposed_groups(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    day = build_day(statements=10, matched_pairs=7)
    await feed(app, day.payload)
    proposal = manual_group(
        "group-proposed",
        ["stmt-007", "stmt-008"],
        origin=GroupOrigin.ENGINE,
        status=MatchGroupStatus.PROPOSED,
    )
    await feed(
        app,
        MatchesProduced(
            run_id="run-2", chunk_index=0, chunk_count=1, groups=[proposal]
        ),
    )

    response = await client.get("/api/v1/summary", auth=basic("vera"))

    assert response.json()["auto_matched"] == day.matched


async def test_reconciliation_rate_excludes_manual_matches(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    day = build_day(statements=6, matched_pairs=4)
    await feed(app, day.payload)
    manual = manual_group("group-manual", ["stmt-004", "stmt-005"])
    await feed(
        app,
        MatchesProduced(
            run_id="run-2",
            chunk_index=0,
            chunk_count=1,
            groups=[manual],
            closed_break_ids=manual.transaction_ids,
        ),
    )

    listed = await client.get("/api/v1/reconciliations", auth=basic("vera"))
    single = await client.get(
        f"/api/v1/reconciliations/{RECONCILIATION_ID}", auth=basic("vera")
    )

    [item] = listed.json()["items"]
    assert item["auto_matched"] == day.matched
    assert item["auto_match_rate"] == "0.8000"
    assert single.json()["auto_match_rate"] == "0.8000"
