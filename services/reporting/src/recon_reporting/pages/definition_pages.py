"""Pages of the reconciliation definitions: list, versions, diff, save and activate.

The matcher stores the definitions, so every page reads them from its
`/v1/definitions` routes as the signed-in user. Approvers and administrators also
get a form that saves a new version from YAML and forms that activate a version.
The matcher enforces the same rule, and the form handlers here reject other roles
with 403 before calling it. The edit form posts to its own URL, and a save that
the matcher rejects shows the edit page again there with the problems by key path
and the submitted text, so nothing typed is lost.
"""

from typing import Annotated, Any, Final
from urllib.parse import quote

import structlog
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from recon_common.errors import Forbidden, InvalidRequest, NotFound
from sqlalchemy.ext.asyncio import AsyncSession

from recon_reporting.access.redaction import AccountMasker
from recon_reporting.access.sensitive_reads import audit_revealed
from recon_reporting.actions.client import MatcherRejected, MatcherUnavailable
from recon_reporting.auth.csrf import CSRF_FIELD, check_csrf
from recon_reporting.auth.dependencies import (
    PAGE_SESSION_KEY,
    LoginRequired,
    PageMasker,
    browser_session,
)
from recon_reporting.auth.roles import Role
from recon_reporting.auth.users import User
from recon_reporting.definitions.client import DefinitionsClient, definitions_client
from recon_reporting.definitions.diffs import diff_lines, label_hunks
from recon_reporting.definitions.schemas import DefinitionVersion
from recon_reporting.definitions.views import (
    SaveFailure,
    account_values,
    describe_conflict,
    describe_rejection,
    displayed_yaml,
    mask_accounts,
    redacted_lines,
    summarize_passes,
)
from recon_reporting.dependencies import SessionDep, get_settings
from recon_reporting.pages.flash import FlashKind
from recon_reporting.pages.forms import MAX_TEXT_CHARS, describe_detail, redirect_with
from recon_reporting.pages.rendering import render_page

log = structlog.get_logger(__name__)

router = APIRouter(include_in_schema=False)

# The roles that the matcher lets save and activate definitions.
EDITOR_ROLES: Final = frozenset({Role.APPROVER, Role.ADMINISTRATOR})
# The matcher rejects request bodies above 1 MiB. The form bounds the text in
# characters, so UTF-8 text near the limit may still be rejected by the matcher.
MAX_SOURCE_CHARS: Final = 1_048_576
RESOURCE_TYPE: Final = "definition"


class DefinitionEditForbidden(Forbidden):
    pass


def may_edit(user: User | None) -> bool:
    """Return whether `user` may save and activate definitions."""
    return user is not None and user.role in EDITOR_ROLES


def _require_edit_role(user: User) -> None:
    if not may_edit(user):
        raise DefinitionEditForbidden(
            f"role {user.role.value} may only read definitions; approvers and "
            "administrators save and activate them"
        )


async def require_editor(
    request: Request,
    csrf_token: Annotated[str | None, Form(alias=CSRF_FIELD, max_length=200)] = None,
) -> User:
    """Return the user who posted a definition form, or redirect to login, or 403."""
    active = await browser_session(request)
    if active is None:
        raise LoginRequired(f"/login?next={quote(request.url.path)}")
    check_csrf(request, session_id=active.session_id, submitted=csrf_token)
    _require_edit_role(active.user)
    # The edit page that a rejected save renders again needs the session's token.
    setattr(request.state, PAGE_SESSION_KEY, active)
    return active.user


EditorDep = Annotated[User, Depends(require_editor)]


def _page_path(definition_id: str) -> str:
    return f"/definitions/{quote(definition_id, safe='')}"


def _not_found(exc: MatcherRejected, subject: str) -> NotFound:
    return NotFound(f"{subject} not found: {describe_detail(exc.detail)}")


async def _get_version(
    matcher: DefinitionsClient, definition_id: str, version: int | None
) -> DefinitionVersion:
    try:
        return await matcher.get_version(definition_id, version=version)
    except MatcherRejected as exc:
        if exc.status_code == 404:
            raise _not_found(exc, f"definition {definition_id!r}") from None
        raise


def _audit(request: Request, session: AsyncSession, masker: AccountMasker) -> None:
    audit_revealed(request, session, masker=masker, resource_type=RESOURCE_TYPE)


