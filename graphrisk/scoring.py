"""One explainable 0-100 risk score, a tier and reasons for every customer.

Why this module: it is the one place that turns the analytics into what a risk team acts on.
It takes a store, runs the individual factors, the network engine (Python on the embedded
store, GDS inside Neo4j), the typology detectors and the cluster ranking, fuses them into a
score, grades the score with the risk policy, writes the run to the store (so history
survives) and says why.

The score fuses pieces of evidence ``c_k`` in ``[0, 1]``. By default (``fusion =
"learned"``) how much the ``individual``, ``network``, ``typology`` and ``cluster`` pieces
count is learned on every run from the bank's confirmed labels, out of fold by ring and
community, and the learned order is mapped onto the noisy-OR's scale, so the policy's tier
bounds keep their meaning (:mod:`graphrisk.analytics.fusion`); ``known`` stays a noisy-OR
term on top. A trained graph model joins the learned order in a second stage, its weight
learned on the customers it did not train on; where they hold too few labels (or the model
folder does not say which it trained on) it too stays a noisy-OR term on top. With
``fusion = "noisy_or"``, or fewer than ten labels, the score is
the weighted noisy-OR of every piece::

    score = 100 * (1 - prod_k (1 - w_k * c_k))

so that any one strong piece of evidence makes a customer risky, several weak ones add up,
and no piece can push the score past 100. The pieces ``c_k``:

``individual``  out-of-fold probability of a known risk label from the individual factors
                and (``neighbour_features``, the default) the mean, max and sum of the
                neighbours' factors in the customer graph: the graph-feature trees
                (:func:`graphrisk.analytics.individual_model.fit_individual_model`); explained
                by the customer's most unusual factors and, where one of their neighbours
                stands out, by that neighbour's ("one of their 3 linked customers: 4 fraud
                claims filed"). A bank with fewer confirmed labels than the folds has no
                model to learn: the piece is then how much more unusual the customer's
                factors are together than chance makes them
                (:func:`graphrisk.analytics.individual_model.fit_label_free_model`).
``unusual``     how much more unusual the customer's factors are together than chance makes
                them, read from every customer and no label
                (:mod:`graphrisk.analytics.unusualness`); explained by the same factors. Why
                beside ``individual``: trees learned from a few dozen labels of caught groups
                learn what those groups look like; this piece notices any unusual
                combination, and the learned fusion weighs the two on each bank's labels (0
                where the bank's own features carry the signal, as on FDCompCN). 0 (left
                out) where ``individual`` is label-free already.
``network``     how close the customer sits to known risk: the share of customers with lower
                propagated risk (personalised PageRank from the known-risk customers),
                counted above ``network_floor`` and rescaled to ``[0, 1]``; explained by the
                links to known-risk customers.
``typology``    ``1 - 0.5 ** n`` for ``n`` detected typology instances (cycle, fan-in,
                fan-out, pass-through) the customer takes part in.
``cluster``     the score of the best high-risk cluster the customer belongs to.
``known``       1 for a customer with a confirmed risk label.
``model``       the calibrated probability of a trained graph neural network
                (``graphrisk score --model DIR``; 0 when no model is given); explained by
                the model's own strongest reasons (:data:`ModelReasons`) for the highest
                scores of the medium and high tiers, and elsewhere by a pointer to
                ``graphrisk explain``.

Coverage: a bank does not hold everything our generator does (identifiers, customer
attributes, disputes, transfers of the sizes the typology detectors look at). Each run
records per component whether it had data to work on, and why not
(:class:`ComponentCoverage`, :func:`assess_coverage`); a component without data is 0 for
every customer and left out of the fusion (its weight is 0), and ``graphrisk score`` prints
what could not be computed. The coverage is stored with the run's parameters. Incremental
re-scoring (:mod:`graphrisk.rescoring`) does not re-assess it: its population-level
components are the last full run's, whose coverage is stored.

The fusion, the weights ``w_k``, the reporting threshold, the high-risk industries and
countries and the identifier degree cut-off are the risk team's knobs: they live in the
policy file's
``[scoring]`` section (:class:`graphrisk.policy.ScoringPolicy`) and reach the score through
:meth:`ScoringSettings.from_policy`. How the default weights were chosen, and the figures
behind them, are in ``docs/benchmarks.md`` beside the commands that produce them.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from graphrisk.analytics.attribute_reasons import explain_attributes
from graphrisk.analytics.clusters import ClusterSettings, best_cluster_per_customer, rank_clusters
from graphrisk.analytics.customer_graph import (
    CustomerGraph,
    build_customer_graph,
    customer_links,
    customer_transfers,
)
from graphrisk.analytics.factor_registry import factor_named
from graphrisk.analytics.factors import (
    FACTOR_COLUMNS,
    REASON_PERCENTILE,
    PopulationConstants,
    compute_risk_factors,
    explain_all_factors,
    factor_percentiles,
    population_constants,
)
from graphrisk.analytics.fusion import (
    FUSIONS,
    LEARNED_COMPONENTS,
    MIN_KNOWN,
    MODEL,
    NOISY_OR,
    LearnedFusion,
    add_model_stage,
    counted_once,
    fit_fusion,
    group_folds,
    group_keys,
)
from graphrisk.analytics.individual_model import (
    ATTRIBUTE_PREFIX,
    IndividualModel,
    attribute_frame,
    can_learn,
    explain_neighbours,
    fit_individual_model,
    fit_label_free_model,
)
from graphrisk.analytics.ledger import TransactionLedger, build_ledger, ledger_for
from graphrisk.analytics.network import (
    NetworkEngine,
    NetworkResult,
    NetworkSettings,
    PythonNetworkEngine,
)
from graphrisk.analytics.propagation import propagate_risk
from graphrisk.analytics.typologies import TypologyResult, TypologySettings, detect_typologies
from graphrisk.analytics.typologies.settings import DERIVABLE as TYPOLOGY_DERIVABLE
from graphrisk.analytics.typologies.thresholds import derive_thresholds
from graphrisk.errors import AnalyticsError
from graphrisk.graph import GraphSnapshot
from graphrisk.policy import (
    DEFAULT_COMPONENT_WEIGHTS,
    DEFAULT_HIGH_RISK_COUNTRIES,
    DEFAULT_HIGH_RISK_INDUSTRIES,
    DEFAULT_REPORTING_THRESHOLD,
    SCORE_COMPONENTS,
    RiskPolicy,
    ScoringPolicy,
)
from graphrisk.store.base import GraphStore

__all__ = [
    "COMPONENTS",
    "COMPONENT_TITLES",
    "SCORE_COLUMNS",
    "ComponentCoverage",
    "ModelReasons",
    "ScoringResult",
    "ScoringSettings",
    "assess_coverage",
    "customer_factors",
    "fuse_components",
    "grade_and_explain",
    "links_between_customers",
    "network_engine_for",
    "new_run_id",
    "score_customers",
    "score_store",
    "scoring_steps",
]

#: The pieces of evidence fused into the score, in the order reasons are tried.
COMPONENTS: tuple[str, ...] = SCORE_COMPONENTS
#: Columns of :attr:`ScoringResult.scores`.
SCORE_COLUMNS: tuple[str, ...] = (
    "customer_id", "score", "tier", "reasons", *COMPONENTS, "known_risk_label",
)

#: What each component is called where a person reads about it (coverage, reports).
COMPONENT_TITLES: dict[str, str] = {
    "known": "confirmed risk labels", "individual": "individual factors",
    "unusual": "unusual combination of factors", "network": "network propagation",
    "typology": "typologies", "cluster": "clusters", "model": "graph model",
}

#: The graph model's probability from which it is a customer's reason, whatever others get.
MODEL_REASON_PROBABILITY = 0.5
#: ... or the quantile of the model's probabilities in the run from which it is one (the
#: factors' reasons use the same 95th percentile).
MODEL_REASON_PERCENTILE = 0.95

_LINK_WORDS = {
    "device": "shares device", "phone": "shares phone", "email": "shares e-mail",
    "ip": "shares IP address", "address": "shares address", "co_holder": "co-holds account",
}

Progress = Callable[[str], None]
#: The graph model's own reasons for some customers: called with customer ids (best score
#: first), returns their strongest explanation sentences (neighbours by id, amounts,
#: identifiers, unusual features), strongest first; ``graphrisk score --model`` passes
#: :func:`graphrisk.models.explain.score_reasons` bound to the model and the graph.
ModelReasons = Callable[[list[str]], Mapping[str, Sequence[str]]]
#: The tiers whose model reasons are the model's own explanation (the others' point to
#: ``graphrisk explain``).
_EXPLAINED_TIERS = ("high", "medium")
#: How many of the model's explanation sentences one reason quotes.
_MODEL_SENTENCES = 2
#: Steps :func:`score_store` reports before the analysis, the analysis's own, and the write.
_STORE_STEPS = ("reading the graph", "resolving transactions")
#: The analysis's steps by timing key, in order; the labels are what progress shows.
_ANALYSIS_STEPS: dict[str, str] = {
    "factors": "computing individual risk factors",
    "individual_model": "learning from the known-risk customers",
    "network": "propagating risk, rings and communities",
    "typologies": "detecting cycles, fans and pass-throughs",
    "links": "collecting links between customers",
    "clusters": "ranking clusters",
    "fusion": "learning how much each component counts",
    "fuse": "fusing the score",
}


@dataclass(frozen=True)
class ScoringSettings:
    """Weights and knobs of the score (see the module docstring).

    Attributes:
        weights: ``w_k`` per component of :data:`COMPONENTS`.
        network_floor: propagated-risk percentile below which closeness to risk counts 0.
        individual_model: ``gradient_boosting`` or ``logistic`` (the features-only model).
        label_free: score the individual component without labels
            (:func:`~graphrisk.analytics.individual_model.fit_label_free_model`) even where
            there are enough to learn from; what a bank with too few gets.
            ``benchmarks/bench_label_free.py`` compares the two.
        folds: cross-fitting folds of the individual model.
        neighbour_features: the individual model also reads the neighbours' factors in the
            customer graph (mean, max and sum:
            :func:`~graphrisk.analytics.individual_model.neighbour_features`), which makes
            it the graph-feature trees. Fused score on the customers not told, before ->
            after (ROC-AUC / PR-AUC / recall in the top 5%), ``bench_robustness`` at 5,000
            customers, seed 23: default 0.945/0.664/0.736 -> 0.979/0.703/0.829,
            accounts_only 0.905/0.576/0.690 -> 0.964/0.688/0.783, outside_like
            0.880/0.499/0.518 -> 0.952/0.638/0.737, known_10 (19 known labels)
            0.938/0.707/0.708 -> 0.934/0.721/0.679; ``bench_analytics`` at 20,000 (test
            half) 0.986/0.941/0.970 -> 0.992/0.928/0.970. Cost: the trees read 69 columns
            instead of 17; at 100,000 customers the ``individual_model`` step took 19.8 s
            instead of 5.4 s, the whole run 35 s instead of 24 s (two shared cores).
            ``False``: the factors alone.
        fusion: ``learned`` (the default): the ``individual``, ``network``, ``typology``
            and ``cluster`` components are combined by weights learned from this bank's
            confirmed labels, out of fold by ring and community, and mapped onto the
            noisy-OR's scale (:mod:`graphrisk.analytics.fusion`); with fewer than
            :data:`~graphrisk.analytics.fusion.MIN_KNOWN` labels, or nothing to learn, the
            run falls back to the noisy-OR and says so. ``noisy_or``: the policy's weights.
            Figures in docs/robustness.md.
        seed: makes the individual model and Louvain reproducible.
        top_reasons: most reasons given per customer.
        model_explanations: most customers whose graph-model reason is the model's own
            explanation (the highest scores of the medium and high tiers among those whose
            reasons show the model). Measured on CPU, one thread, on a generated bank of
            100,000 customers and 1.1 million payments (two shared cores under load): 100
            explanations took 1.9 s inside a 39 s ``graphrisk score --model`` run (2.7 s
            alone), 200 took 4.1-5.8 s alone. The others' model reason names ``graphrisk
            explain``. 0: none.
        reporting_threshold: the cash/transfer reporting threshold (structuring).
        high_risk_industries: industry codes the individual factors treat as high-risk.
        high_risk_countries: country codes the individual factors treat as high-risk.
        network: settings of the network engine.
        typologies: settings of the typology detectors.
        clusters: settings of the cluster ranking.
    """

    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_COMPONENT_WEIGHTS))
    network_floor: float = 0.9
    individual_model: str = "gradient_boosting"
    label_free: bool = False
    folds: int = 5
    neighbour_features: bool = True
    fusion: str = "learned"
    seed: int = 0
    top_reasons: int = 3
    model_explanations: int = 100
    reporting_threshold: float = DEFAULT_REPORTING_THRESHOLD
    high_risk_industries: tuple[str, ...] = DEFAULT_HIGH_RISK_INDUSTRIES
    high_risk_countries: tuple[str, ...] = DEFAULT_HIGH_RISK_COUNTRIES
    network: NetworkSettings = field(default_factory=NetworkSettings)
    typologies: TypologySettings = field(default_factory=TypologySettings)
    clusters: ClusterSettings = field(default_factory=ClusterSettings)

    def __post_init__(self) -> None:
        unknown = set(self.weights) - set(COMPONENTS)
        if unknown:
            raise ValueError(f"unknown score components {sorted(unknown)}; use {COMPONENTS}")
        bad = {k: w for k, w in self.weights.items() if not 0.0 <= w <= 1.0}
        if bad:
            raise ValueError(f"component weights must be between 0 and 1, got {bad}")
        if not 0.0 <= self.network_floor < 1.0:
            raise ValueError("network_floor must be in [0, 1)")
        if self.model_explanations < 0:
            raise ValueError(f"model_explanations must be 0 or more, got "
                             f"{self.model_explanations}")
        if self.fusion not in FUSIONS:
            raise ValueError(f"fusion must be one of {FUSIONS}, got {self.fusion!r}")

    @classmethod
    def from_policy(cls, policy: ScoringPolicy | RiskPolicy) -> ScoringSettings:
        """The settings a policy file asks for (its ``[scoring]`` section); the rest default.

        Why: the knobs a risk team may change are in the policy file, checked when it is
        loaded; everything else (folds, seeds, detector settings) stays the code's default.
        """
        knobs = policy.scoring if isinstance(policy, RiskPolicy) else policy
        # Typology floors and windows the file sets win; the rest follow the bank's data.
        chosen = policy.typologies.chosen() if isinstance(policy, RiskPolicy) else {}
        typologies = TypologySettings(**chosen, from_data=tuple(
            name for name in TYPOLOGY_DERIVABLE if name not in chosen))
        return cls(
            weights=dict(knobs.weights),
            fusion=knobs.fusion,
            reporting_threshold=knobs.reporting_threshold,
            high_risk_industries=tuple(knobs.high_risk_industries),
            high_risk_countries=tuple(knobs.high_risk_countries),
            network=NetworkSettings(max_identifier_degree=knobs.max_identifier_degree),
            typologies=typologies,
        )

    def describe(self) -> dict[str, Any]:
        """Plain values for the stored run's parameters."""
        return asdict(self)


