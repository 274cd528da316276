"""Add the predecessor of a rotated bank key.

Revision ID: 2026_12_05_key_rotation
Revises: 2026_12_04_key_states
Create Date: 2026-12-05 07:30:00.000000

The bank's current key stays marked by `current_for_bank`. The new column links a
key to the one it replaces, so that an `external` successor can take over when its
material is imported. Existing keys have no predecessor and keep NULL.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2026_12_05_key_rotation"
down_revision: str | None = "2026_12_04_key_states"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("bank_keys", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("rotated_from_key_id", sa.String(length=36), nullable=True)
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_bank_keys_rotated_from_key_id_bank_keys"),
            "bank_keys",
            ["rotated_from_key_id"],
            ["key_id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("bank_keys", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_bank_keys_rotated_from_key_id_bank_keys"),
            type_="foreignkey",
        )
        batch_op.drop_column("rotated_from_key_id")
