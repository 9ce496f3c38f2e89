"""The edge app served by uvicorn in a thread of this process: for the demo, which needs a
real one-click unsubscribe endpoint for the links in its drafts, and for the edge tests."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import uvicorn

from salesagent_dagster.edge.app import Surface, build_app
from salesagent_dagster.edge.context import EdgeContext

START_TIMEOUT_SECONDS = 10
ContextT = TypeVar("ContextT", bound=EdgeContext)


@contextmanager
def serving_edge(
    make_context: Callable[[str], ContextT], surface: Surface = "public"
) -> Iterator[tuple[str, ContextT]]:
    """Serve `surface` on a free local port until the block ends. Yields the base URL and the
    context `make_context(base URL)` built for it, so the links it signs point at this port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    context = make_context(url)
    config = uvicorn.Config(
        build_app(context, surface), log_level="warning", access_log=False, lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield url, context
    finally:
        server.should_exit = True
        thread.join(timeout=START_TIMEOUT_SECONDS)
        sock.close()


def edge_context_linking_here(edge_url: str) -> EdgeContext:
    """The edge's context, with every unsubscribe link this process builds from now on
    (SALESAGENT_UNSUBSCRIBE_URL) pointing at `edge_url`: the demo's emails link to its edge."""
    os.environ["SALESAGENT_UNSUBSCRIBE_URL"] = f"{edge_url}/unsubscribe"
    return EdgeContext.from_env()
