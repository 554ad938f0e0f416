"""Smoke test of the local Neo4j server started by neo4j-local/neo4j-local.sh.

    neo4j-local/neo4j-local.sh start
    .venv/bin/python neo4j-local/smoke_test.py

Checks: the configured password logs in and a wrong one is refused; GDS and APOC are
loaded; a real GDS run (graph projection, WCC, personalised PageRank, Louvain) on a small
graph gives the expected answer.  Everything it creates is removed again.
Exit code 0 when all checks pass.  Uses GRAPHRISK_NEO4J_PORT / GRAPHRISK_NEO4J_PASSWORD
(or GRAPHRISK_NEO4J_URI) like the start script.
"""

from __future__ import annotations

import os
import sys
import time

from neo4j import GraphDatabase
from neo4j.exceptions import AuthError

PORT = os.environ.get("GRAPHRISK_NEO4J_PORT", "7687")
URI = os.environ.get("GRAPHRISK_NEO4J_URI", f"bolt://127.0.0.1:{PORT}")
USER = "neo4j"
PASSWORD = os.environ.get("GRAPHRISK_NEO4J_PASSWORD", "graphrisk-local")

LABEL = "GraphRiskSmoke"
GRAPH = "graphrisk_smoke"

# Two 4-cliques joined by one bridge edge (a1-b1), plus a separate pair c1-c2.
CLIQUE_A = ["a1", "a2", "a3", "a4"]
CLIQUE_B = ["b1", "b2", "b3", "b4"]
PAIR_C = ["c1", "c2"]


def _edges() -> list[tuple[str, str]]:
    edges = []
    for clique in (CLIQUE_A, CLIQUE_B):
        for i, u in enumerate(clique):
            for v in clique[i + 1:]:
                edges.append((u, v))
    edges.append(("a1", "b1"))
    edges.append(("c1", "c2"))
    return edges


def check(cond: bool, what: str) -> None:
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        raise SystemExit(1)


