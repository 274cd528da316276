"""Add the warnings of each file

Revision ID: 2026_12_05_report_file_warnings
Revises: 2026_12_05_report_account_suffix
Create Date: 2026-12-05 07:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2026_12_05_report_file_warnings"
down_revision: str | None = "2026_12_05_report_account_suffix"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Files read before this revision keep NULL, which reads as no warnings, until
    # a later event about the file carries its warnings.
    with op.batch_alter_table("report_files") as batch_op:
        batch_op.add_column(sa.Column("warnings", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("report_files") as batch_op:
        batch_op.drop_column("warnings")
