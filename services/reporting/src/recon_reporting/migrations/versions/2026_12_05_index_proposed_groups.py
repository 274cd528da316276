"""Index the proposed match groups of each reconciliation

Revision ID: 2026_12_05_report_proposed_index
Revises: 2026_12_05_report_break_outcomes
Create Date: 2026-12-05 02:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2026_12_05_report_proposed_index"
down_revision: str | None = "2026_12_05_report_break_outcomes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The review queue and the dashboard read the proposed groups, a few among
# possibly millions of confirmed ones. Oracle ignores the predicate and indexes
# every row.
_PROPOSED = sa.text("status = 'proposed'")


def upgrade() -> None:
    op.create_index(
        "ix_report_match_groups_proposed",
        "report_match_groups",
        ["reconciliation_id", "matched_at"],
        postgresql_where=_PROPOSED,
        sqlite_where=_PROPOSED,
    )


def downgrade() -> None:
    op.drop_index("ix_report_match_groups_proposed", table_name="report_match_groups")
