"""The edge app served for real: uvicorn on a free port in a thread, driven over HTTP with
`urllib.request` (redirects refused: RFC 8058 clients follow none)."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from email.message import Message

from salesagent_dagster.edge.app import Surface
from salesagent_dagster.edge.context import EdgeContext
from salesagent_dagster.local.edge_thread import serving_edge


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Message
    body: str


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        raise AssertionError("the edge answered with a redirect")


_opener = urllib.request.build_opener(_NoRedirects)


def call(
    method: str,
    url: str,
    body: bytes | None = None,
    content_type: str = "",
    headers: dict[str, str] | None = None,
) -> Answer:
    assert url.startswith("http://127.0.0.1:"), url  # the served app, never anything else
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})  # noqa: S310
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


def serving(
    make_context: Callable[[str], EdgeContext], surface: Surface = "public"
) -> AbstractContextManager[tuple[str, EdgeContext]]:
    """The edge app served by uvicorn until the block ends (local.edge_thread)."""
    return serving_edge(make_context, surface)


def wait_for(predicate: Callable[[], object], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return bool(predicate())
