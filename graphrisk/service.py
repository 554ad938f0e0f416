"""The team's jobs as typed calls: one service every face calls.

Why a service: the CLI, the demo, the coming HTTP API, monitoring jobs and notebooks all need
the same compositions — open the configured store, load the policy, score (optionally fusing
a trained model), look up a customer with their score, reasons, history and network, train,
predict, explain. Written once here, each face stays a thin shell: it turns arguments into a
call and the result into a table, a JSON body or a plot. Nothing here prints; long work
reports progress through a callback the caller passes (the CLI draws Rich bars with it, the
API will keep a job's status with it).

Typical use::

    with RiskService.open() as service:          # settings from GRAPHRISK_* variables
        result = service.score()
        view = service.customer_view("C000042")

``graphrisk`` core never imports ``graphrisk.ingestion`` or ``graphrisk.models`` at import
time; the service imports them — and the scoring pipeline, with its scientific libraries —
inside the calls that need them, so ``import graphrisk.service`` stays light (every CLI
command starts fast) and works without torch.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import pandas as pd

from graphrisk.config import Settings, StoreKind, get_settings, parse_store_kind
from graphrisk.errors import ConfigError, ModelError, NotFoundError, QueryRefusedError
from graphrisk.graph import GraphNode, GraphPath, NodeRef, QueryResult, Subgraph
from graphrisk.policy import DEFAULT_POLICY_FILE, RiskPolicy, load_policy
from graphrisk.store import GraphStore, open_store

if TYPE_CHECKING:
    from graphrisk.domain import RelType
    from graphrisk.ingestion.generator import GenerationSummary
    from graphrisk.ingestion.loader import IngestReport
    from graphrisk.models.explain import ModelExplanation
    from graphrisk.models.lifecycle import TrainingRun
    from graphrisk.monitoring.records import Case
    from graphrisk.monitoring.service import MonitoringService
    from graphrisk.resolution.service import ResolutionService
    from graphrisk.scoring import ScoringResult, ScoringSettings
    from graphrisk.screening.service import ScreeningService
    from graphrisk.tier_bounds import TierBoundsReport

__all__ = [
    "MIN_SAMPLE_CUSTOMERS",
    "CustomerCard",
    "CustomerView",
    "LatestScore",
    "ProgressCallback",
    "ProgressEvent",
    "RiskService",
    "StoreStatus",
    "LoadReportFolder",
    "convert_public_dataset",
    "list_load_reports",
    "purge_load_reports",
    "generate_event_stream",
    "generate_sample",
    "load_configured_policy",
    "open_service",
    "read_policy",
    "settings_for",
]

_log = logging.getLogger(__name__)

#: The smallest synthetic sample the generator plants every typology in (its own
#: ``MIN_CUSTOMERS``; a test checks they agree). Here so the CLI's options can say it
#: without importing the generator.
MIN_SAMPLE_CUSTOMERS = 500
#: The record kind the last stored run's ranked clusters are kept under.
CLUSTERS_KIND = "clusters"
#: The graph model ``train``/``predict``/``explain`` use when none is named: ``auto`` chooses
#: hgt, sage or their ensemble by cross-validation (``graphrisk.models.selection``).
DEFAULT_MODEL_KIND = "auto"


@dataclass(frozen=True)
class ProgressEvent:
    """One step of long work, for a progress bar or a job's status.

    Attributes:
        task: what is running, stable across events of one piece of work (``scoring``,
            ``customers`` while loading customers, ``training``...); a face draws one bar
            per task.
        message: the current step in words (``propagating risk, rings and communities``).
        done: units done so far, when the work can be counted.
        total: units in all; ``None`` when unknown (show a spinner).
    """

    task: str
    message: str
    done: float | None = None
    total: float | None = None

    @property
    def fraction(self) -> float | None:
        """Share done in ``[0, 1]``, or ``None`` when the work cannot be counted."""
        if self.done is None or not self.total:
            return None
        return min(max(self.done / self.total, 0.0), 1.0)


ProgressCallback = Callable[[ProgressEvent], None]


def _silent(_: ProgressEvent) -> None:
    return None


@dataclass(frozen=True)
class StoreStatus:
    """What a store holds, its loads, and whether it is consistent."""

    where: str
    counts: dict[str, int]
    loads: pd.DataFrame
    problems: list[str]


@dataclass(frozen=True)
class LatestScore:
    """A customer's most recent stored score."""

    customer_id: str
    run_id: str
    kind: str
    created_at: Any
    score: float
    tier: str
    reasons: list[str]


@dataclass(frozen=True)
class CustomerView:
    """Everything an investigator sees first about one customer.

    Attributes:
        customer: the customer node with its stored properties (the profile).
        latest: the most recent stored risk score (``None`` before any scoring run).
        history: every stored score, newest first (``run_id, created_at, kind, score, tier,
            reasons``).
        network: the nodes and relationships within ``hops`` of the customer.
    """

    customer: GraphNode
    latest: LatestScore | None
    history: pd.DataFrame
    network: Subgraph

    @property
    def customer_id(self) -> str:
        return self.customer.ref.id


