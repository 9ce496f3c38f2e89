"""`GET /healthz`: 200 while the app DB answers at this code's migration, 503 otherwise.

Every opt-out the edge takes is written to the app DB before it answers, so an edge whose
database is unreachable (or behind the code) cannot honour one and must say so.
"""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from salesagent_dagster.edge.context import EdgeContext
from salesagent_dagster.store.database import code_revisions, database_revision

log = logging.getLogger(__name__)


def health_routes(context: EdgeContext) -> list[BaseRoute]:
    async def healthz(request: Request) -> JSONResponse:
        try:
            # One read of `alembic_version`: the database answers, and with which schema.
            revision = await run_in_threadpool(database_revision, context.app_store.database_url)
        except Exception as exc:
            log.warning("healthz: app DB unreachable: %s", type(exc).__name__)
            return JSONResponse({"status": "unavailable", "app_db": "unreachable"}, 503)
        if revision != code_revisions()[-1]:
            return JSONResponse({"status": "unavailable", "app_db": "not migrated"}, 503)
        return JSONResponse({"status": "ok", "app_db": "ok"})

    return [Route("/healthz", healthz, methods=["GET"])]
