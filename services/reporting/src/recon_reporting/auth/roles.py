"""Roles of the reporting service and what each may see."""

from enum import StrEnum


class Role(StrEnum):
    VIEWER = "viewer"
    OPERATOR = "operator"
    APPROVER = "approver"
    AUDITOR = "auditor"
    ADMINISTRATOR = "administrator"


# Roles that see account numbers, IBANs and counterparty accounts in full. Each such
# read is audited as `sensitive.read`.
UNREDACTED_ROLES = frozenset({Role.AUDITOR, Role.ADMINISTRATOR})


def sees_unredacted(role: Role) -> bool:
    """Return whether `role` is shown sensitive fields in full."""
    return role in UNREDACTED_ROLES
