"""Incremental re-scoring: after a small batch of events, re-score only the customers it reaches.

Why: a full run reads and analyses the whole graph (about a minute for 100,000 customers);
monitoring needs the effect of a few new payments or identifiers in well under a second. A
batch changes the data of a few customers (:func:`touched_customers`); through shared
identifiers, co-held accounts and payments their change can matter to customers a link or
two away (:func:`reach`). :func:`rescore` scores exactly those customers on a *region* of the
graph (their data and the data next to it, read with ``GraphStore.region_snapshot``) through
the same code as a full run (:func:`graphrisk.scoring.customer_factors`,
:func:`~graphrisk.scoring.grade_and_explain`), and writes them as one run of kind
``incremental``; every other customer keeps the score of the last run.

What is recomputed and what is anchored to the last full run:

``known``       recomputed (the customer's own label).
``individual``  the last full run's fold models (:class:`IndividualModel`) applied to the
                recomputed factors: an unchanged customer gets exactly its previous value, a
                changed one what the full run's models make of its new factors. Reasons rank
                the factors against the full run's population (``IndividualModel.percentiles``).
``typology``    recomputed by the detectors on the region, which holds the re-scored
                customers' transactions and those of their payment partners (so a new cycle of
                up to four customers, a fan they are a spoke of, a pass-through are found).
``network``,    population-level (propagation from every known-risk customer, the ranking
``cluster``,    of all clusters, a model over the whole graph): the customer's stored
``model``       components of its latest score (``GraphStore.latest_scores``), 0 for a new
                customer; the cluster sentence is the previous one.

Population-level constants of the factors (the data's time span behind ``velocity_burst``,
the credit score that fills a missing one) are the full run's, kept on the
:class:`IndividualModel` (``population``), the span stretched to the region's newest event.
Computed on the region, they followed whoever else was read, so a customer's factors (and
``individual``) moved although their data did not; with them, a re-scored customer's factors
are exactly those of the whole graph (``tests/unit/test_rescoring.py`` checks it on a
replayed stream, where quiet customers' score moves fell from p90 4.1 to 3.5 points).

Reads: one :class:`RegionReader` per batch, passed to :func:`touched_customers`,
:func:`reach` and :func:`rescore`, reads each customer's region once and cuts the regions
the steps ask for from what it has read: a batch costs one look-up of the accounts it names
and three region reads (the touched customers', their neighbours', the payment partners'),
four when co-holders of the batch's accounts are touched (their region is read by
:func:`reach`); :func:`rescore` reads at most twice.

Limits (measured in ``tests/unit/test_rescoring.py`` against a full re-score): a new link to a
known-risk customer moves the full run's ``network`` component, which an incremental run only
sees at the next full run; cycles of five or more customers through the batch are only found
by a full run; the individual models are not refitted, so a full re-score (which refits them
on the new population) differs slightly for every customer.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from graphrisk.analytics.customer_graph import build_customer_graph, customer_transfers
from graphrisk.analytics.factors import PopulationConstants, population_constants
from graphrisk.analytics.individual_model import (
    IndividualModel,
    attribute_frame,
    can_learn,
    fit_individual_model,
    fit_label_free_model,
)
from graphrisk.analytics.ledger import TransactionLedger, build_ledger
from graphrisk.analytics.region import region_of
from graphrisk.analytics.typologies import TypologyResult, detect_typologies
from graphrisk.analytics.typologies.thresholds import derive_thresholds
from graphrisk.domain import ENTITY_BY_NAME, NodeLabel
from graphrisk.errors import AnalyticsError
from graphrisk.graph import GraphSnapshot
from graphrisk.policy import RiskPolicy
from graphrisk.scoring import (
    COMPONENTS,
    SCORE_COLUMNS,
    ScoringSettings,
    customer_factors,
    grade_and_explain,
    links_between_customers,
    new_run_id,
)
from graphrisk.store.base import GraphStore

__all__ = [
    "ANCHORED_COMPONENTS",
    "INCREMENTAL_KIND",
    "ChangeSet",
    "IncrementalResult",
    "RegionReader",
    "fit_individual_model_on_store",
    "reach",
    "rescore",
    "touched_customers",
]

logger = logging.getLogger(__name__)

#: The ``kind`` of an incremental run in the store's score history.
INCREMENTAL_KIND = "incremental"
#: Components taken from the customer's latest stored score instead of recomputed.
ANCHORED_COMPONENTS: tuple[str, ...] = ("network", "cluster", "model")
_CLUSTER_REASON = "member of high-risk cluster "
#: Frames a region sorts by other columns than their entity key (as graphrisk.analytics.region).
_SORT_KEYS: dict[str, tuple[str, ...]] = {"identifiers": ("customer_id", "identifier_id")}
#: The key of each frame of resolution's links in a snapshot.
_LINK_KEYS: dict[str, tuple[str, ...]] = {
    "same_entity": ("customer_id_a", "customer_id_b"),
    "counterparty_entity": ("counterparty_id", "customer_id")}


@dataclass(frozen=True)
class ChangeSet:
    """What a batch of events changed, as ids per entity (built from the loaded rows).

    Why ids, not rows: the rows are in the store once loaded; what re-scoring needs is whose
    data changed. Build one with :meth:`from_frames` from the accepted rows of a load
    (``IngestReport.accepted``), or by hand.

    Attributes:
        customer_ids: customers whose own row (profile, label) is new or changed, and
            customers named by changed rows of other entities (disputes, identifiers,
            account holders, features).
        account_ids: accounts that are new or changed, or at either end of a new
            transaction, or named by a new loan or account change; their owners and
            holders are touched.
        transaction_ids: the new transactions (kept for the record; their accounts are in
            ``account_ids``).
        dispute_ids: the new disputes (their complainants and accused customers are in
            ``customer_ids``).
    """

    customer_ids: tuple[str, ...] = ()
    account_ids: tuple[str, ...] = ()
    transaction_ids: tuple[str, ...] = ()
    dispute_ids: tuple[str, ...] = ()

    @classmethod
    def from_frames(cls, frames: Mapping[str, pd.DataFrame]) -> ChangeSet:
        """The change set of a batch given as rows per entity (``customers``, ``accounts``,
        ``account_holders``, ``transactions``, ``identifiers``, ``disputes``, ``loans``,
        ``account_changes``, ``customer_features``); entities left out changed nothing."""
        def column(entity: str, name: str) -> list[str]:
            frame = frames.get(entity)
            if frame is None or name not in frame.columns:
                return []
            return [str(v) for v in frame[name].dropna().tolist() if str(v)]

        customers = [*column("customers", "customer_id"), *column("accounts", "customer_id"),
                     *column("account_holders", "customer_id"),
                     *column("identifiers", "customer_id"), *column("disputes", "customer_id"),
                     # the accused: disputes received are their factor
                     *column("disputes", "against_customer_id"),
                     *column("customer_features", "customer_id")]
        accounts = [*column("accounts", "account_id"), *column("account_holders", "account_id"),
                    *column("transactions", "from_account_id"),
                    *column("transactions", "to_account_id"),
                    *column("loans", "account_id"), *column("account_changes", "account_id")]
        return cls(customer_ids=_unique(customers), account_ids=_unique(accounts),
                   transaction_ids=_unique(column("transactions", "transaction_id")),
                   dispute_ids=_unique(column("disputes", "dispute_id")))

    def is_empty(self) -> bool:
        return not (self.customer_ids or self.account_ids or self.transaction_ids
                    or self.dispute_ids)


@dataclass(frozen=True)
class IncrementalResult:
    """One incremental run.

    Attributes:
        run_id: the run's id in the store (kind ``incremental``); the customers' new latest
            scores carry it.
        created_at: when the run started (UTC).
        scores: :data:`graphrisk.scoring.SCORE_COLUMNS` (components included), one row per
            re-scored customer, best first.
        previous: ``GraphStore.latest_scores`` of those customers before the run (empty for
            customers never scored).
        typologies: the typology instances found on the region (monitoring compares them
            with what it knew to raise "new cycle" alerts); ``per_customer`` covers the
            region's customers, not only the re-scored ones.
        timings: seconds per step.
        factors: the re-scored customers' individual factors as computed on the region
            (``customer_id`` and the factor columns), what the ``individual`` component
            and the reasons were made of.
        population: the population constants they were computed with (the full run's,
            the span stretched to the region's events; ``None``: the region's own).
    """

    run_id: str
    created_at: datetime
    scores: pd.DataFrame
    previous: pd.DataFrame
    typologies: TypologyResult
    timings: dict[str, float] = field(default_factory=dict)
    factors: pd.DataFrame = field(default_factory=pd.DataFrame)
    population: PopulationConstants | None = None


class RegionReader:
    """Regions of one store, each customer's read at most once.

    Why: after a batch, finding the touched customers, their reach and re-scoring it each
    need the region of overlapping sets of customers (the reach contains the touched, the
    re-scored region contains the reach). The region of a set of customers is the union of
    the regions of each (:func:`graphrisk.analytics.region.region_of`), so the reader keeps
    what it has read, reads only the customers it has not, and cuts the region asked for
    from the union: exactly the rows a direct read would give.

    Valid while the store does not change: make one per batch, after it is loaded.

    Args:
        source: the store (``region_snapshot``; without it, the whole graph is read once)
            or a snapshot (regions are cut from it).

    Attributes:
        reads: how many times the store was read (region reads and account look-ups).
    """

    def __init__(self, source: GraphStore | GraphSnapshot) -> None:
        self.source = source
        self.reads = 0
        self._complete: set[str] = set()
        self._parts: list[GraphSnapshot] = []
        self._union: GraphSnapshot | None = None

    def region(self, customer_ids: Collection[str]) -> GraphSnapshot:
        """The region of ``customer_ids`` (ids that are not customers are ignored)."""
        wanted = set(customer_ids)
        if not isinstance(self.source, GraphSnapshot) and not hasattr(
                self.source, "region_snapshot"):
            logger.warning("%s cannot read a region; reading the whole graph once",
                           self.source.describe())
            self.source = self.source.snapshot()
            self.reads += 1
        if isinstance(self.source, GraphSnapshot):
            return region_of(self.source, wanted)
        missing = wanted - self._complete
        if missing:
            self._parts.append(_region(self.source, missing))
            self.reads += 1
            self._complete |= missing
            self._union = None
        union = self._merged()
        # Usually everything read was asked for (the reach holds the touched customers, the
        # re-scored region the reach): the union is then the region itself, and cutting it
        # (region_of) would cost more than the read. Ids read that are not customers of
        # the store (nothing was read for them) do not count.
        extra = self._complete - wanted
        if not extra or not extra & set(union.customers["customer_id"].tolist()):
            return union
        return region_of(union, wanted)

    def known_accounts(self) -> pd.DataFrame:
        """``account_id`` and ``customer_id`` (owner) of every account read so far."""
        if isinstance(self.source, GraphSnapshot):
            return self.source.accounts[["account_id", "customer_id"]]
        if not self._parts:
            return pd.DataFrame(columns=["account_id", "customer_id"])
        return self._merged().accounts[["account_id", "customer_id"]]

    def _merged(self) -> GraphSnapshot:
        if not self._parts:  # nothing asked for yet (a batch that touches no customer)
            self._parts.append(_region(self.source, set()))
            self.reads += 1
        if self._union is None:
            self._union = (self._parts[0] if len(self._parts) == 1
                           else _union(self._parts))
            self._parts = [self._union]
        return self._union


def touched_customers(source: GraphStore | GraphSnapshot, changes: ChangeSet, *,
                      reader: RegionReader | None = None) -> set[str]:
    """The customers whose own data ``changes`` changed.

    Those named directly (new customers, their identifiers, disputes, holdings, features) and
    the owners and holders of every account the batch names (new accounts, both ends of each
    new transaction, loans, account changes). Counterparties are nobody's data.

    Args:
        source: a store (the owners of the accounts found in one look-up, or in regions
            ``reader`` has read already; their holders in one region read) or a snapshot.
        changes: what the batch brought.
        reader: the batch's :class:`RegionReader`, to share its reads with :func:`reach`
            and :func:`rescore` (one is made for this call if not).

    Returns:
        Customer ids that exist in ``source``.
    """
    accounts = set(changes.account_ids)
    if isinstance(source, GraphSnapshot):
        return _touched_in(source, set(changes.customer_ids), accounts)
    reader = reader or RegionReader(source)
    owners = set(changes.customer_ids) | _account_owners(source, accounts, reader)
    # Holders (co-holders) of the accounts: the region of the owners names them.
    return _touched_in(reader.region(owners), owners, accounts)


def reach(
    store: GraphStore | GraphSnapshot,
    touched: Collection[str],
    hops: int = 1,
    *,
    settings: ScoringSettings | None = None,
    reader: RegionReader | None = None,
) -> set[str]:
    """``touched`` and the customers within ``hops`` links of them in the customer graph.

    The links are scoring's own (:func:`graphrisk.scoring.links_between_customers`): shared
    identifiers used by no more than the policy's degree cut-off, co-held accounts and
    payments between customers. Why: a change to one customer's data moves the evidence
    about the customers linked to them (a reason naming a known-risk neighbour, a fan they
    are a spoke of), so monitoring re-scores this neighbourhood: the network's reach of what
    changed.

    Args:
        store: the store (one region read per hop), or a snapshot.
        touched: customers whose data changed (:func:`touched_customers`).
        hops: links to follow (0: ``touched`` only).
        settings: link weights and the identifier degree cut-off; ``ScoringSettings()``'s
            by default (pass ``ScoringSettings.from_policy(policy)``).
        reader: the batch's :class:`RegionReader` (the touched customers' region is then
            usually read already, by :func:`touched_customers`).

    Raises:
        ValueError: ``hops`` is negative.
    """
    if hops < 0:
        raise ValueError(f"hops must be 0 or more, got {hops}")
    settings = settings or ScoringSettings()
    reader = reader or RegionReader(store)
    reached = set(touched)
    frontier = set(touched)
    for _ in range(hops):
        if not frontier:
            break
        region = reader.region(frontier)
        ledger = build_ledger(region, reporting_threshold=settings.reporting_threshold)
        links = links_between_customers(region, ledger, settings)
        a, b = links["customer_id_a"], links["customer_id_b"]
        near = set(b[a.isin(frontier)].tolist()) | set(a[b.isin(frontier)].tolist())
        frontier = near - reached
        reached |= near
    return reached


def rescore(
    store: GraphStore,
    policy: RiskPolicy,
    customers: Iterable[str],
    *,
    settings: ScoringSettings | None = None,
    individual_model: IndividualModel | None = None,
    write: bool = True,
    anchor: pd.DataFrame | None = None,
    reader: RegionReader | None = None,
) -> IncrementalResult:
    """Score exactly ``customers`` on their region of the graph, anchored to the last full run.

    See the module docstring for which components are recomputed and which are anchored.
    When none of ``customers`` is a customer of the store there is nothing to re-score: the
    result's ``scores`` are empty, its ``run_id`` is ``""`` and nothing is written.

    Args:
        store: either store; it must offer ``region_snapshot`` (a region read) and
            ``latest_scores`` (the anchor), else the whole graph is read.
        policy: tiers, and the scoring knobs when ``settings`` is not given.
        customers: the customers to re-score (usually :func:`reach` of
            :func:`touched_customers`); ids that are not customers are ignored.
        settings: as the full run's (:meth:`ScoringSettings.from_policy` by default).
        individual_model: the last full run's ``ScoringResult.individual_model`` (or one
            :meth:`IndividualModel.load` read back). Without one, one is fitted on the whole
            graph first (:func:`fit_individual_model_on_store`): correct, but it costs a
            full read and a fit (seconds to a minute), so monitoring should keep the model.
        write: store the scores as one run of kind ``incremental`` (with components).
        anchor: the anchor of the population-level components: a frame with
            ``customer_id`` and the components (as ``GraphStore.latest_scores`` returns);
            by default the store's latest scores of these customers.
        reader: the batch's :class:`RegionReader` (shared with :func:`touched_customers`
            and :func:`reach`): then only the customers it has not read yet are read.

    Returns:
        The run (see :class:`IncrementalResult`).

    Raises:
        AnalyticsError: no ``individual_model`` and too few known-risk customers to fit one.
    """
    settings = settings or ScoringSettings.from_policy(policy)
    timings: dict[str, float] = {}
    created_at = datetime.now(UTC)
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = now - clock
        clock = now

    reader = reader or RegionReader(store)
    wanted = sorted(set(customers))
    own = reader.region(wanted)
    present = set(own.customers["customer_id"].tolist())
    chosen = [c for c in wanted if c in present]
    if not chosen:
        # Nothing to re-score (an empty batch, or ids the store does not hold): no run.
        empty = pd.DataFrame(columns=list(SCORE_COLUMNS))
        return IncrementalResult(run_id="", created_at=created_at, scores=empty,
                                 previous=pd.DataFrame(), typologies=detect_typologies(own),
                                 timings=timings)
    if individual_model is None:
        individual_model = fit_individual_model_on_store(store, settings)
        lap("fit_individual_model")
    # The typology thresholds of the full run, derived from the whole bank (a region's
    # transfers are not the bank's); the policy's own where the model predates them.
    kept = getattr(getattr(individual_model, "population", None), "typologies", None)
    if kept is not None:
        settings = replace(settings, typologies=kept)
    # The detectors must see the payment partners' transactions too, so that a fan the
    # customer is a spoke of, or a cycle through them, is found as a full run finds it.
    partners = _payment_partners(own, set(chosen), settings)
    region = reader.region(set(chosen) | partners) if partners else own
    lap("read_region")

    ledger = build_ledger(region, reporting_threshold=settings.reporting_threshold)
    index = pd.Index(chosen, name="customer_id")
    population = _population(individual_model, region, ledger)
    factors = customer_factors(region, ledger, settings, index, population=population)
    lap("factors")
    # The bank's own customer features as they are now (the model keeps the fit's for
    # anyone the region lacks them for).
    attributes = attribute_frame(region.customer_features, index)
    individual = individual_model.predict(
        factors.join(attributes, on="customer_id") if not attributes.empty else factors)
    percentiles = individual_model.percentiles(factors)
    lap("individual_model")
    typologies = detect_typologies(region, settings.typologies, ledger=ledger)
    lap("typologies")
    links = links_between_customers(region, ledger, settings)
    lap("links")

    previous = _previous(store, chosen) if anchor is None else _anchor_rows(anchor, chosen)
    lap("read_anchor")
    everyone = region.customers.drop_duplicates("customer_id").set_index("customer_id")
    components = _components(index, everyone, individual, typologies, previous,
                             individual_model.unusual(factors))
    scores = grade_and_explain(
        components, customers=everyone, factors=factors, percentiles=percentiles,
        links=links, typologies=typologies,
        cluster_reasons=_previous_cluster_reasons(index, previous),
        settings=settings, policy=policy,
        # The full run's neighbour or bank-feature reason: the model reads the same ones.
        neighbour_reasons=getattr(individual_model, "learned_reasons", None),
        # The full run's learned fusion (None where it used the noisy-OR): a region's
        # labels are too few to learn from, and its scores must read like the run's.
        fusion=getattr(individual_model, "fusion", None) if settings.fusion == "learned"
        else None)
    lap("fuse")
    run_id = new_run_id(created_at)
    if write:
        store.write_scores(run_id, INCREMENTAL_KIND,
                           {"settings": settings.describe(), "customers": len(chosen),
                            "anchored": list(ANCHORED_COMPONENTS)}, scores)
        lap("write_scores")
    return IncrementalResult(run_id=run_id, created_at=created_at,
                             scores=scores[list(SCORE_COLUMNS)], previous=previous,
                             typologies=typologies, timings=timings, factors=factors,
                             population=population)


def fit_individual_model_on_store(store: GraphStore,
                                  settings: ScoringSettings) -> IndividualModel:
    """Fit the individual model on the whole graph, as a full run would (the slow path).

    Why it exists: :func:`rescore` without a kept model. It reads the full snapshot and
    cross-fits the fold models (for 100,000 customers: a snapshot read of about ten seconds
    and a fit of about ten more).

    Too few known-risk customers to learn from give the label-free model, as a full run
    does (:func:`~graphrisk.analytics.individual_model.fit_label_free_model`).

    Raises:
        AnalyticsError: the model cannot be fitted.
    """
    snapshot = store.snapshot()
    customers = snapshot.customers.drop_duplicates("customer_id").set_index("customer_id")
    known = customers["known_risk_label"].notna()
    ledger = build_ledger(snapshot, reporting_threshold=settings.reporting_threshold)
    factors = customer_factors(snapshot, ledger, settings, customers.index)
    population = replace(population_constants(snapshot, ledger=ledger),
                         typologies=derive_thresholds(ledger, settings.typologies))
    if not can_learn(known, settings.folds):
        return fit_label_free_model(factors, seed=settings.seed, population=population)[1]
    try:
        _, model = fit_individual_model(
            factors, known, model=settings.individual_model,  # type: ignore[arg-type]
            folds=settings.folds, seed=settings.seed, population=population,
            # The neighbours' factors and the bank's own features too, as a full run.
            graph=build_customer_graph(
                snapshot, weights=settings.network.weights,
                max_identifier_degree=settings.network.max_identifier_degree,
                ledger=ledger) if settings.neighbour_features else None,
            attributes=attribute_frame(snapshot.customer_features, customers.index))
    except ValueError as exc:
        raise AnalyticsError(f"cannot fit the individual model: {exc}") from exc
    return model


# --------------------------------------------------------------------------------------------
# Private implementation
# --------------------------------------------------------------------------------------------


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(values)))


def _region(source: GraphStore | GraphSnapshot, customer_ids: Collection[str]) -> GraphSnapshot:
    """The region of ``customer_ids``: read by the store where it can, else cut from a
    snapshot (the whole graph read; correct but slow, for stores without the primitive)."""
    if isinstance(source, GraphSnapshot):
        return region_of(source, customer_ids)
    reader = getattr(source, "region_snapshot", None)
    if reader is not None:
        region: GraphSnapshot = reader(sorted(customer_ids))
        return region
    logger.warning("%s cannot read a region; reading the whole graph", source.describe())
    return region_of(source.snapshot(), customer_ids)


def _union(parts: list[GraphSnapshot]) -> GraphSnapshot:
    """The rows of several regions of one store, each row once (by the entity's key)."""
    frames: dict[str, pd.DataFrame] = {}
    for name in (f.name for f in fields(GraphSnapshot)):
        pieces = [getattr(part, name) for part in parts]
        merged = pd.concat([p for p in pieces if not p.empty] or pieces[:1],
                           ignore_index=True)
        entity_key = (ENTITY_BY_NAME[name].key if name in ENTITY_BY_NAME
                      else _LINK_KEYS[name])  # resolution's links: the pair
        key = [c for c in entity_key if c in merged.columns]
        merged = merged.drop_duplicates(key or None, ignore_index=True)
        # Sorted by key, as a store's region read is.
        order = [c for c in _SORT_KEYS.get(name, tuple(key)) if c in merged.columns]
        frames[name] = (merged.sort_values(order, kind="stable", ignore_index=True)
                        if order else merged)
    return GraphSnapshot(**frames)


def _account_owners(store: GraphStore, accounts: set[str], reader: RegionReader) -> set[str]:
    """The owners of ``accounts``: from the regions ``reader`` holds where it can, the rest
    in one look-up (not one per account: 100 look-ups cost more than half a second)."""
    if not accounts:
        return set()
    known = reader.known_accounts()
    known = known[known["account_id"].isin(accounts)]
    owners = set(known["customer_id"].dropna().tolist())
    rest = sorted(accounts - set(known["account_id"].tolist()))
    if rest:
        # The store's bulk node primitive: GraphStore has no public many-node look-up yet.
        found = store._fetch_nodes(NodeLabel.ACCOUNT, rest)
        reader.reads += 1
        owners |= {str(p["customer_id"]) for p in found.values() if p.get("customer_id")}
    return owners


def _population(model: IndividualModel, region: GraphSnapshot,
                ledger: TransactionLedger) -> PopulationConstants | None:
    """The full run's population constants, the span stretched to the region's events
    (``None``, the region's own, for a model saved before they were kept)."""
    kept = getattr(model, "population", None)
    if kept is None:
        logger.warning("the individual model keeps no population constants (saved by an "
                       "older version); factors follow the region until the next full run")
        return None
    return kept.widened(population_constants(region, ledger=ledger))


def _touched_in(region: GraphSnapshot, named: set[str], accounts: set[str]) -> set[str]:
    """``named`` and the owners and holders of ``accounts``, as far as ``region`` has them."""
    owners = region.accounts.loc[region.accounts["account_id"].isin(accounts), "customer_id"]
    holders = region.account_holders.loc[
        region.account_holders["account_id"].isin(accounts), "customer_id"]
    found = named | set(owners.dropna().tolist()) | set(holders.dropna().tolist())
    return found & set(region.customers["customer_id"].tolist())


def _payment_partners(region: GraphSnapshot, chosen: set[str],
                      settings: ScoringSettings) -> set[str]:
    """Customers who exchanged a payment the typology detectors look at (at least their
    ``min_amount``) with one of ``chosen``."""
    ledger = build_ledger(region, reporting_threshold=settings.reporting_threshold)
    paid = customer_transfers(region, ledger=ledger)
    paid = paid[paid["amount"] >= settings.typologies.min_amount]
    a, b = paid["customer_id_a"], paid["customer_id_b"]
    return (set(b[a.isin(chosen)].tolist()) | set(a[b.isin(chosen)].tolist())) - chosen


def _previous(store: GraphStore, customers: list[str]) -> pd.DataFrame:
    """The customers' latest stored scores (with components), before this run writes."""
    reader = getattr(store, "latest_scores", None)
    if reader is None:
        raise AnalyticsError(
            f"{store.describe()} cannot read the latest scores with their components; pass "
            "anchor= (a full run's scores) or update the store")
    latest: pd.DataFrame = reader(customers)
    return latest.reset_index(drop=True)


def _anchor_rows(anchor: pd.DataFrame, customers: list[str]) -> pd.DataFrame:
    return anchor[anchor["customer_id"].isin(customers)].reset_index(drop=True)


def _components(index: pd.Index, everyone: pd.DataFrame, individual: pd.Series,
                typologies: TypologyResult, previous: pd.DataFrame,
                unusual: pd.Series) -> pd.DataFrame:
    """The re-scored customers' components: recomputed or anchored (module docstring)."""
    counts = typologies.per_customer.set_index("customer_id")
    instances = counts[[c for c in counts.columns if c.endswith("_count")]].sum(axis=1)
    anchored = previous.drop_duplicates("customer_id").set_index("customer_id")
    frame = pd.DataFrame({
        "known": everyone["known_risk_label"].reindex(index).notna().astype(float),
        "individual": individual.reindex(index).fillna(0.0).astype(float),
        "unusual": unusual.reindex(index).fillna(0.0).astype(float),
        # The same formula as a full run: 1 - 0.5 ** instances.
        "typology": 1.0 - 0.5 ** instances.reindex(index).fillna(0).astype(float),
    }, index=index)
    for name in ANCHORED_COMPONENTS:
        values = (anchored[name] if name in anchored.columns
                  else pd.Series(np.nan, index=anchored.index))
        frame[name] = pd.to_numeric(values, errors="coerce").reindex(index).fillna(0.0)
    return frame[list(COMPONENTS)]


def _previous_cluster_reasons(index: pd.Index, previous: pd.DataFrame) -> pd.Series:
    """The cluster sentence of each customer's previous reasons (the cluster is anchored)."""
    sentences: dict[str, str] = {}
    if "reasons" in previous.columns:
        for customer, reasons in zip(previous["customer_id"], previous["reasons"], strict=True):
            for reason in reasons if isinstance(reasons, list | tuple) else ():
                if str(reason).startswith(_CLUSTER_REASON):
                    sentences[str(customer)] = str(reason)
                    break
    return pd.Series(sentences, dtype=object).reindex(index)
