"""Bulk initial load of an empty Neo4j with Neo4j's offline importer.

Why: the batched loader writes through ``UNWIND`` transactions at some 20k rows/s; Neo4j's
offline importer (``neo4j-admin database import full``) writes the store files directly and
is built for millions of rows a second. It can only fill an empty database, with the server
stopped, so this path serves the first load of a bank; later loads stay incremental through
the batched path (:meth:`Neo4jGraphStore.upsert`).

How: the validated rows (the loader validates and quarantines exactly as for a batched load)
become the importer's CSV files — one node file per label, one relationship file per type
and pair of ends — laid out so that the imported graph is the one the batched load's
``cypher/load`` statements build: the same labels, relationship types, property keys and
value types (``int`` columns as ``long``, ``float`` as ``double``, the rest as strings, an
empty cell as no property). Then the local server (``neo4j-local/neo4j-local.sh``) is stopped,
the importer run from the same Maven jars into its default database, the server started
again, and the store's constraints and indexes created.

Only the local server can be bulk-loaded: the importer needs the server's files on this
machine. The server is the one ``graphrisk neo4j start`` runs: its home is ``GRAPHRISK_HOME``,
or ``GRAPHRISK_NEO4J_LOCAL_HOME`` where the server was started with another home than the one
GraphRisk uses (tests, benchmarks).
"""

from __future__ import annotations

import csv
import logging
import os
import re
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd
from neo4j.exceptions import ServiceUnavailable, SessionExpired

from graphrisk.config import Settings
from graphrisk.domain import ENTITY_BY_NAME, NodeLabel, RelType
from graphrisk.errors import ConfigError, StoreError, StoreUnavailableError
from graphrisk.store.base import GraphStore, stored_columns
from graphrisk.store.neo4j import Neo4jGraphStore

__all__ = ["LOCAL_HOME_ENV", "BulkImport", "LocalNeo4jServer", "bulk_import",
           "write_import_files"]

logger = logging.getLogger(__name__)

#: Where the local server was started, when not under ``GRAPHRISK_HOME``.
LOCAL_HOME_ENV = "GRAPHRISK_NEO4J_LOCAL_HOME"
#: The launcher of the local server, in a GraphRisk checkout.
SCRIPT = Path(__file__).resolve().parents[2] / "neo4j-local" / "neo4j-local.sh"
_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
#: Seconds to wait for the server to answer again after its restart.
_BACK_TIMEOUT = 60.0

#: The importer's type of each column kind; the others are strings.
_TYPES = {"int": "long", "float": "double"}
#: Node entities whose rows are the node's properties, and the relationship that holds them:
#: ``(parent label, parent column, type)``, the parent at the start. ``None``: a plain node.
_NODE_FILES: dict[str, tuple[NodeLabel, tuple[NodeLabel, str, RelType] | None]] = {
    "customers": (NodeLabel.CUSTOMER, None),
    "counterparties": (NodeLabel.COUNTERPARTY, None),
    "accounts": (NodeLabel.ACCOUNT, (NodeLabel.CUSTOMER, "customer_id", RelType.OWNS)),
    "disputes": (NodeLabel.DISPUTE, (NodeLabel.CUSTOMER, "customer_id", RelType.RAISED)),
    "loans": (NodeLabel.LOAN, (NodeLabel.ACCOUNT, "account_id", RelType.HAS_LOAN)),
    "account_changes": (NodeLabel.ACCOUNT_CHANGE,
                        (NodeLabel.ACCOUNT, "account_id", RelType.HAD_CHANGE)),
}
#: A transaction's ends, as the batched loader writes them (load/create_transfers).
_TRANSFER_ENDS = (
    ("from_account_id", "to_account_id", NodeLabel.ACCOUNT, NodeLabel.ACCOUNT),
    ("from_account_id", "to_counterparty_id", NodeLabel.ACCOUNT, NodeLabel.COUNTERPARTY),
    ("from_counterparty_id", "to_account_id", NodeLabel.COUNTERPARTY, NodeLabel.ACCOUNT),
)
#: Customer features: nodes without a business id of their own (an id space of their own).
_FEATURE_SPACE = "CustomerFeature"


