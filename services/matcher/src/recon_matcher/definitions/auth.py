"""Access rules of the stored-definition routes of the matcher's API.

The same rules as the operator actions (`actions.auth`): only the reporting service
calls, with the shared service token, and names the signed-in user and role in
`X-Acting-User` and `X-Acting-Role`. Every role may read definitions. Only approvers
and administrators may save or activate them, because a definition decides what
matches without review.
"""

from typing import Annotated, Final

from fastapi import Depends, Request

from recon_matcher.actions.auth import Actor, authenticate

READER_ROLES: Final = frozenset(
    {"viewer", "operator", "approver", "auditor", "administrator"}
)
EDITOR_ROLES: Final = frozenset({"approver", "administrator"})


def require_reader(request: Request) -> Actor:
    """Return the acting user, or raise 401, 400 or 403 as `authenticate` does."""
    return authenticate(request, roles=READER_ROLES, purpose="read definitions")


def require_editor(request: Request) -> Actor:
    """Return the acting user if their role may save and activate definitions."""
    return authenticate(
        request, roles=EDITOR_ROLES, purpose="save or activate definitions"
    )


ReaderDep = Annotated[Actor, Depends(require_reader)]
EditorDep = Annotated[Actor, Depends(require_editor)]
