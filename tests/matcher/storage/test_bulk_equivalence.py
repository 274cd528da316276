"""The bulk storage path stores the same rows as the ORM path it replaced.

One scenario runs through both paths, each on its own empty database: three matching
runs with confirmed, proposed and tombstoned groups, new, reasoned, assigned,
closed and reopened breaks, and a group dissolved before the third run. Afterwards the
transactions, groups, group items and breaks of both databases must be equal row
for row, and each step must report the same changes. The state that
`reconciliation.states` derives from each database must equal the state that the
reference path tracks step by step, as the old `transactions.status` column held it.
"""

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import orm_reference
import pytest
from recon_common.db import session_scope
from recon_common.events import BreakAgeBasis, BreakReason, MatchGroup
from recon_matcher.breaks import storage as break_storage
from recon_matcher.changes import MatchChanges
from recon_matcher.models import (
    BreakRecord,
    MatchGroupItem,
    MatchGroupRecord,
    TransactionRecord,
)
from recon_matcher.reconciliation import bulk, states
from recon_matcher.reconciliation.groups import dissolve_groups
from recon_matcher.reconciliation.service import store_result
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession
from storage_factories import (
    RECONCILIATION_ID,
    START,
    Sessions,
    definition,
    group,
    ids,
    open_records,
    reference_row,
    settings,
    transaction_row,
)

EXTRA_PAIRS = 40


@dataclass(frozen=True)
class Run:
    """One matching run of the scenario."""

    at: datetime
    new_transactions: Sequence[int]
    formed: Sequence[MatchGroup]
    break_ids: Sequence[str]
    reasons: Mapping[str, BreakReason]


def runs() -> list[Run]:
    """Return the scenario's runs. The test dissolves group g3 before the third."""
    first, second, third = START, START + timedelta(hours=1), START + timedelta(days=2)
    extra = range(100, 100 + 2 * EXTRA_PAIRS)
    extra_groups = [
        group(f"x{number}", [number, number + 1], at=first, proposed=number % 6 == 0)
        for number in extra[::2][:-3]
    ]
    return [
        Run(
            at=first,
            new_transactions=[*range(1, 11), *extra],
            formed=[
                group("g1", [1, 2], at=first),
                group("g2", [3, 4], at=first, proposed=True),
                *extra_groups,
            ],
            break_ids=[*ids(5, 6, 7, 8, 9, 10), *ids(*extra[-6:])],
            reasons={
                "t005": BreakReason.AMOUNT_OUTSIDE_TOLERANCE,
                "t006": BreakReason.DATE_OUTSIDE_WINDOW,
            },
        ),
        Run(
            at=second,
            new_transactions=[11, 12],
            formed=[
                group("g3", [5, 7], at=second),
                group("tombstone", [8, 9], at=second),
            ],
            break_ids=ids(6, 10, 11, 12),
            reasons={"t006": BreakReason.SUSPECTED_DUPLICATE},
        ),
        Run(
            at=third,
            new_transactions=[13],
            formed=[
                group("g4", [5, 12], at=third, proposed=True),
                group("g5", [7, 11, 13], at=third),
            ],
            break_ids=ids(6, 10, 8, 9),
            reasons={"t008": BreakReason.DATE_OUTSIDE_WINDOW},
        ),
    ]


async def prepare_second_run(session: AsyncSession) -> None:
    """Assign two breaks and keep a tombstone, as operators would between runs."""
    await session.execute(
        text(
            "UPDATE breaks SET assignee = 'ana', state = 'assigned' "
            "WHERE transaction_id IN ('t006', 't007')"
        )
    )
    row = orm_reference_group_row("tombstone")
    session.add(row)


def orm_reference_group_row(group_id: str) -> MatchGroupRecord:
    """Return the row of a group that an operator unmatched earlier."""
    return MatchGroupRecord(
        group_id=group_id,
        reconciliation_id=RECONCILIATION_ID,
        pass_name="reference",
        status="unmatched",
        score=Decimal(1),
        amount_difference=Decimal(0),
        days_apart=0,
        explanation="unmatched by an operator",
        matched_at=START,
        origin="engine",
    )


async def run_reference(
    sessions: Sessions, basis: BreakAgeBasis, statuses: dict[str, str]
) -> list[Any]:
    """Run the scenario through the ORM path and return each step's changes."""
    reported: list[Any] = []
    for index, run in enumerate(runs()):
        async with session_scope(sessions) as session:
            if index == 1:
                await prepare_second_run(session)
            if index == 2:
                changes = MatchChanges()
                row = await session.get(MatchGroupRecord, "g3")
                assert row is not None
                await orm_reference.dissolve_group(
                    session,
                    row=row,
                    statuses=statuses,
                    basis=basis,
                    changes=changes,
                    now=run.at,
                )
                reported.append(dump_changes(changes))
            await orm_reference.insert_transactions(
                session,
                [reference_row(n, received_at=run.at) for n in run.new_transactions],
                statuses=statuses,
            )
            changes = MatchChanges()
            await orm_reference.store_result(
                session,
                formed=run.formed,
                break_ids=run.break_ids,
                reasons=run.reasons,
                records=await open_records(session),
                statuses=statuses,
                basis=basis,
                changes=changes,
                now=run.at,
            )
            reported.append(dump_changes(changes))
    return reported


