"""`salesagent serve`: the edge service (one-click unsubscribe, the HubSpot webhook, the
review desk, health) on uvicorn.

The public surface is what a deployment publishes to the internet; the internal one
(operators' pages) runs as a second process on a port that is never published. The app
is named to uvicorn by its factory string, as uvicorn's own CLI would, so this command
stays a launcher and the edge builds its resources from the settings when it starts.
"""

from __future__ import annotations

from typing import Any

import click

SURFACES = ("public", "internal", "all")
# The operators' surfaces carry the review desk, whose actions run the code location's
# review_lead job: their factories are local.desk_edge's, which wires the two.
APP_FACTORIES = {
    "public": "salesagent_dagster.edge.app:public_app",
    "internal": "salesagent_dagster.local.desk_edge:internal_app",
    "all": "salesagent_dagster.local.desk_edge:all_app",
}
DEFAULT_PORTS = {"public": 8080, "internal": 8081, "all": 8080}


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=None,
    help="Port to listen on (default 8080 public, 8081 internal).",
)  # fmt: skip
@click.option(
    "--surface", type=click.Choice(SURFACES), default="public", show_default=True,
    help="public: what the internet may reach; internal: operators only; all: both (local).",
)  # fmt: skip
@click.option(
    "--forwarded-allow-ips", default=None,
    help="Proxies whose X-Forwarded-* headers are believed (uvicorn's; default 127.0.0.1, "
    "or FORWARDED_ALLOW_IPS).",
)  # fmt: skip
@click.option(
    "--metrics-port", type=click.IntRange(1, 65535), default=None,
    help="The public surface only: also serve its request metrics (Prometheus) on this port "
    "of --host. Never publish it: Prometheus scrapes it from the internal network.",
)  # fmt: skip
def serve(
    host: str,
    port: int | None,
    surface: str,
    forwarded_allow_ips: str | None,
    metrics_port: int | None,
) -> None:
    """Run the edge service (ASGI on uvicorn) until stopped."""
    import uvicorn

    from salesagent_dagster.local.public_edge import public_app_with_metrics

    if metrics_port is not None and surface != "public":
        raise click.UsageError(
            "--metrics-port is for the public surface; the others serve /metrics"
        )
    app: Any = APP_FACTORIES[surface]
    if metrics_port is not None:
        app = public_app_with_metrics(host, metrics_port)
    uvicorn.run(
        app,
        factory=True,
        host=host,
        port=DEFAULT_PORTS[surface] if port is None else port,
        # The link's query carries its signature: keep URLs out of the access log.
        access_log=False,
        server_header=False,
        # Behind a TLS-terminating proxy: the webhook's signature covers the URL HubSpot
        # called, so the scheme comes from X-Forwarded-Proto of the addresses in
        # FORWARDED_ALLOW_IPS (uvicorn's; default 127.0.0.1), the host from Host.
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips,
        # SIGTERM or Ctrl-C: stop accepting, give requests in flight this long, then exit
        # (the edge shutdown drill: every stored webhook was answered 200, none cut off).
        timeout_graceful_shutdown=10,
    )
