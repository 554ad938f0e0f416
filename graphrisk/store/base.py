"""The storage boundary: one base class that every store derives from.

Why a base class (after splink's ``DatabaseAPI``): ingestion, scoring, models, the API and the
CLI must not know whether the graph lives in the embedded SQLite store or in Neo4j, and both
stores must answer every question alike. So the public methods of :class:`GraphStore` are
written once here and are final: they check arguments, look nodes up, walk neighbourhoods and
paths (:mod:`graphrisk.store.traversal`), check scores before they are written, shape every
answer into the same frames, and turn a database driver's error into a :class:`StoreError`
that names the statement that failed. A store implements only the primitives — the abstract
``_``-methods at the end of the class: fetch nodes by id, the relationships touching a set of
nodes, write a batch, read one entity for a snapshot, write score rows, and so on. Adding a
store is: implement the primitives, register an opener in :mod:`graphrisk.store.registry`,
and the contract suite (``tests/contract``) runs on it.

Optional abilities a store has beyond the primitives are :class:`StoreCapability` values in
:attr:`GraphStore.capabilities`, each with a public method that says ``None`` where the store
lacks it (:meth:`GraphStore.in_database_network_engine`), so callers ask the store what it can
do instead of testing which store they hold.

Node identity outside the store is always a business id plus a label (:class:`NodeRef`);
database-internal ids never leave the store.
"""

from __future__ import annotations

import json
import math
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Any, ClassVar, Self, final

import pandas as pd

from graphrisk.config import StoreKind
from graphrisk.domain import (
    ENTITIES,
    ENTITY_BY_NAME,
    RISK_LABELS,
    EntitySpec,
    IdentifierKind,
    NodeLabel,
    RelType,
)
from graphrisk.errors import (
    NotFoundError,
    QueryFailedError,
    RecordConflictError,
    StoreError,
    StoreUnavailableError,
    UnsupportedByStoreError,
)
from graphrisk.graph import (  # noqa: F401  (re-exported: the boundary speaks these types)
    COUNTERPARTY_ENTITY_COLUMNS,
    SAME_ENTITY_COLUMNS,
    GraphNode,
    GraphPath,
    GraphRelationship,
    GraphSnapshot,
    NodeRef,
    QueryResult,
    Subgraph,
    empty_counterparty_entity,
    empty_same_entity,
)
from graphrisk.normalise import identifier_id, normalise_identifiers
from graphrisk.policy import SCORE_COMPONENTS
from graphrisk.store.traversal import Edge, expand_neighbourhood, find_shortest_path

if TYPE_CHECKING:
    from graphrisk.analytics.network import NetworkEngine

__all__ = [
    "COUNT_NAMES",
    "HISTORY_COLUMNS",
    "LATEST_SCORE_COLUMNS",
    "LOAD_COLUMNS",
    "TIMED_RELATIONSHIPS",
    "AdjacencyFilter",
    "AuditEntry",
    "BatchCheckpoint",
    "CustomerSearch",
    "GraphStore",
    "ScoreRow",
    "ScoreRun",
    "StoredRecord",
    "StoreCapability",
    "chunked",
    "python_columns",
    "stored_columns",
    "stored_key",
    "transfer_time",
    "utc_now",
]

#: Columns of :meth:`GraphStore.loads`, in order.
LOAD_COLUMNS: tuple[str, ...] = ("load_id", "started_at", "finished_at", "status", "summary")
#: Columns of :meth:`GraphStore.score_history`, in order.
HISTORY_COLUMNS: tuple[str, ...] = ("run_id", "created_at", "kind", "score", "tier", "reasons")
#: Columns of :meth:`GraphStore.latest_scores`, in order: the history's, with the customer
#: first, then one column per score component (NaN where the run did not store it).
LATEST_SCORE_COLUMNS: tuple[str, ...] = ("customer_id", *HISTORY_COLUMNS, *SCORE_COMPONENTS)
#: Keys of :meth:`GraphStore.counts`: every entity, then the distinct identifier nodes.
COUNT_NAMES: tuple[str, ...] = (*(spec.name for spec in ENTITIES), "identifier_nodes")
#: Columns a :meth:`GraphStore.write_scores` frame must have.
_SCORE_INPUT = ("customer_id", "score", "tier", "reasons")
#: Columns every store keeps beyond the input format: an identifier link also holds the
#: identifier node's id and the value as it was given.
_EXTRA_COLUMNS: dict[str, tuple[str, ...]] = {"identifiers": ("identifier_id", "raw_value")}
#: Keys that differ from the input key: identifier links are keyed by their node id.
_STORED_KEYS: dict[str, tuple[str, ...]] = {"identifiers": ("customer_id", "identifier_id")}


def stored_columns(spec: EntitySpec) -> list[str]:
    """The columns a store keeps for ``spec`` (and a snapshot returns), in order."""
    return spec.column_names + list(_EXTRA_COLUMNS.get(spec.name, ()))


def stored_key(spec: EntitySpec) -> tuple[str, ...]:
    """The columns that identify a stored row of ``spec``; snapshots are sorted by them."""
    return _STORED_KEYS.get(spec.name, spec.key)


def utc_now() -> str:
    """The time stamp stores write on loads, batches and score runs (UTC, to the second)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


class StoreCapability(StrEnum):
    """Something a store can do beyond the primitives every store implements."""

    #: Runs the network algorithms (propagation, rings, communities) inside the database;
    #: :meth:`GraphStore.in_database_network_engine` returns the engine.
    IN_DATABASE_NETWORK = "in_database_network"


@dataclass(frozen=True)
class BatchCheckpoint:
    """Marks one committed batch of one load, written atomically with the batch.

    Why: a crashed load is re-run by skipping the batches whose checkpoint exists, and the
    store is never left with a batch half-written.
    """

    load_id: str
    source: str
    batch_index: int


@dataclass(frozen=True)
class ScoreRun:
    """One scoring run as a store writes it (see :meth:`GraphStore.write_scores`).

    Attributes:
        run_id: the run's id; writing the same id again replaces the run.
        created_at: :func:`utc_now` when the scores were written.
        kind: what produced the scores (``risk_score:python``...).
        params: the run's parameters as JSON text.
    """

    run_id: str
    created_at: str
    kind: str
    params: str


@dataclass(frozen=True)
class ScoreRow:
    """One customer's checked score: plain Python values, ready for any driver."""

    customer_id: str
    score: float
    tier: str
    reasons: tuple[str, ...]
    #: ``(component, value)`` for each score component the scores frame had (of
    #: :data:`graphrisk.policy.SCORE_COMPONENTS`, in that order; missing values left out).
    components: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class StoredRecord:
    """A JSON document the monitoring and case work keeps (a case, an alert, a run...).

    Why versions: two investigators may edit one case at once; each update names the version
    it was made to (:meth:`GraphStore.update_record`), so a change made to an old version is
    refused instead of silently overwriting the other one.

    Attributes:
        kind: what the record is (``case``, ``alert``, ``reassessment``, ``label``...).
        key: unique within ``kind``.
        version: 1 on creation, one more per update.
        subject: what the record is about (a customer id...), for look-ups.
        status: the record's state (``open``...), for filtering.
        body: the document (JSON values).
        created_at / updated_at: :func:`utc_now` text.
    """

    kind: str
    key: str
    version: int
    subject: str | None
    status: str | None
    body: dict[str, Any]
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class AuditEntry:
    """One entry of the append-only audit trail: who did what, when, to what.

    Attributes:
        seq: 1, 2, 3... in append order, without gaps, per store.
        at: :func:`utc_now` when it was appended.
        actor: who acted (a user name, ``system``...).
        action: what was done (``case.move``...).
        subject: what it was done to (``case:CASE-7``, a customer id...), if anything.
        details: anything else worth keeping (JSON values).
    """

    seq: int
    at: str
    actor: str
    action: str
    subject: str | None
    details: dict[str, Any]


