"""Liveness and readiness: for a load balancer or an orchestrator, no key needed."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from graphrisk.api.deps import ServiceDep, Viewer
from graphrisk.api.errors import problem
from graphrisk.api.schemas import Me
from graphrisk.errors import GraphRiskError

router = APIRouter(prefix="/api", tags=["health"])


@router.get("/health", summary="The process is up",
            responses={200: {"content": {"application/json": {"example": {"status": "ok"}}}}})
def health() -> dict[str, str]:
    """Answers while the process runs, whatever the store's state."""
    return {"status": "ok"}


@router.get("/ready", summary="The store can be reached",
            responses={200: {"content": {"application/json": {
                "example": {"status": "ready", "store": "embedded"}}}},
                503: {"description": "The store cannot be reached; `detail` says why."}})
def ready(service: ServiceDep) -> JSONResponse:
    """200 when the store answers a query now; 503 (problem) while it cannot be reached."""
    try:
        service.ping()
    except (GraphRiskError, OSError) as error:
        return problem(503, f"the {service.store_kind.value} store cannot be reached: {error}",
                       instance="/api/ready")
    return JSONResponse({"status": "ready", "store": service.store_kind.value})


@router.get("/me", response_model=Me, summary="Who the key belongs to")
def me(user: Viewer, service: ServiceDep) -> Me:
    """The signed-in user, their role, and whether personal data is masked for them."""
    return Me(name=user.name, role=user.role.value, masked=user.role.value == "viewer",
              store=service.store_kind.value)
