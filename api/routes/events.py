"""Incremental events: a batch of new rows, validated like a file load, then monitored."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from graphrisk.api.deps import Investigator, ServiceDep
from graphrisk.api.schemas import EventsIn, IngestResult

router = APIRouter(prefix="/api", tags=["events"])


@router.post("/events", response_model=IngestResult, summary="Send a batch of new events",
             responses={422: {"description": "The batch is empty or malformed as a whole."}})
def ingest_events(body: EventsIn, user: Investigator, service: ServiceDep) -> IngestResult:
    """New customers, accounts, payments, disputes... per input file, with the same
    columns as the CSV files. Bad rows are quarantined and reported with their file, row,
    column and reason; the valid rows load, the touched customers are re-scored and the
    alert rules run. Sending the same rows twice loads nothing twice."""
    events = {name: rows for name, rows in body.model_dump().items() if rows}
    if not events:
        raise HTTPException(422, "the batch is empty: give rows for at least one of "
                            + ", ".join(EventsIn.model_fields))
    done = service.monitoring.ingest_events(events, actor=user.name)
    report, outcome = done.report, done.outcome
    return IngestResult(
        load_id=report.load_id,
        accepted={t.entity: t.rows_loaded for t in report.tables},
        rejected={t.entity: t.rows_rejected for t in report.tables if t.rows_rejected},
        problems=[{"file": p.source, "row": p.row, "column": p.column, "value": p.value,
                   "reason": p.reason, "severity": p.severity}
                  for p in report.problems[:200]],
        alerts=list(outcome.alerts), cases_opened=list(outcome.cases_opened),
        rescored=len(outcome.reach))
