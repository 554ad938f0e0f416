"""The FDCompCN adapter against the real data set.

Why: FDCompCN is the data behind published GNN results, so the converted files must be the
data set and nothing else: every company, its 57 features unchanged, every relation but the
self-loops, and only the labels of the splits asked for. The counts below come from
``shared/datasets/fdcompcn/README.md``. Tests that need the data skip where it is absent.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from graphrisk.ingestion.berka import DATASETS_ENV
from graphrisk.ingestion.fdcompcn import (
    FdcompcnSummary,
    convert_fdcompcn,
    default_fdcompcn_dir,
    find_fdcompcn_dir,
    read_fdcompcn_nodes,
)
from graphrisk.ingestion.loader import ingest_directory
from graphrisk.store.embedded import EmbeddedGraphStore

pytestmark = pytest.mark.dataset

# Facts from shared/datasets/fdcompcn/README.md.
COMPANIES = 5_317
FRAUD = 559
SPLIT_SIZES = {"train": 2_126, "valid": 1_053, "test": 2_138}
EDGES_WITHOUT_SELF_LOOPS = {"IN": 3_042, "PR": 627, "SA": 926}
FEATURES = 57


@pytest.fixture(scope="module")
def fdcompcn_dir() -> Path:
    """The real data set, or a skip that says where it was looked for."""
    found = find_fdcompcn_dir()
    if found is None:
        pytest.skip(f"FDCompCN data set not found at {default_fdcompcn_dir()}: set "
                    f"{DATASETS_ENV} to the folder holding fdcompcn/ (see "
                    "shared/datasets/fdcompcn/README.md)")
    return found


@pytest.fixture(scope="module")
def converted(fdcompcn_dir: Path, tmp_path_factory: pytest.TempPathFactory
              ) -> tuple[Path, FdcompcnSummary]:
    """Converted once with the training and validation labels only, as an evaluation does."""
    out_dir = tmp_path_factory.mktemp("fdcompcn_out")
    return out_dir, convert_fdcompcn(fdcompcn_dir, out_dir, label_splits=("train", "valid"))


def _read(out_dir: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(out_dir / f"{name}.csv", dtype=str, keep_default_na=False)


def test_every_company_is_a_customer_with_one_account(converted) -> None:
    out_dir, summary = converted
    customers, accounts = _read(out_dir, "customers"), _read(out_dir, "accounts")
    assert summary.rows["customers"] == len(customers) == COMPANIES
    assert customers["customer_id"].is_unique
    assert set(customers["segment"]) == {"corporate"} and set(customers["country"]) == {"CN"}
    assert accounts["customer_id"].tolist() == customers["customer_id"].tolist()
    assert accounts["account_id"].is_unique


def test_only_the_chosen_splits_carry_labels(converted, fdcompcn_dir: Path) -> None:
    out_dir, summary = converted
    nodes = read_fdcompcn_nodes(fdcompcn_dir).set_index("customer_id")
    assert nodes["split"].value_counts().to_dict() == SPLIT_SIZES
    assert int(nodes["label"].sum()) == FRAUD
    customers = _read(out_dir, "customers").set_index("customer_id")
    labelled = customers.index[customers["known_risk_label"] == "fraud"]
    expected = nodes.index[(nodes["label"] == 1) & nodes["split"].isin(["train", "valid"])]
    assert sorted(labelled) == sorted(expected)
    assert summary.labelled == len(expected) and summary.label_splits == ("train", "valid")
    assert not (nodes.loc[labelled, "split"] == "test").any()
    assert set(customers.loc[labelled, "known_risk_source"]) == {"csmar_regulator_violations"}


def test_features_are_the_released_values(converted, fdcompcn_dir: Path) -> None:
    out_dir, summary = converted
    features = pd.read_csv(out_dir / "customer_features.csv")
    assert summary.rows["customer_features"] == len(features) == COMPANIES * FEATURES
    wide = features.pivot(index="customer_id", columns="feature", values="value")
    wide = wide[[f"f{j}" for j in range(FEATURES)]]
    released = np.load(fdcompcn_dir / "fdcompcn.npz")["features"]
    assert np.allclose(wide.to_numpy(), released, rtol=0, atol=1e-7)


def test_relations_become_transactions_without_self_loops(converted) -> None:
    out_dir, _ = converted
    txns = _read(out_dir, "transactions")
    assert txns["transaction_id"].is_unique
    assert (txns["from_account_id"] != txns["to_account_id"]).all()
    prefix = txns["transaction_id"].str.split("-").str[0]
    assert prefix.value_counts().to_dict() == EDGES_WITHOUT_SELF_LOOPS
    assert set(txns.loc[prefix == "IN", "transaction_type"]) == {"transfer"}
    assert set(txns.loc[prefix != "IN", "transaction_type"]) == {"payment"}
    assert set(txns["amount"]) == {"1.0"}  # the documented placeholder


def test_converted_files_load_without_a_rejected_row(converted, tmp_path: Path) -> None:
    out_dir, summary = converted
    with EmbeddedGraphStore(tmp_path / "graphrisk.db") as store:
        report = ingest_directory(store, out_dir)
        assert report.rows_rejected == 0
        assert report.rows_loaded == sum(summary.rows.values())
        snapshot = store.snapshot()
    assert len(snapshot.customer_features) == COMPANIES * FEATURES
    assert int(snapshot.customers["known_risk_label"].notna().sum()) == summary.labelled


def test_unknown_splits_and_a_missing_folder_are_refused(tmp_path: Path,
                                                         fdcompcn_dir: Path) -> None:
    from graphrisk.errors import IngestionError

    with pytest.raises(ValueError, match="unknown FDCompCN splits \\['testing'\\]"):
        convert_fdcompcn(fdcompcn_dir, tmp_path, label_splits=("train", "testing"))
    with pytest.raises(IngestionError, match="FDCompCN arrays not found"):
        convert_fdcompcn(tmp_path / "nowhere", tmp_path)


def test_the_import_command_writes_and_loads(fdcompcn_dir: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from graphrisk.cli import app

    out = tmp_path / "input"
    result = CliRunner().invoke(app, ["import", "fdcompcn", str(fdcompcn_dir), "--out",
                                      str(out), "--labels", "train"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())  # the console wraps long lines
    assert "5,317 customers" in text and "303,069 customer_features" in text
    assert "318,298 rows loaded" in text
    customers = _read(out, "customers")
    assert (customers["known_risk_label"] == "fraud").sum() == 224  # the training fraud
    refused = CliRunner().invoke(app, ["import", "fdcompcn", str(fdcompcn_dir), "--out",
                                       str(out), "--labels", "all", "--no-ingest"])
    assert refused.exit_code != 0
    assert "unknown FDCompCN splits" in " ".join(refused.output.split())