@dataclass(frozen=True)
class ComponentCoverage:
    """Whether one component of the score had data to work on in a run, and what it lacked.

    Why: a bank that holds no identifiers, no customer attributes or only small transfers
    gets a score resting on fewer components than ours; the team must be told which, and
    why, to trust the score and to know what data to add.

    Attributes:
        component: one of :data:`COMPONENTS`.
        has_data: ``False``: the component had nothing to work on; it is 0 for every
            customer and left out of the fusion.
        detail: one sentence: what it worked on, or why it had nothing ("no transfer reaches
            the typology threshold of 1,000 (the bank's median transfer is 85)").
        missing: parts of the component that had no data although the component had some
            ("ring detection: no shared identifiers in this bank (no identifiers loaded)").
    """

    component: str
    has_data: bool
    detail: str
    missing: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        """The component's name for people (:data:`COMPONENT_TITLES`)."""
        return COMPONENT_TITLES.get(self.component, self.component)

    def describe(self) -> dict[str, Any]:
        """Plain values for the stored run's parameters."""
        return {"component": self.component, "has_data": self.has_data,
                "detail": self.detail, "missing": list(self.missing)}


@dataclass(frozen=True)
class ScoringResult:
    """One scoring run.

    Attributes:
        run_id: unique id of the run, stored with every score.
        created_at: when the run started (UTC).
        engine: ``python`` or ``gds``.
        scores: one row per customer with :data:`SCORE_COLUMNS`, best first.
        clusters: ranked clusters (:func:`graphrisk.analytics.clusters.rank_clusters`).
        typologies: the detected typology instances.
        network: the engine's raw result.
        factors: the individual factors per customer.
        timings: seconds per step.
        individual_model: the fold models behind the ``individual`` component, for
            re-scoring a few customers later without refitting (:mod:`graphrisk.rescoring`).
        coverage: per component (in :data:`COMPONENTS` order), whether it had data
            (:func:`assess_coverage`).
        fusion: the learned fusion of this run (also kept with ``individual_model`` for
            re-scoring); ``None``: the noisy-OR with the policy's weights.
        fusion_note: why the run used the noisy-OR where the policy asked for the learned
            fusion (empty otherwise).
    """

    run_id: str
    created_at: datetime
    engine: str
    scores: pd.DataFrame
    clusters: pd.DataFrame
    typologies: TypologyResult
    network: NetworkResult
    factors: pd.DataFrame
    timings: dict[str, float]
    individual_model: IndividualModel | None = None
    coverage: tuple[ComponentCoverage, ...] = ()
    fusion: LearnedFusion | None = None
    fusion_note: str = ""

    def fusion_summary(self) -> str:
        """One line for a person: how this run fused its components."""
        if self.fusion is not None:
            return f"fusion: {self.fusion.summary()}"
        return "fusion: noisy-OR with the policy's weights" + (
            f" ({self.fusion_note})" if self.fusion_note else "")

    def left_out(self) -> tuple[str, ...]:
        """The components without data, left out of this run's fusion."""
        return tuple(c.component for c in self.coverage if not c.has_data)


