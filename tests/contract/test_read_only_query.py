"""Read-only Cypher (``GraphStore.read_only_query``): the guard refuses what is not a read
before it runs, decided from the database's own plan and procedure modes, and the read
transaction refuses what slips past it; reads answer JSON-safe rows and the graph they show,
named by business ids.

Every refusal is checked against the real Neo4j: the database's fingerprint (every node's and
relationship's properties, the schema, GDS's catalog) is the same after it as before, and a
query that would reach a URL never reaches it.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from neo4j import Driver, GraphDatabase

from graphrisk.config import Settings, StoreKind
from graphrisk.domain import NodeLabel, RelType
from graphrisk.errors import QueryFailedError, QueryRefusedError, UnsupportedByStoreError
from graphrisk.graph import NodeRef, QueryResult
from graphrisk.ingestion.loader import ingest_directory
from graphrisk.policy import load_policy
from graphrisk.service import RiskService
from graphrisk.store.base import GraphStore
from tests.stores import open_test_store

TINY_RING = Path(__file__).parents[1] / "fixtures" / "tiny_ring"
#: A GDS projection made by the tests (not through the guard) for the GDS cases.
PROJECTION = "read_only_query_test"


# -- fixtures ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def neo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GraphStore]:
    """The Neo4j store holding the tiny ring, shared by this module's Neo4j tests (which
    must leave it as they found it: the refusals prove they do)."""
    store = open_test_store(StoreKind.NEO4J, tmp_path_factory.mktemp("neo4j"))
    ingest_directory(store, TINY_RING)
    yield store
    store.close()


@pytest.fixture(scope="module")
def driver(neo: GraphStore) -> Iterator[Driver]:
    """A driver of the tests' own, to look at the database behind the store's back."""
    settings = Settings()
    with GraphDatabase.driver(settings.neo4j_uri,
                              auth=(settings.neo4j_user, settings.neo4j_password)) as opened:
        yield opened


@pytest.fixture
def projection(driver: Driver) -> Iterator[str]:
    """A GDS projection of customers and accounts, dropped afterwards."""
    driver.execute_query("CALL gds.graph.drop($g, false)", g=PROJECTION)
    driver.execute_query("CALL gds.graph.project($g, ['Customer', 'Account'], 'OWNS')",
                         g=PROJECTION)
    yield PROJECTION
    driver.execute_query("CALL gds.graph.drop($g, false)", g=PROJECTION)


class _Hits(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        type(self).hits.append(self.path)
        body = b'a,b\n1,2\n' if self.path.endswith(".csv") else b'{"a": 1}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def web() -> Iterator[tuple[str, list[str]]]:
    """A local web server that records every request: a refused load must not reach it."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hits)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Hits.hits
    server.shutdown()
    server.server_close()


def fingerprint(driver: Driver) -> dict[str, Any]:
    """Everything a refused query might have changed: the graph (APOC's hash of every node's
    and relationship's labels, type and properties), node and relationship counts, the
    schema, and GDS's catalog."""
    def one(query: str) -> Any:
        records, _, _ = driver.execute_query(query)
        return records[0][0]

    return {
        "graph": one("RETURN apoc.hashing.fingerprintGraph() AS f"),
        "nodes": one("MATCH (n) RETURN count(n)"),
        "relationships": one("MATCH ()-[r]->() RETURN count(r)"),
        "constraints": one("SHOW CONSTRAINTS YIELD name RETURN collect(name)"),
        "indexes": one("SHOW INDEXES YIELD name RETURN collect(name)"),
        "projections": one("CALL gds.graph.list() YIELD graphName RETURN collect(graphName)"),
    }


def refused(store: GraphStore, driver: Driver, query: str,
            parameters: dict[str, Any] | None = None) -> str:
    """Run ``query``, expect a refusal, show that nothing changed; the refusal's reason."""
    before = fingerprint(driver)
    with pytest.raises(QueryRefusedError) as err:
        store.read_only_query(query, parameters)
    assert fingerprint(driver) == before, f"{query} changed the database"
    return err.value.reason


