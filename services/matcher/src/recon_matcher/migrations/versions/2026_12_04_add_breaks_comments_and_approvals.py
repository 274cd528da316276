"""Add breaks, comments and approvals

Revision ID: 2026_12_04_matcher_actions
Revises: 2026_12_04_matcher
Create Date: 2026-12-04 16:17:14.588262
"""

from collections.abc import Sequence

import recon_common.db.types
import sqlalchemy as sa
from alembic import op

revision: str = "2026_12_04_matcher_actions"
down_revision: str | None = "2026_12_04_matcher"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "comments",
        sa.Column("comment_id", sa.String(length=36), nullable=False),
        sa.Column("target_type", sa.String(length=20), nullable=False),
        sa.Column("target_id", sa.String(length=80), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            recon_common.db.types.UtcDateTime(timezone=True),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("comment_id", name=op.f("pk_comments")),
    )
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_comments_target_id"), ["target_id"], unique=False
        )

    op.create_table(
        "approvals",
        sa.Column("approval_id", sa.String(length=36), nullable=False),
        sa.Column("transaction_id", sa.String(length=80), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column(
            "requested_at",
            recon_common.db.types.UtcDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column(
            "decided_at",
            recon_common.db.types.UtcDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["transactions.transaction_id"],
            name=op.f("fk_approvals_transaction_id_transactions"),
        ),
        sa.PrimaryKeyConstraint("approval_id", name=op.f("pk_approvals")),
    )
    with op.batch_alter_table("approvals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_approvals_state"), ["state"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_approvals_transaction_id"), ["transaction_id"], unique=False
        )

    op.create_table(
        "breaks",
        sa.Column("transaction_id", sa.String(length=80), nullable=False),
        sa.Column("reconciliation_id", sa.String(length=100), nullable=False),
        sa.Column("side", sa.String(length=1), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("assignee", sa.String(length=200), nullable=True),
        sa.Column("age_basis", sa.String(length=20), nullable=False),
        sa.Column("age_date", sa.Date(), nullable=False),
        sa.Column("amount_band", sa.String(length=20), nullable=False),
        sa.Column(
            "opened_at",
            recon_common.db.types.UtcDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            recon_common.db.types.UtcDateTime(timezone=True),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["transactions.transaction_id"],
            name=op.f("fk_breaks_transaction_id_transactions"),
        ),
        sa.PrimaryKeyConstraint("transaction_id", name=op.f("pk_breaks")),
    )
    with op.batch_alter_table("breaks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_breaks_reconciliation_id"),
            ["reconciliation_id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_breaks_state"), ["state"], unique=False)

    with op.batch_alter_table("match_groups", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "origin", sa.String(length=20), server_default="engine", nullable=False
            )
        )
        batch_op.add_column(
            sa.Column("created_by", sa.String(length=200), nullable=True)
        )
        batch_op.add_column(sa.Column("reason", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("reviewed_by", sa.String(length=200), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("match_groups", schema=None) as batch_op:
        batch_op.drop_column("reviewed_by")
        batch_op.drop_column("reason")
        batch_op.drop_column("created_by")
        batch_op.drop_column("origin")

    with op.batch_alter_table("breaks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_breaks_state"))
        batch_op.drop_index(batch_op.f("ix_breaks_reconciliation_id"))

    op.drop_table("breaks")
    with op.batch_alter_table("approvals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_approvals_transaction_id"))
        batch_op.drop_index(batch_op.f("ix_approvals_state"))

    op.drop_table("approvals")
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_comments_target_id"))

    op.drop_table("comments")
