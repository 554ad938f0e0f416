"""The real Berka bank goes through the same validation and loader as everything else."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphrisk.domain import NodeLabel
from graphrisk.graph import NodeRef
from graphrisk.ingestion.berka import convert_berka, default_berka_dir, find_berka_dir
from graphrisk.ingestion.loader import ingest_directory
from graphrisk.store.embedded import EmbeddedGraphStore

pytestmark = pytest.mark.dataset


@pytest.fixture(scope="module")
def berka_dir() -> Path:
    folder = find_berka_dir()
    if folder is None:
        pytest.skip(f"Berka data set not found at {default_berka_dir()}: set "
                    "GRAPHRISK_DATASETS_DIR to the folder holding berka_pkdd99/")
    return folder


def test_berka_ingests_cleanly_and_links_customers(berka_dir: Path, tmp_path: Path) -> None:
    converted = tmp_path / "berka"
    convert_berka(berka_dir, converted)
    with EmbeddedGraphStore(tmp_path / "berka.db") as store:
        report = ingest_directory(store, converted, reports_dir=tmp_path / "reports")
        assert report.errors == [], [p.line() for p in report.errors[:5]]
        counts = store.counts()
        assert counts["customers"] == 5369
        assert counts["accounts"] == 4500
        assert counts["account_holders"] == 869
        assert counts["loans"] == 682
        assert counts["transactions"] == 46997 + 6471
        assert store.consistency_problems() == []
        snapshot = store.snapshot()
        bad = snapshot.customers["known_risk_label"].eq("credit_default").sum()
        assert bad == 76
        # A disponent is linked to the owner through the shared account.
        holder = snapshot.account_holders.iloc[0]
        owner = snapshot.accounts.set_index("account_id").loc[holder["account_id"], "customer_id"]
        path = store.shortest_path(NodeRef(NodeLabel.CUSTOMER, holder["customer_id"]),
                                   NodeRef(NodeLabel.CUSTOMER, owner))
        assert path is not None and path.length == 2
        # Re-loading the same files is idempotent.
        ingest_directory(store, converted)
        assert store.counts() == counts
