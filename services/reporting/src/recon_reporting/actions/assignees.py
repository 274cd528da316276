"""The users to whom a break may be assigned.

A break may be assigned to a user of the reporting service's users file whose role
works breaks (`ACTING_ROLES`). The users file has no disabled state: an
administrator ends a user's access by removing them or by giving them a read-only
role, and either change makes the name invalid here.
"""

from collections.abc import Mapping
from pathlib import Path
from typing import Final

from recon_common.errors import InvalidRequest

from recon_reporting.actions.roles import ACTING_ROLES
from recon_reporting.auth.users import StoredUser, read_users

# The API route that lists the valid assignees, named in error messages.
ASSIGNEES_ROUTE: Final = "GET /api/v1/breaks/assignees"
# Names listed in one error message; the route above lists all of them.
MAX_LISTED_NAMES: Final = 20


class InvalidAssignee(InvalidRequest):
    pass


def assignees_of(users: Mapping[str, StoredUser]) -> list[StoredUser]:
    """Return the users who may be assigned breaks, sorted by username."""
    return sorted(
        (user for user in users.values() if user.role in ACTING_ROLES),
        key=lambda user: user.username,
    )


def read_assignees(users_file: Path) -> list[StoredUser]:
    """Read the users who may be assigned breaks from the users file."""
    return assignees_of(read_users(users_file))


def assignee_problem(name: str, *, users: Mapping[str, StoredUser]) -> str | None:
    """Return why a break cannot be assigned to `name`, or None if it can."""
    user = users.get(name)
    if user is None:
        return "no user of the reporting service has this name"
    if user.role not in ACTING_ROLES:
        return (
            f"the user's role {user.role.value} may only read, and only operators "
            "and approvers work breaks"
        )
    return None


def describe_assignees(assignees: list[StoredUser]) -> str:
    """Return a sentence that names the valid assignees, or how to add one."""
    if not assignees:
        return (
            "No user may be assigned breaks yet; an administrator adds one with "
            "`recon-reporting add-user --username NAME --role operator`."
        )
    names = [user.username for user in assignees]
    listed = ", ".join(names[:MAX_LISTED_NAMES])
    if len(names) > MAX_LISTED_NAMES:
        listed += f" and {len(names) - MAX_LISTED_NAMES} more"
    return f"Valid assignees: {listed}."


def check_assignee(name: str, *, users_file: Path) -> None:
    """Raise `InvalidAssignee` (422) unless a break may be assigned to `name`."""
    users = read_users(users_file)
    problem = assignee_problem(name, users=users)
    if problem is None:
        return
    assignees = assignees_of(users)
    raise InvalidAssignee(
        f"invalid assignee {name!r}: {problem}. {describe_assignees(assignees)} "
        f"{ASSIGNEES_ROUTE} lists them; send null or an empty name to return the "
        "break to the open queue."
    )
