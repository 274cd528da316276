"""Transactions, groups, a definition and settings for the storage tests."""

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import SecretStr
from recon_common.events import (
    BreakAgeBasis,
    Direction,
    MatchGroup,
    MatchGroupStatus,
    RecordKind,
    Transaction,
)
from recon_common.settings import Environment
from recon_matcher.definitions import AccountPair, Definition, ExactPass, SideFilter
from recon_matcher.models import TransactionRecord
from recon_matcher.reconciliation import states
from recon_matcher.reconciliation.service import transaction_values
from recon_matcher.settings import MatcherSettings
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

RECONCILIATION_ID = "nostro-eur"
STATEMENT_ACCOUNT = "NL91ABNA0417164300"
LEDGER_ACCOUNT = "100200"
START = datetime(2026, 11, 2, 8, tzinfo=UTC)
# Amounts that fall in every amount band, negative ones included.
AMOUNTS = ("12.50", "-999.99", "1000.00", "45000.10", "-250000", "3000000.001")

Sessions = async_sessionmaker[AsyncSession]


def definition() -> Definition:
    """Return a definition of one statement account against one ledger account."""
    return Definition(
        id=RECONCILIATION_ID,
        name="Nostro EUR",
        bank_id="bank-1",
        side_a=SideFilter(
            record_kind=RecordKind.STATEMENT, accounts=[STATEMENT_ACCOUNT]
        ),
        side_b=SideFilter(record_kind=RecordKind.LEDGER, accounts=[LEDGER_ACCOUNT]),
        account_pairs=[AccountPair(side_a=STATEMENT_ACCOUNT, side_b=LEDGER_ACCOUNT)],
        passes=[ExactPass.model_validate({"name": "reference", "kind": "exact"})],
    )


def transaction(number: int) -> Transaction:
    """Return `t<number>`: odd numbers on the statement, even ones on the ledger."""
    statement = number % 2 == 1
    return Transaction(
        transaction_id=f"t{number:03d}",
        bank_id="bank-1",
        file_id=f"file-{number // 20}",
        source_format="mt940" if statement else "ledger-csv",
        record_kind=RecordKind.STATEMENT if statement else RecordKind.LEDGER,
        account=STATEMENT_ACCOUNT if statement else LEDGER_ACCOUNT,
        currency="EUR",
        amount=Decimal(AMOUNTS[number % len(AMOUNTS)]),
        direction=Direction.CREDIT,
        value_date=date(2026, 10, 1) + timedelta(days=number % 9),
        customer_reference=f"INV-{number}",
        source_location=f"line {number}",
    )


def transaction_row(number: int, *, received_at: datetime) -> dict[str, Any]:
    """Return the row of `t<number>`, assigned and open, as the service stores it."""
    item = transaction(number)
    return transaction_values(item, received_at=received_at) | {
        "reconciliation_id": RECONCILIATION_ID,
        "side": "a" if number % 2 == 1 else "b",
    }


def reference_row(number: int, *, received_at: datetime) -> dict[str, Any]:
    """Return the row of `t<number>` built field by field, as the ORM path did."""
    item = transaction(number)
    return {
        "transaction_id": item.transaction_id,
        "bank_id": item.bank_id,
        "file_id": item.file_id,
        "record_kind": item.record_kind.value,
        "account": item.account,
        "currency": item.currency,
        "amount": item.amount,
        "value_date": item.value_date,
        "body": item.model_dump_json(),
        "received_at": received_at,
        "reconciliation_id": RECONCILIATION_ID,
        "side": "a" if number % 2 == 1 else "b",
    }


def group(
    group_id: str,
    numbers: Sequence[int],
    *,
    at: datetime,
    proposed: bool = False,
) -> MatchGroup:
    """Return an engine group of transactions `numbers`."""
    return MatchGroup(
        group_id=group_id,
        reconciliation_id=RECONCILIATION_ID,
        pass_name="reference",
        transaction_ids=[f"t{number:03d}" for number in numbers],
        score=Decimal("0.95") if proposed else Decimal(1),
        amount_difference=Decimal("0.01") if proposed else Decimal(0),
        days_apart=len(numbers) - 1,
        explanation=f"group of {len(numbers)} items",
        matched_at=at,
        status=MatchGroupStatus.PROPOSED if proposed else MatchGroupStatus.CONFIRMED,
    )


def ids(*numbers: int) -> list[str]:
    """Return the transaction ids of `numbers`."""
    return [f"t{number:03d}" for number in numbers]


def settings(basis: BreakAgeBasis) -> MatcherSettings:
    """Return matcher settings whose breaks age from `basis`."""
    return MatcherSettings(
        environment=Environment.TEST,
        bank_id="bank-1",
        service_token=SecretStr("s" * 40),
        default_break_age_basis=basis,
    )


async def open_records(session: AsyncSession) -> dict[str, TransactionRecord]:
    """Return the open transactions by id, loaded as the service loads them."""
    rows = await session.scalars(select(TransactionRecord).where(states.is_open()))
    return {row.transaction_id: row for row in rows}