def network_engine_for(store: GraphStore, snapshot: GraphSnapshot,
                       ledger: TransactionLedger | None = None) -> NetworkEngine:
    """The store's own engine where it runs the network inside the database, else Python.

    Why ask the store: scoring never tests which store it holds. A store with the
    ``StoreCapability.IN_DATABASE_NETWORK`` capability (Neo4j with GDS) returns its engine;
    every other store says ``None`` and the network is analysed on ``snapshot`` (reading
    ``ledger`` when given, so the transactions are resolved once per run).
    """
    engine = store.in_database_network_engine()
    return engine if engine is not None else PythonNetworkEngine(snapshot, ledger=ledger)


def scoring_steps(*, write: bool) -> int:
    """How many steps :func:`score_store` reports (for a progress bar's total)."""
    return len(_STORE_STEPS) + len(_ANALYSIS_STEPS) + (1 if write else 0)


def score_store(
    store: GraphStore,
    policy: RiskPolicy,
    settings: ScoringSettings | None = None,
    *,
    progress: Progress | None = None,
    write: bool = True,
    model_probability: pd.Series | None = None,
    negative_ids: Collection[str] | None = None,
    model_reasons: ModelReasons | None = None,
    model_seen: Collection[str] | None = None,
) -> ScoringResult:
    """Score every customer in ``store`` and (by default) store the run.

    Args:
        store: either store; Neo4j runs the network algorithms inside the database.
        policy: tiers and their thresholds, and the scoring knobs (``[scoring]``).
        settings: weights and knobs; by default the policy's
            (:meth:`ScoringSettings.from_policy`).
        progress: called with the name of each step as it starts.
        write: store the scores as a new run (score history).
        model_probability: a trained model's probability per customer id, fused as the
            ``model`` component (``models.lifecycle.predict_store``).
        negative_ids: customers confirmed not risky (cases closed as false positives):
            the individual model learns from them as weighted negatives
            (:func:`~graphrisk.analytics.individual_model.fit_individual_model`'s
            ``negatives``). ``None``: the scores are those of a run without them.
        model_reasons: the model's own reasons (:data:`ModelReasons`), asked for at most
            ``settings.model_explanations`` customers; ``None``: every model reason points
            to ``graphrisk explain``.
        model_seen: the customers whose labels the model trained on
            (``models.artifacts.read_seen_customers``): with the learned fusion, the model's
            weight is learned on the others
            (:func:`~graphrisk.analytics.fusion.add_model_stage`). ``None``: not known; the
            model stays a noisy-OR term on top.

    Raises:
        AnalyticsError: the store holds no customers.
    """
    settings = settings or ScoringSettings.from_policy(policy)
    step = progress or (lambda _: None)
    step(_STORE_STEPS[0])
    started = time.perf_counter()
    snapshot = store.snapshot()
    read = time.perf_counter() - started
    step(_STORE_STEPS[1])
    started = time.perf_counter()
    ledger = build_ledger(snapshot, reporting_threshold=settings.reporting_threshold)
    resolved = time.perf_counter() - started
    result = score_customers(snapshot, network_engine_for(store, snapshot, ledger), policy,
                             settings, progress=step, model_probability=model_probability,
                             ledger=ledger, negative_ids=negative_ids,
                             model_reasons=model_reasons, model_seen=model_seen)
    result.timings["read_snapshot"] = read
    result.timings["ledger"] = resolved
    # The result holds neither: let the graph's frames and the ledger go before the scores
    # are turned into rows to write (on a million customers, several GB at the run's peak).
    del snapshot, ledger
    if write:
        step("storing the scores")
        started = time.perf_counter()
        # The typology floors and windows as used: derived from this bank's data unless set.
        used = replace(settings, typologies=result.typologies.settings)
        store.write_scores(result.run_id, f"risk_score:{result.engine}",
                           {"settings": used.describe(), "engine": result.engine,
                            "coverage": [c.describe() for c in result.coverage],
                            "fusion": (result.fusion.describe() if result.fusion is not None
                                       else {"fusion": "noisy_or",
                                             "why": result.fusion_note})},
                           result.scores)
        result.timings["write_scores"] = time.perf_counter() - started
    return result


