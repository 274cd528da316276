"""The break list's account filter: a full account number or its last digits.

Viewers and operators see accounts redacted to their last 4 characters, so they may
filter by those digits. They may not filter by more digits than the pages show:
otherwise trying each next digit in turn would reveal the hidden part of an account.
A full number matches for every role, as before, which confirms only a number that
the user already knows in full.
"""

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from recon_reporting.app import create_app
from recon_reporting.settings import ReportingSettings

from tests.reporting.conftest import basic, feed, login, make_client
from tests.reporting.factory import build_day

# The open breaks of `build_day(statements=6, matched_pairs=2)` are stmt-002 to
# stmt-005. Each gets its own account below.
ACCOUNTS = {
    "stmt-002": "DE89370400440532013000",
    # Shown as ••••3000 too, but it differs in the hidden digits.
    "stmt-003": "DE89370400440532993000",
    "stmt-004": "GB29NWBK60161331926819",
    # 6 characters once spaces are removed, so a redaction to 6 shows none of it.
    "stmt-005": "12 3000",
}


async def feed_accounts(app: FastAPI) -> None:
    """Feed one day whose open breaks are on the accounts of `ACCOUNTS`."""
    day = build_day(statements=6, matched_pairs=2)
    transactions = [
        row.model_copy(
            update={"account": ACCOUNTS.get(row.transaction_id, row.account)}
        )
        for row in day.payload.transactions
    ]
    await feed(app, day.payload.model_copy(update={"transactions": transactions}))


async def matching_ids(
    http: httpx.AsyncClient, account: str, *, username: str
) -> set[str]:
    """Return the transaction ids of the open breaks that `account` filters to."""
    response = await http.get(
        "/api/v1/breaks", params={"account": account}, auth=basic(username)
    )
    assert response.status_code == 200, response.text
    return {item["transaction_id"] for item in response.json()["items"]}


@pytest.fixture
async def accounts_client(app: FastAPI, client: httpx.AsyncClient) -> httpx.AsyncClient:
    await feed_accounts(app)
    return client


async def test_breaks_account_forms_for_viewer(
    accounts_client: httpx.AsyncClient,
) -> None:
    ending = await matching_ids(accounts_client, "3000", username="vera")
    full = await matching_ids(
        accounts_client, "DE89370400440532013000", username="vera"
    )
    three_digits = await matching_ids(accounts_client, "000", username="vera")

    assert ending == {"stmt-002", "stmt-003", "stmt-005"}
    assert full == {"stmt-002"}
    assert three_digits == set()


async def test_breaks_ending_pasted_from_redacted_row(
    accounts_client: httpx.AsyncClient,
) -> None:
    found = await matching_ids(accounts_client, "••••3000", username="otto")
    spaced = await matching_ids(accounts_client, " ••••30 00 ", username="otto")

    assert found == {"stmt-002", "stmt-003", "stmt-005"}
    assert spaced == found


async def test_breaks_long_ending_needs_unredacted_role(
    accounts_client: httpx.AsyncClient,
) -> None:
    # A viewer who tried 32013000 and 32993000 would learn hidden digits.
    viewer = await matching_ids(accounts_client, "32013000", username="vera")
    operator = await matching_ids(accounts_client, "32013000", username="otto")
    auditor = await matching_ids(accounts_client, "32013000", username="aud")
    administrator = await matching_ids(accounts_client, "2993000", username="admin")

    assert viewer == set()
    assert operator == set()
    assert auditor == {"stmt-002"}
    assert administrator == {"stmt-003"}


async def test_breaks_masked_long_ending_rejected(
    accounts_client: httpx.AsyncClient,
) -> None:
    response = await accounts_client.get(
        "/api/v1/breaks", params={"account": "••••2013000"}, auth=basic("vera")
    )

    body = response.json()
    assert response.status_code == 422
    assert body["error"] == "InvalidAccountFilter"
    assert "enter at most 4 last digits, or the full account number" in body["detail"]


@pytest.fixture
async def six_char_app(settings: ReportingSettings) -> AsyncIterator[FastAPI]:
    """Return an app that shows the last 6 characters of redacted accounts."""
    wider = settings.model_copy(update={"redaction_visible_chars": 6})
    application = create_app(wider, start_kafka=False)
    async with application.router.lifespan_context(application):
        await feed_accounts(application)
        yield application


async def test_breaks_ending_skips_fully_masked_accounts(
    six_char_app: FastAPI,
) -> None:
    # "12 3000" has 6 characters without spaces, so a redacted page shows none of
    # them, and its ending must not match for a redacted viewer.
    async with make_client(six_char_app) as http:
        viewer = await matching_ids(http, "3000", username="vera")
        six_digits = await matching_ids(http, "013000", username="vera")
        auditor = await matching_ids(http, "3000", username="aud")

    assert viewer == {"stmt-002", "stmt-003"}
    assert six_digits == {"stmt-002"}
    assert auditor == {"stmt-002", "stmt-003", "stmt-005"}


async def test_breaks_page_names_accepted_forms(
    app: FastAPI, accounts_client: httpx.AsyncClient
) -> None:
    async with make_client(app) as viewer, make_client(app) as auditor:
        await login(viewer, "vera")
        await login(auditor, "aud")
        viewer_page = await viewer.get("/breaks")
        auditor_page = await auditor.get("/breaks")

    assert (
        '<label for="account">Account: the full number, or its last 4 digits as '
        "shown</label>"
    ) in viewer_page.text
    assert (
        '<label for="account">Account: the full number, or 4 or more of its last '
        "digits</label>"
    ) in auditor_page.text
    assert "<code>••••3000</code> as copied from a row" in viewer_page.text


async def test_breaks_page_filters_by_ending(
    app: FastAPI, accounts_client: httpx.AsyncClient
) -> None:
    async with make_client(app) as http:
        await login(http, "vera")
        page = await http.get("/breaks", params={"account": "••••3000"})

    assert page.status_code == 200
    assert 'id="break-stmt-002"' in page.text
    assert 'id="break-stmt-003"' in page.text
    assert 'id="break-stmt-004"' not in page.text
    assert 'value="••••3000"' in page.text


async def test_breaks_page_explains_withheld_ending(
    app: FastAPI, accounts_client: httpx.AsyncClient
) -> None:
    async with make_client(app) as http:
        await login(http, "vera")
        page = await http.get("/breaks", params={"account": "32013000"})

    assert page.status_code == 200
    assert 'id="account-filter-notice"' in page.text
    assert "<code>32013000</code> matched only as a full account number" in page.text
    assert 'id="break-stmt-002"' not in page.text
