"""Every store keeps a dispute's accused: the columns in the snapshot, an ``AGAINST``
relationship from the dispute to the accused customer or counterparty, the region of the
accused; a re-load adds nothing and a changed accused moves the relationship.

The tiny ring gains D2 (C1's chargeback against C5, a business) and D3 (C2's complaint
against the merchant M1); D1 (C3's fraud claim) names nobody.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from graphrisk.analytics.region import region_of
from graphrisk.domain import NodeLabel, RelType
from graphrisk.graph import NodeRef
from graphrisk.ingestion.loader import ingest_directory
from graphrisk.store.base import GraphStore

HEADER = ("dispute_id,customer_id,account_id,transaction_id,kind,amount,status,opened_date,"
          "closed_date,against_customer_id,against_counterparty_id\n")
ROWS = ("D1,C3,A3,T3,fraud_claim,9500,open,2024-02-10,,,\n"
        "D2,C1,A1,,chargeback,54.2,open,2024-02-11,,C5,\n"
        "D3,C2,A2,,complaint,,investigating,2024-02-12,,,M1\n")


@pytest.fixture
def accused(store: GraphStore, tiny_dir: Path) -> GraphStore:
    (tiny_dir / "disputes.csv").write_text(HEADER + ROWS)
    report = ingest_directory(store, tiny_dir)
    assert report.problems == []
    return store


def _against(store: GraphStore, ref: NodeRef) -> set[tuple[str, str]]:
    """The ``AGAINST`` relationships one hop from ``ref``, as (start, end) text."""
    sub = store.neighbourhood(ref, hops=1)
    return {(str(r.start), str(r.end)) for r in sub.relationships if r.type is RelType.AGAINST}


def test_the_snapshot_holds_the_accused(accused: GraphStore) -> None:
    disputes = accused.snapshot().disputes.set_index("dispute_id")
    assert list(disputes.columns[-2:]) == ["against_customer_id", "against_counterparty_id"]
    assert disputes.loc["D2", "against_customer_id"] == "C5"
    assert pd.isna(disputes.loc["D2", "against_counterparty_id"])
    assert disputes.loc["D3", "against_counterparty_id"] == "M1"
    assert disputes.loc["D1", ["against_customer_id", "against_counterparty_id"]].isna().all()
    assert accused.consistency_problems() == []


def test_the_accused_is_a_neighbour_of_the_dispute(accused: GraphStore) -> None:
    assert _against(accused, NodeRef(NodeLabel.CUSTOMER, "C5")) == {
        ("Dispute:D2", "Customer:C5")}
    assert _against(accused, NodeRef(NodeLabel.COUNTERPARTY, "M1")) == {
        ("Dispute:D3", "Counterparty:M1")}
    assert _against(accused, NodeRef(NodeLabel.DISPUTE, "D1")) == set()
    # The complainant still raised it; the accused is not a complainant.
    raised = {(str(r.start), str(r.end)) for r in accused.neighbourhood(
        NodeRef(NodeLabel.DISPUTE, "D2"), hops=1).relationships if r.type is RelType.RAISED}
    assert raised == {("Customer:C1", "Dispute:D2")}


def test_a_time_window_keeps_the_accused_by_the_opened_date(accused: GraphStore) -> None:
    c5 = NodeRef(NodeLabel.CUSTOMER, "C5")
    inside = accused.neighbourhood(c5, hops=1, types=[RelType.AGAINST],
                                   since=datetime(2024, 2, 11), until=datetime(2024, 2, 11))
    outside = accused.neighbourhood(c5, hops=1, types=[RelType.AGAINST],
                                    since=datetime(2024, 3, 1))
    assert [str(r.start) for r in inside.relationships] == ["Dispute:D2"]
    assert len(outside.relationships) == 0


def test_reloading_adds_nothing_and_a_changed_accused_moves(accused: GraphStore,
                                                           tiny_dir: Path) -> None:
    before = accused.counts()
    ingest_directory(accused, tiny_dir)
    assert accused.counts() == before
    assert _against(accused, NodeRef(NodeLabel.CUSTOMER, "C5")) == {
        ("Dispute:D2", "Customer:C5")}
    # D2 now accuses the merchant M1 instead, and D3 nobody.
    (tiny_dir / "disputes.csv").write_text(HEADER + ROWS.replace(
        "2024-02-11,,C5,", "2024-02-11,,,M1").replace("2024-02-12,,,M1", "2024-02-12,,,"))
    ingest_directory(accused, tiny_dir)
    assert accused.counts() == before
    assert _against(accused, NodeRef(NodeLabel.CUSTOMER, "C5")) == set()
    assert _against(accused, NodeRef(NodeLabel.COUNTERPARTY, "M1")) == {
        ("Dispute:D2", "Counterparty:M1")}
    disputes = accused.snapshot().disputes.set_index("dispute_id")
    assert pd.isna(disputes.loc["D2", "against_customer_id"])
    assert disputes.loc["D2", "against_counterparty_id"] == "M1"
    assert pd.isna(disputes.loc["D3", "against_counterparty_id"])
    assert accused.consistency_problems() == []


def _normalised(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype(object).where(frame.notna(), None).reset_index(drop=True)


def test_the_region_of_the_accused_holds_the_disputes_against_them(accused: GraphStore) -> None:
    snapshot = accused.snapshot()
    for customers in (["C5"], ["C1"], ["C2"], ["C1", "C5"]):
        expected = region_of(snapshot, customers)
        actual = accused.region_snapshot(customers)
        for name, frame in vars(expected).items():
            got = getattr(actual, name)
            assert list(got.columns) == list(frame.columns), name
            pd.testing.assert_frame_equal(_normalised(got), _normalised(frame),
                                          check_dtype=False, obj=name)
    region = accused.region_snapshot(["C5"])
    assert region.disputes["dispute_id"].tolist() == ["D2"]
    assert "C1" in set(region.customers["customer_id"])  # the complainant is named
    # C2's complaint accuses M1, which the region of C2 therefore holds.
    assert "M1" in set(accused.region_snapshot(["C2"]).counterparties["counterparty_id"])