def element_ids(driver: Driver) -> set[str]:
    records, _, _ = driver.execute_query(
        "MATCH (n) RETURN elementId(n) AS e UNION ALL MATCH ()-[r]->() RETURN elementId(r) AS e")
    return {record["e"] for record in records}


def assert_no_internal_ids(result: QueryResult, driver: Driver) -> None:
    text = json.dumps([result.rows, [(str(n.ref), dict(n.properties)) for n in result.nodes],
                       [(str(r.start), str(r.end), r.properties) for r in result.relationships]])
    assert not [e for e in element_ids(driver) if e in text]


# -- every store ---------------------------------------------------------------------------
def test_the_embedded_store_says_read_only_cypher_needs_neo4j(tmp_path: Path) -> None:
    store = open_test_store(StoreKind.EMBEDDED, tmp_path)
    try:
        with pytest.raises(UnsupportedByStoreError, match="GRAPHRISK_STORE=neo4j"):
            store.read_only_query("MATCH (c:Customer) RETURN c")
        with pytest.raises(ValueError, match="row_limit"):
            store.read_only_query("RETURN 1", row_limit=0)
        with pytest.raises(ValueError, match="timeout_s"):
            store.read_only_query("RETURN 1", timeout_s=0)
    finally:
        store.close()


# -- refusals (Neo4j) ------------------------------------------------------------------------
#: Statements the guard refuses, with a word its reason must hold. Each runs against the
#: tiny ring; none may change it.
REFUSED: list[tuple[str, str]] = [
    ("CREATE (n:Customer {customer_id: 'EVIL'}) RETURN n", "writes"),
    ("MERGE (n:Customer {customer_id: 'C1'}) SET n.name = 'Mallory'", "writes"),
    ("MATCH (c:Customer {customer_id: 'C1'}) SET c.name = 'Mallory'", "writes"),
    ("MATCH (c:Customer {customer_id: 'C1'}) REMOVE c.name", "writes"),
    ("MATCH (c:Customer {customer_id: 'C1'}) DETACH DELETE c", "writes"),
    ("MATCH ()-[r:OWNS]->() DELETE r", "writes"),
    ("FOREACH (x IN [1] | CREATE (:Evil))", "writes"),
    ("DROP CONSTRAINT customer_customer_id", "schema"),
    ("CREATE INDEX evil FOR (n:Customer) ON (n.name)", "schema"),
    ("DROP INDEX risk_score_customer", "schema"),
    ("CALL dbms.listConfig()", "administers"),
    ("CALL dbms.components()", "administers"),
    ("SHOW USERS", "administers"),
    ("SHOW TRANSACTIONS", "other users"),
    ("TERMINATE TRANSACTIONS 'neo4j-transaction-1'", "other users"),
    ("CALL apoc.create.node(['Evil'], {}) YIELD node RETURN node", "writes"),
    ("CALL apoc.merge.node(['Customer'], {customer_id: 'EVIL'})", "writes"),
    ("CALL apoc.periodic.iterate('MATCH (c:Customer) RETURN c', 'SET c.name = null', {})",
     "writes"),
    ("CALL apoc.cypher.runWrite('CREATE (:Evil)', {})", "writes"),
    ("CALL apoc.cypher.doIt('CREATE (:Evil)', {})", "writes"),
    ("CALL apoc.refactor.rename.label('Customer', 'Evil')", "writes"),
    ("CALL apoc.cypher.run('MATCH (n) RETURN count(n) AS n', {})", "Cypher given as text"),
    ("RETURN apoc.cypher.runFirstColumnSingle('MATCH (n) RETURN count(n)', {}) AS n",
     "function apoc.cypher.runFirstColumnSingle"),
    ("CALL apoc.util.sleep(10)", "waits"),
    ("CALL apoc.trigger.list()", "administers"),
    ("CALL { CREATE (:Evil) } IN TRANSACTIONS", "writes"),
    ("UNWIND range(1, 3) AS x CALL (x) { RETURN x * 2 AS y } IN TRANSACTIONS RETURN y",
     "IN TRANSACTIONS"),
    ("CALL gds.graph.project('evil', 'Customer', '*')", "in-memory catalog"),
    ("MATCH (s:Customer)-[:OWNS]->(t:Account) RETURN gds.graph.project('evil', s, t)",
     "gds.graph.project"),
]


