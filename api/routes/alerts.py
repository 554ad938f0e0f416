"""The alert queue: most severe and newest first; acknowledging one."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from graphrisk.api.deps import Investigator, Page, ServiceDep, Viewer
from graphrisk.api.schemas import AlertPublic, ListPage
from graphrisk.policy import SEVERITIES

router = APIRouter(prefix="/api/alerts", tags=["alerts"])

AlertId = Annotated[str, Path(max_length=64, examples=["A-699742599789"])]


@router.get("", response_model=ListPage[AlertPublic], summary="The alert queue")
def list_alerts(
    user: Viewer, service: ServiceDep, page: Page,
    status: Annotated[Literal["new", "acknowledged", "unfiled", "shadow"] | None,
                      Query(description="Only this status; open ones by default.")] = None,
    severity: Annotated[Literal["low", "medium", "high", "critical"] | None, Query()] = None,
    rule: Annotated[str | None, Query(max_length=64, examples=["single_payment"])] = None,
    customer: Annotated[str | None, Query(max_length=128, examples=["C000042"])] = None,
) -> ListPage[AlertPublic]:
    """Alerts, most severe first and newest first within a severity, each with its sentence,
    the customer's tier and the evidence."""
    alerts = service.monitoring.alerts(status=status, customer=customer, rule=rule,
                                       shadow=status == "shadow")
    if severity:
        alerts = [a for a in alerts if a.severity == severity]
    alerts.sort(key=lambda a: (SEVERITIES.index(a.severity), a.at, a.alert_id), reverse=True)
    return ListPage[AlertPublic](items=alerts[page.offset:page.offset + page.limit],
                                 total=len(alerts), limit=page.limit, offset=page.offset)


@router.get("/{alert_id}", response_model=AlertPublic, summary="One alert")
def get_alert(alert_id: AlertId, user: Viewer,
              service: ServiceDep) -> AlertPublic:
    return service.monitoring.alert(alert_id)


@router.post("/{alert_id}/acknowledge", response_model=AlertPublic,
             summary="Mark an alert seen")
def acknowledge_alert(alert_id: AlertId, user: Investigator,
                      service: ServiceDep) -> AlertPublic:
    """Marks the alert acknowledged by you (audited); doing it twice changes nothing."""
    return service.monitoring.acknowledge(alert_id, actor=user.name)
