"""Create the reporting read model

Revision ID: 2026_12_04_read_model
Revises:
Create Date: 2026-12-04 15:42:41.877836
"""

from collections.abc import Sequence

import recon_common.db.types
import sqlalchemy as sa
from alembic import op
from recon_common.db.messaging_migration import (
    create_messaging_tables,
    drop_messaging_tables,
)

revision: str = "2026_12_04_read_model"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_messaging_tables()

    op.create_table(
        "report_breaks",
        sa.Column("transaction_id", sa.String(length=100), nullable=False),
        sa.Column("reconciliation_id", sa.String(length=100), nullable=False),
        sa.Column("side", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column(
            "opened_at",
            recon_common.db.types.UtcDateTime(timezone=True),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("transaction_id", name=op.f("pk_report_breaks")),
    )
    with op.batch_alter_table("report_breaks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_report_breaks_opened_at"), ["opened_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_report_breaks_reconciliation_id"),
            ["reconciliation_id"],
            unique=False,
        )

    op.create_table(
        "report_files",
        sa.Column("file_id", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=500), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column(
            "landed_at",
            recon_common.db.types.UtcDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("source_format", sa.String(length=40), nullable=True),
        sa.Column("record_kind", sa.String(length=20), nullable=True),
        sa.Column("transaction_count", sa.Integer(), nullable=False),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("file_id", name=op.f("pk_report_files")),
    )
    with op.batch_alter_table("report_files", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_report_files_landed_at"), ["landed_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_report_files_status"), ["status"], unique=False
        )

    op.create_table(
        "report_match_groups",
        sa.Column("group_id", sa.String(length=100), nullable=False),
        sa.Column("reconciliation_id", sa.String(length=100), nullable=False),
        sa.Column("pass_name", sa.String(length=100), nullable=False),
        sa.Column(
            "score",
            recon_common.db.types.MoneyType(precision=38, scale=10),
            nullable=False,
        ),
        sa.Column(
            "amount_difference",
            recon_common.db.types.MoneyType(precision=38, scale=10),
            nullable=False,
        ),
        sa.Column("days_apart", sa.Integer(), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column(
            "matched_at",
            recon_common.db.types.UtcDateTime(timezone=True),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("group_id", name=op.f("pk_report_match_groups")),
    )
    with op.batch_alter_table("report_match_groups", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_report_match_groups_matched_at"),
            ["matched_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_report_match_groups_reconciliation_id"),
            ["reconciliation_id"],
            unique=False,
        )

    op.create_table(
        "report_match_items",
        sa.Column("group_id", sa.String(length=100), nullable=False),
        sa.Column("transaction_id", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "group_id", "transaction_id", name=op.f("pk_report_match_items")
        ),
    )
    with op.batch_alter_table("report_match_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_report_match_items_transaction_id"),
            ["transaction_id"],
            unique=False,
        )

    op.create_table(
        "report_reconciliations",
        sa.Column("reconciliation_id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("transactions", sa.Integer(), nullable=False),
        sa.Column("matched", sa.Integer(), nullable=False),
        sa.Column("open_breaks", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(length=100), nullable=False),
        sa.Column(
            "reported_at",
            recon_common.db.types.UtcDateTime(timezone=True),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint(
            "reconciliation_id", name=op.f("pk_report_reconciliations")
        ),
    )
    op.create_table(
        "report_transactions",
        sa.Column("transaction_id", sa.String(length=100), nullable=False),
        sa.Column("file_id", sa.String(length=64), nullable=False),
        sa.Column("source_format", sa.String(length=40), nullable=False),
        sa.Column("record_kind", sa.String(length=20), nullable=False),
        sa.Column("account", sa.String(length=100), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "amount",
            recon_common.db.types.MoneyType(precision=38, scale=10),
            nullable=False,
        ),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("value_date", sa.Date(), nullable=False),
        sa.Column("booking_date", sa.Date(), nullable=True),
        sa.Column("reversal", sa.Boolean(), nullable=False),
        sa.Column("statement_id", sa.String(length=100), nullable=True),
        sa.Column("bank_reference", sa.String(length=100), nullable=True),
        sa.Column("customer_reference", sa.String(length=100), nullable=True),
        sa.Column("end_to_end_id", sa.String(length=100), nullable=True),
        sa.Column("counterparty_name", sa.String(length=200), nullable=True),
        sa.Column("counterparty_account", sa.String(length=100), nullable=True),
        sa.Column("remittance_info", sa.Text(), nullable=True),
        sa.Column("bank_transaction_code", sa.String(length=40), nullable=True),
        sa.Column("source_location", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reconciliation_id", sa.String(length=100), nullable=True),
        sa.Column("group_id", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("transaction_id", name=op.f("pk_report_transactions")),
    )
    with op.batch_alter_table("report_transactions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_report_transactions_account"), ["account"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_report_transactions_currency"), ["currency"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_report_transactions_file_id"), ["file_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_report_transactions_group_id"), ["group_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_report_transactions_reconciliation_id"),
            ["reconciliation_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_report_transactions_record_kind"),
            ["record_kind"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_report_transactions_status"), ["status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_report_transactions_value_date"),
            ["value_date"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("report_transactions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_transactions_value_date"))
        batch_op.drop_index(batch_op.f("ix_report_transactions_status"))
        batch_op.drop_index(batch_op.f("ix_report_transactions_record_kind"))
        batch_op.drop_index(batch_op.f("ix_report_transactions_reconciliation_id"))
        batch_op.drop_index(batch_op.f("ix_report_transactions_group_id"))
        batch_op.drop_index(batch_op.f("ix_report_transactions_file_id"))
        batch_op.drop_index(batch_op.f("ix_report_transactions_currency"))
        batch_op.drop_index(batch_op.f("ix_report_transactions_account"))

    op.drop_table("report_transactions")
    op.drop_table("report_reconciliations")
    with op.batch_alter_table("report_match_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_match_items_transaction_id"))

    op.drop_table("report_match_items")
    with op.batch_alter_table("report_match_groups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_match_groups_reconciliation_id"))
        batch_op.drop_index(batch_op.f("ix_report_match_groups_matched_at"))

    op.drop_table("report_match_groups")
    with op.batch_alter_table("report_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_files_status"))
        batch_op.drop_index(batch_op.f("ix_report_files_landed_at"))

    op.drop_table("report_files")
    with op.batch_alter_table("report_breaks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_breaks_reconciliation_id"))
        batch_op.drop_index(batch_op.f("ix_report_breaks_opened_at"))

    op.drop_table("report_breaks")

    drop_messaging_tables()
