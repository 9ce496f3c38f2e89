"""The edge app served for real: uvicorn on a free port in a thread, driven over HTTP with
`urllib.request` (redirects refused: RFC 8058 clients follow none)."""

from __future__ import annotations

import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import Message

import uvicorn

from salesagent_dagster.edge.app import Surface, build_app
from salesagent_dagster.edge.context import EdgeContext


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Message
    body: str


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        raise AssertionError("the edge answered with a redirect")


_opener = urllib.request.build_opener(_NoRedirects)


def call(method: str, url: str, body: bytes | None = None, content_type: str = "") -> Answer:
    assert url.startswith("http://127.0.0.1:"), url  # the served app, never anything else
    request = urllib.request.Request(url, data=body, method=method)  # noqa: S310
    if content_type:
        request.add_header("Content-Type", content_type)
    try:
        with _opener.open(request, timeout=15) as response:
            return Answer(response.status, response.headers, response.read().decode())
    except urllib.error.HTTPError as error:
        return Answer(error.code, error.headers, error.read().decode())


ONE_CLICK = b"List-Unsubscribe=One-Click"
FORM = "application/x-www-form-urlencoded"


def one_click(url: str) -> Answer:
    """What a mail client sends for RFC 8058."""
    return call("POST", url, ONE_CLICK, FORM)


@contextmanager
def serving(
    make_context: Callable[[str], EdgeContext], surface: Surface = "public"
) -> Iterator[tuple[str, EdgeContext]]:
    """The edge app served by uvicorn until the block ends: its base URL, and the context
    `make_context(base URL)` built for it (links point at the served port)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    context = make_context(url)
    config = uvicorn.Config(
        build_app(context, surface), log_level="warning", access_log=False, lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield url, context
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def wait_for(predicate: Callable[[], object], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return bool(predicate())
