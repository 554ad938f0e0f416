"""region_of: the rows analysing a few customers needs, and the same factors as on the whole."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from graphrisk.analytics.factors import FACTOR_COLUMNS, compute_risk_factors
from graphrisk.analytics.region import region_of
from graphrisk.graph import GraphSnapshot
from graphrisk.ingestion.generator import generate_dataset
from graphrisk.ingestion.loader import ingest_directory
from graphrisk.store.embedded import EmbeddedGraphStore

#: Factors measured against the whole population rather than the customer's own data (see
#: graphrisk.analytics.region): the data's time span, the median that fills a missing score.
_POPULATION_FACTORS = ("velocity_burst",)


def _column(frame: pd.DataFrame, name: str) -> list[str]:
    return sorted(frame[name].dropna().tolist())


def test_a_transfer_inside_the_region_appears_once(tiny_snapshot: GraphSnapshot) -> None:
    region = region_of(tiny_snapshot, ["C2", "C3"])
    # T3 is A2 -> A3, both in the region.
    assert region.transactions["transaction_id"].tolist().count("T3") == 1
    assert region.transactions["transaction_id"].is_unique


def test_the_far_end_is_resolvable_but_its_other_transactions_are_left_out(
        tiny_snapshot: GraphSnapshot) -> None:
    region = region_of(tiny_snapshot, ["C2"])
    txns = region.transactions
    touching = txns[(txns["from_account_id"] == "A2") | (txns["to_account_id"] == "A2")]
    assert len(touching) == len(txns) > 0
    # A3 (C3's) receives T3 from A2: its row and owner are there, T4 (A3 -> A4) is not.
    assert "A3" in set(region.accounts["account_id"])
    assert "C3" in set(region.customers["customer_id"])
    assert "T4" not in set(txns["transaction_id"])
    # C3's dispute, loans and changes are C3's own: not in C2's region.
    assert region.disputes.empty
    assert region.account_changes.empty


def test_identifier_co_holders_and_their_rows_are_in(tiny_snapshot: GraphSnapshot) -> None:
    region = region_of(tiny_snapshot, ["C2"])
    device = tiny_snapshot.identifiers.loc[
        tiny_snapshot.identifiers["customer_id"] == "C4", "identifier_id"].iloc[0]
    holders = region.identifiers.loc[region.identifiers["identifier_id"] == device,
                                     "customer_id"]
    assert sorted(holders) == ["C2", "C3", "C4"]
    assert {"C2", "C3", "C4"} <= set(region.customers["customer_id"])
    # C1 shares nothing with C2 and pays nothing to C2.
    assert "C1" not in set(region.customers["customer_id"])


def test_co_held_accounts_bring_their_loans_and_owner(tiny_snapshot: GraphSnapshot) -> None:
    region = region_of(tiny_snapshot, ["C1"])
    assert "A6" in set(region.accounts["account_id"])  # C1 co-holds C6's A6
    assert _column(region.loans, "loan_id") == ["L1"]
    assert "C6" in set(region.customers["customer_id"])
    assert _column(region.account_holders, "account_id") == ["A6"]


def test_unknown_ids_are_ignored_and_none_gives_an_empty_region(
        tiny_snapshot: GraphSnapshot) -> None:
    region = region_of(tiny_snapshot, ["C404"])
    assert all(len(frame) == 0 for frame in vars(region).values())
    assert region_of(tiny_snapshot, ["C2", "C404"]).customers["customer_id"].tolist() == [
        "C2", "C3", "C4"]


def test_frames_keep_columns_and_dtypes_and_are_sorted(tiny_snapshot: GraphSnapshot) -> None:
    region = region_of(tiny_snapshot, ["C3", "C1"])
    for name, whole in vars(tiny_snapshot).items():
        part = getattr(region, name)
        assert list(part.columns) == list(whole.columns), name
        assert list(part.dtypes) == list(whole.dtypes), name
        assert list(part.index) == list(range(len(part))), name
    assert region.identifiers[["customer_id", "identifier_id"]].equals(
        region.identifiers[["customer_id", "identifier_id"]].sort_values(
            ["customer_id", "identifier_id"], ignore_index=True))


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> GraphSnapshot:
    folder = tmp_path_factory.mktemp("region") / "data"
    generate_dataset(500, 11, folder)
    with EmbeddedGraphStore(folder.parent / "region.db") as store:
        ingest_directory(store, folder)
        return store.snapshot()


def test_factors_of_the_given_customers_match_the_whole_snapshot(
        generated: GraphSnapshot) -> None:
    customers = generated.customers["customer_id"].tolist()
    rng = np.random.default_rng(5)
    chosen = sorted(rng.choice(customers, size=25, replace=False).tolist())
    region = region_of(generated, chosen)
    assert len(region.customers) < len(generated.customers)

    whole = compute_risk_factors(generated).set_index("customer_id").loc[chosen]
    part = compute_risk_factors(region).set_index("customer_id").loc[chosen]
    local = [c for c in FACTOR_COLUMNS if c not in _POPULATION_FACTORS]
    known_score = generated.customers.set_index("customer_id").loc[chosen, "credit_score"]
    compared = whole[local].copy()
    compared.loc[known_score.isna().to_numpy(), "credit_score_risk"] = np.nan
    mine = part[local].copy()
    mine.loc[known_score.isna().to_numpy(), "credit_score_risk"] = np.nan
    pd.testing.assert_frame_equal(mine, compared)
    # Something was compared: the chosen customers do move money.
    assert (whole["structuring_count"].sum() + whole["large_txn_ratio"].gt(1).sum()) > 0


def test_region_of_a_hand_built_snapshot_without_identifier_ids(
        tiny_snapshot: GraphSnapshot) -> None:
    bare = GraphSnapshot(**{**vars(tiny_snapshot), "identifiers":
                            tiny_snapshot.identifiers.drop(columns=["identifier_id"])})
    region = region_of(bare, ["C2"])
    assert sorted(set(region.identifiers["customer_id"])) == ["C2", "C3", "C4"]
