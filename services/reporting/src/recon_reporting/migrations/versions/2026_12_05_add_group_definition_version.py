"""Add the definition version that formed each match group

Revision ID: 2026_12_05_report_group_version
Revises: 2026_12_04_reporting_outcomes
Create Date: 2026-12-05 00:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2026_12_05_report_group_version"
down_revision: str | None = "2026_12_04_reporting_outcomes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "report_match_groups",
        sa.Column("definition_version", sa.Integer(), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("report_match_groups", "definition_version")
