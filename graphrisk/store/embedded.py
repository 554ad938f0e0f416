"""The embedded default store: a real, persistent, transactional SQLite database.

Why SQLite: it ships with Python, needs no server, survives restarts, and in WAL mode gives
atomic batches that a killed process cannot leave half-written. The graph is kept as one table
per entity (the relationship rows of :data:`graphrisk.domain.RELATIONSHIPS` are foreign-key
columns on those tables), which is also the shape analytics want for their snapshot.
"""

from __future__ import annotations

import json
import logging
import math
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

from graphrisk.domain import (
    ENTITIES,
    ENTITY_BY_NAME,
    NODE_SOURCES,
    RELATIONSHIPS,
    Column,
    EntitySpec,
    NodeLabel,
    RelType,
)
from graphrisk.errors import NotFoundError, StoreError, StoreUnavailableError
from graphrisk.store.base import (
    BatchCheckpoint,
    GraphNode,
    GraphPath,
    GraphSnapshot,
    NodeRef,
    Subgraph,
    chunked,
    python_columns,
)
from graphrisk.store.traversal import expand_neighbourhood, find_shortest_path

__all__ = ["EmbeddedGraphStore", "SCHEMA_VERSION"]

logger = logging.getLogger(__name__)

#: Bumped whenever the table layout changes; a newer file is refused, an older one migrated.
#: Version 2 added ``customer_features``; a version-1 file gets the (empty) table on opening,
#: since every table is created ``IF NOT EXISTS``.
SCHEMA_VERSION = 2

_SQL_TYPES = {"int": "INTEGER", "float": "REAL"}
#: Extra columns the store keeps beyond the input format.
_EXTRA_COLUMNS: dict[str, tuple[str, ...]] = {"identifiers": ("identifier_id", "raw_value")}
#: Primary keys that differ from the input key (identifiers are keyed by their node id).
_PRIMARY_KEYS: dict[str, tuple[str, ...]] = {"identifiers": ("customer_id", "identifier_id")}
_IN_CHUNK = 500


def _column_sql(column: Column) -> str:
    return f"{column.name} {_SQL_TYPES.get(column.kind, 'TEXT')}"


def _table_columns(spec: EntitySpec) -> list[str]:
    return spec.column_names + list(_EXTRA_COLUMNS.get(spec.name, ()))


def _primary_key(spec: EntitySpec) -> tuple[str, ...]:
    return _PRIMARY_KEYS.get(spec.name, spec.key)


class _Index(NamedTuple):
    table: str
    name: str
    create: str


def _secondary_indexes() -> list[_Index]:
    """One index for each relationship end that is not a primary key.

    Partial (``WHERE column IS NOT NULL``): a transaction fills only one of its two source
    and two target columns, so this halves the index entries a load must write.
    """
    ends = {
        (rel.entity, column)
        for rel in RELATIONSHIPS
        for column in (rel.start_column, rel.end_column)
        if column != _primary_key(ENTITY_BY_NAME[rel.entity])[0]
    }
    return [
        _Index(entity, f"ix_{entity}_{column}",
               f"CREATE INDEX IF NOT EXISTS ix_{entity}_{column} ON {entity} ({column}) "
               f"WHERE {column} IS NOT NULL")
        for entity, column in sorted(ends)
    ]


