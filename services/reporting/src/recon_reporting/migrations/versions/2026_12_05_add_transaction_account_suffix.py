"""Add the indexed last characters of each transaction's account

Revision ID: 2026_12_05_report_account_suffix
Revises: 2026_12_05_report_proposed_index
Create Date: 2026-12-05 06:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2026_12_05_report_account_suffix"
down_revision: str | None = "2026_12_05_report_proposed_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The last 4 characters of the account without spaces, as `account_suffix` in
# models.py computes them. REPLACE, LENGTH and SUBSTR with a positive start behave
# the same on PostgreSQL, Oracle and SQLite.
_COMPACT = "REPLACE(account, ' ', '')"
_BACKFILL = (
    "UPDATE report_transactions SET account_suffix = CASE "  # noqa: S608 - constants
    f"WHEN LENGTH({_COMPACT}) > 4 THEN SUBSTR({_COMPACT}, LENGTH({_COMPACT}) - 3) "
    f"ELSE {_COMPACT} END"
)


def upgrade() -> None:
    with op.batch_alter_table("report_transactions") as batch_op:
        batch_op.add_column(
            sa.Column("account_suffix", sa.String(length=4), nullable=True)
        )
        batch_op.create_index(
            "ix_report_transactions_account_suffix", ["account_suffix"]
        )
    op.execute(_BACKFILL)


def downgrade() -> None:
    with op.batch_alter_table("report_transactions") as batch_op:
        batch_op.drop_index("ix_report_transactions_account_suffix")
        batch_op.drop_column("account_suffix")
