"""The review queue of proposed match groups, its dashboard count and its marker."""

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import httpx
from fastapi import FastAPI
from recon_common.events import (
    MatchesProduced,
    MatchGroup,
    MatchGroupStatus,
    ReconciliationSummary,
    RecordKind,
    Transaction,
)

from tests.reporting.conftest import feed, login, outbox_events
from tests.reporting.factory import (
    LEDGER_ACCOUNT,
    RECONCILIATION_ID,
    STATEMENT_ACCOUNT,
    transaction,
)
from tests.reporting.pages.conftest import (
    WorkedDay,
    csrf_of,
    post_form,
    relay,
    signed_in,
)

OTHER_RECONCILIATION_ID = "rec-usd-nostro"
FIRST_MATCHED_AT = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
VALUE_DATE = date(2026, 12, 1)
ROW_PATTERN = re.compile(r'<tr id="review-([^"]+)">')


def build_group(
    index: int,
    *,
    reconciliation_id: str = RECONCILIATION_ID,
    status: MatchGroupStatus = MatchGroupStatus.PROPOSED,
    minutes_late: int = 0,
) -> tuple[MatchGroup, list[Transaction]]:
    """Build a group, proposed by default, of two lines 0.50 and two days apart."""
    statement = transaction(
        f"stmt-{reconciliation_id}-{index:03d}",
        kind=RecordKind.STATEMENT,
        amount="100.50",
        value_date=VALUE_DATE,
    )
    ledger = transaction(
        f"ledger-{reconciliation_id}-{index:03d}",
        kind=RecordKind.LEDGER,
        amount="100.00",
        value_date=VALUE_DATE + timedelta(days=2),
        file_id="file-ledger",
    )
    group = MatchGroup(
        group_id=f"group-{reconciliation_id}-{index:03d}",
        reconciliation_id=reconciliation_id,
        pass_name="amount-tolerance",
        transaction_ids=[statement.transaction_id, ledger.transaction_id],
        score=Decimal("0.72"),
        amount_difference=Decimal("0.50"),
        days_apart=2,
        explanation="amount within 1.00, two days apart",
        matched_at=FIRST_MATCHED_AT + timedelta(minutes=minutes_late),
        status=status,
    )
    return group, [statement, ledger]


async def feed_groups(
    app: FastAPI, pairs: list[tuple[MatchGroup, list[Transaction]]]
) -> None:
    """Apply `pairs` and a summary of each of their reconciliations to the app."""
    groups = [group for group, _ in pairs]
    transactions = [row for _, rows in pairs for row in rows]
    reconciliation_ids = sorted({group.reconciliation_id for group in groups})
    payload = MatchesProduced(
        run_id="run-review",
        chunk_index=0,
        chunk_count=1,
        transactions=transactions,
        groups=groups,
        summaries=[
            ReconciliationSummary(
                reconciliation_id=reconciliation_id,
                name=f"Nostro {reconciliation_id}",
                transactions=len(transactions),
                matched=len(transactions),
                open_breaks=0,
            )
            for reconciliation_id in reconciliation_ids
        ],
    )
    await feed(app, payload)


def row_ids(page: httpx.Response) -> list[str]:
    """Return the group ids of the queue's rows, in page order."""
    return ROW_PATTERN.findall(page.text)


def next_field(page: httpx.Response, form_id: str) -> str:
    """Return the `next` path that a form of the group page posts."""
    form = re.search(rf'<form id="{form_id}".*?</form>', page.text, re.DOTALL)
    assert form is not None, form_id
    found = re.search(r'name="next" value="([^"]*)"', form.group(0))
    assert found is not None, form_id
    return found.group(1)


def row_of(page: httpx.Response, group_id: str) -> str:
    """Return the HTML of one group's row of the queue."""
    found = re.search(rf'<tr id="review-{group_id}">(.*?)</tr>', page.text, re.DOTALL)
    assert found is not None, f"the queue has no row for {group_id}"
    return found.group(1)


