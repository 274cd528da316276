"""Add the posted ledger entries table

Revision ID: 2026_12_05_posted_ledger_entries
Revises: 2026_12_04_seen_statements
Create Date: 2026-12-05 06:40:00.000000
"""

from collections.abc import Sequence

import recon_common.db.types
import sqlalchemy as sa
from alembic import op

revision: str = "2026_12_05_posted_ledger_entries"
down_revision: str | None = "2026_12_04_seen_statements"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "posted_ledger_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("bank_id", sa.String(length=64), nullable=False),
        sa.Column("entry_key", sa.String(length=64), nullable=False),
        sa.Column("entry_id", sa.String(length=255), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("file_id", sa.String(length=36), nullable=False),
        sa.Column("source_location", sa.String(length=200), nullable=False),
        sa.Column(
            "posted_at",
            recon_common.db.types.UtcDateTime(timezone=True),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["landed_files.file_id"],
            name=op.f("fk_posted_ledger_entries_file_id_landed_files"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_posted_ledger_entries")),
        sa.UniqueConstraint(
            "bank_id", "entry_key", name=op.f("uq_posted_ledger_entries_bank_id")
        ),
    )
    with op.batch_alter_table("posted_ledger_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_posted_ledger_entries_file_id"), ["file_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("posted_ledger_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_posted_ledger_entries_file_id"))

    op.drop_table("posted_ledger_entries")