#: Relationship types whose rows carry a time, with where it is: ``(entity, column, kind)``.
#: The column is also the property name in Neo4j (on the ``TRANSFERRED`` relationship; on the
#: ``Dispute`` and ``AccountChange`` node for the others). ``kind`` is ``datetime``
#: (``YYYY-MM-DDTHH:MM:SS`` UTC text, as ingestion stores it) or ``date`` (``YYYY-MM-DD``).
#: Other types (ownership, identifiers, loans) are states, not events: a time window keeps
#: them all.
TIMED_RELATIONSHIPS: dict[RelType, tuple[str, str, str]] = {
    RelType.TRANSFERRED: ("transactions", "timestamp", "datetime"),
    RelType.RAISED: ("disputes", "opened_date", "date"),
    RelType.CONCERNS: ("disputes", "opened_date", "date"),
    RelType.AGAINST: ("disputes", "opened_date", "date"),
    RelType.HAD_CHANGE: ("account_changes", "timestamp", "datetime"),
}


@dataclass(frozen=True)
class AdjacencyFilter:
    """Which relationships :meth:`GraphStore._adjacent` returns, when a walk is filtered.

    Attributes:
        types: the relationship types to return (others are left out).
        bounds: for each time-stamped type of :data:`TIMED_RELATIONSHIPS` that a time window
            restricts, the inclusive ``(low, high)`` bounds as text comparable with the stored
            values (``None``: unbounded on that side). A row whose time is outside, or
            missing, is left out; a ``TRANSFERRED`` summary counts only the rows inside.
            Empty when no window was given.
    """

    types: frozenset[RelType]
    bounds: Mapping[RelType, tuple[str | None, str | None]]

    @classmethod
    def of(cls, types: Collection[RelType | str] | None, since: datetime | None,
           until: datetime | None) -> AdjacencyFilter:
        """The filter for a neighbourhood's arguments (see :meth:`GraphStore.neighbourhood`).

        Raises:
            ValueError: an unknown relationship type, or ``since`` after ``until``.
        """
        if isinstance(types, str):
            types = [types]
        try:
            chosen = frozenset(RelType) if types is None else frozenset(
                RelType(t) for t in types)
        except ValueError:
            known = ", ".join(t.value for t in RelType)
            raise ValueError(f"unknown relationship type in {sorted(map(str, types or []))}; "
                             f"the types are {known}") from None
        low, high = _as_utc(since, "since"), _as_utc(until, "until")
        if low is not None and high is not None and low > high:
            raise ValueError(f"since ({low.isoformat()}) is after until ({high.isoformat()})")
        bounds: dict[RelType, tuple[str | None, str | None]] = {}
        if low is not None or high is not None:
            for rel_type, (_entity, _column, kind) in TIMED_RELATIONSHIPS.items():
                if rel_type in chosen:
                    bounds[rel_type] = (_bound_text(low, kind), _bound_text(high, kind))
        return cls(chosen, bounds)


def _as_utc(moment: datetime | None, name: str) -> datetime | None:
    """``moment`` in UTC, without its zone (as stored); a naive one is taken as UTC."""
    if moment is None:
        return None
    if not isinstance(moment, datetime):
        raise ValueError(f"{name} must be a datetime, not {type(moment).__name__}")
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.replace(tzinfo=None)


def _bound_text(moment: datetime | None, kind: str) -> str | None:
    """A window bound as text ordered like the stored values.

    Date-times are stored to the second, ``YYYY-MM-DDTHH:MM:SS``; a bound with a fraction
    keeps it (``...:00.500000``), which orders after the same second stored (a shorter prefix
    orders first), so both bounds stay exact. Dates (a dispute's ``opened_date``) are kept
    when their day overlaps the window: the bound is the day of the moment.
    """
    if moment is None:
        return None
    return moment.date().isoformat() if kind == "date" else moment.isoformat()


def transfer_time(stored: str | None) -> str | None:
    """A stored transaction time (UTC, no zone) as ISO 8601 UTC text with ``Z``."""
    return None if stored is None else f"{stored}Z"


@dataclass(frozen=True)
class CustomerSearch:
    """What :meth:`GraphStore.search_customers` looks for, prepared for the stores.

    Attributes:
        id_text: the text lower-cased; a customer matches when its id lower-cased equals it
            or starts with it.
        words: the text's words lower-cased (Python's ``str.lower``), each once; a customer
            matches when its name lower-cased contains every one.
        identifier_ids: the ``Identifier`` node ids the text names when normalised as each
            identifier kind (empty normalisations left out); a customer matches when it has
            one of them.
    """

    id_text: str
    words: tuple[str, ...]
    identifier_ids: tuple[str, ...]

    @classmethod
    def of(cls, text: str) -> CustomerSearch:
        """The search for ``text``; ``ValueError`` when it is empty or only spaces."""
        if not isinstance(text, str) or not text.strip():
            raise ValueError("the search text is empty; give a customer id (or its start), "
                             "words of a name, or an identifier value")
        wanted = text.strip()
        words = tuple(dict.fromkeys(word.lower() for word in wanted.split()))
        return cls(wanted.lower(), words, _identifier_ids_of(wanted))

    def rank(self, customer_id: str) -> int:
        """0 for an exact id match, 1 for an id-prefix match, 2 for the rest."""
        lowered = customer_id.lower()
        if lowered == self.id_text:
            return 0
        return 1 if lowered.startswith(self.id_text) else 2


@lru_cache(maxsize=256)
def _identifier_ids_of(text: str) -> tuple[str, ...]:
    """The identifier node ids ``text`` names as each kind (kept: a user pages through the
    results of one text, and the normalisers cost milliseconds per call)."""
    kinds = [kind.value for kind in IdentifierKind]
    values = normalise_identifiers(pd.Series(kinds), pd.Series([text] * len(kinds)))
    return tuple(sorted({identifier_id(kind, value)
                         for kind, value in zip(kinds, values, strict=True) if value}))


