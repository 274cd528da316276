"""The definition edit form: its layout, its URL and how it words rejected saves."""

import html
import re
from typing import Any, get_args

import httpx
import yaml
from fastapi import FastAPI
from recon_common.db import session_scope
from recon_common.runtime import ServiceRuntime
from recon_matcher.definitions.loader import dump_definition
from recon_matcher.definitions.models import PassConfig
from recon_matcher.definitions.seeding import seed_definitions

from tests.reporting.conftest import make_client
from tests.reporting.pages.conftest import (
    APPROVER,
    csrf_of,
    definition,
    flash_of,
    matcher_audit,
    signed_in,
)
from tests.reporting.pages.test_definition_pages import (
    PAGE,
    base_version_of,
    definition_text,
    save,
    textarea_of,
)

EDIT_PAGE = f"{PAGE}/edit"


def pass_kinds() -> list[str]:
    """Return the pass kinds that the matcher's definition models accept, in order."""
    union = get_args(PassConfig)[0]
    return [
        get_args(model.model_fields["kind"].annotation)[0] for model in get_args(union)
    ]


def text_with(**changes: Any) -> str:
    """Return the seeded definition as YAML with top-level keys replaced."""
    document: dict[str, Any] = dump_definition(definition())
    document.update(changes)
    return yaml.safe_dump(document, sort_keys=False)


def text_with_pass_kind(kind: str | None) -> str:
    """Return the seeded definition as YAML with the second pass's kind changed."""
    document: dict[str, Any] = dump_definition(definition())
    if kind is None:
        del document["passes"][1]["kind"]
    else:
        document["passes"][1]["kind"] = kind
    return yaml.safe_dump(document, sort_keys=False)


def heading_of(page: httpx.Response) -> str:
    """Return the heading of the edit page's failure box, unescaped."""
    found = re.search(r'<h2 id="save-error">(.*?)</h2>', page.text, re.DOTALL)
    assert found is not None, "the page shows no failure heading"
    return html.unescape(found.group(1))


def failure_of(page: httpx.Response) -> str:
    """Return the text of the edit page's failure box, tags removed and unescaped."""
    found = re.search(
        r'<section id="save-failure"[^>]*>(.*?)</section>', page.text, re.DOTALL
    )
    assert found is not None, "the page shows no failure"
    text = re.sub(r"<[^>]+>", "", found.group(1))
    return " ".join(html.unescape(text).split())


async def rejected_save(app: FastAPI, text: str) -> httpx.Response:
    """Post `text` as the approver and return the edit page that the save shows."""
    async with signed_in(app, APPROVER) as http:
        token = csrf_of(await http.get(EDIT_PAGE))
        return await save(http, token, text, note="typed note")


async def test_edit_form_posts_to_edit_page(seeded: FastAPI) -> None:
    async with signed_in(seeded, APPROVER) as http:
        page = await http.get(EDIT_PAGE)

    assert page.status_code == 200
    assert f'method="post" action="{EDIT_PAGE}"' in page.text
    assert 'action="/definitions/nostro-eur/versions"' not in page.text


async def test_edit_form_labels_above_fields(seeded: FastAPI) -> None:
    async with signed_in(seeded, APPROVER) as http:
        page = await http.get(EDIT_PAGE)

    source_field = (
        r'<p class="field">\s*<label for="definition-source">Definition as YAML'
        r'</label>\s*<textarea id="definition-source"'
    )
    note_field = (
        r'<p class="field">\s*<label for="save-note">Note \(optional, saved with the '
        r'version\)</label>\s*<input id="save-note"'
    )
    assert '<form id="save-form" class="stacked-form"' in page.text
    assert re.search(source_field, page.text)
    assert re.search(note_field, page.text)
    assert "The <code>id</code> must stay <code>nostro-eur</code>." in page.text


async def test_stylesheet_stacks_edit_form(seeded: FastAPI) -> None:
    async with make_client(seeded) as http:
        stylesheet = await http.get("/static/style.css")

    rules = stylesheet.text
    assert stylesheet.status_code == 200
    assert ".stacked-form { display: flex; flex-direction: column;" in rules
    assert ".stacked-form textarea { width: 100%;" in rules


async def test_failed_save_stays_on_edit_url(seeded: FastAPI) -> None:
    text = definition_text(tolerance="-1")

    page = await rejected_save(seeded, text)

    assert page.status_code == 422
    assert page.request.url.path == EDIT_PAGE
    assert f'action="{EDIT_PAGE}"' in page.text
    assert textarea_of(page) == text
    assert 'value="typed note"' in page.text


async def test_successful_save_redirects(seeded: FastAPI) -> None:
    async with signed_in(seeded, APPROVER) as http:
        token = csrf_of(await http.get(EDIT_PAGE))

        saved = await save(http, token, definition_text(tolerance="2.00"))
        version_page = await http.get(saved.headers["location"])

    assert saved.status_code == 303
    assert saved.headers["location"] == f"{PAGE}/versions/2"
    assert flash_of(version_page) == "Saved version 2 of nostro-eur. It is not active."


async def test_save_without_session_returns_to_edit(seeded: FastAPI) -> None:
    async with make_client(seeded) as http:
        response = await http.post(EDIT_PAGE, data={"source": "id: x\n"})

    assert response.status_code == 303
    assert response.headers["location"] == ("/login?next=/definitions/nostro-eur/edit")


async def test_empty_text_rejected_with_heading(seeded: FastAPI) -> None:
    page = await rejected_save(seeded, "  \n")

    assert page.status_code == 422
    assert heading_of(page) == "The text is empty"
    assert failure_of(page).endswith("Enter the definition as YAML.")