@pytest.mark.neo4j
@pytest.mark.parametrize(("query", "why"), REFUSED, ids=[q[:60] for q, _ in REFUSED])
def test_the_guard_refuses_writes_schema_changes_and_unsafe_calls(
        neo: GraphStore, driver: Driver, query: str, why: str) -> None:
    assert why in refused(neo, driver, query)


@pytest.mark.neo4j
def test_the_fingerprint_notices_a_changed_property(driver: Driver) -> None:
    """The check the refusals rely on is sharp: one changed name changes it (in a
    transaction that is rolled back)."""
    before = fingerprint(driver)["graph"]
    with driver.session() as session, session.begin_transaction() as tx:
        tx.run("MATCH (c:Customer {customer_id: 'C1'}) SET c.name = 'Mallory'").consume()
        changed = tx.run("RETURN apoc.hashing.fingerprintGraph() AS f").single()["f"]
        tx.rollback()
    assert changed != before
    assert fingerprint(driver)["graph"] == before


@pytest.mark.neo4j
def test_loads_are_refused_before_they_reach_the_url(
        neo: GraphStore, driver: Driver, web: tuple[str, list[str]]) -> None:
    base, hits = web
    # The probe works: the same LOAD CSV run behind the store's back fetches the file.
    driver.execute_query(f"LOAD CSV FROM '{base}/control.csv' AS row RETURN count(row)")
    assert hits == ["/control.csv"]
    assert "LOAD CSV" in refused(neo, driver, f"LOAD CSV FROM '{base}/x.csv' AS row RETURN row")
    assert "outside the graph" in refused(
        neo, driver, f"CALL apoc.load.json('{base}/x.json') YIELD value RETURN value")
    assert "outside the graph" in refused(
        neo, driver, "CALL apoc.load.json($url) YIELD value RETURN value",
        {"url": f"{base}/p.json"})
    # A refused procedure inside a subquery is still seen in the plan.
    assert "apoc.load.json" in refused(
        neo, driver, f"RETURN COLLECT {{ CALL apoc.load.json('{base}/s.json') YIELD value "
                     "RETURN value } AS c")
    assert hits == ["/control.csv"]


@pytest.mark.neo4j
def test_gds_writes_mutations_and_drops_are_refused_streams_answer(
        neo: GraphStore, driver: Driver, projection: str) -> None:
    for query in (f"CALL gds.pageRank.write('{projection}', {{writeProperty: 'pr'}})",
                  f"CALL gds.pageRank.mutate('{projection}', {{mutateProperty: 'pr'}})",
                  f"CALL gds.graph.drop('{projection}')",
                  f"CALL gds.graph.export('{projection}', {{dbName: 'evil'}})"):
        refused(neo, driver, query)
    result = neo.read_only_query(
        "CALL gds.pageRank.stream($g) YIELD nodeId, score "
        "WITH gds.util.asNode(nodeId) AS node, score RETURN node, score ORDER BY score DESC",
        {"g": projection})
    assert len(result.rows) == 6 + 7  # the tiny ring's customers and accounts
    assert {n.ref.label for n in result.nodes} == {NodeLabel.CUSTOMER, NodeLabel.ACCOUNT}
    assert_no_internal_ids(result, driver)


