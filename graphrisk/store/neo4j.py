"""The production store: Neo4j, behind the same :class:`GraphStore` boundary.

Why this shape: investigators query Neo4j directly (Browser, Bloom, Cypher), so the graph is
stored the way they expect — nodes per entity keyed by business id, transactions as
``TRANSFERRED`` relationships — and every statement lives in ``cypher/``. Each batch is
written in one managed transaction (``execute_write``) together with its checkpoint, so the
driver retries transient failures with backoff and a failed batch leaves nothing behind.
Customer features are ``(:Customer)-[:HAS_FEATURE]->(:CustomerFeature {customer_id, feature,
value})``, one node per input row (so a re-load MERGEs on the input's own key), outside the
relationship types that neighbourhoods and paths follow. This is the only module that runs
Cypher.

Threads: the driver is thread-safe and pools its connections; a session is not, so every
statement runs in a session of its own (``execute_query`` for reads, one session per
``execute_write``), and the store keeps no per-load state that two threads could share.
"""

from __future__ import annotations

import base64
import json
import logging
import math
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from fnmatch import fnmatchcase
from itertools import islice
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pandas as pd
from neo4j import (
    READ_ACCESS,
    Driver,
    GraphDatabase,
    ManagedTransaction,
    Record,
    ResultSummary,
    RoutingControl,
)
from neo4j.exceptions import (
    AuthError,
    ConstraintError,
    DriverError,
    Neo4jError,
    ServiceUnavailable,
    SessionExpired,
)
from neo4j.exceptions import TransientError as Neo4jTransientError
from neo4j.graph import Node, Path, Relationship
from neo4j.spatial import Point

from graphrisk.config import Settings, StoreKind
from graphrisk.domain import ENTITIES, ENTITY_BY_NAME, NODE_SOURCES, EntitySpec, NodeLabel, RelType
from graphrisk.errors import (
    QueryFailedError,
    QueryRefusedError,
    StoreError,
    StoreUnavailableError,
)
from graphrisk.graph import GraphNode, GraphRelationship, QueryResult
from graphrisk.store.base import (
    HISTORY_COLUMNS,
    LOAD_COLUMNS,
    AdjacencyFilter,
    BatchCheckpoint,
    CustomerSearch,
    GraphStore,
    NodeRef,
    ScoreRow,
    ScoreRun,
    StoreCapability,
    python_columns,
    stored_columns,
    stored_key,
    transfer_time,
)
from graphrisk.store.cypher_files import load_cypher
from graphrisk.store.frames import joined_chunks
from graphrisk.store.traversal import Edge

if TYPE_CHECKING:
    from graphrisk.analytics.network import NetworkEngine

__all__ = ["DRIVER_CONFIG", "LOAD_LOST_HINT", "Neo4jGraphStore", "START_HINT",
           "default_password_warning"]

logger = logging.getLogger(__name__)

START_HINT = ("start the local server with `graphrisk neo4j start` (or `docker compose -f "
              "docker-compose.neo4j.yml up -d`)")
#: What to do when the server goes away while a load writes: every committed batch carries
#: its checkpoint, so the same command skips them and writes only the rest.
LOAD_LOST_HINT = ("restart the server (`graphrisk neo4j start` for the local one) and re-run "
                  "the same `graphrisk ingest` command; it resumes from its checkpoints")
#: What to do when the server goes away outside a load.
LOST_HINT = ("restart the server (`graphrisk neo4j start` for the local one) and run the "
             "command again")

#: Seconds the driver goes on retrying a statement whose connection failed. Its default (30 s,
#: per statement, with two writers and the follow-up statements) made a server that died
#: mid-load take minutes to report; a few seconds still ride out a stale pooled connection.
SERVER_LOSS_RETRY_SECONDS = 3.0
#: Seconds a write goes on retrying transient errors (deadlocks between parallel batches,
#: which are expected and clear up): the driver's own default budget, kept for them.
TRANSIENT_RETRY_SECONDS = 30.0
#: Scores written per transaction by :meth:`Neo4jGraphStore.write_scores`; ``writers`` of
#: these go at once. 100,000 scores on 2 busy cores: one MERGE transaction 12.6 s; CREATE in
#: batches of 5,000 over 2 writers 4.7 s (one writer 6.2 s, batches of 20,000 8.4 s).
SCORE_BATCH = 5_000
#: The driver settings of every driver GraphRisk opens (:meth:`Neo4jGraphStore.from_settings`).
#: ``connection_timeout`` bounds the wait for a TCP connection (default 30 s), and
#: ``connection_acquisition_timeout`` the wait for a pooled one (default 60 s).
DRIVER_CONFIG: dict[str, float] = {
    "max_transaction_retry_time": SERVER_LOSS_RETRY_SECONDS,
    "connection_timeout": 5.0,
    "connection_acquisition_timeout": 10.0,
}
#: The password ``GRAPHRISK_NEO4J_PASSWORD`` defaults to (printed in the README).
DEFAULT_PASSWORD = Settings.model_fields["neo4j_password"].default
_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

#: Business-id property of each label, passed to traversal queries as ``$keys``.
_KEYS = {label.value: key for label, (_entity, key) in NODE_SOURCES.items()}
#: Entities stored as plain nodes (their rows are the node's properties).
_NODE_ENTITIES = {"customers": NodeLabel.CUSTOMER, "counterparties": NodeLabel.COUNTERPARTY}
#: Entities stored as a node hanging off an account.
_ACCOUNT_CHILDREN = {
    "loans": (NodeLabel.LOAN, RelType.HAS_LOAN),
    "account_changes": (NodeLabel.ACCOUNT_CHANGE, RelType.HAD_CHANGE),
}
#: Entities stored as nodes of their own label, keyed by their single id column.
_NODE_ENTITY_NAMES = frozenset(
    spec.name for spec in ENTITIES if spec.label is not None and spec.name != "identifiers")