def score_customers(
    snapshot: GraphSnapshot,
    engine: NetworkEngine,
    policy: RiskPolicy,
    settings: ScoringSettings | None = None,
    *,
    progress: Progress | None = None,
    model_probability: pd.Series | None = None,
    ledger: TransactionLedger | None = None,
    negative_ids: Collection[str] | None = None,
    model_reasons: ModelReasons | None = None,
    model_seen: Collection[str] | None = None,
) -> ScoringResult:
    """Score, grade and explain every customer of a snapshot (nothing is stored).

    ``settings`` default to the policy's (:meth:`ScoringSettings.from_policy`); ``ledger``
    is the snapshot's transaction ledger when the caller has built it already;
    ``negative_ids`` are customers confirmed not risky, ``model_reasons`` the graph
    model's own reasons and ``model_seen`` the customers it trained on (see
    :func:`score_store`).

    Raises:
        AnalyticsError: no customers.
    """
    settings = settings or ScoringSettings.from_policy(policy)
    step = progress or (lambda _: None)
    timings: dict[str, float] = {}
    created_at = datetime.now(UTC)
    customers = snapshot.customers.drop_duplicates("customer_id").set_index("customer_id")
    if customers.empty:
        raise AnalyticsError("the store holds no customers; load data first (graphrisk ingest)")
    known_label = customers["known_risk_label"]
    known = known_label.notna()
    # Too few labels to cross-fit: the individual component is how unusual the factors are
    # together (no labels read).
    learns = not settings.label_free and can_learn(known, settings.folds)

    def timed(name: str, work: Callable[[], Any], label: str | None = None) -> Any:
        step(label or _ANALYSIS_STEPS[name])
        started = time.perf_counter()
        value = work()
        timings[name] = time.perf_counter() - started
        return value

    # Every transaction resolved once to who paid whom; factors, typologies, links and
    # clusters all read this one ledger.
    if ledger is None:
        ledger = timed("ledger", lambda: build_ledger(
            snapshot, reporting_threshold=settings.reporting_threshold), _STORE_STEPS[1])
    else:
        ledger = ledger_for(snapshot, ledger, reporting_threshold=settings.reporting_threshold)
    factors = timed("factors", lambda: customer_factors(snapshot, ledger, settings,
                                                        customers.index))
    # The typology floors and windows on this bank's scale (those the policy leaves unset),
    # derived from all its transfers; kept with the population constants, so that
    # re-scoring a region searches it with the bank's thresholds, not the region's.
    typology_settings = derive_thresholds(ledger, settings.typologies)
    # Kept with the individual model: re-scoring compares a region's customers with them.
    population = replace(population_constants(snapshot, ledger=ledger),
                         typologies=typology_settings)
    # The customer graph the neighbour features read and the learned fusion propagates on.
    graph = (build_customer_graph(snapshot, weights=settings.network.weights,
                                  max_identifier_degree=settings.network.max_identifier_degree,
                                  ledger=ledger)
             if settings.neighbour_features or settings.fusion == "learned" else None)
    individual, individual_model = timed("individual_model", lambda: fit_individual_model(
        factors, known, model=settings.individual_model,  # type: ignore[arg-type]
        folds=settings.folds, seed=settings.seed, negatives=negative_ids,
        population=population, graph=graph if settings.neighbour_features else None,
        attributes=attribute_frame(snapshot.customer_features, customers.index))
        if learns else fit_label_free_model(factors, seed=settings.seed, population=population))
    seeds = {customer: 1.0 for customer in known[known].index}
    network = timed("network", lambda: engine.analyse(seeds, settings.network),
                    f"{_ANALYSIS_STEPS['network']} ({engine.name})")
    typologies = timed("typologies",
                       lambda: detect_typologies(snapshot, typology_settings, ledger=ledger))
    # The thresholds derived from this bank's data are the run's: coverage and the stored
    # parameters name the floors and windows actually used.
    settings = replace(settings, typologies=typologies.settings)
    links = timed("links", lambda: links_between_customers(snapshot, ledger, settings))
    facts = pd.DataFrame({
        "individual_risk": individual.reindex(customers.index).fillna(0.0),
        "known_risk_label": known_label,
        "disputes": factors.set_index("customer_id")["dispute_count"],
    })
    transfers = customer_transfers(snapshot, ledger=ledger)

    def cluster_ranking(member_facts: pd.DataFrame) -> pd.DataFrame:
        return rank_clusters(
            rings=network.rings, communities=network.communities,
            typology_instances=typologies.instances, links=links, transfers=transfers,
            member_facts=member_facts, settings=settings.clusters)

    clusters = timed("clusters", lambda: cluster_ranking(facts))

    high = clusters[clusters["high_risk"]] if not clusters.empty else clusters
    best_cluster = best_cluster_per_customer(high)
    components = _components(customers.index, known, individual, network, typologies,
                             best_cluster, settings, individual_model.unusual(factors))
    components["model"] = (model_probability.reindex(customers.index).fillna(0.0).clip(0, 1)
                           if model_probability is not None else 0.0)
    coverage = assess_coverage(
        snapshot, ledger, factors=factors, known_count=int(known.sum()), links=links,
        typologies=typologies, clusters=clusters, settings=settings,
        model_probability=model_probability, learned=learns)
    left_out = [c.component for c in coverage if not c.has_data]
    # A component without data says nothing about anyone: 0 (the network part of a seed
    # without links would otherwise be its own propagated risk), and no weight.
    components[left_out] = 0.0
    fusion, fusion_note = timed("fusion", lambda: _learned_fusion(
        components, known, graph, network, cluster_ranking, facts, settings, left_out,
        model_seen=None if model_probability is None else model_seen))
    step(_ANALYSIS_STEPS["fuse"])
    started = time.perf_counter()
    explain_model = (_timed_reasons(model_reasons, step, timings)
                     if model_reasons is not None else None)
    learned_reasons = _learned_reasons(individual_model, components["individual"], settings)
    scores = grade_and_explain(
        components, customers=customers, factors=factors,
        percentiles=factor_percentiles(factors), links=links, typologies=typologies,
        cluster_reasons=_cluster_sentences(customers.index, clusters, best_cluster),
        settings=settings, policy=policy, left_out=left_out, model_reasons=explain_model,
        neighbour_reasons=learned_reasons, fusion=fusion)
    # Re-scoring fuses as this run did and quotes the reasons it gave beyond own factors.
    individual_model = replace(
        individual_model, fusion=fusion if fusion is not None else individual_model.fusion,
        learned_reasons=None if learned_reasons is None
        else learned_reasons[learned_reasons["reason"].notna()])
    timings["fuse"] = time.perf_counter() - started - timings.get("model_reasons", 0.0)
    return ScoringResult(
        run_id=new_run_id(created_at), created_at=created_at,
        engine=network.engine, scores=scores, clusters=clusters,
        typologies=typologies, network=network, factors=factors, timings=timings,
        individual_model=individual_model, coverage=coverage, fusion=fusion,
        fusion_note=fusion_note)


def new_run_id(created_at: datetime) -> str:
    """A unique, time-ordered id for a run started at ``created_at``."""
    return f"{created_at:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def customer_factors(snapshot: GraphSnapshot, ledger: TransactionLedger,
                     settings: ScoringSettings, customer_ids: pd.Index, *,
                     population: PopulationConstants | None = None) -> pd.DataFrame:
    """The individual factors of ``customer_ids`` (rows in that order), as scoring reads them.

    Why shared: the full run and incremental re-scoring (:mod:`graphrisk.rescoring`) must
    compute a customer's factors the same way, with the same knobs. ``population``: the
    whole graph's constants when ``snapshot`` is a region (``None``: the snapshot's own).
    """
    factors = compute_risk_factors(
        snapshot, reporting_threshold=settings.reporting_threshold,
        high_risk_industries=frozenset(settings.high_risk_industries),
        high_risk_countries=frozenset(settings.high_risk_countries), ledger=ledger,
        population=population)
    return factors.set_index("customer_id").reindex(customer_ids).reset_index()


def links_between_customers(snapshot: GraphSnapshot, ledger: TransactionLedger,
                            settings: ScoringSettings) -> pd.DataFrame:
    """The customer links scoring names in reasons and clusters (shared with re-scoring)."""
    return customer_links(
        snapshot, weights=settings.network.weights,
        max_identifier_degree=settings.network.max_identifier_degree, ledger=ledger)


