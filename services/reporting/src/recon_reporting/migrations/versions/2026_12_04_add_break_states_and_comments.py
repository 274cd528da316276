"""Add break states, group statuses and comments

Revision ID: 2026_12_04_reporting_actions
Revises: 2026_12_04_read_model
Create Date: 2026-12-04 16:25:49.574091
"""

from collections.abc import Sequence

import recon_common.db.types
import sqlalchemy as sa
from alembic import op

revision: str = "2026_12_04_reporting_actions"
down_revision: str | None = "2026_12_04_read_model"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_comments",
        sa.Column("comment_id", sa.String(length=36), nullable=False),
        sa.Column("target_type", sa.String(length=20), nullable=False),
        sa.Column("target_id", sa.String(length=100), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            recon_common.db.types.UtcDateTime(timezone=True),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("comment_id", name=op.f("pk_report_comments")),
    )
    with op.batch_alter_table("report_comments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_report_comments_target_id"), ["target_id"], unique=False
        )

    with op.batch_alter_table("report_breaks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "state", sa.String(length=20), server_default="open", nullable=False
            )
        )
        batch_op.add_column(sa.Column("assignee", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("age_basis", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("age_date", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("amount_band", sa.String(length=20), nullable=True)
        )
        batch_op.add_column(
            sa.Column("pending_approval_id", sa.String(length=36), nullable=True)
        )
        batch_op.add_column(
            sa.Column("pending_action", sa.String(length=20), nullable=True)
        )
        batch_op.add_column(
            sa.Column("requested_by", sa.String(length=200), nullable=True)
        )

    with op.batch_alter_table("report_match_groups", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "status",
                sa.String(length=20),
                server_default="confirmed",
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column(
                "origin", sa.String(length=20), server_default="engine", nullable=False
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("report_match_groups", schema=None) as batch_op:
        batch_op.drop_column("origin")
        batch_op.drop_column("status")

    with op.batch_alter_table("report_breaks", schema=None) as batch_op:
        batch_op.drop_column("requested_by")
        batch_op.drop_column("pending_action")
        batch_op.drop_column("pending_approval_id")
        batch_op.drop_column("amount_band")
        batch_op.drop_column("age_date")
        batch_op.drop_column("age_basis")
        batch_op.drop_column("assignee")
        batch_op.drop_column("state")

    with op.batch_alter_table("report_comments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_comments_target_id"))

    op.drop_table("report_comments")
