"""Saving, activating and reading stored definition versions.

Each save of a definition id adds version n+1 and, unless the caller stages it,
makes it the active version. Activating another version adds an activation record.
No function here updates or deletes a version. Every save and activation queues an
audit event in the outbox, in the caller's transaction, and the caller commits.
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Final

import structlog
from recon_common.audit import record_audit
from recon_common.errors import Conflict, InvalidRequest, NotFound
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from recon_matcher.definitions.currencies import STORED_CONTEXT
from recon_matcher.definitions.loader import DefinitionError, DefinitionProblem
from recon_matcher.definitions.models import Definition
from recon_matcher.definitions.records import (
    DefinitionActivationRecord,
    DefinitionRecord,
    DefinitionVersionRecord,
)
from recon_matcher.models import OutboxMessage
from recon_matcher.settings import MatcherSettings

log = structlog.get_logger(__name__)

# The `saved_by` and `activated_by` of versions that the definitions file seeded.
FILE_ACTOR: Final = "file"


class Origin(StrEnum):
    """The source of a version: the definitions file or the API."""

    FILE = "file"
    API = "api"


class DefinitionNotFound(NotFound):
    pass


class VersionNotFound(NotFound):
    pass


class InvalidDefinition(InvalidRequest):
    """A definition body that fails validation. Its `detail` lists each problem."""

    def __init__(self, error: DefinitionError) -> None:
        problems = [
            {"path": problem.path, "message": problem.message}
            for problem in error.problems
        ]
        super().__init__(str(error), detail={"problems": problems})


class ConcurrentSave(Conflict):
    pass


class StaleBaseVersion(Conflict):
    """A save whose base version is older than the newest stored version."""


class UnchangedDefinition(Conflict):
    """The newest stored version already stores the same definition."""


class VersionAlreadyActive(Conflict):
    """An activation of the active version with a note that would be lost."""


@dataclass(frozen=True, slots=True)
class ActivationResult:
    """The activation that made a version active, and whether it existed before."""

    record: DefinitionActivationRecord
    already_active: bool


def canonical_body(definition: Definition) -> str:
    """Return the JSON that is stored and compared for `definition`.

    Defaults are included and keys sorted, so two texts that mean the same
    definition give the same JSON.
    """
    return json.dumps(definition.model_dump(mode="json"), sort_keys=True)


def definition_of(record: DefinitionVersionRecord) -> Definition:
    """Return the definition that a stored version contains."""
    return Definition.model_validate_json(record.body, context=STORED_CONTEXT)


async def check_changed(session: AsyncSession, *, definition: Definition) -> None:
    """Raise `UnchangedDefinition` if the newest version stores `definition`.

    Texts that differ only in layout, comments or spelled-out defaults store the
    same canonical body, so saving one of them again would add a version that no
    diff can tell apart from the one before.
    """
    head = await session.get(DefinitionRecord, definition.id)
    if head is None or head.latest_version == 0:
        return
    latest = await session.get(
        DefinitionVersionRecord, (definition.id, head.latest_version)
    )
    if latest is None or latest.body != canonical_body(definition):
        return
    if head.active_version == head.latest_version:
        advice = "it is the active version already, so there is nothing to save"
    else:
        advice = (
            f"activate it with POST /v1/definitions/{definition.id}/versions/"
            f"{head.latest_version}/activate instead of saving it again"
        )
    raise UnchangedDefinition(
        f"version {head.latest_version} of definition {definition.id!r} already "
        f"stores this definition; {advice}"
    )


def check_definition(
    definition: Definition, *, settings: MatcherSettings, definition_id: str | None
) -> None:
    """Raise `InvalidDefinition` unless `definition` fits this deployment and URL."""
    problems: list[DefinitionProblem] = []
    if definition_id is not None and definition.id != definition_id:
        problems.append(
            DefinitionProblem(
                path="id",
                message=f"must be {definition_id!r} as in the URL, found "
                f"{definition.id!r}; save under /v1/definitions/{definition.id}",
            )
        )
    if definition.bank_id != settings.bank_id:
        problems.append(
            DefinitionProblem(
                path="bank_id",
                message=f"must be {settings.bank_id!r}, the bank of this deployment, "
                f"found {definition.bank_id!r}",
            )
        )
    if problems:
        lines = [f"{problem.path}: {problem.message}" for problem in problems]
        raise InvalidDefinition(DefinitionError("\n".join(lines), problems=problems))


async def save_version(
    session: AsyncSession,
    *,
    definition: Definition,
    source: str,
    source_format: str,
    origin: Origin,
    actor: str,
    role: str | None,
    note: str | None,
    activate: bool,
    settings: MatcherSettings,
    base_version: int | None = None,
) -> DefinitionVersionRecord:
    """Store `definition` as the next version of its id and audit the save.

    The first version of an id is always activated, so every stored id has an
    active version. With `base_version`, the version that the editor started
    from, it raises `StaleBaseVersion` when a newer version exists, so that a
    save from an old text cannot undo a colleague's change unseen. Without it
    no version is compared.
    """
    now = datetime.now(UTC)
    head = await _lock_head(session, definition.id)
    if base_version is not None:
        await _check_base(
            session, definition_id=definition.id, head=head, base=base_version
        )
    if head is None:
        head = DefinitionRecord(
            definition_id=definition.id,
            active_version=1,
            latest_version=0,
            created_at=now,
            updated_at=now,
            updated_by=actor,
        )
        session.add(head)
        activate = True
    previous = head.active_version if head.latest_version else None
    record = DefinitionVersionRecord(
        definition_id=definition.id,
        version=head.latest_version + 1,
        body=canonical_body(definition),
        source=source,
        source_format=source_format,
        origin=origin.value,
        saved_by=actor,
        saved_at=now,
        note=note,
    )
    session.add(record)
    head.latest_version = record.version
    head.updated_at = now
    head.updated_by = actor
    await _flush(session, definition_id=definition.id)
    _audit(
        session,
        settings=settings,
        actor=actor,
        action="definition.save",
        definition_id=definition.id,
        details={
            "version": str(record.version),
            "origin": origin.value,
            "note": note or "",
            **({"role": role} if role else {}),
        },
    )
    log.info(
        "matcher.definition.saved",
        definition_id=definition.id,
        version=record.version,
        origin=origin.value,
        actor=actor,
    )
    if activate:
        await _activate(
            session,
            head=head,
            version=record.version,
            previous=previous,
            actor=actor,
            role=role,
            note=note,
            settings=settings,
            now=now,
        )
    return record


async def activate_version(
    session: AsyncSession,
    *,
    definition_id: str,
    version: int,
    actor: str,
    role: str | None,
    note: str | None,
    settings: MatcherSettings,
) -> ActivationResult:
    """Make `version` the active version of `definition_id` and audit the switch.

    Activating the version that is active already changes nothing and returns the
    activation that made it active, marked `already_active`. With a note other
    than that activation's note it raises `VersionAlreadyActive` instead.
    """
    head = await _lock_head(session, definition_id)
    if head is None:
        raise _not_found(definition_id)
    await get_version(session, definition_id=definition_id, version=version)
    if head.active_version == version:
        current = await latest_activation(session, definition_id=definition_id)
        if current is not None and current.version == version:
            _check_note_kept(current, note=note)
            log.info(
                "matcher.definition.already_active",
                definition_id=definition_id,
                version=version,
                activation_number=current.activation_number,
                actor=actor,
            )
            return ActivationResult(record=current, already_active=True)
    activation = await _activate(
        session,
        head=head,
        version=version,
        previous=head.active_version,
        actor=actor,
        role=role,
        note=note,
        settings=settings,
        now=datetime.now(UTC),
    )
    return ActivationResult(record=activation, already_active=False)


def _check_note_kept(current: DefinitionActivationRecord, *, note: str | None) -> None:
    # A note is stored only in an activation record. Those records are append-only
    # (triggers reject UPDATE), so a note for the active version would need a new
    # table, or a record of a switch that did not happen. A 409 instead shows the
    # client that nothing was stored, and the reporting page shows its detail as
    # the error of the activation form. A retry with the same note, or with none,
    # still succeeds.
    if note is None or not note.strip() or note == current.note:
        return
    raise VersionAlreadyActive(
        f"version {current.version} of definition {current.definition_id!r} is "
        f"already active, since activation {current.activation_number} by "
        f"{current.activated_by} at {current.activated_at.isoformat()}; nothing "
        "changed and the note was not saved, because a note is stored only with a "
        "change of the active version"
    )


async def _activate(
    session: AsyncSession,
    *,
    head: DefinitionRecord,
    version: int,
    previous: int | None,
    actor: str,
    role: str | None,
    note: str | None,
    settings: MatcherSettings,
    now: datetime,
) -> DefinitionActivationRecord:
    last = await latest_activation(session, definition_id=head.definition_id)
    activation = DefinitionActivationRecord(
        definition_id=head.definition_id,
        activation_number=1 if last is None else last.activation_number + 1,
        version=version,
        previous_version=previous,
        activated_by=actor,
        activated_at=now,
        note=note,
    )
    session.add(activation)
    head.active_version = version
    head.updated_at = now
    head.updated_by = actor
    await _flush(session, definition_id=head.definition_id)
    _audit(
        session,
        settings=settings,
        actor=actor,
        action="definition.activate",
        definition_id=head.definition_id,
        details={
            "version": str(version),
            "previous_version": "" if previous is None else str(previous),
            "note": note or "",
            **({"role": role} if role else {}),
        },
    )
    log.info(
        "matcher.definition.activated",
        definition_id=head.definition_id,
        version=version,
        previous_version=previous,
        actor=actor,
    )
    return activation


async def _check_base(
    session: AsyncSession,
    *,
    definition_id: str,
    head: DefinitionRecord | None,
    base: int,
) -> None:
    latest = head.latest_version if head is not None else 0
    if base == latest:
        return
    if base > latest:
        raise VersionNotFound(
            f"base version {base} of definition {definition_id!r} does not exist; "
            f"the newest version is {latest}. Send the version that the edited "
            "text came from"
        )
    record = await session.get(DefinitionVersionRecord, (definition_id, latest))
    saved = (
        f"saved by {record.saved_by} at {record.saved_at.isoformat(timespec='seconds')}"
        if record is not None
        else "saved by another user"
    )
    log.info(
        "matcher.definition.stale_base",
        definition_id=definition_id,
        base_version=base,
        latest_version=latest,
    )
    raise StaleBaseVersion(
        f"definition {definition_id!r} changed after version {base}, which this "
        f"save started from: the newest version is {latest}, {saved}. Nothing was "
        f"saved. Reload version {latest} and apply your change to it again"
    )


async def _lock_head(
    session: AsyncSession, definition_id: str
) -> DefinitionRecord | None:
    # FOR UPDATE makes concurrent saves of one id wait, so versions stay dense.
    # SQLite ignores it, so there the second of two concurrent saves fails in _flush.
    head: DefinitionRecord | None = await session.scalar(
        select(DefinitionRecord)
        .where(DefinitionRecord.definition_id == definition_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return head


async def _flush(session: AsyncSession, *, definition_id: str) -> None:
    try:
        await session.flush()
    except IntegrityError:
        # Two saves read the same newest version: on PostgreSQL only two first saves
        # of an id, which find no row to lock, and on SQLite any two.
        log.warning("matcher.definition.save_conflict", definition_id=definition_id)
        raise ConcurrentSave(
            f"definition {definition_id!r} was saved by another request at the same "
            "time; send the request again"
        ) from None


def _audit(
    session: AsyncSession,
    *,
    settings: MatcherSettings,
    actor: str,
    action: str,
    definition_id: str,
    details: dict[str, str],
) -> None:
    record_audit(
        session,
        OutboxMessage,
        settings=settings,
        actor=actor,
        action=action,
        resource_type="definition",
        resource_id=definition_id,
        details=details,
    )


def _not_found(definition_id: str) -> DefinitionNotFound:
    return DefinitionNotFound(
        f"definition {definition_id!r} not found; GET /v1/definitions lists the "
        "stored ones"
    )


async def get_head(session: AsyncSession, *, definition_id: str) -> DefinitionRecord:
    """Return the row of `definition_id` with its active version, or raise 404."""
    head = await session.get(DefinitionRecord, definition_id)
    if head is None:
        raise _not_found(definition_id)
    return head


async def get_version(
    session: AsyncSession, *, definition_id: str, version: int | None = None
) -> DefinitionVersionRecord:
    """Return a version of `definition_id`, by default the active one, or raise 404."""
    if version is None:
        version = (await get_head(session, definition_id=definition_id)).active_version
    record = await session.get(DefinitionVersionRecord, (definition_id, version))
    if record is None:
        await get_head(session, definition_id=definition_id)
        raise VersionNotFound(
            f"definition {definition_id!r} has no version {version}; GET "
            f"/v1/definitions/{definition_id}/versions lists its versions"
        )
    return record


async def list_heads_with_active(
    session: AsyncSession,
) -> list[tuple[DefinitionRecord, DefinitionVersionRecord | None]]:
    """Return every stored definition id with its active version, ordered by id."""
    rows = await session.execute(
        select(DefinitionRecord, DefinitionVersionRecord)
        .outerjoin(
            DefinitionVersionRecord,
            (DefinitionVersionRecord.definition_id == DefinitionRecord.definition_id)
            & (DefinitionVersionRecord.version == DefinitionRecord.active_version),
        )
        .order_by(DefinitionRecord.definition_id)
    )
    return [(head, version) for head, version in rows]


async def list_versions(
    session: AsyncSession, *, definition_id: str
) -> list[DefinitionVersionRecord]:
    """Return the versions of `definition_id`, oldest first, or raise 404."""
    await get_head(session, definition_id=definition_id)
    rows = await session.scalars(
        select(DefinitionVersionRecord)
        .where(DefinitionVersionRecord.definition_id == definition_id)
        .order_by(DefinitionVersionRecord.version)
    )
    return list(rows)


async def list_activations(
    session: AsyncSession, *, definition_id: str
) -> list[DefinitionActivationRecord]:
    """Return the activations of `definition_id`, oldest first, or raise 404."""
    await get_head(session, definition_id=definition_id)
    rows = await session.scalars(
        select(DefinitionActivationRecord)
        .where(DefinitionActivationRecord.definition_id == definition_id)
        .order_by(DefinitionActivationRecord.activation_number)
    )
    return list(rows)


async def latest_activation(
    session: AsyncSession, *, definition_id: str
) -> DefinitionActivationRecord | None:
    """Return the newest activation of `definition_id`, if any."""
    found: DefinitionActivationRecord | None = await session.scalar(
        select(DefinitionActivationRecord)
        .where(DefinitionActivationRecord.definition_id == definition_id)
        .order_by(DefinitionActivationRecord.activation_number.desc())
        .limit(1)
    )
    return found
