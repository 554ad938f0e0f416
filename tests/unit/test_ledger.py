"""The transaction ledger resolves each transaction once, the same way for every consumer:
checked on a tiny bank a person can read, and against the customer graph's transfers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from graphrisk.analytics.customer_graph import customer_transfers
from graphrisk.analytics.ledger import build_ledger, ledger_for
from graphrisk.graph import GraphSnapshot

# C1 owns A1 and A1S, C2 owns A2, C3 owns A3; "Z9" is an account nobody listed.
# T1  A1  -> A2   9,500   at 02:00  (just under 10,000, odd hour, round)
# T2  A1  -> A1S  1,000            (C1's own accounts: internal)
# T3  P1  -> A3   2,345.5           (from a listed counterparty)
# T4  A3  -> P9   10,000            (to a counterparty only the transaction names)
# T5  A2  -> A1   700     no time   (C2 pays C1 back; not large, so never round)
# T6  Z9  -> A2   1,200             (from an unknown account)


def _frame(rows: list[tuple], columns: str) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns.split())


@pytest.fixture
def tiny() -> GraphSnapshot:
    empty = pd.DataFrame()
    return GraphSnapshot(
        customers=_frame([("C3",), ("C1",), ("C2",), ("C1",)], "customer_id"),
        accounts=_frame([("A1", "C1"), ("A1S", "C1"), ("A2", "C2"), ("A3", "C3")],
                        "account_id customer_id"),
        account_holders=empty,
        counterparties=_frame([("P1",), ("P2",)], "counterparty_id"),
        identifiers=empty,
        transactions=_frame(
            [
                ("T1", "A1", None, "A2", None, 9_500.0, "2025-03-01T02:00:00"),
                ("T2", "A1", None, "A1S", None, 1_000.0, "2025-03-01T12:00:00"),
                ("T3", None, "P1", "A3", None, 2_345.5, "2025-03-02T12:00:00"),
                ("T4", "A3", None, None, "P9", 10_000.0, "2025-03-03T12:00:00"),
                ("T5", "A2", None, "A1", None, 700.0, None),
                ("T6", "Z9", None, "A2", None, 1_200.0, "2025-03-04T12:00:00"),
            ],
            "transaction_id from_account_id from_counterparty_id to_account_id "
            "to_counterparty_id amount timestamp",
        ),
        disputes=empty,
        loans=empty,
        account_changes=empty,
    )


def test_resolves_each_end_to_account_customer_and_counterparty(tiny: GraphSnapshot) -> None:
    ledger = build_ledger(tiny)
    assert ledger.customer_ids.tolist() == ["C1", "C2", "C3"]  # distinct, sorted
    assert ledger.account_owner.tolist() == [0, 0, 1, 2]
    assert ledger.counterparty_ids.to_pylist() == ["P1", "P2", "P9"]
    assert ledger.counterparty_rows.tolist() == [0, 1]  # P9 is in no table row
    assert ledger.payer.tolist() == [0, 0, -1, 2, 1, -1]
    assert ledger.payee.tolist() == [1, 0, 2, -1, 0, 1]
    assert ledger.payer_account.tolist() == [0, 0, -1, 3, 2, -1]
    assert ledger.payer_counterparty.tolist() == [-1, -1, 0, -1, -1, -1]
    assert ledger.payee_counterparty.tolist() == [-1, -1, -1, 2, -1, -1]
    assert ledger.seconds[4] == -1
    assert len(ledger) == 6


def test_shared_predicates(tiny: GraphSnapshot) -> None:
    ledger = build_ledger(tiny)
    assert ledger.odd_hour.tolist() == [True, False, False, False, False, False]
    assert ledger.round_amount.tolist() == [True, True, False, True, False, True]
    assert ledger.just_under_threshold.tolist() == [True, False, False, False, False, False]
    assert ledger.internal.tolist() == [False, True, False, False, False, False]
    assert ledger.between_customers.tolist() == [True, False, False, False, True, False]
    # The band follows the threshold the ledger was built with.
    assert build_ledger(tiny, reporting_threshold=2_500).just_under_threshold.tolist() == [
        False, False, True, False, False, False]


def test_customer_transfers_are_unordered_pairs_in_row_order(tiny: GraphSnapshot) -> None:
    transfers = build_ledger(tiny).customer_transfers()
    assert transfers.to_dict("list") == {
        "customer_id_a": ["C1", "C1"], "customer_id_b": ["C2", "C2"], "amount": [9_500.0, 700.0]}
    pd.testing.assert_frame_equal(customer_transfers(tiny), transfers)


def test_end_ids_name_the_account_else_the_counterparty(tiny: GraphSnapshot) -> None:
    ledger = build_ledger(tiny)
    rows = np.array([0, 2, 3, 5])
    assert ledger.end_ids(rows, "payer") == ["A1", "P1", "A3", "Z9"]
    assert ledger.end_ids(rows, "payee") == ["A2", "A3", "P9", "A2"]
    with pytest.raises(ValueError, match="side"):
        ledger.end_ids(rows, "sender")


def test_missing_columns_read_as_missing(tiny: GraphSnapshot) -> None:
    bare = GraphSnapshot(**{**vars(tiny), "transactions": tiny.transactions[
        ["from_account_id", "to_account_id", "amount"]], "counterparties": pd.DataFrame()})
    ledger = build_ledger(bare)
    assert (ledger.seconds == -1).all()
    assert (ledger.payer_counterparty == -1).all()
    assert ledger.between_customers.sum() == 2


def test_a_shared_ledger_must_match_its_snapshot_and_threshold(tiny: GraphSnapshot) -> None:
    ledger = build_ledger(tiny)
    assert ledger_for(tiny, ledger) is ledger
    other = GraphSnapshot(**vars(tiny))
    with pytest.raises(ValueError, match="another snapshot"):
        ledger_for(other, ledger)
    with pytest.raises(ValueError, match="reporting_threshold"):
        ledger_for(tiny, ledger, reporting_threshold=5_000)
    with pytest.raises(ValueError, match="positive"):
        build_ledger(tiny, reporting_threshold=0)
