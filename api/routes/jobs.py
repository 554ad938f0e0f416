"""Background jobs: scoring, re-assessment, training, screening and resolving, with status
and progress."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from graphrisk.api.deps import Admin, Page, ServiceDep, Viewer
from graphrisk.api.jobs import JobLauncher, list_jobs, read_job
from graphrisk.api.schemas import JobCreate, JobPublic, ListPage

router = APIRouter(prefix="/api/jobs", tags=["jobs"])

JobId = Annotated[str, Path(max_length=64, examples=["J-20261201T093136-1a2b3c"])]


@router.post("", response_model=JobPublic, status_code=202, summary="Start a job")
def start_job(body: JobCreate, user: Admin, request: Request) -> JobPublic:
    """Starts scoring, a re-assessment, training, screening (every record against every
    loaded list) or resolving (same-person pairs) in a separate process and answers at
    once; poll ``GET /api/jobs/{job_id}`` for its progress and result."""
    launcher: JobLauncher = request.app.state.jobs
    params = body.model_dump(exclude={"kind"})
    return JobPublic(**_public(launcher.start(body.kind, params, requested_by=user.name)))


@router.get("", response_model=ListPage[JobPublic], summary="Jobs, newest first")
def jobs(user: Viewer, service: ServiceDep, page: Page) -> ListPage[JobPublic]:
    found = list_jobs(service.store)
    return ListPage[JobPublic](
        items=[JobPublic(**_public(j)) for j in found[page.offset:page.offset + page.limit]],
        total=len(found), limit=page.limit, offset=page.offset)


@router.get("/{job_id}", response_model=JobPublic, summary="One job's status")
def job(job_id: JobId, user: Viewer,
        service: ServiceDep) -> JobPublic:
    return JobPublic(**_public(read_job(service.store, job_id)))


def _public(body: dict) -> dict:
    return {k: v for k, v in body.items() if k != "params"}
