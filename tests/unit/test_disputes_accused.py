"""A dispute may name the accused (a customer or a counterparty): the input checks it, the
embedded store keeps it (an older file gains the columns), and it becomes the accused's
factor, not the complainant's risk when it was upheld.

The tiny ring holds one dispute (D1, a fraud claim by C3 naming nobody). Tests add disputes
against C5 (a business, A5) and the merchant M1.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from graphrisk.analytics.factors import (
    compute_risk_factors,
    explain_all_factors,
    factor_percentiles,
)
from graphrisk.domain import DISPUTES
from graphrisk.graph import GraphSnapshot
from graphrisk.rescoring import ChangeSet
from graphrisk.store.embedded import SCHEMA_VERSION, EmbeddedGraphStore
from tests.helpers import load_folder, problem_lines

HEADER = ("dispute_id,customer_id,account_id,transaction_id,kind,amount,status,opened_date,"
          "closed_date,against_customer_id,against_counterparty_id\n")


def _write_disputes(folder: Path, *rows: str) -> None:
    (folder / "disputes.csv").write_text(HEADER + "".join(f"{r}\n" for r in rows))


def test_the_accused_columns_are_optional_and_at_most_one_is_filled() -> None:
    assert not DISPUTES.column("against_customer_id").required
    assert DISPUTES.column("against_customer_id").references == "customers"
    assert DISPUTES.column("against_counterparty_id").references == "counterparties"
    assert "against_customer_id" not in DISPUTES.required_headers
    assert DISPUTES.at_most_one_of == (("against_customer_id", "against_counterparty_id"),)


def test_accused_disputes_load_and_a_file_without_the_columns_still_does(
        embedded_store, tiny_dir, tmp_path) -> None:
    _write_disputes(tiny_dir, "D1,C3,A3,T3,fraud_claim,9500,open,2024-02-10,,,",
                    "D2,C1,A1,,chargeback,54.2,open,2024-02-11,,C5,",
                    "D3,C2,A2,,complaint,,investigating,2024-02-12,,,M1")
    report = load_folder(embedded_store, tiny_dir, tmp_path)
    assert report.problems == []
    disputes = embedded_store.snapshot().disputes.set_index("dispute_id")
    assert disputes.loc["D2", "against_customer_id"] == "C5"
    assert disputes.loc["D3", "against_counterparty_id"] == "M1"
    assert pd.isna(disputes.loc["D1", "against_customer_id"])
    assert embedded_store.consistency_problems() == []


@pytest.mark.parametrize(
    ("row", "expected_line"),
    [
        ("D2,C1,A1,,chargeback,54.2,open,2024-02-11,,C404,",
         "disputes.csv, row 3, column against_customer_id: unknown against_customer_id: not in "
         "customers of this load nor in the store (value 'C404')"),
        ("D2,C1,A1,,chargeback,54.2,open,2024-02-11,,,M404",
         "disputes.csv, row 3, column against_counterparty_id: unknown against_counterparty_id: "
         "not in counterparties of this load nor in the store (value 'M404')"),
        ("D2,C1,A1,,chargeback,54.2,open,2024-02-11,,C5,M1",
         "disputes.csv, row 3, column against_counterparty_id: at most one of "
         "against_customer_id, against_counterparty_id may be filled"),
    ],
)
def test_a_bad_accused_is_quarantined_with_its_row_and_column(
        embedded_store, tiny_dir, tmp_path, row, expected_line) -> None:
    _write_disputes(tiny_dir, "D1,C3,A3,T3,fraud_claim,9500,open,2024-02-10,,,", row)
    report = load_folder(embedded_store, tiny_dir, tmp_path)
    assert expected_line in problem_lines(report)
    table = next(t for t in report.tables if t.source == "disputes.csv")
    assert (table.rows_read, table.rows_loaded, table.rows_rejected) == (2, 1, 1)
    quarantine = pd.read_csv(report.report_dir / "quarantine.csv", dtype=str)
    assert (quarantine["file"] == "disputes.csv").any()
    assert embedded_store.snapshot().disputes["dispute_id"].tolist() == ["D1"]


def test_an_older_file_gains_the_accused_columns_on_opening(tmp_path: Path, tiny_dir) -> None:
    path = tmp_path / "old" / "graph.db"
    store = EmbeddedGraphStore(path)
    load_folder(store, tiny_dir, tmp_path)
    store.close()
    # Make it a version-3 file: the disputes table without the accused columns.
    with sqlite3.connect(path) as conn:
        for column in ("against_customer_id", "against_counterparty_id"):
            conn.execute(f"DROP INDEX IF EXISTS ix_disputes_{column}")
            conn.execute(f"ALTER TABLE disputes DROP COLUMN {column}")
        conn.execute("PRAGMA user_version=3")
    reopened = EmbeddedGraphStore(path)
    try:
        disputes = reopened.snapshot().disputes
        assert disputes["dispute_id"].tolist() == ["D1"]
        assert disputes["against_customer_id"].isna().all()
        assert reopened.consistency_problems() == []
    finally:
        reopened.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        indexes = {row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"ix_disputes_against_customer_id",
            "ix_disputes_against_counterparty_id"} <= indexes


# -- the factor ----------------------------------------------------------------------------
def _with_disputes(snapshot: GraphSnapshot, rows: list[dict[str, object]]) -> GraphSnapshot:
    frame = pd.DataFrame(rows, columns=DISPUTES.column_names)
    return GraphSnapshot(**{**vars(snapshot), "disputes": frame})


def _dispute(dispute_id: str, by: str, opened: str, *, against: str | None = None,
             against_counterparty: str | None = None, status: str = "open",
             kind: str = "chargeback", amount: float = 100.0) -> dict[str, object]:
    return {"dispute_id": dispute_id, "customer_id": by, "account_id": None,
            "transaction_id": None, "kind": kind, "amount": amount, "status": status,
            "opened_date": opened, "closed_date": None, "against_customer_id": against,
            "against_counterparty_id": against_counterparty}


@pytest.fixture
def accused_snapshot(tiny_snapshot: GraphSnapshot) -> GraphSnapshot:
    """C5 (one incoming payment, T6) has four disputes against it, three within 90 days and
    one rejected; C1 raised two of them (one upheld) and one against M1."""
    return _with_disputes(tiny_snapshot, [
        _dispute("X1", "C1", "2024-02-10", against="C5", status="upheld"),
        _dispute("X2", "C1", "2024-03-01", against="C5"),
        _dispute("X3", "C2", "2024-04-01", against="C5", kind="complaint"),
        _dispute("X4", "C3", "2024-03-15", against="C5", status="rejected"),
        _dispute("X5", "C6", "2024-09-01", against="C5"),
        _dispute("X6", "C1", "2024-02-20", against_counterparty="M1", status="upheld"),
        _dispute("X7", "C4", "2024-02-20", status="upheld", kind="fraud_claim"),
    ])


def test_disputes_received_count_in_90_days_and_per_incoming_payment(
        accused_snapshot: GraphSnapshot) -> None:
    factors = compute_risk_factors(accused_snapshot).set_index("customer_id")
    # X1, X2, X3 within 90 days (X4 rejected, X5 months later); 4 not rejected in all.
    assert factors.loc["C5", "disputes_received_90d_max"] == 3
    assert factors.loc["C5", "disputes_received_share"] == pytest.approx(4 / 1)
    assert (factors.drop(index="C5")["disputes_received_90d_max"] == 0).all()
    assert (factors.drop(index="C5")["disputes_received_share"] == 0).all()


def test_an_upheld_dispute_against_someone_is_not_the_complainants_risk(
        accused_snapshot: GraphSnapshot) -> None:
    factors = compute_risk_factors(accused_snapshot).set_index("customer_id")
    # C1 raised X1 (upheld against C5: not counted), X2 (open: counted), X6 (upheld against
    # M1: not counted).
    assert factors.loc["C1", "dispute_count"] == 1
    assert factors.loc["C1", "dispute_amount"] == pytest.approx(100.0)
    # C3's rejected complaint against C5 is still theirs; C4's upheld fraud claim names
    # nobody, so it counts as before.
    assert factors.loc["C3", "dispute_count"] == 1
    assert factors.loc["C4", "dispute_count"] == 1 and factors.loc["C4", "fraud_claims"] == 1


def test_the_accused_gets_a_reason_only_when_unusual(accused_snapshot: GraphSnapshot) -> None:
    factors = compute_risk_factors(accused_snapshot)
    # Six customers: the one above all others stands at 5/6, the gate here.
    reasons = explain_all_factors(factors, factor_percentiles(factors), top=20,
                                  min_percentile=0.8)
    assert "3 disputes raised against them by others within 90 days" in reasons["C5"]
    assert "disputes against them come to 400.0% of their incoming payments" in reasons["C5"]
    assert not any("against them" in r for c in ("C1", "C2", "C3", "C4", "C6")
                   for r in reasons[c])


def test_one_dispute_against_a_busy_customer_is_no_reason(tiny_snapshot: GraphSnapshot) -> None:
    snapshot = _with_disputes(tiny_snapshot, [_dispute("X1", "C2", "2024-02-10", against="C5")])
    factors = compute_risk_factors(snapshot)
    reasons = explain_all_factors(factors, factor_percentiles(factors), top=20,
                                  min_percentile=0.8)
    row = factors.set_index("customer_id").loc["C5"]
    assert row["disputes_received_90d_max"] == 1  # under the notable 2
    assert row["disputes_received_share"] == 0.0  # one dispute is no rate
    assert not any("against them" in r for r in reasons["C5"])


def test_a_new_dispute_touches_its_accused_for_re_scoring() -> None:
    frame = pd.DataFrame([_dispute("X1", "C1", "2024-02-10", against="C5"),
                          _dispute("X2", "C2", "2024-02-10", against_counterparty="M1")])
    changes = ChangeSet.from_frames({"disputes": frame})
    assert set(changes.customer_ids) == {"C1", "C2", "C5"}
    assert changes.dispute_ids == ("X1", "X2")
