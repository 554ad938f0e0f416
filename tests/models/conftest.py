"""Shared fixtures for the GNN tests: generated banks, built once per session."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from graphrisk.store.base import GraphSnapshot
from graphrisk.store.embedded import EmbeddedGraphStore
from ingestion.generator import generate_dataset
from ingestion.loader import ingest_directory

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


@pytest.fixture
def tiny_snapshot(tiny_dir: Path, tmp_path: Path) -> GraphSnapshot:
    """The hand-built tiny ring: C2, C3, C4 share a device, C2 and C3 a phone, C1 and C6 an
    address; A2 -> A3 -> A4 -> A2 is a money cycle; C1 co-holds C6's account A6."""
    with EmbeddedGraphStore(tmp_path / "tiny.db") as store:
        ingest_directory(store, tiny_dir)
        return store.snapshot()
