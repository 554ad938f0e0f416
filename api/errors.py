"""Every error the API answers, as ``application/problem+json`` (RFC 9457), in one place.

Why one place: the service raises domain errors (:mod:`graphrisk.errors`) that already say
what went wrong and what to do; this module only decides the HTTP status of each and writes
the problem document, so a route never builds an error response itself.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from graphrisk.errors import (
    ConfigError,
    GraphRiskError,
    IngestionError,
    ModelError,
    NotFoundError,
    QueryFailedError,
    QueryRefusedError,
    RecordConflictError,
    StoreUnavailableError,
    UnsupportedByStoreError,
)

__all__ = ["PROBLEM_JSON", "install_error_handlers", "problem", "status_of"]

_log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


def status_of(error: GraphRiskError) -> int:
    """The HTTP status a domain error answers with."""
    from graphrisk.monitoring.casework import CaseRuleError

    if isinstance(error, NotFoundError):
        return 404
    if isinstance(error, RecordConflictError | CaseRuleError):
        return 409
    if isinstance(error, QueryRefusedError):
        return 403
    if isinstance(error, QueryFailedError):
        return 504 if error.timed_out else 400
    if isinstance(error, UnsupportedByStoreError):
        return 501
    if isinstance(error, StoreUnavailableError):
        return 503
    if isinstance(error, ModelError):
        return 409  # the model is not there or not fit for it: a state, not bad input
    if isinstance(error, ConfigError | IngestionError):
        return 422
    return 400


def problem(status: int, detail: str, *, instance: str | None = None,
            headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    """A problem document with ``status``'s title and ``detail``."""
    body: dict[str, Any] = {"type": "about:blank", "title": HTTPStatus(status).phrase,
                            "status": status, "detail": detail}
    if instance:
        body["instance"] = instance
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """Answer domain errors, HTTP errors, invalid input and crashes as problems."""

    @app.exception_handler(GraphRiskError)
    async def domain_error(request: Request, error: GraphRiskError) -> JSONResponse:
        return problem(status_of(error), str(error), instance=request.url.path)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        detail = error.detail if isinstance(error.detail, str) else HTTPStatus(
            error.status_code).description
        return problem(error.status_code, detail, instance=request.url.path,
                       headers=getattr(error, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def invalid_input(request: Request, error: RequestValidationError) -> JSONResponse:
        errors = [{"loc": [str(part) for part in e.get("loc", ())], "msg": str(e.get("msg")),
                   "type": str(e.get("type"))} for e in error.errors()]
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        where = ".".join(p for p in first["loc"] if p != "body") or "request"
        detail = f"{where}: {first['msg']}"
        if len(errors) > 1:
            detail += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
        return problem(422, detail, instance=request.url.path, errors=errors)

    @app.exception_handler(ValueError)
    async def bad_value(request: Request, error: ValueError) -> JSONResponse:
        # the service raises ValueError for arguments it cannot use (an unknown split...)
        return problem(422, str(error), instance=request.url.path)

    @app.exception_handler(Exception)
    async def crash(request: Request, error: Exception) -> JSONResponse:
        _log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(500, "the server failed to answer this request; the error is in its "
                       "log", instance=request.url.path)
