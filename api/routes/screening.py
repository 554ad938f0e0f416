"""Watch and sanctions lists: what is loaded, the hits they raised, and an investigator's
decision on each hit.

Loading a list stays on the server (`graphrisk lists load`); the whole bank is screened by
`graphrisk screen` or an admin's `screen` job (`POST /api/jobs`), and incremental batches
screen their new and changed customers by themselves. A confirmed customer hit makes the
customer known risk; a dismissed one is not raised again for the same list entry. Every
decision is in the audit trail.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query

from graphrisk.access import ApiUser
from graphrisk.api.deps import Investigator, Page, ServiceDep, Viewer
from graphrisk.api.presenting import mask_name, mask_sentence
from graphrisk.api.routes.customers import masked_for
from graphrisk.api.schemas import (
    DecisionCreate,
    ListPage,
    ScreeningHitPublic,
    ScreeningListPublic,
)
from graphrisk.errors import NotFoundError
from graphrisk.screening.service import ScreeningHit
from graphrisk.service import RiskService

router = APIRouter(prefix="/api/screening", tags=["screening"])

HitId = Annotated[str, Path(pattern=r"^SH-[0-9a-f]{12}$", description="The hit's id.",
                            examples=["SH-1a2b3c4d5e6f"])]
HitStatus = Literal["open", "confirmed", "dismissed", "cleared"]
#: What a list of hits shows unless asked: the hits that stand.
STANDING = ("open", "confirmed")
_DECIDED = {409: {"description": "The hit changed while you decided; read it again and "
                  "decide again."}}


def hit_public(hit: ScreeningHit, *, masked: bool) -> ScreeningHitPublic:
    """A stored hit as this reader may see it: names (the bank's and the entry's) and birth
    years masked for viewers."""
    shown = ScreeningHitPublic(
        hit_id=hit.hit_id, status=hit.status, record_kind=hit.record_kind,  # type: ignore[arg-type]
        subject=hit.subject, record_name=hit.record_name, list_name=hit.list_name,
        list_version=hit.list_version, entry_id=hit.entry_id, entry_name=hit.entry_name,
        matched_name=hit.matched_name or hit.entry_name, programme=hit.programme,
        score=round(hit.score, 4), sentence=hit.sentence, agreed=list(hit.agreed),
        contradicted=list(hit.contradicted), history=[dict(h) for h in hit.history],
        version=hit.version, created_at=hit.created_at, updated_at=hit.updated_at)
    if not masked:
        return shown
    # the entry's name too: a hit says it is (nearly) the customer's own name
    return shown.model_copy(update={
        "record_name": mask_name(hit.record_name), "entry_name": mask_name(hit.entry_name),
        "matched_name": mask_name(shown.matched_name), "sentence": mask_sentence(hit.sentence),
        "agreed": [mask_sentence(a) for a in hit.agreed],
        "contradicted": [mask_sentence(c) for c in hit.contradicted],
        "history": [{**h, "note": mask_sentence(str(h.get("note", "")))}
                    for h in hit.history]})


def _audited(service: RiskService, user: ApiUser, masked: bool,
             hits: list[ScreeningHit], subject: str | None) -> None:
    """Record that ``user`` saw the names on these hits (unmasked reads only)."""
    if not masked and hits:
        service.record_access(user.name, "screening.read", subject, {
            "hits": [h.hit_id for h in hits[:500]],
            "customers": sorted({h.subject for h in hits if h.record_kind == "customer"})[:500]})


def _hit(service: RiskService, hit_id: str) -> ScreeningHit:
    try:
        return service.screening.hit(hit_id)
    except NotFoundError:
        raise HTTPException(404, f"no screening hit {hit_id!r}; GET /api/screening/hits lists "
                            "them (customer_id= for one customer's, status= for decided "
                            "ones)") from None


@router.get("/lists", response_model=ListPage[ScreeningListPublic],
            summary="The loaded watch and sanctions lists")
def list_lists(user: Viewer, service: ServiceDep, page: Page) -> ListPage[ScreeningListPublic]:
    """Each loaded list at its latest version, by name, with every version's summary. An
    admin loads a list on the server: `graphrisk lists load FILE --name NAME`."""
    lists = service.screening.lists()
    items = [ScreeningListPublic(
        name=item.name, version=item.version, entries=item.entries, loaded_at=item.loaded_at,
        loaded_by=item.loaded_by, source=item.source,
        versions=[{k: v for k, v in version.items() if k not in ("chunks", "digest")}
                  for version in item.versions])
        for item in lists[page.offset:page.offset + page.limit]]
    return ListPage[ScreeningListPublic](items=items, total=len(lists), limit=page.limit,
                                         offset=page.offset)


@router.get("/hits", response_model=ListPage[ScreeningHitPublic], summary="Screening hits")
def list_hits(
    user: Viewer, service: ServiceDep, page: Page,
    status: Annotated[list[HitStatus] | None, Query(
        description="Only these statuses (repeat the parameter for several); open and "
        "confirmed by default.")] = None,
    customer_id: Annotated[str | None, Query(
        min_length=1, max_length=128, description="Only this customer's hits.",
        examples=["C000042"])] = None,
) -> ListPage[ScreeningHitPublic]:
    """Customers and counterparties that matched a list entry, best score first, each with
    the entry, the score and why (which fields agreed). Names are masked for viewers; an
    unmasked read is written to the audit trail."""
    hits = service.screening.hits(status=list(status or STANDING), subject=customer_id)
    if customer_id is not None:
        hits = [h for h in hits if h.record_kind == "customer"]
    shown = hits[page.offset:page.offset + page.limit]
    masked = masked_for(user)
    _audited(service, user, masked, shown, customer_id)
    return ListPage[ScreeningHitPublic](items=[hit_public(h, masked=masked) for h in shown],
                                        total=len(hits), limit=page.limit, offset=page.offset)


@router.get("/hits/{hit_id}", response_model=ScreeningHitPublic, summary="One screening hit")
def get_hit(hit_id: HitId, user: Viewer, service: ServiceDep) -> ScreeningHitPublic:
    hit = _hit(service, hit_id)
    masked = masked_for(user)
    _audited(service, user, masked, [hit], hit.subject)
    return hit_public(hit, masked=masked)


@router.post("/hits/{hit_id}/confirm", response_model=ScreeningHitPublic,
             summary="Confirm a hit: it is the listed party", responses=_DECIDED)
def confirm_hit(hit_id: HitId, body: DecisionCreate, user: Investigator,
                service: ServiceDep) -> ScreeningHitPublic:
    """Confirmed by you, with your note (audited as `screening.confirm`). A confirmed
    customer hit makes the customer known risk (sanctions, or other for a PEP list), which
    the next score reads."""
    _hit(service, hit_id)
    return hit_public(service.screening.confirm(hit_id, body.note, actor=user.name),
                      masked=False)


@router.post("/hits/{hit_id}/dismiss", response_model=ScreeningHitPublic,
             summary="Dismiss a hit: a false match", responses=_DECIDED)
def dismiss_hit(hit_id: HitId, body: DecisionCreate, user: Investigator,
                service: ServiceDep) -> ScreeningHitPublic:
    """Dismissed by you, with your note (audited as `screening.dismiss`): not raised again
    for the same list entry; a known-risk label this hit had set is taken back."""
    _hit(service, hit_id)
    return hit_public(service.screening.dismiss(hit_id, body.note, actor=user.name),
                      masked=False)
