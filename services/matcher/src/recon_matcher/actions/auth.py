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
from recon_common.errors import Forbidden, Unauthorized

from recon_matcher.settings import MatcherSettings

ACTING_USER_HEADER: Final = "X-Acting-User"
ACTING_ROLE_HEADER: Final = "X-Acting-Role"
# Roles that may work breaks and matches. Viewers and auditors only read.
ACTING_ROLES: Final = frozenset({"operator", "approver"})
_MAX_NAME_LENGTH: Final = 200


class InvalidServiceToken(Unauthorized):
    pass


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


def require_actor(request: Request) -> Actor:
    """Return the acting user, or raise 401 for a bad token and 403 for a bad role."""
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
    if role not in ACTING_ROLES:
        raise ActionForbidden(
            f"role {role or '(none)'!r} may not change matches or breaks; "
            f"expected one of {', '.join(sorted(ACTING_ROLES))}"
        )
    return Actor(username=username, role=role)


ActorDep = Annotated[Actor, Depends(require_actor)]
SettingsDep = Annotated[MatcherSettings, Depends(get_settings)]
