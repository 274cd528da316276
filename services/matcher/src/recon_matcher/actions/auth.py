"""The acting user of an operator action.

Only the reporting service calls these routes. It authenticates with the shared
service token and names the user it authenticated in `X-Acting-User` and that
user's role in `X-Acting-Role`. The matcher trusts those headers only together with
a valid token.
"""

import secrets
from dataclasses import dataclass
from typing import Annotated, Final

from fastapi import Depends, Request
from recon_common.errors import Forbidden, ReconError, Unauthorized

from recon_matcher.settings import MatcherSettings

ACTING_USER_HEADER: Final = "X-Acting-User"
ACTING_ROLE_HEADER: Final = "X-Acting-Role"
# Roles that may work breaks and matches. Viewers and auditors only read.
ACTING_ROLES: Final = frozenset({"operator", "approver"})
_MAX_NAME_LENGTH: Final = 200


class InvalidServiceToken(Unauthorized):
    pass


class InvalidActingUser(ReconError):
    """A call with a valid token and an unusable `X-Acting-User` header."""

    status_code = 400


class MissingActingUser(InvalidActingUser):
    """A call with a valid token that does not name the acting user and role."""


class ActionForbidden(Forbidden):
    pass


@dataclass(frozen=True, slots=True)
class Actor:
    """The user on whose behalf the reporting service calls."""

    username: str
    role: str


def get_settings(request: Request) -> MatcherSettings:
    """Return the settings that the app was built with."""
    settings: MatcherSettings = request.app.state.settings
    return settings


def check_service_token(request: Request) -> None:
    """Raise `InvalidServiceToken` unless the request carries the service token."""
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


def authenticate(request: Request, *, roles: frozenset[str], purpose: str) -> Actor:
    """Return the acting user named by a call that carries the service token.

    Raise 401 for a bad token, 400 when `X-Acting-User` or `X-Acting-Role` is
    missing or too long, and 403 when the role is not one of `roles`.
    """
    check_service_token(request)
    username = request.headers.get(ACTING_USER_HEADER, "").strip()
    role = request.headers.get(ACTING_ROLE_HEADER, "").strip().lower()
    missing = [
        header
        for header, value in (
            (ACTING_USER_HEADER, username),
            (ACTING_ROLE_HEADER, role),
        )
        if not value
    ]
    if missing:
        noun = "headers" if len(missing) > 1 else "header"
        raise MissingActingUser(
            f"missing {' and '.join(missing)} {noun}; the service token is valid, "
            f"but this route also needs the acting user in {ACTING_USER_HEADER} "
            f"and that user's role in {ACTING_ROLE_HEADER}, for example "
            f"{ACTING_USER_HEADER}: ada and {ACTING_ROLE_HEADER}: approver"
        )
    if len(username) > _MAX_NAME_LENGTH:
        raise InvalidActingUser(
            f"{ACTING_USER_HEADER} header is {len(username)} characters long; "
            f"send a user name of at most {_MAX_NAME_LENGTH} characters"
        )
    if role not in roles:
        raise ActionForbidden(
            f"role {role!r} may not {purpose}; expected one of "
            f"{', '.join(sorted(roles))}"
        )
    return Actor(username=username, role=role)


def require_actor(request: Request) -> Actor:
    """Return the acting user, or raise 401, 400 or 403 as `authenticate` does."""
    return authenticate(request, roles=ACTING_ROLES, purpose="change matches or breaks")


ActorDep = Annotated[Actor, Depends(require_actor)]
SettingsDep = Annotated[MatcherSettings, Depends(get_settings)]
