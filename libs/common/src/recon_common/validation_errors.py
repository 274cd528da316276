"""Sentences for FastAPI's request validation errors, one per invalid field.

FastAPI reports invalid input as pydantic's list of errors, each with a `loc` such as
`("query", "from")`, a type and a message. The matcher and reporting APIs carry a
`detail` sentence in their error envelope in place of that list, like their other
422 responses, and the reporting pages show the matcher's sentence to the operator.
Each sentence names the field and the value. When the route's parameter type has a
format (dates as YYYY-MM-DD, for example), the sentence ends with that format.
"""

import types
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Final, Union, get_args, get_origin

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

# Words for the first element of a validation error's `loc`.
_PARTS: Final = {
    "query": "query parameter",
    "path": "path parameter",
    "header": "header",
    "cookie": "cookie",
}
# Pydantic error types of a value that does not parse as the parameter's type,
# such as `date_from_datetime_parsing`, `int_parsing` or `bool_type`.
_FORMAT_ERROR_SUFFIXES: Final = ("_parsing", "_type", "_inexact", "_from_float")
_FORM_TYPES: Final = ("application/x-www-form-urlencoded", "multipart/form-data")
# Longer rejected values are cut, so a pasted document does not fill the message.
_MAX_INPUT_CHARS: Final = 80


def describe_validation_errors(
    request: Request, errors: Sequence[dict[str, Any]]
) -> str:
    """Return one sentence per validation error, joined by semicolons."""
    annotations = dict(_parameter_annotations(request))
    return "; ".join(_describe(request, error, annotations) for error in errors)


def error_locations(errors: Sequence[dict[str, Any]]) -> list[str]:
    """Return the dotted `loc` of each error, for logs that must not hold values."""
    return [".".join(str(part) for part in error.get("loc", ())) for error in errors]


def _describe(
    request: Request,
    error: dict[str, Any],
    annotations: dict[tuple[str, str], Any],
) -> str:
    location = tuple(error.get("loc", ()))
    kind = str(error.get("type", ""))
    message = str(error.get("msg", "invalid value"))
    if kind == "json_invalid":
        reason = (error.get("ctx") or {}).get("error", message)
        return f"the request body is not valid JSON ({reason}); send a JSON object"

    subject = _subject(request, location)
    expected = None
    if len(location) == 2:
        expected = _expected(annotations.get((str(location[0]), str(location[1]))))
    if kind == "missing" and expected:
        return f"missing {subject}; send {expected}"
    if kind == "missing":
        return f"missing {subject}"

    found = repr(error.get("input"))
    if len(found) > _MAX_INPUT_CHARS:
        found = found[: _MAX_INPUT_CHARS - 3] + "..."
    sentence = f"invalid {subject} {found}: {message[:1].lower()}{message[1:]}"
    # Only a value of the wrong form gets the format. A value that breaks a limit
    # (too long, below the minimum) has the right form already.
    if expected and kind.endswith(_FORMAT_ERROR_SUFFIXES):
        sentence += f"; send {expected}"
    return sentence


def _subject(request: Request, location: tuple[Any, ...]) -> str:
    if not location:
        return "request"
    part = str(location[0])
    field = _field_path(location[1:])
    if part == "body":
        if not field:
            return "request body"
        content_type = request.headers.get("content-type", "")
        kind = "form field" if content_type.startswith(_FORM_TYPES) else "body field"
        return f"{kind} {field}"
    return f"{_PARTS.get(part, part)} {field}".strip()


def _field_path(parts: tuple[Any, ...]) -> str:
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def _expected(annotation: Any) -> str | None:
    """Return the format that values of `annotation` take, as words."""
    if get_origin(annotation) in (Union, types.UnionType):
        present = [arg for arg in get_args(annotation) if arg is not type(None)]
        annotation = present[0] if len(present) == 1 else None
    if not isinstance(annotation, type):
        return None
    # datetime is a subclass of date, so it is checked first.
    if issubclass(annotation, datetime):
        return "a date and time in ISO 8601, such as 2026-03-31T09:30:00Z"
    if issubclass(annotation, date):
        return "a date as YYYY-MM-DD"
    if issubclass(annotation, bool):
        return "true or false"
    if issubclass(annotation, int):
        return "a whole number"
    if issubclass(annotation, Decimal):
        return "a decimal number such as 1234.50"
    if issubclass(annotation, Enum):
        return "one of " + ", ".join(str(member.value) for member in annotation)
    return None


def _parameter_annotations(request: Request) -> Iterator[tuple[tuple[str, str], Any]]:
    """Yield ((part, name), annotation) of the parameters of the request's route.

    Starlette stores the matched route in `scope["route"]`, and FastAPI's `Dependant`
    (checked with FastAPI 0.165) lists the route's parameters and sub-dependencies.
    """
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    pending: list[Dependant] = [route.dependant]
    while pending:
        dependant = pending.pop()
        for part, fields in (
            ("path", dependant.path_params),
            ("query", dependant.query_params),
            ("header", dependant.header_params),
            ("cookie", dependant.cookie_params),
            ("body", dependant.body_params),
        ):
            for field in fields:
                yield (part, field.alias), field.field_info.annotation
        pending.extend(dependant.dependencies)
