"""Create the key broker tables.

Revision ID: 2026_12_04_keys
Revises:
Create Date: 2026-12-04 15:44:03.901931
"""

from collections.abc import Sequence

import recon_common.db.types
import sqlalchemy as sa
from alembic import op
from recon_common.db.messaging_migration import (
    create_messaging_tables,
    drop_messaging_tables,
)

revision: str = "2026_12_04_keys"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bank_keys",
        sa.Column("key_id", sa.String(length=36), nullable=False),
        sa.Column("bank_id", sa.String(length=64), nullable=False),
        sa.Column("alias", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "state",
            sa.Enum(
                "enabled", "disabled", name="keystate", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("backend", sa.String(length=20), nullable=False),
        sa.Column("backend_key_ref", sa.String(length=500), nullable=False),
        sa.Column("current_for_bank", sa.String(length=64), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column(
            "created_at",
            recon_common.db.types.UtcDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column(
            "state_changed_at",
            recon_common.db.types.UtcDateTime(timezone=True),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_bank_keys")),
        sa.UniqueConstraint(
            "current_for_bank", name=op.f("uq_bank_keys_current_for_bank")
        ),
    )
    with op.batch_alter_table("bank_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bank_keys_bank_id"), ["bank_id"], unique=False
        )

    create_messaging_tables()

    op.create_table(
        "key_grants",
        sa.Column("grant_id", sa.String(length=36), nullable=False),
        sa.Column("key_id", sa.String(length=36), nullable=False),
        sa.Column("bank_id", sa.String(length=64), nullable=False),
        sa.Column("grantee", sa.String(length=200), nullable=False),
        sa.Column("operations", sa.String(length=200), nullable=False),
        sa.Column("context_subset", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column(
            "created_at",
            recon_common.db.types.UtcDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("revoked_by", sa.String(length=200), nullable=True),
        sa.Column(
            "revoked_at",
            recon_common.db.types.UtcDateTime(timezone=True),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["key_id"],
            ["bank_keys.key_id"],
            name=op.f("fk_key_grants_key_id_bank_keys"),
        ),
        sa.PrimaryKeyConstraint("grant_id", name=op.f("pk_key_grants")),
    )
    with op.batch_alter_table("key_grants", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_key_grants_key_id"), ["key_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("key_grants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_key_grants_key_id"))

    op.drop_table("key_grants")

    drop_messaging_tables()
    with op.batch_alter_table("bank_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bank_keys_bank_id"))

    op.drop_table("bank_keys")