def _create_statements() -> list[str]:
    statements = []
    for spec in ENTITIES:
        columns = [_column_sql(c) for c in spec.columns]
        columns += [f"{name} TEXT" for name in _EXTRA_COLUMNS.get(spec.name, ())]
        key = ", ".join(_primary_key(spec))
        statements.append(
            f"CREATE TABLE IF NOT EXISTS {spec.name} ({', '.join(columns)}, PRIMARY KEY ({key}))"
            " WITHOUT ROWID"
        )
    statements += [
        # Identifier nodes are derived from the links, so they can never disagree with them.
        "CREATE VIEW IF NOT EXISTS identifier_nodes AS SELECT identifier_id, MIN(kind) AS kind,"
        " MIN(value) AS value FROM identifiers GROUP BY identifier_id",
        "CREATE TABLE IF NOT EXISTS loads (load_id TEXT PRIMARY KEY, started_at TEXT,"
        " finished_at TEXT, status TEXT, sources TEXT, summary TEXT)",
        "CREATE TABLE IF NOT EXISTS load_batches (load_id TEXT, source TEXT, batch_index INTEGER,"
        " rows INTEGER, committed_at TEXT, PRIMARY KEY (load_id, source, batch_index))",
        "CREATE TABLE IF NOT EXISTS score_runs (run_id TEXT PRIMARY KEY, created_at TEXT,"
        " kind TEXT, params TEXT)",
        "CREATE TABLE IF NOT EXISTS customer_scores (run_id TEXT, customer_id TEXT, score REAL,"
        " tier TEXT, reasons TEXT, PRIMARY KEY (run_id, customer_id)) WITHOUT ROWID",
    ]
    statements += [index.create for index in _secondary_indexes()]
    statements.append(
        "CREATE INDEX IF NOT EXISTS ix_customer_scores_customer ON customer_scores (customer_id)"
    )
    return statements


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _to_records(frame: pd.DataFrame, columns: list[str]) -> list[tuple[Any, ...]]:
    """Rows as tuples of plain Python values, missing values as ``None``."""
    if frame.empty:
        return []
    return list(zip(*python_columns(frame, columns), strict=True))


