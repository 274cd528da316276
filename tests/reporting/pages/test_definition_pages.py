"""The definition pages and forms, reading from and posting to a real matcher."""

import html
import re
from typing import Any

import httpx
import pytest
import yaml
from fastapi import FastAPI
from markupsafe import escape
from recon_matcher.definitions.loader import dump_definition
from recon_reporting.definitions.client import DefinitionsClient

from tests.reporting.conftest import make_client, outbox_events
from tests.reporting.pages.conftest import (
    APPROVER,
    csrf_of,
    definition,
    flash_of,
    matcher_audit,
    session_csrf,
    signed_in,
)

DEFINITION_ID = "nostro-eur"
PAGE = f"/definitions/{DEFINITION_ID}"
STATEMENT_ACCOUNT = "NL91ABNA0417164300"
HTML_ACCEPT = {"Accept": "text/html"}
# A hunk header of the diff page and the label after it, if any.
HUNK_LABEL = re.compile(r"<strong>@@ [^<]*@@</strong>( <span[^>]*>[^<]*</span>)?")


def definition_text(*, tolerance: str = "1.00", name: str | None = None) -> str:
    """Return the seeded definition as YAML with another tolerance or name."""
    document: dict[str, Any] = dump_definition(definition())
    document["passes"][1]["amount_tolerance"] = tolerance
    if name is not None:
        document["name"] = name
    return yaml.safe_dump(document, sort_keys=False)


def yaml_of(page: httpx.Response) -> str:
    """Return the text of the page's YAML block, unescaped."""
    found = re.search(r'<pre id="definition-yaml">(.*?)</pre>', page.text, re.DOTALL)
    assert found is not None, "the page shows no definition YAML"
    return html.unescape(found.group(1))


def textarea_of(page: httpx.Response) -> str:
    """Return the text of the edit form's textarea, unescaped."""
    found = re.search(
        r'<textarea id="definition-source"[^>]*>(.*?)</textarea>', page.text, re.DOTALL
    )
    assert found is not None, "the page has no definition textarea"
    return html.unescape(found.group(1))


def list_row(page: httpx.Response, definition_id: str = DEFINITION_ID) -> str:
    """Return the HTML of one definition's row of the list page."""
    found = re.search(
        rf'<tr id="definition-{definition_id}">(.*?)</tr>', page.text, re.DOTALL
    )
    assert found is not None, f"the list has no row for {definition_id}"
    return found.group(1)


def active_version_of(page: httpx.Response) -> str:
    """Return the active version number that the list row shows."""
    found = re.search(r'class="num active-version">(\d+)<', list_row(page))
    assert found is not None, "the row shows no active version"
    return found.group(1)


async def save(
    http: httpx.AsyncClient, token: str, text: str, **fields: str
) -> httpx.Response:
    """Post the save form with `text` and return the response, not following it."""
    data = {"csrf_token": token, "source": text, **fields}
    return await http.post(f"{PAGE}/edit", data=data, headers=HTML_ACCEPT)


async def save_version_two(app: FastAPI) -> None:
    """Save an active version 2 with a tolerance of 2.00 as the approver."""
    async with signed_in(app, APPROVER) as http:
        token = csrf_of(await http.get(f"{PAGE}/edit"))
        response = await save(
            http, token, definition_text(tolerance="2.00"), activate="true"
        )
    assert response.status_code == 303, response.text


async def test_list_shows_seeded_definition(seeded: FastAPI) -> None:
    async with signed_in(seeded, "vera") as http:
        page = await http.get("/definitions")

    row = list_row(page)
    assert page.status_code == 200
    assert f'href="{PAGE}"' in row
    assert "Nostro EUR" in row
    assert active_version_of(page) == "1"
    assert "<td>file</td>" in row
    assert 'href="/definitions" aria-current="page"' in page.text