def main() -> int:
    print(f"server: {URI}")

    # 1. Wrong password is refused.
    bad = GraphDatabase.driver(URI, auth=(USER, PASSWORD + "-wrong"))
    try:
        bad.verify_connectivity()
        refused = False
    except AuthError as e:
        refused = True
        print(f"     wrong password -> {type(e).__name__}: {e.code}")
    finally:
        bad.close()
    check(refused, "a wrong password is refused")

    driver = GraphDatabase.driver(URI, auth=(USER, PASSWORD))
    try:
        driver.verify_connectivity()
        check(True, "the configured password is accepted")
        with driver.session() as s:
            info = s.run("CALL dbms.components() YIELD name, versions, edition "
                         "RETURN name, versions[0] AS v, edition").single()
            print(f"     server: {info['name']} {info['v']} {info['edition']}")
            check(info["v"].startswith("5.26."), "Neo4j 5.26 LTS")

            gds = s.run("CALL gds.version() YIELD gdsVersion RETURN gdsVersion").single()[0]
            print(f"     gds.version() = {gds}")
            check(gds.startswith("2.13."), "GDS 2.13.x loaded")
            apoc = s.run("RETURN apoc.version() AS v").single()[0]
            print(f"     apoc.version() = {apoc}")
            check(apoc.startswith("5.26."), "APOC core loaded")
            n_gds = s.run("SHOW PROCEDURES YIELD name WHERE name STARTS WITH 'gds.' "
                          "RETURN count(*)").single()[0]
            n_apoc = s.run("SHOW FUNCTIONS YIELD name WHERE name STARTS WITH 'apoc.' "
                           "RETURN count(*)").single()[0]
            print(f"     {n_gds} gds.* procedures, {n_apoc} apoc.* functions")
            check(n_gds > 100 and n_apoc > 50, "GDS procedures and APOC functions registered")

            # 2. A small graph.
            s.run(f"MATCH (n:{LABEL}) DETACH DELETE n").consume()
            s.run(f"UNWIND $names AS name CREATE (:{LABEL} {{name: name}})",
                  names=CLIQUE_A + CLIQUE_B + PAIR_C).consume()
            s.run(f"UNWIND $edges AS e MATCH (u:{LABEL} {{name: e[0]}}), (v:{LABEL} {{name: e[1]}}) "
                  "CREATE (u)-[:LINK]->(v)", edges=_edges()).consume()
            n, r = s.run(f"MATCH (n:{LABEL}) OPTIONAL MATCH (n)-[r:LINK]->() "
                         "RETURN count(DISTINCT n), count(r)").single()
            check((n, r) == (10, 14), f"created {n} nodes / {r} relationships")

            try:
                t0 = time.perf_counter()
                proj = s.run(
                    "CALL gds.graph.project($g, $label, {LINK: {orientation: 'UNDIRECTED'}}) "
                    "YIELD graphName, nodeCount, relationshipCount "
                    "RETURN graphName, nodeCount, relationshipCount",
                    g=GRAPH, label=LABEL).single()
                check(proj["nodeCount"] == 10 and proj["relationshipCount"] == 28,
                      f"gds.graph.project: {proj['nodeCount']} nodes, "
                      f"{proj['relationshipCount']} (undirected) relationships")

                # WCC: {a*, b*} (joined by the bridge) and {c*}.
                wcc = {rec["name"]: rec["componentId"] for rec in s.run(
                    "CALL gds.wcc.stream($g) YIELD nodeId, componentId "
                    "RETURN gds.util.asNode(nodeId).name AS name, componentId", g=GRAPH)}
                groups = sorted(sorted(k for k, v in wcc.items() if v == c) for c in set(wcc.values()))
                print(f"     wcc: {groups}")
                check(groups == [sorted(CLIQUE_A + CLIQUE_B), PAIR_C], "gds.wcc.stream components")

                # Personalised PageRank from a2: its own clique ranks above the other clique,
                # the unreachable pair scores 0.
                pr = {rec["name"]: rec["score"] for rec in s.run(
                    f"MATCH (src:{LABEL} {{name: 'a2'}}) "
                    "CALL gds.pageRank.stream($g, {sourceNodes: [src], maxIterations: 50}) "
                    "YIELD nodeId, score RETURN gds.util.asNode(nodeId).name AS name, score",
                    g=GRAPH)}
                print("     pageRank(source a2): " +
                      ", ".join(f"{k}={pr[k]:.3f}" for k in sorted(pr)))
                check(max(pr, key=pr.get) == "a2", "personalised PageRank: the source ranks first")
                check(min(pr[x] for x in CLIQUE_A) > max(pr[x] for x in CLIQUE_B),
                      "personalised PageRank: source clique above the other clique")
                check(pr["b1"] == max(pr[x] for x in CLIQUE_B), "personalised PageRank: bridge end b1 tops clique B")
                check(all(pr[x] == 0.0 for x in PAIR_C), "personalised PageRank: unreachable nodes score 0")

                # Louvain: the two cliques and the pair.
                lv = {rec["name"]: rec["communityId"] for rec in s.run(
                    "CALL gds.louvain.stream($g) YIELD nodeId, communityId "
                    "RETURN gds.util.asNode(nodeId).name AS name, communityId", g=GRAPH)}
                comms = sorted(sorted(k for k, v in lv.items() if v == c) for c in set(lv.values()))
                print(f"     louvain: {comms}")
                check(comms == sorted([CLIQUE_A, CLIQUE_B, PAIR_C]), "gds.louvain.stream communities")
                print(f"     GDS projection + 3 algorithms: {time.perf_counter() - t0:.2f} s")
            finally:
                s.run("CALL gds.graph.drop($g, false) YIELD graphName RETURN graphName", g=GRAPH).consume()
                s.run(f"MATCH (n:{LABEL}) DETACH DELETE n").consume()
            left = s.run("CALL gds.graph.list() YIELD graphName RETURN collect(graphName)").single()[0]
            check(GRAPH not in left, "projected graph dropped")
            check(s.run(f"MATCH (n:{LABEL}) RETURN count(n)").single()[0] == 0, "smoke-test nodes deleted")
    finally:
        driver.close()
    print("smoke test passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