@router.get("/definitions", response_class=HTMLResponse)
async def definitions(request: Request, masker: PageMasker) -> HTMLResponse:
    """Show every definition with its name, active version and who saved it."""
    async with definitions_client(get_settings(request), user=masker.user) as matcher:
        heads = await matcher.list_heads()
        older = [head for head in heads if head.active_saved_by is None]
        actives = {
            version.definition_id: version
            for version in await matcher.active_versions(older)
        }
    rows: list[dict[str, Any]] = []
    for head in heads:
        active = actives.get(head.definition_id)
        if active is None:
            name, saved_by, saved_at = (
                head.name or "",
                head.active_saved_by,
                head.active_saved_at,
            )
        else:
            name = str(active.definition.get("name", ""))
            saved_by, saved_at = active.saved_by, active.saved_at
        rows.append(
            {"head": head, "name": name, "saved_by": saved_by, "saved_at": saved_at}
        )
    return render_page(request, "definitions.html", {"user": masker.user, "rows": rows})


async def _definition_page(
    request: Request,
    session: AsyncSession,
    masker: AccountMasker,
    *,
    definition_id: str,
    version: int | None,
) -> HTMLResponse:
    async with definitions_client(get_settings(request), user=masker.user) as matcher:
        selected = await _get_version(matcher, definition_id, version)
        versions = await matcher.list_versions(definition_id)
        activations = await matcher.list_activations(definition_id)
    text = displayed_yaml(selected, masker=masker)
    _audit(request, session, masker)
    return render_page(
        request,
        "definition.html",
        {
            "user": masker.user,
            "can_edit": may_edit(masker.user),
            "definition_id": definition_id,
            "page_path": _page_path(definition_id),
            "selected": selected,
            "name": selected.definition.get("name", ""),
            "yaml_text": text,
            "as_saved": masker.unredacted and selected.source_format == "yaml",
            "redacted": not masker.unredacted,
            "passes": summarize_passes(selected.definition),
            "versions": list(reversed(versions)),
            "activations": list(reversed(activations)),
            "latest_version": max((item.version for item in versions), default=0),
        },
    )


@router.get("/definitions/{definition_id}", response_class=HTMLResponse)
async def definition(
    definition_id: str, request: Request, session: SessionDep, masker: PageMasker
) -> HTMLResponse:
    """Show the active version, its passes, the version and activation history."""
    return await _definition_page(
        request, session, masker, definition_id=definition_id, version=None
    )


@router.get(
    "/definitions/{definition_id}/versions/{version}", response_class=HTMLResponse
)
async def definition_version(
    definition_id: str,
    version: int,
    request: Request,
    session: SessionDep,
    masker: PageMasker,
) -> HTMLResponse:
    """Show one saved version of a definition, active or not."""
    if version < 1:
        raise InvalidRequest(f"invalid version {version}: versions start at 1")
    return await _definition_page(
        request, session, masker, definition_id=definition_id, version=version
    )


def _version_number(request: Request, name: str) -> int | None:
    value = request.query_params.get(name, "").strip()
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        raise InvalidRequest(
            f"invalid {name} {value!r}: expected a version number of 1 or more"
        )
    return int(value)


@router.get("/definitions/{definition_id}/diff", response_class=HTMLResponse)
async def definition_diff(
    definition_id: str, request: Request, session: SessionDep, masker: PageMasker
) -> HTMLResponse:
    """Show the changes between two versions, by default the newest two."""
    from_version = _version_number(request, "from")
    to_version = _version_number(request, "to")
    async with definitions_client(get_settings(request), user=masker.user) as matcher:
        try:
            versions = await matcher.list_versions(definition_id)
        except MatcherRejected as exc:
            if exc.status_code == 404:
                raise _not_found(exc, f"definition {definition_id!r}") from None
            raise
        latest = max((item.version for item in versions), default=1)
        to_version = to_version or latest
        from_version = from_version or max(to_version - 1, 1)
        try:
            diff = await matcher.diff(
                definition_id, from_version=from_version, to_version=to_version
            )
            old = await matcher.get_version(definition_id, version=from_version)
            new = await matcher.get_version(definition_id, version=to_version)
        except MatcherRejected as exc:
            if exc.status_code == 404:
                raise _not_found(exc, "version") from None
            raise
    accounts = set(account_values(old.definition)) | set(account_values(new.definition))
    text = mask_accounts(
        diff.diff, accounts=accounts, masker=masker, resource_id=definition_id
    )
    _audit(request, session, masker)
    return render_page(
        request,
        "definition_diff.html",
        {
            "user": masker.user,
            "definition_id": definition_id,
            "page_path": _page_path(definition_id),
            "name": new.definition.get("name", ""),
            "versions": versions,
            "from_version": from_version,
            "to_version": to_version,
            "lines": label_hunks(
                diff_lines(text), old=old.definition, new=new.definition
            ),
        },
    )


