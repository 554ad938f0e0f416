"""Tests of the money-laundering typology detectors: tiny hand-built banks a person can check by
eye (each detector finds its pattern and ignores the benign look-alike next to it), and a
generated bank whose planted groups must be found while its look-alikes are left alone."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from graphrisk.analytics.ledger import build_ledger
from graphrisk.analytics.typologies import (
    INSTANCE_COLUMNS,
    PER_CUSTOMER_COLUMNS,
    TYPOLOGY_KINDS,
    TypologyResult,
    TypologySettings,
    detect_typologies,
)
from graphrisk.graph import GraphSnapshot
from graphrisk.ingestion.generator import AML_PATTERNS, generate_dataset

# --------------------------------------------------------------------------------------------
# Building tiny banks
# --------------------------------------------------------------------------------------------
#
# Customer Cn owns account An (and any extra accounts named in ``extra_accounts``); parties
# starting with "P" are counterparties (outside the bank). A transfer is
# (from, to, amount, "YYYY-MM-DDTHH:MM:SS").

Transfer = tuple[str, str, float, str]


def _bank(
    transfers: list[Transfer],
    customers: int = 6,
    extra_accounts: dict[str, str] | None = None,
) -> GraphSnapshot:
    ids = [f"C{i}" for i in range(1, customers + 1)]
    accounts = [(f"A{i}", f"C{i}") for i in range(1, customers + 1)]
    accounts += list((extra_accounts or {}).items())
    known_accounts = {a for a, _ in accounts}
    rows = []
    for number, (src, dst, amount, timestamp) in enumerate(transfers, start=1):
        src_account = src if src in known_accounts else None
        dst_account = dst if dst in known_accounts else None
        rows.append(
            (
                f"T{number:04d}",
                src_account,
                None if src_account else src,
                dst_account,
                None if dst_account else dst,
                amount,
                "EUR",
                timestamp,
            )
        )
    transactions = pd.DataFrame(
        rows,
        columns=[
            "transaction_id",
            "from_account_id",
            "from_counterparty_id",
            "to_account_id",
            "to_counterparty_id",
            "amount",
            "currency",
            "timestamp",
        ],
    )
    empty = pd.DataFrame()
    return GraphSnapshot(
        customers=pd.DataFrame({"customer_id": ids}),
        accounts=pd.DataFrame(accounts, columns=["account_id", "customer_id"]),
        account_holders=empty,
        counterparties=empty,
        identifiers=empty,
        transactions=transactions,
        disputes=empty,
        loans=empty,
        account_changes=empty,
    )


def _of_kind(result: TypologyResult, kind: str) -> pd.DataFrame:
    return result.instances[result.instances["kind"] == kind].reset_index(drop=True)


def _counts(result: TypologyResult, column: str) -> dict[str, int]:
    return result.per_customer.set_index("customer_id")[column].to_dict()


# A ring C1 -> C2 -> C3 -> C1 of about 10,000, one hop a day, and an unrelated small payment.
RING: list[Transfer] = [
    ("A1", "A2", 10_000.0, "2025-03-01T10:00:00"),
    ("A2", "A3", 9_800.0, "2025-03-02T10:00:00"),
    ("A3", "A1", 9_600.0, "2025-03-03T10:00:00"),
    ("A4", "A5", 50.0, "2025-03-02T12:00:00"),
]


# --------------------------------------------------------------------------------------------
# Shape of the result
# --------------------------------------------------------------------------------------------


def test_result_has_the_documented_columns_and_one_row_per_customer() -> None:
    result = detect_typologies(_bank(RING))
    assert tuple(result.instances.columns) == INSTANCE_COLUMNS
    assert tuple(result.per_customer.columns) == PER_CUSTOMER_COLUMNS
    assert result.per_customer["customer_id"].tolist() == [f"C{i}" for i in range(1, 7)]
    assert set(result.instances["kind"]) <= set(TYPOLOGY_KINDS)
    row = result.instances.iloc[0]
    assert row["instance_id"] == "cycle-0001"
    assert isinstance(row["customer_ids"], tuple) and isinstance(row["account_ids"], tuple)
    assert row["first_at"] == pd.Timestamp("2025-03-01T10:00:00", tz="UTC")
    assert row["last_at"] == pd.Timestamp("2025-03-03T10:00:00", tz="UTC")
    counts = result.per_customer[[c for c in PER_CUSTOMER_COLUMNS if c.endswith("_count")]]
    assert (counts.dtypes == "int64").all()


def test_nothing_found_gives_empty_instances_and_zero_counts() -> None:
    result = detect_typologies(_bank([("A1", "A2", 50.0, "2025-03-01T10:00:00")]))
    assert result.instances.empty
    assert tuple(result.instances.columns) == INSTANCE_COLUMNS
    assert len(result.per_customer) == 6
    assert (result.per_customer.filter(like="_count") == 0).all().all()
    assert (result.per_customer["typology_reason"] == "").all()


def test_same_snapshot_in_another_row_order_gives_the_same_result() -> None:
    transfers = [*RING, *[("A6", f"A{i}", 5_000.0, f"2025-05-0{i}T09:00:00") for i in range(1, 5)]]
    first = detect_typologies(_bank(transfers))
    second = detect_typologies(_bank(transfers[::-1]))
    pd.testing.assert_frame_equal(first.instances, second.instances)
    pd.testing.assert_frame_equal(first.per_customer, second.per_customer)


def test_a_shared_ledger_gives_the_same_result_and_must_be_the_snapshots() -> None:
    snapshot = _bank(RING)
    alone = detect_typologies(snapshot)
    shared = detect_typologies(snapshot, ledger=build_ledger(snapshot))
    pd.testing.assert_frame_equal(alone.instances, shared.instances)
    pd.testing.assert_frame_equal(alone.per_customer, shared.per_customer)
    with pytest.raises(ValueError, match="another snapshot"):
        detect_typologies(_bank(RING), ledger=build_ledger(snapshot))


def test_timestamps_with_offsets_or_as_datetimes_read_the_same() -> None:
    plain = detect_typologies(_bank(RING)).instances
    shifted = [(a, b, amount, when + "+02:00") for a, b, amount, when in RING]
    as_offsets = _bank(shifted)  # two hours earlier in UTC, same ring
    as_datetimes = _bank(RING)
    txns = as_datetimes.transactions
    txns["timestamp"] = pd.to_datetime(txns["timestamp"])
    for snapshot, hours in ((as_offsets, 2), (as_datetimes, 0)):
        found = detect_typologies(snapshot).instances
        assert found["reason"].tolist() == plain["reason"].tolist()
        shift = (plain["first_at"] - found["first_at"]).tolist()
        assert shift == [pd.Timedelta(hours=hours)] * len(plain)


@pytest.mark.parametrize(
    "change",
    [
        {"window_days": 0},
        {"max_cycle_length": 2},
        {"min_fan_degree": 1},
        {"pass_through_tolerance": 1.0},
        {"cycle_amount_ratio": 0.0},
        {"cycle_hop_ratio": 0.0},
        {"min_amount": -1.0},
    ],
)
def test_settings_reject_nonsense(change: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        TypologySettings(**change)


# --------------------------------------------------------------------------------------------
# Cycles
# --------------------------------------------------------------------------------------------


def test_ring_within_the_window_is_a_cycle_naming_its_accounts() -> None:
    result = detect_typologies(_bank(RING))
    # C2 and C3 each also pass the money straight on.
    assert _counts(result, "pass_through_count") == {
        "C1": 2,
        "C2": 2,
        "C3": 2,
        "C4": 0,
        "C5": 0,
        "C6": 0,
    }
    cycles = _of_kind(result, "cycle")
    assert len(cycles) == 1
    cycle = cycles.iloc[0]
    assert cycle["customer_ids"] == ("C1", "C2", "C3")
    assert cycle["account_ids"] == ("A1", "A2", "A3")
    assert cycle["transactions"] == 3
    assert cycle["total_amount"] == pytest.approx(29_400.0)
    assert "A1 (C1) → A2 (C2) → A3 (C3) → A1 (C1)" in cycle["reason"]
    assert "3 transfers, 29,400 EUR" in cycle["reason"]
    assert cycle["reason"].endswith("within 2.0 days")
    assert _counts(result, "cycle_count") == {"C1": 1, "C2": 1, "C3": 1, "C4": 0, "C5": 0, "C6": 0}
    reasons = result.per_customer.set_index("customer_id")["typology_reason"]
    assert reasons["C2"] == cycle["reason"] and reasons["C4"] == ""


def test_ring_slower_than_the_window_is_no_cycle() -> None:
    slow = [
        ("A1", "A2", 10_000.0, "2025-03-01T10:00:00"),
        ("A2", "A3", 9_800.0, "2025-03-09T10:00:00"),
        ("A3", "A1", 9_600.0, "2025-03-17T10:00:00"),  # 16 days after the first hop
    ]
    assert _of_kind(detect_typologies(_bank(slow)), "cycle").empty
    wider = TypologySettings(window_days=20)
    assert len(_of_kind(detect_typologies(_bank(slow), wider), "cycle")) == 1


def test_hops_out_of_time_order_are_no_cycle() -> None:
    # C2 passes money on to C3 a day before it gets any from C1: from wherever one starts,
    # some hop comes before the one that should have fed it.
    backwards = [
        ("A2", "A3", 9_800.0, "2025-03-01T10:00:00"),
        ("A1", "A2", 10_000.0, "2025-03-02T10:00:00"),
        ("A3", "A1", 9_600.0, "2025-03-03T10:00:00"),
    ]
    assert _of_kind(detect_typologies(_bank(backwards)), "cycle").empty


def test_ring_of_unrelated_sums_or_small_payments_is_no_cycle() -> None:
    uneven = [
        ("A1", "A2", 10_000.0, "2025-03-01T10:00:00"),
        ("A2", "A3", 1_500.0, "2025-03-02T10:00:00"),  # not the same money
        ("A3", "A1", 9_600.0, "2025-03-03T10:00:00"),
    ]
    small = [(a, b, 60.0, when) for a, b, _, when in RING[:3]]  # friends splitting a bill
    assert _of_kind(detect_typologies(_bank(uneven)), "cycle").empty
    assert _of_kind(detect_typologies(_bank(small)), "cycle").empty


def test_money_back_and_forth_between_two_customers_is_no_cycle() -> None:
    loan = [
        ("A1", "A2", 10_000.0, "2025-03-01T10:00:00"),
        ("A2", "A1", 10_000.0, "2025-03-03T10:00:00"),
    ]
    assert _of_kind(detect_typologies(_bank(loan)), "cycle").empty


def test_ring_returning_to_another_account_of_the_same_customer_is_a_cycle() -> None:
    ring = [*RING[:2], ("A3", "A1S", 9_600.0, "2025-03-03T10:00:00")]
    result = detect_typologies(_bank(ring, extra_accounts={"A1S": "C1"}))
    cycles = _of_kind(result, "cycle")
    assert len(cycles) == 1
    assert cycles.loc[0, "account_ids"] == ("A1", "A1S", "A2", "A3")
    assert "→ A1S (C1)" in cycles.loc[0, "reason"]


def test_longest_ring_is_bounded_by_max_cycle_length() -> None:
    # A ring of six customers, one hop a day.
    hops = [
        (f"A{i}", f"A{i % 6 + 1}", 10_000.0 - 100 * i, f"2025-03-0{i}T10:00:00")
        for i in range(1, 7)
    ]
    assert len(_of_kind(detect_typologies(_bank(hops)), "cycle")) == 1
    short = TypologySettings(max_cycle_length=5)
    assert _of_kind(detect_typologies(_bank(hops), short), "cycle").empty


def test_a_long_ring_whose_launderers_each_keep_a_cut_is_a_cycle() -> None:
    """Ten customers, a hop a day, each passing on 88% of what reached them: the
    last hop carries a third of the first, yet every hop is the previous one less a cut."""
    hops, amount = [], 20_000.0
    for i in range(1, 11):
        when = (pd.Timestamp("2025-03-01T10:00:00") + pd.Timedelta(days=i - 1)).isoformat()
        hops.append((f"A{i}", f"A{i % 10 + 1}", round(amount, 2), when))
        amount *= 0.88
    cycles = _of_kind(detect_typologies(_bank(hops, customers=10)), "cycle")
    assert len(cycles) == 1
    assert len(cycles.iloc[0]["customer_ids"]) == 10
    # Judged by the smallest sum against the largest alone, the same money is not recognised.
    whole_ring_only = TypologySettings(cycle_hop_ratio=1.0)
    assert _of_kind(detect_typologies(_bank(hops, customers=10), whole_ring_only),
                    "cycle").empty
    # A hop that drops to a fraction of the one before breaks the chain.
    broken = [*hops[:4], (hops[4][0], hops[4][1], hops[3][2] * 0.3, hops[4][3]), *hops[5:]]
    assert _of_kind(detect_typologies(_bank(broken, customers=10)), "cycle").empty


def test_cycle_search_cut_short_says_so_in_the_log(caplog: pytest.LogCaptureFixture) -> None:
    tiny_budget = TypologySettings(max_search_steps=1)
    with caplog.at_level("WARNING", logger="graphrisk.analytics.typologies"):
        detect_typologies(_bank(RING), tiny_budget)
    assert "cycle search stopped" in caplog.text


# --------------------------------------------------------------------------------------------
# Fans
# --------------------------------------------------------------------------------------------


def test_burst_to_many_new_payees_is_fan_out() -> None:
    burst = [("A1", f"A{i}", 5_000.0 + i, f"2025-04-0{i}T11:00:00") for i in range(2, 6)]
    result = detect_typologies(_bank(burst))
    fans = _of_kind(result, "fan_out")
    assert len(fans) == 1
    fan = fans.iloc[0]
    assert fan["customer_ids"] == ("C1", "C2", "C3", "C4", "C5")
    assert fan["transactions"] == 4
    assert fan["reason"].startswith("A1 (C1) sent 20,014 EUR in 4 transfers to 4 other customers")
    assert "A2 (C2), A3 (C3), A4 (C4), A5 (C5)" in fan["reason"]
    assert _of_kind(result, "fan_in").empty  # each payee got one transfer
    assert _counts(result, "fan_out_count")["C6"] == 0


def test_burst_from_many_payers_is_fan_in() -> None:
    burst = [(f"A{i}", "A6", 4_000.0, f"2025-04-0{i}T11:00:00") for i in range(1, 5)]
    fans = _of_kind(detect_typologies(_bank(burst)), "fan_in")
    assert len(fans) == 1
    assert fans.loc[0, "reason"].startswith("A6 (C6) received 16,000 EUR in 4 transfers from")


def test_transfers_spread_over_weeks_are_no_fan() -> None:
    spread = [("A1", f"A{i}", 5_000.0, f"2025-0{i}-01T11:00:00") for i in range(2, 6)]
    assert _of_kind(detect_typologies(_bank(spread)), "fan_out").empty


def test_a_campaign_spread_over_weeks_by_a_quiet_customer_is_a_fan() -> None:
    """Four one-off payees eight days apart: never three in one week, four in a month from a
    customer who otherwise pays nobody. Found by the month-long window, and only by it."""
    start = pd.Timestamp("2025-03-01T11:00:00")
    campaign = [("A1", f"A{i}", 3_000.0, (start + pd.Timedelta(days=8 * (i - 2))).isoformat())
                for i in range(2, 6)]
    fans = _of_kind(detect_typologies(_bank(campaign)), "fan_out")
    assert len(fans) == 1
    assert fans.iloc[0]["customer_ids"] == ("C1", "C2", "C3", "C4", "C5")
    assert "within 24.0 days" in fans.iloc[0]["reason"]
    week_only = TypologySettings(fan_window_multiples=(1.0,))
    assert _of_kind(detect_typologies(_bank(campaign), week_only), "fan_out").empty


def test_a_steady_customer_paying_someone_new_every_eight_days_is_no_fan() -> None:
    """The same spacing as the campaign above, kept up for half a year: the month holds what
    every month of this customer holds, so the long window finds nothing either."""
    start = pd.Timestamp("2025-01-01T11:00:00")
    steady = [("A1", f"A{i}", 3_000.0, (start + pd.Timedelta(days=8 * (i - 2))).isoformat())
              for i in range(2, 25)]
    assert _of_kind(detect_typologies(_bank(steady, customers=25)), "fan_out").empty


def test_fan_window_multiples_must_be_positive() -> None:
    with pytest.raises(ValueError, match="fan_window_multiples"):
        TypologySettings(fan_window_multiples=(1.0, 0.0))
    with pytest.raises(ValueError, match="fan_window_multiples"):
        TypologySettings(fan_window_multiples=())


def test_monthly_payroll_is_no_fan_out_and_no_pass_through() -> None:
    staff = range(2, 14)  # twelve employees, paid on the 25th, funded by clients days before
    payroll = []
    for month in range(1, 13):
        payroll.append(("P1", "A1", 32_000.0, f"2025-{month:02d}-22T10:00:00"))
        payroll += [
            ("A1", f"A{i}", 2_600.0 + 10 * i, f"2025-{month:02d}-25T09:00:{i:02d}") for i in staff
        ]
    result = detect_typologies(_bank(payroll, customers=14))
    assert result.instances.empty
    # The same transfers in one month only are a burst of one-off payments.
    one_month = [p for p in payroll if "-03-" in p[3]]
    assert len(_of_kind(detect_typologies(_bank(one_month, customers=14)), "fan_out")) == 1


def test_regular_family_support_is_no_fan_in() -> None:
    support = [
        (f"A{i}", "A1", 1_200.0, f"2025-{month:02d}-01T08:00:0{i}")
        for month in (1, 2, 3)
        for i in range(2, 6)
    ]
    assert detect_typologies(_bank(support)).instances.empty


def test_busy_shop_paid_by_new_customers_every_few_days_is_no_fan_in() -> None:
    start = pd.Timestamp("2025-01-01T10:00:00")
    sales = [
        (f"A{i}", "A1", 1_500.0, (start + pd.Timedelta(days=2 * i)).isoformat())
        for i in range(2, 92)  # ninety one-off buyers over six months, about 3.5 a week
    ]
    assert detect_typologies(_bank(sales, customers=91)).instances.empty
    # Without comparing a week with the shop's own usual week, it would look like mules.
    naive = TypologySettings(fan_history_ratio=0.01)
    assert not _of_kind(detect_typologies(_bank(sales, customers=91), naive), "fan_in").empty


def test_two_payers_paying_the_same_two_payees_form_a_bipartite_block() -> None:
    block = [
        ("A1", "A3", 8_000.0, "2025-06-02T10:00:00"),
        ("A1", "A4", 8_100.0, "2025-06-02T11:00:00"),
        ("A2", "A3", 7_900.0, "2025-06-03T10:00:00"),
        ("A2", "A4", 8_050.0, "2025-06-04T10:00:00"),
    ]
    result = detect_typologies(_bank(block))
    assert _counts(result, "fan_out_count") == {
        "C1": 1,
        "C2": 1,
        "C3": 2,
        "C4": 2,
        "C5": 0,
        "C6": 0,
    }
    assert len(_of_kind(result, "fan_in")) == 2
    fan = _of_kind(result, "fan_out").iloc[0]
    assert "C2 sent the same way to the same customers" in fan["reason"]
    # One payer paying two people is no fan.
    assert detect_typologies(_bank(block[:2])).instances.empty


# --------------------------------------------------------------------------------------------
# Pass-through
# --------------------------------------------------------------------------------------------


def test_money_in_and_straight_out_is_pass_through() -> None:
    flow = [
        ("P1", "A1", 12_000.0, "2025-07-01T10:00:00"),
        ("A1", "A2", 7_000.0, "2025-07-02T15:00:00"),
        ("A1", "P2", 4_700.0, "2025-07-03T09:00:00"),
    ]
    result = detect_typologies(_bank(flow))
    passes = _of_kind(result, "pass_through")
    assert len(passes) == 1
    found = passes.iloc[0]
    assert found["customer_ids"] == ("C1", "C2")
    assert found["account_ids"] == ("A1", "A2")
    assert found["transactions"] == 3
    assert found["reason"] == (
        "C1 received 12,000 EUR into A1 from P1 (1 transfer) and sent 11,700 EUR (98%) on "
        "from A1 to A2 (C2), P2 (2 transfers) within 47 hours"
    )
    assert _counts(result, "pass_through_count")["C2"] == 1


def test_pass_through_below_the_size_floor_is_ignored() -> None:
    flow = [
        ("P1", "A1", 3_000.0, "2025-07-01T10:00:00"),
        ("A1", "P2", 2_950.0, "2025-07-02T10:00:00"),
    ]
    assert detect_typologies(_bank(flow)).instances.empty
    lower = TypologySettings(pass_through_min_amount=2_000)
    assert len(_of_kind(detect_typologies(_bank(flow), lower), "pass_through")) == 1


@pytest.mark.parametrize(
    ("out_amount", "out_at"),
    [
        (6_000.0, "2025-07-02T10:00:00"),  # half of it stays
        (13_000.0, "2025-07-02T10:00:00"),  # more goes out than came in
        (11_900.0, "2025-07-12T10:00:00"),  # eleven days later
    ],
)
def test_unmatched_or_slow_money_out_is_no_pass_through(out_amount: float, out_at: str) -> None:
    flow = [("P1", "A1", 12_000.0, "2025-07-01T10:00:00"), ("A1", "P2", out_amount, out_at)]
    assert detect_typologies(_bank(flow)).instances.empty


def test_money_sent_back_where_it_came_from_is_a_refund() -> None:
    flow = [
        ("A2", "A1", 12_000.0, "2025-07-01T10:00:00"),
        ("A1", "A2", 12_000.0, "2025-07-02T10:00:00"),
    ]
    assert detect_typologies(_bank(flow)).instances.empty


def test_chain_of_hand_ons_below_the_floor_is_pass_through() -> None:
    chain = [
        ("A1", "A2", 4_000.0, "2025-08-01T10:00:00"),
        ("A2", "A3", 3_900.0, "2025-08-01T18:00:00"),
        ("A3", "A4", 3_800.0, "2025-08-02T09:00:00"),
    ]
    result = detect_typologies(_bank(chain))
    passes = _of_kind(result, "pass_through")
    assert passes["customer_ids"].tolist() == [("C1", "C2", "C3"), ("C2", "C3", "C4")]
    assert "one link in a chain of such hand-ons with C3" in passes.loc[0, "reason"]
    # A single hand-on of that size is nothing.
    assert detect_typologies(_bank(chain[:2])).instances.empty


def test_customer_reason_prefers_the_most_telling_instance() -> None:
    # C1 is in the ring and also fans out to four new payees a month later.
    burst = [("A1", f"A{i}", 5_000.0, f"2025-04-0{i}T11:00:00") for i in range(2, 6)]
    result = detect_typologies(_bank([*RING, *burst]))
    per = result.per_customer.set_index("customer_id")
    assert per.loc["C1", "cycle_count"] == 1 and per.loc["C1", "fan_out_count"] == 1
    assert per.loc["C1", "typology_reason"].startswith("money went round")
    assert per.loc["C5", "typology_reason"].startswith("A1 (C1) sent")


# --------------------------------------------------------------------------------------------
# A generated bank
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """Per-customer results on a generated bank of 2,000, joined with the hidden truth."""
    folder: Path = tmp_path_factory.mktemp("typologies")
    generate_dataset(2_000, 11, folder)
    frames = {
        name: pd.read_csv(folder / f"{name}.csv")
        for name in ("customers", "accounts", "transactions")
    }
    empty = pd.DataFrame()
    snapshot = GraphSnapshot(
        customers=frames["customers"],
        accounts=frames["accounts"],
        account_holders=empty,
        counterparties=empty,
        identifiers=empty,
        transactions=frames["transactions"],
        disputes=empty,
        loans=empty,
        account_changes=empty,
    )
    per_customer = detect_typologies(snapshot).per_customer
    truth = pd.read_csv(folder / "truth" / "ground_truth.csv", dtype={"customer_id": str})
    joined = per_customer.merge(truth, on="customer_id")
    assert len(joined) == 2_000
    joined["flagged"] = joined.filter(like="_count").sum(axis=1) > 0
    return joined


def _groups_caught(data: pd.DataFrame, typology: str, column: str = "flagged") -> pd.Series:
    """Per planted group of one typology, whether most of its members were flagged."""
    members = data[data["typology"] == typology]
    return (members[column] > 0).groupby(members["group_id"]).mean() > 0.5


@pytest.mark.parametrize(
    ("typology", "column"),
    [("cycle", "cycle_count"), ("fan_in", "fan_in_count"), ("fan_out", "fan_out_count")],
)
def test_planted_groups_are_caught_by_their_own_detector(
    generated: pd.DataFrame, typology: str, column: str
) -> None:
    caught = _groups_caught(generated, typology, column)
    assert len(caught) >= 1
    assert caught.all()


def test_most_planted_laundering_groups_are_caught(generated: pd.DataFrame) -> None:
    caught = pd.concat([_groups_caught(generated, typology) for typology in AML_PATTERNS])
    assert len(caught) >= len(AML_PATTERNS)
    assert caught.mean() >= 0.85


@pytest.mark.parametrize(
    ("typology", "most"),
    [("payroll_lookalike", 0.02), ("family_lookalike", 0.02), ("normal", 0.005)],
)
def test_look_alikes_and_ordinary_customers_are_rarely_flagged(
    generated: pd.DataFrame, typology: str, most: float
) -> None:
    members = generated[generated["typology"] == typology]
    assert len(members) > 0
    assert members["flagged"].mean() <= most