async def test_changed_id_explains_new_definition(seeded: FastAPI) -> None:
    page = await rejected_save(seeded, text_with(id="nostro-9-9999"))

    failure = failure_of(page)
    assert page.status_code == 422
    assert heading_of(page) == "The definition has invalid values"
    assert (
        "id: must stay 'nostro-eur', but the text has 'nostro-9-9999'. This page "
        "only saves new versions of 'nostro-eur'. To create a new definition, add it "
        "to the matcher's definitions file (MATCHER_DEFINITIONS_FILE), which the "
        "matcher loads when it next starts."
    ) in failure
    assert "/v1/definitions" not in page.text
    assert textarea_of(page) == text_with(id="nostro-9-9999")


async def test_yaml_syntax_error_own_heading(seeded: FastAPI) -> None:
    text = definition_text() + "  broken: [unclosed\n"
    line = len(text.splitlines()) + 1

    page = await rejected_save(seeded, text)

    failure = failure_of(page)
    assert page.status_code == 422
    assert heading_of(page) == "The text is not valid YAML"
    assert f"line {line}, column 1: expected ',' or ']'" in failure
    assert "request body" not in page.text
    assert "the matcher found invalid values" not in page.text
    assert textarea_of(page) == text


async def test_misspelt_pass_kind_lists_kinds(seeded: FastAPI) -> None:
    page = await rejected_save(seeded, text_with_pass_kind("tolerence"))

    kinds = ", ".join(pass_kinds())
    failure = failure_of(page)
    assert page.status_code == 422
    assert f"passes[1]: pass kind 'tolerence' is not one of {kinds}" in failure
    assert "Input tag" not in page.text
    assert "expected tags" not in page.text


async def test_missing_pass_kind_explained(seeded: FastAPI) -> None:
    page = await rejected_save(seeded, text_with_pass_kind(None))

    failure = failure_of(page)
    assert page.status_code == 422
    assert "passes[1]: pass kind is missing; add `kind: exact`" in failure
    assert "discriminator" not in page.text


async def test_other_problems_keep_key_path(seeded: FastAPI) -> None:
    page = await rejected_save(seeded, text_with(bank_id="bank-2"))

    failure = failure_of(page)
    assert page.status_code == 422
    assert "bank_id: must be 'bank-1', the bank of this deployment" in failure
    assert "found 'bank-2'" in failure


async def test_unchanged_active_text_nothing_to_save(seeded: FastAPI) -> None:
    text = text_with()

    page = await rejected_save(seeded, text)

    assert page.status_code == 409
    assert heading_of(page) == "Nothing to save"
    assert failure_of(page).endswith(
        "Version 1 already stores this definition and is the active version, so "
        "nothing was saved."
    )
    assert textarea_of(page) == text


async def test_unchanged_inactive_text_names_version(seeded: FastAPI) -> None:
    text = definition_text(tolerance="2.00")
    async with signed_in(seeded, APPROVER) as http:
        token = csrf_of(await http.get(EDIT_PAGE))
        first = await save(http, token, text)

        again = await save(http, token, text)

    assert first.status_code == 303
    assert again.status_code == 409
    assert heading_of(again) == "Nothing to save"
    assert failure_of(again).endswith(
        "Version 2 already stores this definition, so nothing was saved. To use it, "
        "activate version 2 on the definition page."
    )
    assert "/v1/definitions" not in again.text


async def test_save_overlapping_definition_warns(
    live_matcher: FastAPI, seeded: FastAPI
) -> None:
    runtime: ServiceRuntime = live_matcher.state.runtime
    async with session_scope(runtime.sessions) as session:
        await seed_definitions(
            session,
            definitions=[definition().model_copy(update={"id": "a-nostro-eur"})],
            path="definitions.yaml",
            settings=live_matcher.state.settings,
        )
    async with signed_in(seeded, APPROVER) as http:
        token = csrf_of(await http.get(EDIT_PAGE))

        saved = await save(http, token, definition_text(tolerance="2.00"))
        version_page = await http.get(saved.headers["location"])

    message = flash_of(version_page)
    assert saved.status_code == 303
    assert message.startswith(
        "Saved version 2 of nostro-eur. It is not active. Check these warnings: "
    )
    assert (
        "side_a: 1 account(s) are also selected by side_a of definition "
        "&#39;a-nostro-eur&#39;; a transaction of both goes to &#39;a-nostro-eur&#39;"
    ) in message


async def test_invalid_base_version_keeps_text(
    live_matcher: FastAPI, seeded: FastAPI
) -> None:
    typed = definition_text(tolerance="3.00")
    async with signed_in(seeded, APPROVER) as http:
        token = csrf_of(await http.get(EDIT_PAGE))
        pages = {
            value: await save(http, token, typed, note="typed note", base_version=value)
            for value in ("abc", "0", "-1", "1.5", "99999999999")
        }

    for value, page in pages.items():
        assert page.status_code == 422, value
        assert textarea_of(page) == typed, value
        assert 'value="typed note"' in page.text, value
        assert heading_of(page) == "The form's base version is invalid", value
        assert f"the hidden base version {value!r} is not a" in failure_of(page)
        assert "The form is now based on version 1, the newest." in failure_of(page)
        assert base_version_of(page) == "1", value
    audit = await matcher_audit(live_matcher)
    assert ("definition.save", APPROVER, "success") not in audit


async def test_invalid_base_version_then_save_succeeds(seeded: FastAPI) -> None:
    typed = definition_text(tolerance="3.00")
    async with signed_in(seeded, APPROVER) as http:
        token = csrf_of(await http.get(EDIT_PAGE))
        rejected = await save(http, token, typed, base_version="abc")

        saved = await save(
            http, csrf_of(rejected), typed, base_version=base_version_of(rejected)
        )

    assert rejected.status_code == 422
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == f"{PAGE}/versions/2"
