"""Record the items of each tombstone, so that a renamed pass cannot form it again

The engine derives a group id from the definition, the pass name and the items, so
a tombstone compared by id stops blocking its group once the pass is renamed. The
new column `match_groups.tombstone_item_ids` stores the sorted transaction ids of
a tombstone as a JSON array, and the engine compares its groups with those sets.

A tombstone has no items left, so the upgrade recovers them from the audit event
of the unmatch or reject (`details.transaction_ids`) while that event is still in
the outbox table, which keeps published rows for one day. Other tombstones keep
NULL and go on blocking only a group of the same id, as before. An offline run
(`alembic upgrade --sql`) adds the column without the backfill.

Revision ID: 2026_12_05_matcher_tombstone_ids
Revises: 2026_12_05_matcher_id_collation
Create Date: 2026-12-05 04:00:00.000000
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

revision: str = "2026_12_05_matcher_tombstone_ids"
down_revision: str | None = "2026_12_05_matcher_id_collation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The actions whose audit event lists the items of the group they dissolved.
_DISSOLVING_ACTIONS = frozenset({"match.unmatch", "match.reject"})
# Ids per IN list: below Oracle's limit of 1,000 expressions and SQLite's default
# of 999 bound parameters.
_BATCH = 500

_GROUPS = sa.table(
    "match_groups",
    sa.column("group_id", sa.String()),
    sa.column("status", sa.String()),
    sa.column("tombstone_item_ids", sa.Text()),
)
_OUTBOX = sa.table(
    "outbox_messages",
    sa.column("position", sa.Integer()),
    sa.column("message_key", sa.String()),
    sa.column("body", sa.Text()),
)


def upgrade() -> None:
    op.add_column(
        "match_groups", sa.Column("tombstone_item_ids", sa.Text(), nullable=True)
    )
    if context.is_offline_mode():
        # NOTE: a generated SQL script cannot read the outbox, so it leaves every
        # existing tombstone without items; those block only a group of their id.
        return
    connection = op.get_bind()
    group_ids = list(
        connection.scalars(
            sa.select(_GROUPS.c.group_id).where(
                _GROUPS.c.status.in_(["unmatched", "rejected"])
            )
        )
    )
    for start in range(0, len(group_ids), _BATCH):
        found = _recorded_items(connection, group_ids[start : start + _BATCH])
        if found:
            connection.execute(
                _GROUPS.update()
                .where(_GROUPS.c.group_id == sa.bindparam("match_group_id"))
                .values(tombstone_item_ids=sa.bindparam("items")),
                [
                    {"match_group_id": group_id, "items": json.dumps(items)}
                    for group_id, items in found.items()
                ],
            )


def downgrade() -> None:
    op.drop_column("match_groups", "tombstone_item_ids")


def _recorded_items(
    connection: sa.Connection, group_ids: Sequence[str]
) -> dict[str, list[str]]:
    """Return the sorted items of each group that an audit event in the outbox lists.

    The audit event of an action is keyed by its resource id, the group id. The
    latest event wins, because a group id can be dissolved, formed and dissolved
    again.
    """
    rows = connection.execute(
        sa.select(_OUTBOX.c.message_key, _OUTBOX.c.body)
        .where(_OUTBOX.c.message_key.in_(group_ids))
        .order_by(_OUTBOX.c.position)
    )
    found: dict[str, list[str]] = {}
    for group_id, body in rows:
        try:
            data = json.loads(body)["data"]
        except (ValueError, KeyError, TypeError):
            continue
        if not isinstance(data, dict) or data.get("action") not in _DISSOLVING_ACTIONS:
            continue
        details = data.get("details")
        text = details.get("transaction_ids") if isinstance(details, dict) else None
        if data.get("resource_id") == group_id and isinstance(text, str) and text:
            found[group_id] = sorted(text.split(","))
    return found