@pytest.mark.neo4j
def test_a_write_that_slips_past_the_plan_check_is_refused_by_the_read_transaction(
        neo: GraphStore, driver: Driver, monkeypatch: pytest.MonkeyPatch) -> None:
    # Simulate a gap in the plan check: the read access mode must still refuse the write.
    monkeypatch.setattr(type(neo), "_plan_refusal", lambda self, summary: None)
    for query in ("CREATE (:Evil)",
                  "CALL apoc.create.node(['Evil'], {})",
                  "RETURN apoc.cypher.runFirstColumnSingle('CREATE (n:Evil) RETURN n', {})"):
        assert "read transaction" in refused(neo, driver, query)


# -- reads (Neo4j) -------------------------------------------------------------------------
@pytest.mark.neo4j
def test_nodes_and_relationships_come_back_by_business_id(
        neo: GraphStore, driver: Driver) -> None:
    result = neo.read_only_query(
        "MATCH (c:Customer {customer_id: 'C1'})-[o:OWNS]->(a:Account) "
        "RETURN c, o, a ORDER BY a.account_id")
    assert result.columns == ["c", "o", "a"]
    assert result.truncated is False
    customer, owns, account = result.rows[0]
    assert customer["id"] == "Customer:C1" and customer["label"] == "Customer"
    assert customer["properties"]["name"] == "Alice Martin"
    assert owns == {"type": "OWNS", "start": "Customer:C1", "end": "Account:A1",
                    "properties": {}}
    assert account["id"] == "Account:A1"
    assert [r[2]["id"] for r in result.rows] == ["Account:A1", "Account:A6"]
    assert result.rows[1][1]["properties"] == {"role": "co_holder"}
    assert [str(n.ref) for n in result.nodes] == ["Customer:C1", "Account:A1", "Account:A6"]
    assert {(r.type, str(r.start), str(r.end)) for r in result.relationships} == {
        (RelType.OWNS, "Customer:C1", "Account:A1"), (RelType.OWNS, "Customer:C1", "Account:A6")}
    assert dict(next(r for r in result.relationships
                     if r.end.id == "A6").properties) == {"role": "co_holder"}
    assert_no_internal_ids(result, driver)


@pytest.mark.neo4j
def test_a_relationship_alone_still_names_and_draws_its_ends(
        neo: GraphStore, driver: Driver) -> None:
    result = neo.read_only_query(
        "MATCH (:Account)-[t:TRANSFERRED]->(:Account) RETURN t ORDER BY t.transaction_id")
    first = result.rows[0][0]
    assert first["type"] == "TRANSFERRED" and first["start"].startswith("Account:")
    assert first["properties"]["transaction_id"] == result.rows[0][0]["properties"][
        "transaction_id"]
    refs = {n.ref for n in result.nodes}
    assert result.relationships and all(r.start in refs and r.end in refs
                                        for r in result.relationships)
    assert {r.start.label for r in result.relationships} == {NodeLabel.ACCOUNT}
    assert_no_internal_ids(result, driver)


@pytest.mark.neo4j
def test_paths_aggregations_and_read_procedures_answer(
        neo: GraphStore, driver: Driver) -> None:
    path = neo.read_only_query(
        "MATCH p = shortestPath((a:Customer {customer_id: 'C2'})-[*..8]-"
        "(b:Customer {customer_id: 'C5'})) RETURN p")
    (value,) = path.rows[0]
    assert value["nodes"][0]["id"] == "Customer:C2" and value["nodes"][-1]["id"] == "Customer:C5"
    assert len(value["relationships"]) == len(value["nodes"]) - 1
    assert len(path.relationships) == len(value["relationships"])
    assert {str(n.ref) for n in path.nodes} == {n["id"] for n in value["nodes"]}
    assert_no_internal_ids(path, driver)

    counts = neo.read_only_query(
        "MATCH (c:Customer) RETURN c.country AS country, count(*) AS n ORDER BY country")
    assert counts.columns == ["country", "n"]
    assert sum(n for _, n in counts.rows) == 6
    assert counts.nodes == () and counts.relationships == ()

    labels = neo.read_only_query("CALL db.labels() YIELD label RETURN label ORDER BY label")
    assert ["Customer"] in labels.rows

    expanded = neo.read_only_query(
        "MATCH (c:Customer {customer_id: 'C1'}) "
        "CALL apoc.path.expand(c, 'OWNS>', 'Account', 1, 1) YIELD path RETURN path")
    assert {str(n.ref) for n in expanded.nodes} == {"Customer:C1", "Account:A1", "Account:A6"}

    schema = neo.read_only_query("SHOW CONSTRAINTS YIELD name RETURN name")
    assert ["customer_customer_id"] in schema.rows


