"""Warnings about definitions that would select the same transactions.

A transaction that several definitions select goes to the one whose id sorts
first (see `routing`), so a new definition with another one's accounts can take
that one's items without an error. Saving such a definition is still allowed,
because moving accounts between definitions is a normal change, but the API
returns a warning that names the other definition.
"""

import re
from collections.abc import Iterable

from recon_matcher.definitions.models import Definition, Side, SideFilter
from recon_matcher.definitions.routing import is_intraday


def overlap_warnings(definition: Definition, others: Iterable[Definition]) -> list[str]:
    """Return one warning per side of another definition that shares accounts.

    Two sides overlap when three things hold. Their record kinds are equal. Their
    currency and source format filters leave a value in common, where an empty
    filter takes every value (every source format except the intraday ones). And an
    account listed on one is listed on the other or matches its `account_pattern`.
    Two patterns are not compared with each other. The warnings
    count the accounts instead of naming them, because account numbers are
    redacted wherever people read the API's responses.
    """
    warnings: list[str] = []
    for other in sorted(others, key=lambda item: item.id):
        if other.id == definition.id or other.bank_id != definition.bank_id:
            continue
        for side in (Side.A, Side.B):
            for other_side in (Side.A, Side.B):
                shared = _shared_accounts(
                    definition.side_filter(side), other.side_filter(other_side)
                )
                if not shared:
                    continue
                winner = min(definition.id, other.id)
                warnings.append(
                    f"side_{side.value}: {len(shared)} account(s) are also selected "
                    f"by side_{other_side.value} of definition {other.id!r}; a "
                    f"transaction of both goes to {winner!r}, whose id sorts first"
                )
    return warnings


def _shared_accounts(first: SideFilter, second: SideFilter) -> set[str]:
    if first.record_kind is not second.record_kind:
        return set()
    if not _filters_meet(first.currencies, second.currencies):
        return set()
    if not _formats_meet(first.source_formats, second.source_formats):
        return set()
    shared = set(first.accounts) & set(second.accounts)
    shared |= _matching(first.accounts, second.account_pattern)
    shared |= _matching(second.accounts, first.account_pattern)
    return shared


def _filters_meet(first: list[str], second: list[str]) -> bool:
    return not first or not second or bool(set(first) & set(second))


def _formats_meet(first: list[str], second: list[str]) -> bool:
    # An empty list takes every format except the intraday ones (see `routing`).
    if not first and not second:
        return True
    if not first or not second:
        named = first or second
        return any(not is_intraday(source_format) for source_format in named)
    return bool(set(first) & set(second))


def _matching(accounts: list[str], pattern: str | None) -> set[str]:
    if pattern is None:
        return set()
    return {account for account in accounts if re.fullmatch(pattern, account)}
