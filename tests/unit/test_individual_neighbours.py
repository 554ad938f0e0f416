"""The individual model with the neighbours' factors: the graph-feature trees as the
``individual`` scoring component, re-scoring without a graph, and reasons that say which
neighbour stands out."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from graphrisk.analytics.customer_graph import CustomerGraph, build_customer_graph
from graphrisk.analytics.evaluation import roc_auc
from graphrisk.analytics.factors import FACTOR_COLUMNS, compute_risk_factors
from graphrisk.analytics.graph_features import NEIGHBOURS, neighbour_column
from graphrisk.analytics.individual_model import (
    explain_neighbours,
    fit_individual_model,
    neighbour_features,
)
from graphrisk.analytics.network import PythonNetworkEngine
from graphrisk.graph import GraphSnapshot
from graphrisk.ingestion.generator import MIN_CUSTOMERS, generate_dataset
from graphrisk.ingestion.loader import ingest_directory
from graphrisk.policy import load_policy
from graphrisk.scoring import ScoringSettings, score_customers
from graphrisk.store.embedded import EmbeddedGraphStore


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> tuple[GraphSnapshot, pd.Series]:
    folder: Path = tmp_path_factory.mktemp("bank")
    generate_dataset(2 * MIN_CUSTOMERS, 7, folder, watchlists=False)
    with EmbeddedGraphStore(folder / "s.db") as store:
        ingest_directory(store, folder)
        snapshot = store.snapshot()
    truth = pd.read_csv(folder / "truth" / "ground_truth.csv").set_index("customer_id")
    return snapshot, truth["risky"]


def test_neighbour_factors_lift_the_held_out_quality(bank) -> None:
    snapshot, risky = bank
    factors = compute_risk_factors(snapshot)
    known = snapshot.customers.set_index("customer_id")["known_risk_label"].notna()
    graph = build_customer_graph(snapshot)
    alone, _ = fit_individual_model(factors, known)
    both, model = fit_individual_model(factors, known, graph=graph)
    assert model.feature_columns[: len(FACTOR_COLUMNS)] == tuple(FACTOR_COLUMNS)
    assert neighbour_column("fraud_claims", "max") in model.feature_columns
    unknown = known.index[~known]
    truth = risky.reindex(unknown).fillna(0).astype(int)
    assert roc_auc(truth, both.reindex(unknown)) > roc_auc(truth, alone.reindex(unknown))


def test_rescoring_with_factors_only_reproduces_the_fit(bank) -> None:
    snapshot, _ = bank
    factors = compute_risk_factors(snapshot)
    known = snapshot.customers.set_index("customer_id")["known_risk_label"].notna()
    scores, model = fit_individual_model(factors, known, graph=build_customer_graph(snapshot))
    # Re-scoring passes the recomputed factors only: the kept neighbourhood fills the rest.
    again = model.predict(factors.iloc[::7])
    np.testing.assert_array_equal(again.to_numpy(), scores.iloc[::7].to_numpy())
    # A customer the fit never saw counts as one without neighbours.
    stranger = factors.iloc[[0]].assign(customer_id="NEW-1")
    assert 0.0 <= model.predict(stranger).iloc[0] <= 1.0
    assert model.neighbourhood is not None
    assert model.neighbourhood.loc[factors["customer_id"].iloc[0], NEIGHBOURS] >= 0


def test_neighbour_features_never_read_labels(bank) -> None:
    snapshot, _ = bank
    factors = compute_risk_factors(snapshot)
    graph = build_customer_graph(snapshot)
    first = neighbour_features(factors, graph)
    assert not [c for c in first.columns if "known" in c]
    assert not first.isna().any().any()  # no neighbours: 0, so the logistic model reads them


def test_the_reason_names_the_neighbour_who_stands_out() -> None:
    ids = [f"C{i:02d}" for i in range(40)]
    # C00 is linked to C01 and C02; C01 filed 6 fraud claims, nobody else more than 0.
    factors = pd.DataFrame({"customer_id": ids, **{c: 0.0 for c in FACTOR_COLUMNS}})
    factors.loc[1, "fraud_claims"] = 6.0
    upper = sparse.coo_matrix(([1.0, 1.0], ([0, 0], [1, 2])), shape=(40, 40))
    graph = CustomerGraph(np.array(ids, dtype=object), (upper + upper.T).tocsr())
    reasons = explain_neighbours(neighbour_features(factors, graph))
    assert reasons.loc["C00", "reason"] == "one of their 2 linked customers: 6 fraud claims filed"
    assert reasons.loc["C00", "percentile"] >= 0.95
    # C01 (whose neighbour is ordinary) and C03 (no neighbours) get none.
    assert pd.isna(reasons.loc["C01", "reason"]) and pd.isna(reasons.loc["C03", "reason"])


def test_scoring_reads_the_neighbours_unless_told_not_to(bank) -> None:
    snapshot, _ = bank
    policy = load_policy()
    result = score_customers(snapshot, PythonNetworkEngine(snapshot), policy)
    assert result.individual_model is not None
    assert result.individual_model.neighbourhood is not None
    reasons = [r for rs in result.scores["reasons"] for r in rs]
    assert any("linked customer" in r for r in reasons)
    plain = score_customers(snapshot, PythonNetworkEngine(snapshot), policy,
                            ScoringSettings(neighbour_features=False))
    assert plain.individual_model is not None
    assert plain.individual_model.neighbourhood is None
    assert not any(r.startswith("one of their") for rs in plain.scores["reasons"] for r in rs)


def test_the_model_fitted_on_a_store_reads_the_neighbours_and_the_banks_thresholds(
        tmp_path: Path) -> None:
    # Re-scoring without a kept model fits one on the whole graph: as a full run's, it reads
    # the neighbours' factors and keeps the typology thresholds derived from the bank.
    from graphrisk.rescoring import fit_individual_model_on_store

    generate_dataset(MIN_CUSTOMERS, 3, tmp_path / "bank", watchlists=False)
    with EmbeddedGraphStore(tmp_path / "s.db") as store:
        ingest_directory(store, tmp_path / "bank")
        settings = ScoringSettings.from_policy(load_policy())
        model = fit_individual_model_on_store(store, settings)
        full = score_customers(store.snapshot(), PythonNetworkEngine(store.snapshot()),
                               load_policy(), settings)
    assert model.neighbourhood is not None
    assert model.population is not None and model.population.typologies is not None
    assert model.population.typologies == full.typologies.settings
    assert model.population.typologies.min_amount != settings.typologies.min_amount
