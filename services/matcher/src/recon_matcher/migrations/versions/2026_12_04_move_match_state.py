"""Store match results in a layout that takes bulk writes

Revision ID: 2026_12_04_matcher_bulk_state
Revises: 2026_12_04_matcher_definitions
Create Date: 2026-12-04 18:41:00.000000

Upgrade drops `transactions.status` and `transactions.group_id`, because the state
now follows from `match_group_items`, `match_groups` and `breaks`
(`recon_matcher.reconciliation.states`). It first adjusts those tables wherever a
stored status disagrees with them, so that every transaction keeps its state. It
also drops the foreign keys of `match_group_items` and adds a partial index of the
tombstoned groups. Downgrade computes both columns again from the same tables.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2026_12_04_matcher_bulk_state"
down_revision: str | None = "2026_12_04_matcher_definitions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TOMBSTONES = "status IN ('unmatched', 'rejected')"
_PROPOSED = "status = 'proposed'"

# Statements that make the state derived from items, groups and breaks equal to the
# stored `status`. Each one touches only rows where the two disagree, which the
# service never leaves behind, so on a consistent database they change nothing.
_ALIGN_STATEMENTS = (
    # A matched or proposed transaction whose item row is missing gets it back,
    # if its group is still live.
    "INSERT INTO match_group_items (transaction_id, group_id) "
    "SELECT t.transaction_id, t.group_id FROM transactions t "
    "WHERE t.status IN ('matched', 'proposed') AND t.group_id IS NOT NULL "
    "AND NOT EXISTS (SELECT 1 FROM match_group_items i "
    "WHERE i.transaction_id = t.transaction_id) "
    "AND EXISTS (SELECT 1 FROM match_groups g "
    "WHERE g.group_id = t.group_id AND g.status IN ('confirmed', 'proposed'))",
    # An open transaction whose break says written off or closed gets the break
    # back in the open queue.
    "UPDATE breaks SET state = CASE WHEN assignee IS NULL THEN 'open' "
    "ELSE 'assigned' END "
    "WHERE state IN ('written_off', 'closed') AND transaction_id IN "
    "(SELECT t.transaction_id FROM transactions t "
    "WHERE t.status = 'open' AND NOT EXISTS (SELECT 1 FROM match_group_items i "
    "WHERE i.transaction_id = t.transaction_id))",
    # A written-off or force-closed transaction gives its break that state.
    "UPDATE breaks SET state = 'written_off' WHERE state <> 'written_off' "
    "AND transaction_id IN (SELECT t.transaction_id FROM transactions t "
    "WHERE t.status = 'written_off' AND NOT EXISTS (SELECT 1 FROM match_group_items i "
    "WHERE i.transaction_id = t.transaction_id))",
    "UPDATE breaks SET state = 'closed' WHERE state <> 'closed' "
    "AND transaction_id IN (SELECT t.transaction_id FROM transactions t "
    "WHERE t.status = 'closed' AND NOT EXISTS (SELECT 1 FROM match_group_items i "
    "WHERE i.transaction_id = t.transaction_id))",
)

# Sets the state as `states.status_expression` derives it, in portable SQL. Items
# belong to live groups only, so a group status other than confirmed is proposed.
_SET_DERIVED_STATUS = (
    "UPDATE transactions SET status = COALESCE("
    "(SELECT CASE WHEN g.status = 'confirmed' THEN 'matched' ELSE 'proposed' END "
    "FROM match_group_items i JOIN match_groups g ON g.group_id = i.group_id "
    "WHERE i.transaction_id = transactions.transaction_id), "
    "(SELECT b.state FROM breaks b "
    "WHERE b.transaction_id = transactions.transaction_id "
    "AND b.state IN ('written_off', 'closed')), "
    "CASE WHEN reconciliation_id IS NULL THEN 'unassigned' ELSE 'open' END)"
)

# Upper bounds of `engine.breaks.amount_band`, repeated so that the migration keeps
# its meaning if the bands change later.
_AMOUNT_BANDS = (
    (1_000, "under_1k"),
    (10_000, "1k_10k"),
    (100_000, "10k_100k"),
    (1_000_000, "100k_1m"),
)


def _open_missing_breaks(dialect: str) -> sa.Insert:
    """Return the INSERT that gives every open transaction without a break one.

    The service reads a reconciliation's open items from its live breaks, so an
    open item must have one. The service always opened a break for an item that a
    run left unmatched; this covers rows that missed it.
    """
    transactions = sa.table(
        "transactions",
        *(
            sa.column(name)
            for name in (
                "transaction_id",
                "reconciliation_id",
                "side",
                "status",
                "amount",
                "value_date",
                "received_at",
            )
        ),
    )
    items = sa.table("match_group_items", sa.column("transaction_id"))
    breaks = sa.table(
        "breaks",
        *(
            sa.column(name)
            for name in (
                "transaction_id",
                "reconciliation_id",
                "side",
                "reason",
                "state",
                "age_basis",
                "age_date",
                "amount_band",
                "opened_at",
                "updated_at",
            )
        ),
    )
    t = transactions.c
    # SQLite keeps amounts as text.
    amount = sa.func.abs(
        sa.cast(t.amount, sa.Numeric()) if dialect == "sqlite" else t.amount
    )
    band = sa.case(
        *((amount < limit, sa.literal(name)) for limit, name in _AMOUNT_BANDS),
        else_=sa.literal("1m_and_over"),
    )
    missing = sa.select(
        t.transaction_id,
        t.reconciliation_id,
        t.side,
        sa.literal("no_counterpart"),
        sa.literal("open"),
        sa.literal("value_date"),
        t.value_date,
        band,
        t.received_at,
        t.received_at,
    ).where(
        t.status == "open",
        t.reconciliation_id.is_not(None),
        t.side.is_not(None),
        ~sa.exists().where(items.c.transaction_id == t.transaction_id),
        ~sa.exists().where(breaks.c.transaction_id == t.transaction_id),
    )
    return sa.insert(breaks).from_select(
        [
            "transaction_id",
            "reconciliation_id",
            "side",
            "reason",
            "state",
            "age_basis",
            "age_date",
            "amount_band",
            "opened_at",
            "updated_at",
        ],
        missing,
    )


def upgrade() -> None:
    # NOTE: a written-off or force-closed transaction without any break row cannot
    # keep its state, and reads as open afterwards. The service always writes the
    # break first, so no such row is expected.
    for statement in _ALIGN_STATEMENTS:
        op.execute(sa.text(statement))
    op.execute(_open_missing_breaks(op.get_context().dialect.name))

    # `match_group_items` has no child tables, so SQLite may rebuild it.
    with op.batch_alter_table("match_group_items", schema=None) as batch_op:
        batch_op.drop_constraint(
            "fk_match_group_items_transaction_id_transactions", type_="foreignkey"
        )
        batch_op.drop_constraint(
            "fk_match_group_items_group_id_match_groups", type_="foreignkey"
        )

    # Not in batch mode: SQLite would rebuild `transactions`, and dropping the old
    # table fails its foreign keys from `breaks` and `approvals` once rows exist.
    # SQLite 3.35 and later drop a column in place.
    op.drop_index(op.f("ix_transactions_status"), table_name="transactions")
    op.drop_column("transactions", "group_id")
    op.drop_column("transactions", "status")

    with op.batch_alter_table("match_groups", schema=None) as batch_op:
        batch_op.create_index(
            "ix_match_groups_tombstones",
            ["status", "reconciliation_id"],
            unique=False,
            postgresql_where=sa.text(_TOMBSTONES),
            sqlite_where=sa.text(_TOMBSTONES),
        )
        batch_op.create_index(
            "ix_match_groups_proposed",
            ["reconciliation_id"],
            unique=False,
            postgresql_where=sa.text(_PROPOSED),
            sqlite_where=sa.text(_PROPOSED),
        )


def downgrade() -> None:
    with op.batch_alter_table("match_groups", schema=None) as batch_op:
        batch_op.drop_index("ix_match_groups_proposed")
        batch_op.drop_index("ix_match_groups_tombstones")

    # NOT NULL through a server default, because SQLite cannot make an added column
    # NOT NULL afterwards without rebuilding `transactions` (see `upgrade`).
    op.add_column(
        "transactions",
        sa.Column(
            "status",
            sa.String(length=20),
            server_default="unassigned",
            nullable=False,
        ),
    )
    op.add_column(
        "transactions", sa.Column("group_id", sa.String(length=36), nullable=True)
    )
    op.execute(
        sa.text(
            "UPDATE transactions SET group_id = (SELECT i.group_id "
            "FROM match_group_items i "
            "WHERE i.transaction_id = transactions.transaction_id)"
        )
    )
    op.execute(sa.text(_SET_DERIVED_STATUS))
    if op.get_context().dialect.name != "sqlite":
        # NOTE: SQLite keeps the server default, which the earlier revision did not
        # have. The service always writes the column, so it is never used.
        op.alter_column(
            "transactions",
            "status",
            existing_type=sa.String(length=20),
            server_default=None,
        )
    op.create_index(
        op.f("ix_transactions_status"), "transactions", ["status"], unique=False
    )

    with op.batch_alter_table("match_group_items", schema=None) as batch_op:
        batch_op.create_foreign_key(
            "fk_match_group_items_group_id_match_groups",
            "match_groups",
            ["group_id"],
            ["group_id"],
        )
        batch_op.create_foreign_key(
            "fk_match_group_items_transaction_id_transactions",
            "transactions",
            ["transaction_id"],
            ["transaction_id"],
        )
