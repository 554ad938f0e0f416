"""The FastAPI app: the JSON API under ``/api`` and the investigator page at ``/``.

``create_app`` builds it; nothing is opened at import. The lifespan opens the service (and
with it the store: one Neo4j driver per process) once when the app starts and closes it on
shutdown; routes get it by injection (:data:`graphrisk.api.deps.ServiceDep`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI, Request, Response
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graphrisk import __version__
from graphrisk.api.errors import install_error_handlers, problem
from graphrisk.api.jobs import JobLauncher
from graphrisk.api.routes import (
    alerts,
    audit,
    cases,
    clusters,
    customers,
    events,
    health,
    jobs,
    network,
    query,
    resolution,
    screening,
)
from graphrisk.api.schemas import problem_responses
from graphrisk.config import Settings, get_settings
from graphrisk.service import RiskService

__all__ = ["STATIC_DIR", "create_app", "page_is_built"]

_log = logging.getLogger(__name__)

STATIC_DIR = Path(str(resources.files("graphrisk.api") / "static"))
#: The graph library the page draws with, installed from npm at build time (make setup).
VENDOR_SCRIPT = STATIC_DIR / "vendor" / "cytoscape.min.js"

DESCRIPTION = """\
GraphRisk's HTTP API: search a customer, see why they are risky, walk their network, query
rings, work the alert queue and cases, decide on watch-list hits and probable same-person
pairs.

**Log in** with an API key (`graphrisk users add NAME --role ROLE` on the server prints one):
send `Authorization: Bearer <key>`. Roles: **viewer** (reads, personal data masked),
**investigator** (unmasked reads, alerts, cases, list hits and same-person pairs, events,
read-only Cypher), **admin** (everything, plus jobs and the audit trail). Errors are
`application/problem+json` (RFC 9457). Lists take `limit` and `offset`.
"""


def page_is_built() -> bool:
    """Whether the page's JavaScript libraries are in place (``make setup`` builds them)."""
    return VENDOR_SCRIPT.is_file()


def create_app(settings: Settings | None = None, *,
               service: RiskService | None = None) -> FastAPI:
    """Build the app.

    Args:
        settings: where the store is and the API's limits; the environment's by default.
        service: an open service to use instead of opening one (the caller closes it).
    """
    settings = settings or (service.settings if service is not None else get_settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # FastAPI answers plain `def` routes from anyio's thread pool (40 by default); one
        # worker serving 40 CPU-bound requests at once answers fewer than with 4.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.api_threads
        opened = service or RiskService.open(settings)
        app.state.service = opened
        app.state.jobs = JobLauncher(settings, opened.store)
        _log.info("GraphRisk API serving %s", opened.describe())
        try:
            yield
        finally:
            app.state.jobs.stop_all()
            if service is None:
                opened.close()

    app = FastAPI(
        title="GraphRisk", version=__version__, description=DESCRIPTION, lifespan=lifespan,
        openapi_url="/api/openapi.json", docs_url="/api/docs", redoc_url=None,
        openapi_tags=[
            {"name": "customers", "description": "Search, detail, network, explanation."},
            {"name": "network", "description": "Paths between customers."},
            {"name": "clusters", "description": "Rings, money communities, typologies."},
            {"name": "alerts", "description": "The alert queue."},
            {"name": "cases", "description": "Case work, with versions (409 when stale)."},
            {"name": "screening", "description": "Watch and sanctions lists, their hits, "
             "and decisions on them."},
            {"name": "resolution", "description": "Probable same-person pairs, and "
             "decisions on them."},
            {"name": "events", "description": "Incremental batches of new events."},
            {"name": "jobs", "description": "Scoring, re-assessment and training."},
            {"name": "query", "description": "Read-only Cypher (Neo4j store)."},
            {"name": "audit", "description": "The audit trail."},
            {"name": "health", "description": "Liveness, readiness, who am I."},
        ])
    install_error_handlers(app)
    app.include_router(health.router, responses=problem_responses(422, 503))
    for module in (customers, network, clusters, alerts, cases, screening, resolution, events,
                   jobs, query, audit):
        # every route may answer these; each documents its own others (409, 501...)
        app.include_router(module.router,
                           responses=problem_responses(400, 401, 403, 404, 413, 422))
    app.add_middleware(_BodyLimit, max_bytes=settings.api_max_body_bytes)

    @app.middleware("http")
    async def security_headers(request: Request,
                               call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        if request.url.path.startswith("/api/") and not request.url.path.startswith(
                "/api/docs"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    if STATIC_DIR.is_dir():
        app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/", include_in_schema=False)
    def page() -> Response:
        index = STATIC_DIR / "index.html"
        if not index.is_file() or not page_is_built():
            return problem(503, "the investigator page is not built: run `make setup` (it "
                           "installs the page's JavaScript libraries from npm); the API "
                           "under /api works without it", instance="/")
        return FileResponse(index, headers={"Cache-Control": "no-cache"})

    @app.get("/api", include_in_schema=False)
    def api_root() -> RedirectResponse:
        return RedirectResponse("/api/docs")

    return app


class _BodyLimit:
    """Refuse request bodies over ``max_bytes`` with 413, before a route reads them.

    Checks the declared ``Content-Length`` and, for chunked bodies, counts as they arrive.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(413, f"the request body is larger than {self.max_bytes} bytes "
                           "(GRAPHRISK_API_MAX_BODY_BYTES); send the events in smaller "
                           "batches", instance=scope.get("path"))
        await response(scope, receive, send)


class _TooLarge(Exception):
    pass
