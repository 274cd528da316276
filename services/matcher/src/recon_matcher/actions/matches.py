"""Manual matches, unmatches and the review of proposed groups."""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal

import structlog
from recon_common.errors import InvalidRequest
from recon_common.events import (
    GroupOrigin,
    MatchGroup,
    MatchGroupStatus,
    Transaction,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from recon_matcher.actions.auth import Actor
from recon_matcher.actions.breaks import pending_approval
from recon_matcher.actions.common import (
    StateConflict,
    claim_group,
    finish_action,
    get_group,
    lock_transactions,
    not_proposed,
)
from recon_matcher.actions.schemas import ManualMatchOut, ManualMatchRequest
from recon_matcher.changes import MatchChanges
from recon_matcher.definitions import AmountSign, Definition
from recon_matcher.engine import signed_amount
from recon_matcher.models import MatchGroupRecord, TransactionRecord
from recon_matcher.reconciliation import states
from recon_matcher.reconciliation.groups import (
    LIVE_GROUP_STATUSES,
    OPEN,
    PROPOSED,
    REJECTED,
    UNMATCHED,
    dissolve_groups,
    group_contract,
    group_items,
    group_record,
    store_groups,
)
from recon_matcher.settings import MatcherSettings

log = structlog.get_logger(__name__)

MANUAL_PASS_NAME = "manual"  # noqa: S105 - a pass name, not a password


class OutsideTolerance(InvalidRequest):
    pass


class InvalidSelection(InvalidRequest):
    pass


def allowed_difference(
    definition: Definition, *, currency: str, side_a_total: Decimal
) -> Decimal:
    """Return the largest amount difference that the definition's passes accept.

    It is the widest of the tolerance passes' limits for `currency`, where a percent
    tolerance applies to the absolute side A total. A definition with only exact
    passes accepts no difference.
    """
    allowed = Decimal(0)
    for spec in definition.passes:
        tolerance_for = getattr(spec, "tolerance_for", None)
        if not callable(tolerance_for):
            continue
        limit: Decimal = tolerance_for(currency)
        percent: Decimal | None = getattr(spec, "amount_tolerance_percent", None)
        if percent is not None:
            limit = max(limit, abs(side_a_total) * percent / Decimal(100))
        allowed = max(allowed, limit)
    return allowed


def _totals(
    definition: Definition, records: Sequence[TransactionRecord]
) -> tuple[Decimal, Decimal, set[str], int]:
    side_a = Decimal(0)
    side_b = Decimal(0)
    currencies: set[str] = set()
    dates = []
    for record in records:
        item = Transaction.model_validate_json(record.body)
        amount = signed_amount(item)
        currencies.add(item.currency.upper())
        dates.append(item.value_date)
        if record.side == "b":
            flip = definition.side_b_sign is AmountSign.OPPOSITE
            side_b += -amount if flip else amount
        else:
            side_a += amount
    return side_a, side_b, currencies, (max(dates) - min(dates)).days


async def manual_match(
    session: AsyncSession,
    *,
    definition: Definition,
    request: ManualMatchRequest,
    actor: Actor,
    settings: MatcherSettings,
) -> ManualMatchOut:
    """Put open items of one reconciliation in a group that an operator made."""
    ids = sorted(set(request.transaction_ids))
    if len(ids) < 2:
        raise InvalidSelection("a manual match needs at least two different items")
    records = await lock_transactions(session, ids)
    # Read after the locks, so a write-off that locked them first is committed.
    current = await states.statuses(session, ids)
    for record in records:
        if record.reconciliation_id != definition.id:
            raise InvalidSelection(
                f"transaction {record.transaction_id!r} belongs to reconciliation "
                f"{record.reconciliation_id!r}, not {definition.id!r}"
            )
        status = current[record.transaction_id]
        if status != OPEN:
            raise _not_open(record.transaction_id, status)
    await _require_no_pending(session, ids)
    side_a, side_b, currencies, days_apart = _totals(definition, records)
    difference = side_a - side_b
    currency = next(iter(currencies)) if len(currencies) == 1 else None
    allowed = (
        allowed_difference(definition, currency=currency, side_a_total=side_a)
        if currency is not None
        else None
    )
    if not request.force:
        if currency is None:
            listed = ", ".join(sorted(currencies))
            raise InvalidSelection(
                f"the items are in several currencies ({listed}); "
                "select items of one currency, or set force with a reason"
            )
        if allowed is not None and abs(difference) > allowed:
            raise OutsideTolerance(
                f"the amounts differ by {abs(difference)} {currency} (side A "
                f"{side_a}, side B {side_b}), more than the {allowed} {currency} "
                f"that reconciliation {definition.id!r} accepts; correct the "
                "selection, or set force with a reason"
            )

    now = datetime.now(UTC)
    forced = request.force and (
        currency is None or (allowed is not None and abs(difference) > allowed)
    )
    sides = {record.side for record in records}
    if forced and len(sides) == 1:
        # Items of one side may net each other out, such as a booking and its
        # reversal, but only within the tolerance: force may not close them.
        side = (next(iter(sides)) or "?").upper()
        raise InvalidSelection(
            f"all items are on side {side} and do not net to "
            f"zero within the tolerance (they differ by {abs(difference)}); select "
            "items of both sides to force a match"
        )
    explanation = f"manual match by {actor.username}: {request.reason}"
    if forced:
        explanation += " (forced outside tolerance)"
    group = MatchGroup(
        group_id=str(uuid.uuid4()),
        reconciliation_id=definition.id,
        pass_name=MANUAL_PASS_NAME,
        transaction_ids=ids,
        score=Decimal(1),
        amount_difference=difference,
        days_apart=days_apart,
        explanation=explanation,
        matched_at=now,
        status=MatchGroupStatus.CONFIRMED,
        origin=GroupOrigin.MANUAL,
        definition_version=definition.stored_version,
    )
    row = group_record(group)
    row.created_by = actor.username
    row.reason = request.reason
    changes = MatchChanges()
    try:
        await store_groups(session, groups=[(group, row)], changes=changes, now=now)
    except IntegrityError as error:
        # Another transaction grouped an item after the status check above: a
        # manual match on SQLite, which ignores the row locks, or a matching run,
        # which does not take them. The primary key of the group items stopped it.
        raise await _matched_meanwhile(session, ids, actor=actor) from error
    # SQLite ignores the locks above, so a close request may have committed after
    # the first check. The insert took the write lock, so this read is current.
    await _require_no_pending(session, ids)
    await finish_action(
        session,
        settings=settings,
        actor=actor,
        action="match.manual",
        resource_type="match_group",
        resource_id=group.group_id,
        details={
            "reason": request.reason,
            "transaction_ids": ",".join(ids),
            "amount_difference": str(difference),
            "currency": currency or ",".join(sorted(currencies)),
            "forced": str(forced).lower(),
        },
        definition=definition,
        changes=changes,
    )
    log.info(
        "matcher.match.manual",
        group_id=group.group_id,
        items=len(ids),
        forced=forced,
        actor=actor.username,
    )
    return ManualMatchOut(
        group=group,
        amount_difference=difference,
        allowed_difference=allowed,
        forced=forced,
    )


async def _require_no_pending(session: AsyncSession, ids: Sequence[str]) -> None:
    # A match would close the break under a request that a second user may
    # still approve, and the approval would then fail on the closed break.
    for transaction_id in ids:
        pending = await pending_approval(session, transaction_id)
        if pending is not None:
            raise StateConflict(
                f"transaction {transaction_id!r} has pending request "
                f"{pending.approval_id} ({pending.action}); reject it before "
                "matching the item"
            )


def _not_open(transaction_id: str, status: str) -> StateConflict:
    return StateConflict(
        f"transaction {transaction_id!r} is {status}, not open; "
        "unmatch its group or reject the proposal first"
    )


async def _matched_meanwhile(
    session: AsyncSession, ids: Sequence[str], *, actor: Actor
) -> StateConflict:
    """Return the 409 for a manual match that lost the race for one of its items.

    The failed insert leaves the transaction unusable on PostgreSQL, so the states
    are read in a session of their own. The winning transaction has committed by
    then, because the database reports a duplicate key only after that commit.
    """
    async with AsyncSession(session.bind) as reader:
        current = await states.statuses(reader, ids)
    not_open_ids = [tid for tid in ids if current.get(tid, OPEN) != OPEN]
    log.info(
        "matcher.match.manual_conflict",
        transaction_ids=ids,
        not_open_ids=not_open_ids,
        actor=actor.username,
    )
    if not not_open_ids:
        return StateConflict(
            f"another action changed the items {', '.join(ids)} at the same time; "
            "reload the breaks and select the open items again"
        )
    return _not_open(not_open_ids[0], current[not_open_ids[0]])


async def unmatch(
    session: AsyncSession,
    *,
    definition: Definition,
    row: MatchGroupRecord,
    reason: str,
    actor: Actor,
    settings: MatcherSettings,
    action: str = "match.unmatch",
) -> list[str]:
    """Dissolve a live group and return its items to open breaks."""
    # A rejection dissolves only a proposal, an unmatch any live group.
    await claim_group(
        session,
        row.group_id,
        statuses={PROPOSED} if action == "match.reject" else LIVE_GROUP_STATUSES,
    )
    changes = MatchChanges()
    item_ids = await dissolve_groups(
        session,
        rows=[row],
        definition=definition,
        settings=settings,
        changes=changes,
        now=datetime.now(UTC),
        tombstone=REJECTED if action == "match.reject" else UNMATCHED,
    )
    await finish_action(
        session,
        settings=settings,
        actor=actor,
        action=action,
        resource_type="match_group",
        resource_id=row.group_id,
        details={
            "reason": reason,
            "transaction_ids": ",".join(sorted(item_ids)),
            "pass_name": row.pass_name,
            "origin": row.origin,
        },
        definition=definition,
        changes=changes,
    )
    log.info(
        "matcher.group.dissolved",
        group_id=row.group_id,
        action=action,
        actor=actor.username,
    )
    return item_ids


async def load_group(session: AsyncSession, group_id: str) -> MatchGroupRecord:
    """Return a live group locked for update, or raise 404."""
    return await get_group(session, group_id)


async def confirm_group(
    session: AsyncSession,
    *,
    definition: Definition,
    row: MatchGroupRecord,
    reason: str | None,
    actor: Actor,
    settings: MatcherSettings,
) -> MatchGroup:
    """Confirm a proposed group, which a re-run then leaves alone."""
    _require_proposed(row)
    await claim_group(session, row.group_id, statuses={PROPOSED})
    item_ids = await group_items(session, row.group_id)
    # The items read as matched from now on, because their state follows the group.
    row.status = MatchGroupStatus.CONFIRMED.value
    row.reviewed_by = actor.username
    contract = group_contract(row, item_ids)
    changes = MatchChanges(groups=[contract])
    await finish_action(
        session,
        settings=settings,
        actor=actor,
        action="match.confirm",
        resource_type="match_group",
        resource_id=row.group_id,
        details={"reason": reason or "", "transaction_ids": ",".join(item_ids)},
        definition=definition,
        changes=changes,
    )
    log.info(
        "matcher.group.confirmed",
        group_id=row.group_id,
        items=len(item_ids),
        actor=actor.username,
    )
    return contract


async def reject_group(
    session: AsyncSession,
    *,
    definition: Definition,
    row: MatchGroupRecord,
    reason: str,
    actor: Actor,
    settings: MatcherSettings,
) -> list[str]:
    """Reject a proposed group: dissolve it and reopen its items' breaks."""
    _require_proposed(row)
    return await unmatch(
        session,
        definition=definition,
        row=row,
        reason=reason,
        actor=actor,
        settings=settings,
        action="match.reject",
    )


def _require_proposed(row: MatchGroupRecord) -> None:
    if row.status != PROPOSED:
        raise not_proposed(row.group_id, row.status)
