"""One-time messages that a form's redirect carries to the next page.

A form post returns a redirect (post/redirect/get), so reloading the next page
does not send the form again. The outcome travels in a short-lived cookie, signed
so that no other site can make the page show a message of its choosing.
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from recon_common.settings import Environment

from recon_reporting.dependencies import get_settings

FLASH_COOKIE: Final = "recon_flash"
# Seconds between the redirect and the page that shows the message.
_MAX_AGE_S: Final = 120
# Cookies above about 4 KB are dropped by browsers, so long details are cut.
_MAX_MESSAGE_CHARS: Final = 1500


class FlashKind(StrEnum):
    SUCCESS = "success"
    ERROR = "error"
    # A request that was accepted but changed nothing.
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Flash:
    """A message about the outcome of the previous form."""

    kind: FlashKind
    message: str


def _serializer(request: Request) -> URLSafeTimedSerializer:
    secret = get_settings(request).session_secret.get_secret_value()
    return URLSafeTimedSerializer(secret, salt="recon-reporting.flash")


def set_flash(
    request: Request, response: Response, *, kind: FlashKind, message: str
) -> None:
    """Attach `message` to `response` for the next page to show once."""
    if len(message) > _MAX_MESSAGE_CHARS:
        message = message[: _MAX_MESSAGE_CHARS - 1] + "…"
    value = _serializer(request).dumps({"k": kind.value, "m": message})
    response.set_cookie(
        FLASH_COOKIE,
        value,
        max_age=_MAX_AGE_S,
        httponly=True,
        samesite="strict",
        secure=get_settings(request).environment == Environment.PRODUCTION,
        path="/",
    )


def read_flash(request: Request) -> Flash | None:
    """Return the message of the request's flash cookie, if it is valid."""
    value = request.cookies.get(FLASH_COOKIE)
    if not value:
        return None
    try:
        data = _serializer(request).loads(value, max_age=_MAX_AGE_S)
    except BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    try:
        kind = FlashKind(str(data.get("k")))
    except ValueError:
        return None
    message = data.get("m")
    if not isinstance(message, str):
        return None
    return Flash(kind=kind, message=message)


def clear_flash(response: Response) -> None:
    """Delete the flash cookie, so the message is shown only once."""
    response.delete_cookie(FLASH_COOKIE, path="/")
