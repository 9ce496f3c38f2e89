"""Plumbing shared by the emulators: a threaded stdlib HTTP server in the background,
regex routing, JSON bodies, and fault injection for tests and benchmarks.

Nothing here knows HubSpot or Gmail; each emulator supplies its routes and its error shape.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    params: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        if not self.body:
            return {}
        return json.loads(self.body.decode("utf-8"))

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def args(self, name: str) -> list[str]:
        """Repeated (`?a=1&a=2`) and comma-joined (`?a=1,2`) forms alike."""
        return [part for value in self.query.get(name, []) for part in value.split(",") if part]


@dataclass
class Response:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body).encode("utf-8")


Handler = Callable[[Request], Response]
ErrorShaper = Callable[[int, str], Any]


@dataclass
class Fault:
    """One injected behaviour for calls whose path matches `path` (and `method`, if set)."""

    path: str
    mode: str  # status | accept_then_fail | accept_then_hang | latency
    count: int = 1
    method: str | None = None
    status: int = 500
    retry_after: float | None = None
    seconds: float = 5.0
    ms: float = 0.0

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method.upper() != method:
            return False
        return re.search(self.path, path) is not None


class FaultRegistry:
    MODES = ("status", "accept_then_fail", "accept_then_hang", "latency")

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, **spec: Any) -> Fault:
        known = {name: spec[name] for name in Fault.__dataclass_fields__ if name in spec}
        fault = Fault(**known)
        if fault.mode not in self.MODES:
            raise ValueError(f"unknown fault mode {fault.mode!r}; one of {self.MODES}")
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, method: str, path: str) -> Fault | None:
        """The first matching fault, counted down; spent faults disappear."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.count -= 1
                    if fault.count <= 0:
                        self._faults.remove(fault)
                    return fault
        return None


class EmulatorServer:
    """Routes + a ThreadingHTTPServer on a daemon thread; a context manager."""

    def __init__(self, host: str, port: int, error_shaper: ErrorShaper) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler, bool]] = []
        self.faults = FaultRegistry()
        self._error_shaper = error_shaper
        self._server = ThreadingHTTPServer((host, port), self._handler_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None
        self.route("POST", r"/_admin/faults", self._add_fault, faultable=False)
        self.route("DELETE", r"/_admin/faults", self._clear_faults, faultable=False)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        host = self._server.server_address[0]
        host = host.decode() if isinstance(host, bytes) else host
        return f"http://{host}:{self.port}"

    def route(self, method: str, pattern: str, handler: Handler, faultable: bool = True) -> None:
        self._routes.append((method, re.compile(f"^{pattern}$"), handler, faultable))

    def start(self) -> EmulatorServer:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> EmulatorServer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def add_fault(self, **spec: Any) -> None:
        self.faults.add(**spec)

    def clear_faults(self) -> None:
        self.faults.clear()

    def error(self, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
        return Response(status, self._error_shaper(status, message), headers or {})

    def _add_fault(self, request: Request) -> Response:
        try:
            self.faults.add(**request.json())
        except (TypeError, ValueError) as exc:
            return self.error(400, f"bad fault: {exc}")
        return Response(201, {"ok": True})

    def _clear_faults(self, request: Request) -> Response:
        self.faults.clear()
        return Response(204)

    def dispatch(self, request: Request) -> Response:
        allowed_methods = []
        for method, pattern, handler, faultable in self._routes:
            match = pattern.match(request.path)
            if not match:
                continue
            if method != request.method:
                allowed_methods.append(method)
                continue
            request.params = match.groupdict()
            fault = self.faults.take(request.method, request.path) if faultable else None
            return self._with_fault(fault, handler, request)
        if allowed_methods:
            return self.error(405, f"method {request.method} not allowed on {request.path}")
        return self.error(404, f"no route for {request.method} {request.path}")

    def _with_fault(self, fault: Fault | None, handler: Handler, request: Request) -> Response:
        if fault is None:
            return self._safe(handler, request)
        headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
        if fault.mode == "status":
            return self.error(fault.status, "injected fault", headers)
        if fault.mode == "latency":
            time.sleep(fault.ms / 1000)
            return self._safe(handler, request)
        response = self._safe(handler, request)
        if fault.mode == "accept_then_hang":
            time.sleep(fault.seconds)
            return response
        return self.error(fault.status, "injected fault after the work was done", headers)

    def _safe(self, handler: Handler, request: Request) -> Response:
        try:
            return handler(request)
        except (ValueError, KeyError, TypeError) as exc:
            return self.error(400, f"malformed request: {type(exc).__name__}: {exc}")

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    method=self.command,
                    path=unquote(parts.path),
                    query=parse_qs(parts.query, keep_blank_values=True),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length) if length else b"",
                )
                response = server.dispatch(request)
                payload = response.encoded()
                try:
                    self.send_response(response.status)
                    if payload:
                        self.send_header("Content-Type", "application/json; charset=UTF-8")
                    self.send_header("Content-Length", str(len(payload)))
                    for name, value in response.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test); nothing to answer

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: an emulator is not a place for a log line per request."""

        return _Handler
