"""The typology thresholds follow the bank's own data (issue 14, item 1): a bank that counts in
cents finds the same ring and fan as one that counts in euros, a policy's floor wins over the
derived one, and too few transfers keep the fallbacks."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from graphrisk.analytics.ledger import DAY_SECONDS, build_ledger
from graphrisk.analytics.typologies import (
    DERIVABLE,
    TypologySettings,
    derive_thresholds,
    detect_typologies,
)
from graphrisk.analytics.typologies.thresholds import MIN_SAMPLE
from graphrisk.graph import GraphSnapshot
from graphrisk.ingestion.generator import generate_dataset
from graphrisk.ingestion.loader import ingest_directory
from graphrisk.policy import TypologyPolicy, load_policy
from graphrisk.scoring import ScoringSettings, score_store
from graphrisk.store.embedded import EmbeddedGraphStore

# Customers C1..C40, each owning account An. C5..C30 pay each other everyday sums of a few
# units (0.5-8) all year; C1 -> C2 -> C3 -> C1 is a ring of about 90 within two days, and
# C35 pays 60 each to C31..C34, whom nobody else pays, within a day: a fan-out. In euros
# these would all be pocket money, far below the fixed floor of 1,000.
RING = [("A1", "A2", 95.0, "2025-06-01T10:00:00"),
        ("A2", "A3", 93.0, "2025-06-02T09:00:00"),
        ("A3", "A1", 91.0, "2025-06-03T08:00:00")]
FAN = [("A35", f"A{n}", 60.0, f"2025-08-01T{8 + n - 31:02d}:00:00") for n in range(31, 35)]


def _background(count: int = 800) -> list[tuple[str, str, float, str]]:
    rng = np.random.default_rng(7)
    start = pd.Timestamp("2025-01-01")
    rows = []
    for _ in range(count):
        a, b = rng.choice(np.arange(5, 31), size=2, replace=False)
        when = start + pd.Timedelta(seconds=int(rng.integers(0, 365 * DAY_SECONDS)))
        rows.append((f"A{a}", f"A{b}", round(float(rng.uniform(0.5, 8.0)), 2),
                     when.strftime("%Y-%m-%dT%H:%M:%S")))
    return rows


def _bank(transfers: list[tuple[str, str, float, str]], scale: float = 1.0) -> GraphSnapshot:
    ids = [f"C{i}" for i in range(1, 41)]
    transactions = pd.DataFrame(
        [(f"T{n:05d}", src, None, dst, None, amount * scale, "EUR", when)
         for n, (src, dst, amount, when) in enumerate(transfers, start=1)],
        columns=["transaction_id", "from_account_id", "from_counterparty_id", "to_account_id",
                 "to_counterparty_id", "amount", "currency", "timestamp"])
    empty = pd.DataFrame()
    return GraphSnapshot(
        customers=pd.DataFrame({"customer_id": ids}),
        accounts=pd.DataFrame({"account_id": [f"A{i}" for i in range(1, 41)],
                               "customer_id": ids}),
        account_holders=empty, counterparties=empty, identifiers=empty,
        transactions=transactions, disputes=empty, loans=empty, account_changes=empty)


@pytest.fixture(scope="module")
def small_bank() -> GraphSnapshot:
    return _bank(_background() + RING + FAN)


def _shapes(snapshot: GraphSnapshot, settings: TypologySettings | None = None) -> set:
    found = detect_typologies(snapshot, settings or TypologySettings(), derive=True).instances
    return {(kind, ids) for kind, ids in zip(found["kind"], found["customer_ids"], strict=True)
            if kind in ("cycle", "fan_out")}


def test_a_bank_counting_in_small_sums_finds_its_ring_and_fan(small_bank) -> None:
    shapes = _shapes(small_bank)
    assert ("cycle", ("C1", "C2", "C3")) in shapes
    assert ("fan_out", ("C31", "C32", "C33", "C34", "C35")) in shapes
    # With the fixed floor of 1,000 they are everyday spending and nothing is found.
    fixed = TypologySettings(from_data=())
    assert _shapes(small_bank, fixed) == set()


def test_the_same_bank_in_another_currency_finds_the_same(small_bank) -> None:
    hundredfold = _bank(_background() + RING + FAN, scale=100.0)
    assert _shapes(hundredfold) == _shapes(small_bank)
    derived = detect_typologies(small_bank, derive=True).settings
    scaled = detect_typologies(hundredfold, derive=True).settings
    assert scaled.min_amount == pytest.approx(100 * derived.min_amount)
    assert scaled.pass_through_min_amount == pytest.approx(100 * derived.pass_through_min_amount)
    assert scaled.window_days == pytest.approx(derived.window_days)


def test_derived_thresholds_are_the_data_s_quantiles_and_rhythm(small_bank) -> None:
    used = detect_typologies(small_bank, derive=True).settings
    assert set(used.from_data or ()) == set(DERIVABLE)
    amounts = np.array([amount for _, _, amount, _ in _background() + RING + FAN])
    assert used.min_amount == pytest.approx(np.quantile(amounts, 0.8))
    assert used.pass_through_min_amount == pytest.approx(np.quantile(amounts, 0.95))
    assert used.min_amount < 10  # a few units, not a thousand
    # Windows: the rhythm is days to weeks here (about 100 large transfers a year among
    # 26 customers); the bursts get a quarter of the cycle window.
    assert 7 < used.window_days < 120
    assert used.fan_window_days == pytest.approx(used.window_days / 4)
    assert used.pass_through_days == pytest.approx(used.window_days / 4)


def test_windows_follow_the_bank_s_time_scale(small_bank) -> None:
    # The same bank whose year passes in a month: every gap a twelfth as long.
    start = pd.Timestamp("2025-01-01")
    fast = small_bank.transactions.assign(timestamp=[
        (start + (pd.Timestamp(t) - start) / 12).strftime("%Y-%m-%dT%H:%M:%S")
        for t in small_bank.transactions["timestamp"]])
    quick = detect_typologies(replace(small_bank, transactions=fast), derive=True).settings
    slow = detect_typologies(small_bank, derive=True).settings
    assert quick.window_days == pytest.approx(slow.window_days / 12, rel=0.02)


def test_a_threshold_set_by_the_caller_is_kept(small_bank) -> None:
    ledger = build_ledger(small_bank)
    pinned = TypologySettings(min_amount=5.0)  # set: not derived
    assert "min_amount" not in (pinned.from_data or ())
    used = derive_thresholds(ledger, pinned)
    assert used.min_amount == 5.0
    assert used.window_days != TypologySettings().window_days  # still derived


def test_a_policy_floor_wins_over_the_derived_one() -> None:
    policy = load_policy().model_copy(
        update={"typologies": TypologyPolicy(min_amount=250.0, window_days=30)})
    settings = ScoringSettings.from_policy(policy)
    assert settings.typologies.min_amount == 250.0
    assert settings.typologies.window_days == 30
    assert set(settings.typologies.from_data or ()) == set(DERIVABLE) - {
        "min_amount", "window_days"}
    # The shipped policy sets none: every one follows the data.
    shipped = ScoringSettings.from_policy(load_policy())
    assert set(shipped.typologies.from_data or ()) == set(DERIVABLE)
    # The stored parameters say which were derived.
    assert set(shipped.describe()["typologies"]["from_data"]) == set(DERIVABLE)


def test_too_few_transfers_keep_the_fallbacks() -> None:
    tiny = _bank(RING + FAN)
    assert len(RING + FAN) < MIN_SAMPLE
    used = detect_typologies(tiny, derive=True).settings
    assert used.from_data == ()
    assert used.min_amount == TypologySettings().min_amount
    assert used.window_days == TypologySettings().window_days


def test_settings_reject_unknown_derivations() -> None:
    with pytest.raises(ValueError):
        TypologySettings(from_data=("max_cycle_length",))
    with pytest.raises(ValueError):
        TypologySettings(amount_quantile=1.0)


def test_a_policy_floor_is_what_a_full_run_uses_and_stores(tmp_path) -> None:
    generate_dataset(500, 5, tmp_path / "data")
    policy = load_policy().model_copy(
        update={"typologies": TypologyPolicy(min_amount=2_500.0, window_days=21)})
    with EmbeddedGraphStore(tmp_path / "graphrisk.db") as store:
        ingest_directory(store, tmp_path / "data")
        result = score_store(store, policy)
    used = result.typologies.settings
    assert (used.min_amount, used.window_days) == (2_500.0, 21)
    (typology,) = [c for c in result.coverage if c.component == "typology"]
    assert "typology threshold of 2,500" in typology.detail
    with closing(sqlite3.connect(tmp_path / "graphrisk.db")) as conn:
        (params,) = conn.execute("SELECT params FROM score_runs WHERE run_id = ?",
                                 (result.run_id,)).fetchone()
    stored = json.loads(params)["settings"]["typologies"]
    assert stored["min_amount"] == 2_500.0 and stored["window_days"] == 21
    assert "min_amount" not in stored["from_data"]
