"""Request and response models of the operator actions."""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints
from recon_common.events import MatchGroup

# Text that people read later, such as a reason or a comment. Spaces around it are
# dropped, so text of only spaces is rejected as empty, as the web forms do.
Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)
]


class ActionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ManualMatchRequest(ActionRequest):
    """Open items to put in one group, with the operator's reason."""

    transaction_ids: list[str] = Field(min_length=2, max_length=500)
    reason: Text
    # Match even when the amounts differ by more than the definition's tolerance or
    # the currencies differ. The reason must then explain why.
    force: bool = False


class ReasonRequest(ActionRequest):
    reason: Text


class OptionalReasonRequest(ActionRequest):
    reason: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None
    ) = None


class CommentRequest(ActionRequest):
    body: Text


class AssignRequest(ActionRequest):
    """The user to assign the break to; None returns it to the open queue."""

    assignee: (
        Annotated[
            str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
        ]
        | None
    )


class CloseAction(StrEnum):
    """The way an approved request ends a break."""

    WRITE_OFF = "write_off"
    FORCE_CLOSE = "force_close"


class CloseRequest(ActionRequest):
    action: CloseAction
    reason: Text


class ApprovalState(StrEnum):
    """The state of a write-off or force-close request.

    A user approves or rejects a pending request. A matching run withdraws it when
    it puts the request's item in a live group, because the break it would end is
    closed then. Every state other than pending is final.
    """

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class ApprovalOut(BaseModel):
    """A write-off or force-close request and its decision."""

    model_config = ConfigDict(from_attributes=True)

    approval_id: str
    transaction_id: str
    action: CloseAction
    reason: str
    state: ApprovalState
    requested_by: str
    requested_at: AwareDatetime
    decided_by: str | None
    decided_at: AwareDatetime | None
    decision_note: str | None


class PlannedWithdrawal(BaseModel):
    """A pending request that an applied re-run would withdraw."""

    model_config = ConfigDict(frozen=True)

    approval_id: str
    transaction_id: str
    # write_off or force_close
    action: str
    # The live group that would contain the item: a group that the re-run forms,
    # or the group that contains it now and that the re-run keeps.
    group_id: str


class RerunOut(BaseModel):
    """The changes of a re-run, or with `dry_run` the changes it would make."""

    reconciliation_id: str
    value_date_from: date
    value_date_to: date
    dry_run: bool
    # Items in the range that the re-run considered: open items, items of groups
    # that no operator made or confirmed, and the transactions that `items_adopted`
    # counts.
    items_considered: int
    # Unassigned transactions in the range that the definition selects. An applied
    # re-run assigns them to the reconciliation, and a dry run only counts them.
    # The count is the plan's, so a transaction that another adoption took between
    # planning and applying is counted but stays with that adoption.
    items_adopted: int
    groups_kept: int
    groups_formed: list[MatchGroup]
    dissolved_group_ids: list[str]
    open_breaks_after: int
    # The pending write-off and force-close requests that applying withdraws,
    # each with the group that would hold its item.
    withdrawn_requests: list[PlannedWithdrawal]
    ran_at: datetime


class ManualMatchOut(BaseModel):
    """The group a manual match formed and the amount difference it accepted."""

    group: MatchGroup
    amount_difference: Decimal
    allowed_difference: Decimal | None
    forced: bool
