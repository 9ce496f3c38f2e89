"""`GET /metrics` (the internal surface) and the middleware that measures the edge itself.

The product's figures come from services.metrics (app DB and Dagster instance, cached a few
seconds); the edge's own request rate, errors and latency are counted here, per surface and
route template. The template, never the path: an unsubscribe link's path carries a signed
token, and a label per token would be both PII-adjacent and unbounded.

The public surface counts its requests in its own process, so its counters are served by
that process on a port of their own (`salesagent serve --metrics-port`, `serving_metrics`),
never on the public port: what the internet could read there (traffic per route, error
rates, the process's memory) helps an attacker time a flood or probe a fault, and a scrape
endpoint nobody authenticates is one more thing to flood. The deployment publishes the
public port only; Prometheus reaches the metrics port inside the compose network.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
    start_http_server,
)
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from salesagent_dagster.edge.context import EdgeContext
from salesagent_dagster.services.metrics.collector import FiguresCollector
from salesagent_dagster.services.metrics.snapshot import figures_source
from salesagent_dagster.settings import load_settings

# No `_created` series: a second series per counter that no panel or rule reads.
disable_created_metrics()
# One registry per process for the edge's own metrics: every app this process builds
# (tests build several, `--surface all` both) counts into it, told apart by `surface`.
EDGE_REGISTRY = CollectorRegistry()
ProcessCollector(registry=EDGE_REGISTRY)
REQUESTS = Counter(
    "salesagent_edge_requests",
    "HTTP requests the edge answered, by surface, route template, method and status code",
    ["surface", "route", "method", "status"],
    registry=EDGE_REGISTRY,
)
LATENCY = Histogram(
    "salesagent_edge_request_duration_seconds",
    "Time from a request's arrival to the end of its response, by surface and route",
    ["surface", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=EDGE_REGISTRY,
)
UNMATCHED = "unmatched"


class RequestMetrics:
    """Pure ASGI middleware: counts and times every HTTP request, 500s included."""

    def __init__(self, app: ASGIApp, surface: str) -> None:
        self.app = app
        self.surface = surface

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # an exception before the response started is a 500 to the client

        async def recording(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, recording)
        finally:
            # The router sets `route` on the scope it was given (this one) when one matched.
            route = scope.get("route")
            template = getattr(route, "path", UNMATCHED) if route is not None else UNMATCHED
            REQUESTS.labels(self.surface, template, scope["method"], str(status)).inc()
            LATENCY.labels(self.surface, template).observe(time.perf_counter() - started)


def metrics_routes(context: EdgeContext) -> list[BaseRoute]:
    settings = load_settings()
    figures = CollectorRegistry()
    figures.register(
        FiguresCollector(
            figures_source(
                context.app_store, context.outreach, settings.review_sla_minutes * 60
            ).get
        )
    )

    async def metrics(request: Request) -> Response:
        # The figures' read is blocking SQL: off the event loop, like /healthz's.
        body = await run_in_threadpool(
            lambda: generate_latest(EDGE_REGISTRY) + generate_latest(figures)
        )
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return [Route("/metrics", metrics, methods=["GET"])]


def serving_metrics(
    host: str, port: int
) -> Callable[[Any], contextlib.AbstractAsyncContextManager[None]]:
    """A Starlette lifespan serving this process's edge metrics (EDGE_REGISTRY) on
    `host:port` while the app runs (prometheus-client's own server, in a thread)."""

    @contextlib.asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        server, thread = start_http_server(port, host, registry=EDGE_REGISTRY)
        try:
            yield
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)

    return lifespan
