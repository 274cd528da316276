"""Add key deletion, imported material and backend grant ids.

Revision ID: 2026_12_04_key_states
Revises: 2026_12_04_keys
Create Date: 2026-12-04 16:40:00.000000

The `state` column is a VARCHAR(20) without a CHECK constraint, so the new states
`pending_deletion` and `pending_import` need no change to it.
"""

from collections.abc import Sequence

import recon_common.db.types
import sqlalchemy as sa
from alembic import op

revision: str = "2026_12_04_key_states"
down_revision: str | None = "2026_12_04_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("bank_keys", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "origin",
                sa.Enum(
                    "generated",
                    "external",
                    name="keyorigin",
                    native_enum=False,
                    length=20,
                ),
                nullable=False,
                server_default="generated",
            )
        )
        batch_op.add_column(
            sa.Column(
                "deletion_date",
                recon_common.db.types.UtcDateTime(timezone=True),
                nullable=True,
            )
        )
        batch_op.add_column(
            sa.Column("state_before_deletion", sa.String(length=20), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "material_expires_at",
                recon_common.db.types.UtcDateTime(timezone=True),
                nullable=True,
            )
        )
    with op.batch_alter_table("key_grants", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("backend_grant_id", sa.String(length=200), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("key_grants", schema=None) as batch_op:
        batch_op.drop_column("backend_grant_id")
    with op.batch_alter_table("bank_keys", schema=None) as batch_op:
        batch_op.drop_column("material_expires_at")
        batch_op.drop_column("state_before_deletion")
        batch_op.drop_column("deletion_date")
        batch_op.drop_column("origin")
