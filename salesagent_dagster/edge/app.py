"""The edge's ASGI apps, one per surface, built from route groups.

A route group is a function `(EdgeContext) -> list[Route]`. Register a new one on the
surface it belongs to: PUBLIC faces the internet, with no sign-in (each route authenticates
its caller itself: the link's signature, the webhook's); INTERNAL (the review desk,
`/metrics`) is served by a process the deployment never publishes. `/healthz` is on both.

`salesagent serve --surface public|internal|all` starts one through uvicorn's factory
string (`salesagent_dagster.edge.app:public_app`), so each process builds its resources
from the settings when it starts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from salesagent_dagster.edge.context import EdgeContext
from salesagent_dagster.edge.desk_pages import desk_routes
from salesagent_dagster.edge.health import health_routes
from salesagent_dagster.edge.hubspot_webhook import hubspot_webhook_routes
from salesagent_dagster.edge.metrics import RequestMetrics, metrics_routes, serving_metrics
from salesagent_dagster.edge.pages import STYLE_HASH
from salesagent_dagster.edge.security import SecurityHeaders
from salesagent_dagster.edge.unsubscribe import unsubscribe_routes

Surface = Literal["public", "internal", "all"]
RouteGroup = Callable[[EdgeContext], list[BaseRoute]]

PUBLIC: tuple[RouteGroup, ...] = (unsubscribe_routes, hubspot_webhook_routes)
INTERNAL: tuple[RouteGroup, ...] = (desk_routes, metrics_routes)
SURFACES: dict[str, tuple[RouteGroup, ...]] = {
    "public": PUBLIC,
    "internal": INTERNAL,
    "all": PUBLIC + INTERNAL,
}


def build_app(
    context: EdgeContext, surface: Surface = "public", metrics_at: tuple[str, int] | None = None
) -> Starlette:
    """`metrics_at` (host, port): also serve this process's request metrics there, for the
    public surface, which has no /metrics of its own (edge.metrics says why)."""
    routes = health_routes(context)
    for group in SURFACES[surface]:
        routes += group(context)
    app = Starlette(
        routes=routes,
        lifespan=serving_metrics(*metrics_at) if metrics_at else None,
        middleware=[
            Middleware(RequestMetrics, surface=surface),
            Middleware(SecurityHeaders, style_hashes=(STYLE_HASH,)),
        ],
    )
    # RFC 8058 clients follow no redirects: `/unsubscribe/` is a 404, never a 307.
    app.router.redirect_slashes = False
    return app


def public_app() -> Starlette:
    return build_app(EdgeContext.from_env(), "public")


def internal_app() -> Starlette:
    return build_app(EdgeContext.from_env(), "internal")


def all_app() -> Starlette:
    return build_app(EdgeContext.from_env(), "all")


FACTORIES: dict[str, Callable[[], Starlette]] = {
    "public": public_app,
    "internal": internal_app,
    "all": all_app,
}
