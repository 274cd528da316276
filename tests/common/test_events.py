"""Tests for the event envelope and the payload contracts."""

import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError
from recon_common.events import (
    TOPIC_AUDIT_EVENTS,
    TOPIC_FILE_LANDED,
    TOPIC_TRANSACTIONS_PARSED,
    AuditEvent,
    AuditOutcome,
    Direction,
    Envelope,
    FileLanded,
    FileRef,
    FileStatus,
    RecordKind,
    Transaction,
    TransactionsParsed,
)

BANK_ID = "bank-a"
LANDED_AT = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)
# More digits than a float holds: 20 integer digits and 9 decimals.
EXACT_AMOUNT = Decimal("12345678901234567890.123456789")


def _file_ref() -> FileRef:
    return FileRef(
        file_id="file-1",
        filename="statement.mt940",
        sha256="0" * 64,
        size_bytes=512,
        landed_at=LANDED_AT,
        status=FileStatus.PARSED,
    )


def _transaction(amount: Decimal) -> Transaction:
    return Transaction(
        transaction_id="tx-1",
        bank_id=BANK_ID,
        file_id="file-1",
        source_format="mt940",
        record_kind=RecordKind.STATEMENT,
        account="DE89370400440532013000",
        currency="EUR",
        amount=amount,
        direction=Direction.CREDIT,
        value_date=date(2026, 12, 3),
        source_location="line 7",
    )


def _parsed(amount: Decimal) -> TransactionsParsed:
    return TransactionsParsed(
        file=_file_ref(),
        chunk_index=0,
        chunk_count=1,
        transactions=[_transaction(amount)],
    )


def _audit(occurred_at: datetime = LANDED_AT) -> AuditEvent:
    return AuditEvent(
        actor="ingest",
        action="file.landed",
        outcome=AuditOutcome.SUCCESS,
        resource_type="file",
        resource_id="file-1",
        occurred_at=occurred_at,
    )


def test_envelope_json_round_trip_keeps_decimal_exact() -> None:
    envelope = Envelope.wrap(
        topic=TOPIC_TRANSACTIONS_PARSED,
        source="ingest",
        bank_id=BANK_ID,
        payload=_parsed(EXACT_AMOUNT),
    )

    text = envelope.model_dump_json()
    decoded = Envelope.model_validate_json(text)
    payload: TransactionsParsed = decoded.payload(TransactionsParsed)

    assert decoded == envelope
    assert payload.transactions[0].amount == EXACT_AMOUNT
    assert isinstance(payload.transactions[0].amount, Decimal)


def test_envelope_json_carries_amount_as_string() -> None:
    envelope = Envelope.wrap(
        topic=TOPIC_TRANSACTIONS_PARSED,
        source="ingest",
        bank_id=BANK_ID,
        payload=_parsed(Decimal("10.50")),
    )

    raw = json.loads(envelope.model_dump_json())

    assert raw["data"]["transactions"][0]["amount"] == "10.50"


def test_envelope_wrap_sets_header_fields() -> None:
    envelope = Envelope.wrap(
        topic=TOPIC_AUDIT_EVENTS, source="ingest", bank_id=BANK_ID, payload=_audit()
    )

    assert envelope.type == TOPIC_AUDIT_EVENTS
    assert envelope.source == "ingest"
    assert envelope.bank_id == BANK_ID
    assert envelope.schema_version == 1
    assert isinstance(envelope.id, uuid.UUID)
    assert envelope.time.tzinfo is not None


def test_envelope_wrap_gives_each_event_new_id() -> None:
    first = Envelope.wrap(
        topic=TOPIC_AUDIT_EVENTS, source="ingest", bank_id=BANK_ID, payload=_audit()
    )
    second = Envelope.wrap(
        topic=TOPIC_AUDIT_EVENTS, source="ingest", bank_id=BANK_ID, payload=_audit()
    )

    assert first.id != second.id