class GraphStore(ABC):
    """What every store offers, written once over a few primitives each store implements.

    Implementations: ``EmbeddedGraphStore``, ``Neo4jGraphStore``; open one with
    :func:`graphrisk.store.open_store`. The public methods are final (``@final``): a store
    changes behaviour only through its primitives, so both stores check, order and report
    alike. A store is used from many threads at once (a web server's workers); each
    primitive must be safe to call concurrently.

    Attributes:
        kind: which store this is (its key in :mod:`graphrisk.store.registry`).
        title: how messages name the store (``embedded``, ``Neo4j``).
        preferred_batch_size: rows per batch this store loads fastest with (used when no
            batch size is configured).
        capabilities: the optional abilities this store has.
    """

    kind: ClassVar[StoreKind]
    title: ClassVar[str]
    preferred_batch_size: ClassVar[int]
    capabilities: ClassVar[frozenset[StoreCapability]] = frozenset()
    #: Driver errors meaning the database went away: raised as ``StoreUnavailableError``.
    _unavailable_errors: ClassVar[tuple[type[BaseException], ...]] = ()
    #: Driver errors a failing statement raises: raised as ``StoreError`` naming it.
    _statement_errors: ClassVar[tuple[type[BaseException], ...]] = ()

    def __init__(self) -> None:
        self._closed = False

    # -- about the store ---------------------------------------------------------------
    @final
    def describe(self) -> str:
        """Where the data lives, for messages (``embedded store at <path>``...)."""
        return f"{self.title} store at {self._location()}"

    @final
    def write_concurrency(self, entity: str) -> int:
        """How many batches of ``entity`` a loader may write at once.

        SQLite has one writer. Neo4j uses both cores when two transactions run side by side,
        but only for entities whose batches rarely lock the same nodes.

        Raises:
            KeyError: ``entity`` is not an entity of :mod:`graphrisk.domain`.
        """
        ENTITY_BY_NAME[entity]
        return max(1, self._writers_for(entity))

    @final
    def in_database_network_engine(self) -> NetworkEngine | None:
        """The engine that runs the network algorithms inside this database, if it has one.

        Why: on a store with :attr:`StoreCapability.IN_DATABASE_NETWORK` (Neo4j with GDS)
        the network need not be copied into Python; scoring asks this method and falls back
        to the Python engine on a snapshot when it says ``None``.
        """
        if StoreCapability.IN_DATABASE_NETWORK not in self.capabilities:
            return None
        return self._network_engine()

    # -- loading -----------------------------------------------------------------------
    @final
    def upsert(
        self, entity: str, rows: pd.DataFrame, *, checkpoint: BatchCheckpoint | None = None
    ) -> int:
        """Insert or update validated rows of one entity in one transaction.

        Args:
            entity: entity name from :mod:`graphrisk.domain` (``customers``...).
            rows: validated rows with the entity's columns (``identifiers`` rows also carry
                ``identifier_id``); rows whose key is stored already are updated in place.
            checkpoint: written in the same transaction, so a batch is either fully stored
                and marked done, or not at all.

        Returns:
            The number of rows written.

        Raises:
            KeyError: ``entity`` is not an entity (before anything is written).
            StoreError: the database refused the batch; nothing of it was written.
        """
        ENTITY_BY_NAME[entity]
        with self._statement(f"upsert_{entity}", doing=f"writing {len(rows)} {entity} rows"):
            self._write_batch(entity, rows, checkpoint)
        return len(rows)

    @final
    def begin_load(self, load_id: str, sources: Mapping[str, str]) -> None:
        """Record that a load started (or resumed); a completed load stays completed."""
        with self._statement("begin_load"):
            self._begin_load(load_id, json.dumps(dict(sources)), utc_now())

    @final
    def finish_load(self, load_id: str, summary: Mapping[str, Any]) -> None:
        """Record that a load completed, with its summary."""
        with self._statement("finish_load"):
            self._finish_load(load_id, json.dumps(dict(summary), default=str), utc_now())

    @final
    def completed_batches(self, load_id: str) -> set[tuple[str, int]]:
        """The ``(source, batch_index)`` pairs already committed for this load."""
        with self._statement("completed_batches"):
            return {(str(source), int(index))
                    for source, index in self._completed_batches(load_id)}

    @final
    def loads(self) -> pd.DataFrame:
        """Every load, oldest first: ``load_id, started_at, finished_at, status, summary``."""
        with self._statement("list_loads"):
            rows = list(self._load_rows())
        frame = pd.DataFrame(rows, columns=list(LOAD_COLUMNS))
        return frame.sort_values(["started_at", "load_id"], kind="stable", ignore_index=True)

    @final
    def existing_ids(self, entity: str) -> set[str]:
        """Business ids of one entity already in the store (for reference checks).

        Raises:
            ValueError: the entity has a composite key, so no single id.
        """
        spec = ENTITY_BY_NAME[entity]
        if len(spec.key) != 1:
            raise ValueError(f"{entity} has a composite key; it has no single id")
        with self._statement(f"{entity}_ids"):
            return set(self._ids(spec))

    @final
    def existing_among(self, entity: str, ids: Collection[str]) -> set[str]:
        """Which of ``ids`` the store holds for one entity.

        Why beside :meth:`existing_ids`: a small incremental batch names a few hundred ids;
        checking those costs a look-up each, where reading every id of a million
        transactions costs seconds.

        Raises:
            ValueError: the entity has a composite key, so no single id.
        """
        spec = ENTITY_BY_NAME[entity]
        if len(spec.key) != 1:
            raise ValueError(f"{entity} has a composite key; it has no single id")
        wanted = sorted({str(i) for i in ids if i})
        if not wanted:
            return set()
        with self._statement(f"{entity}_ids_among"):
            return set(self._ids_among(spec, wanted)) & set(wanted)

    @final
    def has_rows(self, entity: str) -> bool:
        """Whether the store holds any row of one entity (cheaper than :meth:`counts`)."""
        with self._statement(f"{entity}_has_rows"):
            return bool(self._has_rows(ENTITY_BY_NAME[entity]))

    # -- reading -----------------------------------------------------------------------
    @final
    def counts(self) -> dict[str, int]:
        """Rows per entity, and ``identifier_nodes`` for the distinct identifiers."""
        with self._statement("counts"), self._reading():
            found = self._count_rows()
        return {name: int(found[name]) for name in COUNT_NAMES}

    @final
    def get_node(self, ref: NodeRef) -> GraphNode:
        """One node with its properties.

        Raises:
            NotFoundError: no node has that label and id.
        """
        with self._statement("get_node"):
            return self._require(ref)

    @final
    def neighbourhood(self, centre: NodeRef, hops: int = 2, limit: int = 500, *,
                      types: Collection[RelType] | None = None,
                      since: datetime | None = None,
                      until: datetime | None = None) -> Subgraph:
        """Every node within ``hops`` relationships of ``centre`` (any direction).

        Expansion stops once ``limit`` nodes are reached (``truncated`` is then true);
        nodes are expanded in sorted order so the result is deterministic, and the same
        graph gives the same subgraph in every store.

        Transfers between two parties are one ``TRANSFERRED`` relationship with
        ``transactions`` (the count), ``total_amount`` (rounded to cents), and ``first_at``
        and ``last_at``: the earliest and latest transaction time, ISO 8601 UTC text
        (``2024-02-03T10:00:00Z``).

        Args:
            types: walk only these relationship types (``None``: every type; empty: none,
                so only the centre comes back).
            since / until: inclusive time window (UTC; a naive datetime is taken as UTC).
                Time-stamped relationships (:data:`TIMED_RELATIONSHIPS`: transfers, a
                dispute's ``RAISED``, ``CONCERNS`` and ``AGAINST`` by its opened date,
                account changes) are kept only inside it: a transfer summary counts only
                the transactions inside (and is left out when none is), a dispute is kept
                when the day it was opened overlaps the window. Relationships without a
                time (ownership, identifiers, loans) are always kept.

        Raises:
            NotFoundError: ``centre`` is not stored.
            ValueError: ``hops`` is negative, ``limit`` below 1, an unknown type, or
                ``since`` after ``until``.
        """
        only = (None if types is None and since is None and until is None
                else AdjacencyFilter.of(types, since, until))
        adjacent = self._adjacent if only is None else partial(self._adjacent, only=only)
        with self._statement("neighbourhood"), self._reading():
            self._require(centre)
            return expand_neighbourhood(centre, hops, limit, adjacent, self._fetch_nodes)

    @final
    def search_customers(self, text: str, *, limit: int = 50,
                         offset: int = 0) -> tuple[list[GraphNode], int]:
        """Customers whose id, name or identifier matches ``text``, a page at a time.

        A customer matches when its ``customer_id`` equals ``text`` or starts with it
        (ignoring case); or its name contains every word of ``text`` (ignoring case); or it
        has an identifier equal to ``text`` normalised the way ingestion normalises that
        kind (``text`` is tried as a phone, e-mail, address, device and IP, so
        ``+49 (30) 555-0101`` finds the phone stored as ``49305550101``). Surrounding
        spaces are ignored.

        Returns:
            The page of matches (Customer nodes with their stored properties) — the exact id
            match first, then id-prefix matches, then the rest, each by ``customer_id`` —
            and the number of matches in all.

        Raises:
            ValueError: ``text`` is empty or only spaces; ``limit`` or ``offset`` negative.
        """
        search = CustomerSearch.of(text)
        _check_limit(limit)
        if offset < 0:
            raise ValueError(f"offset must be 0 or more, got {offset}")
        with self._statement("search_customers"), self._reading():
            ids, total = self._search_customer_ids(search, limit, offset)
            ids = list(ids)
            found = self._fetch_nodes(NodeLabel.CUSTOMER, ids) if ids else {}
        return ([GraphNode(NodeRef(NodeLabel.CUSTOMER, i), found[i]) for i in ids if i in found],
                int(total))

    @final
    def shortest_path(self, start: NodeRef, end: NodeRef, max_hops: int = 6) -> GraphPath | None:
        """A shortest undirected path between two nodes, or ``None`` within ``max_hops``.

        Raises:
            NotFoundError: either end is not stored.
            ValueError: ``max_hops`` is negative.
        """
        with self._statement("shortest_path"), self._reading():
            self._require(start)
            self._require(end)
            return find_shortest_path(start, end, max_hops, self._adjacent)

    @final
    def snapshot(self) -> GraphSnapshot:
        """The whole graph as DataFrames, each sorted by its key.

        Where the store can promise it, every frame comes from one consistent state of the
        database, even while other threads write.
        """
        frames: dict[str, pd.DataFrame] = {}
        with self._statement("snapshot"), self._reading():
            for spec in ENTITIES:
                columns = stored_columns(spec)
                with self._statement(f"snapshot_{spec.name}"):
                    frame = self._entity_frame(spec, columns)
                if list(frame.columns) != columns:
                    raise StoreError(
                        f"the {self.title} store returned {spec.name} columns "
                        f"{list(frame.columns)}, not {columns}", query=f"snapshot_{spec.name}")
                frames[spec.name] = frame
            with self._statement("snapshot_same_entity"):
                same_entity = self._same_entity_frame(None)
                outside = self._counterparty_entity_frame(None, None)
        return GraphSnapshot(**frames, same_entity=same_entity, counterparty_entity=outside)

    @final
    def region_snapshot(self, customer_ids: Collection[str]) -> GraphSnapshot:
        """The region of ``customer_ids``, read from the database without a full snapshot.

        The same frames as :func:`graphrisk.analytics.region.region_of` gives on
        :meth:`snapshot` (see there for what a region holds), each sorted by its key; a few
        indexed look-ups, so its cost grows with the region, not with the graph. Column
        dtypes follow the rows read (an all-empty column may come back as ``object``).
        """
        wanted = sorted(set(_id_list(customer_ids)))
        with self._statement("region_snapshot"), self._reading():
            def rows(entity: str, by: str, ids: Iterable[str]) -> pd.DataFrame:
                spec, chosen = ENTITY_BY_NAME[entity], sorted(set(ids))
                columns = stored_columns(spec)
                found = self._region_rows(spec, by, chosen, columns) if chosen else []
                return pd.DataFrame([list(row) for row in found], columns=columns)

            given = _present(rows("customers", "customer_id", wanted)["customer_id"])
            theirs = (_present(rows("accounts", "customer_id", given)["account_id"])
                      | _present(rows("account_holders", "customer_id", given)["account_id"]))
            transactions = pd.concat(
                [rows("transactions", "from_account_id", theirs),
                 rows("transactions", "to_account_id", theirs)], ignore_index=True,
            ).drop_duplicates("transaction_id")
            every_account = (theirs | _present(transactions["from_account_id"])
                             | _present(transactions["to_account_id"]))
            accounts = rows("accounts", "account_id", every_account)
            holders = rows("account_holders", "account_id", every_account)
            links = rows("identifiers", "customer_id", given)["identifier_id"]
            identifiers = rows("identifiers", "identifier_id", _present(links))
            same_entity = self._same_entity_frame(sorted(given)) if given else \
                empty_same_entity()
            outside = self._counterparty_entity_frame(
                sorted(given), sorted(_present(transactions["from_counterparty_id"])
                                      | _present(transactions["to_counterparty_id"])))
            disputes = pd.concat(
                [rows("disputes", "customer_id", given),
                 rows("disputes", "against_customer_id", given)], ignore_index=True,
            ).drop_duplicates("dispute_id")
            reached = (given | _present(accounts["customer_id"])
                       | _present(holders["customer_id"]) | _present(identifiers["customer_id"])
                       | _present(same_entity["customer_id_a"])
                       | _present(same_entity["customer_id_b"])
                       | _present(outside["customer_id"])
                       | _present(disputes["customer_id"])
                       | _present(disputes["against_customer_id"]))
            frames = {
                "customers": rows("customers", "customer_id", reached),
                "accounts": accounts,
                "account_holders": holders,
                "counterparties": rows(
                    "counterparties", "counterparty_id",
                    _present(transactions["from_counterparty_id"])
                    | _present(transactions["to_counterparty_id"])
                    | _present(disputes["against_counterparty_id"])),
                "identifiers": identifiers,
                "transactions": transactions,
                "disputes": disputes,
                "loans": rows("loans", "account_id", theirs),
                "account_changes": rows("account_changes", "account_id", theirs),
                "customer_features": rows("customer_features", "customer_id", given),
            }
        return GraphSnapshot(**{
            name: frame.sort_values(list(stored_key(ENTITY_BY_NAME[name])), kind="stable",
                                    ignore_index=True)
            for name, frame in frames.items()}, same_entity=same_entity,
            counterparty_entity=outside)

    @final
    def consistency_problems(self) -> list[str]:
        """Dangling references or other broken invariants; empty when the store is sound."""
        with self._statement("consistency_problems"), self._reading():
            return list(self._consistency_problems())

    # -- results -----------------------------------------------------------------------
    @final
    def write_scores(
        self, run_id: str, kind: str, params: Mapping[str, Any], scores: pd.DataFrame
    ) -> None:
        """Store one scoring run: ``scores`` has ``customer_id, score, tier, reasons``.

        Customers whose score is missing (NaN) are left out of the run; writing a run id
        again overwrites the scores it names. Columns named after a score component
        (:data:`graphrisk.policy.SCORE_COMPONENTS`: ``known``, ``individual``...) are
        stored with each score (a NaN component is left out) and come back from
        :meth:`latest_scores`.

        Raises:
            ValueError: no run id, a column is missing, a score is infinite, or a customer
                appears twice (nothing is written).
        """
        if not run_id:
            raise ValueError("a score run needs a run_id")
        missing = set(_SCORE_INPUT) - set(scores.columns)
        if missing:
            raise ValueError(f"scores lack columns: {sorted(missing)}")
        present = [name for name in SCORE_COMPONENTS if name in scores.columns]
        rows = [
            ScoreRow(str(customer), float(score), str(tier), tuple(str(r) for r in reasons),
                     tuple((name, float(value)) for name, value in zip(present, values,
                                                                       strict=True)
                           if not pd.isna(value)))
            for customer, score, tier, reasons, *values in scores[
                [*_SCORE_INPUT, *present]].itertuples(index=False, name=None)
            if not pd.isna(score)
        ]
        infinite = [row.customer_id for row in rows if math.isinf(row.score)]
        if infinite:
            raise ValueError(f"scores must be finite; not for {infinite[:5]}")
        twice = sorted(c for c, n in Counter(row.customer_id for row in rows).items() if n > 1)
        if twice:
            raise ValueError(f"scores name a customer more than once: {twice[:5]}")
        # To the microsecond: a full run and the incremental run after it can fall in one
        # second, and "latest" must still be the later (run ids do not sort by time).
        written = datetime.now(UTC).isoformat(timespec="microseconds")
        run = ScoreRun(run_id, written, kind, json.dumps(dict(params), default=str))
        with self._statement("write_scores", doing=f"writing {len(rows)} scores of {run_id}"):
            self._write_score_rows(run, rows)

    @final
    def score_history(self, customer_id: str) -> pd.DataFrame:
        """Every stored score of one customer, newest first (``reasons`` as lists)."""
        with self._statement("score_history"):
            rows = [(run_id, created_at, kind, float(score), tier, list(reasons))
                    for run_id, created_at, kind, score, tier, reasons
                    in self._score_rows(customer_id)]
        frame = pd.DataFrame(rows, columns=list(HISTORY_COLUMNS))
        return frame.sort_values(["created_at", "run_id"], ascending=False, kind="stable",
                                 ignore_index=True)

    @final
    def latest_scores(self, customer_ids: Collection[str] | None = None) -> pd.DataFrame:
        """The newest stored score of each customer, across every run.

        "Newest" is the run's ``created_at``, then its ``run_id``. Read in one query, so it
        suits whole portfolios (a monitoring sweep, the alert queue's tiers).

        Args:
            customer_ids: only these customers (unknown or unscored ids are left out);
                every scored customer when ``None``.

        Returns:
            :data:`LATEST_SCORE_COLUMNS`, one row per scored customer, sorted by
            ``customer_id``: ``reasons`` as lists, one float column per score component
            (NaN where the run did not store it).
        """
        wanted = None if customer_ids is None else sorted(set(_id_list(customer_ids)))
        if wanted is not None and not wanted:
            rows: list[tuple[Any, ...]] = []
        else:
            with self._statement("latest_scores"):
                rows = list(self._latest_score_rows(wanted))
        records = []
        for customer, run_id, created_at, kind, score, tier, reasons, components in rows:
            parts = json.loads(components) if components else {}
            records.append((customer, run_id, created_at, kind, float(score), tier,
                            list(reasons),
                            *(float(parts.get(name, math.nan)) for name in SCORE_COMPONENTS)))
        frame = pd.DataFrame(records, columns=list(LATEST_SCORE_COLUMNS))
        frame = frame.astype({name: "float64" for name in ("score", *SCORE_COMPONENTS)})
        return frame.sort_values("customer_id", kind="stable", ignore_index=True)

    # -- records and audit ---------------------------------------------------------------
    @final
    def create_record(self, kind: str, key: str, body: Mapping[str, Any], *,
                      subject: str | None = None, status: str | None = None
                      ) -> tuple[StoredRecord, bool]:
        """Create a record at version 1, unless ``(kind, key)`` exists already.

        Idempotent and atomic: of two callers creating the same record at once exactly one
        creates it; the other gets the winner's record.

        Returns:
            The stored record, and whether this call created it (``False``: the existing
            record, unchanged).

        Raises:
            ValueError: ``kind`` or ``key`` is empty.
            TypeError: ``body`` is not a mapping of JSON values.
        """
        _check_record_name(kind, key)
        text = _json_document(body, "body")
        with self._statement("create_record", doing=f"creating {kind} {key}"):
            row, created = self._create_record(kind, key, subject, status, text, utc_now())
        return _stored_record(row), bool(created)

    @final
    def update_record(self, kind: str, key: str, body: Mapping[str, Any], *,
                      expected_version: int, subject: str | None = None,
                      status: str | None = None) -> StoredRecord:
        """Replace a record's body, only if it is still at ``expected_version``.

        Compare-and-set, atomic: the stored version is checked and the new one
        (``expected_version + 1``) written in one step, so of two updates made to the same
        version exactly one is written.

        Args:
            body: the new document (replaces the old one as a whole).
            expected_version: the version the caller read and changed.
            subject / status: new values; ``None`` keeps the stored ones.

        Raises:
            NotFoundError: no such record.
            RecordConflictError: the stored version is not ``expected_version``.
            ValueError: ``kind`` or ``key`` is empty, or ``expected_version`` below 1.
            TypeError: ``body`` is not a mapping of JSON values.
        """
        _check_record_name(kind, key)
        if isinstance(expected_version, bool) or not isinstance(expected_version, int) \
                or expected_version < 1:
            raise ValueError(f"expected_version must be a version (1 or more), "
                             f"got {expected_version!r}")
        text = _json_document(body, "body")
        with self._statement("update_record", doing=f"updating {kind} {key}"):
            stored, row = self._compare_and_set_record(
                kind, key, expected_version, subject, status, text, utc_now())
        if stored is None:
            raise NotFoundError(kind, key)
        if row is None:
            raise RecordConflictError(kind, key, expected_version, int(stored))
        return _stored_record(row)

    @final
    def get_record(self, kind: str, key: str) -> StoredRecord | None:
        """The record ``(kind, key)``, or ``None``."""
        with self._statement("get_record"):
            row = self._record_row(kind, key)
        return None if row is None else _stored_record(row)

    @final
    def records(self, kind: str, *, subject: str | None = None,
                status: str | Collection[str] | None = None,
                limit: int | None = None) -> list[StoredRecord]:
        """Records of one kind, oldest first (``created_at``, then ``key``).

        Args:
            subject: only records about this subject.
            status: only records with this status, or with one of these.
            limit: at most this many (the oldest).

        Raises:
            ValueError: ``limit`` is negative.
        """
        _check_limit(limit)
        statuses = None if status is None else sorted(set(_id_list(status)))
        if limit == 0 or statuses == []:
            return []
        with self._statement("records"):
            rows = list(self._record_rows(kind, subject, statuses, limit))
        return [_stored_record(row) for row in rows]

    @final
    def append_audit(self, actor: str, action: str, subject: str | None = None,
                     details: Mapping[str, Any] | None = None) -> AuditEntry:
        """Append one entry to the audit trail; its ``seq`` is the next number, no gaps.

        There is no way to change or remove an entry (only :meth:`delete_everything`
        empties the trail, with the rest of the store).

        Raises:
            ValueError: ``actor`` or ``action`` is empty.
            TypeError: ``details`` is not a mapping of JSON values.
        """
        if not actor or not action:
            raise ValueError("an audit entry needs an actor and an action")
        text = _json_document(details or {}, "details")
        at = utc_now()
        with self._statement("append_audit", doing=f"appending {action} to the audit trail"):
            seq = self._append_audit(at, actor, action, subject, text)
        return AuditEntry(int(seq), at, actor, action, subject, json.loads(text))

    @final
    def audit_entries(self, *, subject: str | None = None, actor: str | None = None,
                      action: str | None = None, since_seq: int | None = None,
                      limit: int | None = None) -> list[AuditEntry]:
        """Audit entries in ``seq`` order, filtered by whichever arguments are given.

        Args:
            since_seq: only entries after this one (``seq > since_seq``): pass the last
                ``seq`` seen to read what was appended since.
            limit: at most this many (the first ones).

        Raises:
            ValueError: ``limit`` is negative.
        """
        _check_limit(limit)
        if limit == 0:
            return []
        with self._statement("audit_entries"):
            rows = list(self._audit_rows(subject, actor, action, since_seq, limit))
        return [AuditEntry(int(seq), at, who, what, about, json.loads(details or "{}"))
                for seq, at, who, what, about, details in rows]

    # -- labels ------------------------------------------------------------------------
    @final
    def set_known_label(self, customer_id: str, label: str | None,
                        source: str | None) -> None:
        """Set (or clear, with ``None``) a customer's confirmed risk label and its source.

        Writes the customer's ``known_risk_label`` and ``known_risk_source`` as given.

        Raises:
            ValueError: ``label`` is not one of :data:`graphrisk.domain.RISK_LABELS`.
            NotFoundError: no such customer.
        """
        if label is not None and label not in RISK_LABELS:
            raise ValueError(f"unknown risk label {label!r}; the labels are "
                             f"{', '.join(RISK_LABELS)}")
        with self._statement("set_known_label"):
            found = self._set_known_label(customer_id, label, source)
        if not found:
            raise NotFoundError(NodeLabel.CUSTOMER.value, customer_id)

    # -- same-entity links ---------------------------------------------------------------
    @final
    def write_same_entity_links(self, links: pd.DataFrame) -> int:
        """Replace the stored probable same-person links with ``links``, in one transaction.

        Why replace, not add: entity resolution decides the whole set at once (a pair no
        longer scored, or rejected by an investigator, must stop linking), and the set is
        small (about one customer in a hundred). The decisions themselves live in the
        ``same_entity`` records of :mod:`graphrisk.resolution`; these links are the graph's
        view of the linked ones: on Neo4j a ``SAME_ENTITY`` relationship from the smaller
        customer id to the larger with the pair's id, probability and sentence, which GDS
        projects with the rest of the customer graph.

        Args:
            links: :data:`graphrisk.graph.SAME_ENTITY_COLUMNS`; each pair once.

        Returns:
            The links written (pairs naming a customer the store lacks are left out).

        Raises:
            ValueError: a column is missing, a pair is not ordered ``a < b``, or a
                probability is outside (0, 1].
        """
        payload = _link_payload(links, SAME_ENTITY_COLUMNS, "same-entity")
        if any(row["customer_id_a"] >= row["customer_id_b"] for row in payload):
            raise ValueError("each same-entity pair must have customer_id_a < customer_id_b")
        with self._statement("write_same_entity_links"):
            return int(self._replace_same_entity_links(payload))

    @final
    def same_entity_links(self, customer_ids: Collection[str] | None = None) -> pd.DataFrame:
        """The stored same-entity links (:data:`graphrisk.graph.SAME_ENTITY_COLUMNS`),
        sorted by the pair; with ``customer_ids``, only those naming one of them."""
        wanted = None if customer_ids is None else sorted(set(_id_list(customer_ids)))
        with self._statement("same_entity_links"), self._reading():
            return self._same_entity_frame(wanted)

    def _same_entity_frame(self, customer_ids: list[str] | None) -> pd.DataFrame:
        rows = [list(row) for row in self._same_entity_rows(customer_ids)]
        if not rows:
            return empty_same_entity()
        frame = pd.DataFrame(rows, columns=list(SAME_ENTITY_COLUMNS))
        frame["probability"] = frame["probability"].astype(float)
        return frame.sort_values(["customer_id_a", "customer_id_b"], ignore_index=True)

    @final
    def write_counterparty_entity_links(self, links: pd.DataFrame) -> int:
        """Replace the stored links of counterparties to the customers they probably are
        with ``links``, in one transaction (why replace: as
        :meth:`write_same_entity_links`). On Neo4j a ``SAME_ENTITY`` relationship from the
        counterparty to the customer with the pair's id, probability and sentence.

        Args:
            links: :data:`graphrisk.graph.COUNTERPARTY_ENTITY_COLUMNS`; each pair once.

        Returns:
            The links written (pairs naming a counterparty or customer the store lacks are
            left out).

        Raises:
            ValueError: a column is missing or a probability is outside (0, 1].
        """
        payload = _link_payload(links, COUNTERPARTY_ENTITY_COLUMNS, "counterparty-entity")
        with self._statement("write_counterparty_entity_links"):
            return int(self._replace_counterparty_entity_links(payload))

    @final
    def counterparty_entity_links(
        self, customer_ids: Collection[str] | None = None,
        counterparty_ids: Collection[str] | None = None,
    ) -> pd.DataFrame:
        """The stored counterparty-entity links
        (:data:`graphrisk.graph.COUNTERPARTY_ENTITY_COLUMNS`), sorted by the pair; with
        ids, only those naming one of the customers or one of the counterparties."""
        customers = None if customer_ids is None else sorted(set(_id_list(customer_ids)))
        parties = None if counterparty_ids is None else sorted(set(_id_list(counterparty_ids)))
        if customers is None and parties is not None:
            customers = []
        if parties is None and customers is not None:
            parties = []
        with self._statement("counterparty_entity_links"), self._reading():
            return self._counterparty_entity_frame(customers, parties)

    def _counterparty_entity_frame(self, customer_ids: list[str] | None,
                                   counterparty_ids: list[str] | None) -> pd.DataFrame:
        rows = [list(row) for row in self._counterparty_entity_rows(customer_ids,
                                                                    counterparty_ids)]
        if not rows:
            return empty_counterparty_entity()
        frame = pd.DataFrame(rows, columns=list(COUNTERPARTY_ENTITY_COLUMNS))
        frame["probability"] = frame["probability"].astype(float)
        return frame.sort_values(["counterparty_id", "customer_id"], ignore_index=True)

    # -- read-only Cypher --------------------------------------------------------------
    @final
    def read_only_query(self, query: str, parameters: Mapping[str, Any] | None = None, *,
                        timeout_s: float = 10.0, row_limit: int = 1000) -> QueryResult:
        """Run an analyst's own query, refusing anything that is not a pure read.

        Why here: fraud teams ask questions the product does not foresee, in the store's
        own query language. Only a store that speaks one implements it (Neo4j: Cypher);
        there the database's own plan decides what the query does, before it runs, and it
        runs in a read transaction with ``timeout_s`` and at most ``row_limit`` rows.

        Args:
            query: the query text, run as given once the plan shows it only reads.
            parameters: values for its ``$parameters``.
            timeout_s: seconds the query may run; the database stops it after that.
            row_limit: rows returned at most; ``truncated`` says when there were more.

        Raises:
            UnsupportedByStoreError: this store runs no queries (the embedded store).
            QueryRefusedError: the query would write, change the schema, load files or
                call an administrative or unsafe procedure; it did not run.
            QueryFailedError: a syntax error, a missing parameter, or a timeout
                (``timed_out``); the message says what to fix.
            ValueError: ``timeout_s`` is not positive or ``row_limit`` is below 1.
        """
        if not (timeout_s > 0 and math.isfinite(timeout_s)):
            raise ValueError(f"timeout_s must be a positive number of seconds, not {timeout_s}")
        if isinstance(row_limit, bool) or not isinstance(row_limit, int) or row_limit < 1:
            raise ValueError(f"row_limit must be a whole number of at least 1, not {row_limit!r}")
        params = dict(parameters or {})
        if not all(isinstance(name, str) for name in params):
            raise QueryFailedError("parameter names must be text")
        too_big = _first_oversized_integer(params)
        if too_big is not None:
            raise QueryFailedError(f"parameter {too_big} is a whole number beyond 64 bits, "
                                   "which a query cannot hold; send it as text or a float")
        if not query or not query.strip():
            raise QueryFailedError("the query is empty; write a Cypher query such as "
                                   "MATCH (c:Customer) RETURN c LIMIT 10")
        with self._statement("read_only_query", doing="running a read-only query"):
            return self._read_only_query(query, params, timeout_s, row_limit)

    # -- administration ----------------------------------------------------------------
    @final
    def delete_everything(self) -> None:
        """Empty the store: graph, loads, scores, records and the audit trail (tests, and a
        user's explicit reset: the only way an audit entry is ever removed)."""
        with self._statement("delete_everything"):
            self._delete_everything()

    @final
    def close(self) -> None:
        """Release every connection; calling it again does nothing."""
        if self._closed:
            return
        self._closed = True
        self._close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- shared plumbing ---------------------------------------------------------------
    @final
    def _require(self, ref: NodeRef) -> GraphNode:
        """The node ``ref``, or ``NotFoundError`` (also the check before a walk)."""
        records = self._fetch_nodes(ref.label, [ref.id])
        if ref.id not in records:
            raise NotFoundError(ref.label.value, ref.id)
        return GraphNode(ref, records[ref.id])

    @final
    @contextmanager
    def _statement(self, name: str, *, doing: str | None = None,
                   explain: Callable[[BaseException], str] | None = None) -> Iterator[None]:
        """Run a block as the statement ``name``: driver errors become store errors naming it.

        Stores wrap each named statement they run in this too, so the innermost (most
        precise) name wins; a ``StoreError`` raised inside passes through unchanged, and
        errors that are not the driver's (``ValueError``, ``NotFoundError``) are not touched.

        Args:
            name: the statement or operation, e.g. ``upsert_customers`` or ``read/adjacent``.
            doing: what was being done, for the message (default: running ``name``).
            explain: turns the driver's error into the message's detail; by default
                :meth:`_error_text`.
        """
        try:
            yield
        except StoreError:
            raise
        except self._unavailable_errors as exc:
            raise StoreUnavailableError(self._unavailable_text(exc), query=name) from exc
        except self._statement_errors as exc:
            detail = (explain or self._error_text)(exc)
            raise StoreError(f"{doing or f'running {name}'} failed: {detail}",
                             query=name) from exc

    def _error_text(self, exc: BaseException) -> str:
        """What a driver's error says, for a :class:`StoreError` message."""
        return str(exc)

    def _unavailable_text(self, exc: BaseException) -> str:
        """The message when the database went away, with what to do about it."""
        return f"lost the {self.describe()}: {exc}"

    def _reading(self) -> AbstractContextManager[None]:
        """A block of reads that sees one state of the database, where the store can.

        The default promises nothing beyond each statement; the embedded store runs the
        block in one read transaction.
        """
        return nullcontext()

    def _writers_for(self, entity: str) -> int:
        """Batches of ``entity`` that may be written at once (default: one)."""
        return 1

    def _network_engine(self) -> NetworkEngine:
        """The in-database network engine; a store declaring the capability implements it."""
        raise NotImplementedError(
            f"{type(self).__name__} declares {StoreCapability.IN_DATABASE_NETWORK} but has "
            "no _network_engine")

    # -- primitives: what each store implements ----------------------------------------
    def _read_only_query(self, query: str, parameters: dict[str, Any], timeout_s: float,
                         row_limit: int) -> QueryResult:
        """Run a query that must only read (see :meth:`read_only_query`); a store that
        speaks a query language overrides this, the others refuse."""
        raise UnsupportedByStoreError(
            "read-only Cypher needs the Neo4j store; set GRAPHRISK_STORE=neo4j")

    @abstractmethod
    def _location(self) -> str:
        """Where the data lives (a path, a URI and database), for :meth:`describe`."""

    @abstractmethod
    def _write_batch(self, entity: str, rows: pd.DataFrame,
                     checkpoint: BatchCheckpoint | None) -> None:
        """Write ``rows`` (and ``checkpoint``) in one transaction: all of it or nothing."""

    @abstractmethod
    def _begin_load(self, load_id: str, sources: str, started_at: str) -> None:
        """Record a load as running (``sources`` is JSON); a completed one stays completed."""

    @abstractmethod
    def _finish_load(self, load_id: str, summary: str, finished_at: str) -> None:
        """Mark a load completed with its ``summary`` (JSON)."""

    @abstractmethod
    def _completed_batches(self, load_id: str) -> Iterable[tuple[str, int]]:
        """The ``(source, batch_index)`` checkpoints of one load."""

    @abstractmethod
    def _load_rows(self) -> Iterable[tuple[Any, ...]]:
        """Every load as a tuple in :data:`LOAD_COLUMNS` order (any order of loads)."""

    @abstractmethod
    def _ids(self, spec: EntitySpec) -> Iterable[str]:
        """Every stored id of an entity with a single key column."""

    def _ids_among(self, spec: EntitySpec, ids: list[str]) -> Iterable[str]:
        """Ids of ``ids`` the store holds (override with a keyed look-up; the default
        reads every id)."""
        return set(self._ids(spec)) & set(ids)

    def _has_rows(self, spec: EntitySpec) -> bool:
        """Whether any row of the entity is stored (override with a cheaper query)."""
        return bool(self._count_rows().get(spec.name, 0))

    @abstractmethod
    def _count_rows(self) -> Mapping[str, int]:
        """Rows per name of :data:`COUNT_NAMES`."""

    @abstractmethod
    def _fetch_nodes(self, label: NodeLabel, ids: list[str]) -> dict[str, dict[str, Any]]:
        """``{id: properties}`` for those of ``ids`` that exist (missing values left out)."""

    @abstractmethod
    def _adjacent(self, frontier: dict[NodeLabel, list[str]], *,
                  only: AdjacencyFilter | None = None) -> list[Edge]:
        """Every relationship touching a frontier node, in both directions.

        Transfers between the same two accounts or counterparties come back as one edge
        with ``first_at`` and ``last_at`` (:func:`transfer_time` of the earliest and latest
        transaction time), ``total_amount`` (rounded to cents) and ``transactions``
        properties; links with a ``role`` carry it; customer features are not relationships
        here. ``only`` (given only when a walk is filtered) keeps its types, and the rows of
        time-stamped types inside its bounds.
        """

    def _search_customer_ids(self, search: CustomerSearch, limit: int,
                             offset: int) -> tuple[list[str], int]:
        """The ids of the customers ``search`` matches (see :class:`CustomerSearch`), ranked
        by :meth:`CustomerSearch.rank` then id, ``offset`` and ``limit`` applied; and how
        many match in all. Stores override this with an indexed query."""
        raise NotImplementedError(f"{type(self).__name__} cannot search customers")

    @abstractmethod
    def _entity_frame(self, spec: EntitySpec, columns: list[str]) -> pd.DataFrame:
        """Every stored row of one entity with exactly ``columns``, sorted by its key."""

    @abstractmethod
    def _consistency_problems(self) -> list[str]:
        """Broken invariants in words; empty when sound."""

    @abstractmethod
    def _write_score_rows(self, run: ScoreRun, rows: list[ScoreRow]) -> None:
        """Write one run and its checked rows in one transaction (a known run id: overwrite)."""

    @abstractmethod
    def _score_rows(self, customer_id: str) -> Iterable[tuple[Any, ...]]:
        """One customer's scores as tuples in :data:`HISTORY_COLUMNS` order."""

    @abstractmethod
    def _region_rows(self, spec: EntitySpec, by: str, ids: list[str],
                     columns: list[str]) -> Iterable[Iterable[Any]]:
        """Stored rows of ``spec`` whose column ``by`` is one of ``ids``, values in
        ``columns`` order (any row order). ``by`` is one of the columns
        :meth:`region_snapshot` looks rows up by: a key, or a reference to a customer or an
        account (``transactions`` by ``from_account_id`` or ``to_account_id``)."""

    @abstractmethod
    def _latest_score_rows(self, customer_ids: list[str] | None) -> Iterable[tuple[Any, ...]]:
        """Per scored customer (of ``customer_ids``, or all), the newest score as
        ``(customer_id, run_id, created_at, kind, score, tier, reasons, components)`` with
        ``reasons`` a list and ``components`` JSON text (``None`` where none were stored)."""

    @abstractmethod
    def _create_record(self, kind: str, key: str, subject: str | None, status: str | None,
                       body: str, now: str) -> tuple[tuple[Any, ...], bool]:
        """Atomically create the record at version 1 unless it exists; the stored row (see
        :func:`_stored_record`) and whether it was created."""

    @abstractmethod
    def _compare_and_set_record(
        self, kind: str, key: str, expected_version: int, subject: str | None,
        status: str | None, body: str, now: str,
    ) -> tuple[int | None, tuple[Any, ...] | None]:
        """Atomically write version ``expected_version + 1`` if the stored version is
        ``expected_version`` (``subject``/``status`` ``None``: keep the stored value).

        Returns ``(stored version before, new row)``; the row is ``None`` when the versions
        differed (nothing written), the version ``None`` when there is no such record."""

    @abstractmethod
    def _record_row(self, kind: str, key: str) -> tuple[Any, ...] | None:
        """One stored record row, or ``None``."""

    @abstractmethod
    def _record_rows(self, kind: str, subject: str | None, statuses: list[str] | None,
                     limit: int | None) -> Iterable[tuple[Any, ...]]:
        """Record rows of ``kind`` matching the filters, by ``created_at`` then ``key``,
        the first ``limit`` of them."""

    @abstractmethod
    def _append_audit(self, at: str, actor: str, action: str, subject: str | None,
                      details: str) -> int:
        """Append an entry, numbered atomically with the next ``seq`` (no gaps, never
        twice); return its ``seq``."""

    @abstractmethod
    def _audit_rows(self, subject: str | None, actor: str | None, action: str | None,
                    since_seq: int | None, limit: int | None) -> Iterable[tuple[Any, ...]]:
        """Entries matching the filters (``seq > since_seq``) as ``(seq, at, actor, action,
        subject, details JSON)``, in ``seq`` order, the first ``limit`` of them."""

    @abstractmethod
    def _set_known_label(self, customer_id: str, label: str | None,
                         source: str | None) -> bool:
        """Write the customer's known label and source; ``False`` when there is no such
        customer."""

    @abstractmethod
    def _replace_same_entity_links(self, links: list[dict[str, Any]]) -> int:
        """Delete every same-entity link and write ``links`` (dicts of
        :data:`~graphrisk.graph.SAME_ENTITY_COLUMNS`) in one transaction; return how many
        were written."""

    @abstractmethod
    def _same_entity_rows(self, customer_ids: list[str] | None) -> Iterable[tuple[Any, ...]]:
        """Same-entity links as tuples in :data:`~graphrisk.graph.SAME_ENTITY_COLUMNS`
        order: all, or those naming one of ``customer_ids``."""

    @abstractmethod
    def _replace_counterparty_entity_links(self, links: list[dict[str, Any]]) -> int:
        """Delete every counterparty-entity link and write ``links`` (dicts of
        :data:`~graphrisk.graph.COUNTERPARTY_ENTITY_COLUMNS`) in one transaction; return
        how many were written."""

    @abstractmethod
    def _counterparty_entity_rows(self, customer_ids: list[str] | None,
                                  counterparty_ids: list[str] | None,
                                  ) -> Iterable[tuple[Any, ...]]:
        """Counterparty-entity links as tuples in
        :data:`~graphrisk.graph.COUNTERPARTY_ENTITY_COLUMNS` order: all (both ``None``), or
        those naming one of ``customer_ids`` or one of ``counterparty_ids``."""

    @abstractmethod
    def _delete_everything(self) -> None:
        """Remove every node, row, load, score, record and audit entry."""

    @abstractmethod
    def _close(self) -> None:
        """Release every connection the store holds (called once)."""


