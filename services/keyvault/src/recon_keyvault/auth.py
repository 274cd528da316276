"""Authentication of calling services by bearer token and `X-Service` name."""

import hmac
from dataclasses import dataclass

from recon_common.errors import Unauthorized

from recon_keyvault.settings import DEVELOPMENT_SERVICE_TOKEN, KeyvaultSettings


@dataclass(frozen=True)
class Caller:
    """An authenticated service."""

    service: str


def authenticate(
    settings: KeyvaultSettings, *, authorization: str | None, service: str | None
) -> Caller:
    """Return the caller whose token matches its `X-Service` name, or raise."""
    if not service:
        raise Unauthorized(
            "the X-Service header is missing; send the calling service's name"
        )
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized(
            "the Authorization header is missing or not `Bearer <token>`; send the "
            "service token"
        )
    expected = settings.tokens_by_service().get(service)
    if expected is None and settings.development:
        expected = DEVELOPMENT_SERVICE_TOKEN
    if expected is None or not hmac.compare_digest(token.encode(), expected.encode()):
        raise Unauthorized(
            f"invalid token for service {service!r}; check the service's "
            "service_token and the broker's service_tokens setting"
        )
    return Caller(service=service)