def grade_and_explain(
    components: pd.DataFrame,
    *,
    customers: pd.DataFrame,
    factors: pd.DataFrame,
    percentiles: pd.DataFrame,
    links: pd.DataFrame,
    typologies: TypologyResult,
    cluster_reasons: pd.Series,
    settings: ScoringSettings,
    policy: RiskPolicy,
    left_out: Collection[str] = (),
    model_reasons: ModelReasons | None = None,
    neighbour_reasons: pd.DataFrame | None = None,
    fusion: LearnedFusion | None = None,
) -> pd.DataFrame:
    """Fuse the components into a score, grade it with the policy and give the reasons.

    Why public and separate from the analysis: a full run and incremental re-scoring
    (:mod:`graphrisk.rescoring`) differ only in where the components come from; the score,
    the tier and the words of the reasons must come from this one place.

    Args:
        components: one row per customer (indexed by ``customer_id``), a column per
            :data:`COMPONENTS` entry, each in ``[0, 1]``.
        customers: customers' rows, indexed by ``customer_id``: those of ``components`` and
            every customer ``links`` names (whose confirmed labels the reasons quote).
        factors: the customers' individual factors (rows in the order of ``components``).
        percentiles: the factors' percentiles (same rows): against the whole population.
        links: :func:`links_between_customers` covering these customers' links.
        typologies: detected typologies; ``per_customer`` names these customers.
        cluster_reasons: per ``customer_id``, the sentence about the best high-risk cluster
            (missing where none).
        settings: weights and the number of reasons.
        policy: tiers.
        left_out: components without data in this run (:class:`ComponentCoverage`): their
            weight is 0, so they add nothing to the score and give no reason.
        model_reasons: the graph model's own reasons (:data:`ModelReasons`). Asked for the
            customers whose shown reasons include the model, in the medium or high tier, the
            ``settings.model_explanations`` highest scores first; their model reason becomes
            ``graph model (87%): <its strongest one or two sentences>``. Every other model
            reason says the probability and that ``graphrisk explain <id>`` shows why.
        neighbour_reasons: per ``customer_id``, the reason the neighbours give to the
            ``individual`` component and its percentile
            (:func:`~graphrisk.analytics.individual_model.explain_neighbours`); it joins the
            customer's own factor reasons, first when it is the more unusual. ``None``:
            own factors only.
        fusion: the run's learned fusion: it scores the analytics components and, where it
            joined, the model (``known``, and a model that did not join, stay noisy-OR terms
            on top) and orders the reasons by what it learned; ``None``: the noisy-OR with
            ``settings.weights``.

    Returns:
        :data:`SCORE_COLUMNS`, one row per customer, best first.
    """
    index = components.index
    rows = customers.reindex(index)
    model = components["model"].astype(float).tolist()
    weights = _without(settings.weights, left_out)
    fused = _fused(components, weights, fusion)
    # What orders the reasons: the policy's weights, or how far the learned fusion says
    # each component lifts this customer above the average one.
    evidence = _evidence(components, weights)
    if fusion is not None:
        strengths = fusion.reason_strengths(components)
        for name in strengths.columns:
            evidence[:, COMPONENTS.index(name)] = strengths[name].to_numpy()
    scores = components.assign(score=np.round(fused, 2))
    scores["tier"] = policy.tier_of(scores["score"])
    scores["known_risk_label"] = rows["known_risk_label"]
    reasons, model_at = _reasons(
        factors, percentiles, evidence, rows, customers, links, typologies,
        cluster_reasons.reindex(index), settings, model,
        None if neighbour_reasons is None else neighbour_reasons.reindex(index))
    if model_reasons is not None and model_at and settings.model_explanations > 0:
        _quote_model(reasons, model_at, index, scores["score"].to_numpy(),
                     scores["tier"].astype(object).tolist(), model, model_reasons,
                     settings.model_explanations)
    scores["reasons"] = reasons
    scores = (scores.rename_axis("customer_id").reset_index()
              .sort_values(["score", "customer_id"], ascending=[False, True],
                           ignore_index=True))
    return scores[list(SCORE_COLUMNS)]


def fuse_components(components: pd.DataFrame, weights: dict[str, float],
                    left_out: Collection[str] = (),
                    fusion: LearnedFusion | None = None) -> np.ndarray:
    """The 0-100 score from per-component evidence: ``100 * (1 - prod(1 - w_k * c_k))``,
    the ``left_out`` components (without data) weighing 0; with a learned ``fusion``, its
    analytics score in place of the learned components' terms.

    Why public: the benchmark re-weights stored components on a validation split without
    re-running the analytics, and the tests re-fuse components as a run would.
    """
    return _fused(components, _without(weights, left_out), fusion)


def assess_coverage(
    snapshot: GraphSnapshot,
    ledger: TransactionLedger,
    *,
    factors: pd.DataFrame,
    known_count: int,
    links: pd.DataFrame,
    typologies: TypologyResult,
    clusters: pd.DataFrame,
    settings: ScoringSettings,
    model_probability: pd.Series | None = None,
    learned: bool = True,
) -> tuple[ComponentCoverage, ...]:
    """Per component, whether this bank's data gave it anything to work on, and what not.

    Why: on a bank unlike our generator (accounts only, no identifiers, no customer
    attributes, transfers in the hundreds) whole components find nothing, and the score
    silently rests on the rest. Each answer names what is missing in terms a person can act
    on (load identifiers; the typology threshold against the bank's median transfer).

    Args:
        snapshot: the scored snapshot.
        ledger: its transaction ledger.
        factors: the individual factors (:func:`customer_factors`).
        known_count: customers with a confirmed risk label (the network's seeds).
        links: :func:`links_between_customers`.
        typologies: the detected typologies.
        clusters: the ranked clusters.
        settings: the run's settings (typology threshold, identifier degree cut-off).
        model_probability: the trained model's probabilities, ``None`` without a model.
        learned: whether the individual component was learned from the confirmed labels
            (``False``: too few of them; it then says so).

    Returns:
        One :class:`ComponentCoverage` per :data:`COMPONENTS` entry, in that order.
    """
    found = {
        "known": _known_coverage(known_count),
        "individual": _individual_coverage(snapshot, ledger, factors, known_count, learned,
                                           settings.folds),
        "unusual": _unusual_coverage(factors, learned),
        "network": _network_coverage(snapshot, known_count, links, settings),
        "typology": _typology_coverage(ledger, typologies, settings),
        "cluster": _cluster_coverage(clusters),
        "model": _model_coverage(model_probability),
    }
    return tuple(found[name] for name in COMPONENTS)


# --------------------------------------------------------------------------------------------


def _without(weights: dict[str, float], left_out: Collection[str]) -> dict[str, float]:
    """``weights`` with the left-out components at 0."""
    return {k: 0.0 if k in left_out else w for k, w in weights.items()}


def _known_coverage(known_count: int) -> ComponentCoverage:
    if known_count == 0:
        return ComponentCoverage("known", False, "no customer carries a confirmed risk label")
    return ComponentCoverage("known", True,
                             f"{known_count:,} customers with a confirmed risk label")


#: Link kinds as the coverage counts them.
_KIND_WORDS = {"transfer": "payment", "co_holder": "co-held account",
               "same_entity": "probable same person", "ip": "shared IP address",
               "outside_account": "payment with a customer's outside account",
               "email": "shared e-mail"}
#: Below this share of transfers at the typology threshold, the detectors barely see the bank.
_FEW_TRANSFERS = 0.01

#: Customer attributes the individual factors read, by the words a person uses for them.
_ATTRIBUTES = {"credit score": "credit_score", "industry": "industry", "country": "country"}


def _filled(frame: pd.DataFrame, column: str) -> int:
    """Rows of ``frame`` with a non-blank value in ``column`` (0 without the column)."""
    if column not in frame.columns or frame.empty:
        return 0
    values = frame[column].astype("string").str.strip()
    return int((values.notna() & values.ne("")).sum())


def _individual_coverage(snapshot: GraphSnapshot, ledger: TransactionLedger,
                         factors: pd.DataFrame, known_count: int = 0, learned: bool = True,
                         folds: int = 5) -> ComponentCoverage:
    customers = snapshot.customers
    missing: list[str] = []
    if not learned and known_count >= folds:
        missing.append("no model learned (label_free set): customers are ranked by how much "
                       "more unusual their factors are together than chance makes them")
    elif not learned:
        missing.append(
            f"no model learned: {known_count:,} confirmed risk "
            f"label{'s' if known_count != 1 else ''} (at least {folds} needed), so customers "
            "are ranked by how much more unusual their factors are together than chance "
            "makes them; add known_risk_label to confirmed cases in customers.csv and "
            "re-load to learn what matters in this bank")
    present = [word for word, column in _ATTRIBUTES.items() if _filled(customers, column)]
    if not present:
        missing.append("no customer attributes (credit score, industry and country are "
                       "empty for every customer)")
    else:
        missing.extend(f"no {word} for any customer" for word in _ATTRIBUTES
                       if word not in present)
    if snapshot.disputes.empty:
        missing.append("no disputes")
    if snapshot.account_changes.empty:
        missing.append("no account changes")
    payments = int(((ledger.payer >= 0) | (ledger.payee >= 0)).sum())
    if payments == 0:
        missing.append("no payments")
    columns = [c for c in FACTOR_COLUMNS if c in factors.columns]
    varying = _varying_factors(factors)
    # The bank's own customer features are read beside the factors (attribute_frame).
    # (Not without labels: nothing then says which way a bank's own feature points.)
    own = (int(snapshot.customer_features["feature"].nunique())
           if learned and not snapshot.customer_features.empty else 0)
    own_words = f"{own} customer feature{'s' if own != 1 else ''} of the bank's own"
    if not varying and not own:
        return ComponentCoverage(
            "individual", False, "every factor has the same value for every customer"
            + (f": {'; '.join(missing)}" if missing else ""), tuple(missing))
    return ComponentCoverage(
        "individual", True,
        f"{len(varying)} of {len(columns)} factors differ between customers"
        + (f"; {own_words} read beside them" if own else ""), tuple(missing))


