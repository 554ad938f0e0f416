"""The embedded default store: a real, persistent, transactional SQLite database.

Why SQLite: it ships with Python, needs no server, survives restarts, and in WAL mode gives
atomic batches that a killed process cannot leave half-written. The graph is kept as one table
per entity (the relationship rows of :data:`graphrisk.domain.RELATIONSHIPS` are foreign-key
columns on those tables), which is also the shape analytics want for their snapshot.

Threads: a web server calls one store from many worker threads. A SQLite connection must
not be used by two threads at once, so each thread gets a connection of its own
(:class:`_ConnectionPerThread`); WAL mode lets their reads run beside one writer, and writers
queue on SQLite's lock (``BEGIN IMMEDIATE`` with a busy timeout). Opening a database whose
schema is up to date only reads: it takes no write lock, so it never waits for a load that
another process is running.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

from graphrisk.config import StoreKind
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
from graphrisk.errors import StoreError, StoreUnavailableError
from graphrisk.store.base import (
    TIMED_RELATIONSHIPS,
    AdjacencyFilter,
    BatchCheckpoint,
    CustomerSearch,
    GraphStore,
    NodeRef,
    ScoreRow,
    ScoreRun,
    chunked,
    python_columns,
    stored_columns,
    stored_key,
    transfer_time,
    utc_now,
)
from graphrisk.store.frames import joined_chunks
from graphrisk.store.traversal import Edge

__all__ = ["EmbeddedGraphStore", "SCHEMA_VERSION"]

logger = logging.getLogger(__name__)

#: Bumped whenever the table layout changes; a newer file is refused, an older one migrated.
#: Version 2 added ``customer_features``; a version-1 file gets the (empty) table on opening,
#: since every table is created ``IF NOT EXISTS``. Version 3 added ``records``, the
#: append-only ``audit_log`` and the ``components`` column of ``customer_scores`` (added to an
#: older file's table on opening). Version 4 added the accused columns of ``disputes``
#: (``against_customer_id``, ``against_counterparty_id``, empty in an older file's rows).
SCHEMA_VERSION = 4
#: Columns added to an entity table after it was first made: ``ALTER TABLE``d into an older
#: file's table on opening, before the indexes on them are created.
_ADDED_COLUMNS: dict[str, tuple[str, ...]] = {
    "disputes": ("against_customer_id", "against_counterparty_id"),
}

_SQL_TYPES = {"int": "INTEGER", "float": "REAL"}
_IN_CHUNK = 500
#: Rows a snapshot reads from a table at a time (see ``_entity_frame``).
_SNAPSHOT_CHUNK_ROWS = 100_000
#: Scores are written this many rows per transaction, with a pause between, so that a
#: re-assessment of 100,000 customers never holds the write lock for a second while the
#: API waits to append to the audit trail.
_SCORE_CHUNK = 2_000
_SCORE_PAUSE_S = 0.005
#: Tables that are not entities: load bookkeeping, scores and records.
_BOOKKEEPING_TABLES = ("loads", "load_batches", "score_runs", "customer_scores", "records",
                       "same_entity_links", "counterparty_entity_links")
#: The columns of ``records``, in the order the record primitives return them.
_RECORD_COLUMNS = "kind, key, version, subject, status, body, created_at, updated_at"
_AUDIT_COLUMNS = "seq, at, actor, action, subject, details"
#: Triggers that make ``audit_log`` append-only (dropped and re-made only by
#: ``delete_everything``, in its transaction).
_AUDIT_GUARDS: tuple[tuple[str, str], ...] = tuple(
    (f"audit_log_no_{verb.lower()}",
     f"CREATE TRIGGER IF NOT EXISTS audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
     "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END")
    for verb in ("UPDATE", "DELETE")
)


def _column_sql(column: Column) -> str:
    return f"{column.name} {_SQL_TYPES.get(column.kind, 'TEXT')}"


class _Index(NamedTuple):
    table: str
    name: str
    create: str


class _SchemaObject(NamedTuple):
    """A table, view or index of the schema: its name and the statement that creates it."""

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
        if column != stored_key(ENTITY_BY_NAME[rel.entity])[0]
    }
    return [
        _Index(entity, f"ix_{entity}_{column}",
               f"CREATE INDEX IF NOT EXISTS ix_{entity}_{column} ON {entity} ({column}) "
               f"WHERE {column} IS NOT NULL")
        for entity, column in sorted(ends)
    ]


def _schema() -> list[_SchemaObject]:
    """Every table, view and index of the current schema version, in creation order."""
    objects = []
    for spec in ENTITIES:
        columns = [_column_sql(c) for c in spec.columns]
        columns += [f"{name} TEXT" for name in stored_columns(spec)[len(spec.columns):]]
        key = ", ".join(stored_key(spec))
        objects.append(_SchemaObject(spec.name, (
            f"CREATE TABLE IF NOT EXISTS {spec.name} ({', '.join(columns)}, PRIMARY KEY ({key}))"
            " WITHOUT ROWID")))
    objects += [
        # Identifier nodes are derived from the links, so they can never disagree with them.
        _SchemaObject("identifier_nodes", (
            "CREATE VIEW IF NOT EXISTS identifier_nodes AS SELECT identifier_id, MIN(kind) AS "
            "kind, MIN(value) AS value FROM identifiers GROUP BY identifier_id")),
        _SchemaObject("loads", (
            "CREATE TABLE IF NOT EXISTS loads (load_id TEXT PRIMARY KEY, started_at TEXT,"
            " finished_at TEXT, status TEXT, sources TEXT, summary TEXT)")),
        _SchemaObject("load_batches", (
            "CREATE TABLE IF NOT EXISTS load_batches (load_id TEXT, source TEXT, batch_index "
            "INTEGER, rows INTEGER, committed_at TEXT, PRIMARY KEY (load_id, source, "
            "batch_index))")),
        _SchemaObject("score_runs", (
            "CREATE TABLE IF NOT EXISTS score_runs (run_id TEXT PRIMARY KEY, created_at TEXT,"
            " kind TEXT, params TEXT)")),
        _SchemaObject("customer_scores", (
            "CREATE TABLE IF NOT EXISTS customer_scores (run_id TEXT, customer_id TEXT, score "
            "REAL, tier TEXT, reasons TEXT, components TEXT, PRIMARY KEY (run_id, customer_id))"
            " WITHOUT ROWID")),
        # Probable same-person links (graphrisk.resolution), replaced as a whole by each
        # resolution run or decision; the smaller customer id first.
        _SchemaObject("same_entity_links", (
            "CREATE TABLE IF NOT EXISTS same_entity_links (customer_id_a TEXT NOT NULL, "
            "customer_id_b TEXT NOT NULL, pair_id TEXT NOT NULL, probability REAL NOT NULL, "
            "sentence TEXT, PRIMARY KEY (customer_id_a, customer_id_b)) WITHOUT ROWID")),
        _SchemaObject("ix_same_entity_links_b", (
            "CREATE INDEX IF NOT EXISTS ix_same_entity_links_b ON same_entity_links "
            "(customer_id_b)")),
        # Counterparties that are probably customers (graphrisk.resolution), replaced as a
        # whole like the same-person links.
        _SchemaObject("counterparty_entity_links", (
            "CREATE TABLE IF NOT EXISTS counterparty_entity_links (counterparty_id TEXT NOT "
            "NULL, customer_id TEXT NOT NULL, pair_id TEXT NOT NULL, probability REAL NOT "
            "NULL, sentence TEXT, PRIMARY KEY (counterparty_id, customer_id)) WITHOUT ROWID")),
        _SchemaObject("ix_counterparty_entity_links_customer", (
            "CREATE INDEX IF NOT EXISTS ix_counterparty_entity_links_customer ON "
            "counterparty_entity_links (customer_id)")),
        _SchemaObject("records", (
            "CREATE TABLE IF NOT EXISTS records (kind TEXT NOT NULL, key TEXT NOT NULL, version "
            "INTEGER NOT NULL, subject TEXT, status TEXT, body TEXT NOT NULL, created_at TEXT, "
            "updated_at TEXT, PRIMARY KEY (kind, key)) WITHOUT ROWID")),
        _SchemaObject("ix_records_subject", (
            "CREATE INDEX IF NOT EXISTS ix_records_subject ON records (kind, subject)")),
        _SchemaObject("ix_records_status", (
            "CREATE INDEX IF NOT EXISTS ix_records_status ON records (kind, status)")),
        # seq is the rowid: the next number on insert, and never reused, as no row is ever
        # deleted (the triggers below) except by delete_everything, which starts again at 1.
        _SchemaObject("audit_log", (
            "CREATE TABLE IF NOT EXISTS audit_log (seq INTEGER PRIMARY KEY, at TEXT NOT NULL, "
            "actor TEXT NOT NULL, action TEXT NOT NULL, subject TEXT, details TEXT)")),
        _SchemaObject("ix_audit_log_subject", (
            "CREATE INDEX IF NOT EXISTS ix_audit_log_subject ON audit_log (subject)")),
        *(_SchemaObject(name, create) for name, create in _AUDIT_GUARDS),
    ]
    objects += [_SchemaObject(index.name, index.create) for index in _secondary_indexes()]
    objects.append(_SchemaObject("ix_customer_scores_customer", (
        "CREATE INDEX IF NOT EXISTS ix_customer_scores_customer ON customer_scores "
        "(customer_id)")))
    # Customer search (search_customers) reads every id and name: this index holds just
    # those two (the table's key rides along), a fraction of the table's pages. A file made
    # before it gets it on opening, like every object missing from the schema.
    objects.append(_SchemaObject("ix_customers_name", (
        "CREATE INDEX IF NOT EXISTS ix_customers_name ON customers (name)")))
    return objects


def _like_escape(text: str) -> str:
    """``text`` matched literally by ``LIKE ... ESCAPE '\\'`` (its ``%`` and ``_`` escaped)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _lower(text: object) -> str | None:
    """``str.lower`` for SQL (``graphrisk_lower``); ``NULL`` stays ``NULL``."""
    return text.lower() if isinstance(text, str) else None


