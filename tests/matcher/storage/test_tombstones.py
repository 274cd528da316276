"""Tombstones compare item sets, so a renamed pass keeps operators' decisions.

The engine's group id includes the pass name. These tests unmatch or reject a
group, rename its pass and run the engine again, through a new file and through a
re-run, and check that the same items stay apart. They run the service's own
storage path and the operator actions on SQLite and PostgreSQL.
"""

from datetime import date
from decimal import Decimal
from typing import NamedTuple

from recon_common.db import session_scope
from recon_common.events import (
    BreakAgeBasis,
    Direction,
    FileRef,
    FileStatus,
    RecordKind,
    Transaction,
    TransactionsParsed,
)
from recon_matcher.actions.auth import Actor
from recon_matcher.actions.common import get_group
from recon_matcher.actions.matches import unmatch
from recon_matcher.changes import MatchChanges
from recon_matcher.definitions import (
    AccountPair,
    Definition,
    ExactPass,
    SideFilter,
    TolerancePass,
)
from recon_matcher.models import MatchGroupItem, MatchGroupRecord
from recon_matcher.reconciliation import rerun, states
from recon_matcher.reconciliation.service import apply_chunk
from sqlalchemy import select, update
from storage_factories import (
    LEDGER_ACCOUNT,
    RECONCILIATION_ID,
    START,
    STATEMENT_ACCOUNT,
    Sessions,
    settings,
)

DAY = date(2026, 11, 2)
SETTINGS = settings(BreakAgeBasis.VALUE_DATE)
OPERATOR = Actor(username="otto", role="operator")


def definition(
    *, exact: str = "reference", tolerance: str = "amount", auto_confirm: str = "0.99"
) -> Definition:
    """Return exact references, then amounts within 1.00 EUR, with these names.

    Tolerance groups below `auto_confirm` are proposed, not confirmed.
    """
    return Definition(
        id=RECONCILIATION_ID,
        name="Nostro EUR",
        bank_id="bank-1",
        side_a=SideFilter(
            record_kind=RecordKind.STATEMENT, accounts=[STATEMENT_ACCOUNT]
        ),
        side_b=SideFilter(record_kind=RecordKind.LEDGER, accounts=[LEDGER_ACCOUNT]),
        account_pairs=[AccountPair(side_a=STATEMENT_ACCOUNT, side_b=LEDGER_ACCOUNT)],
        passes=[
            ExactPass.model_validate({"name": exact, "kind": "exact"}),
            TolerancePass.model_validate(
                {
                    "name": tolerance,
                    "kind": "tolerance",
                    "amount_tolerance": "1.00",
                    "date_window_days": 3,
                    "thresholds": {"min_score": "0", "auto_confirm": auto_confirm},
                }
            ),
        ],
    )


def entry(
    transaction_id: str,
    amount: str,
    *,
    ledger: bool = False,
    reference: str | None = None,
) -> Transaction:
    """Return a credit on the statement account, or on the ledger with `ledger`."""
    return Transaction(
        transaction_id=transaction_id,
        bank_id="bank-1",
        file_id="file",
        source_format="ledger-csv" if ledger else "mt940",
        record_kind=RecordKind.LEDGER if ledger else RecordKind.STATEMENT,
        account=LEDGER_ACCOUNT if ledger else STATEMENT_ACCOUNT,
        currency="EUR",
        amount=Decimal(amount),
        direction=Direction.CREDIT,
        value_date=DAY,
        customer_reference=reference,
        source_location="line 1",
    )


async def feed(
    sessions: Sessions,
    chosen: Definition,
    file_id: str,
    transactions: list[Transaction],
) -> None:
    """Apply one file's transactions under `chosen`, as the consumer would."""
    chunk = TransactionsParsed(
        file=FileRef(
            file_id=file_id,
            filename=f"{file_id}.txt",
            sha256="0" * 64,
            size_bytes=100,
            landed_at=START,
            status=FileStatus.PARSED,
            source_format="mt940",
            record_kind=RecordKind.STATEMENT,
            transaction_count=len(transactions),
        ),
        chunk_index=0,
        chunk_count=1,
        transactions=[
            item.model_copy(update={"file_id": file_id}) for item in transactions
        ],
    )
    async with session_scope(sessions) as session:
        await apply_chunk(session, chunk=chunk, definitions=[chosen], settings=SETTINGS)