def test_envelope_wrap_wrong_payload_rejected() -> None:
    with pytest.raises(TypeError, match="topic file-landed carries FileLanded"):
        Envelope.wrap(
            topic=TOPIC_FILE_LANDED, source="ingest", bank_id=BANK_ID, payload=_audit()
        )


def test_envelope_encode_matches_wrap() -> None:
    payload = _parsed(EXACT_AMOUNT)
    wrapped = Envelope.wrap(
        topic=TOPIC_TRANSACTIONS_PARSED,
        source="ingest",
        bank_id=BANK_ID,
        payload=payload,
    )

    event_id, text = Envelope.encode(
        topic=TOPIC_TRANSACTIONS_PARSED,
        source="ingest",
        bank_id=BANK_ID,
        payload=payload,
    )
    decoded = Envelope.model_validate_json(text)

    assert decoded.id == event_id
    assert decoded.type == TOPIC_TRANSACTIONS_PARSED
    assert decoded.source == "ingest"
    assert decoded.bank_id == BANK_ID
    assert decoded.schema_version == wrapped.schema_version
    assert decoded.data == wrapped.data
    assert list(json.loads(text)) == list(json.loads(wrapped.model_dump_json()))
    assert decoded.payload(TransactionsParsed).transactions[0].amount == EXACT_AMOUNT


def test_envelope_encode_wrong_payload_rejected() -> None:
    with pytest.raises(TypeError, match="topic file-landed carries FileLanded"):
        Envelope.encode(
            topic=TOPIC_FILE_LANDED, source="ingest", bank_id=BANK_ID, payload=_audit()
        )


def test_envelope_payload_as_other_model_rejected() -> None:
    envelope = Envelope.wrap(
        topic=TOPIC_FILE_LANDED,
        source="ingest",
        bank_id=BANK_ID,
        payload=FileLanded(
            file=_file_ref(), object_key="landed/file-1", uploaded_by="sftp-user"
        ),
    )

    with pytest.raises(ValidationError):
        envelope.payload(AuditEvent)


def test_envelope_extra_field_rejected() -> None:
    envelope = Envelope.wrap(
        topic=TOPIC_AUDIT_EVENTS, source="ingest", bank_id=BANK_ID, payload=_audit()
    )
    raw = json.loads(envelope.model_dump_json())
    raw["priority"] = "high"

    with pytest.raises(ValidationError, match="priority"):
        Envelope.model_validate_json(json.dumps(raw))


def test_contract_extra_field_rejected() -> None:
    envelope = Envelope.wrap(
        topic=TOPIC_AUDIT_EVENTS, source="ingest", bank_id=BANK_ID, payload=_audit()
    )
    data = {**envelope.data, "password": "hunter2"}
    tampered = envelope.model_copy(update={"data": data})

    with pytest.raises(ValidationError, match="password"):
        tampered.payload(AuditEvent)


def test_envelope_naive_time_rejected() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        Envelope(
            type=TOPIC_AUDIT_EVENTS,
            source="ingest",
            bank_id=BANK_ID,
            time=datetime(2026, 12, 4, 9, 30),
            data={},
        )


def test_envelope_naive_time_in_json_rejected() -> None:
    envelope = Envelope.wrap(
        topic=TOPIC_AUDIT_EVENTS, source="ingest", bank_id=BANK_ID, payload=_audit()
    )
    raw = json.loads(envelope.model_dump_json())
    raw["time"] = "2026-12-04T09:30:00"

    with pytest.raises(ValidationError, match="timezone"):
        Envelope.model_validate_json(json.dumps(raw))


def test_audit_event_naive_occurred_at_rejected() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        _audit(occurred_at=datetime(2026, 12, 4, 9, 30))


def test_envelope_is_immutable() -> None:
    envelope = Envelope.wrap(
        topic=TOPIC_AUDIT_EVENTS, source="ingest", bank_id=BANK_ID, payload=_audit()
    )

    with pytest.raises(ValidationError, match="frozen"):
        envelope.bank_id = "bank-b"  # type: ignore[misc]