#: Entities keyed by one id: written with CREATE when their rows are new (see _write_nodes,
#: _write_transfers), and whose batches seldom lock the same nodes, so they may be written in
#: parallel. Identifiers and account holders are neither.
_KEYED_ENTITIES = _NODE_ENTITY_NAMES | {"transactions"}
_TRANSFER_ENDS = {
    ("from_account_id", "to_account_id"): (NodeLabel.ACCOUNT, NodeLabel.ACCOUNT),
    ("from_account_id", "to_counterparty_id"): (NodeLabel.ACCOUNT, NodeLabel.COUNTERPARTY),
    ("from_counterparty_id", "to_account_id"): (NodeLabel.COUNTERPARTY, NodeLabel.ACCOUNT),
}
_SCHEMA_STATEMENTS = (
    "schema/create_transfer_constraint", "schema/create_batch_constraint",
    "schema/create_load_constraint", "schema/create_score_run_constraint",
    "schema/create_score_constraint", "schema/create_score_customer_index",
    "schema/create_customer_feature_constraint", "schema/create_record_constraint",
    "schema/create_record_subject_index", "schema/create_audit_constraint",
    "schema/create_audit_counter_constraint",
)
#: ``LIMIT`` when a caller sets none (Cypher's LIMIT takes no null).
_NO_LIMIT = 2**62
#: How :meth:`Neo4jGraphStore._region_rows` reads ``(entity, column)``: a statement and its
#: placeholders. Nodes by their key; a node's children through the relationship that holds
#: them; links and transfers through their own statements.
_REGION_STATEMENTS: dict[tuple[str, str], tuple[str, dict[str, str]]] = {
    **{(spec.name, spec.key[0]): ("read/region_nodes",
                                  {"label": spec.label.value, "key": spec.key[0]})
       for spec in ENTITIES if spec.name in ("customers", "accounts", "counterparties")
       and spec.label is not None},
    **{(entity, parent_key): ("read/region_children", {
        "from_label": parent.value, "from_key": parent_key, "rel": rel, "label": label})
       for entity, parent, parent_key, rel, label in (
           ("accounts", NodeLabel.CUSTOMER, "customer_id", RelType.OWNS.value, "Account"),
           ("disputes", NodeLabel.CUSTOMER, "customer_id", RelType.RAISED.value, "Dispute"),
           ("loans", NodeLabel.ACCOUNT, "account_id", RelType.HAS_LOAN.value, "Loan"),
           ("account_changes", NodeLabel.ACCOUNT, "account_id", RelType.HAD_CHANGE.value,
            "AccountChange"),
           ("customer_features", NodeLabel.CUSTOMER, "customer_id", "HAS_FEATURE",
            "CustomerFeature"),
       )},
    ("disputes", "against_customer_id"): ("read/region_disputes_against", {}),
    ("account_holders", "customer_id"): ("read/region_holders_of_customers", {}),
    ("account_holders", "account_id"): ("read/region_holders_of_accounts", {}),
    ("identifiers", "customer_id"): ("read/region_identifiers_of_customers", {}),
    ("identifiers", "identifier_id"): ("read/region_identifier_links", {}),
    ("transactions", "from_account_id"): ("read/region_transfers_from", {}),
    ("transactions", "to_account_id"): ("read/region_transfers_to", {}),
}