async def live_group(sessions: Sessions, transaction_id: str) -> MatchGroupRecord:
    """Return the live group of `transaction_id`, which must have one."""
    async with session_scope(sessions) as session:
        found = await session.scalar(
            select(MatchGroupRecord)
            .join(MatchGroupItem, MatchGroupItem.group_id == MatchGroupRecord.group_id)
            .where(MatchGroupItem.transaction_id == transaction_id)
        )
        assert found is not None, f"{transaction_id} is in no group"
        return found


async def dissolve(
    sessions: Sessions, chosen: Definition, group_id: str, *, action: str
) -> None:
    """Unmatch or reject a group as the operator action does."""
    async with session_scope(sessions) as session:
        row = await get_group(session, group_id)
        await unmatch(
            session,
            definition=chosen,
            row=row,
            reason="wrong pairing: the reference was reused",
            actor=OPERATOR,
            settings=SETTINGS,
            action=action,
        )


async def statuses(sessions: Sessions, *transaction_ids: str) -> dict[str, str]:
    async with session_scope(sessions) as session:
        return await states.statuses(session, list(transaction_ids))


class Outcome(NamedTuple):
    """The group ids that a re-run keeps and dissolves, and the items it groups."""

    kept: list[str]
    dissolved: list[str]
    formed: list[list[str]]
    unmatched: list[str]


async def rerun_november(
    sessions: Sessions, chosen: Definition, *, dry: bool
) -> Outcome:
    """Re-run November 2026 under `chosen`, or with `dry` only plan it."""
    async with session_scope(sessions) as session:
        found, _ = await rerun.plan_rerun(
            session, definition=chosen, start=date(2026, 11, 1), end=date(2026, 11, 30)
        )
        if not dry:
            await rerun.apply_rerun(
                session,
                definition=chosen,
                plan=found,
                settings=SETTINGS,
                changes=MatchChanges(),
            )
        return Outcome(
            kept=sorted(rerun.group_ids(found.kept)),
            dissolved=sorted(rerun.group_ids(found.dissolve)),
            formed=sorted(sorted(group.transaction_ids) for group in found.form),
            unmatched=sorted(found.unmatched),
        )


async def test_unmatch_records_sorted_item_ids(sessions: Sessions) -> None:
    await feed(
        sessions, definition(), "statement-1", [entry("s1", "500", reference="R")]
    )
    await feed(
        sessions,
        definition(),
        "ledger-2",
        [entry("l1", "500", ledger=True, reference="R")],
    )
    group_id = (await live_group(sessions, "s1")).group_id

    await dissolve(sessions, definition(), group_id, action="match.unmatch")

    async with session_scope(sessions) as session:
        tombstone = await session.get(MatchGroupRecord, group_id)
    assert tombstone is not None
    assert tombstone.status == "unmatched"
    assert tombstone.tombstone_item_ids == '["l1", "s1"]'


async def test_unmatch_survives_pass_rename(
    sessions: Sessions,
) -> None:
    await feed(
        sessions, definition(), "statement-1", [entry("s1", "500", reference="R")]
    )
    await feed(
        sessions,
        definition(),
        "ledger-2",
        [entry("l1", "500", ledger=True, reference="R")],
    )
    group_id = (await live_group(sessions, "s1")).group_id
    await dissolve(sessions, definition(), group_id, action="match.unmatch")
    renamed = definition(exact="exact reference")

    await feed(sessions, renamed, "ledger-3", [entry("l9", "7", ledger=True)])

    found = await statuses(sessions, "s1", "l1")
    assert found["s1"] == "open"
    assert found["l1"] == "open"


async def test_reject_survives_pass_rename(
    sessions: Sessions,
) -> None:
    await feed(sessions, definition(), "statement-1", [entry("s2", "100.00")])
    await feed(sessions, definition(), "ledger-2", [entry("l2", "100.50", ledger=True)])
    proposed = await live_group(sessions, "s2")
    await dissolve(sessions, definition(), proposed.group_id, action="match.reject")
    renamed = definition(tolerance="amount and date")

    await feed(sessions, renamed, "ledger-3", [entry("l9", "7", ledger=True)])

    assert proposed.status == "proposed"
    found = await statuses(sessions, "s2", "l2")
    assert found["s2"] == "open"
    assert found["l2"] == "open"


