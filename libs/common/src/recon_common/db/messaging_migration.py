"""Migration steps for the outbox and processed-event tables of every service.

Each service's first migration calls these instead of repeating the table
definitions of `recon_common.db.plumbing`, so the five schemas cannot drift apart.
"""

import sqlalchemy as sa
from alembic import op

from recon_common.db.types import UtcDateTime


def create_messaging_tables() -> None:
    """Create `outbox_messages` and `processed_events` in the current migration."""
    op.create_table(
        "outbox_messages",
        sa.Column("position", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("message_key", sa.String(length=200), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("trace_parent", sa.String(length=100), nullable=True),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("published_at", UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("position", name=op.f("pk_outbox_messages")),
        sa.UniqueConstraint("event_id", name=op.f("uq_outbox_messages_event_id")),
    )
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outbox_messages_published_at"),
            ["published_at"],
            unique=False,
        )
    op.create_table(
        "processed_events",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("consumer_group", sa.String(length=200), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("processed_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "event_id", "consumer_group", name=op.f("pk_processed_events")
        ),
    )


def drop_messaging_tables() -> None:
    """Drop the tables that `create_messaging_tables` created."""
    op.drop_table("processed_events")
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_messages_published_at"))
    op.drop_table("outbox_messages")