async def test_review_lists_proposed_oldest_first(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed_groups(
        app,
        [
            build_group(1, minutes_late=120),
            build_group(2, minutes_late=0),
            build_group(3, minutes_late=60),
            build_group(4, status=MatchGroupStatus.CONFIRMED),
        ],
    )
    await login(client, "vera")

    page = await client.get("/review")

    assert page.status_code == 200
    assert row_ids(page) == [
        f"group-{RECONCILIATION_ID}-002",
        f"group-{RECONCILIATION_ID}-003",
        f"group-{RECONCILIATION_ID}-001",
    ]
    assert 'href="/review" aria-current="page"' in page.text


async def test_review_row_shows_group_fields(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    group, lines = build_group(1)
    await feed_groups(app, [(group, lines)])
    await login(client, "vera")

    page = await client.get("/review")

    row = row_of(page, group.group_id)
    assert f'href="/match-groups/{group.group_id}?from=review"' in row
    assert f'href="/reconciliations/{RECONCILIATION_ID}"' in row
    assert "<td>amount-tolerance</td>" in row
    assert '<td class="num">0.72</td>' in row
    assert '<td class="num difference">0.50 EUR</td>' in row
    assert '<td class="num">2</td>' in row
    assert "<td>2026-12-03 08:00 UTC</td>" in row
    assert f"<code>stmt-{RECONCILIATION_ID}-001</code>" in row
    assert "100.50 EUR" in row


async def test_review_difference_without_single_currency(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    group, lines = build_group(1)
    mixed = [lines[0], lines[1].model_copy(update={"currency": "USD"})]
    await feed_groups(app, [(group, mixed)])
    await login(client, "vera")

    page = await client.get("/review")

    row = row_of(page, group.group_id)
    assert '<td class="num difference">0.50 </td>' in row


async def test_review_filters_by_reconciliation(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed_groups(
        app,
        [
            build_group(1),
            build_group(2, reconciliation_id=OTHER_RECONCILIATION_ID),
        ],
    )
    await login(client, "vera")

    page = await client.get(
        "/review", params={"reconciliation_id": OTHER_RECONCILIATION_ID}
    )
    unfiltered = await client.get("/review", params={"reconciliation_id": ""})

    assert row_ids(page) == [f"group-{OTHER_RECONCILIATION_ID}-002"]
    assert f'<option value="{OTHER_RECONCILIATION_ID}" selected>' in page.text
    assert len(row_ids(unfiltered)) == 2


async def test_review_pages_past_fifty(app: FastAPI, client: httpx.AsyncClient) -> None:
    await feed_groups(
        app, [build_group(index, minutes_late=index) for index in range(51)]
    )
    await login(client, "vera")

    first = await client.get("/review")
    second = await client.get("/review", params={"offset": "50"})

    assert len(row_ids(first)) == 50
    assert row_ids(first)[0] == f"group-{RECONCILIATION_ID}-000"
    assert "<span>1–50 of 51</span>" in first.text
    assert 'href="?offset=50" rel="next"' in first.text
    assert row_ids(second) == [f"group-{RECONCILIATION_ID}-050"]
    assert 'href="?offset=0" rel="prev"' in second.text


async def test_review_invalid_offset_rejected(client: httpx.AsyncClient) -> None:
    await login(client, "vera")

    page = await client.get("/review", params={"offset": "-1"})

    assert page.status_code == 422


async def test_review_empty_queue_says_so(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed_groups(app, [build_group(1, status=MatchGroupStatus.CONFIRMED)])
    await login(client, "vera")

    page = await client.get("/review")
    filtered = await client.get(
        "/review", params={"reconciliation_id": OTHER_RECONCILIATION_ID}
    )

    assert row_ids(page) == []
    assert "No proposed match groups wait for review." in page.text
    assert "No proposed match groups of this reconciliation wait" in filtered.text


async def test_review_redacts_accounts_for_viewer(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed_groups(app, [build_group(1)])
    await login(client, "vera")

    page = await client.get("/review")

    reads = [
        event
        for event in await outbox_events(app)
        if event["action"] == "sensitive.read"
    ]
    assert STATEMENT_ACCOUNT not in page.text
    assert LEDGER_ACCOUNT not in page.text
    assert f"<code>••••{STATEMENT_ACCOUNT[-4:]}</code>" in page.text
    assert reads == []


async def test_review_shows_accounts_to_auditor(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed_groups(app, [build_group(1)])
    await login(client, "aud")

    page = await client.get("/review")

    reads = [
        event
        for event in await outbox_events(app)
        if event["action"] == "sensitive.read"
    ]
    assert f"<code>{STATEMENT_ACCOUNT}</code>" in page.text
    assert f"<code>{LEDGER_ACCOUNT}</code>" in page.text
    assert len(reads) == 1
    assert reads[0]["actor"] == "aud"


async def test_review_read_only_role_gets_view_links(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    group, lines = build_group(1)
    await feed_groups(app, [(group, lines)])
    await login(client, "vera")

    page = await client.get("/review")
    group_page = await client.get(f"/match-groups/{group.group_id}")

    assert f"View group {group.group_id}" in row_of(page, group.group_id)
    assert 'id="read-only-note"' in page.text
    assert 'method="post" action="/match-groups' not in page.text
    assert 'id="confirm-form"' not in group_page.text


async def test_review_operator_gets_review_links(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    group, lines = build_group(1)
    await feed_groups(app, [(group, lines)])
    await login(client, "otto")

    page = await client.get("/review")
    group_page = await client.get(f"/match-groups/{group.group_id}")

    assert f"Review group {group.group_id}" in row_of(page, group.group_id)
    assert 'id="read-only-note"' not in page.text
    assert 'id="confirm-form"' in group_page.text
    assert 'id="reject-form"' in group_page.text


async def test_dashboard_counts_proposed_groups(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed_groups(
        app,
        [
            build_group(1),
            build_group(2),
            build_group(3, status=MatchGroupStatus.CONFIRMED),
            build_group(4, reconciliation_id=OTHER_RECONCILIATION_ID),
        ],
    )
    await login(client, "vera")

    page = await client.get("/")

    assert f'<a href="/review?reconciliation_id={RECONCILIATION_ID}">2</a>' in page.text
    assert (
        f'<a href="/review?reconciliation_id={OTHER_RECONCILIATION_ID}">1</a>'
        in page.text
    )
    assert '<a href="/review">3 proposed match groups wait for review</a>' in page.text


async def test_dashboard_without_proposals_omits_notice(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed_groups(app, [build_group(1, status=MatchGroupStatus.CONFIRMED)])
    await login(client, "vera")

    page = await client.get("/")

    assert 'id="proposed-groups"' not in page.text
    assert '<td class="num proposed">0</td>' in page.text


def proposed_notice(page: httpx.Response) -> str | None:
    """Return the text of the breaks page's proposed-items notice, if it has one."""
    found = re.search(
        r'<p class="notice" id="proposed-items">(.*?)</p>', page.text, re.DOTALL
    )
    return " ".join(found.group(1).split()) if found else None


async def test_breaks_page_counts_proposed_items(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed_groups(
        app,
        [
            build_group(1),
            build_group(2),
            build_group(3, status=MatchGroupStatus.CONFIRMED),
            build_group(4, reconciliation_id=OTHER_RECONCILIATION_ID),
        ],
    )
    await login(client, "vera")

    page = await client.get("/breaks")

    assert page.status_code == 200
    assert proposed_notice(page) == (
        'Not listed here: <a href="/review">6 transactions in 3 proposed match '
        "groups</a> waiting for review. Rejecting a group makes its transactions "
        "open breaks."
    )


async def test_breaks_notice_follows_reconciliation_filter(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed_groups(
        app,
        [
            build_group(1),
            build_group(2),
            build_group(4, reconciliation_id=OTHER_RECONCILIATION_ID),
        ],
    )
    await login(client, "vera")

    page = await client.get("/breaks", params={"reconciliation_id": RECONCILIATION_ID})

    notice = proposed_notice(page)
    assert notice is not None
    assert (
        f'<a href="/review?reconciliation_id={RECONCILIATION_ID}">4 transactions in '
        "2 proposed match groups</a>"
    ) in notice


async def test_breaks_notice_follows_account_filter(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed_groups(
        app,
        [
            build_group(1),
            build_group(4, reconciliation_id=OTHER_RECONCILIATION_ID),
        ],
    )
    await login(client, "vera")

    page = await client.get(
        "/breaks",
        params={"reconciliation_id": RECONCILIATION_ID, "account": LEDGER_ACCOUNT},
    )

    notice = proposed_notice(page)
    assert notice is not None
    assert (
        "1 transaction on this account in 1 proposed match group</a> waiting"
    ) in notice


async def test_breaks_notice_omitted_without_proposals(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed_groups(
        app,
        [
            build_group(1, status=MatchGroupStatus.CONFIRMED),
            build_group(2, reconciliation_id=OTHER_RECONCILIATION_ID),
        ],
    )
    await login(client, "vera")

    unfiltered = await client.get("/breaks")
    filtered = await client.get(
        "/breaks", params={"reconciliation_id": RECONCILIATION_ID}
    )

    assert proposed_notice(unfiltered) is not None
    assert proposed_notice(filtered) is None


async def test_reconciliation_page_marks_proposed_group(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    proposed = build_group(1)
    confirmed = build_group(2, status=MatchGroupStatus.CONFIRMED)
    await feed_groups(app, [proposed, confirmed])
    await login(client, "vera")

    page = await client.get(f"/reconciliations/{RECONCILIATION_ID}")

    captions = dict(
        re.findall(
            r'<a href="/match-groups/([^"]+)">.*?</a>(.*?)· score', page.text, re.DOTALL
        )
    )
    assert "proposed, waits for review" in captions[proposed[0].group_id]
    assert "proposed" not in captions[confirmed[0].group_id]


async def test_review_confirm_empties_queue(
    live_matcher: FastAPI, operator_app: FastAPI, worked_day: WorkedDay
) -> None:
    group = worked_day.proposed_group
    async with signed_in(operator_app, "otto") as http:
        before = await http.get("/review")
        token = csrf_of(await http.get(f"/match-groups/{group}"))

        await post_form(
            http, f"/match-groups/{group}/confirm", {"next": "/review"}, token=token
        )
        await relay(live_matcher, operator_app)
        after = await http.get("/review")

    assert row_ids(before) == [group]
    assert group not in row_ids(after)
    assert "No proposed match groups wait for review." in after.text


async def test_group_from_review_returns_to_queue(
    live_matcher: FastAPI, operator_app: FastAPI, worked_day: WorkedDay
) -> None:
    group = worked_day.proposed_group
    async with signed_in(operator_app, "otto") as http:
        page = await http.get(f"/match-groups/{group}?from=review")
        rejected = await post_form(
            http,
            f"/match-groups/{group}/reject",
            {"next": next_field(page, "reject-form"), "reason": "different payer"},
            token=csrf_of(page),
        )

    assert 'href="/review">Back to the review queue</a>' in page.text
    assert next_field(page, "confirm-form") == "/review"
    assert next_field(page, "unmatch-form") == "/review"
    assert rejected.url.path == "/review"
