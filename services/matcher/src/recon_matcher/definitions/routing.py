"""Decide which definitions, and which side of each, a transaction belongs to.

Intraday reports (MT942, camt.052) repeat entries that the end-of-day statement
(MT940, MT950, camt.053) of the same account carries again, and that statement is
what a reconciliation matches. So a side takes intraday entries only when its
`source_formats` names their format. Other intraday entries stay unassigned, and
the summary counts them apart from the transactions that lack a definition.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from recon_common.events import Transaction

from recon_matcher.definitions.models import (
    Definition,
    Side,
    SideFilter,
    normalize_account,
)

# The `source_format` values of intraday reports, as the ingest parsers name them.
# The reporting service keeps the same set for its summary.
INTRADAY_FORMATS: Final = frozenset({"mt942", "camt.052"})


def is_intraday(source_format: str) -> bool:
    """Return whether `source_format` is an intraday report format."""
    return source_format in INTRADAY_FORMATS


@dataclass(frozen=True, slots=True)
class Assignment:
    """A definition and the side of it that a transaction belongs to."""

    definition: Definition
    side: Side


def matches_filter(side_filter: SideFilter, transaction: Transaction) -> bool:
    """Return whether `transaction` passes every condition of `side_filter`.

    An intraday entry passes only a filter whose `source_formats` names its format.
    """
    if transaction.record_kind is not side_filter.record_kind:
        return False
    if (
        side_filter.currencies
        and transaction.currency.upper() not in side_filter.currencies
    ):
        return False
    if side_filter.source_formats:
        if transaction.source_format not in side_filter.source_formats:
            return False
    elif is_intraday(transaction.source_format):
        return False
    account = normalize_account(transaction.account)
    if account in side_filter.accounts:
        return True
    pattern = side_filter.account_pattern
    return pattern is not None and re.fullmatch(pattern, account) is not None


def side_of(definition: Definition, transaction: Transaction) -> Side | None:
    """Return the side of `definition` that `transaction` belongs to, if any.

    A transaction of another bank belongs to no side. When both filters accept the
    transaction, side A wins, because a definition whose sides overlap would match
    an item against itself otherwise.
    """
    if transaction.bank_id != definition.bank_id:
        return None
    for side in (Side.A, Side.B):
        if matches_filter(definition.side_filter(side), transaction):
            return side
    return None


def assign(
    transaction: Transaction, definitions: Iterable[Definition]
) -> list[Assignment]:
    """Return every definition that `transaction` belongs to, with its side."""
    found: list[Assignment] = []
    for definition in definitions:
        side = side_of(definition, transaction)
        if side is not None:
            found.append(Assignment(definition=definition, side=side))
    return found
