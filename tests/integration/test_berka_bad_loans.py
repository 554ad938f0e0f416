"""The Berka bad-loan benchmark hides the label: the loan status never becomes a feature.

Why: on Berka the label is the loan status (B or D), and the GNN's dataset builder turns loan
statuses into ``loans_in_trouble`` features. ``benchmarks/bench_berka.py`` blanks the status
before building anything; these tests check that the leak is real without the masking, gone
with it, and that the inductive split really removes the test customers from the graph.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

from graphrisk.graph import GraphSnapshot
from graphrisk.ingestion.berka import default_berka_dir, find_berka_dir
from graphrisk.models.dataset import build_graph_dataset

pytestmark = pytest.mark.dataset

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_berka.py"


def _load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_berka", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return _load_bench()


@pytest.fixture(scope="module")
def snapshot(bench: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> GraphSnapshot:
    folder = find_berka_dir()
    if folder is None:
        pytest.skip(f"Berka data set not found at {default_berka_dir()}: set "
                    "GRAPHRISK_DATASETS_DIR to the folder holding berka_pkdd99/")
    return bench.load_berka_snapshot(folder, tmp_path_factory.mktemp("bench-berka"))


def _population_labels(bench: ModuleType, snapshot: GraphSnapshot) -> pd.Series:
    population = bench.loan_holders(snapshot)
    known = snapshot.customers.set_index("customer_id")["known_risk_label"].notna()
    return known.reindex(population).astype(int)


def _features(bench: ModuleType, snapshot: GraphSnapshot) -> pd.DataFrame:
    return bench.customer_features(build_graph_dataset(snapshot))


def test_population_is_the_682_loan_holders_with_76_bad_loans(
    bench: ModuleType, snapshot: GraphSnapshot
) -> None:
    y = _population_labels(bench, snapshot)
    assert len(y) == 682
    assert int(y.sum()) == 76
    # Every labelled customer is a loan holder: nobody outside the population is a positive.
    assert int(snapshot.customers["known_risk_label"].notna().sum()) == 76


def test_without_masking_the_status_leaks_into_the_features(
    bench: ModuleType, snapshot: GraphSnapshot
) -> None:
    y = _population_labels(bench, snapshot)
    features = _features(bench, snapshot).loc[y.index]
    # The leak the benchmark guards against: troubled loans are exactly the positives.
    assert np.array_equal(features["loans_in_trouble"].to_numpy() > features[
        "loans_in_trouble"].min(), y.to_numpy() == 1)


def test_masked_snapshot_has_no_feature_equal_to_the_label(
    bench: ModuleType, snapshot: GraphSnapshot
) -> None:
    masked = bench.mask_loan_status(snapshot)
    y = _population_labels(bench, masked)
    assert len(y) == 682 and int(y.sum()) == 76
    assert masked.loans["status"].isna().all()
    assert masked.customers["known_risk_source"].isna().all()

    dataset = build_graph_dataset(masked)
    features = bench.customer_features(dataset).loc[y.index]
    target = y.to_numpy()
    for name in features.columns:
        values = features[name].to_numpy()
        separates = (len(np.unique(values[target == 1])) == 1
                     and not np.isin(values[target == 1], values[target == 0]).any())
        assert not separates, f"feature {name} singles out the bad loans"
    assert features["loans_in_trouble"].nunique() == 1
    trouble = dataset.encoders.feature_names("account").index("loans_in_trouble")
    assert dataset.data["account"].x[:, trouble].unique().numel() == 1
    top = bench.check_no_leak(masked, y.index, y)
    assert max(top.values()) < bench.LEAK_AUC


def test_inductive_graph_drops_the_test_customers_and_their_accounts(
    bench: ModuleType, snapshot: GraphSnapshot
) -> None:
    masked = bench.mask_loan_status(snapshot)
    test = bench.loan_holders(masked)[:50]
    accounts = masked.accounts.loc[masked.accounts["customer_id"].isin(test), "account_id"]
    reduced = bench.without_customers(masked, test)

    assert not reduced.customers["customer_id"].isin(test).any()
    assert not reduced.accounts["account_id"].isin(accounts).any()
    assert not reduced.loans["account_id"].isin(accounts).any()
    touched = (reduced.transactions["from_account_id"].isin(accounts)
               | reduced.transactions["to_account_id"].isin(accounts))
    assert not touched.any()
    assert len(reduced.loans) == 682 - 50
    # The reduced graph still builds, and the full one scores with its encoders.
    fitted = build_graph_dataset(reduced)
    full = build_graph_dataset(masked, encoders=fitted.encoders)
    assert not np.isin(fitted.customer_ids, test).any()
    assert np.isin(test, full.customer_ids).all()
