"""Plumbing shared by the emulators: a threaded stdlib HTTP server in the background,
routing by method and regex, JSON bodies, and fault injection for tests and benchmarks.

Nothing here knows HubSpot or Gmail: each emulator subclasses `EmulatorServer`, registers its
routes and renders errors in its own service's shape (`error_body`), so an injected 429 looks
exactly like the real service's 429 to the official client.
"""

from __future__ import annotations

import io
import json
import re
import signal
import socket
import struct
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import Any, Self
from urllib.parse import parse_qs, unquote, urlsplit

# status:           answer `status` (+ Retry-After) without doing the work
# accept_then_fail: do the work (e.g. store the sent message), then answer `status`
# accept_then_hang: do the work, then wait `seconds` before answering (a client timeout fires)
# accept_then_drop: do the work, then close the connection without any answer
# drop:             close the connection without any answer, and without doing the work
# latency:          wait `ms`, then handle normally
# A drop is an orderly close (FIN) unless `reset` is set: then the peer sees a TCP reset.
FAULT_MODES = (
    "status",
    "accept_then_fail",
    "accept_then_hang",
    "accept_then_drop",
    "drop",
    "latency",
)


class ApiError(Exception):
    """Raised by a handler to answer with an error; the emulator renders the body."""

    def __init__(
        self,
        status: int,
        message: str | None = None,
        headers: dict[str, str] | None = None,
        reason: str | None = None,
    ) -> None:
        super().__init__(message or str(status))
        self.status = status
        self.message = message
        self.headers = headers or {}
        self.reason = reason


@dataclass
class Request:
    method: str
    path: str  # percent-decoded; what fault patterns are matched against
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    params: dict[str, str] = field(default_factory=dict)

    def json(self) -> dict[str, Any]:
        """The body as a JSON object; anything else is the client's mistake (400)."""
        value = self._decoded({})
        if not isinstance(value, dict):
            raise ApiError(400, "Invalid JSON payload received. Expected an object.")
        return value

    def field(self, name: str) -> Any:
        """A required key of the JSON body; missing is a 400, not a crash."""
        body = self.json()
        if body.get(name) in (None, ""):
            raise ApiError(400, f"Invalid input JSON: {name} is required")
        return body[name]

    def json_list(self) -> list[Any]:
        value = self._decoded([])
        if not isinstance(value, list):
            raise ApiError(400, "Invalid JSON payload received. Expected a list.")
        return value

    def _decoded(self, empty: Any) -> Any:
        if not self.body:
            return empty
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise ApiError(400, f"Invalid JSON payload received. {exc}") from exc

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def args(self, name: str) -> list[str]:
        """Repeated (`?a=1&a=2`, what the official clients send) and comma-joined alike."""
        return [part for value in self.query.get(name, []) for part in value.split(",") if part]

    def int_arg(self, name: str, default: int) -> int:
        text = self.arg(name)
        if text is None or text == "":
            return default
        try:
            return int(text)
        except ValueError:
            raise ApiError(400, f"Invalid value for {name}: {text!r}") from None


@dataclass
class Response:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> bytes:
        return b"" if self.body is None else json.dumps(self.body).encode("utf-8")


Handler = Callable[[Request], Response]


@dataclass
class Fault:
    """One injected behaviour for the next `count` calls whose path matches `path`."""

    path: str  # regex, searched in the percent-decoded request path
    mode: str
    count: int = 1
    method: str | None = None
    status: int = 500
    retry_after: float | None = None  # seconds, sent as Retry-After
    seconds: float = 5.0  # accept_then_hang
    ms: float = 0.0  # latency
    message: str | None = None  # overrides the service's default message for `status`
    reason: str | None = None  # Gmail `errors[].reason`, e.g. userRateLimitExceeded on a 403
    reset: bool = False  # drops: a TCP reset instead of an orderly close

    def __post_init__(self) -> None:
        self.count, self.status = int(self.count), int(self.status)  # JSON may send "2"
        self.seconds, self.ms = float(self.seconds), float(self.ms)
        self.reset = str(self.reset).lower() in ("true", "1")
        if self.retry_after is not None:
            self.retry_after = float(self.retry_after)
        if self.mode not in FAULT_MODES:
            raise ValueError(f"unknown fault mode {self.mode!r}; one of {FAULT_MODES}")
        if self.count < 1:
            raise ValueError("count must be at least 1")
        re.compile(self.path)

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method.upper() != method:
            return False
        return re.search(self.path, path) is not None


