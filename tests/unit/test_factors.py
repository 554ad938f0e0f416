"""Tests of the individual risk factors: exact values on a tiny hand-built bank, and on
generated data that planted typologies stand out on the factors meant to catch them."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from graphrisk.analytics.factors import (
    FACTOR_COLUMNS,
    FACTOR_DESCRIPTIONS,
    PopulationConstants,
    compute_risk_factors,
    explain_factors,
    factor_percentiles,
    population_constants,
)
from graphrisk.analytics.ledger import build_ledger
from graphrisk.analytics.region import region_of
from graphrisk.graph import GraphSnapshot
from graphrisk.ingestion.generator import generate_dataset
from graphrisk.ingestion.loader import ingest_directory
from graphrisk.store.embedded import EmbeddedGraphStore

# --------------------------------------------------------------------------------------------
# A tiny bank that a person can check by eye
# --------------------------------------------------------------------------------------------
#
# C1 gambling business (DE), score 850, verified; accounts A1 and A1S.
#    in : 9,500.50 and 9,900 and 10,000 cash (two just under the threshold), 500 from C3
#    out: 100 at 02:30, 300, 5,000 to a KY bank; 1,000 to its own savings (ignored)
# C2 lives in KY, score 300, KYC pending; 20,000 in from a KY bank, 19,000 out to it.
# C3 DE, no score, verified; sends C1 500 at 03:00; 4 account changes in two days and one
#    more two months later; disputes: a 200 chargeback, a 300 fraud claim, a complaint.
# C4 DE, score 575, verified; does nothing.


def _frame(rows: list[tuple], columns: str) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns.split())


@pytest.fixture
def tiny() -> GraphSnapshot:
    customers = _frame(
        [
            ("C4", None, "DE", 575, "verified", "2020-01-01"),
            ("C1", "gambling", "DE", 850, "verified", "2020-01-01"),
            ("C2", None, "KY", 300, "pending", "2025-03-10"),
            ("C3", None, "DE", None, "verified", "2020-01-01"),
        ],
        "customer_id industry country credit_score kyc_status onboarding_date",
    )
    accounts = _frame(
        [("A1", "C1"), ("A1S", "C1"), ("A2", "C2"), ("A3", "C3"), ("A4", "C4")],
        "account_id customer_id",
    )
    counterparties = _frame(
        [
            ("P1", "cash", None, None),
            ("P2", "merchant", "DE", "grocery"),
            ("P3", "bank_account", "KY", None),
        ],
        "counterparty_id kind country industry",
    )
    transactions = _frame(
        [
            ("T1", None, "P1", "A1", None, 9_500.50, "2025-03-01T10:00:00"),
            ("T2", None, "P1", "A1", None, 9_900.00, "2025-03-02T10:00:00"),
            ("T3", None, "P1", "A1", None, 10_000.00, "2025-03-03T10:00:00"),
            ("T4", "A1", None, None, "P2", 100.00, "2025-03-04T02:30:00"),
            ("T5", "A1", None, None, "P2", 300.00, "2025-03-05T12:00:00"),
            ("T6", "A1", None, None, "P3", 5_000.00, "2025-03-05T13:00:00"),
            ("T7", "A1", None, "A1S", None, 1_000.00, "2025-03-05T14:00:00"),
            ("T8", "A3", None, "A1", None, 500.00, "2025-03-06T03:00:00"),
            ("T9", None, "P3", "A2", None, 20_000.00, "2025-03-10T09:00:00"),
            ("T10", "A2", None, None, "P3", 19_000.00, "2025-03-10T15:00:00"),
        ],
        "transaction_id from_account_id from_counterparty_id to_account_id "
        "to_counterparty_id amount timestamp",
    )
    disputes = _frame(
        [
            ("D1", "C3", "A3", "chargeback", 200.0),
            ("D2", "C3", "A3", "fraud_claim", 300.0),
            ("D3", "C3", "A3", "complaint", None),
        ],
        "dispute_id customer_id account_id kind amount",
    )
    account_changes = _frame(
        [
            ("X1", "A3", "2025-04-01T09:00:00", "password_reset"),
            ("X2", "A3", "2025-04-01T09:30:00", "email_change"),
            ("X3", "A3", "2025-04-01T10:00:00", "phone_change"),
            ("X4", "A3", "2025-04-02T20:00:00", "device_added"),
            ("X5", "A3", "2025-06-01T09:00:00", "address_change"),
            ("X6", "A1", "2025-02-01T09:00:00", "limit_change"),
        ],
        "change_id account_id timestamp change_kind",
    )
    empty = pd.DataFrame()
    return GraphSnapshot(
        customers=customers,
        accounts=accounts,
        account_holders=_frame([], "account_id customer_id role"),
        counterparties=counterparties,
        identifiers=empty,
        transactions=transactions,
        disputes=disputes,
        loans=empty,
        account_changes=account_changes,
    )


@pytest.fixture
def tiny_factors(tiny: GraphSnapshot) -> pd.DataFrame:
    return compute_risk_factors(tiny).set_index("customer_id")


def test_a_shared_ledger_gives_the_same_factors_at_its_own_threshold(tiny: GraphSnapshot) -> None:
    ledger = build_ledger(tiny, reporting_threshold=9_600.0)
    pd.testing.assert_frame_equal(
        compute_risk_factors(tiny, reporting_threshold=9_600.0, ledger=ledger),
        compute_risk_factors(tiny, reporting_threshold=9_600.0))
    with pytest.raises(ValueError, match="reporting_threshold"):
        compute_risk_factors(tiny, ledger=ledger)


def test_one_sorted_row_per_customer_with_every_factor(tiny: GraphSnapshot) -> None:
    factors = compute_risk_factors(tiny)
    assert list(factors.columns) == ["customer_id", *FACTOR_COLUMNS]
    assert factors["customer_id"].tolist() == ["C1", "C2", "C3", "C4"]
    assert set(FACTOR_DESCRIPTIONS) == set(FACTOR_COLUMNS)
    assert not factors[list(FACTOR_COLUMNS)].isna().any().any()


def test_profile_factors(tiny_factors: pd.DataFrame) -> None:
    f = tiny_factors
    assert f["credit_score_risk"].to_dict() == {"C1": 0.0, "C2": 1.0, "C3": 0.5, "C4": 0.5}
    assert f["high_risk_industry"].to_dict() == {"C1": 1, "C2": 0, "C3": 0, "C4": 0}
    assert f["high_risk_country"].to_dict() == {"C1": 0, "C2": 1, "C3": 0, "C4": 0}
    assert f["kyc_not_verified"].to_dict() == {"C1": 0, "C2": 1, "C3": 0, "C4": 0}


def test_dispute_and_change_factors(tiny_factors: pd.DataFrame) -> None:
    f = tiny_factors
    assert f["dispute_count"].to_dict() == {"C1": 0, "C2": 0, "C3": 3, "C4": 0}
    assert f.loc["C3", "dispute_amount"] == 500.0  # the complaint has no amount
    assert f["fraud_claims"].to_dict() == {"C1": 0, "C2": 0, "C3": 1, "C4": 0}
    # Four changes inside two days; the fifth is two months later.
    assert f["account_changes_30d_max"].to_dict() == {"C1": 1, "C2": 0, "C3": 4, "C4": 0}


def test_transaction_factors(tiny_factors: pd.DataFrame) -> None:
    f = tiny_factors
    # Two cash deposits in [9,000, 10,000); 10,000 itself is reported, so not structuring.
    assert f["structuring_count"].to_dict() == {"C1": 2, "C2": 0, "C3": 0, "C4": 0}
    # Outgoing 100, 300, 5,000 (the 1,000 to its own savings is ignored): 5,000 / 300.
    assert f.loc["C1", "large_txn_ratio"] == pytest.approx(5_000 / 300)
    assert f.loc["C4", "large_txn_ratio"] == 1.0
    assert f.loc["C1", "odd_hours_share"] == pytest.approx(1 / 3)
    assert f.loc["C3", "odd_hours_share"] == 1.0
    # Of 9,500.50, 9,900, 10,000 and 5,000 (500 is too small to count), three are round.
    assert f.loc["C1", "round_amount_share"] == 0.75
    # 5,000 of 5,400 to a KY bank; C3's only payment goes to C1, a gambling business.
    assert f.loc["C1", "high_risk_counterparty_share"] == pytest.approx(5_000 / 5_400)
    assert f.loc["C3", "high_risk_counterparty_share"] == 1.0
    # C2: 20,000 in, 19,000 out; C1 sends out only 5,400, under the threshold.
    assert f.loc["C2", "pass_through_ratio"] == 0.95
    assert f.loc["C1", "pass_through_ratio"] == 0.0
    # C1's busiest 24 hours (5 March 12:00 to 6 March 03:00) hold three transactions; its
    # seven in the data's 9.2 days (0.76 a day) give a busiest 24 hours of 1.83 (what a
    # Poisson stream at that rate exceeds in under one of the period's ~18 windows).
    assert f.loc["C1", "velocity_burst"] == pytest.approx(1.636, abs=1e-3)
    assert f.loc["C4", "velocity_burst"] == 0.0


def test_threshold_and_lists_are_parameters(tiny: GraphSnapshot) -> None:
    f = compute_risk_factors(
        tiny,
        reporting_threshold=20_000.0,
        high_risk_industries=frozenset({"Grocery"}),
        high_risk_countries=frozenset(),
    ).set_index("customer_id")
    # Structuring is now [18,000, 20,000): C2's 19,000 out, not its 20,000 in.
    assert f.loc["C2", "structuring_count"] == 1
    assert f.loc["C1", "structuring_count"] == 0
    assert f.loc["C1", "high_risk_industry"] == 0
    assert f.loc["C2", "high_risk_country"] == 0
    # Now the grocery merchant is the high-risk receiver: 400 of C1's 5,400.
    assert f.loc["C1", "high_risk_counterparty_share"] == pytest.approx(400 / 5_400)
    with pytest.raises(ValueError, match="reporting_threshold"):
        compute_risk_factors(tiny, reporting_threshold=0)


def test_percentiles_count_customers_strictly_below(tiny_factors: pd.DataFrame) -> None:
    pct = factor_percentiles(tiny_factors.reset_index()).set_index("customer_id")
    assert list(pct.columns) == list(FACTOR_COLUMNS)
    assert pct["structuring_count"].to_dict() == {"C1": 0.75, "C2": 0.0, "C3": 0.0, "C4": 0.0}
    assert pct.loc["C2", "credit_score_risk"] == 0.75
    assert pct.loc["C1", "credit_score_risk"] == 0.0


def test_explanations_name_the_most_unusual_factors_with_numbers(
    tiny_factors: pd.DataFrame,
) -> None:
    row = tiny_factors.loc["C1"]
    pct = pd.Series(0.1, index=list(FACTOR_COLUMNS))
    pct["structuring_count"] = 0.99
    pct["odd_hours_share"] = 0.95
    pct["high_risk_industry"] = 0.97
    pct["credit_score_risk"] = 0.999  # unusual rank, but C1's value 0 says nothing
    assert explain_factors(row, pct) == [
        "2 payments just under the 10,000 reporting threshold",
        "works in a high-risk industry",
        "33% of payments made between midnight and 5 am",
    ]
    assert explain_factors(row, pct, top=1) == [
        "2 payments just under the 10,000 reporting threshold"
    ]
    assert explain_factors(row, pd.Series(0.5, index=list(FACTOR_COLUMNS))) == []


# --------------------------------------------------------------------------------------------
# Generated data: planted typologies stand out
# --------------------------------------------------------------------------------------------

SEED = 5


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """Factors and percentiles of a generated bank, joined with the hidden truth."""
    folder = tmp_path_factory.mktemp("factors")
    generate_dataset(2_000, SEED, folder)
    store = EmbeddedGraphStore(folder / "s.db")
    try:
        ingest_directory(store, folder)
        snapshot = store.snapshot()
    finally:
        store.close()
    factors = compute_risk_factors(snapshot)
    pct = (
        factor_percentiles(factors)
        .add_prefix("pct_")
        .rename(columns={"pct_customer_id": "customer_id"})
    )
    truth = pd.read_csv(folder / "truth" / "ground_truth.csv", dtype={"customer_id": str})
    joined = factors.merge(pct, on="customer_id").merge(truth, on="customer_id")
    assert len(joined) == len(factors) == 2_000
    return joined


def _mean(data: pd.DataFrame, typology: str, factor: str) -> float:
    return float(data.loc[data["typology"] == typology, factor].mean())


@pytest.mark.parametrize(
    ("typology", "factor"),
    [
        ("structuring", "structuring_count"),
        ("account_takeover", "account_changes_30d_max"),
        ("dispute_cluster", "dispute_count"),
        ("dispute_cluster", "fraud_claims"),
        ("high_risk_profile", "high_risk_counterparty_share"),
        ("high_risk_profile", "pass_through_ratio"),
    ],
)
def test_planted_typology_scores_higher_than_normal(
    generated: pd.DataFrame, typology: str, factor: str
) -> None:
    assert _mean(generated, typology, factor) > 2 * _mean(generated, "normal", factor)


def test_high_risk_profiles_are_flagged(generated: pd.DataFrame) -> None:
    members = generated[generated["typology"] == "high_risk_profile"]
    assert len(members) > 0
    flagged = (members["high_risk_industry"] == 1) | (members["high_risk_country"] == 1)
    assert flagged.all()
    normal = generated[generated["typology"] == "normal"]
    assert normal["high_risk_country"].mean() < 0.01


def _roc_auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Probability that a random positive outscores a random negative (ties count half)."""
    ranks = pd.Series(scores).rank(method="average").to_numpy()
    positives = int(labels.sum())
    negatives = len(labels) - positives
    rank_sum = ranks[labels == 1].sum()
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def test_roc_auc_helper() -> None:
    assert _roc_auc(np.array([0.1, 0.2, 0.8, 0.9]), np.array([0, 0, 1, 1])) == 1.0
    assert _roc_auc(np.array([0.5, 0.5]), np.array([0, 1])) == 0.5


