"""`graphrisk score` on Neo4j (GDS inside the database) gives the embedded store's answer.

The same generated bank is loaded into both stores and scored end to end; the GDS engine's
rings and propagated risk are exact, so identity-ring clusters, network evidence and link
reasons must match. Louvain is a heuristic that igraph and GDS implement differently, so the
fused scores are compared by correlation and tier agreement rather than equality.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from graphrisk.ingestion.generator import generate_dataset
from graphrisk.ingestion.loader import ingest_directory
from graphrisk.policy import load_policy
from graphrisk.scoring import ScoringResult, score_store
from tests.stores import open_test_store

pytestmark = [pytest.mark.neo4j, pytest.mark.slow]


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ScoringResult]:
    root = tmp_path_factory.mktemp("score-both")
    generate_dataset(1_500, 21, root / "data")
    results = {}
    for kind in ("embedded", "neo4j"):
        store = open_test_store(kind, root)
        try:
            ingest_directory(store, root / "data")
            results[kind] = score_store(store, load_policy())
            history = store.score_history(results[kind].scores.iloc[0]["customer_id"])
            assert results[kind].run_id in set(history["run_id"])
        finally:
            store.close()
    return results


def test_neo4j_scoring_ran_inside_gds(both: dict[str, ScoringResult]) -> None:
    assert both["neo4j"].engine == "gds" and both["embedded"].engine == "python"


def test_same_rings_and_network_evidence(both: dict[str, ScoringResult]) -> None:
    python, gds = both["embedded"], both["neo4j"]
    assert python.network.rings.to_dict() == gds.network.rings.to_dict()
    assert len(python.network.rings) > 10
    rings = {kind: set(r.clusters.loc[r.clusters["kind"] == "identity_ring", "cluster_id"])
             for kind, r in both.items()}
    assert rings["embedded"] == rings["neo4j"]
    risk = {kind: r.network.propagated_risk.sort_index() for kind, r in both.items()}
    assert (risk["embedded"] - risk["neo4j"]).abs().max() < 1e-6 * risk["embedded"].max()
    network = {kind: r.scores.set_index("customer_id")["network"].sort_index()
               for kind, r in both.items()}
    assert (np.abs(network["embedded"] - network["neo4j"]) < 1e-9).mean() > 0.99


def test_scores_and_tiers_agree(both: dict[str, ScoringResult]) -> None:
    python = both["embedded"].scores.set_index("customer_id").sort_index()
    gds = both["neo4j"].scores.set_index("customer_id").sort_index()
    assert list(python.index) == list(gds.index)
    # Everything but the Louvain-dependent cluster evidence is computed the same way.
    for column in ("known", "individual", "typology"):
        np.testing.assert_allclose(python[column], gds[column], atol=1e-9)
    assert spearmanr(python["score"], gds["score"]).statistic > 0.98
    assert (python["tier"] == gds["tier"]).mean() > 0.97
    top = set(python["score"].nlargest(50).index) & set(gds["score"].nlargest(50).index)
    assert len(top) >= 40


def test_a_bank_without_labels_scores_alike_on_both_stores(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """No seed to propagate from (GDS gets none) and the label-free individual component:
    the two stores still give the same factors' answer."""
    root = tmp_path_factory.mktemp("score-unlabelled")
    generate_dataset(800, 22, root / "data")
    customers = pd.read_csv(root / "data" / "customers.csv", dtype=str,
                            keep_default_na=False)
    customers[["known_risk_label", "known_risk_source"]] = ""
    customers.to_csv(root / "data" / "customers.csv", index=False)
    scores = {}
    for kind in ("embedded", "neo4j"):
        store = open_test_store(kind, root)
        try:
            ingest_directory(store, root / "data")
            result = score_store(store, load_policy())
        finally:
            store.close()
        assert result.individual_model is not None
        assert result.individual_model.kind == "label_free"
        scores[kind] = result.scores.set_index("customer_id").sort_index()
    np.testing.assert_allclose(scores["embedded"]["individual"], scores["neo4j"]["individual"],
                               atol=1e-9)
    assert (scores["neo4j"]["network"] == 0).all()
    assert spearmanr(scores["embedded"]["score"], scores["neo4j"]["score"]).statistic > 0.98
