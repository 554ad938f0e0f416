"""The local Neo4j is the real thing: 5.26 LTS, GDS that runs algorithms, APOC, auth on."""

from __future__ import annotations

import re

import pytest
from neo4j import Driver

from graphrisk.config import Settings
from graphrisk.domain import NodeLabel
from graphrisk.errors import StoreUnavailableError
from graphrisk.graph import NodeRef
from graphrisk.store.cypher_files import CYPHER_DIR, load_cypher, statement_names
from graphrisk.store.neo4j import Neo4jGraphStore
from tests.stores import open_test_store

pytestmark = pytest.mark.neo4j


def test_server_is_neo4j_5_26_with_gds_and_apoc(driver: Driver) -> None:
    records, _, _ = driver.execute_query(
        "CALL dbms.components() YIELD name, versions RETURN name, versions[0] AS version")
    assert records[0]["version"].startswith("5.26.")
    gds = driver.execute_query("RETURN gds.version() AS v").records[0]["v"]
    assert re.fullmatch(r"2\.13\.\d+", gds)
    apoc = driver.execute_query("RETURN apoc.version() AS v").records[0]["v"]
    assert apoc.startswith("5.26.")


def test_gds_runs_algorithms_on_a_small_graph(driver: Driver) -> None:
    driver.execute_query("MATCH (n:GdsProbe) DETACH DELETE n")
    driver.execute_query(
        "UNWIND [['a','b'],['b','c'],['c','a'],['x','y']] AS pair "
        "MERGE (s:GdsProbe {name: pair[0]}) MERGE (t:GdsProbe {name: pair[1]}) "
        "MERGE (s)-[:LINK]->(t)")
    try:
        driver.execute_query(
            "MATCH (s:GdsProbe)-[:LINK]->(t:GdsProbe) "
            "WITH gds.graph.project('probe', s, t, {}, {undirectedRelationshipTypes: ['*']}) AS g "
            "RETURN g.graphName")
        components = driver.execute_query(
            "CALL gds.wcc.stream('probe') YIELD nodeId, componentId "
            "RETURN gds.util.asNode(nodeId).name AS name, componentId").records
        groups: dict[int, set[str]] = {}
        for record in components:
            groups.setdefault(record["componentId"], set()).add(record["name"])
        assert sorted(map(sorted, groups.values())) == [["a", "b", "c"], ["x", "y"]]
        source = driver.execute_query(
            "MATCH (n:GdsProbe {name: 'a'}) RETURN id(n) AS id").records[0]["id"]
        ranks = {r["name"]: r["score"] for r in driver.execute_query(
            "CALL gds.pageRank.stream('probe', {sourceNodes: [$source]}) YIELD nodeId, score "
            "RETURN gds.util.asNode(nodeId).name AS name, score", source=source).records}
        assert ranks["a"] == max(ranks.values())
        assert ranks["x"] == ranks["y"] == 0.0
    finally:
        driver.execute_query("CALL gds.graph.drop('probe', false) YIELD graphName "
                             "RETURN graphName")
        driver.execute_query("MATCH (n:GdsProbe) DETACH DELETE n")


_SAMPLE_NAMES = {
    "label": "Customer", "key": "customer_id", "name": "probe_constraint", "type": "OWNS",
    "rel": "HAS_LOAN", "from_label": "Account", "from_key": "account_id",
    "to_label": "Counterparty", "to_key": "counterparty_id",
}


@pytest.mark.parametrize("name", [n for n in statement_names() if not n.startswith("schema/")])
def test_every_cypher_statement_plans(driver: Driver, name: str) -> None:
    text = (CYPHER_DIR / f"{name}.cypher").read_text()
    needed = {p.lower() for p in re.findall(r"__([A-Z_]+?)__", text)}
    query = load_cypher(name, **{k: v for k, v in _SAMPLE_NAMES.items() if k in needed})
    params = {p: None for p in re.findall(r"\$(\w+)", query)}
    driver.execute_query("EXPLAIN " + query, params)


def test_wrong_password_is_one_clear_error() -> None:
    settings = Settings(neo4j_password="not-the-password")
    expected = "refused user 'neo4j'.*GRAPHRISK_NEO4J_PASSWORD"
    with pytest.raises(StoreUnavailableError, match=expected):
        Neo4jGraphStore.from_settings(settings)


def test_constraint_violation_is_a_data_error_naming_the_row(tmp_path) -> None:
    import pandas as pd

    from graphrisk.errors import StoreError
    from graphrisk.store.base import BatchCheckpoint

    store = open_test_store("neo4j", tmp_path)
    try:
        store.begin_load("dup", {})  # customers empty: new rows are CREATEd without a check
        row = {"customer_id": "C-DUP", "name": "Dup", "segment": "retail", "country": "DE",
               "kyc_status": "verified", "onboarding_date": "2024-01-01"}
        store.upsert("customers", pd.DataFrame([row]),
                     checkpoint=BatchCheckpoint("dup", "customers.csv", 0))
        # A second batch of the load with the same id (the validator never lets a load do
        # this) breaks the uniqueness constraint; the error names the offending row and the
        # statement, and nothing is written.
        with pytest.raises(StoreError, match=r"uniqueness rule.*offending row: .*C-DUP") as err:
            store.upsert("customers", pd.DataFrame([{**row, "name": "Other"}]),
                         checkpoint=BatchCheckpoint("dup", "customers.csv", 1))
        assert err.value.query == "upsert_customers"
        assert store.completed_batches("dup") == {("customers.csv", 0)}
        assert store.counts()["customers"] == 1
        assert store.get_node(NodeRef(NodeLabel.CUSTOMER, "C-DUP")).properties["name"] == "Dup"
    finally:
        store.close()
