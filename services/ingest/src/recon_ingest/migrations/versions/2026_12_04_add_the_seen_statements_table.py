"""Add the seen statements table

Revision ID: 2026_12_04_seen_statements
Revises: 2026_12_04_landed_files
Create Date: 2026-12-04 16:17:28.570212
"""

from collections.abc import Sequence

import recon_common.db.types
import sqlalchemy as sa
from alembic import op

revision: str = "2026_12_04_seen_statements"
down_revision: str | None = "2026_12_04_landed_files"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "seen_statements",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("bank_id", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("account", sa.String(length=100), nullable=False),
        sa.Column("statement_id", sa.String(length=100), nullable=True),
        sa.Column("sequence", sa.String(length=50), nullable=True),
        sa.Column(
            "opening_amount",
            recon_common.db.types.MoneyType(precision=38, scale=10),
            nullable=True,
        ),
        sa.Column("opening_currency", sa.String(length=3), nullable=True),
        sa.Column("opening_date", sa.Date(), nullable=True),
        sa.Column(
            "closing_amount",
            recon_common.db.types.MoneyType(precision=38, scale=10),
            nullable=True,
        ),
        sa.Column("closing_currency", sa.String(length=3), nullable=True),
        sa.Column("closing_date", sa.Date(), nullable=True),
        sa.Column("file_id", sa.String(length=36), nullable=False),
        sa.Column("source_location", sa.String(length=200), nullable=False),
        sa.Column(
            "seen_at", recon_common.db.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["landed_files.file_id"],
            name=op.f("fk_seen_statements_file_id_landed_files"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seen_statements")),
        sa.UniqueConstraint(
            "bank_id", "fingerprint", name=op.f("uq_seen_statements_bank_id")
        ),
    )
    with op.batch_alter_table("seen_statements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_seen_statements_file_id"), ["file_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("seen_statements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_seen_statements_file_id"))

    op.drop_table("seen_statements")