async def test_list_reads_saver_from_list_route(
    seeded: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    fetched: list[int] = []
    original = DefinitionsClient.active_versions

    async def counting(self: DefinitionsClient, heads: Any) -> Any:
        fetched.append(len(heads))
        return await original(self, heads)

    monkeypatch.setattr(DefinitionsClient, "active_versions", counting)
    async with signed_in(seeded, "vera") as http:
        page = await http.get("/definitions")

    row = list_row(page)
    assert fetched == [0]
    assert "Nostro EUR" in row
    assert "<td>file</td>" in row


async def test_list_without_session_redirects(seeded: FastAPI) -> None:
    async with make_client(seeded) as http:
        response = await http.get("/definitions")

    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


async def test_detail_shows_yaml_and_passes(seeded: FastAPI) -> None:
    async with signed_in(seeded, "vera") as http:
        page = await http.get(PAGE)

    text = yaml_of(page)
    assert page.status_code == 200
    assert yaml.safe_load(text)["name"] == "Nostro EUR"
    assert "amount_tolerance: '1.00'" in text
    assert "<td>reference</td>\n        <td>exact</td>" in page.text
    assert "<td>reference, amount, currency, account</td>" in page.text
    assert "<td>± 3 days</td>" in page.text
    assert "<td>min score 0, confirmed from 0.99</td>" in page.text
    assert 'id="selected-version">1 (active)' in page.text
    assert "seeded from definitions.yaml" in page.text


async def test_detail_redacts_accounts_for_viewer(seeded: FastAPI) -> None:
    async with signed_in(seeded, "vera") as http:
        page = await http.get(PAGE)

    assert STATEMENT_ACCOUNT not in page.text
    assert "••••4300" in yaml_of(page)
    assert "account numbers redacted" in page.text


async def test_detail_shows_accounts_to_administrator(seeded: FastAPI) -> None:
    async with signed_in(seeded, "admin") as http:
        page = await http.get(PAGE)

    events = await outbox_events(seeded)
    reads = [event for event in events if event["action"] == "sensitive.read"]
    assert STATEMENT_ACCOUNT in yaml_of(page)
    assert len(reads) == 1
    assert reads[0]["actor"] == "admin"


async def test_unknown_definition_not_found(seeded: FastAPI) -> None:
    async with signed_in(seeded, "vera") as http:
        page = await http.get("/definitions/missing", headers=HTML_ACCEPT)

    assert page.status_code == 404
    assert "definition &#39;missing&#39; not found" in page.text


async def test_older_version_renders(seeded: FastAPI) -> None:
    await save_version_two(seeded)

    async with signed_in(seeded, "vera") as http:
        page = await http.get(f"{PAGE}/versions/1")

    assert page.status_code == 200
    assert 'id="selected-version">1 (not active)' in page.text
    assert "amount_tolerance: '1.00'" in yaml_of(page)
    assert '<strong class="active-marker">active</strong>' in page.text
    assert re.search(r'id="version-2">.*?active-marker', page.text, re.DOTALL)


async def test_diff_shows_changed_tolerance(seeded: FastAPI) -> None:
    await save_version_two(seeded)

    async with signed_in(seeded, "vera") as http:
        page = await http.get(f"{PAGE}/diff?from=1&to=2")

    assert page.status_code == 200
    assert "<del>-  amount_tolerance: &#39;1.00&#39;</del>" in page.text
    assert "<ins>+  amount_tolerance: &#39;2.00&#39;</ins>" in page.text
    assert STATEMENT_ACCOUNT not in page.text


async def test_diff_labels_hunk_with_pass(seeded: FastAPI) -> None:
    await save_version_two(seeded)

    async with signed_in(seeded, "vera") as http:
        page = await http.get(f"{PAGE}/diff?from=1&to=2")

    hunks = HUNK_LABEL.findall(page.text)
    assert hunks == [' <span class="diff-section">pass amount</span>']


async def test_diff_labels_settings_hunk(seeded: FastAPI) -> None:
    async with signed_in(seeded, APPROVER) as http:
        token = csrf_of(await http.get(f"{PAGE}/edit"))
        saved = await save(http, token, definition_text(name="Nostro EUR main"))
        page = await http.get(f"{PAGE}/diff?from=1&to=2")

    hunks = HUNK_LABEL.findall(page.text)
    assert saved.status_code == 303
    assert hunks == [' <span class="diff-section">settings</span>']


async def test_diff_rejects_invalid_version(seeded: FastAPI) -> None:
    async with signed_in(seeded, "vera") as http:
        page = await http.get(f"{PAGE}/diff?from=zero&to=1", headers=HTML_ACCEPT)

    assert page.status_code == 422
    assert "invalid from &#39;zero&#39;" in page.text


async def test_approver_saves_then_activates(
    live_matcher: FastAPI, seeded: FastAPI
) -> None:
    async with signed_in(seeded, APPROVER) as http:
        token = csrf_of(await http.get(f"{PAGE}/edit"))
        saved = await save(
            http, token, definition_text(tolerance="2.00"), note="wider tolerance"
        )
        saved_page = await http.get(saved.headers["location"])
        list_after_save = await http.get("/definitions")
        activated = await http.post(
            f"{PAGE}/versions/2/activate",
            data={"csrf_token": token, "note": "approved by risk"},
        )
        detail = await http.get(activated.headers["location"])
        list_after_activation = await http.get("/definitions")

    assert saved.status_code == 303
    assert saved.headers["location"] == f"{PAGE}/versions/2"
    assert flash_of(saved_page) == (
        f"Saved version 2 of {DEFINITION_ID}. It is not active."
    )
    assert active_version_of(list_after_save) == "1"
    assert activated.status_code == 303
    assert flash_of(detail).startswith(
        f"Version 2 of {DEFINITION_ID} is active, replacing version 1."
    )
    assert active_version_of(list_after_activation) == "2"
    assert f"<td>{APPROVER}</td>" in list_row(list_after_activation)
    assert "approved by risk" in detail.text
    assert "wider tolerance" in detail.text
    audit = await matcher_audit(live_matcher)
    assert ("definition.save", APPROVER, "success") in audit
    assert ("definition.activate", APPROVER, "success") in audit


async def test_save_can_activate_at_once(seeded: FastAPI) -> None:
    async with signed_in(seeded, "admin") as http:
        token = csrf_of(await http.get(f"{PAGE}/edit"))
        saved = await save(
            http, token, definition_text(tolerance="3.00"), activate="true"
        )
        saved_page = await http.get(saved.headers["location"])
        listing = await http.get("/definitions")

    assert flash_of(saved_page).endswith("It is now the active version.")
    assert active_version_of(listing) == "2"


async def test_administrator_edit_shows_saved_text(seeded: FastAPI) -> None:
    async with signed_in(seeded, "admin") as http:
        page = await http.get(f"{PAGE}/edit")

    assert page.status_code == 200
    assert yaml.safe_load(textarea_of(page)) == dump_definition(definition())


async def test_invalid_save_lists_problems(
    seeded: FastAPI,
) -> None:
    text = definition_text(tolerance="-1") + "colour: blue <b>\n"
    async with signed_in(seeded, APPROVER) as http:
        token = csrf_of(await http.get(f"{PAGE}/edit"))

        page = await save(http, token, text, note="a <note>")
        listing = await http.get("/definitions")

    assert page.status_code == 422
    assert (
        "<code>passes[1].amount_tolerance</code>: Input should be greater than or "
        "equal to 0"
    ) in page.text
    assert "<code>colour</code>: Extra inputs are not permitted" in page.text
    assert textarea_of(page) == text
    assert "blue &lt;b&gt;" in page.text
    assert 'value="a &lt;note&gt;"' in page.text
    assert active_version_of(listing) == "1"


async def test_invalid_yaml_save_shows_line(seeded: FastAPI) -> None:
    text = "id: nostro-eur\nname: [unclosed\n"
    async with signed_in(seeded, APPROVER) as http:
        token = csrf_of(await http.get(f"{PAGE}/edit"))

        page = await save(http, token, text)

    assert page.status_code == 422
    assert '<h2 id="save-error">The text is not valid YAML</h2>' in page.text
    assert "<code>line 3, column 1</code>: expected &#39;,&#39; or &#39;]&#39;" in (
        page.text
    )
    assert textarea_of(page) == text


async def test_approver_edit_shows_accounts_audited(seeded: FastAPI) -> None:
    async with signed_in(seeded, APPROVER) as http:
        edit = await http.get(f"{PAGE}/edit")

    events = await outbox_events(seeded)
    reads = [event for event in events if event["action"] == "sensitive.read"]
    assert STATEMENT_ACCOUNT in textarea_of(edit)
    assert len(reads) == 1
    assert reads[0]["actor"] == APPROVER


async def test_save_with_redacted_accounts_rejected(seeded: FastAPI) -> None:
    async with signed_in(seeded, APPROVER) as http:
        edit = await http.get(f"{PAGE}/edit")
        text = yaml_of(await http.get(PAGE))

        page = await save(http, token=csrf_of(edit), text=text)
        listing = await http.get("/definitions")

    masked = [
        number
        for number, line in enumerate(text.splitlines(), start=1)
        if "••••" in line
    ]
    assert STATEMENT_ACCOUNT not in text
    assert page.status_code == 422
    assert len(masked) == 4
    for number in masked:
        assert f"<code>line {number}</code>: contains a redacted account" in page.text
    assert textarea_of(page) == text
    assert "(newest" not in list_row(listing)


async def test_reader_sees_no_forms(seeded: FastAPI) -> None:
    async with signed_in(seeded, "vera") as http:
        page = await http.get(PAGE)
        edit = await http.get(f"{PAGE}/edit", headers=HTML_ACCEPT)

    assert 'method="post" action="/definitions' not in page.text
    assert 'id="edit-link"' not in page.text
    assert edit.status_code == 403


@pytest.mark.parametrize("username", ["vera", "otto", "aud"])
async def test_reader_post_forbidden(seeded: FastAPI, username: str) -> None:
    async with signed_in(seeded, username) as http:
        token = session_csrf(seeded, http)

        saved = await save(http, token, definition_text(tolerance="5.00"))
        activated = await http.post(
            f"{PAGE}/versions/1/activate", data={"csrf_token": token}
        )
        listing = await http.get("/definitions")

    assert saved.status_code == 403
    assert "may only read definitions" in saved.text
    assert activated.status_code == 403
    assert "may only read definitions" in activated.text
    assert "(newest" not in list_row(listing)


@pytest.mark.parametrize("token", [None, "forged-token"])
async def test_post_without_valid_csrf_rejected(
    seeded: FastAPI, token: str | None
) -> None:
    data = {"source": definition_text(tolerance="5.00"), "activate": "true"}
    if token is not None:
        data["csrf_token"] = token
    async with signed_in(seeded, APPROVER) as http:
        saved = await http.post(f"{PAGE}/edit", data=data)
        activated = await http.post(f"{PAGE}/versions/1/activate", data=data)
        listing = await http.get("/definitions")

    assert saved.status_code == 403
    assert activated.status_code == 403
    assert active_version_of(listing) == "1"


async def test_activation_error_shown(seeded: FastAPI) -> None:
    async with signed_in(seeded, APPROVER) as http:
        token = session_csrf(seeded, http)

        response = await http.post(
            f"{PAGE}/versions/9/activate", data={"csrf_token": token}
        )
        page = await http.get(response.headers["location"])

    assert response.status_code == 303
    assert flash_of(page).startswith("Activation failed:")
    assert "9" in flash_of(page)


async def test_html_in_name_and_note_escaped(seeded: FastAPI) -> None:
    name = '<script>alert("name")</script>'
    note = "<img src=x onerror=alert(1)>"
    async with signed_in(seeded, APPROVER) as http:
        token = csrf_of(await http.get(f"{PAGE}/edit"))
        saved = await save(
            http, token, definition_text(name=name), note=note, activate="true"
        )
        listing = await http.get("/definitions")
        detail = await http.get(PAGE)

    assert saved.status_code == 303
    assert name not in listing.text
    assert str(escape(name)) in list_row(listing)
    assert name not in detail.text
    assert note not in detail.text
    assert str(escape(note)) in detail.text


async def test_activating_active_version_says_nothing_changed(seeded: FastAPI) -> None:
    async with signed_in(seeded, APPROVER) as http:
        token = csrf_of(await http.get(f"{PAGE}/edit"))
        activated = await http.post(
            f"{PAGE}/versions/1/activate", data={"csrf_token": token, "note": ""}
        )
        detail = await http.get(activated.headers["location"])

    assert activated.status_code == 303
    assert flash_of(detail).startswith(
        f"Version 1 of {DEFINITION_ID} was already active, since activation 1 by "
    )
    assert flash_of(detail).endswith("Nothing changed.")
    assert 'class="flash flash-info"' in detail.text


def base_version_of(page: httpx.Response) -> str:
    """Return the base version that the edit form posts."""
    found = re.search(r'name="base_version" value="(\d+)"', page.text)
    assert found is not None, "the edit form carries no base version"
    return found.group(1)


async def test_stale_save_keeps_text_and_names_newer(
    live_matcher: FastAPI, seeded: FastAPI
) -> None:
    async with (
        signed_in(seeded, APPROVER) as approver,
        signed_in(seeded, "admin") as admin,
    ):
        approver_form = await approver.get(f"{PAGE}/edit")
        admin_form = await admin.get(f"{PAGE}/edit")
        newer = await save(
            admin,
            csrf_of(admin_form),
            definition_text(tolerance="2.00"),
            base_version=base_version_of(admin_form),
            activate="true",
        )
        stale = await save(
            approver,
            csrf_of(approver_form),
            definition_text(tolerance="4.00"),
            base_version=base_version_of(approver_form),
            note="wider tolerance",
            activate="true",
        )
        listing = await approver.get("/definitions")

    page_text = html.unescape(stale.text)
    assert newer.status_code == 303
    assert stale.status_code == 409
    assert "Someone saved a newer version" in page_text
    assert "the newest version is 2, saved by admin at " in page_text
    assert "Nothing was saved" in page_text
    assert "Your text is still in the form below" in page_text
    assert "4.00" in textarea_of(stale)
    assert 'value="wider tolerance"' in stale.text
    assert base_version_of(stale) == "1"
    assert active_version_of(listing) == "2"
    audit = await matcher_audit(live_matcher)
    assert ("definition.save", "admin", "success") in audit
    assert ("definition.save", APPROVER, "success") not in audit
