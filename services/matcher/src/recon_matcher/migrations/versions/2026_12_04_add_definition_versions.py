"""Add stored, versioned reconciliation definitions

Revision ID: 2026_12_04_matcher_definitions
Revises: 2026_12_04_matcher_actions
Create Date: 2026-12-04 18:40:00.000000
"""

from collections.abc import Sequence

import recon_common.db.types
import sqlalchemy as sa
from alembic import op
from recon_common.db.append_only import drop_append_only, make_append_only

revision: str = "2026_12_04_matcher_definitions"
down_revision: str | None = "2026_12_04_matcher_actions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "definitions",
        sa.Column("definition_id", sa.String(length=100), nullable=False),
        sa.Column("active_version", sa.Integer(), nullable=False),
        sa.Column("latest_version", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            recon_common.db.types.UtcDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            recon_common.db.types.UtcDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("definition_id", name=op.f("pk_definitions")),
    )
    op.create_table(
        "definition_versions",
        sa.Column("definition_id", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("source_format", sa.String(length=10), nullable=False),
        sa.Column("origin", sa.String(length=10), nullable=False),
        sa.Column("saved_by", sa.String(length=200), nullable=False),
        sa.Column(
            "saved_at",
            recon_common.db.types.UtcDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["definition_id"],
            ["definitions.definition_id"],
            name=op.f("fk_definition_versions_definition_id_definitions"),
        ),
        sa.PrimaryKeyConstraint(
            "definition_id", "version", name=op.f("pk_definition_versions")
        ),
    )
    op.create_table(
        "definition_activations",
        sa.Column("definition_id", sa.String(length=100), nullable=False),
        sa.Column("activation_number", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("previous_version", sa.Integer(), nullable=True),
        sa.Column("activated_by", sa.String(length=200), nullable=False),
        sa.Column(
            "activated_at",
            recon_common.db.types.UtcDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["definition_id"],
            ["definitions.definition_id"],
            name=op.f("fk_definition_activations_definition_id_definitions"),
        ),
        sa.PrimaryKeyConstraint(
            "definition_id", "activation_number", name=op.f("pk_definition_activations")
        ),
    )
    make_append_only("definition_versions")
    make_append_only("definition_activations")


def downgrade() -> None:
    drop_append_only("definition_activations")
    drop_append_only("definition_versions")
    op.drop_table("definition_activations")
    op.drop_table("definition_versions")
    op.drop_table("definitions")
