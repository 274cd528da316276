"""Real local receivers for alarm notifications: an HTTP server and an SMTP server.

Both listen on 127.0.0.1 on a port the kernel picks, and record what they receive.
"""

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class HttpReceiver:
    """An HTTP server that responds to POSTs with scripted status codes.

    `statuses` is consumed one code per request, and every request after it is empty
    gets 200. `delay_s` delays each response, to play a slow receiver.
    """

    statuses: list[int] = field(default_factory=list)
    delay_s: float = 0.0
    requests: list[tuple[str, int, dict[str, Any]]] = field(default_factory=list)
    raw_bodies: list[bytes] = field(default_factory=list)
    # Requests whose body was read, counted before the delay.
    arrivals: int = 0
    port: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        """Return the address of `path` on this server."""
        return f"http://127.0.0.1:{self.port}{path}"

    def accepted(self, path: str) -> list[dict[str, Any]]:
        """Return the bodies posted to `path` that received a 2xx response."""
        with self._lock:
            return [
                body
                for seen_path, status, body in self.requests
                if seen_path == path and 200 <= status < 300
            ]

    def attempts(self, path: str) -> int:
        """Return how many requests reached `path`, whatever the response status."""
        with self._lock:
            return sum(1 for seen_path, _, _ in self.requests if seen_path == path)

    def _arrive(self) -> None:
        with self._lock:
            self.arrivals += 1

    def _respond(self, path: str, raw: bytes) -> int:
        with self._lock:
            status = self.statuses.pop(0) if self.statuses else 200
            self.requests.append((path, status, json.loads(raw)))
            self.raw_bodies.append(raw)
        return status


@contextmanager
def running_http_receiver(receiver: HttpReceiver) -> Iterator[HttpReceiver]:
    """Serve `receiver` in a thread until the block ends."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # name fixed by http.server
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            receiver._arrive()
            if receiver.delay_s:
                time.sleep(receiver.delay_s)
            status = receiver._respond(self.path, raw)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass
class SmtpInbox:
    """Messages that the local SMTP server accepted."""

    messages: list[Message] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)

    async def handle_DATA(  # name fixed by aiosmtpd
        self, server: Any, session: Any, envelope: Any
    ) -> str:
        """Store one message (aiosmtpd handler hook)."""
        content: bytes = envelope.content
        self.raw.append(content)
        self.messages.append(message_from_bytes(content))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"
