"""Event contracts: the envelope and one payload model per Kafka topic.

Every message on every topic is an `Envelope` serialized as JSON. The envelope id is the
idempotency key that consumers record in their processed-event table, and `bank_id` lets
a consumer reject an event meant for another bank's deployment. Payloads that can grow
with a file (transactions, match results) are split into chunks by the producer, each
chunk its own envelope, so no message approaches the broker's size limit.
"""

import builtins
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Final, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, PlainSerializer

SCHEMA_VERSION: Final = 1

TOPIC_FILE_LANDED: Final = "file-landed"
TOPIC_TRANSACTIONS_PARSED: Final = "transactions-parsed"
TOPIC_MATCHES_PRODUCED: Final = "matches-produced"
TOPIC_AUDIT_EVENTS: Final = "audit-events"
DEAD_LETTER_SUFFIX: Final = ".dlq"

# Decimals travel as strings so that no JSON reader turns them into floats.
Money = Annotated[Decimal, PlainSerializer(lambda value: str(value), return_type=str)]


class Contract(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


ContractT = TypeVar("ContractT", bound=Contract)


class RecordKind(StrEnum):
    STATEMENT = "statement"
    LEDGER = "ledger"


class Direction(StrEnum):
    CREDIT = "credit"
    DEBIT = "debit"


class FileStatus(StrEnum):
    LANDED = "landed"
    PARSED = "parsed"
    REJECTED = "rejected"


class Transaction(Contract):
    """One normalized statement line or ledger entry."""

    transaction_id: str
    bank_id: str
    file_id: str
    source_format: str
    record_kind: RecordKind
    account: str
    currency: str
    amount: Money
    direction: Direction
    value_date: date
    booking_date: date | None = None
    reversal: bool = False
    statement_id: str | None = None
    statement_sequence: str | None = None
    bank_reference: str | None = None
    customer_reference: str | None = None
    end_to_end_id: str | None = None
    counterparty_name: str | None = None
    counterparty_account: str | None = None
    remittance_info: str | None = None
    bank_transaction_code: str | None = None
    source_location: str


class Balance(Contract):
    amount: Money
    currency: str
    date: date


class StatementInfo(Contract):
    """Header and balances of one statement inside a file."""

    account: str
    statement_id: str | None = None
    sequence: str | None = None
    opening_booked: Balance | None = None
    closing_booked: Balance | None = None
    closing_available: Balance | None = None
    transaction_count: int
    balance_checked: bool
    warnings: list[str] = Field(default_factory=list)
    source_location: str


class FileRef(Contract):
    """A landed file as other services see it."""

    file_id: str
    filename: str
    sha256: str
    size_bytes: int
    landed_at: AwareDatetime
    status: FileStatus
    source_format: str | None = None
    record_kind: RecordKind | None = None
    transaction_count: int = 0
    rejection_reason: str | None = None
    # Problems found in a kept file, such as balances that do not add up. Events
    # from before this field parse with an empty list.
    warnings: list[str] = Field(default_factory=list)


class FileLanded(Contract):
    file: FileRef
    object_key: str
    uploaded_by: str


class TransactionsParsed(Contract):
    file: FileRef
    chunk_index: int
    chunk_count: int
    statements: list[StatementInfo] = Field(default_factory=list)
    transactions: list[Transaction] = Field(default_factory=list)


class BreakReason(StrEnum):
    NO_COUNTERPART = "no_counterpart"
    AMOUNT_OUTSIDE_TOLERANCE = "amount_outside_tolerance"
    DATE_OUTSIDE_WINDOW = "date_outside_window"
    SUSPECTED_DUPLICATE = "suspected_duplicate"


class BreakState(StrEnum):
    """The handling state of a break. Closed and written-off breaks are finished."""

    OPEN = "open"
    ASSIGNED = "assigned"
    WRITTEN_OFF = "written_off"
    CLOSED = "closed"


class BreakAgeBasis(StrEnum):
    """The date a break's age counts from: the item's value date or its arrival."""

    VALUE_DATE = "value_date"
    ARRIVAL = "arrival"


class MatchGroupStatus(StrEnum):
    """Whether a group is confirmed or waits for an operator's review."""

    CONFIRMED = "confirmed"
    PROPOSED = "proposed"


class GroupOrigin(StrEnum):
    """The origin of a group: a pass of the engine or an operator."""

    ENGINE = "engine"
    MANUAL = "manual"


class MatchGroup(Contract):
    group_id: str
    reconciliation_id: str
    pass_name: str
    transaction_ids: list[str]
    score: Money
    amount_difference: Money
    days_apart: int
    explanation: str
    matched_at: AwareDatetime
    status: MatchGroupStatus = MatchGroupStatus.CONFIRMED
    origin: GroupOrigin = GroupOrigin.ENGINE
    # The stored version of the reconciliation definition whose passes formed the
    # group, or whose tolerance a manual match was checked against. None in
    # messages of older matcher versions and for definitions read from a file only.
    definition_version: int | None = None


class Break(Contract):
    transaction_id: str
    reconciliation_id: str
    side: str
    reason: BreakReason
    opened_at: AwareDatetime
    state: BreakState = BreakState.OPEN
    assignee: str | None = None
    age_basis: BreakAgeBasis = BreakAgeBasis.VALUE_DATE
    # The date the age counts from, per `age_basis`. None in messages of older
    # matcher versions.
    age_date: date | None = None
    amount_band: str | None = None
    # The pending write-off or force-close request, if there is one.
    pending_approval_id: str | None = None
    pending_action: str | None = None
    requested_by: str | None = None


class Comment(Contract):
    """An operator's note on a break (`target_type` break) or a match group."""

    comment_id: str
    target_type: str
    target_id: str
    author: str
    body: str
    created_at: AwareDatetime


class ReconciliationSummary(Contract):
    reconciliation_id: str
    name: str
    transactions: int
    matched: int
    open_breaks: int


class MatchesProduced(Contract):
    run_id: str
    chunk_index: int
    chunk_count: int
    files: list[FileRef] = Field(default_factory=list)
    transactions: list[Transaction] = Field(default_factory=list)
    groups: list[MatchGroup] = Field(default_factory=list)
    opened_breaks: list[Break] = Field(default_factory=list)
    closed_break_ids: list[str] = Field(default_factory=list)
    summaries: list[ReconciliationSummary] = Field(default_factory=list)
    # Groups that an unmatch, a rejection or a re-run removed. Their items come back
    # as `opened_breaks` in the same message.
    dissolved_group_ids: list[str] = Field(default_factory=list)
    # Breaks whose state, assignee or pending approval changed.
    updated_breaks: list[Break] = Field(default_factory=list)
    comments: list[Comment] = Field(default_factory=list)
    # The operator action behind this message; None for a matching run.
    action: str | None = None
    actor: str | None = None


class AuditOutcome(StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"


class AuditEvent(Contract):
    actor: str
    action: str
    outcome: AuditOutcome
    resource_type: str
    resource_id: str
    details: dict[str, str] = Field(default_factory=dict)
    occurred_at: AwareDatetime


PAYLOAD_BY_TOPIC: Final[dict[str, type[Contract]]] = {
    TOPIC_FILE_LANDED: FileLanded,
    TOPIC_TRANSACTIONS_PARSED: TransactionsParsed,
    TOPIC_MATCHES_PRODUCED: MatchesProduced,
    TOPIC_AUDIT_EVENTS: AuditEvent,
}


class Envelope(BaseModel):
    """The wrapper around every payload: id, type, source, time, bank and version."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: str
    source: str
    time: AwareDatetime = Field(default_factory=lambda: datetime.now(UTC))
    bank_id: str
    schema_version: int = SCHEMA_VERSION
    data: dict[str, Any]

    @classmethod
    def wrap(
        cls, *, topic: str, source: str, bank_id: str, payload: Contract
    ) -> "Envelope":
        """Build an envelope for `payload`, which must be the model of `topic`."""
        _check_payload(topic, payload)
        return cls(
            type=topic,
            source=source,
            bank_id=bank_id,
            data=payload.model_dump(mode="json"),
        )

    @classmethod
    def encode(
        cls, *, topic: str, source: str, bank_id: str, payload: Contract
    ) -> tuple[uuid.UUID, str]:
        """Return the id and the JSON text of a new envelope for `payload`.

        The text has the content of `wrap(...).model_dump_json()`, but the payload
        is serialized straight to JSON once, without first becoming a tree of
        Python values.
        """
        _check_payload(topic, payload)
        header = cls(type=topic, source=source, bank_id=bank_id, data={})
        # A JSON object of the other fields: it ends with "}" and is not empty.
        head = header.model_dump_json(exclude={"data"})
        return header.id, f'{head[:-1]},"data":{payload.model_dump_json()}}}'

    def payload(self, model: builtins.type[ContractT]) -> ContractT:
        """Validate and return the payload as `model`."""
        return model.model_validate(self.data)


def _check_payload(topic: str, payload: Contract) -> None:
    expected = PAYLOAD_BY_TOPIC[topic]
    if not isinstance(payload, expected):
        raise TypeError(
            f"topic {topic} carries {expected.__name__}, not {type(payload).__name__}"
        )