class FaultRegistry:
    """Faults in the order they were added; the first match wins and is counted down."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, spec: dict[str, Any]) -> Fault:
        unknown = set(spec) - {f.name for f in fields(Fault)}
        if unknown:
            raise ValueError(f"unknown fault fields {sorted(unknown)}")
        fault = Fault(**spec)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def pending(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(fault) for fault in self._faults]

    def take(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.count -= 1
                    if fault.count == 0:
                        self._faults.remove(fault)
                    return fault
        return None


class _DropConnection(Exception):
    """Close the socket without answering (drop, accept_then_drop)."""

    def __init__(self, reset: bool) -> None:
        super().__init__("drop")
        self.reset = reset


class EmulatorServer:
    """Routes + a ThreadingHTTPServer on a daemon thread; a context manager.

    Routes are matched against the raw (still percent-encoded) path so that an id containing
    `%2F` stays one segment; captured groups are decoded before the handler sees them.
    """

    def __init__(self, host: str, port: int) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler, bool]] = []
        self.faults = FaultRegistry()
        self._server = ThreadingHTTPServer((host, port), _handler_class(self))
        self._server.daemon_threads = True
        self.route("GET", r"/_admin/faults", self._admin_list_faults, faultable=False)
        self.route("POST", r"/_admin/faults", self._admin_add_fault, faultable=False)
        self.route("DELETE", r"/_admin/faults", self._admin_clear_faults, faultable=False)

    # -- lifecycle ------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        host = self._server.server_address[0]
        host = host.decode() if isinstance(host, bytes) else str(host)
        return f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{self.port}"

    def start(self) -> None:
        # A short poll interval makes stop() quick (shutdown waits for the next poll).
        threading.Thread(
            target=self._server.serve_forever, args=(0.02,), name=type(self).__name__, daemon=True
        ).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # -- faults ---------------------------------------------------------------------------

    def add_fault(
        self,
        path: str,
        mode: str,
        *,
        count: int = 1,
        method: str | None = None,
        status: int = 500,
        retry_after: float | None = None,
        seconds: float = 5.0,
        ms: float = 0.0,
        message: str | None = None,
        reason: str | None = None,
        reset: bool = False,
    ) -> Fault:
        """Same as `POST /_admin/faults`; see `Fault` and FAULT_MODES."""
        return self.faults.add(
            {
                "path": path,
                "mode": mode,
                "count": count,
                "method": method,
                "status": status,
                "retry_after": retry_after,
                "seconds": seconds,
                "ms": ms,
                "message": message,
                "reason": reason,
                "reset": reset,
            }
        )

    def clear_faults(self) -> None:
        self.faults.clear()

    # -- routing --------------------------------------------------------------------------

    def route(self, method: str, pattern: str, handler: Handler, faultable: bool = True) -> None:
        """Admin routes are not faultable: a test must always be able to seed and inspect."""
        self._routes.append((method, re.compile(f"^{pattern}$"), handler, faultable))

    def error_body(self, status: int, message: str | None, reason: str | None, path: str) -> Any:
        """The service's own error JSON for `status`; `message` None means its default."""
        raise NotImplementedError

    def dispatch(self, request: Request, raw_path: str) -> Response:
        allowed = []
        for method, pattern, handler, faultable in self._routes:
            match = pattern.match(raw_path)
            if not match:
                continue
            if method != request.method:
                allowed.append(method)
                continue
            request.params = {k: unquote(v) for k, v in match.groupdict().items() if v is not None}
            fault = self.faults.take(request.method, request.path) if faultable else None
            return self._with_fault(fault, handler, request)
        if allowed:
            return self._error(request, ApiError(405, f"Method {request.method} not allowed"))
        return self._error(request, ApiError(404, f"No route for {request.method} {raw_path}"))

    def _with_fault(self, fault: Fault | None, handler: Handler, request: Request) -> Response:
        if fault is None:
            return self._handle(handler, request)
        if fault.mode == "latency":
            time.sleep(fault.ms / 1000)
            return self._handle(handler, request)
        injected = ApiError(fault.status, fault.message, reason=fault.reason)
        if fault.retry_after is not None:
            injected.headers["Retry-After"] = f"{fault.retry_after:g}"
        if fault.mode == "status":
            return self._error(request, injected)
        if fault.mode == "drop":
            raise _DropConnection(fault.reset)
        response = self._handle(handler, request)  # the work is done ...
        if fault.mode == "accept_then_hang":
            time.sleep(fault.seconds)  # ... and the answer comes after the client gave up
            return response
        if fault.mode == "accept_then_drop":
            raise _DropConnection(fault.reset)
        return self._error(request, injected)  # accept_then_fail

    def _handle(self, handler: Handler, request: Request) -> Response:
        try:
            return handler(request)
        except ApiError as exc:
            return self._error(request, exc)
        except Exception:
            # A bug in the emulator: answer like the service's own 500 and say why on stderr.
            traceback.print_exc()
            return self._error(request, ApiError(500))

    def _error(self, request: Request, error: ApiError) -> Response:
        body = self.error_body(error.status, error.message, error.reason, request.path)
        return Response(error.status, body, dict(error.headers))

    # -- admin ----------------------------------------------------------------------------

    def _admin_list_faults(self, request: Request) -> Response:
        return Response(200, {"faults": self.faults.pending()})

    def _admin_add_fault(self, request: Request) -> Response:
        try:
            fault = self.faults.add(request.json())
        except (TypeError, ValueError, re.error) as exc:
            raise ApiError(400, f"bad fault: {exc}") from exc
        return Response(201, asdict(fault))

    def _admin_clear_faults(self, request: Request) -> Response:
        self.faults.clear()
        return Response(204)


def _handler_class(server: EmulatorServer) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the official clients expect

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            request = Request(
                method=self.command,
                path=unquote(parts.path),
                query=parse_qs(parts.query, keep_blank_values=True),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=self.rfile.read(length) if length else b"",
            )
            try:
                response = server.dispatch(request, parts.path)
            except _DropConnection as drop:
                if drop.reset:
                    # Linger 0 makes close() send RST, and closing here, before the
                    # server's own shutdown(SHUT_WR), keeps it from sending a FIN first.
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                    )
                    self.wfile.close()
                    self.rfile.close()
                    self.connection.close()
                    self.wfile = io.BytesIO()  # what the server still flushes after us
                self.close_connection = True
                return
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
                self.close_connection = True  # the client gave up waiting (a timeout test)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: an emulator is not a place for a log line per request."""

    return _Handler


def serve_until_stopped(server: EmulatorServer, name: str) -> None:
    """For `python -m ...`: say where we listen, then serve until Ctrl-C or SIGTERM."""

    def _interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _interrupt)
    print(f"{name} listening on {server.url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