#: The fields of a stored record row, in the order the record primitives return them.
_RECORD_FIELDS = ("kind", "key", "version", "subject", "status", "body", "created_at",
                  "updated_at")


def _stored_record(row: Iterable[Any]) -> StoredRecord:
    """A record primitive's row (:data:`_RECORD_FIELDS` order, body as JSON text)."""
    kind, key, version, subject, status, body, created_at, updated_at = row
    return StoredRecord(kind, key, int(version), subject, status, json.loads(body),
                        created_at, updated_at)


def _json_document(document: Mapping[str, Any], what: str) -> str:
    """``document`` as JSON text; ``TypeError`` when it is not a mapping of JSON values."""
    if not isinstance(document, Mapping):
        raise TypeError(f"{what} must be a mapping, not {type(document).__name__}")
    try:
        return json.dumps(dict(document), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{what} must hold JSON values only: {exc}") from exc


def _check_record_name(kind: str, key: str) -> None:
    if not kind or not key:
        raise ValueError(f"a record needs a kind and a key, got {kind!r} and {key!r}")


def _check_limit(limit: int | None) -> None:
    if limit is not None and limit < 0:
        raise ValueError(f"limit must be 0 or more, got {limit}")


def _id_list(values: str | Iterable[str]) -> list[str]:
    """Ids as strings; one string is one id (not its characters)."""
    if isinstance(values, str):
        return [values]
    return [str(value) for value in values]



def _link_payload(links: pd.DataFrame, columns: tuple[str, ...],
                  what: str) -> list[dict[str, Any]]:
    """Resolution's links as dicts of ``columns`` (the last three: pair id, probability,
    sentence), checked: every column present, every probability in (0, 1]."""
    missing = [c for c in columns if c not in links.columns]
    if missing:
        raise ValueError(f"{what} links need the columns {', '.join(missing)}")
    rows = links.loc[:, list(columns)]
    probability = rows["probability"].astype(float)
    if ((probability <= 0) | (probability > 1)).any():
        raise ValueError(f"{what} probabilities must be in (0, 1]")
    return [{column: (float(value) if column == "probability" else str(value))
             for column, value in zip(columns, row, strict=True)}
            for row in rows.itertuples(index=False, name=None)]


def _present(values: pd.Series) -> set[str]:
    """The distinct non-missing values of a column."""
    return set(values.dropna().tolist())


def python_columns(frame: pd.DataFrame, columns: list[str]) -> list[list[Any]]:
    """Each named column as a list of plain Python values, ``None`` where missing.

    Why: database drivers bind plain ``int``/``float``/``str``/``None``, not numpy or pandas
    scalars; a column absent from ``frame`` comes back as all ``None``.
    """
    lists = []
    for name in columns:
        if name not in frame.columns:
            lists.append([None] * len(frame))
            continue
        column = frame[name]
        values = column.astype(object)
        if column.hasnans:
            values = values.where(column.notna(), None)
        lists.append(values.tolist())
    return lists


def chunked(values: Iterable[str], size: int) -> Iterable[list[str]]:
    """Split ``values`` into lists of at most ``size`` items (for ``IN (...)`` lists)."""
    chunk: list[str] = []
    for value in values:
        chunk.append(value)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _first_oversized_integer(value: Any, path: str = "") -> str | None:
    """Where in ``value`` (nested maps and lists) a whole number does not fit 64 bits."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return (path or "value") if not -(2**63) <= value < 2**63 else None
    if isinstance(value, Mapping):
        items = ((f"{path}.{k}" if path else f"${k}", v) for k, v in value.items())
    elif isinstance(value, list | tuple):
        items = ((f"{path}[{i}]", v) for i, v in enumerate(value))
    else:
        return None
    for where, inner in items:
        found = _first_oversized_integer(inner, where)
        if found is not None:
            return found
    return None
