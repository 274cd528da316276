"""Roles that may change matches and breaks."""

from typing import Final

from recon_reporting.auth.roles import Role

# Operators and approvers act on matches and breaks. The other roles only read, so
# a break assigned to one of them would belong to a user who cannot work it.
ACTING_ROLES: Final = frozenset({Role.OPERATOR, Role.APPROVER})