@dataclass(frozen=True)
class LocalNeo4jServer:
    """The local server ``neo4j-local/neo4j-local.sh`` runs, and the environment naming it.

    Args:
        home: the ``GRAPHRISK_HOME`` the server was started with (its files are under
            ``home/neo4j``).
        port: its Bolt port.
        password: the ``neo4j`` user's password (applied by the script on start).
        script: the launcher.
    """

    home: Path
    port: int
    password: str
    script: Path = SCRIPT

    @classmethod
    def from_settings(cls, settings: Settings) -> LocalNeo4jServer:
        """The local server the settings' ``neo4j_uri`` points at.

        Raises:
            ConfigError: the URI names another host (the importer needs the server's files),
                or the launcher is missing (not a GraphRisk checkout).
        """
        parts = urlsplit(settings.neo4j_uri)
        if (parts.hostname or "").lower() not in _LOCAL_HOSTS:
            raise ConfigError(
                f"--bulk imports into the local server only (neo4j-local.sh), not "
                f"{settings.neo4j_uri}: the offline importer writes the server's files. Load "
                "without --bulk, or run `neo4j-admin database import full` on that server")
        home = os.environ.get(LOCAL_HOME_ENV) or str(settings.home)
        return cls(Path(home), parts.port or 7687, settings.neo4j_password)

    def run(self, action: str, *args: str) -> str:
        """Run ``neo4j-local.sh ACTION ARGS``; its output, or a :class:`StoreError` with it."""
        if not self.script.is_file():
            raise ConfigError(f"the launcher {self.script} is missing; --bulk needs a "
                              "GraphRisk checkout with neo4j-local/")
        env = {"GRAPHRISK_NEO4J_START_TIMEOUT": "300", **os.environ,
               "GRAPHRISK_HOME": str(self.home), "GRAPHRISK_NEO4J_PORT": str(self.port),
               "GRAPHRISK_NEO4J_PASSWORD": self.password}
        done = subprocess.run(["bash", str(self.script), action, *args], env=env,
                              capture_output=True, text=True, check=False)
        output = done.stdout + done.stderr
        if done.returncode:
            tail = "\n".join(output.strip().splitlines()[-15:])
            raise StoreError(f"neo4j-local.sh {action} failed (exit {done.returncode}):\n{tail}",
                             query=f"neo4j-local.sh {action}")
        return output


@dataclass
class BulkImport:
    """What one bulk import did: files written, seconds per step, the importer's output."""

    folder: Path
    nodes: dict[str, int] = field(default_factory=dict)
    relationships: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    output: str = ""

    @property
    def rows(self) -> int:
        return sum(self.nodes.values()) + sum(self.relationships.values())


def check_empty(store: GraphStore) -> None:
    """Refuse a bulk import into a database that holds anything.

    Raises:
        ConfigError: the store is not Neo4j, or its database holds nodes or relationships.
    """
    if not isinstance(store, Neo4jGraphStore):
        raise ConfigError(f"--bulk loads Neo4j only, not the {store.title} store; load "
                          "without --bulk")
    (found,) = store.read_rows("bulk/count_everything")
    if found["nodes"] or found["relationships"]:
        raise ConfigError(
            f"--bulk loads only an empty Neo4j database (the offline importer replaces it), "
            f"and {store.describe()} holds {found['nodes']:,} nodes and "
            f"{found['relationships']:,} relationships; load without --bulk (the batched "
            "load adds to it incrementally)")


def _header(spec_name: str, columns: list[str], key: str | None, space: str) -> list[str]:
    kinds = {c.name: c.kind for c in ENTITY_BY_NAME[spec_name].columns}
    out = []
    for name in columns:
        if name == key:
            out.append(f"{name}:ID({space})")
        else:
            out.append(f"{name}:{_TYPES.get(kinds.get(name, 'text'), 'string')}")
    return out