def _varying_factors(factors: pd.DataFrame) -> list[str]:
    """The factor columns of ``factors`` whose value differs between customers."""
    return [c for c in FACTOR_COLUMNS
            if c in factors.columns and factors[c].nunique(dropna=True) > 1]


def _unusual_coverage(factors: pd.DataFrame, learned: bool) -> ComponentCoverage:
    if not learned:
        return ComponentCoverage("unusual", False, "the individual factors are scored this "
                                 "way already (no model learned)")
    varying = _varying_factors(factors)
    if not varying:
        return ComponentCoverage("unusual", False,
                                 "every factor has the same value for every customer")
    return ComponentCoverage(
        "unusual", True, f"how unusual {len(varying)} factors are together, against the "
        "same factors shuffled between customers (no labels read)")


def _network_coverage(snapshot: GraphSnapshot, known_count: int, links: pd.DataFrame,
                      settings: ScoringSettings) -> ComponentCoverage:
    kinds = links["kind"].value_counts() if not links.empty else pd.Series(dtype=int)
    identity = set(settings.network.identifier_weights())
    missing: list[str] = []
    if not any(kind in identity for kind in kinds.index):
        identifiers = snapshot.identifiers
        if identifiers.empty or "identifier_id" not in identifiers.columns:
            why = "no identifiers loaded"
        else:
            users = identifiers.groupby("identifier_id")["customer_id"].nunique()
            shared = int((users >= 2).sum())
            cap = settings.network.max_identifier_degree
            why = (f"{len(users):,} identifiers, none used by two customers" if shared == 0
                   else f"{shared:,} shared identifiers, each used by more than {cap} "
                   "customers, which links nobody")
        missing.append(f"ring detection: no shared identifiers in this bank ({why})")
    if "transfer" not in kinds.index:
        missing.append("no payments between customers")
    if known_count == 0:
        return ComponentCoverage("network", False,
                                 "no known-risk customers to propagate from", tuple(missing))
    if links.empty:
        return ComponentCoverage(
            "network", False, "no links between customers to propagate along (no shared "
            "identifiers, co-held accounts or payments between customers)", tuple(missing))
    how = ", ".join(f"{int(n):,} {_KIND_WORDS.get(str(kind), 'shared ' + str(kind))}"
                    for kind, n in kinds.items())
    return ComponentCoverage(
        "network", True, f"propagated from {known_count:,} known-risk customers along "
        f"{len(links):,} links ({how})", tuple(missing))


def _typology_coverage(ledger: TransactionLedger, typologies: TypologyResult,
                       settings: ScoringSettings) -> ComponentCoverage:
    # The transfers the detectors read (typologies.transfers): a timed transfer with one of
    # our customers at one end and a known party at the other, not within one customer.
    payer, payee = ledger.payer, ledger.payee
    has_payer = (payer >= 0) | (ledger.payer_counterparty >= 0)
    has_payee = (payee >= 0) | (ledger.payee_counterparty >= 0)
    usable = has_payer & has_payee & ((payer >= 0) | (payee >= 0)) & (payer != payee)
    amounts = ledger.amount[usable & ledger.timed]
    threshold = settings.typologies.min_amount
    # Say where the floor comes from: this bank's own transfers, or the policy (or, on a bank
    # too small to derive from, the fallback).
    source = ("derived from this bank's transfers; "
              if "min_amount" in (settings.typologies.from_data or ()) else "")
    if len(amounts) == 0:
        return ComponentCoverage("typology", False,
                                 "no dated transfers between a customer and another party")
    median = float(np.median(amounts))
    eligible = int((amounts >= threshold).sum())
    if eligible == 0:
        return ComponentCoverage(
            "typology", False, f"no transfer reaches the typology threshold of "
            f"{threshold:,.0f} ({source}the bank's median transfer is {median:,.0f}, its "
            f"largest {float(amounts.max()):,.0f})")
    found = len(typologies.instances)
    missing = ()
    if eligible < _FEW_TRANSFERS * len(amounts):
        # Data, but so little of it that the detectors see almost nothing of the bank.
        missing = (f"only {eligible:,} of {len(amounts):,} transfers "
                   f"({eligible / len(amounts):.1%}) reach the typology threshold of "
                   f"{threshold:,.0f} ({source}the bank's median transfer is {median:,.0f}); "
                   f"{found:,} {'pattern' if found == 1 else 'patterns'} found",)
    return ComponentCoverage(
        "typology", True, f"{eligible:,} of {len(amounts):,} transfers reach the typology "
        f"threshold of {threshold:,.0f} ({source}median transfer {median:,.0f}); {found:,} "
        f"{'pattern' if found == 1 else 'patterns'} found", missing)


def _cluster_coverage(clusters: pd.DataFrame) -> ComponentCoverage:
    if clusters.empty:
        return ComponentCoverage("cluster", False, "no clusters found (no identity rings, "
                                 "money communities or typology groups)")
    high = int(clusters["high_risk"].sum())
    return ComponentCoverage("cluster", True,
                             f"{len(clusters):,} clusters ranked, {high:,} of them high-risk",
                             () if high else ("no cluster is high-risk",))


def _model_coverage(model_probability: pd.Series | None) -> ComponentCoverage:
    if model_probability is None or model_probability.empty:
        return ComponentCoverage("model", False, "no trained model given (graphrisk train, "
                                 "then graphrisk score --model DIR)")
    return ComponentCoverage("model", True, f"a trained model's probability for "
                             f"{len(model_probability):,} customers")


def _evidence(components: pd.DataFrame, weights: dict[str, float]) -> np.ndarray:
    """``w_k * c_k`` per customer (rows) and component (columns, in COMPONENTS order)."""
    vector = np.array([weights.get(k, 0.0) for k in COMPONENTS])
    # A frame built before a component existed (or by hand) lacks it: no evidence.
    return components.reindex(columns=list(COMPONENTS), fill_value=0.0).to_numpy(
        dtype=float) * vector


def _fuse(evidence: np.ndarray) -> np.ndarray:
    return 100.0 * (1.0 - np.prod(1.0 - counted_once(evidence, COMPONENTS), axis=1))


def _fused(components: pd.DataFrame, weights: dict[str, float],
           fusion: LearnedFusion | None) -> np.ndarray:
    """The 0-100 score: the noisy-OR of every component, or with a learned ``fusion`` its
    analytics score in place of the learned components' terms (``known`` and ``model``
    stay noisy-OR terms)."""
    evidence = _evidence(components, weights)
    if fusion is None:
        return _fuse(evidence)
    analytics = fusion.analytics_score(components)
    outer = [COMPONENTS.index(name) for name in COMPONENTS
             if name not in LEARNED_COMPONENTS and name not in fusion.inputs]
    return 100.0 * (1.0 - (1.0 - analytics) * np.prod(1.0 - evidence[:, outer], axis=1))


def _components(
    index: pd.Index, known: pd.Series, individual: pd.Series, network: NetworkResult,
    typologies: TypologyResult, best_cluster: pd.DataFrame, settings: ScoringSettings,
    unusual: pd.Series,
) -> pd.DataFrame:
    """Each customer's evidence per component, in ``[0, 1]`` (``model`` is added later)."""
    counts = typologies.per_customer.set_index("customer_id")
    instances = counts[[c for c in counts.columns if c.endswith("_count")]].sum(axis=1)
    typology_part = 1.0 - 0.5 ** instances.reindex(index).fillna(0)
    return pd.DataFrame({
        "known": known.astype(float),
        "individual": individual.reindex(index).fillna(0.0),
        "unusual": unusual.reindex(index).fillna(0.0),
        "network": _network_part(network.propagated_risk, index, settings.network_floor),
        "typology": typology_part,
        "cluster": _cluster_part(best_cluster, index),
    }, index=index)


