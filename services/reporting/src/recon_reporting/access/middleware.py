"""ASGI middleware that admits requests only from the allowed networks."""

import json
from typing import Final

import structlog
from starlette.types import ASGIApp, Receive, Scope, Send

from recon_reporting.access.client_address import (
    UnresolvableClient,
    in_networks,
    resolve_client,
)
from recon_reporting.settings import IPNetwork

log = structlog.get_logger(__name__)

# Probes of the orchestrator come from node addresses outside the bank's ranges.
EXEMPT_PATHS: Final = frozenset({"/healthz", "/readyz"})
CLIENT_ADDRESS_KEY: Final = "client_address"


class IPAllowlistMiddleware:
    """Reject requests whose client address is outside `allowed` with 403 JSON."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        allowed: tuple[IPNetwork, ...],
        trusted_proxies: tuple[IPNetwork, ...],
    ) -> None:
        self._app = app
        self._allowed = allowed
        self._trusted_proxies = trusted_proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in {"http", "websocket"}:
            await self._app(scope, receive, send)
            return
        if scope["path"] in EXEMPT_PATHS:
            await self._app(scope, receive, send)
            return
        client = scope.get("client")
        peer = client[0] if client else None
        forwarded = [
            value.decode("latin-1")
            for name, value in scope.get("headers", [])
            if name == b"x-forwarded-for"
        ]
        try:
            address = resolve_client(
                peer, forwarded, trusted_proxies=self._trusted_proxies
            )
        except UnresolvableClient as exc:
            await self._reject(scope, send, peer=peer, detail=str(exc))
            return
        if not in_networks(address, self._allowed):
            await self._reject(
                scope,
                send,
                peer=peer,
                detail=f"client address {address} is not in the allowed networks",
            )
            return
        scope.setdefault("state", {})[CLIENT_ADDRESS_KEY] = str(address)
        await self._app(scope, receive, send)

    async def _reject(
        self, scope: Scope, send: Send, *, peer: str | None, detail: str
    ) -> None:
        log.warning(
            "reporting.access.rejected", peer=peer, path=scope["path"], detail=detail
        )
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        body = json.dumps({"error": "ClientAddressNotAllowed", "detail": detail})
        await send(
            {
                "type": "http.response.start",
                "status": 403,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body.encode()})