async def test_tombstone_allows_other_item_sets(sessions: Sessions) -> None:
    await feed(
        sessions,
        definition(),
        "statement-1",
        [entry("s1", "500", reference="R"), entry("s2", "100.00")],
    )
    await feed(
        sessions,
        definition(),
        "ledger-2",
        [entry("l1", "500", ledger=True, reference="R")],
    )
    group_id = (await live_group(sessions, "s1")).group_id
    await dissolve(sessions, definition(), group_id, action="match.unmatch")

    # l2 pairs with s2, and shares no item with the tombstone of s1 and l1.
    await feed(
        sessions,
        definition(exact="exact reference"),
        "ledger-3",
        [entry("l2", "100.00", ledger=True)],
    )

    found = await statuses(sessions, "s1", "l1", "s2", "l2")
    assert found["s1"] == "open"
    assert found["l1"] == "open"
    assert found["s2"] == "matched"
    assert found["l2"] == "matched"


async def test_tombstone_without_items_blocks_its_id(sessions: Sessions) -> None:
    # A tombstone of a matcher version that did not record items.
    await feed(
        sessions, definition(), "statement-1", [entry("s1", "500", reference="R")]
    )
    await feed(
        sessions,
        definition(),
        "ledger-2",
        [entry("l1", "500", ledger=True, reference="R")],
    )
    group_id = (await live_group(sessions, "s1")).group_id
    await dissolve(sessions, definition(), group_id, action="match.unmatch")
    async with session_scope(sessions) as session:
        await session.execute(
            update(MatchGroupRecord)
            .where(MatchGroupRecord.group_id == group_id)
            .values(tombstone_item_ids=None)
        )

    await feed(sessions, definition(), "ledger-3", [entry("l9", "7", ledger=True)])

    found = await statuses(sessions, "s1", "l1")
    assert found["s1"] == "open"
    assert found["l1"] == "open"


async def test_rerun_after_rename_respects_unmatch(
    sessions: Sessions,
) -> None:
    await feed(
        sessions, definition(), "statement-1", [entry("s1", "500", reference="R")]
    )
    await feed(
        sessions,
        definition(),
        "ledger-2",
        [entry("l1", "500", ledger=True, reference="R")],
    )
    group_id = (await live_group(sessions, "s1")).group_id
    await dissolve(sessions, definition(), group_id, action="match.unmatch")
    renamed = definition(exact="exact reference")

    applied = await rerun_november(sessions, renamed, dry=False)

    assert applied.formed == []
    assert applied.unmatched == ["l1", "s1"]
    found = await statuses(sessions, "s1", "l1")
    assert found["s1"] == "open"
    assert found["l1"] == "open"


async def test_rerun_after_rename_keeps_groups(sessions: Sessions) -> None:
    await feed(
        sessions,
        definition(),
        "statement-1",
        [entry("s1", "500", reference="R"), entry("s2", "100.00")],
    )
    await feed(
        sessions,
        definition(),
        "ledger-2",
        [
            entry("l1", "500", ledger=True, reference="R"),
            entry("l2", "100.50", ledger=True),
        ],
    )
    confirmed = (await live_group(sessions, "s1")).group_id
    proposed = (await live_group(sessions, "s2")).group_id
    renamed = definition(exact="exact reference", tolerance="amount and date")

    dry = await rerun_november(sessions, renamed, dry=True)
    applied = await rerun_november(sessions, renamed, dry=False)

    assert dry.kept == sorted([confirmed, proposed])
    assert dry.dissolved == []
    assert dry.formed == []
    assert applied == dry
    assert (await live_group(sessions, "s1")).group_id == confirmed
    kept = await live_group(sessions, "s2")
    assert kept.group_id == proposed
    assert kept.pass_name == "amount"
    assert kept.status == "proposed"


async def test_rerun_status_change_reforms_group(sessions: Sessions) -> None:
    await feed(sessions, definition(), "statement-1", [entry("s2", "100.00")])
    await feed(sessions, definition(), "ledger-2", [entry("l2", "100.50", ledger=True)])
    proposed = (await live_group(sessions, "s2")).group_id
    # Every tolerance group is confirmed now, and the pass has a new name.
    changed = definition(tolerance="amount and date", auto_confirm="0")

    applied = await rerun_november(sessions, changed, dry=False)

    assert applied.dissolved == [proposed]
    assert applied.formed == [["l2", "s2"]]
    formed = await live_group(sessions, "s2")
    assert formed.group_id != proposed
    assert formed.status == "confirmed"
    assert formed.pass_name == "amount and date"
