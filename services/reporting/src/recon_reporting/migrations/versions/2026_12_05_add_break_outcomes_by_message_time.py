"""Keep break outcomes apart from transactions, with the time of their message

Revision ID: 2026_12_05_report_break_outcomes
Revises: 2026_12_05_report_group_version
Create Date: 2026-12-05 00:10:00.000000
"""

from collections.abc import Sequence

import recon_common.db.types
import sqlalchemy as sa
from alembic import op

revision: str = "2026_12_05_report_break_outcomes"
down_revision: str | None = "2026_12_05_report_group_version"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Empty at first: transactions whose break ended before this revision keep the
    # break_outcome stored on their row.
    op.create_table(
        "report_break_outcomes",
        sa.Column("transaction_id", sa.String(length=100), nullable=False),
        sa.Column("reconciliation_id", sa.String(length=100), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column(
            "sent_at",
            recon_common.db.types.UtcDateTime(timezone=True),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint(
            "transaction_id", name=op.f("pk_report_break_outcomes")
        ),
    )


def downgrade() -> None:
    op.drop_table("report_break_outcomes")
