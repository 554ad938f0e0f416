"""The audit trail, for admins: who read or changed what, and when."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from graphrisk.api.deps import Admin, Page, ServiceDep
from graphrisk.api.schemas import AuditEntryPublic, ListPage

router = APIRouter(prefix="/api/audit", tags=["audit"])


@router.get("", response_model=ListPage[AuditEntryPublic], summary="The audit trail")
def audit_trail(
    user: Admin, service: ServiceDep, page: Page,
    subject: Annotated[str | None, Query(max_length=200)] = None,
    actor: Annotated[str | None, Query(max_length=64)] = None,
    action: Annotated[str | None, Query(max_length=64, examples=["customer.read"])] = None,
) -> ListPage[AuditEntryPublic]:
    """Entries, newest first. Nothing here can be edited."""
    entries = service.monitoring.audit(subject=subject, actor=actor, action=action)
    entries = list(reversed(entries))
    return ListPage[AuditEntryPublic](
        items=[AuditEntryPublic(seq=e.seq, at=str(e.at), actor=e.actor, action=e.action,
                                subject=e.subject, details=e.details)
               for e in entries[page.offset:page.offset + page.limit]],
        total=len(entries), limit=page.limit, offset=page.offset)