def _to_records(frame: pd.DataFrame, columns: list[str]) -> list[tuple[Any, ...]]:
    """Rows as tuples of plain Python values, missing values as ``None``."""
    if frame.empty:
        return []
    return list(zip(*python_columns(frame, columns), strict=True))


class _ConnectionPerThread:
    """One SQLite connection per thread, opened on the thread's first use, closed together.

    Why: a connection must not run statements for two threads at once, and one shared
    connection would also mix their transactions. Connections are opened with
    ``check_same_thread=False`` only so that :meth:`close_all` (and the clean-up of threads
    that have ended) may close them from another thread; apart from that, each is used by
    the thread that opened it alone. Closing an idle connection from another thread is
    allowed when SQLite is built thread-safe (``sqlite3.threadsafety`` 1 or 3, checked when
    the store opens).

    Args:
        connect: opens one connection, set up for the store.
    """

    def __init__(self, connect: Callable[[], sqlite3.Connection]) -> None:
        self._connect = connect
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: list[tuple[threading.Thread, sqlite3.Connection]] = []
        self._closed = False

    def get(self) -> sqlite3.Connection:
        """This thread's connection, opened now if it has none.

        Raises:
            StoreError: the store was closed.
        """
        if self._closed:
            raise StoreError("the embedded store is closed; open it again to use it")
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        with self._lock:
            if self._closed:
                raise StoreError("the embedded store is closed; open it again to use it")
            self._close_finished_threads()
            conn = self._connect()
            self._open.append((threading.current_thread(), conn))
        self._local.conn = conn
        return conn

    def _close_finished_threads(self) -> None:
        """Close the connections of threads that have ended (a server's short-lived ones)."""
        alive = []
        for thread, conn in self._open:
            if thread.is_alive():
                alive.append((thread, conn))
            else:
                conn.close()
        self._open = alive

    def open_count(self) -> int:
        """How many connections are open now (for tests and diagnostics)."""
        with self._lock:
            return len(self._open)

    def close_all(self) -> None:
        """Close every thread's connection; later use raises ``StoreError``."""
        with self._lock:
            self._closed = True
            connections, self._open = self._open, []
        for _thread, conn in connections:
            conn.close()


