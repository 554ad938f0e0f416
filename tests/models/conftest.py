"""Shared fixtures for the GNN tests: generated banks, built once per session."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from graphrisk.graph import GraphSnapshot
from graphrisk.ingestion.generator import generate_dataset
from graphrisk.ingestion.loader import ingest_directory
from graphrisk.store.embedded import EmbeddedGraphStore

BANK_CUSTOMERS, BANK_SEED = 1_500, 3
OTHER_CUSTOMERS, OTHER_SEED = 600, 5


def _generated(root: Path, customers: int, seed: int) -> tuple[GraphSnapshot, pd.DataFrame]:
    generate_dataset(customers, seed, root / "data")
    with EmbeddedGraphStore(root / "graphrisk.db") as store:
        ingest_directory(store, root / "data")
        snapshot = store.snapshot()
    truth = pd.read_csv(root / "data" / "truth" / "ground_truth.csv").set_index("customer_id")
    return snapshot, truth


@pytest.fixture(scope="session")
def bank(tmp_path_factory: pytest.TempPathFactory) -> tuple[GraphSnapshot, pd.DataFrame]:
    """A generated bank of 1,500 customers and its hidden truth."""
    return _generated(tmp_path_factory.mktemp("gnn-bank"), BANK_CUSTOMERS, BANK_SEED)


@pytest.fixture(scope="session")
def other_bank(tmp_path_factory: pytest.TempPathFactory) -> GraphSnapshot:
    """A second, smaller bank from another seed: a "later snapshot" for inductive use."""
    return _generated(tmp_path_factory.mktemp("gnn-other"), OTHER_CUSTOMERS, OTHER_SEED)[0]