@dataclass(frozen=True)
class CustomerCard:
    """One customer as the investigator page opens them (see :meth:`RiskService.customer_card`).

    Attributes:
        customer: the customer node with its stored properties.
        identifiers: ``{id, kind, value, shared_with}`` per identifier they use.
        latest: the latest stored score row (``score, tier, reasons, created_at, run_id`` and
            the components ``known, individual, ...``), or ``None`` before any run.
        history: every stored score, newest first.
        open_alerts: alerts on them not yet closed with a case.
        open_case: the open case they are on, if any.
        cluster_id: their best high-risk cluster in the last ranking, if any.
    """

    customer: GraphNode
    identifiers: list[dict[str, Any]]
    latest: dict[str, Any] | None
    history: pd.DataFrame
    open_alerts: int
    open_case: str | None
    cluster_id: str | None


def settings_for(store: str | StoreKind | None = None, base: Settings | None = None) -> Settings:
    """The settings with the store a caller named (``--store``) in place of the configured one.

    Raises:
        ConfigError: the store name is unknown, or a ``GRAPHRISK_*`` variable is invalid.
    """
    settings = base or get_settings()
    if store is None:
        return settings
    return settings.model_copy(update={"store": parse_store_kind(store)})


class RiskService:
    """The team's jobs over one open store and one policy.

    Build it with :meth:`open` (it opens the configured store and loads the policy) and close
    it when done (it is a context manager). Every method is a typed call: arguments in,
    values out, domain errors (:class:`~graphrisk.errors.GraphRiskError`) raised — never
    printed.
    """

    def __init__(self, settings: Settings, store: GraphStore, policy: RiskPolicy,
                 *, policy_source: Path | None = None) -> None:
        self.settings = settings
        self.store = store
        self.policy = policy
        self.policy_source = policy_source or settings.policy_file or DEFAULT_POLICY_FILE
        self._monitoring: MonitoringService | None = None
        self._screening: ScreeningService | None = None
        self._resolution: ResolutionService | None = None
        self._masking_key: bytes | None = None
        self._individual_model: Any = None
        self._kept_clusters: tuple[str, pd.DataFrame, dict[str, str]] | None = None

    # -- life cycle ------------------------------------------------------------------------
    @classmethod
    def open(cls, settings: Settings | None = None) -> RiskService:
        """Open the configured store and load the configured policy.

        Raises:
            ConfigError: the policy file is missing or invalid, or a setting is.
            StoreUnavailableError: the store cannot be reached or opened.
        """
        settings = settings or get_settings()
        policy, source = load_configured_policy(settings)
        return cls(settings, open_store(settings), policy, policy_source=source)

    def close(self) -> None:
        """Release the store's connections."""
        self.store.close()

    def __enter__(self) -> RiskService:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    @property
    def monitoring(self) -> MonitoringService:
        """Monitoring, alerts, cases, re-assessment and audit over this service's store."""
        if self._monitoring is None:
            from graphrisk.monitoring.service import MonitoringService

            self._monitoring = MonitoringService(self)
        return self._monitoring

    @property
    def screening(self) -> ScreeningService:
        """Lists, screening runs and hit decisions over this service's store."""
        if self._screening is None:
            from graphrisk.screening.service import ScreeningService

            self._screening = ScreeningService(self)
        return self._screening

    @property
    def resolution(self) -> ResolutionService:
        """Entity resolution runs and pair decisions over this service's store."""
        if self._resolution is None:
            from graphrisk.resolution.service import ResolutionService

            self._resolution = ResolutionService(self)
        return self._resolution

    def ping(self) -> None:
        """Ask the store a small question now; raises when it cannot be reached.

        Raises:
            StoreUnavailableError: the store does not answer.
        """
        self.store.has_rows("customers")

    def pseudonym(self, text: str) -> str:
        """A stable stand-in for personal ``text`` (an identifier's value) in masked views:
        the same in every answer and every worker, not reversible without the store's key."""
        from graphrisk.access import masking_key, pseudonym

        if self._masking_key is None:
            self._masking_key = masking_key(self.store)
        return pseudonym(self._masking_key, text)

    def record_access(self, actor: str, action: str, subject: str | None = None,
                      details: dict[str, Any] | None = None) -> None:
        """Write a read of personal data (or any change a face made) to the audit trail."""
        self.store.append_audit(actor, action, subject, details or {})

    @property
    def store_kind(self) -> StoreKind:
        return self.settings.store

    def describe(self) -> str:
        """Where the data lives (a path or a URI), for messages."""
        return self.store.describe()

    def scoring_settings(self) -> ScoringSettings:
        """The scoring knobs the policy asks for."""
        from graphrisk.scoring import ScoringSettings

        return ScoringSettings.from_policy(self.policy)

    # -- loading ---------------------------------------------------------------------------
    def ingest_folder(self, directory: Path, *, progress: ProgressCallback | None = None,
                      keep_accepted: bool = False, bulk: bool = False) -> IngestReport:
        """Validate and load a folder of input files; bad rows go to a quarantine report.

        Progress reports one task per entity (``customers``, ``transactions``...), counted in
        rows. ``keep_accepted`` keeps the valid rows on the report (small incremental
        batches: monitoring reads them). ``bulk`` fills an empty local Neo4j through Neo4j's
        offline importer (:mod:`graphrisk.store.neo4j_bulk`; ``ConfigError`` when the
        database is not empty).
        """
        from graphrisk.ingestion.loader import ingest_directory

        report = progress or _silent
        if not Path(directory).is_dir():
            raise ConfigError(f"input folder {directory} does not exist; pass the folder "
                              "that holds customers.csv, accounts.csv, ...")

        def rows(entity: str, done: int, total: int) -> None:
            report(ProgressEvent(entity, f"loading {entity}", done, total))

        server = None
        if bulk:
            from graphrisk.store.neo4j_bulk import LocalNeo4jServer

            server = LocalNeo4jServer.from_settings(self.settings)
        return ingest_directory(self.store, Path(directory), batch_size=self.settings.batch_size,
                                reports_dir=self.settings.reports_dir, progress=rows,
                                keep_accepted=keep_accepted,
                                targeted_references=keep_accepted, bulk=server)

    def unfinished_loads(self) -> list[str]:
        """Loads that started and have not completed: running now, or interrupted.

        Why a call of its own: scoring while a load runs scores a partial graph; faces warn
        before they score. Cheaper than :meth:`status` (no consistency check).
        """
        loads = self.store.loads()
        if loads.empty:
            return []
        return loads.loc[loads["status"] != "completed", "load_id"].astype(str).tolist()

    def status(self) -> StoreStatus:
        """What the store holds, its loads, and any broken invariant."""
        return StoreStatus(where=self.store.describe(), counts=self.store.counts(),
                           loads=self.store.loads(), problems=self.store.consistency_problems())

    # -- scoring ---------------------------------------------------------------------------
    def score(self, *, write: bool = True, model_dir: Path | None = None,
              progress: ProgressCallback | None = None,
              model_explanations: int | None = None) -> ScoringResult:
        """Score every customer 0-100, grade them by the policy, and say why.

        Args:
            write: store the run in the score history.
            model_dir: also fuse this trained graph model's probability (``model``
                component); where it is among a medium- or high-tier customer's reasons,
                the reason quotes the model's own explanation (at most
                ``model_explanations`` customers, the highest scores first).
            model_explanations: how many customers at most get the model's own reasons
                (``None``: :attr:`ScoringSettings.model_explanations`'s default; 0: none,
                every model reason points to ``graphrisk explain``).
            progress: one ``scoring`` task counted in steps (and ``graph model`` steps first
                when a model is fused).
        """
        from graphrisk.scoring import score_store, scoring_steps

        report = progress or _silent
        probability = model_reasons = model_seen = None
        if model_dir is not None:
            probability, model_reasons, model_seen = _model_view(
                Path(model_dir), self.store,
                lambda name: report(ProgressEvent("graph model", name)))
        total = scoring_steps(write=write)
        steps = iter(range(total))

        def step(name: str) -> None:
            report(ProgressEvent("scoring", name, next(steps, total - 1), total))

        settings = self.scoring_settings()
        if model_explanations is not None:
            settings = replace(settings, model_explanations=model_explanations)
        result = score_store(self.store, self.policy, settings, progress=step,
                             write=write, model_probability=probability,
                             negative_ids=self.negative_labels(), model_reasons=model_reasons,
                             model_seen=model_seen)
        if write:
            self.note_policy()
        if write:
            self.keep_clusters(result.run_id, result.clusters)
        if write and result.individual_model is not None:
            self.keep_individual_model(result.individual_model)
            self.store.append_audit(self.settings.actor, "score.run", f"run:{result.run_id}",
                                    {"customers": len(result.scores), "engine": result.engine,
                                     "model": str(model_dir) if model_dir else None})
        report(ProgressEvent("scoring", "done", total, total))
        return result

    def note_policy(self) -> None:
        """Audit the live policy file when it differs from the one last used here.

        Why: a changed threshold or rule changes who is alerted and graded; the audit trail
        must show when the policy in force changed and to what (its SHA-256 and path).
        """
        import hashlib

        from graphrisk.errors import RecordConflictError

        digest = hashlib.sha256(Path(self.policy_source).read_bytes()).hexdigest()
        body = {"sha256": digest, "path": str(self.policy_source)}
        record, created = self.store.create_record("policy", "live", body, status="live")
        if created:
            self.store.append_audit(self.settings.actor, "policy.adopt", "policy:live", body)
        elif record.body.get("sha256") != digest:
            try:
                self.store.update_record("policy", "live", body,
                                         expected_version=record.version)
            except RecordConflictError:
                return  # another process noted the same change a moment ago
            self.store.append_audit(self.settings.actor, "policy.change", "policy:live",
                                    {**body, "previous_sha256": record.body.get("sha256")})

    def keep_individual_model(self, model: Any) -> None:
        """Keep a full run's individual model: monitoring re-scores a batch's reach with the
        fold models of the last full run whose scores were stored."""
        model.save(self._individual_model_path())
        self._individual_model = model

    def individual_model(self) -> Any:
        """The individual-factor model of the last full scoring run (kept for incremental
        re-scoring), fitted on the whole graph once and kept when none was saved."""
        if self._individual_model is None:
            from graphrisk.analytics.individual_model import IndividualModel

            path = self._individual_model_path()
            if path.exists():
                self._individual_model = IndividualModel.load(path)
            else:
                from graphrisk.rescoring import fit_individual_model_on_store

                self._individual_model = fit_individual_model_on_store(
                    self.store, self.scoring_settings())
                self._individual_model.save(path)
        return self._individual_model

    def _individual_model_path(self) -> Path:
        return self.settings.home / "models" / f"individual-{self.settings.store}.pkl"

    def clusters(self, *, progress: ProgressCallback | None = None) -> pd.DataFrame:
        """Ranked clusters (identity rings, money communities, typologies), best first.

        They are recomputed from the store (nothing is written to the score history).
        """
        return self.score(write=False, progress=progress).clusters

    def keep_clusters(self, run_id: str, clusters: pd.DataFrame) -> None:
        """Keep a stored run's ranked clusters, so that faces list them without re-scoring.

        Why: ranking clusters needs the whole graph (a full scoring run); the API and the
        page show the ranking of the last stored run instead, with its run id. The ranking
        is kept under its run id and a small ``latest`` pointer names it, so a reader checks
        the pointer and re-reads the (large) ranking only when a new run replaced it.
        """
        from graphrisk.errors import RecordConflictError

        self.store.create_record(CLUSTERS_KIND, run_id,
                                 {"run_id": run_id, "clusters": _json_rows(clusters)},
                                 status="ranking")
        pointer = {"run_id": run_id}
        for _ in range(3):
            record, created = self.store.create_record(CLUSTERS_KIND, "latest", pointer,
                                                       status="pointer")
            if created:
                return
            try:
                self.store.update_record(CLUSTERS_KIND, "latest", pointer,
                                         expected_version=record.version)
                return
            except RecordConflictError:
                continue  # another run moved the pointer a moment ago; ours is newer

    def ranked_clusters(self) -> tuple[str, pd.DataFrame]:
        """The last stored run's ranked clusters, best first, and that run's id.

        Raises:
            NotFoundError: no scoring run has been stored yet.
        """
        return self._ranking()[:2]  # type: ignore[return-value]

    def cluster_of(self, customer_ids: Collection[str]) -> dict[str, str]:
        """Each customer's best high-risk cluster in the last stored ranking (those in one)."""
        try:
            members = self._ranking()[2]
        except NotFoundError:
            return {}
        return {c: members[c] for c in customer_ids if c in members}

    def _ranking(self) -> tuple[str, pd.DataFrame, dict[str, str]]:
        pointer = self.store.get_record(CLUSTERS_KIND, "latest")
        if pointer is None:
            raise NotFoundError("no ranked clusters yet: run `graphrisk score` (or start a "
                                "scoring job) first")
        run_id = str(pointer.body["run_id"])
        kept = self._kept_clusters
        if kept is None or kept[0] != run_id:
            record = self.store.get_record(CLUSTERS_KIND, run_id)
            rows = record.body["clusters"] if record is not None else []
            frame = pd.DataFrame(rows, columns=list(_cluster_columns()))
            members: dict[str, str] = {}
            for cluster_id, ids, high in frame[["cluster_id", "members", "high_risk"]] \
                    .itertuples(index=False, name=None):
                for member in ids if high else ():
                    members.setdefault(str(member), str(cluster_id))  # best rank first
            kept = (run_id, frame, members)
            self._kept_clusters = kept
        return kept

    # -- looking up ------------------------------------------------------------------------
    def customer(self, customer_id: str) -> GraphNode:
        """The customer's profile; raises :class:`NotFoundError` for an unknown id."""
        return self.store.get_node(NodeRef.parse(customer_id))

    def score_history(self, customer_id: str) -> pd.DataFrame:
        """Every stored score of one customer, newest first.

        Raises:
            NotFoundError: no such customer.
        """
        ref = NodeRef.parse(customer_id)
        self.store.get_node(ref)
        return self.store.score_history(ref.id)

    def latest_score(self, customer_id: str, *, kind_prefix: str = "risk_score"
                     ) -> LatestScore | None:
        """The customer's most recent stored score of a kind (the fused risk score by
        default; ``gnn`` for the graph model's), or ``None`` before any such run.

        Raises:
            NotFoundError: no such customer.
        """
        return _latest(customer_id, self.score_history(customer_id), kind_prefix)

    def neighbourhood(self, node: str | NodeRef, *, hops: int = 2, limit: int = 200,
                      types: Collection[RelType] | None = None,
                      since: datetime | None = None,
                      until: datetime | None = None) -> Subgraph:
        """Every node within ``hops`` of a customer (or any ``Label:id`` node), walking only
        ``types`` and, for time-stamped relationships, only what happened between ``since``
        and ``until`` (see :meth:`GraphStore.neighbourhood`)."""
        ref = node if isinstance(node, NodeRef) else NodeRef.parse(node)
        return self.store.neighbourhood(ref, hops=hops, limit=limit, types=types,
                                        since=since, until=until)

    def search_customers(self, text: str, *, limit: int = 50,
                         offset: int = 0) -> tuple[list[GraphNode], int]:
        """Customers matching ``text`` by id, name or identifier value, a page at a time,
        and the number of matches (see :meth:`GraphStore.search_customers`)."""
        return self.store.search_customers(text, limit=limit, offset=offset)

    def path(self, start: str | NodeRef, end: str | NodeRef, *,
             max_hops: int = 6) -> GraphPath | None:
        """A shortest path between two customers (or any two nodes), ``None`` if none."""
        first = start if isinstance(start, NodeRef) else NodeRef.parse(start)
        last = end if isinstance(end, NodeRef) else NodeRef.parse(end)
        return self.store.shortest_path(first, last, max_hops)

    def read_only_query(self, query: str, parameters: Mapping[str, Any] | None = None, *,
                        timeout_s: float = 10.0, row_limit: int = 1000,
                        actor: str | None = None) -> QueryResult:
        """Run an analyst's read-only Cypher (see :meth:`GraphStore.read_only_query`) and
        write it to the audit trail as ``query.run`` with its row count, or, when the guard
        refuses it, as ``query.refused`` with the reason before the refusal is raised.

        Args:
            actor: who ran it, for the audit trail (default: the configured actor).

        Raises:
            QueryRefusedError: the query would do more than read; it did not run.
            QueryFailedError: a syntax error, a missing parameter or a timeout.
            UnsupportedByStoreError: the store is not Neo4j.
        """
        who = actor or self.settings.actor
        try:
            result = self.store.read_only_query(query, parameters, timeout_s=timeout_s,
                                                row_limit=row_limit)
        except QueryRefusedError as exc:
            self.store.append_audit(who, "query.refused", None,
                                    {"query": query[:2000], "reason": exc.reason})
            raise
        self.store.append_audit(who, "query.run", None,
                                {"query": query[:2000], "rows": len(result.rows)})
        return result

    def customer_view(self, customer_id: str, *, hops: int = 2,
                      limit: int = 200) -> CustomerView:
        """Profile, latest score, tier and reasons, history, and the k-hop network.

        Raises:
            NotFoundError: no such customer.
        """
        node = self.customer(customer_id)
        if node.ref.label.value != "Customer":
            raise NotFoundError("customer", customer_id)
        history = self.store.score_history(node.ref.id)
        return CustomerView(
            customer=node, latest=_latest(node.ref.id, history, "risk_score"),
            history=history,
            network=self.store.neighbourhood(node.ref, hops=hops, limit=limit))

    def node(self, node: str | NodeRef) -> GraphNode:
        """Any node by ``Label:id`` (a bare id is a customer); NotFoundError otherwise."""
        return self.store.get_node(node if isinstance(node, NodeRef) else NodeRef.parse(node))

    def cluster_network(self, cluster_id: str, *, hops: int = 2, limit: int = 500) -> Subgraph:
        """The network within ``hops`` of a ranked cluster's members, cut at ``limit`` nodes.

        Every member is in it (they come first), then their neighbourhoods in rank order of
        the members, each member getting an equal share of what the limit leaves.

        Raises:
            NotFoundError: no such cluster in the last ranking.
        """
        _, clusters = self.ranked_clusters()
        found = clusters[clusters["cluster_id"] == cluster_id]
        if found.empty:
            raise NotFoundError(f"no cluster {cluster_id} in the last ranking; GET "
                                "/api/clusters (or `graphrisk clusters`) lists them")
        members = [str(m) for m in found.iloc[0]["members"]]
        nodes: dict[NodeRef, GraphNode] = {}
        relationships: dict[tuple[Any, ...], Any] = {}
        truncated = False
        share = max(limit // max(len(members), 1), 10)
        for member in members:
            around = self.store.neighbourhood(NodeRef.parse(member), hops=hops,
                                              limit=min(share, limit))
            truncated = truncated or around.truncated
            for node in around.nodes:
                if len(nodes) >= limit and node.ref not in nodes:
                    truncated = True
                    continue
                nodes.setdefault(node.ref, node)
            for rel in around.relationships:
                if rel.start in nodes and rel.end in nodes:
                    relationships.setdefault((rel.type, rel.start, rel.end), rel)
        return Subgraph(centre=NodeRef.parse(members[0]), nodes=tuple(nodes.values()),
                        relationships=tuple(relationships.values()), truncated=truncated)

    def latest_scores(self, customer_ids: Collection[str]) -> pd.DataFrame:
        """The latest stored score of each of these customers that has one (with its
        components), for decorating a network or a list."""
        ids = sorted({str(c) for c in customer_ids})
        if not ids:
            return self.store.latest_scores([])
        return self.store.latest_scores(ids)

    def customer_card(self, customer_id: str) -> CustomerCard:
        """What an investigator reads first about a customer, in one call: profile, the
        identifiers they use and how many others share each, the latest score with its
        components and reasons, the score history, open alerts, open case and cluster.

        Raises:
            NotFoundError: no such customer.
        """
        from graphrisk.domain import NodeLabel, RelType

        node = self.customer(customer_id)
        if node.ref.label is not NodeLabel.CUSTOMER:
            raise NotFoundError("customer", customer_id)
        cid = node.ref.id
        history = self.store.score_history(cid)
        latest = self.store.latest_scores([cid])
        shared = self.store.neighbourhood(node.ref, hops=2, limit=2000,
                                          types=[RelType.HAS_IDENTIFIER])
        holders: dict[NodeRef, set[str]] = {}
        for rel in shared.relationships:
            if rel.end.label is NodeLabel.IDENTIFIER:
                holders.setdefault(rel.end, set()).add(rel.start.id)
        properties = {n.ref: dict(n.properties) for n in shared.nodes}
        identifiers = [
            {"id": str(ref), "kind": properties.get(ref, {}).get("kind"),
             "value": properties.get(ref, {}).get("value"),
             "shared_with": len(who - {cid})}
            for ref, who in sorted(holders.items()) if cid in who]
        monitoring = self.monitoring
        open_case = monitoring.desk.open_case_of([cid])
        return CustomerCard(
            customer=node, identifiers=identifiers,
            latest=None if latest.empty else latest.iloc[0].to_dict(),
            history=history, open_alerts=len(monitoring.alerts(customer=cid)),
            open_case=open_case.case_id if open_case is not None else None,
            cluster_id=self.cluster_of([cid]).get(cid))

    # -- the graph model -------------------------------------------------------------------
    def model_dir(self, model_dir: Path | None = None,
                  kind: str = DEFAULT_MODEL_KIND) -> Path:
        """The model folder to use: the one given, else ``$GRAPHRISK_HOME/models/<kind>``."""
        return Path(model_dir) if model_dir is not None else self.settings.home / "models" / kind

    def train(self, *, out: Path | None = None, model: str = DEFAULT_MODEL_KIND,
              epochs: int = 200, seed: int = 0, batch_size: int | None = None,
              split: str = "time", progress: ProgressCallback | None = None,
              selection: Any | None = None) -> TrainingRun:
        """Train a graph neural network on the known risk labels and save it.

        ``model="auto"`` chooses the architecture (or an ensemble) by repeated
        cross-validation, with ``selection`` (a ``graphrisk.models.selection.SelectionConfig``
        or a mapping of its fields; ``None``: its defaults).

        Customers whose case closed as a false positive are certain negatives (weighted up
        in the loss): what the team learned from its cases feeds the next model.

        Raises:
            ValueError: an unknown ``split``.
            ModelError: too few known-risk customers, or torch is not installed.
        """
        if split not in ("time", "hash"):
            raise ValueError(f"{split!r} is not one of 'time', 'hash'")
        report = progress or _silent
        lifecycle = _gnn_lifecycle()  # first: without torch, the error says how to install it
        if isinstance(selection, Mapping):
            from graphrisk.models.selection import SelectionConfig

            selection = SelectionConfig(**selection)
        run = lifecycle.train_on_store(
            self.store, self.model_dir(out, model), model=model, epochs=epochs, seed=seed,
            batch_size=batch_size, split=split, negative_ids=self.negative_labels(),
            selection=selection, progress=lambda name: report(ProgressEvent("training", name)))
        # Kept in the audit trail so that the portfolio review compares models across runs
        # (each run overwrites the model folder).
        self.store.append_audit(self.settings.actor, "model.train",
                                f"model:{model}", {
                                    "model": model, "epochs": epochs, "seed": seed,
                                    "best_epoch": int(run.best_epoch),
                                    **{k: (None if isinstance(v, float) and v != v else v)
                                       for k, v in run.metrics.items()
                                       if isinstance(v, int | float | str | None)}})
        return run

    def tier_bounds(self, *, outcomes_file: Path | None = None,
                    min_judged: int | None = None, confidence: float | None = None,
                    cases: Collection[Case] | None = None) -> TierBoundsReport:
        """Where each tier with a ``precision_target`` should start, on judged outcomes.

        The outcomes are the closed cases' (each customer at the score she had when her case
        opened: :meth:`MonitoringService.judged_customers`; ``cases``: only these) and, with
        ``outcomes_file``, an audit sample (``customer_id,outcome``) judged at the latest
        stored score (:func:`graphrisk.tier_bounds.with_audit_sample` says who is left out).
        ``min_judged`` and ``confidence``: see
        :func:`graphrisk.tier_bounds.bound_for_precision`.

        Raises:
            ConfigError: the outcomes file is missing or malformed.
        """
        from graphrisk.tier_bounds import (
            CONFIDENCE,
            MIN_JUDGED,
            TierBoundsReport,
            policy_targets,
            read_outcomes_file,
            suggest_bounds,
            with_audit_sample,
        )

        judged = self.monitoring.judged_customers(cases)
        left_out: dict[str, int] = {}
        if outcomes_file is not None:
            sample = read_outcomes_file(Path(outcomes_file))
            latest = self.store.latest_scores(sample["customer_id"]).set_index("customer_id")
            judged, left_out = with_audit_sample(judged, sample, latest,
                                                 source=f"file {outcomes_file}")
        current, targets = policy_targets(self.policy)
        sure = CONFIDENCE if confidence is None else confidence
        choices = suggest_bounds(judged, current, targets, confidence=sure,
                                 min_judged=MIN_JUDGED if min_judged is None else min_judged)
        return TierBoundsReport(choices=choices, current=current, judged=judged,
                                left_out=left_out, policy_source=Path(self.policy_source),
                                confidence=sure)

    def negative_labels(self) -> list[str]:
        """Customers a closed case found not risky (false positives), for the models."""
        from graphrisk.monitoring.records import LABEL_KIND

        return sorted(r.key for r in self.store.records(LABEL_KIND, status="negative"))

    def predict(self, *, model_dir: Path | None = None, write: bool = True,
                explain_top: int = 10, progress: ProgressCallback | None = None
                ) -> tuple[str, pd.DataFrame]:
        """Score every customer with a trained graph model; store the run when ``write``.

        Returns:
            The run id and one row per customer (``customer_id, probability, score, tier,
            reasons``), best first.
        """
        report = progress or _silent
        return _gnn_lifecycle().predict_store(
            self.store, self.model_dir(model_dir), self.policy, write=write,
            explain_top=explain_top,
            progress=lambda name: report(ProgressEvent("predicting", name)))

    def explain(self, customer_ids: list[str], *, model_dir: Path | None = None,
                top: int = 5, progress: ProgressCallback | None = None
                ) -> dict[str, ModelExplanation]:
        """Why the graph model scores these customers as it does (neighbours, features).

        Raises:
            ModelError: a customer id is not in the store, or no model is trained.
        """
        report = progress or _silent
        return _gnn_lifecycle().explain_store(
            self.store, self.model_dir(model_dir), list(customer_ids), top=top,
            progress=lambda name: report(ProgressEvent("explaining", name)))


def generate_sample(customers: int, seed: int, out: Path, *, file_format: str = "csv",
                    progress: ProgressCallback | None = None,
                    synthetic_identities: bool = False,
                    profile: str | None = None) -> GenerationSummary:
    """Write a synthetic customer network with planted risk (and its hidden truth) to ``out``.

    A job of its own (no store is needed): the demo, the CLI's ``generate`` and the
    benchmarks start from it. ``synthetic_identities`` adds about 1 % more customer records
    that are people of the bank under variant names (some of them known fraudsters back
    again), for entity resolution to find. ``profile`` names a bank unlike the default
    (``ingestion.generator.profiles.PROFILES``: other amount scales, hour timestamps,
    accounts only, slower or wider typologies, other shares of known labels).

    Raises:
        ValueError: ``file_format`` or ``profile`` is unknown (the message lists them).
    """
    from graphrisk.ingestion.generator import generate_dataset

    report = progress or _silent
    if file_format not in ("csv", "parquet"):
        raise ValueError(f"file_format must be csv or parquet, got {file_format!r}")

    def step(name: str, fraction: float) -> None:
        report(ProgressEvent("generating", name, round(fraction * 100, 1), 100))

    return generate_dataset(customers, seed, Path(out), file_format=file_format,  # type: ignore[arg-type]
                            progress=step, synthetic_identities=synthetic_identities,
                            profile=profile)


def generate_event_stream(base: Path, out: Path, *, batches: int = 6, events: int = 100,
                          seed: int = 0, plant: bool = True,
                          settings: Settings | None = None) -> Any:
    """A later stream of event batches over a generated bank (``graphrisk generate``), in
    which planted risk develops; the configured policy sets what "above a threshold" means.

    Raises:
        ConfigError: ``base`` is not a generated bank's folder.
    """
    from graphrisk.ingestion.generator.stream import generate_stream

    if not (Path(base) / "customers.csv").is_file():
        raise ConfigError(f"{base} holds no customers.csv; pass the folder `graphrisk generate "
                          "--out` wrote")
    policy, _ = load_configured_policy(settings or get_settings())
    return generate_stream(Path(base), Path(out), batches=batches, events_per_batch=events,
                           seed=seed, policy=policy, plant=plant)


def convert_public_dataset(name: str, source: Path | None, out: Path, *,
                           label_splits: list[str] | None = None) -> tuple[Path, Any]:
    """Convert a public data set (``berka`` or ``fdcompcn``) into GraphRisk's input files.

    Args:
        name: ``berka`` (the PKDD'99 Czech bank) or ``fdcompcn`` (listed-company fraud).
        source: the data set's folder; by default the one under ``GRAPHRISK_DATASETS_DIR``.
        out: where the input files are written (load them with
            :meth:`RiskService.ingest_folder`).
        label_splits: FDCompCN only: the splits whose fraud labels are written.

    Returns:
        The folder read and the converter's summary (``rows`` per entity, ``notes``).

    Raises:
        ConfigError: the data set is not found.
        ValueError: an unknown name or label split.
    """
    if name == "berka":
        from graphrisk.ingestion.berka import convert_berka, find_berka_dir

        folder = source or find_berka_dir()
        if folder is None:
            raise ConfigError("Berka data set not found; pass its folder or set "
                              "GRAPHRISK_DATASETS_DIR to the folder holding berka_pkdd99/")
        return folder, convert_berka(folder, out)
    if name == "fdcompcn":
        from graphrisk.ingestion.fdcompcn import convert_fdcompcn, find_fdcompcn_dir

        folder = source or find_fdcompcn_dir()
        if folder is None:
            raise ConfigError("FDCompCN data set not found; pass its folder or set "
                              "GRAPHRISK_DATASETS_DIR to the folder holding fdcompcn/")
        splits = ["train", "valid", "test"] if label_splits is None else label_splits
        return folder, convert_fdcompcn(folder, out, label_splits=splits)
    raise ValueError(f"unknown public data set {name!r}; use berka or fdcompcn")


@dataclass(frozen=True)
class LoadReportFolder:
    """One load's quarantine report folder (``$GRAPHRISK_HOME/reports/<stamp>-<load>/``)."""

    path: Path
    modified: datetime
    size_bytes: int


def list_load_reports(settings: Settings | None = None) -> list[LoadReportFolder]:
    """Every load report folder, oldest first.

    Why it matters: a report copies rejected rows — names, addresses, account numbers — so
    it holds personal data and should not be kept longer than the team needs it.
    """
    root = (settings or get_settings()).reports_dir
    if not root.is_dir():
        return []
    found = []
    for folder in root.iterdir():
        if folder.is_dir() and not folder.is_symlink():
            files = [f for f in folder.rglob("*") if f.is_file()]
            found.append(LoadReportFolder(
                path=folder, size_bytes=sum(f.stat().st_size for f in files),
                modified=datetime.fromtimestamp(folder.stat().st_mtime, UTC)))
    return sorted(found, key=lambda report: (report.modified, report.path.name))


def purge_load_reports(older_than_days: float, *, settings: Settings | None = None,
                       dry_run: bool = False) -> list[LoadReportFolder]:
    """Delete the load report folders last changed more than ``older_than_days`` ago.

    Returns:
        The folders deleted (or, with ``dry_run``, that would be).

    Raises:
        ValueError: a negative age.
    """
    if older_than_days < 0:
        raise ValueError(f"older_than_days must be 0 or more, got {older_than_days}")
    cutoff = datetime.now(UTC) - timedelta(days=older_than_days)
    old = [report for report in list_load_reports(settings) if report.modified < cutoff]
    if not dry_run:
        for report in old:
            shutil.rmtree(report.path)
    return old


def read_policy(path: Path | None = None, settings: Settings | None = None
                ) -> tuple[RiskPolicy, Path]:
    """A policy file checked (``path``), or the configured one; with the path it came from.

    Raises:
        ConfigError: the file is missing or breaks a rule (the message names the field).
    """
    if path is not None:
        return load_policy(path), path
    return load_configured_policy(settings or get_settings())


def load_configured_policy(settings: Settings) -> tuple[RiskPolicy, Path]:
    """The policy ``GRAPHRISK_POLICY_FILE`` names (or the shipped default), and its path."""
    source = settings.policy_file or DEFAULT_POLICY_FILE
    return load_policy(source), source


@contextmanager
def open_service(settings: Settings | None = None) -> Iterator[RiskService]:
    """``with open_service() as service:`` — :meth:`RiskService.open`, closed afterwards."""
    service = RiskService.open(settings)
    try:
        yield service
    finally:
        service.close()


def _latest(customer_id: str, history: pd.DataFrame, kind_prefix: str) -> LatestScore | None:
    if history.empty:
        return None
    runs = history[history["kind"].astype(str).str.startswith(kind_prefix)]
    if runs.empty:
        return None
    row = runs.iloc[0]
    return LatestScore(customer_id=customer_id, run_id=str(row["run_id"]), kind=str(row["kind"]),
                       created_at=row["created_at"], score=float(row["score"]),
                       tier=str(row["tier"]), reasons=list(row["reasons"]))


def _cluster_columns() -> tuple[str, ...]:
    from graphrisk.analytics.clusters import CLUSTER_COLUMNS

    return CLUSTER_COLUMNS


def _json_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A frame's rows as JSON values (numpy scalars and tuples become Python ones)."""
    import json

    return json.loads(frame.to_json(orient="records", double_precision=10))


def _model_view(model_dir: Path, store: GraphStore, step: Callable[[str], None]
                ) -> tuple[pd.Series, Callable[[list[str]], dict[str, list[str]]],
                           pd.Index | None]:
    """A saved model's probability per customer, its own reasons for any of them, and the
    customers it trained on (``None``: its folder does not say).

    Why together: the reasons explain the model on the graph it scored, so the model, the
    snapshot and the dataset are loaded once for both.
    """
    _gnn_lifecycle()  # a clear error when torch or PyG is missing
    from graphrisk.models.artifacts import load_model, read_seen_customers
    from graphrisk.models.dataset import build_graph_dataset
    from graphrisk.models.explain import score_reasons
    from graphrisk.models.training import predict

    step("loading the model")
    trained = load_model(model_dir)
    step("reading the graph")
    snapshot = store.snapshot()
    step("building the graph dataset")
    dataset = build_graph_dataset(snapshot, encoders=trained.encoders)
    step("scoring")
    probability = predict(trained, dataset)

    def reasons(customer_ids: list[str]) -> dict[str, list[str]]:
        return score_reasons(trained, dataset, customer_ids, snapshot=snapshot)

    return probability, reasons, read_seen_customers(model_dir)


def _gnn_lifecycle() -> Any:
    """``graphrisk.models.lifecycle``, or a clear error when torch or PyG is missing."""
    try:
        import torch  # noqa: F401

        import graphrisk.models._pyg  # noqa: F401  (PyG, its import-time FutureWarning silenced)
    except ImportError as exc:
        raise ModelError(
            f"the graph model needs torch and torch-geometric ({exc.name} is missing): run "
            "`make setup-gnn`, or `pip install -e \".[gnn]\"` in a checkout (`pip install "
            "\"graphrisk[gnn]\"` otherwise)") from exc
    from graphrisk.models import lifecycle

    return lifecycle