def _plain_rows(frame: pd.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    """Rows as dicts of plain Python values (the driver sends no numpy types)."""
    return [dict(zip(columns, row, strict=True))
            for row in zip(*python_columns(frame, columns), strict=True)]


class Neo4jGraphStore(GraphStore):
    """The Neo4j store: the :class:`GraphStore` primitives in Cypher, and GDS for the network.

    Args:
        driver: an open driver; the store closes it in :meth:`close` when ``owns_driver``.
        database: the database to use.
        uri: for messages.
        page_size: rows per page when a snapshot is streamed.
        owns_driver: whether :meth:`close` closes the driver.
        writers: batches of one entity written at once (see :meth:`write_concurrency`).
    """

    kind = StoreKind.NEO4J
    title = "Neo4j"
    preferred_batch_size = 2_500
    capabilities = frozenset({StoreCapability.IN_DATABASE_NETWORK})
    _unavailable_errors = (ServiceUnavailable, SessionExpired)
    _statement_errors = (Neo4jError, DriverError)
    #: Read once per store by the read-only query guard (see _procedure_modes).
    _procedure_mode_cache: dict[str, str] | None = None
    _unsafe_function_cache: tuple[str, ...] | None = None

    def __init__(self, driver: Driver, database: str = "neo4j", *, uri: str = "",
                 page_size: int = 50_000, owns_driver: bool = True,
                 writers: int = 2) -> None:
        super().__init__()
        self._writers = writers
        #: Per running load, the entities that held no rows when it began (see
        #: _begin_load); keyed by load id so that loads in two threads do not mix.
        self._empty_at_load_start: dict[str, frozenset[str]] = {}
        self._driver = driver
        self._database = database
        self._uri = uri
        self._page_size = page_size
        self._owns_driver = owns_driver
        self._ensure_schema()

    @classmethod
    def from_settings(cls, settings: Settings) -> Neo4jGraphStore:
        """Connect with ``GRAPHRISK_NEO4J_*``; one clear error if the server is not there."""
        uri, user = settings.neo4j_uri, settings.neo4j_user
        warning = default_password_warning(uri, settings.neo4j_password)
        if warning:
            logger.warning(warning)
        _quiet_driver_logs()
        driver = GraphDatabase.driver(uri, auth=(user, settings.neo4j_password),
                                      **DRIVER_CONFIG)
        try:
            driver.verify_connectivity()
        except AuthError as exc:
            driver.close()
            raise StoreUnavailableError(
                f"Neo4j at {uri} refused user {user!r}: check GRAPHRISK_NEO4J_PASSWORD"
            ) from exc
        except (ServiceUnavailable, SessionExpired, OSError) as exc:
            driver.close()
            raise StoreUnavailableError(f"cannot reach Neo4j at {uri}: {START_HINT}") from exc
        try:
            return cls(driver, settings.neo4j_database, uri=uri,
                       writers=settings.neo4j_writers)
        except BaseException:
            driver.close()
            raise

    # -- plumbing ----------------------------------------------------------------------
    def _error_text(self, exc: BaseException) -> str:
        return getattr(exc, "message", None) or str(exc)

    def _unavailable_text(self, exc: BaseException) -> str:
        if self._empty_at_load_start:  # a load of this store is running (see _begin_load)
            return f"lost Neo4j at {self._uri} during a load: {LOAD_LOST_HINT}"
        return f"lost Neo4j at {self._uri}: {LOST_HINT}"

    def _read(self, name: str, params: Mapping[str, Any] | None = None, /,
              **names: str) -> list[dict[str, Any]]:
        """Rows of the read statement ``name``, run in a session of its own."""
        return [record.data() for record in self._read_records(name, params, **names)]

    def _read_records(self, name: str, params: Mapping[str, Any] | None = None, /,
                      **names: str) -> list[Record]:
        """The driver's records of the read statement ``name``, as they came.

        Why not :meth:`_read`: ``Record.data()`` walks every nested value in Python (to turn
        nodes into maps), which cost more than the query itself on a snapshot page of
        50,000 value lists; records hand their values over as they are.
        """
        query = load_cypher(name, **names)
        with self._statement(name, doing=f"Neo4j read {name}"):
            records, _summary, _keys = self._driver.execute_query(
                query, dict(params or {}), database_=self._database,
                routing_=RoutingControl.READ,
            )
        return records

    def read_rows(self, name: str, params: Mapping[str, Any] | None = None
                  ) -> list[dict[str, Any]]:
        """Rows of the read-only statement ``cypher/<name>.cypher`` (no placeholders).

        Why public: in-database analytics (:class:`graphrisk.store.gds.GdsNetworkEngine`)
        run their own statements, and should share this store's driver, database and error
        handling rather than hold a driver of their own.

        Raises:
            StoreUnavailableError: the server went away.
            StoreError: Neo4j refused the statement (naming it).
        """
        return self._read(name, params)

    def _write(self, name: str, work: Callable[[ManagedTransaction], None], *,
               doing: str | None = None,
               explain: Callable[[BaseException], str] | None = None) -> None:
        """Run ``work`` as one managed write transaction, in a session of its own.

        Transient failures (deadlocks between parallel batches) are retried with backoff
        for up to :data:`TRANSIENT_RETRY_SECONDS`; a lost connection only for the driver's
        short :data:`SERVER_LOSS_RETRY_SECONDS`, so that a server that went away is
        reported within seconds. Anything else rolls the transaction back and is raised as
        a ``StoreError`` naming ``name``.
        """
        with self._statement(name, doing=doing, explain=explain):
            deadline = time.monotonic() + TRANSIENT_RETRY_SECONDS
            delay = 0.5
            while True:
                try:
                    with self._driver.session(database=self._database) as session:
                        session.execute_write(work)
                    return
                except Neo4jTransientError as exc:
                    if not exc.is_retryable() or time.monotonic() + delay > deadline:
                        raise
                    logger.debug("retrying %s in %.1f s after %s", name, delay, exc.code)
                    time.sleep(delay)
                    delay = min(delay * 2, 5.0)

    def _write_query(self, name: str, params: Mapping[str, Any], /,
                     **names: str) -> list[dict[str, Any]]:
        """Rows of the write statement ``name``, run as one managed write transaction."""
        query = load_cypher(name, **names)
        found: list[dict[str, Any]] = []

        def work(tx: ManagedTransaction) -> None:
            # Replaced, not extended: the driver may run the work again after a retry.
            found[:] = [record.data() for record in tx.run(query, dict(params))]

        self._write(name, work)
        return found

    def _ensure_schema(self) -> None:
        statements = [
            load_cypher("schema/create_node_constraint", name=f"{label.value.lower()}_{key}",
                        label=label.value, key=key)
            for label, (_entity, key) in NODE_SOURCES.items()
        ] + [load_cypher(name) for name in _SCHEMA_STATEMENTS]
        with self._statement("schema"):
            self._create_schema(statements)

    def _create_schema(self, statements: list[str]) -> None:
        try:
            for statement in statements:
                self._driver.execute_query(statement, database_=self._database)
        except AuthError as exc:
            raise StoreUnavailableError(
                f"Neo4j at {self._uri} refused the login: check GRAPHRISK_NEO4J_PASSWORD"
            ) from exc
        except ServiceUnavailable as exc:
            raise StoreUnavailableError(f"cannot reach Neo4j at {self._uri}: {START_HINT}"
                                        ) from exc

    def _location(self) -> str:
        return f"{self._uri} (database {self._database})"

    def _writers_for(self, entity: str) -> int:
        # Identifier batches MERGE the same shared identifier nodes, so parallel batches there
        # deadlock and retry more than they gain; the driver retries the others' rare
        # deadlocks (two batches creating relationships on one dense node) with backoff.
        return self._writers if entity in _KEYED_ENTITIES else 1

    def _network_engine(self) -> NetworkEngine:
        # Imported here: the engine brings the analytics' numeric stack, which opening a
        # store for loading or look-ups does not need.
        from graphrisk.store.gds import GdsNetworkEngine

        return GdsNetworkEngine(self)

    def _delete_everything(self) -> None:
        """Empty the database in bounded batches (relationships first)."""
        self._empty_at_load_start.clear()
        for name in ("admin/delete_relationships_batch", "admin/delete_batch"):
            query = load_cypher(name)
            while True:
                with self._statement(name):
                    records, _, _ = self._driver.execute_query(query, batch=20_000,
                                                               database_=self._database)
                if records[0]["deleted"] == 0:
                    break

    def _close(self) -> None:
        if self._owns_driver:
            self._driver.close()

    # -- loading -----------------------------------------------------------------------
    def _node_statement(self, entity: str, new: bool) -> str:
        """The CREATE (``new``) or MERGE statement that writes rows of a node entity."""
        spec = ENTITY_BY_NAME[entity]
        if entity in _NODE_ENTITIES:
            label = _NODE_ENTITIES[entity].value
            return (load_cypher("load/create_nodes", label=label) if new else
                    load_cypher("load/merge_nodes", label=label, key=spec.key[0]))
        if entity in _ACCOUNT_CHILDREN:
            label, rel = _ACCOUNT_CHILDREN[entity]
            names = {"label": label.value, "key": spec.key[0], "rel": rel.value}
            return load_cypher("load/create_account_children" if new else
                               "load/merge_account_children", **names)
        return load_cypher(f"load/{'create' if new else 'merge'}_{entity}")

    def _write_nodes(self, tx: ManagedTransaction, entity: str, rows: pd.DataFrame,
                     empty: frozenset[str]) -> None:
        """New nodes are CREATEd, known ones MERGEd (which may move their relationships).

        Why split: a first load is all new rows, and CREATE skips the per-row search MERGE
        does. The existence check runs in the same transaction as the writes.
        """
        spec = ENTITY_BY_NAME[entity]
        key = spec.key[0]
        assert spec.label is not None
        existing = set() if entity in empty else {r["id"] for r in tx.run(
            load_cypher("load/existing_nodes", label=spec.label.value, key=key),
            ids=rows[key].tolist())}
        known = rows[key].isin(existing) if existing else pd.Series(False, index=rows.index)
        for new, part in ((True, rows[~known]), (False, rows[known])):
            if not part.empty:
                tx.run(self._node_statement(entity, new),
                       rows=_plain_rows(part, spec.column_names)).consume()

    def _write_rows(self, tx: ManagedTransaction, entity: str, rows: pd.DataFrame,
                    empty: frozenset[str]) -> None:
        """Write one batch; ``empty`` names the entities known to have been empty."""
        spec = ENTITY_BY_NAME[entity]
        if entity == "transactions":
            self._write_transfers(tx, rows, empty)
        elif entity == "identifiers":
            tx.run(load_cypher("load/merge_identifiers"),
                   rows=_plain_rows(rows, stored_columns(spec))).consume()
        elif entity == "account_holders":
            tx.run(load_cypher("load/merge_account_holders"),
                   rows=_plain_rows(rows, spec.column_names)).consume()
        elif entity == "customer_features":
            tx.run(load_cypher("load/merge_customer_features"),
                   rows=_plain_rows(rows, spec.column_names)).consume()
        else:
            self._write_nodes(tx, entity, rows, empty)

    def _write_transfers(self, tx: ManagedTransaction, rows: pd.DataFrame,
                         empty: frozenset[str]) -> None:
        """New transactions are CREATEd, known ones MERGEd (which may move them).

        Why split: a first load is all new rows, and CREATE skips the per-row search for an
        existing relationship that MERGE must do. The check runs in the same transaction.
        """
        ids = rows["transaction_id"].tolist()
        existing = set() if "transactions" in empty else {
            r["id"] for r in tx.run(load_cypher("load/existing_transactions"), ids=ids)}
        known = rows["transaction_id"].isin(existing) if existing else pd.Series(
            False, index=rows.index)
        props = [c for c in ENTITY_BY_NAME["transactions"].column_names
                 if not c.startswith(("from_", "to_"))]
        for statement, part_rows in (("load/create_transfers", rows[~known]),
                                     ("load/merge_transfers", rows[known])):
            for (source, target), (from_label, to_label) in _TRANSFER_ENDS.items():
                part = part_rows[part_rows[source].notna() & part_rows[target].notna()]
                if part.empty:
                    continue
                payload = [
                    {"source": s, "target": t, "props": p}
                    for s, t, p in zip(part[source].tolist(), part[target].tolist(),
                                       _plain_rows(part, props), strict=True)
                ]
                query = load_cypher(statement, from_label=from_label.value,
                                    from_key=_KEYS[from_label.value], to_label=to_label.value,
                                    to_key=_KEYS[to_label.value])
                tx.run(query, rows=payload).consume()

    def _write_batch(self, entity: str, rows: pd.DataFrame,
                     checkpoint: BatchCheckpoint | None) -> None:
        """Write a batch with its checkpoint in one managed transaction.

        A batch with a checkpoint belongs to a load, and its rows of an entity that was
        empty when that load began are CREATEd without the existence check (see
        :meth:`_begin_load`); a batch without one always checks.
        """
        record_batch = load_cypher("load/record_batch")
        empty = (self._empty_at_load_start.get(checkpoint.load_id, frozenset())
                 if checkpoint is not None else frozenset())

        def work(tx: ManagedTransaction) -> None:
            if not rows.empty:
                self._write_rows(tx, entity, rows, empty)
            if checkpoint is not None:
                tx.run(record_batch, load_id=checkpoint.load_id, source=checkpoint.source,
                       batch_index=checkpoint.batch_index, rows=len(rows)).consume()

        def explain(exc: BaseException) -> str:
            text = self._error_text(exc)
            if isinstance(exc, ConstraintError):
                return (f"a row breaks a uniqueness rule in Neo4j: {text}"
                        + _offending_row(rows, text))
            return text

        self._write(f"upsert_{entity}", work, doing=f"writing {len(rows)} {entity} rows",
                    explain=explain)

    def _begin_load(self, load_id: str, sources: str, started_at: str) -> None:
        """Record the load, and note which entities are still empty.

        Why: validated rows of one load have unique keys, so rows of an entity that was
        empty when the load began cannot exist yet and are CREATEd without asking. A resumed
        load finds the entity non-empty and checks row by row again.
        """
        counts = self._count_rows()
        self._empty_at_load_start[load_id] = frozenset(
            entity for entity in _KEYED_ENTITIES if counts.get(entity) == 0)
        query = load_cypher("load/begin_load")
        self._write("load/begin_load", lambda tx: tx.run(
            query, load_id=load_id, started_at=started_at, sources=sources).consume())

    def _finish_load(self, load_id: str, summary: str, finished_at: str) -> None:
        self._empty_at_load_start.pop(load_id, None)
        query = load_cypher("load/finish_load")
        self._write("load/finish_load", lambda tx: tx.run(
            query, load_id=load_id, finished_at=finished_at, summary=summary).consume())

    def _completed_batches(self, load_id: str) -> list[tuple[str, int]]:
        rows = self._read("load/completed_batches", {"load_id": load_id})
        return [(row["source"], row["batch_index"]) for row in rows]

    def _load_rows(self) -> list[tuple[Any, ...]]:
        return [tuple(row[c] for c in LOAD_COLUMNS) for row in self._read("read/list_loads")]

    def _ids(self, spec: EntitySpec) -> list[str]:
        if spec.name == "transactions":
            rows = self._read("read/transaction_ids")
        else:
            label = spec.label
            assert label is not None
            rows = self._read("read/node_ids", label=label.value, key=spec.key[0])
        return [row["id"] for row in rows]

    def _ids_among(self, spec: EntitySpec, ids: list[str]) -> list[str]:
        if spec.name == "transactions":
            rows = self._read("read/transaction_ids_among", {"ids": ids})
        else:
            label = spec.label
            assert label is not None
            rows = self._read("read/node_ids_among", {"ids": ids}, label=label.value,
                              key=spec.key[0])
        return [row["id"] for row in rows]

    # -- reading -----------------------------------------------------------------------
    def _count_nodes(self, label: NodeLabel) -> int:
        return int(self._read("read/count_nodes", label=label.value)[0]["n"])

    def _count_relationships(self, rel: RelType, with_role: bool | None) -> int:
        rows = self._read("read/count_relationships", {"with_role": with_role}, type=rel.value)
        return int(rows[0]["n"])

    def _count_rows(self) -> dict[str, int]:
        counts = {}
        for spec in ENTITIES:
            if spec.name == "account_holders":
                counts[spec.name] = self._count_relationships(RelType.OWNS, True)
            elif spec.name == "identifiers":
                counts[spec.name] = self._count_relationships(RelType.HAS_IDENTIFIER, None)
            elif spec.name == "transactions":
                counts[spec.name] = self._count_relationships(RelType.TRANSFERRED, None)
            elif spec.name == "customer_features":
                counts[spec.name] = int(self._read("read/count_customer_features")[0]["n"])
            else:
                assert spec.label is not None
                counts[spec.name] = self._count_nodes(spec.label)
        counts["identifier_nodes"] = self._count_nodes(NodeLabel.IDENTIFIER)
        return counts

    def _fetch_nodes(self, label: NodeLabel, ids: list[str]) -> dict[str, dict[str, Any]]:
        rows = self._read("read/get_nodes", {"ids": ids}, label=label.value,
                          key=_KEYS[label.value])
        return {row["id"]: row["properties"] for row in rows}

    def _adjacent(self, frontier: dict[NodeLabel, list[str]], *,
                  only: AdjacencyFilter | None = None) -> list[Edge]:
        types = sorted(rel.value for rel in (RelType if only is None else only.types))
        if not types:
            return []
        bounds = {} if only is None else {
            rel.value: list(pair) for rel, pair in only.bounds.items()}
        found: list[Edge] = []
        for label, ids in frontier.items():
            rows = self._read("read/adjacent", {"ids": ids, "types": types, "keys": _KEYS,
                                                "bounds": bounds},
                              label=label.value, key=_KEYS[label.value])
            for row in rows:
                here = NodeRef(label, row["id"])
                other = NodeRef(NodeLabel(row["other_label"]), row["other_id"])
                start, end = (here, other) if row["outgoing"] else (other, here)
                rel_type = RelType(row["type"])
                props: tuple[tuple[str, Any], ...] = ()
                if rel_type is RelType.TRANSFERRED:
                    props = (("first_at", transfer_time(row["first_at"])),
                             ("last_at", transfer_time(row["last_at"])),
                             ("total_amount", row["total_amount"]),
                             ("transactions", row["relationships"]))
                elif row["role"] is not None:
                    props = (("role", row["role"]),)
                found.append((rel_type, start, end, props))
        return found

    def _search_customer_ids(self, search: CustomerSearch, limit: int,
                             offset: int) -> tuple[list[str], int]:
        (row,) = self._read("read/search_customers", {
            "id_text": search.id_text, "words": list(search.words),
            "identifier_ids": list(search.identifier_ids), "limit": limit, "offset": offset})
        return list(row["ids"]), int(row["total"])

    def _paged(self, name: str, columns: list[str], /, **names: str) -> pd.DataFrame:
        """Every row of a keyset-paged snapshot statement, as one frame read a page at a time.

        Each page comes back as one record holding one list of values per column (in
        ``columns`` order): the driver builds a record or a map per row far more slowly than
        a list, and one list per column faster than one per row. Each page becomes a frame
        at once and the frames are joined at the end (:func:`joined_chunks`), so the
        entity is never held as Python values whole: at a million customers, holding the
        10.9M transactions' values before building the frame took the scoring run's peak
        to 9.2 GB. A statement that names each property itself (faster than ``$columns``)
        returns the names it chose as ``names``; they must be the ones asked for.
        """
        pages: list[pd.DataFrame] = []
        after = ""
        while True:
            page = self._read_records(name, {"after": after, "page": self._page_size,
                                             "columns": columns}, **names)[0]
            if "names" in page.keys() and list(page["names"]) != columns:
                raise StoreError(f"{name} returns the columns {list(page['names'])}, not "
                                 f"{columns}: update the statement", query=name)
            if page["n"]:
                pages.append(pd.DataFrame(dict(zip(columns, page["columns"], strict=True)),
                                          columns=columns))
            if page["n"] < self._page_size:
                break
            after = page["last_key"]
        return joined_chunks(pages, columns) if pages else pd.DataFrame(columns=columns)

    def _entity_frame(self, spec: EntitySpec, columns: list[str]) -> pd.DataFrame:
        if spec.name in _NODE_ENTITY_NAMES:
            assert spec.label is not None
            frame = self._paged("snapshot/page_nodes", columns, label=spec.label.value,
                                key=spec.key[0])
        elif spec.name in ("identifiers", "account_holders", "customer_features",
                           "transactions"):
            frame = self._paged(f"snapshot/page_{spec.name}", columns)
        else:  # pragma: no cover - a new entity needs its snapshot statement
            raise NotImplementedError(f"no snapshot statement for {spec.name}")
        return frame.sort_values(list(stored_key(spec)), ignore_index=True)

    def _consistency_problems(self) -> list[str]:
        counts = self._read("read/consistency_counts")[0]
        return [f"{n} {name.replace('_', ' ')}" for name, n in counts.items() if n]

    # -- results -----------------------------------------------------------------------
    def _write_score_rows(self, run: ScoreRun, rows: list[ScoreRow]) -> None:
        """Write a run's scores in batches over up to ``writers`` sessions, then the run.

        Why: one transaction of 100,000 MERGEd scores took 12 s. A new run's scores cannot
        exist yet, so they are CREATEd, in batches of :data:`SCORE_BATCH` written at once
        (each batch holds other customers, so they take no lock in common). Reads reach a
        score only through its ``ScoreRun`` node (``scores/*``), written last: the run
        appears whole or not at all. A write that fails half-way deletes the scores it
        wrote; one killed half-way leaves scores of no run, which no read reaches. A run id
        written again MERGEs, as before.
        """
        payload = [{"customer_id": row.customer_id, "score": row.score, "tier": row.tier,
                    "reasons": list(row.reasons),
                    "components": json.dumps(dict(row.components)) if row.components else None}
                   for row in rows]
        (found,) = self._read("scores/score_run_exists", {"run_id": run.run_id})
        name = "scores/write_scores" if found["exists"] else "scores/create_scores"
        query, run_query = load_cypher(name), load_cypher("scores/merge_score_run")

        def write(batch: list[dict[str, Any]]) -> None:
            self._write(name, lambda tx: tx.run(query, run_id=run.run_id, rows=batch).consume(),
                        doing=f"writing {len(batch)} scores of {run.run_id}")

        batches = [payload[i:i + SCORE_BATCH] for i in range(0, len(payload), SCORE_BATCH)]
        try:
            if len(batches) > 1 and self._writers > 1:
                with ThreadPoolExecutor(min(self._writers, len(batches)),
                                        thread_name_prefix="graphrisk-scores") as pool:
                    futures = [pool.submit(write, batch) for batch in batches]
                    try:
                        for future in futures:
                            future.result()
                    except BaseException:
                        for future in futures:  # batches not started yet are not written
                            future.cancel()
                        raise
            else:
                for batch in batches:
                    write(batch)
            self._write("scores/merge_score_run", lambda tx: tx.run(
                run_query, run_id=run.run_id, created_at=run.created_at, kind=run.kind,
                params=run.params).consume())
        except BaseException:
            if not found["exists"]:
                self._delete_unfinished_scores(run.run_id)
            raise

    def _delete_unfinished_scores(self, run_id: str) -> None:
        """Delete the scores of ``run_id`` when its run was not stored (best effort)."""
        query = load_cypher("scores/delete_unfinished_scores")
        try:
            while True:
                with self._statement("scores/delete_unfinished_scores"):
                    records, _, _ = self._driver.execute_query(
                        query, run_id=run_id, batch=SCORE_BATCH * 4, database_=self._database)
                if not records or records[0]["deleted"] == 0:
                    return
        except Exception:  # the error that stopped the write is the one to raise
            logger.warning("could not delete the unfinished scores of run %s", run_id,
                           exc_info=True)

    def _score_rows(self, customer_id: str) -> list[tuple[Any, ...]]:
        rows = self._read("scores/score_history", {"customer_id": customer_id})
        return [tuple(row[c] for c in HISTORY_COLUMNS) for row in rows]

    def _latest_score_rows(self, customer_ids: list[str] | None) -> list[tuple[Any, ...]]:
        rows = (self._read("scores/latest_scores") if customer_ids is None else
                self._read("scores/latest_scores_of", {"ids": customer_ids}))
        return [(row["customer_id"], row["run_id"], row["created_at"], row["kind"],
                 row["score"], row["tier"], list(row["reasons"] or []), row["components"])
                for row in rows]

    # -- region ------------------------------------------------------------------------
    def _region_rows(self, spec: EntitySpec, by: str, ids: list[str],
                     columns: list[str]) -> list[list[Any]]:
        try:
            name, names = _REGION_STATEMENTS[(spec.name, by)]
        except KeyError:
            raise ValueError(f"no region statement reads {spec.name} by {by}") from None
        rows = self._read(name, {"ids": ids, "columns": columns}, **names)
        return [row["row"] for row in rows]

    # -- records and audit -------------------------------------------------------------
    def _create_record(self, kind: str, key: str, subject: str | None, status: str | None,
                       body: str, now: str) -> tuple[tuple[Any, ...], bool]:
        (found,) = self._write_query("records/create_record", {
            "kind": kind, "key": key, "subject": subject, "status": status, "body": body,
            "now": now})
        return tuple(found["row"]), bool(found["created"])

    def _compare_and_set_record(
        self, kind: str, key: str, expected_version: int, subject: str | None,
        status: str | None, body: str, now: str,
    ) -> tuple[int | None, tuple[Any, ...] | None]:
        found = self._write_query("records/update_record", {
            "kind": kind, "key": key, "expected_version": expected_version,
            "subject": subject, "status": status, "body": body, "now": now})
        if not found:
            return None, None
        row = found[0]["row"]
        return found[0]["stored"], (None if row is None else tuple(row))

    def _record_row(self, kind: str, key: str) -> tuple[Any, ...] | None:
        rows = self._read("records/get_record", {"kind": kind, "key": key})
        return tuple(rows[0]["row"]) if rows else None

    def _record_rows(self, kind: str, subject: str | None, statuses: list[str] | None,
                     limit: int | None) -> list[tuple[Any, ...]]:
        rows = self._read("records/list_records", {
            "kind": kind, "subject": subject, "statuses": statuses,
            "limit": _NO_LIMIT if limit is None else limit})
        return [tuple(row["row"]) for row in rows]

    def _append_audit(self, at: str, actor: str, action: str, subject: str | None,
                      details: str) -> int:
        (found,) = self._write_query("records/append_audit", {
            "at": at, "actor": actor, "action": action, "subject": subject,
            "details": details})
        return int(found["seq"])

    def _audit_rows(self, subject: str | None, actor: str | None, action: str | None,
                    since_seq: int | None, limit: int | None) -> list[tuple[Any, ...]]:
        rows = self._read("records/audit_entries", {
            "subject": subject, "actor": actor, "action": action, "since_seq": since_seq,
            "limit": _NO_LIMIT if limit is None else limit})
        return [tuple(row["row"]) for row in rows]

    # -- labels ------------------------------------------------------------------------
    def _set_known_label(self, customer_id: str, label: str | None,
                         source: str | None) -> bool:
        (found,) = self._write_query("records/set_known_label", {
            "customer_id": customer_id, "label": label, "source": source})
        return bool(found["found"])

    # -- same-entity links -------------------------------------------------------------
    def _replace_same_entity_links(self, links: list[dict[str, Any]]) -> int:
        return self._replace_links("resolution/delete_same_entity_links",
                                   "resolution/write_same_entity_links", links)

    def _same_entity_rows(self, customer_ids: list[str] | None) -> list[tuple[Any, ...]]:
        rows = self._read("resolution/same_entity_links", {"ids": customer_ids})
        return [tuple(row["row"]) for row in rows]

    def _replace_counterparty_entity_links(self, links: list[dict[str, Any]]) -> int:
        return self._replace_links("resolution/delete_counterparty_entity_links",
                                   "resolution/write_counterparty_entity_links", links)

    def _counterparty_entity_rows(self, customer_ids: list[str] | None,
                                  counterparty_ids: list[str] | None,
                                  ) -> list[tuple[Any, ...]]:
        rows = self._read("resolution/counterparty_entity_links",
                          {"customers": customer_ids, "counterparties": counterparty_ids})
        return [tuple(row["row"]) for row in rows]

    def _replace_links(self, delete_name: str, write_name: str,
                       links: list[dict[str, Any]]) -> int:
        """Delete a kind of resolution link and write ``links`` in one transaction."""
        delete, write = load_cypher(delete_name), load_cypher(write_name)
        written = [0]

        def work(tx: ManagedTransaction) -> None:
            tx.run(delete).consume()
            written[0] = 0
            for chunk in range(0, len(links), 10_000):
                record = tx.run(write, links=links[chunk:chunk + 10_000]).single()
                written[0] += int(record["written"]) if record else 0

        self._write(write_name, work)
        return written[0]

    # -- read-only Cypher --------------------------------------------------------------
    def _read_only_query(self, query: str, parameters: dict[str, Any], timeout_s: float,
                         row_limit: int) -> QueryResult:
        """EXPLAIN the query, refuse it unless its plan only reads, then run it read-only.

        Both steps run in one session whose access mode is READ, each in a transaction of
        its own with the driver's ``timeout`` (the server stops it, and says so, after
        ``timeout_s``). The run pulls at most ``row_limit + 1`` records and then rolls the
        transaction back, leaving the rest of the result unread.
        """
        metadata = {"app": "graphrisk", "purpose": "read-only query"}
        # Notifications off: the server's hints on an analyst's query (deprecations...) are
        # not the service's warnings to log.
        with self._driver.session(database=self._database, default_access_mode=READ_ACCESS,
                                  fetch_size=row_limit + 1,
                                  notifications_min_severity="OFF") as session:
            try:
                with session.begin_transaction(timeout=timeout_s, metadata=metadata) as tx:
                    summary = tx.run(_EXPLAIN + query, parameters).consume()
                    tx.rollback()
                refusal = self._plan_refusal(summary)
                if refusal is not None:
                    raise QueryRefusedError(refusal)
                with session.begin_transaction(timeout=timeout_s, metadata=metadata) as tx:
                    result = tx.run(query, parameters)
                    columns = list(result.keys())
                    records = [record.values() for record in islice(result, row_limit + 1)]
                    result.consume()
                    truncated = len(records) > row_limit
                    shaped = _QueryShaper(records[:row_limit])
                    missing = shaped.unseen_ends()
                    if missing:
                        shaped.add_ends(tx.run(load_cypher("read/node_keys_by_element_id"),
                                               ids=missing).data())
                    tx.rollback()
            except Neo4jError as exc:
                failure = _query_failure(exc, timeout_s)
                if failure is None:
                    raise
                raise failure from exc
        return QueryResult(columns=columns, rows=shaped.rows(), nodes=shaped.graph_nodes(),
                           relationships=shaped.graph_relationships(), truncated=truncated)

    def _plan_refusal(self, summary: ResultSummary) -> str | None:
        """Why the EXPLAINed query may not run, from the database's own plan; ``None`` when
        it only reads.

        Refused: a query type other than ``r`` (read); an operator that loads files, commits
        batches of its own or administers the server (:data:`_REFUSED_OPERATORS`); a call of
        a procedure whose declared mode is not READ (or DEFAULT, which runs as READ), or
        that is read-only but unsafe (:func:`_unsafe_procedure`); a call of an unsafe
        function (:func:`_unsafe_function`) anywhere in the plan.
        """
        query_type = summary.query_type
        if query_type != "r":
            return _QUERY_TYPE_REFUSALS.get(
                query_type or "", f"the database does not call it a read (query type "
                                   f"{query_type!r})")
        if not summary.plan:
            return "the database gave no plan to check"
        unsafe_functions = self._unsafe_functions()
        for operator in _plan_operators(summary.plan):
            name = str(operator.get("operatorType", "")).partition("@")[0]
            details = str((operator.get("args") or {}).get("Details") or "")
            reason = _operator_refusal(name)
            if reason is not None:
                return reason
            if name == "ProcedureCall":
                reason = self._procedure_refusal(details)
                if reason is not None:
                    return reason
            for function in unsafe_functions:
                if f"{function}(" in details:
                    return f"it calls the function {function}: {_unsafe_function(function)}"
        return None

    def _procedure_refusal(self, details: str) -> str | None:
        """Why the procedure a ``ProcedureCall`` operator names may not be called."""
        found = _PROCEDURE_NAME.match(details)
        if found is None:
            return f"cannot tell which procedure the plan calls ({details[:80]!r})"
        name = found.group(1)
        mode = self._procedure_modes().get(name)
        if mode is None:  # installed since the modes were read: read them again, once
            self._procedure_mode_cache = None
            mode = self._procedure_modes().get(name)
        if mode is None:
            return f"it calls the procedure {name}, which the database does not list"
        if mode not in _READ_MODES:
            return f"it calls the procedure {name}, which the database declares {mode}"
        unsafe = _unsafe_procedure(name)
        return None if unsafe is None else f"it calls the procedure {name}: {unsafe}"

    def _procedure_modes(self) -> dict[str, str]:
        """Every procedure's declared mode, as the database lists it (read once per store)."""
        modes = self._procedure_mode_cache
        if modes is None:
            modes = {row["name"]: row["mode"] for row in self._read("read/procedure_modes")}
            self._procedure_mode_cache = modes
        return modes

    def _unsafe_functions(self) -> tuple[str, ...]:
        """The plugin functions (APOC, GDS) a read-only query may not call (read once)."""
        found = self._unsafe_function_cache
        if found is None:
            found = tuple(sorted(row["name"] for row in self._read("read/user_functions")
                                 if _unsafe_function(row["name"]) is not None))
            self._unsafe_function_cache = found
        return found


def default_password_warning(uri: str, password: str) -> str | None:
    """The warning to give when ``password`` is the default one on a server not on this host.

    Why: the default password is printed in the README; it is fine for the local test server
    (which listens on 127.0.0.1 only) and nowhere else.

    Returns:
        The warning, or ``None`` when the password is not the default or the server is
        local (127.0.0.1, localhost, ::1).
    """
    if password != DEFAULT_PASSWORD:
        return None
    try:
        host = urlsplit(uri).hostname
    except ValueError:
        host = None
    if host is not None and host.lower() in _LOCAL_HOSTS:
        return None
    return (f"Neo4j at {uri} is used with GraphRisk's default password, which is printed in "
            "the README: give the server's neo4j user a password of its own and set "
            "GRAPHRISK_NEO4J_PASSWORD to it (e.g. `export GRAPHRISK_NEO4J_PASSWORD=...`, "
            "or in the service's environment)")


#: Driver loggers whose warnings and errors repeat what the store raises anyway.
_DRIVER_LOGGERS = ("neo4j", "neo4j.io", "neo4j.pool")


class _DriverNoise(logging.Filter):
    """Drops the driver's warnings and errors (a retried transaction, a defunct connection)
    unless its logger is set to show details (``--verbose``): the store turns the failure
    into one :class:`StoreUnavailableError` that says what to do."""

    def filter(self, record: logging.LogRecord) -> bool:
        return (record.levelno < logging.WARNING
                or logging.getLogger("neo4j").isEnabledFor(logging.INFO))


_DRIVER_NOISE = _DriverNoise()


def _quiet_driver_logs() -> None:
    for name in _DRIVER_LOGGERS:
        driver_logger = logging.getLogger(name)
        if _DRIVER_NOISE not in driver_logger.filters:
            driver_logger.addFilter(_DRIVER_NOISE)


def _offending_row(rows: pd.DataFrame, message: str) -> str:
    """The batch row that holds the value a constraint error names, if one can be found."""
    quoted = re.findall(r"'([^']+)'", message)
    for value in quoted:
        for column in rows.columns:
            if rows[column].dtype == object or str(rows[column].dtype) == "str":
                hit = rows[rows[column].astype(str) == value]
                if len(hit):
                    return f"; offending row: {hit.iloc[0].dropna().to_dict()}"
    return ""


# -- read-only Cypher ------------------------------------------------------------------------
#: What the guard puts before a query to have the database plan it without running it.
_EXPLAIN = "EXPLAIN "
#: Procedure modes a read-only query may call: DEFAULT is what a procedure that declares no
#: mode gets (APOC's read procedures, apoc.path.expand among them), and runs as READ.
_READ_MODES = frozenset({"READ", "DEFAULT"})
#: Why a query of each non-read query type is refused (``ResultSummary.query_type``).
_QUERY_TYPE_REFUSALS = {
    "rw": "it writes to the graph (the database plans it as read-write)",
    "w": "it writes to the graph (the database plans it as write-only)",
    "s": "it changes the schema or administers the database",
}
#: Plan operators refused although the database calls the query a read.
_REFUSED_OPERATORS = {
    "LoadCSV": "LOAD CSV reads files or URLs outside the graph",
    "TransactionApply": "CALL { ... } IN TRANSACTIONS commits batches of its own",
    "TransactionForeach": "CALL { ... } IN TRANSACTIONS commits batches of its own",
    "TerminateTransactions": "TERMINATE TRANSACTIONS stops other users' work",
    "ShowTransactions": "SHOW TRANSACTIONS shows other users' queries and their parameters",
    "ShowSettings": "SHOW SETTINGS shows the server's configuration",
    "AdministrationCommand": "it is an administration command",
}
#: ``SHOW`` commands that only describe the database's schema and plugins.
_SHOW_OPERATORS = frozenset({"ShowIndexes", "ShowConstraints", "ShowProcedures",
                             "ShowFunctions"})
#: Read-mode procedures refused all the same, with why. READ is what a procedure declares;
#: these read outside the graph, run Cypher the plan does not show, or change the server.
_UNSAFE_PROCEDURES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("apoc.load.*", "apoc.import.*", "apoc.export.*"),
     "it reads or writes files or URLs outside the graph"),
    (("apoc.cypher.*", "apoc.when", "apoc.case", "apoc.do.*", "apoc.graph.fromCypher"),
     "it runs Cypher given as text, which the plan this guard checks does not show"),
    (("apoc.periodic.*",), "it runs or manages background jobs outside this transaction"),
    (("apoc.spatial.geocode*", "apoc.spatial.reverseGeocode"),
     "it calls a web service outside the graph"),
    (("apoc.util.sleep", "db.awaitIndex", "db.awaitIndexes",
      "db.index.fulltext.awaitEventuallyConsistentIndexRefresh"),
     "it waits instead of reading, holding a server thread"),
    (("apoc.warmup.*", "db.stats.*", "db.clearQueryCaches", "db.prepareForReplanning",
      "db.resample*"), "it changes the server's caches, statistics or query plans"),
    (("dbms.*", "tx.*", "apoc.log.*", "apoc.trigger.*", "apoc.custom.*", "apoc.systemdb.*",
      "apoc.lock.*", "apoc.config.*", "gds.debug.*", "gds.license.*", "gds.userLog"),
     "it administers the server, its triggers, locks or transactions"),
)
#: GDS procedures a read-only query may call: streamed and summarised results of projections
#: that exist, estimates, and the catalog's listings. GDS declares its other procedures READ
#: too, because they do not write the database, but they project, mutate, drop, export or
#: train in GDS's memory (gds.graph.project, *.mutate, gds.graph.drop, gds.graph.export...).
_SAFE_GDS_PROCEDURES = ("gds.*.stream", "gds.*.stream.estimate", "gds.*.stats",
                        "gds.*.stats.estimate", "gds.graph.list", "gds.graph.exists",
                        "gds.model.list", "gds.model.exists", "gds.pipeline.list",
                        "gds.pipeline.exists", "gds.version", "gds.list")
