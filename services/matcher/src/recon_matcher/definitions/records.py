"""Tables of the stored, versioned reconciliation definitions.

`definition_versions` and `definition_activations` are append-only: the migration
adds triggers that reject UPDATE and DELETE, so a saved version keeps its body and an
activation stays in the history for good. `definitions` has one row per definition id
with the active and the newest version number. It is the only row that changes, and
saves and activations lock it, so two saves get consecutive numbers.
"""

from datetime import datetime

from recon_common.db import UtcDateTime
from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from recon_matcher.models import Base


class DefinitionRecord(Base):
    """A definition id with its active version and its newest version."""

    __tablename__ = "definitions"

    definition_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    active_version: Mapped[int] = mapped_column(Integer)
    latest_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # The time and user of the latest save or activation.
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_by: Mapped[str] = mapped_column(String(200))


class DefinitionVersionRecord(Base):
    """One saved version of a definition, never changed after insert."""

    __tablename__ = "definition_versions"

    definition_id: Mapped[str] = mapped_column(
        ForeignKey("definitions.definition_id"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The validated definition as JSON with every field, defaults included, so a
    # later change of a default does not change what this version means.
    body: Mapped[str] = mapped_column(Text)
    # The text as the caller sent it, and its format: yaml or json.
    source: Mapped[str] = mapped_column(Text)
    source_format: Mapped[str] = mapped_column(String(10))
    # file (seeded from MATCHER_DEFINITIONS_FILE at start-up) or api.
    origin: Mapped[str] = mapped_column(String(10))
    saved_by: Mapped[str] = mapped_column(String(200))
    saved_at: Mapped[datetime] = mapped_column(UtcDateTime())
    note: Mapped[str | None] = mapped_column(Text)


class DefinitionActivationRecord(Base):
    """One switch of a definition's active version, numbered from 1 per definition."""

    __tablename__ = "definition_activations"

    definition_id: Mapped[str] = mapped_column(
        ForeignKey("definitions.definition_id"), primary_key=True
    )
    activation_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    previous_version: Mapped[int | None] = mapped_column(Integer)
    activated_by: Mapped[str] = mapped_column(String(200))
    activated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    note: Mapped[str | None] = mapped_column(Text)