async def run_bulk(sessions: Sessions, basis: BreakAgeBasis) -> list[Any]:
    """Run the scenario through the service's bulk path and return the changes."""
    reported: list[Any] = []
    matcher_settings = settings(basis)
    for index, run in enumerate(runs()):
        async with session_scope(sessions) as session:
            if index == 1:
                await prepare_second_run(session)
            if index == 2:
                changes = MatchChanges()
                row = await session.get(MatchGroupRecord, "g3")
                assert row is not None
                await dissolve_groups(
                    session,
                    rows=[row],
                    definition=definition(),
                    settings=matcher_settings,
                    changes=changes,
                    now=run.at,
                )
                reported.append(dump_changes(changes))
            await bulk.insert_rows(
                session,
                bulk.table_of(TransactionRecord),
                [transaction_row(n, received_at=run.at) for n in run.new_transactions],
            )
            changes = MatchChanges()
            await store_result(
                session,
                definition=definition(),
                formed=run.formed,
                break_ids=run.break_ids,
                reasons=dict(run.reasons),
                records=await open_records(session),
                settings=matcher_settings,
                changes=changes,
                now=run.at,
            )
            reported.append(dump_changes(changes))
    return reported


def dump_changes(changes: MatchChanges) -> dict[str, Any]:
    """Return the changes that both paths report, as plain data."""
    return {
        "groups": [item.model_dump() for item in changes.groups],
        "opened_breaks": [item.model_dump() for item in changes.opened_breaks],
        "closed_break_ids": list(changes.closed_break_ids),
        "updated_breaks": [item.model_dump() for item in changes.updated_breaks],
        "dissolved_group_ids": list(changes.dissolved_group_ids),
    }


async def dump_tables(sessions: Sessions) -> dict[str, list[dict[str, Any]]]:
    """Return every row of the four result tables, ordered by primary key."""
    tables = {
        "transactions": TransactionRecord,
        "match_groups": MatchGroupRecord,
        "match_group_items": MatchGroupItem,
        "breaks": BreakRecord,
    }
    dumped: dict[str, list[dict[str, Any]]] = {}
    async with session_scope(sessions) as session:
        for name, model in tables.items():
            table = bulk.table_of(model)
            rows = await session.execute(
                select(table).order_by(*table.primary_key.columns)
            )
            dumped[name] = [dict(row) for row in rows.mappings()]
    return dumped


async def derived_states(sessions: Sessions) -> dict[str, str]:
    """Return the state of every stored transaction as `states` derives it."""
    async with session_scope(sessions) as session:
        ids = await session.scalars(select(TransactionRecord.transaction_id))
        return await states.statuses(session, list(ids))


@pytest.fixture(params=["default", "tiny_batches", "portable"])
def storage_mode(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> str:
    """Run as configured, with tiny batches, or without PostgreSQL's fast path.

    Tiny batches also close the breaks of more than two items by the scan of
    live breaks instead of by id.
    """
    if request.param == "tiny_batches":
        monkeypatch.setattr(bulk, "IN_BATCH", 7)
        monkeypatch.setattr(bulk, "ARRAY_BATCH", 7)
        monkeypatch.setattr(bulk, "INSERT_BATCH", 7)
        monkeypatch.setattr(break_storage, "CLOSE_BY_ID_MAX", 2)
    if request.param == "portable":
        monkeypatch.setattr(bulk, "POSTGRESQL_FAST_PATH", False)
    return str(request.param)


@pytest.mark.parametrize("basis", [BreakAgeBasis.VALUE_DATE, BreakAgeBasis.ARRIVAL])
async def test_bulk_path_stores_reference_rows(
    session_pair: tuple[Sessions, Sessions], basis: BreakAgeBasis, storage_mode: str
) -> None:
    reference_sessions, bulk_sessions = session_pair
    tracked: dict[str, str] = {}

    reference_changes = await run_reference(reference_sessions, basis, tracked)
    bulk_changes = await run_bulk(bulk_sessions, basis)
    reference_rows = await dump_tables(reference_sessions)
    bulk_rows = await dump_tables(bulk_sessions)
    reference_states = await derived_states(reference_sessions)
    bulk_states = await derived_states(bulk_sessions)

    assert len(bulk_rows["breaks"]) > 0
    for name in reference_rows:
        assert bulk_rows[name] == reference_rows[name], name
    assert bulk_changes == reference_changes
    assert set(tracked.values()) == {"open", "matched", "proposed"}
    assert reference_states == tracked
    assert bulk_states == tracked


async def test_status_counts_equal_derived_states(
    session_pair: tuple[Sessions, Sessions],
) -> None:
    _, bulk_sessions = session_pair
    await run_bulk(bulk_sessions, BreakAgeBasis.VALUE_DATE)
    tallied = Counter((await derived_states(bulk_sessions)).values())

    async with session_scope(bulk_sessions) as session:
        counts = await states.status_counts(
            session, reconciliation_id=RECONCILIATION_ID
        )

    assert counts == dict(tallied)