def test_sum_of_percentiles_ranks_risky_customers_first(generated: pd.DataFrame) -> None:
    score = generated[[f"pct_{c}" for c in FACTOR_COLUMNS]].sum(axis=1).to_numpy()
    auc = _roc_auc(score, generated["risky"].to_numpy())
    assert auc > 0.6


# --------------------------------------------------------------------------------------------
# Population constants: a region's factors against the population, not the region
# --------------------------------------------------------------------------------------------


def test_population_constants_default_to_the_data(tiny: GraphSnapshot) -> None:
    constants = population_constants(tiny)
    seconds = [int(pd.Timestamp(t, tz="UTC").timestamp()) for t in tiny.transactions["timestamp"]]
    # Every tiny transaction has an owned end, so the span is the transactions' own...
    assert constants.period_start == min(seconds)
    assert constants.period_end == max(seconds)
    # ... and the neutral credit risk the median of C1 (850), C2 (300) and C4 (575).
    assert constants.credit_neutral == pytest.approx(0.5)
    pd.testing.assert_frame_equal(compute_risk_factors(tiny),
                                  compute_risk_factors(tiny, population=constants))


def test_factors_on_a_region_follow_the_population_constants(tiny: GraphSnapshot) -> None:
    # region_of reads the id columns of every frame; the fixture leaves two frames bare.
    tiny = replace(tiny, identifiers=_frame([], "customer_id identifier_id kind value"),
                   loans=_frame([], "loan_id account_id"))
    whole = compute_risk_factors(tiny).set_index("customer_id")
    region = region_of(tiny, ["C3"])  # C3 (no credit score) and C1, whom C3 paid once
    alone = compute_risk_factors(region).set_index("customer_id")
    anchored = compute_risk_factors(
        region, population=population_constants(tiny)).set_index("customer_id")
    # On its own, the region's median credit (C1's 850) and its one-payment time span stand
    # in for the population's: C3's factors move although nothing about C3 changed.
    assert alone.loc["C3", "credit_score_risk"] != whole.loc["C3", "credit_score_risk"]
    # With the population's constants, C3 (complete in its region) gets its full-graph row.
    pd.testing.assert_series_equal(anchored.loc["C3"], whole.loc["C3"])


def test_widened_constants_stretch_the_span_and_keep_the_credit_neutral() -> None:
    kept = PopulationConstants(period_start=100, period_end=200, credit_neutral=0.3)
    assert kept.widened(PopulationConstants(150, 260, 0.9)) == PopulationConstants(
        100, 260, 0.3)
    assert kept.widened(PopulationConstants(None, None, 0.9)) == kept
    assert PopulationConstants(None, None, 0.4).widened(kept) == PopulationConstants(
        100, 200, 0.4)
