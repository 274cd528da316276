"""Tables of the key broker."""

from datetime import datetime
from enum import StrEnum

from recon_common.db import NAMING_CONVENTION, UtcDateTime
from recon_common.db.plumbing import OutboxMessageMixin, ProcessedEventMixin
from sqlalchemy import Enum, ForeignKey, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ProcessedEvent(ProcessedEventMixin, Base):
    pass


class OutboxMessage(OutboxMessageMixin, Base):
    pass


class KeyState(StrEnum):
    ENABLED = "enabled"
    DISABLED = "disabled"
    PENDING_DELETION = "pending_deletion"
    PENDING_IMPORT = "pending_import"


class KeyOrigin(StrEnum):
    # The backend generated the material.
    GENERATED = "generated"
    # The bank brings its own material through the import steps (BYOK).
    EXTERNAL = "external"


class BankKey(Base):
    """A bank's key: its state lives here, its material in the key backend."""

    __tablename__ = "bank_keys"

    key_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    bank_id: Mapped[str] = mapped_column(String(64), index=True)
    alias: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    state: Mapped[KeyState] = mapped_column(
        Enum(
            KeyState,
            native_enum=False,
            length=20,
            values_callable=lambda states: [state.value for state in states],
        )
    )
    backend: Mapped[str] = mapped_column(String(20))
    # The backend's name for the material: a keyring file stem, a KMS key ARN, ...
    backend_key_ref: Mapped[str] = mapped_column(String(500))
    # Equal to `bank_id` while this is the bank's current key and NULL afterwards.
    # The unique constraint allows one current key per bank on SQLite, PostgreSQL and
    # Oracle alike, because all three accept many NULLs in a unique column.
    current_for_bank: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    state_changed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    origin: Mapped[KeyOrigin] = mapped_column(
        Enum(
            KeyOrigin,
            native_enum=False,
            length=20,
            values_callable=lambda origins: [origin.value for origin in origins],
        ),
        default=KeyOrigin.GENERATED,
    )
    # When a key in `pending_deletion` is deleted, and the state that cancelling
    # the deletion restores.
    deletion_date: Mapped[datetime | None] = mapped_column(UtcDateTime())
    state_before_deletion: Mapped[str | None] = mapped_column(String(20))
    # End of validity of imported material; NULL for generated material and for
    # imported material that does not expire.
    material_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # The key that this one replaces as the bank's current key: at rotation, or
    # for an `external` successor when its material is imported. NULL for a bank's
    # first key.
    rotated_from_key_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("bank_keys.key_id")
    )


class KeyGrant(Base):
    """Permission for one service to use one bank key for some operations.

    Revoked grants keep their row with `revoked_at` set, so the broker can tell a key
    that never had grants from one whose grants were all revoked.
    """

    __tablename__ = "key_grants"

    grant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    key_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("bank_keys.key_id"), index=True
    )
    bank_id: Mapped[str] = mapped_column(String(64))
    grantee: Mapped[str] = mapped_column(String(200))
    # Comma-separated `GrantOperation` values.
    operations: Mapped[str] = mapped_column(String(200))
    # JSON object of context pairs that every request under this grant must carry.
    context_subset: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_by: Mapped[str | None] = mapped_column(String(200))
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # The backend's copy of the grant (a KMS grant id), NULL where the backend
    # keeps no grants of its own.
    backend_grant_id: Mapped[str | None] = mapped_column(String(200))
