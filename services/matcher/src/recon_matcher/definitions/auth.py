"""Access rules of the stored-definition routes of the matcher's API.

The same rules as the operator actions (`actions.auth`): only the reporting service
calls, with the shared service token, and names the signed-in user and role in
`X-Acting-User` and `X-Acting-Role`. Every role may read definitions. Only approvers
and administrators may save or activate them, because a definition decides what
matches without review.
"""

import secrets
from typing import Annotated, Final

from fastapi import Depends, Request

from recon_matcher.actions.auth import (
    ACTING_ROLE_HEADER,
    ACTING_USER_HEADER,
    ActionForbidden,
    Actor,
    InvalidServiceToken,
    get_settings,
)

READER_ROLES: Final = frozenset(
    {"viewer", "operator", "approver", "auditor", "administrator"}
)
EDITOR_ROLES: Final = frozenset({"approver", "administrator"})
_MAX_NAME_LENGTH: Final = 200


def _authenticate(request: Request, *, roles: frozenset[str], purpose: str) -> Actor:
    settings = get_settings(request)
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    expected = settings.service_token.get_secret_value()
    if scheme.lower() != "bearer" or not secrets.compare_digest(
        token.strip().encode(), expected.encode()
    ):
        raise InvalidServiceToken(
            "missing or invalid service token; send Authorization: Bearer "
            "<service token> as configured in MATCHER_SERVICE_TOKEN"
        )
    username = request.headers.get(ACTING_USER_HEADER, "").strip()
    role = request.headers.get(ACTING_ROLE_HEADER, "").strip().lower()
    if not username or len(username) > _MAX_NAME_LENGTH:
        raise InvalidServiceToken(
            f"missing or invalid {ACTING_USER_HEADER} header; name the user who acts"
        )
    if role not in roles:
        raise ActionForbidden(
            f"role {role or '(none)'!r} may not {purpose}; expected one of "
            f"{', '.join(sorted(roles))}"
        )
    return Actor(username=username, role=role)


def require_reader(request: Request) -> Actor:
    """Return the acting user, or raise 401 for a bad token and 403 for a bad role."""
    return _authenticate(request, roles=READER_ROLES, purpose="read definitions")


def require_editor(request: Request) -> Actor:
    """Return the acting user if their role may save and activate definitions."""
    return _authenticate(
        request, roles=EDITOR_ROLES, purpose="save or activate definitions"
    )


ReaderDep = Annotated[Actor, Depends(require_reader)]
EditorDep = Annotated[Actor, Depends(require_editor)]