def _network_part(propagated_risk: pd.Series, index: pd.Index, floor: float) -> pd.Series:
    """The ``network`` component: the propagated risk's percentile above ``floor``,
    rescaled to ``[0, 1]``."""
    risk = propagated_risk.reindex(index).fillna(0.0)
    if risk.max() > 0:
        # Differences below a millionth of the largest risk are iteration noise (the two
        # engines stop at slightly different points); rounding keeps ties tied in both.
        risk = (risk / risk.max()).round(6)
    percentile = risk.rank(method="min", pct=True)
    percentile[risk <= 0] = 0.0
    return ((percentile - floor) / (1.0 - floor)).clip(0.0, 1.0)


def _cluster_part(best_cluster: pd.DataFrame, index: pd.Index) -> pd.Series:
    """The ``cluster`` component: the score of the customer's best high-risk cluster."""
    return best_cluster["cluster_score"].reindex(index).fillna(0.0).astype(float)


def _learned_fusion(
    components: pd.DataFrame, known: pd.Series, graph: CustomerGraph | None,
    network: NetworkResult, cluster_ranking: Callable[[pd.DataFrame], pd.DataFrame],
    facts: pd.DataFrame, settings: ScoringSettings, left_out: Collection[str], *,
    model_seen: Collection[str] | None = None,
) -> tuple[LearnedFusion | None, str]:
    """The run's learned fusion (:mod:`graphrisk.analytics.fusion`), or ``None`` and why not.

    With a graph model (its ``model`` component has data) whose trained-on customers
    ``model_seen`` are known, the model joins in a second stage learned on the others
    (:func:`~graphrisk.analytics.fusion.add_model_stage`).

    The ``network`` and ``cluster`` components are recomputed per fold of
    :func:`~graphrisk.analytics.fusion.group_folds` with that fold's labels hidden: the
    propagation (in Python, on the same customer graph: the engines agree to 1e-6) from the
    other folds' known customers, the clusters with the fold's labels removed from the
    members' facts. A fold without a known customer hides nothing: its values are the run's.
    ``individual`` is out of fold already; ``typology`` reads no labels.
    """
    if settings.fusion != "learned":
        return None, ""
    count = int(known.sum())
    if count < MIN_KNOWN:
        return None, (f"{count} confirmed labels; learning the fusion needs at least "
                      f"{MIN_KNOWN}")
    index = components.index
    groups = group_keys(index, network.rings, network.communities)
    folds = group_folds(index, network.rings, network.communities, settings.folds,
                        settings.seed)
    out_of_fold = components[list(LEARNED_COMPONENTS)].copy()
    for fold in range(settings.folds):
        held = (folds == fold).to_numpy()
        if not known.to_numpy()[held].any():
            continue
        if "network" not in left_out and graph is not None:
            seeds = {customer: 1.0 for customer in index[known.to_numpy() & ~held]}
            risk = propagate_risk(graph, seeds, damping=settings.network.damping)
            out_of_fold.loc[held, "network"] = _network_part(
                risk, index, settings.network_floor).to_numpy()[held]
        if "cluster" not in left_out:
            hidden = facts.copy()
            hidden.loc[index[held], "known_risk_label"] = None
            clusters = cluster_ranking(hidden)
            high = clusters[clusters["high_risk"]] if not clusters.empty else clusters
            out_of_fold.loc[held, "cluster"] = _cluster_part(
                best_cluster_per_customer(high), index).to_numpy()[held]
    fusion = fit_fusion(out_of_fold, known, folds=folds, reference=components,
                        weights=_without(settings.weights, left_out), groups=groups,
                        seed=settings.seed)
    if fusion is None:
        return None, ("the confirmed labels fall in one ring or community, or no component "
                      "tells them apart from the rest")
    if fusion.choice == NOISY_OR and fusion.comparison is not None:
        return None, f"the learned weights did worse: {fusion.comparison.text()}"
    model_weight = settings.weights.get(MODEL, 0.0)
    if MODEL in left_out or model_weight <= 0:
        return fusion, ""
    if model_seen is None:
        return replace(fusion, model_note=(
            "the model folder does not say which customers it trained on (written before "
            "GraphRisk kept its split); train it again to learn its weight")), ""
    out_of_fold[MODEL] = components[MODEL]
    held_out = pd.Series(~index.isin(pd.Index(list(model_seen))), index=index)
    return add_model_stage(fusion, out_of_fold, known, held_out=held_out, folds=folds,
                           reference=components, model_weight=model_weight, groups=groups,
                           seed=settings.seed), ""


def _cluster_sentences(index: pd.Index, clusters: pd.DataFrame,
                       best_cluster: pd.DataFrame) -> pd.Series:
    """Per customer, the reason naming their best high-risk cluster (missing where none)."""
    cluster_ids = best_cluster["cluster_id"].reindex(index)
    if clusters.empty or cluster_ids.isna().all():
        return pd.Series(None, index=index, dtype=object)
    ranks = clusters.set_index("cluster_id")["rank"].to_dict()
    why = best_cluster["cluster_reason"].reindex(index).astype(object).tolist()
    return pd.Series([
        f"member of high-risk cluster {cluster} (ranked #{int(ranks[cluster])}): {reason}"
        if isinstance(cluster, str) else None
        for cluster, reason in zip(cluster_ids.astype(object).tolist(), why, strict=True)
    ], index=index, dtype=object)


def _reasons(
    factors: pd.DataFrame, percentiles: pd.DataFrame, evidence: np.ndarray,
    customers: pd.DataFrame, everyone: pd.DataFrame, links: pd.DataFrame,
    typologies: TypologyResult, cluster_reasons: pd.Series, settings: ScoringSettings,
    model_list: list[float], neighbour_reasons: pd.DataFrame | None = None,
) -> tuple[list[list[str]], dict[int, int]]:
    """Up to ``top_reasons`` plain-language reasons per customer, strongest evidence first.

    ``customers`` are the rows to explain (in ``evidence`` order); ``everyone`` also holds
    the customers they link to, for quoting a linked customer's confirmed label.

    Returns:
        The reasons per row, and for the rows whose reasons show the graph model, the
        position of its reason (:func:`_quote_model` may replace it with the model's own).
    """
    factor_reasons = explain_all_factors(
        factors, percentiles, settings.top_reasons,
        reporting_threshold=settings.reporting_threshold).reindex(customers.index)
    link_reasons = _known_neighbour_reasons(links, everyone,
                                            everyone["known_risk_label"].notna())
    typology_reasons = (typologies.per_customer.set_index("customer_id")["typology_reason"]
                        .reindex(customers.index).fillna(""))
    sources = customers.get("known_risk_source", pd.Series(index=customers.index, dtype=object))
    # Plain lists: label lookups on a Series cost microseconds each, times 100,000 customers.
    labels = customers["known_risk_label"].astype(object).tolist()
    sources_list = sources.astype(object).tolist()
    factor_list = factor_reasons.tolist()
    neighbour_list: list[object] = [None] * len(customers.index)
    if neighbour_reasons is not None:
        neighbour_list = _with_neighbour_reasons(factor_list, factors, percentiles,
                                                 neighbour_reasons)
    typology_list = typology_reasons.tolist()
    cluster_list = cluster_reasons.astype(object).tolist()
    # A confirmation is the first thing an investigator needs to know, whatever its weight.
    priority = evidence.copy()
    priority[:, COMPONENTS.index("known")] *= 10.0
    order = np.argsort(-priority, axis=1, kind="stable")
    positive = evidence > 0
    # The graph model gives almost everyone a probability above 0; it is a reason only
    # where it is notable: more likely risky than not, or above the model's 95th percentile
    # here (strictly: a probability nearly everyone shares is nobody's reason).
    model_values = np.asarray(model_list, dtype=float)
    if len(model_values):
        notable = ((model_values >= MODEL_REASON_PROBABILITY)
                   | (model_values > np.quantile(model_values, MODEL_REASON_PERCENTILE)))
        positive[:, COMPONENTS.index("model")] &= notable & (model_values > 0)
    reasons: list[list[str]] = []
    model_at: dict[int, int] = {}
    for row, customer in enumerate(customers.index):
        found: list[str] = []
        for component in order[row]:
            if not positive[row, component] or len(found) >= settings.top_reasons:
                continue
            name = COMPONENTS[component]
            if name == "known":
                source = sources_list[row]
                found.append(f"confirmed {str(labels[row]).replace('_', ' ')}"
                             + (f" (source: {source})" if isinstance(source, str) else ""))
            elif name in ("individual", "unusual"):
                # Both read the customer's factors (the learned piece also her neighbours'):
                # whichever comes first says them, the other only what is left unsaid.
                said = (neighbour_list[row] if name == "individual"
                        and isinstance(neighbour_list[row], list) else factor_list[row])
                if isinstance(said, list):
                    found.extend([reason for reason in said if reason not in found]
                                 [: settings.top_reasons - len(found)])
            elif name == "network":
                found.append(link_reasons.get(customer, "close to known-risk customers through "
                             "chains of shared identifiers, accounts and payments"))
            elif name == "typology" and typology_list[row]:
                found.append(typology_list[row])
            elif name == "model":
                model_at[row] = len(found)
                found.append(f"graph model ({model_list[row]:.0%}): not explained in this "
                             f"run; `graphrisk explain {customer}` shows why")
            elif name == "cluster" and isinstance(cluster_list[row], str):
                found.append(cluster_list[row])
        reasons.append(found or ["nothing stands out"])
    return reasons, model_at


