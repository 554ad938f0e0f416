"""Probable same-person pairs: two customer records that are probably one person, and an
investigator's decision on each.

The pairs are found by `graphrisk resolve` or an admin's `resolve` job (`POST /api/jobs`).
A confirmed pair stays linked in later runs whatever they score; a rejected one is never
linked again. Every decision is in the audit trail.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query

from graphrisk.access import ApiUser
from graphrisk.api.deps import Investigator, Page, ServiceDep, Viewer
from graphrisk.api.presenting import mask_name, mask_sentence
from graphrisk.api.routes.customers import masked_for
from graphrisk.api.schemas import DecisionCreate, ListPage, SameEntityPairPublic
from graphrisk.errors import NotFoundError
from graphrisk.resolution.service import SameEntityPair
from graphrisk.service import RiskService

router = APIRouter(prefix="/api/resolution", tags=["resolution"])

PairId = Annotated[str, Path(pattern=r"^S[EC]-[0-9a-f]{12}$", description="The pair's id.",
                             examples=["SE-0a1b2c3d4e5f"])]
PairStatus = Literal["open", "confirmed", "rejected", "cleared"]
#: What a list of pairs shows unless asked: the pairs that link their customers.
LINKED = ("open", "confirmed")
_DECIDED = {409: {"description": "The pair changed while you decided; read it again and "
                  "decide again."}}


def pair_public(pair: SameEntityPair, *, masked: bool) -> SameEntityPairPublic:
    """A stored pair as this reader may see it: names and birth years masked for viewers."""
    shown = SameEntityPairPublic(
        pair_id=pair.pair_id, status=pair.status,  # type: ignore[arg-type]
        customer_a=pair.customer_a, customer_b=pair.customer_b, name_a=pair.name_a,
        name_b=pair.name_b, probability=round(pair.probability, 4), sentence=pair.sentence,
        agreed=list(pair.agreed), history=[dict(h) for h in pair.history],
        version=pair.version, side=pair.side)  # type: ignore[arg-type]
    if not masked:
        return shown
    return shown.model_copy(update={
        "name_a": mask_name(pair.name_a), "name_b": mask_name(pair.name_b),
        "sentence": mask_sentence(pair.sentence),
        "history": [{**h, "note": mask_sentence(str(h.get("note", "")))}
                    for h in pair.history]})


def _audited(service: RiskService, user: ApiUser, masked: bool,
             pairs: list[SameEntityPair], subject: str | None) -> None:
    """Record that ``user`` saw the names on these pairs (unmasked reads only)."""
    if not masked and pairs:
        service.record_access(user.name, "resolution.read", subject, {
            "pairs": [p.pair_id for p in pairs[:500]],
            "customers": sorted({c for p in pairs for c in (p.customer_a, p.customer_b)})[:500]})


def _pair(service: RiskService, pair_id: str) -> SameEntityPair:
    try:
        return service.resolution.pair(pair_id)
    except NotFoundError:
        raise HTTPException(404, f"no same-person pair {pair_id!r}; GET /api/resolution/pairs "
                            "lists them (customer_id= for one customer's, status= for "
                            "decided ones)") from None


@router.get("/pairs", response_model=ListPage[SameEntityPairPublic],
            summary="Probable same-person pairs")
def list_pairs(
    user: Viewer, service: ServiceDep, page: Page,
    status: Annotated[list[PairStatus] | None, Query(
        description="Only these statuses (repeat the parameter for several); open and "
        "confirmed by default.")] = None,
    customer_id: Annotated[str | None, Query(
        min_length=1, max_length=128, description="Only pairs with this customer in them.",
        examples=["C000042"])] = None,
) -> ListPage[SameEntityPairPublic]:
    """Pairs of customers that are probably one person, and counterparties that are
    probably a customer (``side`` ``counterparty``: her account outside the bank), most
    probable first, each with the sentence saying which fields agreed. Names are masked for
    viewers; an unmasked read is written to the audit trail. An admin finds them on the
    server: `graphrisk resolve`."""
    pairs = service.resolution.pairs(status=tuple(status or LINKED))
    if customer_id is not None:
        pairs = [p for p in pairs if customer_id in (p.customer_a, p.customer_b)]
    shown = pairs[page.offset:page.offset + page.limit]
    masked = masked_for(user)
    _audited(service, user, masked, shown, customer_id)
    return ListPage[SameEntityPairPublic](items=[pair_public(p, masked=masked) for p in shown],
                                          total=len(pairs), limit=page.limit,
                                          offset=page.offset)


@router.get("/pairs/{pair_id}", response_model=SameEntityPairPublic,
            summary="One same-person pair")
def get_pair(pair_id: PairId, user: Viewer, service: ServiceDep) -> SameEntityPairPublic:
    pair = _pair(service, pair_id)
    masked = masked_for(user)
    _audited(service, user, masked, [pair], pair.customer_a)
    return pair_public(pair, masked=masked)


@router.post("/pairs/{pair_id}/confirm", response_model=SameEntityPairPublic,
             summary="Confirm a pair: one person", responses=_DECIDED)
def confirm_pair(pair_id: PairId, body: DecisionCreate, user: Investigator,
                 service: ServiceDep) -> SameEntityPairPublic:
    """Confirmed by you, with your note (audited as `resolution.confirm`): the two stay
    linked in later runs, whatever they score."""
    _pair(service, pair_id)
    return pair_public(service.resolution.confirm(pair_id, body.note, actor=user.name),
                       masked=False)


@router.post("/pairs/{pair_id}/reject", response_model=SameEntityPairPublic,
             summary="Reject a pair: two people", responses=_DECIDED)
def reject_pair(pair_id: PairId, body: DecisionCreate, user: Investigator,
                service: ServiceDep) -> SameEntityPairPublic:
    """Rejected by you, with your note (audited as `resolution.reject`): never linked
    again."""
    _pair(service, pair_id)
    return pair_public(service.resolution.reject(pair_id, body.note, actor=user.name),
                       masked=False)
