"""Compare identifiers byte by byte on PostgreSQL

The values stay as they are, but PostgreSQL rebuilds every index on the changed
columns while it holds an exclusive lock on their tables. On a database of
millions of transactions, run the upgrade outside business hours.

Revision ID: 2026_12_05_matcher_id_collation
Revises: 2026_12_05_matcher_group_version
Create Date: 2026-12-05 01:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "2026_12_05_matcher_id_collation"
down_revision: str | None = "2026_12_05_matcher_group_version"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column, length) of every identifier that is joined or compared with
# another table's. They change together: PostgreSQL refuses to compare two columns
# of different collations. See `recon_common.db.id_string`.
_ID_COLUMNS = (
    ("files", "file_id", 36),
    ("transactions", "transaction_id", 80),
    ("transactions", "file_id", 36),
    ("match_groups", "group_id", 36),
    ("match_group_items", "transaction_id", 80),
    ("match_group_items", "group_id", 36),
    ("breaks", "transaction_id", 80),
    ("approvals", "transaction_id", 80),
    ("comments", "target_id", 80),
)


def upgrade() -> None:
    # SQLite and Oracle already compare these strings by their bytes by default.
    _set_collation('COLLATE "C"')


def downgrade() -> None:
    _set_collation("")


def _set_collation(clause: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    tables: dict[str, list[str]] = {}
    for table, column, length in _ID_COLUMNS:
        tables.setdefault(table, []).append(
            f"ALTER COLUMN {column} TYPE VARCHAR({length}) {clause}".rstrip()
        )
    # Each ALTER rebuilds the table's indexes on the changed columns. The foreign
    # keys from `breaks` and `approvals` to `transactions` are dropped for the
    # change and added again, because PostgreSQL checks that both ends compare
    # alike.
    op.drop_constraint(
        "fk_breaks_transaction_id_transactions", "breaks", type_="foreignkey"
    )
    op.drop_constraint(
        "fk_approvals_transaction_id_transactions", "approvals", type_="foreignkey"
    )
    for table, changes in tables.items():
        op.execute(f"ALTER TABLE {table} {', '.join(changes)}")
    op.create_foreign_key(
        "fk_breaks_transaction_id_transactions",
        "breaks",
        "transactions",
        ["transaction_id"],
        ["transaction_id"],
    )
    op.create_foreign_key(
        "fk_approvals_transaction_id_transactions",
        "approvals",
        "transactions",
        ["transaction_id"],
        ["transaction_id"],
    )
