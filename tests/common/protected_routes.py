"""Requests that reach every route of an app that must require the service token."""

import re

from fastapi import FastAPI

# Routes that stay open, because probes send no token. The OpenAPI document and its
# viewers are not among the document's own paths, so they need no entry here.
OPEN_PATHS = frozenset({"/healthz", "/readyz"})
_PATH_PARAMETER = re.compile(r"\{[^}]+\}")


def protected_requests(app: FastAPI) -> list[tuple[str, str]]:
    """Return (method, path) of each documented route outside `OPEN_PATHS`.

    The routes come from the OpenAPI document, so a route added with
    `include_in_schema=False` is not listed. Path parameters are filled with `x`,
    because the token check runs before the route looks anything up.
    """
    requests: list[tuple[str, str]] = []
    for path, operations in app.openapi()["paths"].items():
        if path in OPEN_PATHS:
            continue
        filled = _PATH_PARAMETER.sub("x", path)
        requests.extend((method.upper(), filled) for method in sorted(operations))
    return requests