def _learned_reasons(individual_model: IndividualModel, individual: pd.Series,
                     settings: ScoringSettings) -> pd.DataFrame | None:
    """Per customer, the one reason beyond their own factors that the individual model read:
    their neighbours' (:func:`explain_neighbours`) or the bank's own customer features'
    (:func:`~graphrisk.analytics.attribute_reasons.explain_attributes`), whichever makes
    the customer the more unusual; ``None`` where the model read neither."""
    found = []
    if individual_model.neighbourhood is not None:
        found.append(explain_neighbours(individual_model.neighbourhood,
                                        reporting_threshold=settings.reporting_threshold))
    attributes = getattr(individual_model, "attributes", None)  # pickled before it existed
    if attributes is not None and not attributes.empty:
        found.append(explain_attributes(attributes, individual, prefix=ATTRIBUTE_PREFIX))
    if not found:
        return None
    best = found[0].copy()
    for other in found[1:]:
        other = other.reindex(best.index)
        better = (other["percentile"].fillna(-1.0) > best["percentile"].fillna(-1.0)).to_numpy()
        best.loc[better, ["percentile", "reason"]] = other.loc[better, ["percentile", "reason"]]
    return best


def _with_neighbour_reasons(factor_list: list, factors: pd.DataFrame,
                            percentiles: pd.DataFrame,
                            neighbour_reasons: pd.DataFrame) -> list[object]:
    """Per row, the individual component's reasons with the neighbours' one in its place.

    The neighbours' reason goes first when its percentile is above every own factor's that
    is worth a reason, after them otherwise; ``None`` where the neighbours give none.
    """
    present = [c for c in FACTOR_COLUMNS if c in factors.columns and c in percentiles.columns]
    values = factors[present].to_numpy(dtype=float)
    pct = percentiles[present].to_numpy(dtype=float)
    notable = np.array([factor_named(c).notable or 0.0 for c in present])
    usable = (pct >= REASON_PERCENTILE) & (values != 0) & (values >= notable)
    own_best = np.where(usable, pct, -1.0).max(axis=1) if present else np.full(len(pct), -1.0)
    sentences = neighbour_reasons["reason"].tolist()
    percentile = neighbour_reasons["percentile"].to_numpy(dtype=float)
    out: list[object] = []
    for row, sentence in enumerate(sentences):
        if not isinstance(sentence, str):
            out.append(None)
            continue
        own = factor_list[row] if isinstance(factor_list[row], list) else []
        out.append([sentence, *own] if percentile[row] > own_best[row] else [*own, sentence])
    return out


def _timed_reasons(model_reasons: ModelReasons, step: Progress,
                   timings: dict[str, float]) -> ModelReasons:
    """``model_reasons``, reporting its step and timing it as ``model_reasons``."""
    def explain(ids: list[str]) -> Mapping[str, Sequence[str]]:
        step(f"explaining the graph model's view of {len(ids):,} customers")
        started = time.perf_counter()
        found = model_reasons(ids)
        timings["model_reasons"] = time.perf_counter() - started
        return found
    return explain


def _quote_model(reasons: list[list[str]], model_at: dict[int, int], index: pd.Index,
                 score: np.ndarray, tiers: list[Any], model: list[float],
                 model_reasons: ModelReasons, most: int) -> None:
    """Replace the model reason of the best-scored medium/high customers by the model's own.

    Why bounded: an explanation costs about 20 ms of CPU per customer even in a batch
    (Integrated Gradients over the customer's neighbourhood), so on a bank of 100,000 only the
    customers a team looks at first are explained; the others keep the pointer to
    ``graphrisk explain``.
    """
    rows = [row for row in model_at if tiers[row] in _EXPLAINED_TIERS]
    rows.sort(key=lambda row: (-score[row], str(index[row])))
    chosen = rows[:most]
    if not chosen:
        return
    found = model_reasons([str(index[row]) for row in chosen])
    for row in chosen:
        sentences = [s for s in found.get(str(index[row]), ()) if s][:_MODEL_SENTENCES]
        if sentences:
            reasons[row][model_at[row]] = (f"graph model ({model[row]:.0%}): "
                                           + "; ".join(sentences))


def _known_neighbour_reasons(
    links: pd.DataFrame, customers: pd.DataFrame, known: pd.Series
) -> dict[str, str]:
    """For customers linked directly to known-risk customers, the strongest such link."""
    both = pd.concat([
        links.rename(columns={"customer_id_a": "customer_id", "customer_id_b": "other"}),
        links.rename(columns={"customer_id_b": "customer_id", "customer_id_a": "other"}),
    ], ignore_index=True)
    both = both[both["other"].map(known).fillna(False).astype(bool)]
    if both.empty:
        return {}
    totals = both.groupby(["customer_id", "other"])["weight"].sum().rename("strength")
    both = both.join(totals, on=["customer_id", "other"])
    both = both.sort_values(["customer_id", "strength", "weight", "other"],
                            ascending=[True, False, False, True])
    known_count = both.groupby("customer_id")["other"].nunique()
    strongest = both.drop_duplicates("customer_id").set_index("customer_id")
    labels = customers["known_risk_label"]
    reasons = {}
    for customer, link in strongest.iterrows():
        label = str(labels.get(link["other"])).replace("_", " ")
        others = int(known_count[customer]) - 1
        more = f", and is linked to {others} more known-risk customers" if others > 0 else ""
        if link["kind"] == "same_entity":
            # The pair's sentence names the fields that agreed, so the reason can be checked.
            reasons[customer] = (f"probably the same person as {link['other']} (confirmed "
                                 f"{label}): {link['via']}{more}")
            continue
        if link["kind"] == "outside_account":
            # The counterparty resolution found probably the known customer, and why.
            payments, _, why = str(link["via"]).partition(" — ")
            reasons[customer] = (f"exchanged {payments}, probably an account of "
                                 f"{link['other']} (confirmed {label}) outside the bank "
                                 f"({why}){more}")
            continue
        if link["kind"] == "transfer":
            how = f"exchanged {link['via']} payments with"
        else:
            how = f"{_LINK_WORDS.get(link['kind'], 'shares ' + link['kind'])} {link['via']} with"
        reasons[customer] = f"{how} {link['other']} (confirmed {label}){more}"
    return reasons
