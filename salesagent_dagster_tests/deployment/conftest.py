"""A real S3-compatible server for the deployment tests: moto's standalone server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from moto.server import ThreadedMotoServer

from salesagent_dagster_tests.deployment.production_stack import free_port


@pytest.fixture
def s3_endpoint() -> Iterator[str]:
    """The URL of an empty S3-compatible server on a free port (any credentials work)."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    # moto keeps its buckets per Python process, not per server: start from none.
    requests.post(f"{url}/moto-api/reset", timeout=10).raise_for_status()
    try:
        yield url
    finally:
        server.stop()