class EmbeddedGraphStore(GraphStore):
    """The embedded default store (SQLite, WAL mode): the :class:`GraphStore` primitives.

    Safe to share between threads: each thread runs its statements on a connection of its
    own (see the module docstring); :meth:`close` closes all of them, so call it once no
    other thread is still using the store (a server's shutdown).

    Args:
        path: the database file; its folder is created. Opening an existing file keeps its
            data, and migrates it when its schema is older (the only time opening writes).
        timeout: seconds a statement waits for another connection's write lock before
            failing with "database is locked".

    Raises:
        StoreUnavailableError: the file cannot be opened or created, or was written by a
            newer GraphRisk.
    """

    kind = StoreKind.EMBEDDED
    title = "embedded"
    preferred_batch_size = 20_000
    _statement_errors = (sqlite3.Error,)

    def __init__(self, path: Path, *, timeout: float = 30.0) -> None:
        super().__init__()
        if sqlite3.threadsafety == 0:  # pragma: no cover - CPython's builds are thread-safe
            raise StoreUnavailableError(
                f"this Python's SQLite {sqlite3.sqlite_version} is built single-threaded; "
                "the embedded store needs a thread-safe build")
        self.path = Path(path)
        self._timeout = timeout
        try:
            _create_private(self.path)
        except OSError as exc:
            raise self._cannot_open(exc) from exc
        self._connections = _ConnectionPerThread(self._connect)
        try:
            self._migrate()
        except BaseException:
            self._connections.close_all()
            raise

    # -- connections -------------------------------------------------------------------
    def _cannot_open(self, exc: BaseException) -> StoreUnavailableError:
        return StoreUnavailableError(
            f"cannot open the embedded store at {self.path}: {exc}; check GRAPHRISK_HOME "
            "points at a writable folder")

    def _connect(self) -> sqlite3.Connection:
        """A new connection, set up the same way for every thread."""
        try:
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=self._timeout,
                                   check_same_thread=False)
            # Reading the mode first: switching it needs an exclusive lock, and the file is
            # in WAL mode already except when it was just created.
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
            # NORMAL is durable against a killed process in WAL mode (only a power cut can
            # lose the last commits, never corrupt the file).
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=OFF")
            # An upper bound per connection (200 MB), reached only by a thread that reads or
            # writes that much: a bulk load or a snapshot.
            conn.execute("PRAGMA cache_size=-200000")
            # Checkpoint the WAL every ~200 MB rather than every 4 MB: bulk loads write less
            # twice.
            conn.execute("PRAGMA wal_autocheckpoint=50000")
            # Python's lower-casing, for the name search: SQLite's lower() folds ASCII only,
            # Neo4j's toLower() every letter, and both stores must find the same customers.
            conn.create_function("graphrisk_lower", 1, _lower, deterministic=True)
        except (OSError, sqlite3.Error) as exc:
            raise self._cannot_open(exc) from exc
        return conn

    @property
    def _conn(self) -> sqlite3.Connection:
        """The calling thread's connection."""
        return self._connections.get()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction on this thread's connection: committed, or rolled back."""
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    @contextmanager
    def _read_transaction(self) -> Iterator[None]:
        """One read transaction: its statements see one state of the file (WAL snapshot).

        Re-entrant: inside another transaction of this thread it adds nothing.
        """
        conn = self._conn
        if conn.in_transaction:
            yield
            return
        conn.execute("BEGIN")
        try:
            yield
        finally:
            if conn.in_transaction:
                conn.execute("COMMIT")

    def _reading(self) -> contextlib.AbstractContextManager[None]:
        return self._read_transaction()

    # -- housekeeping ------------------------------------------------------------------
    def _schema_version(self, conn: sqlite3.Connection) -> int:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise StoreUnavailableError(
                f"the embedded store at {self.path} has schema version {version}, newer than "
                f"this GraphRisk ({SCHEMA_VERSION}); upgrade GraphRisk or use another "
                "GRAPHRISK_HOME"
            )
        return version

    def _missing_objects(self, conn: sqlite3.Connection) -> list[_SchemaObject]:
        present = {row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view', 'index', 'trigger')")}
        return [item for item in _schema() if item.name not in present]

    @staticmethod
    def _add_missing_columns(conn: sqlite3.Connection) -> None:
        """Columns a newer version added to a table an older file has already (a table the
        file lacks is made whole by its ``CREATE TABLE``)."""
        added = {"customer_scores": {"components": "components TEXT"}} | {
            table: {name: _column_sql(ENTITY_BY_NAME[table].column(name)) for name in names}
            for table, names in _ADDED_COLUMNS.items()}
        for table, columns in added.items():
            present = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
            if not present:
                continue
            for name, definition in columns.items():
                if name not in present:
                    conn.execute(f"ALTER TABLE {table} ADD COLUMN {definition}")

    def _migrate(self) -> None:
        """Bring the schema up to date, writing only when something is missing or old.

        Why read first: every open used to take the write lock (to run ``CREATE ... IF NOT
        EXISTS``), so opening waited for any load in progress elsewhere. An up-to-date file
        is now only read. A file that needs work (new, older, or with the secondary indexes
        a crashed load dropped) is changed in one write transaction, re-checked inside it in
        case another process got there first.
        """
        conn = self._conn
        try:
            with self._read_transaction():
                version = self._schema_version(conn)
                missing = self._missing_objects(conn)
            if version == SCHEMA_VERSION and not missing:
                return
            with self._transaction():
                self._schema_version(conn)
                # Columns first: an index missing from an older file may be on one of them.
                self._add_missing_columns(conn)
                for item in self._missing_objects(conn):
                    conn.execute(item.create)
                conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except sqlite3.Error as exc:
            raise self._cannot_open(exc) from exc
        logger.info("embedded store at %s: schema brought to version %d", self.path,
                    SCHEMA_VERSION)

    def _location(self) -> str:
        return str(self.path)

    def _close(self) -> None:
        self._connections.close_all()

    # -- loading -----------------------------------------------------------------------
    def _write_batch(self, entity: str, rows: pd.DataFrame,
                     checkpoint: BatchCheckpoint | None) -> None:
        spec = ENTITY_BY_NAME[entity]
        columns = stored_columns(spec)
        key = stored_key(spec)
        updates = [c for c in columns if c not in key]
        statement = (
            f"INSERT INTO {entity} ({', '.join(columns)}) VALUES "
            f"({', '.join('?' for _ in columns)}) ON CONFLICT ({', '.join(key)}) DO UPDATE SET "
            + ", ".join(f"{c}=excluded.{c}" for c in updates)
        )
        records = _to_records(rows, columns)
        with self._transaction() as conn:
            conn.executemany(statement, records)
            if checkpoint is not None:
                conn.execute(
                    "INSERT OR REPLACE INTO load_batches VALUES (?, ?, ?, ?, ?)",
                    (checkpoint.load_id, checkpoint.source, checkpoint.batch_index,
                     len(records), utc_now()),
                )

    def _begin_load(self, load_id: str, sources: str, started_at: str) -> None:
        """Record the load; drop the secondary indexes of tables that are still empty.

        Why: building an index once after a bulk load is several times faster than keeping
        it up to date row by row. :meth:`_finish_load` rebuilds them, and so does opening the
        store after a crash, so queries never run without them for long.
        """
        indexes = _secondary_indexes()
        with self._transaction() as conn:
            empty = {
                table for table in {index.table for index in indexes}
                if conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() is None
            }
            for index in indexes:
                if index.table in empty:
                    conn.execute(f"DROP INDEX IF EXISTS {index.name}")
            conn.execute(
                "INSERT INTO loads (load_id, started_at, status, sources) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (load_id) DO UPDATE SET status=CASE WHEN loads.status='completed' "
                "THEN 'completed' ELSE 'running' END",
                (load_id, started_at, "running", sources),
            )

    def _finish_load(self, load_id: str, summary: str, finished_at: str) -> None:
        with self._transaction() as conn:
            for index in _secondary_indexes():
                conn.execute(index.create)
            conn.execute(
                "UPDATE loads SET finished_at=?, status='completed', summary=? WHERE load_id=?",
                (finished_at, summary, load_id),
            )
        self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _completed_batches(self, load_id: str) -> list[tuple[str, int]]:
        return self._conn.execute(
            "SELECT source, batch_index FROM load_batches WHERE load_id=?", (load_id,)
        ).fetchall()

    def _load_rows(self) -> list[tuple[Any, ...]]:
        return self._conn.execute(
            "SELECT load_id, started_at, finished_at, status, summary FROM loads").fetchall()

    def _ids(self, spec: EntitySpec) -> list[str]:
        rows = self._conn.execute(f"SELECT {spec.key[0]} FROM {spec.name}")
        return [row[0] for row in rows]

    def _ids_among(self, spec: EntitySpec, ids: list[str]) -> list[str]:
        found: list[str] = []
        for chunk in chunked(ids, _IN_CHUNK):
            marks = ", ".join("?" * len(chunk))
            found += [row[0] for row in self._conn.execute(
                f"SELECT {spec.key[0]} FROM {spec.name} WHERE {spec.key[0]} IN ({marks})",
                chunk)]
        return found

    def _has_rows(self, spec: EntitySpec) -> bool:
        return self._conn.execute(f"SELECT 1 FROM {spec.name} LIMIT 1").fetchone() is not None

    # -- reading -----------------------------------------------------------------------
    def _count_rows(self) -> dict[str, int]:
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

    def _adjacent(self, frontier: dict[NodeLabel, list[str]], *,
                  only: AdjacencyFilter | None = None) -> list[Edge]:
        found: list[Edge] = []
        for rel in RELATIONSHIPS:
            if only is not None and rel.type not in only.types:
                continue
            # A time window: only the rows of this type inside it ("IS NULL" never is).
            window, bounds = "", []
            if only is not None and rel.type in only.bounds:
                time_column = TIMED_RELATIONSHIPS[rel.type][1]
                for bound, compare in zip(only.bounds[rel.type], (">=", "<="), strict=True):
                    if bound is not None:
                        window += f" AND {time_column} {compare} ?"
                        bounds.append(bound)
            for side_label, side_column in (
                (rel.start_label, rel.start_column), (rel.end_label, rel.end_column)
            ):
                ids = frontier.get(side_label)
                if not ids:
                    continue
                extra = ", ".join(rel.properties)
                if rel.type is RelType.TRANSFERRED:
                    select = "COUNT(*), ROUND(SUM(amount), 2), MIN(timestamp), MAX(timestamp)"
                    group = f" GROUP BY {rel.start_column}, {rel.end_column}"
                else:
                    select, group = (extra or "NULL"), ""
                for chunk in chunked(ids, _IN_CHUNK):
                    sql = (
                        f"SELECT {rel.start_column}, {rel.end_column}, {select} "
                        f"FROM {rel.entity} WHERE {side_column} IN "
                        f"({','.join('?' * len(chunk))}) AND {rel.start_column} IS NOT NULL "
                        f"AND {rel.end_column} IS NOT NULL{window}{group}"
                    )
                    for row in self._conn.execute(sql, [*chunk, *bounds]):
                        start = NodeRef(rel.start_label, row[0])
                        end = NodeRef(rel.end_label, row[1])
                        if rel.type is RelType.TRANSFERRED:
                            props: tuple[tuple[str, Any], ...] = (
                                ("first_at", transfer_time(row[4])),
                                ("last_at", transfer_time(row[5])),
                                ("total_amount", row[3]), ("transactions", row[2]),
                            )
                        elif rel.properties:
                            props = tuple(zip(rel.properties, row[2:], strict=True))
                        else:
                            props = ()
                        found.append((rel.type, start, end, props))
        return found

    def _search_customer_ids(self, search: CustomerSearch, limit: int,
                             offset: int) -> tuple[list[str], int]:
        # One pass over the narrow (name, customer_id) index for the id and name tests; the
        # identifier links through their index; ranked, paged and counted in one statement.
        # SQLite's LIKE ignores the case of ASCII letters only, so it decides for ids (always
        # ASCII) and for ASCII names; a name with other letters is lower-cased by Python
        # (graphrisk_lower), as Neo4j's toLower() would, which is several times slower.
        params: dict[str, Any] = {"t": search.id_text,
                                  "prefix": f"{_like_escape(search.id_text)}%"}
        ascii_words, other_words = [], []
        for i, word in enumerate(search.words):
            params[f"w{i}"], params[f"l{i}"] = word, f"%{_like_escape(word)}%"
            ascii_words.append(f"name LIKE :l{i} ESCAPE '\\'")
            other_words.append(f"instr(graphrisk_lower(name), :w{i}) > 0")
        sql = "SELECT customer_id FROM customers WHERE customer_id LIKE :prefix ESCAPE '\\'"
        if search.words:
            sql += (" OR CASE WHEN length(name) = length(CAST(name AS BLOB)) "
                    f"THEN {' AND '.join(ascii_words)} ELSE {' AND '.join(other_words)} END")
        if search.identifier_ids:
            params |= {f"i{i}": value for i, value in enumerate(search.identifier_ids)}
            marks = ", ".join(f":i{i}" for i in range(len(search.identifier_ids)))
            sql += (f" UNION SELECT customer_id FROM identifiers WHERE identifier_id IN "
                    f"({marks}) AND identifier_id IS NOT NULL")
        ranked = (
            f"WITH hits(customer_id) AS ({sql}) "
            "SELECT customer_id, COUNT(*) OVER () FROM hits ORDER BY "
            "CASE WHEN lower(customer_id) = :t THEN 0 "
            "WHEN customer_id LIKE :prefix ESCAPE '\\' THEN 1 ELSE 2 END, "
            "customer_id LIMIT :limit OFFSET :offset")
        rows = self._conn.execute(ranked, {**params, "limit": limit,
                                           "offset": offset}).fetchall()
        if rows:
            return [row[0] for row in rows], int(rows[0][1])
        if limit > 0 and offset == 0:
            return [], 0
        (total,) = self._conn.execute(f"SELECT COUNT(*) FROM ({sql})", params).fetchone()
        return [], int(total)

    def _entity_frame(self, spec: EntitySpec, columns: list[str]) -> pd.DataFrame:
        # Read in pieces: pandas turns a whole result into Python tuples and an object
        # array before it builds the columns, which for 10 million transactions took
        # several times the frame's own memory at once.
        chunks = pd.read_sql_query(
            f"SELECT {', '.join(columns)} FROM {spec.name} "
            f"ORDER BY {', '.join(stored_key(spec))}",
            self._conn, chunksize=_SNAPSHOT_CHUNK_ROWS,
        )
        return joined_chunks(list(chunks), columns)

    def _consistency_problems(self) -> list[str]:
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
    def _write_score_rows(self, run: ScoreRun, rows: list[ScoreRow]) -> None:
        def records(start: int) -> list[tuple[Any, ...]]:
            # A chunk at a time: the JSON of a million customers' reasons is most of a GB.
            return [(run.run_id, row.customer_id, row.score, row.tier,
                     json.dumps(list(row.reasons)),
                     json.dumps(dict(row.components)) if row.components else None)
                    for row in rows[start:start + _SCORE_CHUNK]]

        # Readers find scores through their run (score_runs), written last: until then the
        # rows are invisible, so a reader sees a run whole or not at all. A write that fails
        # removes its own rows; one killed half-way leaves rows of no run, which no read
        # reaches (another process may be writing its run right now, so they are not swept).
        try:
            for start in range(0, len(rows), _SCORE_CHUNK):
                if start:
                    time.sleep(_SCORE_PAUSE_S)
                chunk = records(start)
                with self._transaction() as conn:
                    conn.executemany(
                        "INSERT OR REPLACE INTO customer_scores (run_id, customer_id, score, "
                        "tier, reasons, components) VALUES (?, ?, ?, ?, ?, ?)", chunk)
            with self._transaction() as conn:
                conn.execute("INSERT OR REPLACE INTO score_runs VALUES (?, ?, ?, ?)",
                             (run.run_id, run.created_at, run.kind, run.params))
        except BaseException:
            with contextlib.suppress(Exception), self._transaction() as conn:
                if conn.execute("SELECT 1 FROM score_runs WHERE run_id = ?",
                                (run.run_id,)).fetchone() is None:
                    conn.execute("DELETE FROM customer_scores WHERE run_id = ?", (run.run_id,))
            raise

    def _score_rows(self, customer_id: str) -> list[tuple[Any, ...]]:
        rows = self._conn.execute(
            "SELECT r.run_id, r.created_at, r.kind, s.score, s.tier, s.reasons "
            "FROM customer_scores s JOIN score_runs r USING (run_id) WHERE s.customer_id = ?",
            (customer_id,),
        ).fetchall()
        return [(*row[:5], json.loads(row[5])) for row in rows]

    def _latest_score_rows(self, customer_ids: list[str] | None) -> list[tuple[Any, ...]]:
        # Runs newest first, each read along its primary key; a customer's first row seen is
        # its newest. Faster than ranking every score in SQL: no sort of all the scores.
        if customer_ids is not None:
            return self._latest_score_rows_of(customer_ids)
        newest: dict[str, tuple[Any, ...]] = {}
        with self._read_transaction():
            runs = self._conn.execute(
                "SELECT run_id, created_at, kind FROM score_runs "
                "ORDER BY created_at DESC, run_id DESC").fetchall()
            for run_id, created_at, kind in runs:
                if customer_ids is None:
                    found = self._conn.execute(
                        "SELECT customer_id, score, tier, reasons, components FROM "
                        "customer_scores WHERE run_id = ?", (run_id,)).fetchall()
                else:
                    found = []
                    for chunk in chunked(customer_ids, _IN_CHUNK):
                        found += self._conn.execute(
                            "SELECT customer_id, score, tier, reasons, components FROM "
                            f"customer_scores WHERE run_id = ? AND customer_id IN "
                            f"({','.join('?' * len(chunk))})", (run_id, *chunk)).fetchall()
                for customer, score, tier, reasons, components in found:
                    if customer not in newest:
                        newest[customer] = (customer, run_id, created_at, kind, score, tier,
                                            reasons, components)
        return [(*row[:6], json.loads(row[6]), row[7]) for row in newest.values()]

    def _latest_score_rows_of(self, customer_ids: list[str]) -> list[tuple[Any, ...]]:
        """A few customers' newest scores, read along the customer index.

        Why not run by run: monitoring writes a run per batch, so after a day there are
        hundreds of runs; a few customers have only the handful of scores they were given.
        """
        newest: dict[str, tuple[Any, ...]] = {}
        with self._read_transaction():
            for chunk in chunked(customer_ids, _IN_CHUNK):
                rows = self._conn.execute(
                    "SELECT s.customer_id, s.run_id, r.created_at, r.kind, s.score, s.tier, "
                    "s.reasons, s.components FROM customer_scores s JOIN score_runs r "
                    f"ON r.run_id = s.run_id WHERE s.customer_id IN ({','.join('?' * len(chunk))})",
                    chunk).fetchall()
                for row in rows:
                    held = newest.get(row[0])
                    if held is None or (row[2], row[1]) > (held[2], held[1]):
                        newest[row[0]] = row
        return [(*row[:6], json.loads(row[6]), row[7]) for row in newest.values()]

    # -- region ------------------------------------------------------------------------
    def _region_rows(self, spec: EntitySpec, by: str, ids: list[str],
                     columns: list[str]) -> list[tuple[Any, ...]]:
        if by not in stored_columns(spec):
            raise ValueError(f"{spec.name} has no column {by!r}")
        found: list[tuple[Any, ...]] = []
        for chunk in chunked(ids, _IN_CHUNK):
            found += self._conn.execute(
                # "IS NOT NULL" lets SQLite use the partial secondary indexes.
                f"SELECT {', '.join(columns)} FROM {spec.name} WHERE {by} IN "
                f"({','.join('?' * len(chunk))}) AND {by} IS NOT NULL", chunk).fetchall()
        return found

    # -- records and audit -------------------------------------------------------------
    def _create_record(self, kind: str, key: str, subject: str | None, status: str | None,
                       body: str, now: str) -> tuple[tuple[Any, ...], bool]:
        with self._transaction() as conn:
            created = conn.execute(
                f"INSERT INTO records ({_RECORD_COLUMNS}) VALUES (?, ?, 1, ?, ?, ?, ?, ?) "
                "ON CONFLICT (kind, key) DO NOTHING",
                (kind, key, subject, status, body, now, now)).rowcount == 1
            row = self._record_row(kind, key)
        assert row is not None
        return row, created

    def _compare_and_set_record(
        self, kind: str, key: str, expected_version: int, subject: str | None,
        status: str | None, body: str, now: str,
    ) -> tuple[int | None, tuple[Any, ...] | None]:
        # BEGIN IMMEDIATE takes the write lock first: no other writer runs between the
        # version read here and the update.
        with self._transaction() as conn:
            found = conn.execute("SELECT version FROM records WHERE kind = ? AND key = ?",
                                 (kind, key)).fetchone()
            if found is None or found[0] != expected_version:
                return (None if found is None else found[0]), None
            conn.execute(
                "UPDATE records SET version = ?, subject = COALESCE(?, subject), status = "
                "COALESCE(?, status), body = ?, updated_at = ? WHERE kind = ? AND key = ?",
                (expected_version + 1, subject, status, body, now, kind, key))
            return found[0], self._record_row(kind, key)

    def _record_row(self, kind: str, key: str) -> tuple[Any, ...] | None:
        return self._conn.execute(
            f"SELECT {_RECORD_COLUMNS} FROM records WHERE kind = ? AND key = ?",
            (kind, key)).fetchone()

    def _record_rows(self, kind: str, subject: str | None, statuses: list[str] | None,
                     limit: int | None) -> list[tuple[Any, ...]]:
        where, params = ["kind = ?"], [kind]
        if subject is not None:
            where.append("subject = ?")
            params.append(subject)
        if statuses is not None:
            where.append(f"status IN ({','.join('?' * len(statuses))})")
            params += statuses
        sql = (f"SELECT {_RECORD_COLUMNS} FROM records WHERE {' AND '.join(where)} "
               "ORDER BY created_at, key")
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return self._conn.execute(sql, params).fetchall()

    def _append_audit(self, at: str, actor: str, action: str, subject: str | None,
                      details: str) -> int:
        with self._transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO audit_log (at, actor, action, subject, details) "
                "VALUES (?, ?, ?, ?, ?)", (at, actor, action, subject, details))
            assert cursor.lastrowid is not None
            return cursor.lastrowid

    def _audit_rows(self, subject: str | None, actor: str | None, action: str | None,
                    since_seq: int | None, limit: int | None) -> list[tuple[Any, ...]]:
        where, params = ["1 = 1"], []
        for column, value in (("subject", subject), ("actor", actor), ("action", action)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if since_seq is not None:
            where.append("seq > ?")
            params.append(int(since_seq))
        sql = f"SELECT {_AUDIT_COLUMNS} FROM audit_log WHERE {' AND '.join(where)} ORDER BY seq"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return self._conn.execute(sql, params).fetchall()

    def _replace_counterparty_entity_links(self, links: list[dict[str, Any]]) -> int:
        with self._transaction() as conn:
            conn.execute("DELETE FROM counterparty_entity_links")
            conn.executemany(
                "INSERT INTO counterparty_entity_links (counterparty_id, customer_id, pair_id, "
                "probability, sentence) SELECT :counterparty_id, :customer_id, :pair_id, "
                ":probability, :sentence WHERE EXISTS (SELECT 1 FROM counterparties WHERE "
                "counterparty_id = :counterparty_id) AND EXISTS (SELECT 1 FROM customers "
                "WHERE customer_id = :customer_id)", links)
            (written,) = conn.execute(
                "SELECT count(*) FROM counterparty_entity_links").fetchone()
        return int(written)

    def _counterparty_entity_rows(self, customer_ids: list[str] | None,
                                  counterparty_ids: list[str] | None,
                                  ) -> list[tuple[Any, ...]]:
        select = ("SELECT counterparty_id, customer_id, pair_id, probability, sentence "
                  "FROM counterparty_entity_links")
        if customer_ids is None and counterparty_ids is None:
            return self._conn.execute(select).fetchall()
        found: list[tuple[Any, ...]] = []
        for column, ids in (("customer_id", customer_ids or []),
                            ("counterparty_id", counterparty_ids or [])):
            for chunk in chunked(ids, _IN_CHUNK):
                found += self._conn.execute(
                    f"{select} WHERE {column} IN ({', '.join('?' * len(chunk))})",
                    chunk).fetchall()
        return list(dict.fromkeys(found))

    # -- labels ------------------------------------------------------------------------
    def _set_known_label(self, customer_id: str, label: str | None,
                         source: str | None) -> bool:
        with self._transaction() as conn:
            return conn.execute(
                "UPDATE customers SET known_risk_label = ?, known_risk_source = ? "
                "WHERE customer_id = ?", (label, source, customer_id)).rowcount == 1

    # -- same-entity links -------------------------------------------------------------
    def _replace_same_entity_links(self, links: list[dict[str, Any]]) -> int:
        with self._transaction() as conn:
            conn.execute("DELETE FROM same_entity_links")
            conn.executemany(
                "INSERT INTO same_entity_links (customer_id_a, customer_id_b, pair_id, "
                "probability, sentence) SELECT :customer_id_a, :customer_id_b, :pair_id, "
                ":probability, :sentence WHERE EXISTS (SELECT 1 FROM customers WHERE "
                "customer_id = :customer_id_a) AND EXISTS (SELECT 1 FROM customers WHERE "
                "customer_id = :customer_id_b)", links)
            (written,) = conn.execute("SELECT count(*) FROM same_entity_links").fetchone()
        return int(written)

    def _same_entity_rows(self, customer_ids: list[str] | None) -> list[tuple[Any, ...]]:
        select = ("SELECT customer_id_a, customer_id_b, pair_id, probability, sentence "
                  "FROM same_entity_links")
        if customer_ids is None:
            return self._conn.execute(select).fetchall()
        found: list[tuple[Any, ...]] = []
        for chunk in chunked(customer_ids, 400):
            marks = ", ".join("?" * len(chunk))
            found += self._conn.execute(
                f"{select} WHERE customer_id_a IN ({marks}) OR customer_id_b IN ({marks})",
                [*chunk, *chunk]).fetchall()
        return list(dict.fromkeys(found))

    # -- administration ----------------------------------------------------------------
    def _delete_everything(self) -> None:
        with self._transaction() as conn:
            for table in [spec.name for spec in ENTITIES] + list(_BOOKKEEPING_TABLES):
                conn.execute(f"DELETE FROM {table}")
            # The one way to empty the audit trail: lift its guards inside this transaction.
            for name, _create in _AUDIT_GUARDS:
                conn.execute(f"DROP TRIGGER IF EXISTS {name}")
            conn.execute("DELETE FROM audit_log")
            for _name, create in _AUDIT_GUARDS:
                conn.execute(create)


def _create_private(path: Path) -> None:
    """Create the database's folder (0700) and an empty database file (0600) when missing.

    Why: the store holds personal data (names, addresses, payments). SQLite creates a new
    file with the process's umask, usually world-readable, and its ``-wal`` and ``-shm``
    files take the database file's mode; creating the file owner-only first keeps all three
    private. Existing folders and files keep the mode their owner gave them.
    """
    folder = path.parent
    if not folder.exists():
        folder.mkdir(parents=True, mode=0o700)
        folder.chmod(0o700)  # mkdir's mode is filtered by the umask
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        path.chmod(0o600)
