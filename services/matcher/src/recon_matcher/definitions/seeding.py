"""Seeding the definition store from `MATCHER_DEFINITIONS_FILE` at start-up.

A definition in the file is saved as a new active version, by `file`, when its
content differs from the active version and also from the newest version that the
file seeded before. So the newest change wins: a change to the file's entry wins at
the next start-up, and an API edit stays until the file's entry for that id changes.
Restarting with an unchanged file saves nothing. A definition that is removed from
the file stays in the store as it is.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import structlog
import yaml
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from recon_matcher.definitions.loader import dump_definition
from recon_matcher.definitions.models import Definition
from recon_matcher.definitions.records import (
    DefinitionRecord,
    DefinitionVersionRecord,
)
from recon_matcher.definitions.store import (
    FILE_ACTOR,
    Origin,
    definition_of,
    save_version,
)
from recon_matcher.settings import MatcherSettings

log = structlog.get_logger(__name__)

_FILE_NOTE: Final = "seeded from {path}"


@dataclass(frozen=True, slots=True)
class SeedResult:
    """The definition ids whose file entry was saved, and those left as they were."""

    saved: list[str]
    unchanged: list[str]


async def seed_definitions(
    session: AsyncSession,
    *,
    definitions: Sequence[Definition],
    path: str,
    settings: MatcherSettings,
) -> SeedResult:
    """Save each definition of the file whose content is new to the store."""
    result = SeedResult(saved=[], unchanged=[])
    for definition in definitions:
        if await _is_known(session, definition=definition):
            result.unchanged.append(definition.id)
            continue
        source = yaml.safe_dump(
            dump_definition(definition), sort_keys=False, allow_unicode=True
        )
        await save_version(
            session,
            definition=definition,
            source=source,
            source_format="yaml",
            origin=Origin.FILE,
            actor=FILE_ACTOR,
            role=None,
            note=_FILE_NOTE.format(path=path),
            activate=True,
            settings=settings,
        )
        result.saved.append(definition.id)
    log.info(
        "matcher.definitions.seeded",
        path=path,
        saved=result.saved,
        unchanged=len(result.unchanged),
    )
    return result


async def _is_known(session: AsyncSession, *, definition: Definition) -> bool:
    """Return whether `definition` equals the active version or the file's newest.

    Parsed definitions are compared, so `1.0` equals `1.00` and key order and
    comments of the file do not count.
    """
    latest_from_file = await session.scalar(
        select(DefinitionVersionRecord)
        .where(
            DefinitionVersionRecord.definition_id == definition.id,
            DefinitionVersionRecord.origin == Origin.FILE.value,
        )
        .order_by(DefinitionVersionRecord.version.desc())
        .limit(1)
    )
    if latest_from_file is not None and definition_of(latest_from_file) == definition:
        return True
    head = await session.get(DefinitionRecord, definition.id)
    if head is None:
        return False
    active = await session.get(
        DefinitionVersionRecord, (definition.id, head.active_version)
    )
    return active is not None and definition_of(active) == definition