class EmbeddedGraphStore:
    """The embedded default store (SQLite, WAL mode) behind the :class:`GraphStore` protocol.

    Args:
        path: the database file; its folder is created. Opening an existing file keeps its data.
    """

    kind = "embedded"
    preferred_batch_size = 20_000

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(self.path, isolation_level=None, timeout=30.0)
        except (OSError, sqlite3.Error) as exc:
            raise StoreUnavailableError(
                f"cannot open the embedded store at {self.path}: {exc}; check GRAPHRISK_HOME "
                "points at a writable folder"
            ) from exc
        self._conn.execute("PRAGMA journal_mode=WAL")
        # NORMAL is durable against a killed process in WAL mode (only a power cut can lose
        # the last commits, never corrupt the file).
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA foreign_keys=OFF")
        self._conn.execute("PRAGMA cache_size=-200000")
        # Checkpoint the WAL every ~200 MB rather than every 4 MB: bulk loads write less twice.
        self._conn.execute("PRAGMA wal_autocheckpoint=50000")
        self._migrate()

    # -- housekeeping ------------------------------------------------------------------
    def _migrate(self) -> None:
        version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreUnavailableError(
                f"the embedded store at {self.path} has schema version {version}, newer than "
                f"this GraphRisk ({SCHEMA_VERSION}); upgrade GraphRisk or use another "
                "GRAPHRISK_HOME"
            )
        with self._transaction():
            for statement in _create_statements():
                self._conn.execute(statement)
            self._conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        else:
            self._conn.execute("COMMIT")

    def describe(self) -> str:
        return f"embedded store at {self.path}"

    def write_concurrency(self, entity: str) -> int:
        return 1  # SQLite has a single writer

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> EmbeddedGraphStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- loading -----------------------------------------------------------------------
    def upsert(
        self, entity: str, rows: pd.DataFrame, *, checkpoint: BatchCheckpoint | None = None
    ) -> int:
        spec = ENTITY_BY_NAME[entity]
        columns = _table_columns(spec)
        key = _primary_key(spec)
        updates = [c for c in columns if c not in key]
        statement = (
            f"INSERT INTO {entity} ({', '.join(columns)}) VALUES "
            f"({', '.join('?' for _ in columns)}) ON CONFLICT ({', '.join(key)}) DO UPDATE SET "
            + ", ".join(f"{c}=excluded.{c}" for c in updates)
        )
        records = _to_records(rows, columns)
        try:
            with self._transaction() as conn:
                conn.executemany(statement, records)
                if checkpoint is not None:
                    conn.execute(
                        "INSERT OR REPLACE INTO load_batches VALUES (?, ?, ?, ?, ?)",
                        (checkpoint.load_id, checkpoint.source, checkpoint.batch_index,
                         len(records), _now()),
                    )
        except sqlite3.Error as exc:
            raise StoreError(f"writing {len(records)} {entity} rows failed: {exc}",
                             query=f"upsert_{entity}") from exc
        return len(records)

    def begin_load(self, load_id: str, sources: Mapping[str, str]) -> None:
        """Record the load; drop the secondary indexes of tables that are still empty.

        Why: building an index once after a bulk load is several times faster than keeping
        it up to date row by row. :meth:`finish_load` rebuilds them, and so does opening the
        store after a crash, so queries never run without them for long.
        """
        indexes = _secondary_indexes()
        empty = {
            table for table in {index.table for index in indexes}
            if self._conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() is None
        }
        with self._transaction() as conn:
            for index in indexes:
                if index.table in empty:
                    conn.execute(f"DROP INDEX IF EXISTS {index.name}")
            conn.execute(
                "INSERT INTO loads (load_id, started_at, status, sources) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (load_id) DO UPDATE SET status=CASE WHEN loads.status='completed' "
                "THEN 'completed' ELSE 'running' END",
                (load_id, _now(), "running", json.dumps(dict(sources))),
            )

    def finish_load(self, load_id: str, summary: Mapping[str, Any]) -> None:
        with self._transaction() as conn:
            for index in _secondary_indexes():
                conn.execute(index.create)
            conn.execute(
                "UPDATE loads SET finished_at=?, status='completed', summary=? WHERE load_id=?",
                (_now(), json.dumps(dict(summary), default=str), load_id),
            )
        self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def completed_batches(self, load_id: str) -> set[tuple[str, int]]:
        rows = self._conn.execute(
            "SELECT source, batch_index FROM load_batches WHERE load_id=?", (load_id,)
        ).fetchall()
        return {(source, int(index)) for source, index in rows}

    def loads(self) -> pd.DataFrame:
        return pd.read_sql_query(
            "SELECT load_id, started_at, finished_at, status, summary FROM loads "
            "ORDER BY started_at", self._conn,
        )

    def existing_ids(self, entity: str) -> set[str]:
        spec = ENTITY_BY_NAME[entity]
        if len(spec.key) != 1:
            raise ValueError(f"{entity} has a composite key; it has no single id")
        return {row[0] for row in self._conn.execute(f"SELECT {spec.key[0]} FROM {entity}")}

    # -- reading -----------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        tables = [spec.name for spec in ENTITIES] + ["identifier_nodes"]
        return {
            table: self._conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in tables
        }

    def _fetch_nodes(self, label: NodeLabel, ids: list[str]) -> dict[str, dict[str, Any]]:
        table, id_column = NODE_SOURCES[label]
        if label is NodeLabel.IDENTIFIER:  # nodes derived from the link rows
            select = ("SELECT identifier_id, MIN(kind) AS kind, MIN(value) AS value FROM "
                      "identifiers WHERE identifier_id IN ({}) AND identifier_id IS NOT NULL "
                      "GROUP BY identifier_id")
        else:
            select = f"SELECT * FROM {table} WHERE {id_column} IN ({{}})"
        found: dict[str, dict[str, Any]] = {}
        for chunk in chunked(ids, _IN_CHUNK):
            cursor = self._conn.execute(select.format(",".join("?" * len(chunk))), chunk)
            names = [d[0] for d in cursor.description]
            for row in cursor:
                record = {k: v for k, v in zip(names, row, strict=True) if v is not None}
                found[record[id_column]] = record
        return found

    def get_node(self, ref: NodeRef) -> GraphNode:
        records = self._fetch_nodes(ref.label, [ref.id])
        if ref.id not in records:
            raise NotFoundError(ref.label.value, ref.id)
        return GraphNode(ref, records[ref.id])

    def _adjacent(
        self, frontier: dict[NodeLabel, list[str]]
    ) -> list[tuple[RelType, NodeRef, NodeRef, tuple[tuple[str, Any], ...]]]:
        """Every relationship touching a frontier node, in both directions."""
        found = []
        for rel in RELATIONSHIPS:
            for side_label, side_column in (
                (rel.start_label, rel.start_column), (rel.end_label, rel.end_column)
            ):
                ids = frontier.get(side_label)
                if not ids:
                    continue
                extra = ", ".join(rel.properties)
                if rel.type is RelType.TRANSFERRED:
                    select = "COUNT(*), ROUND(SUM(amount), 2)"
                    group = f" GROUP BY {rel.start_column}, {rel.end_column}"
                else:
                    select, group = (extra or "NULL"), ""
                for chunk in chunked(ids, _IN_CHUNK):
                    sql = (
                        f"SELECT {rel.start_column}, {rel.end_column}, {select} "
                        f"FROM {rel.entity} WHERE {side_column} IN "
                        f"({','.join('?' * len(chunk))}) AND {rel.start_column} IS NOT NULL "
                        f"AND {rel.end_column} IS NOT NULL{group}"
                    )
                    for row in self._conn.execute(sql, chunk):
                        start = NodeRef(rel.start_label, row[0])
                        end = NodeRef(rel.end_label, row[1])
                        if rel.type is RelType.TRANSFERRED:
                            props: tuple[tuple[str, Any], ...] = (
                                ("total_amount", row[3]), ("transactions", row[2]),
                            )
                        elif rel.properties:
                            props = tuple(zip(rel.properties, row[2:], strict=True))
                        else:
                            props = ()
                        found.append((rel.type, start, end, props))
        return found

    def neighbourhood(self, centre: NodeRef, hops: int = 2, limit: int = 500) -> Subgraph:
        self.get_node(centre)  # raises NotFoundError for an unknown centre
        return expand_neighbourhood(centre, hops, limit, self._adjacent, self._fetch_nodes)

    def shortest_path(self, start: NodeRef, end: NodeRef, max_hops: int = 6) -> GraphPath | None:
        self.get_node(start)
        self.get_node(end)
        return find_shortest_path(start, end, max_hops, self._adjacent)

    def snapshot(self) -> GraphSnapshot:
        frames = {
            spec.name: pd.read_sql_query(
                f"SELECT {', '.join(_table_columns(spec))} FROM {spec.name} "
                f"ORDER BY {', '.join(_primary_key(spec))}",
                self._conn,
            )
            for spec in ENTITIES
        }
        return GraphSnapshot(**frames)

    def consistency_problems(self) -> list[str]:
        problems = []
        status = self._conn.execute("PRAGMA quick_check").fetchone()[0]
        if status != "ok":
            problems.append(f"SQLite quick_check: {status}")
        for spec in ENTITIES:
            for column in spec.columns:
                if not column.references:
                    continue
                target = ENTITY_BY_NAME[column.references]
                (dangling,) = self._conn.execute(
                    f"SELECT COUNT(*) FROM {spec.name} s WHERE s.{column.name} IS NOT NULL AND "
                    f"NOT EXISTS (SELECT 1 FROM {target.name} t WHERE t.{target.key[0]} = "
                    f"s.{column.name})"
                ).fetchone()
                if dangling:
                    problems.append(
                        f"{dangling} {spec.name} rows name a {column.name} that is not in "
                        f"{target.name}"
                    )
        return problems

    # -- results -----------------------------------------------------------------------
    def write_scores(
        self, run_id: str, kind: str, params: Mapping[str, Any], scores: pd.DataFrame
    ) -> None:
        missing = {"customer_id", "score", "tier", "reasons"} - set(scores.columns)
        if missing:
            raise ValueError(f"scores lack columns: {sorted(missing)}")
        records = [
            (run_id, cid, float(score), str(tier), json.dumps(list(reasons)))
            for cid, score, tier, reasons in scores[
                ["customer_id", "score", "tier", "reasons"]
            ].itertuples(index=False, name=None)
            if not (isinstance(score, float) and math.isnan(score))
        ]
        with self._transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO score_runs VALUES (?, ?, ?, ?)",
                (run_id, _now(), kind, json.dumps(dict(params), default=str)),
            )
            conn.executemany("INSERT OR REPLACE INTO customer_scores VALUES (?, ?, ?, ?, ?)",
                             records)

    def score_history(self, customer_id: str) -> pd.DataFrame:
        frame = pd.read_sql_query(
            "SELECT r.run_id, r.created_at, r.kind, s.score, s.tier, s.reasons "
            "FROM customer_scores s JOIN score_runs r USING (run_id) WHERE s.customer_id = ? "
            "ORDER BY r.created_at DESC, r.run_id DESC",
            self._conn, params=(customer_id,),
        )
        frame["reasons"] = frame["reasons"].map(json.loads)
        return frame