@pytest.mark.neo4j
def test_parameters_are_passed_and_a_missing_one_says_what_to_fix(neo: GraphStore) -> None:
    result = neo.read_only_query(
        "MATCH (c:Customer) WHERE c.customer_id IN $ids RETURN c.name AS name ORDER BY name",
        {"ids": ["C1", "C2"]})
    assert result.rows == [["Alice Martin"], ["Bogdan Ionescu"]]
    with pytest.raises(QueryFailedError, match=r"\$parameter") as err:
        neo.read_only_query("MATCH (c:Customer {customer_id: $id}) RETURN c")
    assert err.value.timed_out is False
    # a number no query can hold is refused with where it is, not a driver crash
    with pytest.raises(QueryFailedError, match=r"\$filter\.amounts\[1\].*64 bits"):
        neo.read_only_query("RETURN $filter AS f", {"filter": {"amounts": [1, 2**70]}})
    assert neo.read_only_query("RETURN $n AS n", {"n": 2**63 - 1}).rows == [[2**63 - 1]]


@pytest.mark.neo4j
def test_a_syntax_error_points_into_the_query_as_written(neo: GraphStore) -> None:
    with pytest.raises(QueryFailedError) as err:
        neo.read_only_query("MATCH (n) RETURN n.x +")
    message = str(err.value)
    assert "EXPLAIN" not in message
    assert "column 23 (offset: 22)" in message
    # The caret sits under the error, one column right of the opening quote.
    assert "\"MATCH (n) RETURN n.x +\"\n" + " " * 23 + "^" in message


@pytest.mark.neo4j
def test_the_row_limit_cuts_and_says_so(neo: GraphStore) -> None:
    cut = neo.read_only_query("UNWIND range(1, 10) AS x RETURN x", row_limit=3)
    assert cut.rows == [[1], [2], [3]] and cut.truncated is True
    whole = neo.read_only_query("UNWIND range(1, 10) AS x RETURN x", row_limit=10)
    assert len(whole.rows) == 10 and whole.truncated is False
    # A result far beyond the limit is not read to its end.
    started = time.monotonic()
    huge = neo.read_only_query("UNWIND range(1, 1000000000) AS x RETURN x", row_limit=5)
    assert huge.rows == [[1], [2], [3], [4], [5]] and huge.truncated is True
    assert time.monotonic() - started < 5


@pytest.mark.neo4j
def test_a_long_query_is_stopped_at_its_time_limit(neo: GraphStore) -> None:
    started = time.monotonic()
    with pytest.raises(QueryFailedError, match="time limit of 1 s") as err:
        neo.read_only_query("UNWIND range(1, 100000000) AS a UNWIND range(1, 100000000) AS b "
                            "RETURN count(*)", timeout_s=1)
    assert err.value.timed_out is True
    assert time.monotonic() - started < 15
    # The store answers again at once.
    assert neo.read_only_query("RETURN 1 AS one").rows == [[1]]


