"""Builders for small hand-written engine cases."""

from datetime import date
from decimal import Decimal
from typing import Any

from recon_common.events import Direction, RecordKind, Transaction
from recon_matcher.definitions import (
    AccountPair,
    Definition,
    ExactPass,
    FuzzyPass,
    SideFilter,
    TolerancePass,
)

STATEMENT_ACCOUNT = "NL91ABNA0417164300"
LEDGER_ACCOUNT = "100200"
BANK_ID = "bank-1"


def item(
    transaction_id: str,
    amount: str,
    *,
    kind: RecordKind = RecordKind.STATEMENT,
    currency: str = "EUR",
    value_date: date = date(2024, 3, 1),
    reference: str | None = None,
    account: str | None = None,
    **fields: Any,
) -> Transaction:
    """Return a transaction; a negative `amount` becomes a debit."""
    value = Decimal(amount)
    default_account = (
        STATEMENT_ACCOUNT if kind is RecordKind.STATEMENT else LEDGER_ACCOUNT
    )
    return Transaction(
        transaction_id=transaction_id,
        bank_id=BANK_ID,
        file_id="file-1",
        source_format="mt940" if kind is RecordKind.STATEMENT else "ledger-csv",
        record_kind=kind,
        account=account or default_account,
        currency=currency,
        amount=abs(value),
        direction=Direction.DEBIT if value < 0 else Direction.CREDIT,
        value_date=value_date,
        customer_reference=reference,
        source_location="line 1",
        **fields,
    )


def ledger(transaction_id: str, amount: str, **fields: Any) -> Transaction:
    """Return a ledger-side transaction."""
    return item(transaction_id, amount, kind=RecordKind.LEDGER, **fields)


def definition(
    *passes: ExactPass | TolerancePass | FuzzyPass, **fields: Any
) -> Definition:
    """Return a statement-against-ledger definition with the given passes."""
    values: dict[str, Any] = {
        "id": "nostro-eur",
        "name": "Nostro EUR",
        "bank_id": BANK_ID,
        "side_a": SideFilter(
            record_kind=RecordKind.STATEMENT, accounts=[STATEMENT_ACCOUNT]
        ),
        "side_b": SideFilter(record_kind=RecordKind.LEDGER, accounts=[LEDGER_ACCOUNT]),
        "account_pairs": [AccountPair(side_a=STATEMENT_ACCOUNT, side_b=LEDGER_ACCOUNT)],
        "passes": list(passes),
    }
    values.update(fields)
    return Definition(**values)


def exact(**fields: Any) -> ExactPass:
    """Return an exact pass named `exact` unless a name is given."""
    return ExactPass.model_validate({"name": "exact", "kind": "exact", **fields})


def tolerance(**fields: Any) -> TolerancePass:
    """Return a tolerance pass named `tolerance` unless a name is given."""
    return TolerancePass.model_validate(
        {"name": "tolerance", "kind": "tolerance", **fields}
    )


def fuzzy(**fields: Any) -> FuzzyPass:
    """Return a fuzzy reference pass named `fuzzy` unless a name is given."""
    return FuzzyPass.model_validate({"name": "fuzzy", "kind": "fuzzy", **fields})
