"""Decide which definitions, and which side of each, a transaction belongs to."""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from recon_common.events import Transaction

from recon_matcher.definitions.models import (
    Definition,
    Side,
    SideFilter,
    normalize_account,
)


@dataclass(frozen=True, slots=True)
class Assignment:
    """A definition and the side of it that a transaction belongs to."""

    definition: Definition
    side: Side


def matches_filter(side_filter: SideFilter, transaction: Transaction) -> bool:
    """Return whether `transaction` passes every condition of `side_filter`."""
    if transaction.record_kind is not side_filter.record_kind:
        return False
    if (
        side_filter.currencies
        and transaction.currency.upper() not in side_filter.currencies
    ):
        return False
    if (
        side_filter.source_formats
        and transaction.source_format not in side_filter.source_formats
    ):
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
