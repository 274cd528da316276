"""Add the outcome of an ended break to transactions and fill break age dates

Revision ID: 2026_12_04_reporting_outcomes
Revises: 2026_12_04_reporting_sessions
Create Date: 2026-12-04 20:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2026_12_04_reporting_outcomes"
down_revision: str | None = "2026_12_04_reporting_sessions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "report_transactions",
        sa.Column("break_outcome", sa.String(length=20), nullable=True),
    )
    # Break ages count from age_date. Breaks from messages without one count from
    # the UTC day they opened, which the read model now stores in age_date.
    if op.get_bind().dialect.name == "postgresql":
        opened_day = "CAST(opened_at AT TIME ZONE 'UTC' AS DATE)"
    else:
        opened_day = "DATE(opened_at)"
    op.execute(
        f"UPDATE report_breaks SET age_date = {opened_day} "  # noqa: S608
        "WHERE age_date IS NULL"
    )


def downgrade() -> None:
    op.drop_column("report_transactions", "break_outcome")