def _edit_page(
    request: Request,
    user: User,
    *,
    definition_id: str,
    base_version: int | None,
    text: str,
    note: str = "",
    activate: bool = False,
    failure: SaveFailure | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render_page(
        request,
        "definition_edit.html",
        {
            "user": user,
            "definition_id": definition_id,
            "page_path": _page_path(definition_id),
            "base_version": base_version,
            "text": text,
            "note": note,
            "activate": activate,
            "failure": failure,
        },
        status_code=status_code,
    )


@router.get("/definitions/{definition_id}/edit", response_class=HTMLResponse)
async def edit_definition(
    definition_id: str, request: Request, session: SessionDep, masker: PageMasker
) -> HTMLResponse:
    """Show the form that saves a new version, filled with an existing version."""
    _require_edit_role(masker.user)
    base = _version_number(request, "version")
    async with definitions_client(get_settings(request), user=masker.user) as matcher:
        selected = await _get_version(matcher, definition_id, base)
    # A new version must name the real accounts, so editors see them in full here
    # even where other pages redact them. The reveal is audited below.
    masker.unredacted = True
    text = displayed_yaml(selected, masker=masker)
    _audit(request, session, masker)
    return _edit_page(
        request,
        masker.user,
        definition_id=definition_id,
        base_version=selected.version,
        text=text,
    )


# The largest version number that the form accepts, the maximum of a 32-bit
# signed integer, the `Integer` column type of the matcher's version numbers.
MAX_VERSION: Final = 2**31 - 1


def parse_base_version(field: str) -> int | None:
    """Parse the edit form's hidden base version, None when empty or invalid."""
    value = field.strip()
    if not value.isascii() or not value.isdigit():
        return None
    number = int(value)
    return number if 1 <= number <= MAX_VERSION else None


async def _invalid_base_failure(
    request: Request, editor: User, *, definition_id: str, field: str
) -> tuple[SaveFailure, int | None]:
    """Describe an invalid base version and return the newest version to base on."""
    log.info(
        "reporting.definition.save_rejected",
        definition_id=definition_id,
        user=editor.username,
        reason="invalid base version",
    )
    heading = "The form's base version is invalid"
    try:
        async with definitions_client(get_settings(request), user=editor) as matcher:
            versions = await matcher.list_versions(definition_id)
    except (MatcherRejected, MatcherUnavailable) as exc:
        detail = (
            describe_detail(exc.detail)
            if isinstance(exc, MatcherRejected)
            else exc.message
        )
        sentence = (
            f"Nothing was saved, because the hidden base version {field!r} is not a "
            "version number, and the newest version could not be read: "
            f"{detail}. Your text is still in the form below; copy it, then open "
            "the editor again from the definition page."
        )
        return SaveFailure(heading=heading, sentence=sentence), None
    newest = max((item.version for item in versions), default=None)
    if newest is None:
        sentence = (
            f"Nothing was saved, because the hidden base version {field!r} is not a "
            f"version number, and the matcher lists no version of {definition_id!r}."
        )
        return SaveFailure(heading=heading, sentence=sentence), None
    sentence = (
        f"Nothing was saved, because the hidden base version {field!r} is not a "
        "version number, so the page cannot tell which version your text started "
        f"from. The form is now based on version {newest}, the newest. Compare your "
        "text with that version on the definition page, then save again."
    )
    return SaveFailure(heading=heading, sentence=sentence), newest


@router.post("/definitions/{definition_id}/edit", response_model=None)
async def save_definition(
    definition_id: str,
    request: Request,
    editor: EditorDep,
    source: Annotated[str, Form(max_length=MAX_SOURCE_CHARS)] = "",
    note: Annotated[str, Form(max_length=MAX_TEXT_CHARS)] = "",
    activate: Annotated[bool, Form()] = False,
    base_field: Annotated[str, Form(alias="base_version", max_length=40)] = "",
) -> HTMLResponse | RedirectResponse:
    """Save the posted YAML as the next version, activated if the box is ticked."""
    base_version = parse_base_version(base_field)

    def again(
        failure: SaveFailure, *, status: int, base: int | None = base_version
    ) -> HTMLResponse:
        return _edit_page(
            request,
            editor,
            definition_id=definition_id,
            base_version=base,
            text=source,
            note=note,
            activate=activate,
            failure=failure,
            status_code=status,
        )

    if base_version is None and base_field.strip():
        # The hidden field was changed or comes from a damaged page. Without a
        # valid base the matcher cannot reject a save over a newer version, so
        # nothing is saved. The form comes back based on the newest version, and
        # the message names that version to compare with before saving again.
        failure, newest = await _invalid_base_failure(
            request, editor, definition_id=definition_id, field=base_field
        )
        return again(failure, status=422, base=newest)
    if not source.strip():
        empty = SaveFailure(
            heading="The text is empty", sentence="Enter the definition as YAML."
        )
        return again(empty, status=422)
    masked = redacted_lines(source)
    if masked:
        log.info(
            "reporting.definition.save_rejected",
            definition_id=definition_id,
            user=editor.username,
            reason="redacted account numbers",
            lines=len(masked),
        )
        redacted = SaveFailure(
            heading="The text contains redacted account numbers",
            sentence="Nothing was saved. Write each account number in full.",
            problems=tuple(masked),
        )
        return again(redacted, status=422)
    try:
        async with definitions_client(get_settings(request), user=editor) as matcher:
            saved = await matcher.save(
                definition_id,
                text=source,
                note=note.strip() or None,
                activate=activate,
                base_version=base_version,
            )
    except MatcherRejected as exc:
        if exc.status_code == 422:
            failure = describe_rejection(exc.detail, definition_id=definition_id)
            return again(failure, status=422)
        if exc.status_code == 409:
            return again(describe_conflict(exc.error, exc.detail), status=409)
        rejected = SaveFailure(
            heading="Save failed", sentence=describe_detail(exc.detail)
        )
        return again(rejected, status=exc.status_code)
    except MatcherUnavailable as exc:
        unavailable = SaveFailure(heading="Save failed", sentence=exc.message)
        return again(unavailable, status=502)
    state = "It is now the active version." if saved.active else "It is not active."
    message = f"Saved version {saved.version} of {definition_id}. {state}"
    if saved.warnings:
        # Pass names and account counts only, never account numbers, so no
        # redaction is needed.
        message += " Check these warnings: " + " ".join(
            f"{warning}." for warning in saved.warnings
        )
    return redirect_with(
        request,
        f"{_page_path(definition_id)}/versions/{saved.version}",
        kind=FlashKind.SUCCESS,
        message=message,
    )


@router.post("/definitions/{definition_id}/versions/{version}/activate")
async def activate_definition(
    definition_id: str,
    version: int,
    request: Request,
    editor: EditorDep,
    note: Annotated[str, Form(max_length=MAX_TEXT_CHARS)] = "",
) -> RedirectResponse:
    """Make a saved version the active one, which matches from the next chunk on."""
    target = _page_path(definition_id)
    try:
        async with definitions_client(get_settings(request), user=editor) as matcher:
            activation = await matcher.activate(
                definition_id, version=version, note=note.strip() or None
            )
    except MatcherRejected as exc:
        message = f"Activation failed: {describe_detail(exc.detail)}"
        return redirect_with(request, target, kind=FlashKind.ERROR, message=message)
    except MatcherUnavailable as exc:
        message = f"Activation failed: {exc.message}"
        return redirect_with(request, target, kind=FlashKind.ERROR, message=message)
    if activation.already_active:
        message = (
            f"Version {version} of {definition_id} was already active, since "
            f"activation {activation.activation_number} by "
            f"{activation.activated_by}. Nothing changed."
        )
        return redirect_with(request, target, kind=FlashKind.INFO, message=message)
    previous = activation.previous_version
    replaced = f", replacing version {previous}" if previous is not None else ""
    message = (
        f"Version {version} of {definition_id} is active{replaced}. The matcher uses "
        "it from the next file it processes."
    )
    return redirect_with(request, target, kind=FlashKind.SUCCESS, message=message)
