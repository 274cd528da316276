"""Transaction search: cursors and the redacted view of a row."""

import base64
import binascii
import json
from datetime import date

from recon_common.errors import InvalidRequest

from recon_reporting.access.redaction import AccountMasker
from recon_reporting.models import ReportTransaction, TransactionStatus
from recon_reporting.reconciliations.repository import INTRADAY_FORMATS
from recon_reporting.transactions.schemas import ListedStatus, TransactionOut


class InvalidCursor(InvalidRequest):
    pass


def encode_cursor(row: ReportTransaction) -> str:
    """Return the opaque cursor that continues after `row`."""
    key = json.dumps([row.value_date.isoformat(), row.transaction_id])
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[date, str]:
    """Return the value date and id that `cursor` continues after."""
    padded = cursor + "=" * (-len(cursor) % 4)
    try:
        value_date, transaction_id = json.loads(base64.urlsafe_b64decode(padded))
        return date.fromisoformat(value_date), str(transaction_id)
    except (binascii.Error, ValueError, TypeError):
        raise InvalidCursor(
            f"invalid cursor {cursor!r}: pass the next_cursor of a previous page"
        ) from None


def listed_status(row: ReportTransaction) -> ListedStatus:
    """Return the API status of `row`: `intraday` for an unassigned intraday entry."""
    unassigned = row.status == TransactionStatus.UNASSIGNED.value
    if unassigned and row.source_format in INTRADAY_FORMATS:
        return ListedStatus.INTRADAY
    return ListedStatus(row.status)


def transaction_out(row: ReportTransaction, *, masker: AccountMasker) -> TransactionOut:
    """Return the view of `row` that the masker's user may see."""
    tid = row.transaction_id
    # NOTE: remittance_info is free text shown as received, so an IBAN written
    # inside it by the payer is not redacted.
    account = masker.show(row.account, resource_id=tid, field="account")
    counterparty = masker.show(
        row.counterparty_account, resource_id=tid, field="counterparty_account"
    )
    return TransactionOut(
        transaction_id=tid,
        file_id=row.file_id,
        source_format=row.source_format,
        record_kind=row.record_kind,
        account=account or "",
        currency=row.currency,
        amount=row.amount,
        direction=row.direction,
        value_date=row.value_date,
        booking_date=row.booking_date,
        reversal=row.reversal,
        bank_reference=row.bank_reference,
        customer_reference=row.customer_reference,
        end_to_end_id=row.end_to_end_id,
        counterparty_name=row.counterparty_name,
        counterparty_account=counterparty,
        remittance_info=row.remittance_info,
        status=listed_status(row),
        reconciliation_id=row.reconciliation_id,
        group_id=row.group_id,
        redacted=not masker.unredacted,
    )
