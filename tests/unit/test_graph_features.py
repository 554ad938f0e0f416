"""Graph-feature trees: neighbour aggregates a person can check, no customer's own label in
their own features, better than chance on a generated bank, the same for the same seed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from graphrisk.analytics.customer_graph import CustomerGraph, build_customer_graph
from graphrisk.analytics.evaluation import roc_auc
from graphrisk.analytics.factors import compute_risk_factors
from graphrisk.analytics.graph_features import (
    KNOWN_RISK,
    NEIGHBOURS,
    fit_graph_feature_trees,
    neighbour_aggregates,
    neighbour_column,
)
from graphrisk.ingestion.generator import MIN_CUSTOMERS, generate_dataset
from graphrisk.ingestion.loader import ingest_directory
from graphrisk.store.embedded import EmbeddedGraphStore


def _graph(ids: list[str], edges: list[tuple[str, str]], *, self_links: bool = False
           ) -> CustomerGraph:
    position = {c: i for i, c in enumerate(ids)}
    rows = [position[a] for a, _ in edges]
    cols = [position[b] for _, b in edges]
    upper = sparse.coo_matrix((np.full(len(edges), 2.0), (rows, cols)),
                              shape=(len(ids), len(ids)))
    adjacency = upper + upper.T
    if self_links:
        adjacency = adjacency + sparse.identity(len(ids))
    return CustomerGraph(np.array(ids, dtype=object), adjacency.tocsr())


def test_neighbour_aggregates_by_hand() -> None:
    # A - B, A - C, D alone; C's amount is missing; E is in the graph but not in the table.
    graph = _graph(["A", "B", "C", "D", "E"], [("A", "B"), ("A", "C"), ("B", "E")])
    features = pd.DataFrame({"amount": [1.0, -2.0, np.nan, 5.0]},
                            index=pd.Index(["A", "B", "C", "D"], name="customer_id"))
    known = pd.Series({"A": True, "B": True, "E": True})
    out = neighbour_aggregates(features, graph, known=known)
    assert out.index.equals(features.index)
    assert out[NEIGHBOURS].tolist() == [2.0, 1.0, 1.0, 0.0]  # E is nobody's neighbour
    assert out.loc["A", neighbour_column("amount", "mean")] == -2.0  # C's NaN is skipped
    assert out.loc["A", neighbour_column("amount", "max")] == -2.0
    assert out.loc["A", neighbour_column("amount", "sum")] == -2.0
    assert out.loc["B", neighbour_column("amount", "max")] == 1.0
    assert out.loc["C", neighbour_column("amount", "sum")] == 1.0
    # A's neighbours are B (known) and C (not): half, one, one.
    assert out.loc["A", neighbour_column(KNOWN_RISK, "mean")] == 0.5
    assert out.loc["A", neighbour_column(KNOWN_RISK, "max")] == 1.0
    assert out.loc["A", neighbour_column(KNOWN_RISK, "sum")] == 1.0
    # D has no neighbours: no mean or max, a sum of nothing.
    assert out.loc["D", [neighbour_column("amount", "mean"),
                         neighbour_column("amount", "max")]].isna().all()
    assert out.loc["D", neighbour_column(KNOWN_RISK, "sum")] == 0.0
    with pytest.raises(ValueError, match="statistics"):
        neighbour_aggregates(features, graph, statistics=("median",))


def test_own_label_never_changes_own_neighbour_features() -> None:
    # Self-links in the graph (as a sloppy caller might build) must not carry a label home.
    ids = [f"C{i:03d}" for i in range(60)]
    rng = np.random.default_rng(0)
    edges = sorted({tuple(sorted(rng.choice(ids, 2, replace=False))) for _ in range(150)})
    graph = _graph(ids, edges, self_links=True)  # type: ignore[arg-type]
    features = pd.DataFrame({"x": rng.normal(size=60)}, index=pd.Index(ids, name="customer_id"))
    known = pd.Series(rng.random(60) < 0.3, index=ids)
    before = neighbour_aggregates(features, graph, known=known)
    for customer in ids:
        flipped = known.copy()
        flipped[customer] = not flipped[customer]
        after = neighbour_aggregates(features, graph, known=flipped)
        pd.testing.assert_series_equal(after.loc[customer], before.loc[customer])
        # ... while a neighbour's row does see the change (the test could fail).
        same = (after == before) | (after.isna() & before.isna())
        changed = after.index[~same.all(axis=1)]
        assert customer not in changed
        assert len(changed) == before.loc[customer, NEIGHBOURS]


def test_fit_hides_each_fold_labels_from_the_rows_it_scores() -> None:
    ids = [f"C{i:03d}" for i in range(200)]
    rng = np.random.default_rng(1)
    edges = sorted({tuple(sorted(rng.choice(ids, 2, replace=False))) for _ in range(600)})
    graph = _graph(ids, edges)  # type: ignore[arg-type]
    features = pd.DataFrame({"x": rng.normal(size=200)}, index=pd.Index(ids, name="customer_id"))
    known = pd.Series(rng.random(200) < 0.25, index=ids)
    trees = fit_graph_feature_trees(features, graph, known, folds=4, seed=3)
    linked = (graph.adjacency > 0).toarray()
    fold = trees.fold.to_numpy()
    for i, customer in enumerate(ids):
        # The known neighbours a customer was scored with are those outside their fold.
        visible = linked[i] & known.to_numpy() & (fold != fold[i])
        assert trees.features.loc[customer, neighbour_column(KNOWN_RISK, "sum")] == \
            visible.sum()


def test_unrelated_labels_stay_unpredictable_even_with_self_links() -> None:
    # Coin-flip labels on a graph with self-links: if a customer's own label reached their
    # own features, the trees would rank the labels nearly perfectly.
    ids = [f"C{i:04d}" for i in range(1500)]
    rng = np.random.default_rng(2)
    edges = sorted({tuple(sorted(rng.choice(ids, 2, replace=False))) for _ in range(3000)})
    graph = _graph(ids, edges, self_links=True)  # type: ignore[arg-type]
    features = pd.DataFrame({"x": rng.normal(size=1500)},
                            index=pd.Index(ids, name="customer_id"))
    known = pd.Series(rng.random(1500) < 0.15, index=ids)
    trees = fit_graph_feature_trees(features, graph, known, seed=0)
    assert roc_auc(known, trees.scores) < 0.6


@pytest.fixture(scope="module")
def generated_bank(tmp_path_factory: pytest.TempPathFactory
                   ) -> tuple[pd.DataFrame, CustomerGraph, pd.Series, pd.Series]:
    folder: Path = tmp_path_factory.mktemp("bank")
    generate_dataset(2 * MIN_CUSTOMERS, 7, folder, watchlists=False)
    with EmbeddedGraphStore(folder / "s.db") as store:
        ingest_directory(store, folder)
        snapshot = store.snapshot()
    customers = snapshot.customers.set_index("customer_id")
    known = customers["known_risk_label"].notna()
    factors = compute_risk_factors(snapshot).set_index("customer_id")
    truth = pd.read_csv(folder / "truth" / "ground_truth.csv").set_index("customer_id")
    risky = truth["risky"].reindex(factors.index).fillna(0).astype(int)
    return factors, build_customer_graph(snapshot), known, risky


def test_held_out_quality_beats_chance_on_a_generated_bank(generated_bank) -> None:
    factors, graph, known, risky = generated_bank
    trees = fit_graph_feature_trees(factors, graph, known, seed=0)
    assert trees.scores.index.equals(factors.index)
    assert trees.scores.between(0.0, 1.0).all()
    unknown = known.index[~known]
    assert roc_auc(risky.reindex(unknown), trees.scores.reindex(unknown)) > 0.8


def test_deterministic_for_a_seed(generated_bank) -> None:
    factors, graph, known, _ = generated_bank
    first = fit_graph_feature_trees(factors, graph, known, folds=3, seed=11)
    again = fit_graph_feature_trees(factors, graph, known, folds=3, seed=11)
    other = fit_graph_feature_trees(factors, graph, known, folds=3, seed=12)
    pd.testing.assert_series_equal(first.scores, again.scores)
    assert not first.scores.equals(other.scores)


def test_predict_scores_another_snapshot_with_the_final_model(generated_bank) -> None:
    factors, graph, known, _ = generated_bank
    train = factors.index[: len(factors) // 2]
    trees = fit_graph_feature_trees(factors, graph, known, train=train, seed=0)
    # Customers outside the training population were scored by the final model: predict
    # gives them the same values.
    predicted = trees.predict(factors, graph, known)
    rest = factors.index.difference(train)
    np.testing.assert_allclose(predicted.reindex(rest), trees.scores.reindex(rest))
    assert (trees.fold.reindex(rest) == -1).all()
    with pytest.raises(ValueError, match="known"):
        trees.predict(factors, graph)


def test_inputs_are_checked(generated_bank) -> None:
    factors, graph, known, _ = generated_bank
    with pytest.raises(ValueError, match="folds"):
        fit_graph_feature_trees(factors, graph, known, folds=1)
    with pytest.raises(ValueError, match="nope"):
        fit_graph_feature_trees(factors, graph, known, aggregate=["nope"])
    with pytest.raises(ValueError, match="known label"):
        fit_graph_feature_trees(factors, graph, known & False)
