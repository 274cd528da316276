"""HTTP routes of the stored definitions, called by the reporting service.

Reads need the service token and any role, saves and activations an approver or
administrator (see `definitions.auth`). A save takes one definition as YAML or JSON
in the request body and returns 422 with the key path of each invalid value.
"""

import difflib
import json
from typing import Annotated, Any, Final

import yaml
from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request
from recon_common.errors import ReconError, error_responses
from recon_common.runtime import ServiceRuntime
from sqlalchemy.ext.asyncio import AsyncSession

from recon_matcher.actions.auth import (
    ActionForbidden,
    InvalidServiceToken,
    MissingActingUser,
)
from recon_matcher.definitions import store
from recon_matcher.definitions.active import ActiveDefinitions
from recon_matcher.definitions.advice import setting_warnings
from recon_matcher.definitions.auth import EditorDep, ReaderDep
from recon_matcher.definitions.loader import DefinitionError, parse_definition
from recon_matcher.definitions.models import Definition
from recon_matcher.definitions.overlaps import overlap_warnings
from recon_matcher.definitions.records import DefinitionRecord, DefinitionVersionRecord
from recon_matcher.definitions.schemas import (
    ActivateOut,
    ActivateRequest,
    ActivationOut,
    DefinitionSummaryOut,
    DiffOut,
    SavedVersionOut,
    ValidationOut,
    VersionOut,
    VersionSummaryOut,
)
from recon_matcher.definitions.store import (
    ConcurrentSave,
    DefinitionNotFound,
    InvalidDefinition,
    Origin,
    StaleBaseVersion,
    UnchangedDefinition,
    VersionNotFound,
)
from recon_matcher.dependencies import get_session
from recon_matcher.reconciliation.adoption import adopt_unassigned
from recon_matcher.settings import MatcherSettings

