"""The active definitions, read from the store each time they are needed.

Each lookup reads the active version number of every definition id in one small
query. So a chunk is matched with the versions that are active when it is
processed, and a save or activation in another process takes effect at the next
chunk. Versions never change after they are saved, so a parsed version is cached
by id and version number for the life of the process, and only a newly activated
version is parsed again.
"""

from dataclasses import dataclass

import structlog
from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from recon_matcher.definitions.currencies import STORED_CONTEXT
from recon_matcher.definitions.models import Definition
from recon_matcher.definitions.records import DefinitionRecord, DefinitionVersionRecord

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class ActiveDefinition:
    """A definition with the version number that is active."""

    definition: Definition
    version: int


class ActiveDefinitions:
    """Look up the active definitions, parsing each version once per process."""

    def __init__(self) -> None:
        self._parsed: dict[tuple[str, int], Definition] = {}

    async def load(self, session: AsyncSession) -> list[ActiveDefinition]:
        """Return the active version of every stored definition, ordered by id.

        The queries run in `session`, so inside a consumer's transaction they see
        the versions committed before each query starts (read committed).
        """
        heads = (
            await session.execute(
                select(
                    DefinitionRecord.definition_id, DefinitionRecord.active_version
                ).order_by(DefinitionRecord.definition_id)
            )
        ).all()
        keys = [(definition_id, version) for definition_id, version in heads]
        missing = [key for key in keys if key not in self._parsed]
        if missing:
            await self._parse(session, missing)
        return [
            ActiveDefinition(definition=self._parsed[key], version=key[1])
            for key in keys
        ]

    async def definitions(self, session: AsyncSession) -> list[Definition]:
        """Return the active definitions, ordered by id."""
        return [item.definition for item in await self.load(session)]

    async def _parse(self, session: AsyncSession, keys: list[tuple[str, int]]) -> None:
        rows = await session.execute(
            select(
                DefinitionVersionRecord.definition_id,
                DefinitionVersionRecord.version,
                DefinitionVersionRecord.body,
            ).where(
                tuple_(
                    DefinitionVersionRecord.definition_id,
                    DefinitionVersionRecord.version,
                ).in_(keys)
            )
        )
        for definition_id, version, body in rows:
            parsed = Definition.model_validate_json(body, context=STORED_CONTEXT)
            self._parsed[(definition_id, version)] = parsed.at_version(version)
            log.info(
                "matcher.definition.loaded",
                definition_id=definition_id,
                version=version,
            )