@pytest.mark.neo4j
def test_values_come_back_json_safe(neo: GraphStore) -> None:
    result = neo.read_only_query(
        "RETURN date('2024-01-31') AS d, datetime('2024-01-31T09:00:00Z') AS t, "
        "duration('P1DT2H') AS p, point({x: 1.5, y: 2.0}) AS pt, 0.0 / 0.0 AS nan, "
        "[date('2024-01-01'), {at: localdatetime('2024-01-01T10:00:00')}] AS nested")
    row = dict(zip(result.columns, result.rows[0], strict=True))
    assert row["d"] == "2024-01-31"
    assert row["t"].startswith("2024-01-31T09:00:00")
    assert row["p"] == "P1DT2H"
    assert row["pt"] == {"srid": 7203, "x": 1.5, "y": 2.0}
    assert row["nan"] is None
    assert row["nested"][0] == "2024-01-01"
    assert row["nested"][1]["at"].startswith("2024-01-01T10:00:00")
    json.dumps(result.rows, allow_nan=False)


@pytest.mark.neo4j
def test_the_service_audits_runs_and_refusals(neo: GraphStore, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, store=StoreKind.NEO4J)
    service = RiskService(settings, neo, load_policy())  # not closed: the store is shared
    since = max((e.seq for e in neo.audit_entries()), default=0)
    result = service.read_only_query("MATCH (c:Customer) RETURN c.customer_id AS id",
                                      row_limit=2, actor="ana")
    assert len(result.rows) == 2
    with pytest.raises(QueryRefusedError):
        service.read_only_query("MATCH (c:Customer) DETACH DELETE c", actor="ana")
    entries = neo.audit_entries(since_seq=since)
    assert [(e.actor, e.action) for e in entries] == [("ana", "query.run"),
                                                      ("ana", "query.refused")]
    assert entries[0].details == {"query": "MATCH (c:Customer) RETURN c.customer_id AS id",
                                  "rows": 2}
    assert entries[1].details["query"] == "MATCH (c:Customer) DETACH DELETE c"
    assert "writes" in entries[1].details["reason"]
    assert neo.get_node(NodeRef(NodeLabel.CUSTOMER, "C1")).properties["name"] == "Alice Martin"


@pytest.mark.neo4j
def test_a_node_without_a_business_id_is_shown_but_not_drawn(neo: GraphStore) -> None:
    # GraphRisk's own bookkeeping (here: the load record the fixture's ingest wrote).
    result = neo.read_only_query("MATCH (l:GraphRiskLoad) RETURN l LIMIT 1")
    (node,) = result.rows[0]
    assert node["id"] is None and node["label"] == "GraphRiskLoad"
    assert "load_id" in node["properties"]
    assert result.nodes == ()


@pytest.mark.parametrize(("name", "unsafe"), [
    ("db.labels", False), ("apoc.path.expand", False), ("apoc.meta.schema", False),
    ("gds.pageRank.stream", False), ("gds.wcc.stats", False), ("gds.graph.list", False),
    ("gds.beta.pipeline.linkPrediction.predict.stream", False),
    ("apoc.load.json", True), ("apoc.load.csv", True), ("apoc.export.csv.all", True),
    ("apoc.import.csv", True), ("apoc.cypher.run", True), ("apoc.when", True),
    ("apoc.periodic.list", True), ("apoc.util.sleep", True), ("apoc.spatial.geocode", True),
    ("dbms.listConfig", True), ("db.stats.clear", True), ("gds.graph.project", True),
    ("gds.graph.project.cypher", True), ("gds.graph.drop", True), ("gds.graph.export", True),
    ("gds.pageRank.mutate", True), ("gds.pageRank.write", True), ("gds.graph.filter", True),
    ("gds.beta.graphSage.train", True), ("gds.graph.sample.rwr", True),
])
def test_the_unsafe_procedure_list(name: str, unsafe: bool) -> None:
    from graphrisk.store.neo4j import _unsafe_procedure

    assert (_unsafe_procedure(name) is not None) is unsafe
