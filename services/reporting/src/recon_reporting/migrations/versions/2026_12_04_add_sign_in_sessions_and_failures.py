"""Add sign-in sessions and failed sign-in records

Revision ID: 2026_12_04_reporting_sessions
Revises: 2026_12_04_reporting_actions
Create Date: 2026-12-04 16:50:24.844526
"""

from collections.abc import Sequence

import recon_common.db.types
import sqlalchemy as sa
from alembic import op

revision: str = "2026_12_04_reporting_sessions"
down_revision: str | None = "2026_12_04_reporting_actions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "auth_sessions",
        sa.Column("id_sha256", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("client_address", sa.String(length=45), nullable=True),
        sa.Column(
            "created_at",
            recon_common.db.types.UtcDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column(
            "expires_at",
            recon_common.db.types.UtcDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column(
            "revoked_at",
            recon_common.db.types.UtcDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column("revoked_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id_sha256", name=op.f("pk_auth_sessions")),
    )
    with op.batch_alter_table("auth_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_auth_sessions_expires_at"), ["expires_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_auth_sessions_username"), ["username"], unique=False
        )

    op.create_table(
        "login_failures",
        sa.Column("failure_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=200), nullable=False),
        sa.Column("client_address", sa.String(length=45), nullable=True),
        sa.Column(
            "failed_at",
            recon_common.db.types.UtcDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column(
            "reset_at", recon_common.db.types.UtcDateTime(timezone=True), nullable=True
        ),
        sa.PrimaryKeyConstraint("failure_id", name=op.f("pk_login_failures")),
    )
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_login_failures_client_address"),
            ["client_address"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_login_failures_failed_at"), ["failed_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_login_failures_username"), ["username"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_failures_username"))
        batch_op.drop_index(batch_op.f("ix_login_failures_failed_at"))
        batch_op.drop_index(batch_op.f("ix_login_failures_client_address"))

    op.drop_table("login_failures")
    with op.batch_alter_table("auth_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_sessions_username"))
        batch_op.drop_index(batch_op.f("ix_auth_sessions_expires_at"))

    op.drop_table("auth_sessions")