# A definition is a few kilobytes, so this limit only bounds one request's memory.
MAX_BODY_BYTES: Final = 1_048_576
_YAML_MEDIA_TYPES: Final = frozenset(
    {"application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "text/plain"}
)
_BODY_DOCUMENTATION: Final[dict[str, Any]] = {
    "requestBody": {
        "required": True,
        "description": "One definition, as in docs/matching.md",
        "content": {
            "application/yaml": {"schema": {"type": "string"}},
            "application/json": {"schema": {"type": "object"}},
        },
    }
}


class BodyTooLarge(ReconError):
    status_code = 413


class UnsupportedMediaType(ReconError):
    status_code = 415


router = APIRouter(
    prefix="/v1/definitions",
    tags=["definitions"],
    responses=error_responses(InvalidServiceToken, MissingActingUser, ActionForbidden),
)

SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


def _settings(request: Request) -> MatcherSettings:
    settings: MatcherSettings = request.app.state.settings
    return settings


def _active(request: Request) -> ActiveDefinitions:
    # The app's cache when its lifespan made one, as it does in every service.
    active: ActiveDefinitions = (
        getattr(request.app.state, "active_definitions", None) or ActiveDefinitions()
    )
    return active


def _adopt_after_response(
    request: Request, tasks: BackgroundTasks, *, definition_id: str
) -> None:
    """Adopt the definition's unassigned transactions once the request committed.

    Background tasks run after the response is sent, so after `get_session`
    committed the activation, and each batch of the adoption commits on its own.
    """
    runtime: ServiceRuntime = request.app.state.runtime

    async def adopt() -> None:
        await adopt_unassigned(
            runtime.sessions,
            active=_active(request),
            settings=_settings(request),
            definition_id=definition_id,
            trigger="activation",
        )
        runtime.relay.notify()

    tasks.add_task(adopt)


async def _read_body(request: Request) -> tuple[str, str]:
    """Return the request body as text and its format, yaml or json."""
    media_type = request.headers.get("content-type", "").partition(";")[0]
    media_type = media_type.strip().lower()
    if media_type == "application/json":
        source_format = "json"
    elif media_type in _YAML_MEDIA_TYPES or not media_type:
        source_format = "yaml"
    else:
        raise UnsupportedMediaType(
            f"unsupported content type {media_type!r}; send the definition as "
            "application/yaml or application/json"
        )
    data = bytearray()
    async for part in request.stream():
        data.extend(part)
        if len(data) > MAX_BODY_BYTES:
            raise BodyTooLarge(
                f"request body exceeds {MAX_BODY_BYTES} bytes; send one definition "
                "per request"
            )
    try:
        return data.decode("utf-8"), source_format
    except UnicodeDecodeError as error:
        raise InvalidDefinition(
            DefinitionError(
                f"request body is not valid UTF-8 at byte {error.start}; "
                "encode the definition as UTF-8"
            )
        ) from None


def _parse(text: str, *, source_format: str) -> Definition:
    try:
        return parse_definition(text, source="request body", media_type=source_format)
    except DefinitionError as error:
        raise InvalidDefinition(error) from None


def _version_out(record: DefinitionVersionRecord, *, active_version: int) -> VersionOut:
    return VersionOut(
        definition_id=record.definition_id,
        version=record.version,
        active=record.version == active_version,
        origin=record.origin,
        saved_by=record.saved_by,
        saved_at=record.saved_at,
        note=record.note,
        definition=json.loads(record.body),
        source=record.source,
        source_format=record.source_format,
    )


@router.get("")
async def list_definitions(
    session: SessionDep, actor: ReaderDep
) -> list[DefinitionSummaryOut]:
    """List the stored definitions with their active and newest version."""
    rows = await store.list_heads_with_active(session)
    return [_summary_out(head, active) for head, active in rows]


def _summary_out(
    head: DefinitionRecord, active: DefinitionVersionRecord | None
) -> DefinitionSummaryOut:
    summary = DefinitionSummaryOut.model_validate(head)
    if active is None:
        return summary
    name = json.loads(active.body).get("name")
    return summary.model_copy(
        update={
            "name": name if isinstance(name, str) else None,
            "active_saved_by": active.saved_by,
            "active_saved_at": active.saved_at,
        }
    )


@router.post(
    "/validate",
    responses=error_responses(InvalidDefinition, BodyTooLarge, UnsupportedMediaType),
    openapi_extra=_BODY_DOCUMENTATION,
)
async def validate_definition(
    request: Request, session: SessionDep, actor: ReaderDep
) -> ValidationOut:
    """Check a definition without saving it, returning 422 for invalid values."""
    text, source_format = await _read_body(request)
    definition = _parse(text, source_format=source_format)
    store.check_definition(definition, settings=_settings(request), definition_id=None)
    return ValidationOut(
        valid=True,
        definition_id=definition.id,
        definition=json.loads(store.canonical_body(definition)),
        warnings=await _warnings(request, session, definition),
    )


async def _warnings(
    request: Request, session: AsyncSession, definition: Definition
) -> list[str]:
    others = await _active(request).definitions(session)
    return setting_warnings(definition) + overlap_warnings(definition, others)


@router.get(
    "/{definition_id}",
    responses=error_responses(DefinitionNotFound, VersionNotFound),
)
async def get_definition(
    definition_id: str,
    session: SessionDep,
    actor: ReaderDep,
    version: Annotated[int | None, Query(ge=1)] = None,
) -> VersionOut:
    """Return the active version of a definition, or the one named by `version`."""
    head = await store.get_head(session, definition_id=definition_id)
    record = await store.get_version(
        session, definition_id=definition_id, version=version
    )
    return _version_out(record, active_version=head.active_version)


@router.put(
    "/{definition_id}",
    status_code=201,
    responses=error_responses(
        InvalidDefinition,
        ConcurrentSave,
        StaleBaseVersion,
        UnchangedDefinition,
        VersionNotFound,
        BodyTooLarge,
        UnsupportedMediaType,
    ),
    openapi_extra=_BODY_DOCUMENTATION,
)
async def save_definition(
    definition_id: str,
    request: Request,
    session: SessionDep,
    actor: EditorDep,
    tasks: BackgroundTasks,
    note: Annotated[str | None, Query(max_length=2000)] = None,
    activate: bool = True,
    base_version: Annotated[
        int | None,
        Query(
            ge=0,
            description=(
                "the version that the edited text came from, 0 for a new id; when "
                "a newer version exists the save is rejected with 409 "
                "StaleBaseVersion. Without it the save never checks for newer "
                "versions"
            ),
        ),
    ] = None,
) -> SavedVersionOut:
    """Save a definition as its next version, active unless `activate` is false.

    An active new version then adopts the unassigned transactions it selects.
    """
    text, source_format = await _read_body(request)
    definition = _parse(text, source_format=source_format)
    store.check_definition(
        definition, settings=_settings(request), definition_id=definition_id
    )
    await store.check_changed(session, definition=definition)
    record = await store.save_version(
        session,
        definition=definition,
        source=text,
        source_format=source_format,
        origin=Origin.API,
        actor=actor.username,
        role=actor.role,
        note=note,
        activate=activate,
        settings=_settings(request),
        base_version=base_version,
    )
    head = await store.get_head(session, definition_id=definition_id)
    if head.active_version == record.version:
        _adopt_after_response(request, tasks, definition_id=definition_id)
    saved = _version_out(record, active_version=head.active_version)
    return SavedVersionOut(
        **saved.model_dump(), warnings=await _warnings(request, session, definition)
    )


@router.get(
    "/{definition_id}/versions",
    responses=error_responses(DefinitionNotFound),
)
async def list_versions(
    definition_id: str, session: SessionDep, actor: ReaderDep
) -> list[VersionSummaryOut]:
    """List the versions of a definition, oldest first, without their bodies."""
    head = await store.get_head(session, definition_id=definition_id)
    records = await store.list_versions(session, definition_id=definition_id)
    return [
        VersionSummaryOut.model_validate(record).model_copy(
            update={"active": record.version == head.active_version}
        )
        for record in records
    ]


@router.get(
    "/{definition_id}/activations",
    responses=error_responses(DefinitionNotFound),
)
async def list_activations(
    definition_id: str, session: SessionDep, actor: ReaderDep
) -> list[ActivationOut]:
    """List every switch of the active version, oldest first."""
    records = await store.list_activations(session, definition_id=definition_id)
    return [ActivationOut.model_validate(record) for record in records]


@router.post(
    "/{definition_id}/versions/{version}/activate",
    responses=error_responses(
        DefinitionNotFound, VersionNotFound, store.VersionAlreadyActive
    ),
)
async def activate_version(
    definition_id: str,
    version: int,
    request: Request,
    session: SessionDep,
    actor: EditorDep,
    tasks: BackgroundTasks,
    body: ActivateRequest | None = None,
) -> ActivateOut:
    """Make a saved version the active one; the next chunk is matched with it.

    The version then adopts the unassigned transactions it selects.
    """
    result = await store.activate_version(
        session,
        definition_id=definition_id,
        version=version,
        actor=actor.username,
        role=actor.role,
        note=body.note if body else None,
        settings=_settings(request),
    )
    if not result.already_active:
        _adopt_after_response(request, tasks, definition_id=definition_id)
    activation = ActivationOut.model_validate(result.record)
    return ActivateOut(**activation.model_dump(), already_active=result.already_active)


@router.get(
    "/{definition_id}/diff",
    responses=error_responses(DefinitionNotFound, VersionNotFound),
)
async def diff_versions(
    definition_id: str,
    session: SessionDep,
    actor: ReaderDep,
    from_version: Annotated[
        int, Query(alias="from", ge=1, description="version on the diff's old side")
    ],
    to_version: Annotated[
        int, Query(alias="to", ge=1, description="version on the diff's new side")
    ],
) -> DiffOut:
    """Return a unified diff between two versions, each written as YAML."""
    old = await store.get_version(
        session, definition_id=definition_id, version=from_version
    )
    new = await store.get_version(
        session, definition_id=definition_id, version=to_version
    )
    lines = difflib.unified_diff(
        _yaml_lines(old),
        _yaml_lines(new),
        fromfile=f"{definition_id} version {from_version}",
        tofile=f"{definition_id} version {to_version}",
    )
    return DiffOut(
        definition_id=definition_id,
        from_version=from_version,
        to_version=to_version,
        diff="".join(lines),
    )


def _yaml_lines(record: DefinitionVersionRecord) -> list[str]:
    # Model field order reads better than the stored body's sorted keys.
    document = store.definition_of(record).model_dump(mode="json")
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    return text.splitlines(keepends=True)