_UNSAFE_GDS = ("it changes GDS's in-memory catalog (projects, mutates, drops, exports or "
               "trains), though the database declares it READ")
#: Plugin functions refused: they run Cypher given as text, or build a GDS projection.
_UNSAFE_FUNCTIONS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("apoc.cypher.*",),
     "it runs Cypher given as text, which the plan this guard checks does not show"),
    (("apoc.load.*", "apoc.import.*", "apoc.export.*"),
     "it reads or writes files or URLs outside the graph"),
    (("gds.graph.project*",), _UNSAFE_GDS),
)
#: The procedure a ``ProcedureCall`` operator's details name: ``db.labels() :: (...)``.
_PROCEDURE_NAME = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\(")


def _matches(name: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatchcase(name, pattern) for pattern in patterns)


def _unsafe_procedure(name: str) -> str | None:
    """Why the read-mode procedure ``name`` may not be called from a read-only query."""
    for patterns, reason in _UNSAFE_PROCEDURES:
        if _matches(name, patterns):
            return reason
    if name.startswith("gds.") and not _matches(name, _SAFE_GDS_PROCEDURES):
        return _UNSAFE_GDS
    return None


def _unsafe_function(name: str) -> str | None:
    """Why the function ``name`` may not be called from a read-only query."""
    for patterns, reason in _UNSAFE_FUNCTIONS:
        if _matches(name, patterns):
            return reason
    return None


def _operator_refusal(name: str) -> str | None:
    """Why a plan with the operator ``name`` is refused, for operators a read may not use."""
    if name in _REFUSED_OPERATORS:
        return _REFUSED_OPERATORS[name]
    if name.startswith("Terminate") or (name.startswith("Show") and name not in _SHOW_OPERATORS):
        return f"it is an administration command ({name})"
    return None


def _plan_operators(plan: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Every operator of an EXPLAIN plan (the driver's dict form), children included."""
    stack = [plan]
    while stack:
        operator = stack.pop()
        yield operator
        stack.extend(operator.get("children") or ())


def _query_failure(exc: Neo4jError, timeout_s: float) -> Exception | None:
    """The error to raise for a query the server refused or could not run; ``None`` for a
    failure of the store itself (the caller re-raises it as a store error)."""
    code = exc.code or ""
    message = _without_prefix(getattr(exc, "message", None) or str(exc), _EXPLAIN)
    if code == "Neo.ClientError.Statement.AccessMode" or code.startswith(
            "Neo.ClientError.Security.Forbidden"):
        return QueryRefusedError(f"the database refused it in a read transaction ({message})")
    if "TransactionTimedOut" in code:
        return QueryFailedError(
            f"the query ran past its time limit of {timeout_s:g} s and was stopped; narrow "
            "it (start from an indexed id, fewer hops, a LIMIT) and run it again",
            timed_out=True)
    if code == "Neo.ClientError.Statement.ParameterMissing":
        return QueryFailedError(f"{message}; give a value for each $parameter the query uses")
    if code.startswith("Neo.ClientError.Statement.") or code.startswith(
            ("Neo.ClientError.Procedure.", "Neo.ClientError.Schema.", "Neo.ClientError.Request.",
             "Neo.TransientError.Transaction.", "Neo.TransientError.General.")):
        return QueryFailedError(f"Neo4j could not run the query: {message}")
    return None


def _without_prefix(message: str, prefix: str) -> str:
    """A server message about ``prefix + query`` as if it were about the query alone: the
    quoted query, the caret under it and line 1's column and offset lose the prefix."""
    shift = len(prefix)
    message = message.replace(f'"{prefix}', '"', 1)
    message = re.sub(r"\n( *)\^", lambda m: "\n" + m.group(1)[shift:] + "^", message, count=1)
    message = re.sub(r"\(line 1, column (\d+)",
                     lambda m: f"(line 1, column {max(1, int(m.group(1)) - shift)}", message)
    return re.sub(r"\(offset: (\d+)\)",
                  lambda m: f"(offset: {max(0, int(m.group(1)) - shift)})", message)


def _iso(value: Any) -> str:
    return value.iso_format() if hasattr(value, "iso_format") else value.isoformat()


def _business_ref(labels: Iterable[str], properties: Mapping[str, Any]) -> NodeRef | None:
    """A node's business id: its domain label's id property; ``None`` when it has none."""
    present = set(labels)
    for label in NodeLabel:
        if label.value in present:
            value = properties.get(_KEYS[label.value])
            if value is not None:
                return NodeRef(label, str(value))
    return None


def _json_value(value: Any) -> Any:
    """A property value as JSON: temporal values as ISO text, points as maps, bytes as
    base64 text, non-finite floats as ``None``."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if hasattr(value, "iso_format") or hasattr(value, "isoformat"):
        return _iso(value)  # before sequences: a Duration is a tuple
    if isinstance(value, Point):
        coordinates = dict(zip("xyz", (float(c) for c in value), strict=False))
        return {"srid": value.srid, **coordinates}
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, list | tuple):
        return [_json_value(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): _json_value(item) for key, item in value.items()}
    return str(value)


class _QueryShaper:
    """One query's records as JSON-safe rows, and the graph they show.

    Nodes and relationships are told apart by element id while the transaction is open;
    what leaves is business ids only. A relationship's ends come with the result only when
    the query returned them too; the others are looked up (:meth:`unseen_ends`,
    :meth:`add_ends`) in the same transaction, where element ids are stable.
    """

    def __init__(self, records: list[list[Any]]) -> None:
        self._records = records
        #: element id -> (labels, properties) of every node seen, in order of first sight.
        self._nodes: dict[str, tuple[frozenset[str], dict[str, Any]]] = {}
        self._relationships: dict[str, Relationship] = {}
        for record in records:
            for value in record:
                self._collect(value)

    def _collect(self, value: Any) -> None:
        if isinstance(value, Node):
            self._nodes.setdefault(value.element_id, (value.labels, dict(value)))
        elif isinstance(value, Relationship):
            self._relationships.setdefault(value.element_id, value)
        elif isinstance(value, Path):
            for node in value.nodes:
                self._collect(node)
            for relationship in value.relationships:
                self._collect(relationship)
        elif isinstance(value, list):
            for item in value:
                self._collect(item)
        elif isinstance(value, Mapping):
            for item in value.values():
                self._collect(item)

    def unseen_ends(self) -> list[str]:
        """Element ids of relationship ends the records did not hold as nodes."""
        ends = {node.element_id for rel in self._relationships.values()
                for node in (rel.start_node, rel.end_node) if node is not None}
        return sorted(ends - self._nodes.keys())

    def add_ends(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Take in the looked-up ends (``element_id, labels, properties`` rows)."""
        for row in rows:
            self._nodes.setdefault(row["element_id"],
                                   (frozenset(row["labels"]), dict(row["properties"])))

    def _ref(self, element_id: str | None) -> NodeRef | None:
        if element_id is None or element_id not in self._nodes:
            return None
        labels, properties = self._nodes[element_id]
        return _business_ref(labels, properties)

    def _node_json(self, node: Node) -> dict[str, Any]:
        ref = _business_ref(node.labels, node)
        label = ref.label.value if ref else min(node.labels, default=None)
        return {"id": None if ref is None else str(ref), "label": label,
                "properties": {key: _json_value(v) for key, v in sorted(dict(node).items())}}

    def _relationship_json(self, rel: Relationship) -> dict[str, Any]:
        start, end = (self._ref(None if n is None else n.element_id)
                      for n in (rel.start_node, rel.end_node))
        return {"type": rel.type, "start": None if start is None else str(start),
                "end": None if end is None else str(end),
                "properties": {key: _json_value(v) for key, v in sorted(dict(rel).items())}}

    def _value(self, value: Any) -> Any:
        if isinstance(value, Node):
            return self._node_json(value)
        if isinstance(value, Relationship):
            return self._relationship_json(value)
        if isinstance(value, Path):
            return {"nodes": [self._node_json(n) for n in value.nodes],
                    "relationships": [self._relationship_json(r) for r in value.relationships]}
        if isinstance(value, list):
            return [self._value(item) for item in value]
        if isinstance(value, Mapping):
            return {str(key): self._value(item) for key, item in value.items()}
        return _json_value(value)

    def rows(self) -> list[list[Any]]:
        return [[self._value(value) for value in record] for record in self._records]

    def graph_nodes(self) -> tuple[GraphNode, ...]:
        """Every node with a business id, once each (first sight wins)."""
        found: dict[NodeRef, GraphNode] = {}
        for labels, properties in self._nodes.values():
            ref = _business_ref(labels, properties)
            if ref is not None and ref not in found:
                found[ref] = GraphNode(ref, {key: _json_value(v)
                                             for key, v in sorted(properties.items())})
        return tuple(found.values())

    def graph_relationships(self) -> tuple[GraphRelationship, ...]:
        """Every relationship of a domain type between two nodes with business ids."""
        types = {rel.value for rel in RelType}
        found = []
        for rel in self._relationships.values():
            start, end = (self._ref(None if n is None else n.element_id)
                          for n in (rel.start_node, rel.end_node))
            if rel.type in types and start is not None and end is not None:
                found.append(GraphRelationship(
                    RelType(rel.type), start, end,
                    tuple((key, _json_value(v)) for key, v in sorted(dict(rel).items()))))
        return tuple(found)
