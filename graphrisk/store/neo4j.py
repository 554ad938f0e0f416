"""The production store: Neo4j, behind the same :class:`GraphStore` protocol.

Why this shape: investigators query Neo4j directly (Browser, Bloom, Cypher), so the graph is
stored the way they expect — nodes per entity keyed by business id, transactions as
``TRANSFERRED`` relationships — and every statement lives in ``cypher/``. Each batch is
written in one managed transaction (``execute_write``) together with its checkpoint, so the
driver retries transient failures with backoff and a failed batch leaves nothing behind.
Customer features are ``(:Customer)-[:HAS_FEATURE]->(:CustomerFeature {customer_id, feature,
value})``, one node per input row (so a re-load MERGEs on the input's own key), outside the
relationship types that neighbourhoods and paths follow. This is the only module that runs
Cypher.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from neo4j import Driver, GraphDatabase, ManagedTransaction, RoutingControl
from neo4j.exceptions import (
    AuthError,
    ClientError,
    ConstraintError,
    Neo4jError,
    ServiceUnavailable,
    SessionExpired,
)

from graphrisk.config import Settings
from graphrisk.domain import ENTITIES, ENTITY_BY_NAME, NODE_SOURCES, NodeLabel, RelType
from graphrisk.errors import NotFoundError, StoreError, StoreUnavailableError
from graphrisk.store.base import (
    BatchCheckpoint,
    GraphNode,
    GraphPath,
    GraphSnapshot,
    NodeRef,
    Subgraph,
    python_columns,
)
from graphrisk.store.cypher_files import load_cypher
from graphrisk.store.traversal import Edge, expand_neighbourhood, find_shortest_path

__all__ = ["Neo4jGraphStore", "START_HINT"]

logger = logging.getLogger(__name__)

START_HINT = ("start the local server with `graphrisk neo4j start` (or `docker compose -f "
              "docker-compose.neo4j.yml up -d`)")

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
    "schema/create_customer_feature_constraint",
)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _plain_rows(frame: pd.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    """Rows as dicts of plain Python values (the driver sends no numpy types)."""
    return [dict(zip(columns, row, strict=True))
            for row in zip(*python_columns(frame, columns), strict=True)]


class Neo4jGraphStore:
    """The Neo4j store.

    Args:
        driver: an open driver; the store closes it in :meth:`close` when ``owns_driver``.
        database: the database to use.
        uri: for messages.
        page_size: rows per page when a snapshot is streamed.
    """

    kind = "neo4j"
    preferred_batch_size = 2_500

    def __init__(self, driver: Driver, database: str = "neo4j", *, uri: str = "",
                 page_size: int = 50_000, owns_driver: bool = True,
                 writers: int = 2) -> None:
        self._writers = writers
        #: Entities that held no rows when the current load began (see begin_load).
        self._empty_at_load_start: frozenset[str] = frozenset()
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
        driver = GraphDatabase.driver(uri, auth=(user, settings.neo4j_password))
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
        return cls(driver, settings.neo4j_database, uri=uri,
                   writers=settings.neo4j_writers)

    # -- plumbing ----------------------------------------------------------------------
    def _read(self, name: str, params: Mapping[str, Any] | None = None, /,
              **names: str) -> list[dict[str, Any]]:
        query = load_cypher(name, **names)
        try:
            records, _summary, _keys = self._driver.execute_query(
                query, dict(params or {}), database_=self._database,
                routing_=RoutingControl.READ,
            )
        except ServiceUnavailable as exc:
            raise StoreUnavailableError(f"lost Neo4j at {self._uri}: {START_HINT}",
                                        query=name) from exc
        except Neo4jError as exc:
            raise StoreError(f"Neo4j refused a read: {exc.message}", query=name) from exc
        return [record.data() for record in records]

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

    def _write(self, name: str, work: Callable[[ManagedTransaction], None]) -> None:
        try:
            with self._driver.session(database=self._database) as session:
                session.execute_write(work)
        except ServiceUnavailable as exc:
            raise StoreUnavailableError(f"lost Neo4j at {self._uri}: {START_HINT}",
                                        query=name) from exc

    def _ensure_schema(self) -> None:
        statements = [
            load_cypher("schema/create_node_constraint", name=f"{label.value.lower()}_{key}",
                        label=label.value, key=key)
            for label, (_entity, key) in NODE_SOURCES.items()
        ] + [load_cypher(name) for name in _SCHEMA_STATEMENTS]
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

    def describe(self) -> str:
        return f"Neo4j store at {self._uri} (database {self._database})"

    def write_concurrency(self, entity: str) -> int:
        # Identifier batches MERGE the same shared identifier nodes, so parallel batches there
        # deadlock and retry more than they gain; the driver retries the others' rare
        # deadlocks (two batches creating relationships on one dense node) with backoff.
        return self._writers if entity in _KEYED_ENTITIES else 1

    def delete_everything(self) -> None:
        """Empty the database (tests, and a user's explicit reset), in bounded batches."""
        for name in ("admin/delete_relationships_batch", "admin/delete_batch"):
            query = load_cypher(name)
            while True:
                records, _, _ = self._driver.execute_query(query, batch=20_000,
                                                           database_=self._database)
                if records[0]["deleted"] == 0:
                    break

    def close(self) -> None:
        if self._owns_driver:
            self._driver.close()

    def __enter__(self) -> Neo4jGraphStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

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

    def _write_nodes(self, tx: ManagedTransaction, entity: str, rows: pd.DataFrame) -> None:
        """New nodes are CREATEd, known ones MERGEd (which may move their relationships).

        Why split: a first load is all new rows, and CREATE skips the per-row search MERGE
        does. The existence check runs in the same transaction as the writes.
        """
        spec = ENTITY_BY_NAME[entity]
        key = spec.key[0]
        assert spec.label is not None
        existing = set() if entity in self._empty_at_load_start else {r["id"] for r in tx.run(
            load_cypher("load/existing_nodes", label=spec.label.value, key=key),
            ids=rows[key].tolist())}
        known = rows[key].isin(existing) if existing else pd.Series(False, index=rows.index)
        for new, part in ((True, rows[~known]), (False, rows[known])):
            if not part.empty:
                tx.run(self._node_statement(entity, new),
                       rows=_plain_rows(part, spec.column_names)).consume()

    def _write_rows(self, tx: ManagedTransaction, entity: str, rows: pd.DataFrame) -> None:
        spec = ENTITY_BY_NAME[entity]
        if entity == "transactions":
            self._write_transfers(tx, rows)
        elif entity == "identifiers":
            columns = spec.column_names + ["identifier_id", "raw_value"]
            tx.run(load_cypher("load/merge_identifiers"), rows=_plain_rows(rows, columns)
                   ).consume()
        elif entity == "account_holders":
            tx.run(load_cypher("load/merge_account_holders"),
                   rows=_plain_rows(rows, spec.column_names)).consume()
        elif entity == "customer_features":
            tx.run(load_cypher("load/merge_customer_features"),
                   rows=_plain_rows(rows, spec.column_names)).consume()
        else:
            self._write_nodes(tx, entity, rows)

    def _write_transfers(self, tx: ManagedTransaction, rows: pd.DataFrame) -> None:
        """New transactions are CREATEd, known ones MERGEd (which may move them).

        Why split: a first load is all new rows, and CREATE skips the per-row search for an
        existing relationship that MERGE must do. The check runs in the same transaction.
        """
        ids = rows["transaction_id"].tolist()
        existing = set() if "transactions" in self._empty_at_load_start else {
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

    def upsert(
        self, entity: str, rows: pd.DataFrame, *, checkpoint: BatchCheckpoint | None = None
    ) -> int:
        ENTITY_BY_NAME[entity]  # KeyError for an unknown entity, before any write
        record_batch = load_cypher("load/record_batch")

        def work(tx: ManagedTransaction) -> None:
            if not rows.empty:
                self._write_rows(tx, entity, rows)
            if checkpoint is not None:
                tx.run(record_batch, load_id=checkpoint.load_id, source=checkpoint.source,
                       batch_index=checkpoint.batch_index, rows=len(rows)).consume()

        try:
            self._write(f"upsert_{entity}", work)
        except ConstraintError as exc:
            raise StoreError(
                f"{entity}: a row breaks a uniqueness rule in Neo4j: {exc.message}"
                + _offending_row(rows, exc.message or ""),
                query=f"upsert_{entity}",
            ) from exc
        except ClientError as exc:
            raise StoreError(f"writing {len(rows)} {entity} rows failed: {exc.message}",
                             query=f"upsert_{entity}") from exc
        return len(rows)

    def begin_load(self, load_id: str, sources: Mapping[str, str]) -> None:
        """Record the load, and note which entities are still empty.

        Why: validated rows of one load have unique keys, so rows of an entity that was
        empty when the load began cannot exist yet and are CREATEd without asking. A resumed
        load finds the entity non-empty and checks row by row again.
        """
        counts = self.counts()
        self._empty_at_load_start = frozenset(
            entity for entity in _KEYED_ENTITIES if counts.get(entity) == 0)
        query = load_cypher("load/begin_load")
        self._write("begin_load", lambda tx: tx.run(
            query, load_id=load_id, started_at=_now(), sources=json.dumps(dict(sources))
        ).consume())

    def finish_load(self, load_id: str, summary: Mapping[str, Any]) -> None:
        self._empty_at_load_start = frozenset()
        query = load_cypher("load/finish_load")
        self._write("finish_load", lambda tx: tx.run(
            query, load_id=load_id, finished_at=_now(),
            summary=json.dumps(dict(summary), default=str),
        ).consume())

    def completed_batches(self, load_id: str) -> set[tuple[str, int]]:
        rows = self._read("load/completed_batches", {"load_id": load_id})
        return {(row["source"], int(row["batch_index"])) for row in rows}

    def loads(self) -> pd.DataFrame:
        return pd.DataFrame(self._read("read/list_loads"),
                            columns=["load_id", "started_at", "finished_at", "status", "summary"])

    def existing_ids(self, entity: str) -> set[str]:
        spec = ENTITY_BY_NAME[entity]
        if len(spec.key) != 1:
            raise ValueError(f"{entity} has a composite key; it has no single id")
        if entity == "transactions":
            rows = self._read("read/transaction_ids")
        else:
            label = spec.label
            assert label is not None
            rows = self._read("read/node_ids", label=label.value, key=spec.key[0])
        return {row["id"] for row in rows}

    # -- reading -----------------------------------------------------------------------
    def _count_nodes(self, label: NodeLabel) -> int:
        return int(self._read("read/count_nodes", label=label.value)[0]["n"])

    def _count_relationships(self, rel: RelType, with_role: bool | None) -> int:
        rows = self._read("read/count_relationships", {"with_role": with_role}, type=rel.value)
        return int(rows[0]["n"])

    def counts(self) -> dict[str, int]:
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

    def get_node(self, ref: NodeRef) -> GraphNode:
        records = self._fetch_nodes(ref.label, [ref.id])
        if ref.id not in records:
            raise NotFoundError(ref.label.value, ref.id)
        return GraphNode(ref, records[ref.id])

    def _adjacent(self, frontier: dict[NodeLabel, list[str]]) -> list[Edge]:
        types = [rel.value for rel in RelType]
        found: list[Edge] = []
        for label, ids in frontier.items():
            rows = self._read("read/adjacent", {"ids": ids, "types": types, "keys": _KEYS},
                              label=label.value, key=_KEYS[label.value])
            for row in rows:
                here = NodeRef(label, row["id"])
                other = NodeRef(NodeLabel(row["other_label"]), row["other_id"])
                start, end = (here, other) if row["outgoing"] else (other, here)
                rel_type = RelType(row["type"])
                props: tuple[tuple[str, Any], ...] = ()
                if rel_type is RelType.TRANSFERRED:
                    props = (("total_amount", row["total_amount"]),
                             ("transactions", row["relationships"]))
                elif row["role"] is not None:
                    props = (("role", row["role"]),)
                found.append((rel_type, start, end, props))
        return found

    def neighbourhood(self, centre: NodeRef, hops: int = 2, limit: int = 500) -> Subgraph:
        self.get_node(centre)
        return expand_neighbourhood(centre, hops, limit, self._adjacent, self._fetch_nodes)

    def shortest_path(self, start: NodeRef, end: NodeRef, max_hops: int = 6) -> GraphPath | None:
        self.get_node(start)
        self.get_node(end)
        return find_shortest_path(start, end, max_hops, self._adjacent)

    def _paged(self, name: str, columns: list[str], /, **names: str) -> list[list[Any]]:
        """Every row of a keyset-paged snapshot statement, one page in memory at a time.

        Each page comes back as one record holding a list of value lists (in ``columns``
        order): the driver builds a record or a map per row far more slowly than a list.
        """
        rows: list[list[Any]] = []
        after = ""
        while True:
            page = self._read(name, {"after": after, "page": self._page_size,
                                     "columns": columns}, **names)[0]
            rows.extend(page["rows"])
            if page["n"] < self._page_size:
                return rows
            after = page["last_key"]

    def snapshot(self) -> GraphSnapshot:
        frames: dict[str, pd.DataFrame] = {}
        for spec in ENTITIES:
            columns = spec.column_names
            if spec.name in _NODE_ENTITY_NAMES:
                assert spec.label is not None
                rows = self._paged("snapshot/page_nodes", columns, label=spec.label.value,
                                   key=spec.key[0])
            elif spec.name == "identifiers":
                columns = columns + ["identifier_id", "raw_value"]
                rows = self._paged("snapshot/page_identifiers", columns)
            elif spec.name == "account_holders":
                rows = self._paged("snapshot/page_account_holders", columns)
            elif spec.name == "customer_features":
                rows = self._paged("snapshot/page_customer_features", columns)
            else:
                rows = self._paged("snapshot/page_transactions", columns)
            frame = pd.DataFrame(rows, columns=columns) if rows else pd.DataFrame(
                columns=columns)
            key = ["customer_id", "identifier_id"] if spec.name == "identifiers" else list(
                spec.key)
            frames[spec.name] = frame.sort_values(key, ignore_index=True)
        return GraphSnapshot(**frames)

    def consistency_problems(self) -> list[str]:
        counts = self._read("read/consistency_counts")[0]
        return [f"{n} {name.replace('_', ' ')}" for name, n in counts.items() if n]

    # -- results -----------------------------------------------------------------------
    def write_scores(
        self, run_id: str, kind: str, params: Mapping[str, Any], scores: pd.DataFrame
    ) -> None:
        missing = {"customer_id", "score", "tier", "reasons"} - set(scores.columns)
        if missing:
            raise ValueError(f"scores lack columns: {sorted(missing)}")
        clean = scores[scores["score"].notna()]
        rows = [
            {"customer_id": str(c), "score": float(s), "tier": str(t),
             "reasons": [str(r) for r in reasons]}
            for c, s, t, reasons in clean[["customer_id", "score", "tier", "reasons"]]
            .itertuples(index=False, name=None)
        ]
        run_query, scores_query = load_cypher("scores/merge_score_run"), load_cypher(
            "scores/write_scores")

        def work(tx: ManagedTransaction) -> None:
            tx.run(run_query, run_id=run_id, created_at=_now(), kind=kind,
                   params=json.dumps(dict(params), default=str)).consume()
            tx.run(scores_query, run_id=run_id, rows=rows).consume()

        self._write("write_scores", work)

    def score_history(self, customer_id: str) -> pd.DataFrame:
        rows = self._read("scores/score_history", {"customer_id": customer_id})
        return pd.DataFrame(rows, columns=["run_id", "created_at", "kind", "score", "tier",
                                           "reasons"])


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
