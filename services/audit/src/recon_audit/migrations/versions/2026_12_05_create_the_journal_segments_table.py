"""Create the journal segments table

Revision ID: 2026_12_05_segments
Revises: 2026_12_05_alarms
Create Date: 2026-12-05 07:20:00.000000
"""

from collections.abc import Sequence

import recon_common.db.types
import sqlalchemy as sa
from alembic import op

revision: str = "2026_12_05_segments"
down_revision: str | None = "2026_12_05_alarms"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "journal_segments",
        sa.Column("first_sequence", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_sequence", sa.Integer(), nullable=False),
        sa.Column("last_entry_hash", sa.String(length=64), nullable=False),
        sa.Column("previous_manifest_hash", sa.String(length=64), nullable=False),
        sa.Column("manifest_hash", sa.String(length=64), nullable=False),
        sa.Column("segment_sha256", sa.String(length=64), nullable=False),
        sa.Column("segment_key", sa.String(length=300), nullable=False),
        sa.Column("manifest_key", sa.String(length=300), nullable=False),
        sa.Column(
            "sealed_at",
            recon_common.db.types.UtcDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column(
            "stored_at",
            recon_common.db.types.UtcDateTime(timezone=True),
            nullable=True,
        ),
        sa.PrimaryKeyConstraint("first_sequence", name=op.f("pk_journal_segments")),
        sa.UniqueConstraint(
            "last_sequence", name=op.f("uq_journal_segments_last_sequence")
        ),
    )


def downgrade() -> None:
    op.drop_table("journal_segments")
