"""The public surface with its own request metrics on a port apart (`salesagent serve
--metrics-port`; edge.metrics says why not on the public port). The CLI may not import the
edge package (test_layering.py), so the factory uvicorn calls is built here, as local.desk_edge
builds the operators' surfaces."""

from __future__ import annotations

from collections.abc import Callable

from starlette.applications import Starlette

from salesagent_dagster.edge.app import build_app
from salesagent_dagster.edge.context import EdgeContext


def public_app_with_metrics(host: str, port: int) -> Callable[[], Starlette]:
    """The factory: the public app, its request metrics served on `host:port`."""
    return lambda: build_app(EdgeContext.from_env(), "public", (host, port))
