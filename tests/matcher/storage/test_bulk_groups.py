"""The bulk path keeps the database constraints and the session's loaded rows."""

from datetime import timedelta

import pytest
from recon_common.db import session_scope
from recon_common.events import BreakAgeBasis, BreakReason
from recon_matcher.changes import MatchChanges
from recon_matcher.models import (
    BreakRecord,
    MatchGroupItem,
    MatchGroupRecord,
    TransactionRecord,
)
from recon_matcher.reconciliation import bulk, states
from recon_matcher.reconciliation.groups import store_groups
from recon_matcher.reconciliation.service import sync_breaks
from sqlalchemy.exc import IntegrityError
from storage_factories import (
    START,
    Sessions,
    definition,
    group,
    open_records,
    settings,
    transaction_row,
)


async def insert_transactions(sessions: Sessions, numbers: list[int]) -> None:
    """Store open transactions `t<number>` and commit."""
    async with session_scope(sessions) as session:
        await bulk.insert_rows(
            session,
            bulk.table_of(TransactionRecord),
            [transaction_row(number, received_at=START) for number in numbers],
        )


async def test_store_groups_item_in_two_groups_rejected(
    session_pair: tuple[Sessions, Sessions],
) -> None:
    sessions = session_pair[1]
    await insert_transactions(sessions, [1, 2, 3])
    async with session_scope(sessions) as session:
        await store_groups(
            session,
            groups=[(group("g1", [1, 2], at=START), None)],
            changes=MatchChanges(),
            now=START,
        )

    with pytest.raises(IntegrityError):
        async with session_scope(sessions) as session:
            await store_groups(
                session,
                groups=[(group("g2", [1, 3], at=START), None)],
                changes=MatchChanges(),
                now=START,
            )

    async with session_scope(sessions) as session:
        found = await states.statuses(session, ["t001", "t003"])
        item = await session.get(MatchGroupItem, "t003")
        second = await session.get(MatchGroupRecord, "g2")
    assert found == {"t001": "matched", "t003": "open"}
    assert item is None
    assert second is None


async def test_store_groups_updates_loaded_rows(
    session_pair: tuple[Sessions, Sessions],
) -> None:
    sessions = session_pair[1]
    later = START + timedelta(hours=1)
    await insert_transactions(sessions, [1, 2])
    async with session_scope(sessions) as session:
        await sync_breaks(
            session,
            definition=definition(),
            unmatched=["t001", "t002"],
            reasons={"t001": BreakReason.AMOUNT_OUTSIDE_TOLERANCE},
            records=await open_records(session),
            settings=settings(BreakAgeBasis.VALUE_DATE),
            changes=MatchChanges(),
            now=START,
        )

    async with session_scope(sessions) as session:
        loaded_break = await session.get(BreakRecord, "t001")
        changes = MatchChanges()
        await store_groups(
            session,
            groups=[(group("g1", [1, 2], at=later), None)],
            changes=changes,
            now=later,
        )
        dirty = list(session.dirty)
        found = await states.statuses(session, ["t001", "t002"])
        item = await session.get(MatchGroupItem, "t001")

    assert dirty == []
    assert found == {"t001": "matched", "t002": "matched"}
    assert item is not None
    assert item.group_id == "g1"
    assert changes.closed_break_ids == ["t001", "t002"]
    assert loaded_break is not None
    assert loaded_break.state == "closed"
    assert loaded_break.updated_at == later