def _write_csv(path: Path, header: list[str], frame: pd.DataFrame) -> int:
    """``frame`` (columns in header order) as the importer's CSV; empty cells are nulls."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerow(header)
        frame.to_csv(handle, header=False, index=False, lineterminator="\n")
    return len(frame)


def _multiline(frame: pd.DataFrame) -> bool:
    for name in frame.columns:
        column = frame[name]
        if not pd.api.types.is_numeric_dtype(column):
            text = column.dropna().astype(str)
            if text.str.contains("[\r\n]", regex=True).any():
                return True
    return False


def write_import_files(tables: Mapping[str, pd.DataFrame], folder: Path
                       ) -> tuple[list[str], BulkImport]:
    """Write validated rows as the importer's CSV files; the importer's file options.

    Args:
        tables: valid rows per entity (the loader's ``valid`` frames, without its row
            column; ``identifiers`` with ``identifier_id`` and ``raw_value``).
        folder: where the files go (created owner-only: they hold personal data).

    Returns:
        The ``--nodes=...``/``--relationships=...`` options, and the counts written.
    """
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    done = BulkImport(folder)
    options: list[str] = []
    multiline = False

    def nodes(name: str, label: str, header: list[str], frame: pd.DataFrame) -> None:
        nonlocal multiline
        path = folder / f"nodes_{name}.csv"
        done.nodes[name] = _write_csv(path, header, frame)
        multiline = multiline or _multiline(frame)
        options.append(f"--nodes={label}={path}")

    def rels(name: str, rel: str, header: list[str], frame: pd.DataFrame) -> None:
        nonlocal multiline
        path = folder / f"rels_{name}.csv"
        done.relationships[name] = _write_csv(path, header, frame)
        multiline = multiline or _multiline(frame)
        options.append(f"--relationships={rel}={path}")

    for entity, (label, parent) in _NODE_FILES.items():
        frame = tables.get(entity)
        if frame is None:
            continue
        spec = ENTITY_BY_NAME[entity]
        key = spec.key[0]
        columns = spec.column_names
        nodes(entity, label.value, _header(entity, columns, key, label.value), frame[columns])
        if parent is not None:
            parent_label, column, rel = parent
            linked = frame.loc[frame[column].notna(), [column, key]]
            rels(f"{entity}_{rel.value.lower()}", rel.value,
                 [f":START_ID({parent_label.value})", f":END_ID({label.value})"], linked)
        if entity == "disputes":
            linked = frame.loc[frame["account_id"].notna(), ["dispute_id", "account_id"]]
            rels("disputes_concerns", RelType.CONCERNS.value,
                 [f":START_ID({NodeLabel.DISPUTE.value})", f":END_ID({NodeLabel.ACCOUNT.value})"],
                 linked)
            # The accused, as the batched load links it (create_disputes.cypher).
            for column, accused in (("against_customer_id", NodeLabel.CUSTOMER),
                                    ("against_counterparty_id", NodeLabel.COUNTERPARTY)):
                if column in frame.columns and frame[column].notna().any():
                    rels(f"disputes_{column}", RelType.AGAINST.value,
                         [f":START_ID({NodeLabel.DISPUTE.value})",
                          f":END_ID({accused.value})"],
                         frame.loc[frame[column].notna(), ["dispute_id", column]])
    if "account_holders" in tables:
        frame = tables["account_holders"]
        rels("account_holders", RelType.OWNS.value,
             [f":START_ID({NodeLabel.CUSTOMER.value})", f":END_ID({NodeLabel.ACCOUNT.value})",
              "role:string"], frame[["customer_id", "account_id", "role"]])
    if "identifiers" in tables:
        frame = tables["identifiers"][stored_columns(ENTITY_BY_NAME["identifiers"])]
        # One node per identifier; its kind and value from the first row naming it, as the
        # batched load's MERGE ... ON CREATE keeps them.
        first = frame.drop_duplicates("identifier_id", keep="first")
        nodes("identifiers", NodeLabel.IDENTIFIER.value,
              [f"identifier_id:ID({NodeLabel.IDENTIFIER.value})", "kind:string", "value:string"],
              first[["identifier_id", "kind", "value"]])
        rels("identifiers", RelType.HAS_IDENTIFIER.value,
             [f":START_ID({NodeLabel.CUSTOMER.value})", f":END_ID({NodeLabel.IDENTIFIER.value})",
              "raw_value:string", "first_seen:string"],
             frame[["customer_id", "identifier_id", "raw_value", "first_seen"]])
    if "customer_features" in tables:
        frame = tables["customer_features"].reset_index(drop=True)
        columns = ENTITY_BY_NAME["customer_features"].column_names
        ids = pd.DataFrame({"id": range(len(frame))})
        nodes("customer_features", _FEATURE_SPACE,
              [f":ID({_FEATURE_SPACE})",
               *_header("customer_features", columns, None, _FEATURE_SPACE)],
              pd.concat([ids, frame[columns]], axis=1))
        rels("customer_features", "HAS_FEATURE",
             [f":START_ID({NodeLabel.CUSTOMER.value})", f":END_ID({_FEATURE_SPACE})"],
             pd.concat([frame[["customer_id"]], ids], axis=1))
    if "transactions" in tables:
        frame = tables["transactions"]
        spec = ENTITY_BY_NAME["transactions"]
        props = [c for c in spec.column_names if not c.startswith(("from_", "to_"))]
        for source, target, start, end in _TRANSFER_ENDS:
            part = frame.loc[frame[source].notna() & frame[target].notna(),
                             [source, target, *props]]
            rels(f"transactions_{source}_{target}", RelType.TRANSFERRED.value,
                 [f":START_ID({start.value})", f":END_ID({end.value})",
                  *_header("transactions", props, None, "")], part)
    if multiline:
        options.append("--multiline-fields=true")
    return options, done


def bulk_import(store: GraphStore, tables: Mapping[str, pd.DataFrame], server: LocalNeo4jServer,
                *, work_dir: Path | None = None,
                progress: Callable[[str], None] | None = None) -> BulkImport:
    """Replace the empty local database with ``tables`` through the offline importer.

    Stops the server, imports, starts it, creates the store's constraints and indexes, and
    waits until the store answers again. The caller records the load (``begin_load`` /
    ``finish_load``) afterwards, as for a batched load.

    Args:
        store: the open Neo4j store of that server (its driver reconnects after the restart).
        tables: valid rows per entity.
        server: the local server to stop, import into and start.
        work_dir: where the CSV files are written (a temporary folder, removed after, when
            ``None``).
        progress: told each step's name as it starts.

    Raises:
        ConfigError: the store is not Neo4j or its database is not empty.
        StoreError: the importer or the server failed (its output in the message); the
            server is started again where it can be.
    """
    check_empty(store)
    assert isinstance(store, Neo4jGraphStore)
    say = progress or (lambda _step: None)
    with tempfile.TemporaryDirectory(prefix="graphrisk-bulk-", dir=work_dir) as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        say("writing the importer's files")
        options, done = write_import_files(tables, folder)
        done.seconds["write_files"] = time.perf_counter() - started
        step = time.perf_counter()
        say("stopping the server")
        server.run("stop")
        done.seconds["stop"] = time.perf_counter() - step
        step = time.perf_counter()
        try:
            say("running the offline importer")
            done.output = server.run(
                "import", *options, "--bad-tolerance=0",
                f"--report-file={folder / 'import.report'}")
            found = _IMPORT_DONE.search(done.output)
            if found:  # the importer's own time, without its JVM's start
                done.seconds["importer_own"] = _duration(found.group(1))
        finally:
            done.seconds["import"] = time.perf_counter() - step
            step = time.perf_counter()
            say("starting the server")
            server.run("start")
            _wait_until_back(store)
            done.seconds["restart"] = time.perf_counter() - step
        step = time.perf_counter()
        say("creating constraints and indexes")
        store._ensure_schema()  # noqa: SLF001 - the store's own schema, after the restart
        done.seconds["schema"] = time.perf_counter() - step
        done.seconds["total"] = time.perf_counter() - started
    logger.info("bulk import: %d nodes, %d relationships in %.1f s", sum(done.nodes.values()),
                sum(done.relationships.values()), done.seconds["total"])
    return done


#: The importer's last line: ``IMPORT DONE in 7s 226ms.``
_IMPORT_DONE = re.compile(r"IMPORT DONE in ((?:\d+[a-z]+ ?)+)")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def _duration(text: str) -> float:
    """Seconds of an importer duration such as ``1m 7s 226ms``."""
    return sum(float(n) * _UNITS[unit] for n, unit in re.findall(r"(\d+)([a-z]+)", text)
               if unit in _UNITS)


def _wait_until_back(store: Neo4jGraphStore) -> None:
    """Wait until the restarted server answers, and point the driver's bookmarks at the new
    database.

    Why the bookmarks: ``execute_query`` sends the bookmark of the last transaction it saw,
    and that one belongs to the database the import replaced; the new database, whose count
    of transactions starts again, refuses it ("not up to the requested version"). A session
    without bookmarks reads the new database's own bookmark, which then replaces the stale
    ones (the bookmark manager's public ``update_bookmarks``).
    """
    driver, database = store._driver, store._database  # noqa: SLF001 - the store's own
    deadline = time.monotonic() + _BACK_TIMEOUT
    while True:
        try:
            with driver.session(database=database) as session:
                session.run("RETURN 1").consume()
                fresh = session.last_bookmarks().raw_values
            break
        except (ServiceUnavailable, SessionExpired) as exc:
            if time.monotonic() > deadline:
                raise StoreUnavailableError(
                    f"Neo4j did not answer within {_BACK_TIMEOUT:.0f} s of its restart after "
                    f"the bulk import: {exc}") from exc
            time.sleep(0.5)
    manager = driver.execute_query_bookmark_manager
    manager.update_bookmarks(manager.get_bookmarks(), fresh)
    store.read_rows("bulk/count_everything")
