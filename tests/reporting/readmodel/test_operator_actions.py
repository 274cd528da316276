"""The read model applies dissolved groups, break updates and comments."""

from datetime import UTC, datetime

import httpx
from fastapi import FastAPI
from recon_common.events import BreakState, Comment, MatchesProduced

from tests.reporting.conftest import basic, feed
from tests.reporting.factory import build_day


async def test_dissolved_group_items_become_breaks(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    day = build_day(statements=6, matched_pairs=4)
    await feed(app, day.payload)
    group = day.payload.groups[0]
    template = day.payload.opened_breaks[0]
    reopened = [
        template.model_copy(update={"transaction_id": tid})
        for tid in group.transaction_ids
    ]
    message = MatchesProduced(
        run_id="unmatch-1",
        chunk_index=0,
        chunk_count=1,
        dissolved_group_ids=[group.group_id],
        opened_breaks=reopened,
        action="match.unmatch",
        actor="otto",
    )

    await feed(app, message)

    found = await client.get(
        f"/api/v1/match-groups/{group.group_id}", auth=basic("vera")
    )
    assert found.status_code == 404
    item = await client.get(
        f"/api/v1/transactions/{group.transaction_ids[0]}", auth=basic("vera")
    )
    assert item.json()["status"] == "open"


async def test_written_off_break_leaves_open_list(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    day = build_day(statements=6, matched_pairs=4)
    await feed(app, day.payload)
    target = day.payload.opened_breaks[0]
    before = await client.get("/api/v1/breaks", auth=basic("vera"))
    message = MatchesProduced(
        run_id="write-off-1",
        chunk_index=0,
        chunk_count=1,
        updated_breaks=[target.model_copy(update={"state": BreakState.WRITTEN_OFF})],
    )

    await feed(app, message)

    after = await client.get("/api/v1/breaks", auth=basic("vera"))
    assert after.json()["total"] == before.json()["total"] - 1


async def test_assignee_and_comment_stored(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    day = build_day(statements=6, matched_pairs=4)
    await feed(app, day.payload)
    target = day.payload.opened_breaks[0]
    comment = Comment(
        comment_id="c-1",
        target_type="break",
        target_id=target.transaction_id,
        author="otto",
        body="called the branch",
        created_at=datetime(2026, 12, 4, 9, tzinfo=UTC),
    )
    message = MatchesProduced(
        run_id="assign-1",
        chunk_index=0,
        chunk_count=1,
        updated_breaks=[
            target.model_copy(update={"state": BreakState.ASSIGNED, "assignee": "anna"})
        ],
        comments=[comment],
    )

    await feed(app, message)
    await feed(app, message)

    page = await client.get("/api/v1/breaks", auth=basic("vera"))
    row = next(
        item
        for item in page.json()["items"]
        if item["transaction_id"] == target.transaction_id
    )
    assert row["assignee"] == "anna"
    assert row["state"] == "assigned"
    assert row["comments"] == [
        {
            "author": "otto",
            "body": "called the branch",
            "created_at": "2026-12-04T09:00:00Z",
        }
    ]
