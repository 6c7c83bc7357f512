"""A small threaded HTTP server for the sandbox platforms.

Built on the standard library on purpose: faults such as a dropped connection after the request
was handled, a raw HTTP response inside a 200 body, or an HTML error page need control of the
bytes on the wire, which an ASGI framework hides.
"""

from __future__ import annotations

import contextlib
import json
import random
import re
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    params: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8")) if self.body else None

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    #: close the socket without answering (after the handler's side effects happened)
    drop: bool = False


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    merged = {"Content-Type": "application/json"}
    merged.update(headers or {})
    return Response(status, json.dumps(data, default=str).encode(), merged)


def text_response(text: str, status: int, content_type: str = "text/plain") -> Response:
    return Response(status, text.encode(), {"Content-Type": content_type})


Handler = Callable[[Request], Response]


@dataclass
class Faults:
    """Switches every sandbox server honours. Rates are probabilities per request (0..1)."""

    latency_ms: int = 0
    http_429_rate: float = 0.0
    http_5xx_rate: float = 0.0
    seed: int = 0
    rng: random.Random = field(default_factory=random.Random)
    #: the next this many requests are throttled (429), then the next ``fail_next`` fail (5xx),
    #: whatever the rates draw: a story told exactly, not by chance
    throttle_next: int = 0
    fail_next: int = 0

    def __post_init__(self) -> None:
        self.rng.seed(self.seed)

    def force(self, throttle: bool, unavailable: bool) -> tuple[bool, bool]:
        """The rates' draw for one request, overridden by the counted switches (callers hold the
        app's lock)."""
        if self.throttle_next > 0:
            self.throttle_next -= 1
            return True, False
        if self.fail_next > 0:
            self.fail_next -= 1
            return False, True
        return throttle, unavailable


class App:
    """Routes (method, regex) -> handler, plus the shared faults. Subclasses add routes."""

    name = "sandbox"

    def __init__(self, faults: Faults | None = None) -> None:
        self.faults = faults or Faults()
        self.lock = threading.RLock()
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self.requests = 0
        self.add("GET", r"/_sandbox/health", lambda r: json_response({"ok": True}))

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        self._routes.append((method, re.compile(pattern + r"$"), handler))

    def injected_fault(self, request: Request) -> Response | None:
        """Platform-neutral faults; subclasses shape the 429 to their platform."""
        return None

    def dispatch(self, request: Request) -> Response:
        with self.lock:
            self.requests += 1
        if self.faults.latency_ms:
            time.sleep(self.faults.latency_ms / 1000)
        if not request.path.startswith("/_sandbox/"):
            fault = self.injected_fault(request)
            if fault is not None:
                return fault
        for method, pattern, handler in self._routes:
            match = pattern.match(request.path)
            if match and method == request.method:
                request.params = match.groupdict()
                return handler(request)
        return json_response({"code": 404, "message": f"no route {request.method} {request.path}"}, 404)


def _handler_class(app: App) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # as real servers do: an answer is not held back waiting for the client's delayed ACK
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return None

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            request = Request(
                method=self.command,
                path=parts.path,
                query=parse_qs(parts.query, keep_blank_values=True),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
            )
            try:
                response = app.dispatch(request)
            except Exception as exc:  # a sandbox bug must show, not hang the client
                response = text_response(f"sandbox error: {exc!r}", 500)
            if response.drop:
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if response.body and self.command != "HEAD":
                self.wfile.write(response.body)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

    return _Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        # a client that went away (a killed worker, a timeout) is normal here, not a traceback
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class Running:
    """A server serving ``app`` on loopback in a background thread."""

    def __init__(self, app: App, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.httpd = _Server((host, port), _handler_class(app))
        self.thread = threading.Thread(target=self.httpd.serve_forever, name=f"sandbox-{app.name}", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Running:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> Running:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
