"""Tests of the event stream generator: format, loading, noise that alerts for nobody, shapes
that cross their thresholds for every tier, and typology shapes the detectors really find.

Monitoring is tested by replaying this stream, so every fact here is computed from the files
written (and the policy), not taken from the generator's own answer key.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from graphrisk.analytics.typologies import TypologySettings, detect_typologies
from graphrisk.graph import GraphSnapshot
from graphrisk.ingestion.generator import (
    MIN_CUSTOMERS,
    SHAPE_KINDS,
    STREAM_TRUTH_FILE,
    StreamSummary,
    generate_dataset,
    generate_stream,
)
from graphrisk.ingestion.generator.columns import generated_columns
from graphrisk.ingestion.generator.stream import bank_typology_settings
from graphrisk.ingestion.loader import IngestReport
from graphrisk.normalise import normalise_identifiers
from graphrisk.policy import TIERS, RiskPolicy, load_policy
from graphrisk.store.embedded import EmbeddedGraphStore
from tests.helpers import load_folder

SEED = 5
POLICY = load_policy()
ALERTS = [POLICY.tiers[t].alert_thresholds for t in TIERS]
LIMITS = [POLICY.tiers[t].transaction_limit for t in TIERS]
MIN_SINGLE = min(a.single_payment for a in ALERTS)
MAX_SINGLE = max(a.single_payment for a in ALERTS)
MIN_DAILY = min(a.daily_total for a in ALERTS)
MAX_DAILY = max(a.daily_total for a in ALERTS)
MAX_NEW = max(a.new_counterparties_per_week for a in ALERTS)
REPORTING = POLICY.scoring.reporting_threshold
STREAM_FILES = {"transactions", "disputes", "identifiers", "account_changes"}


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _batch_frames(out: Path, name: str) -> pd.DataFrame:
    parts = [_read(f).assign(batch=int(f.parent.name.split("-")[1]))
             for f in sorted(out.glob(f"batch-*/{name}.csv"))]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("base")
    generate_dataset(MIN_CUSTOMERS, 3, folder)
    return folder


@pytest.fixture(scope="module")
def stream(base: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, StreamSummary]:
    out = tmp_path_factory.mktemp("stream")
    return out, generate_stream(base, out, seed=SEED)


@pytest.fixture(scope="module")
def out(stream: tuple[Path, StreamSummary]) -> Path:
    return stream[0]


@pytest.fixture(scope="module")
def truth(out: Path) -> dict:
    return json.loads((out / STREAM_TRUTH_FILE).read_text())


@pytest.fixture(scope="module")
def planted(truth: dict) -> dict[str, dict]:
    return {p["kind"]: p for p in truth["planted"]}


@pytest.fixture(scope="module")
def frames(base: Path, out: Path) -> dict[str, pd.DataFrame]:
    txns = _read(base / "transactions.csv")
    accounts = _read(base / "accounts.csv")
    owner = accounts.set_index("account_id")["customer_id"]
    txns["payer"] = txns["from_account_id"].map(owner)
    new = _batch_frames(out, "transactions")
    new["payer"] = new["from_account_id"].map(owner)
    new["receiver"] = new["to_account_id"].map(owner)
    for frame in (txns, new):
        frame["amount_f"] = frame["amount"].astype(float)
        frame["ts"] = pd.to_datetime(frame["timestamp"], utc=True)
        frame["payee"] = frame["to_account_id"].where(frame["to_account_id"] != "",
                                                      frame["to_counterparty_id"])
    return {"base": txns, "stream": new, "customers": _read(base / "customers.csv"),
            "identifiers": _read(base / "identifiers.csv"), "accounts": accounts}


@pytest.fixture(scope="module")
def loaded(base: Path, out: Path, tmp_path_factory: pytest.TempPathFactory
           ) -> tuple[list[IngestReport], GraphSnapshot, GraphSnapshot]:
    """Base, then each batch in order, loaded into one embedded store (the replay path)."""
    tmp = tmp_path_factory.mktemp("store")
    with EmbeddedGraphStore(tmp / "graphrisk.db") as store:
        first = load_folder(store, base, tmp)
        before = store.snapshot()
        reports = [first] + [load_folder(store, folder, tmp)
                             for folder in sorted(out.glob("batch-*"))]
        return reports, before, store.snapshot()


def _paid_before(frames: dict[str, pd.DataFrame]) -> set[tuple[str, str]]:
    base = frames["base"]
    return set(zip(base["payer"], base["payee"], strict=True))


def test_deterministic_for_a_seed(base: Path, out: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    generate_stream(base, again, seed=SEED)
    files = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    for name in files:
        assert (out / name).read_bytes() == (again / name).read_bytes(), name
    other = tmp_path / "other"
    generate_stream(base, other, seed=SEED + 1)
    assert ((other / "batch-0001" / "transactions.csv").read_bytes()
            != (out / "batch-0001" / "transactions.csv").read_bytes())


def test_batches_hold_only_stream_files_in_the_input_format(
        out: Path, stream: tuple[Path, StreamSummary]) -> None:
    folders = sorted(out.glob("batch-*"))
    assert [f.name for f in folders] == [f"batch-{i:04d}" for i in range(1, 7)]
    for folder, rows in zip(folders, stream[1].rows, strict=True):
        names = {p.stem for p in folder.iterdir()}
        assert names <= STREAM_FILES and "transactions" in names
        for name in names:
            frame = _read(folder / f"{name}.csv")
            assert list(frame.columns) == generated_columns(name)
            assert rows[name] == len(frame)
        assert 90 <= sum(rows.values()) <= 130


def test_every_batch_loads_on_the_base_without_rejects(
        loaded: tuple[list[IngestReport], GraphSnapshot, GraphSnapshot],
        stream: tuple[Path, StreamSummary]) -> None:
    reports = loaded[0]
    for report in reports:
        assert report.rows_rejected == 0, [p.line() for p in report.problems]
        assert not report.errors
    for report, rows in zip(reports[1:], stream[1].rows, strict=True):
        assert report.rows_loaded == sum(rows.values())


def test_ids_are_unique_and_new(base: Path, out: Path) -> None:
    for name, key in (("transactions", "transaction_id"), ("disputes", "dispute_id"),
                      ("account_changes", "change_id")):
        ids = _batch_frames(out, name)
        assert not ids.empty
        assert ids[key].is_unique
        assert not set(ids[key]) & set(_read(base / f"{name}.csv")[key])


def test_timestamps_follow_the_base_and_each_other(frames: dict[str, pd.DataFrame],
                                                   out: Path) -> None:
    base_end = frames["base"]["ts"].max()
    stream = frames["stream"]
    spans = stream.groupby("batch")["ts"].agg(["min", "max"]).sort_index()
    assert spans["min"].iloc[0] > base_end
    assert (spans["min"].iloc[1:].to_numpy() > spans["max"].iloc[:-1].to_numpy()).all()
    for name, column in (("disputes", "opened_date"), ("account_changes", "timestamp"),
                         ("identifiers", "first_seen")):
        other = _batch_frames(out, name)
        times = pd.to_datetime(other[column], utc=True)
        assert (times >= base_end.normalize() + pd.Timedelta(days=1)).all()
        for batch, when in zip(other["batch"], times, strict=True):
            assert spans.loc[batch, "min"].normalize() <= when <= spans.loc[batch, "max"]


def test_noise_raises_nothing_for_any_tier(frames: dict[str, pd.DataFrame], truth: dict,
                                           out: Path, base: Path) -> None:
    planted_ids = {t for p in truth["planted"] for t in p["transaction_ids"]}
    planted_customers = {c for p in truth["planted"] for c in p["customer_ids"]}
    noise = frames["stream"][~frames["stream"]["transaction_id"].isin(planted_ids)]
    assert len(noise) > 400
    labelled = set(frames["customers"].loc[frames["customers"]["known_risk_label"] != "",
                                           "customer_id"])
    assert set(noise["payer"]) == set(truth["quiet_customers"])
    assert not set(noise["payer"]) & (planted_customers | labelled)
    assert (noise["to_account_id"] == "").all()  # never another customer
    paid = _paid_before(frames)
    assert all(pair in paid for pair in zip(noise["payer"], noise["payee"], strict=True))
    assert (noise["amount_f"] < 0.3 * MIN_SINGLE).all()
    assert (noise["amount_f"] < 0.9 * REPORTING).all()
    assert (noise["amount_f"] < min(LIMITS)).all()
    assert (noise["amount_f"] < bank_typology_settings(base).min_amount).all()
    per_day = noise.groupby(["payer", noise["ts"].dt.date])["amount_f"].agg(["size", "sum"])
    assert per_day["size"].max() <= 2
    assert per_day["sum"].max() < 0.5 * MIN_DAILY
    quiet = set(truth["quiet_customers"])
    for name in ("disputes", "identifiers"):
        assert not set(_batch_frames(out, name)["customer_id"]) & quiet
    changed = _batch_frames(out, "account_changes")["account_id"].map(
        frames["accounts"].set_index("account_id")["customer_id"])
    assert not set(changed) & quiet


def test_every_shape_is_planted_once_with_its_rules(truth: dict, planted: dict[str, dict]
                                                    ) -> None:
    assert sorted(p["kind"] for p in truth["planted"]) == sorted(SHAPE_KINDS)
    assert max(pd.Series([p["batch"] for p in truth["planted"]]).value_counts()) <= 2
    required = {
        "large_payment": {"single_payment", "over_transaction_limit"},
        "daily_burst": {"daily_total"}, "new_payees": {"new_counterparties"},
        "structuring": {"structuring"}, "cycle": {"typology_cycle"},
        "fan_in": {"typology_fan_in"}, "fan_out": {"typology_fan_out", "new_counterparties"},
        "risky_link": {"high_risk_link"}, "dispute_spike": {"dispute_spike"},
        "account_churn": set(),
    }
    for kind, rules in required.items():
        assert rules <= set(planted[kind]["expect_rules"]), kind
    assert planted["account_churn"]["expect_rules"] == []
    customers = [c for p in truth["planted"] for c in p["customer_ids"]]
    assert len(customers) == len(set(customers))  # fresh customers for every shape


def test_tier_rules_match_the_policy(truth: dict, frames: dict[str, pd.DataFrame]) -> None:
    """The key's per-tier payment rules agree with the amounts written and the policy."""
    stream = frames["stream"]
    for entry in truth["planted"]:
        for customer, by_tier in entry["rules_by_customer"].items():
            paid = stream[stream["payer"] == customer]
            for tier in TIERS:
                tier_policy = POLICY.tiers[tier]
                top = paid["amount_f"].max() if len(paid) else 0.0
                day = paid.groupby(paid["ts"].dt.date)["amount_f"].sum().max() if len(
                    paid) else 0.0
                assert ("single_payment" in by_tier[tier]) == bool(
                    top >= tier_policy.alert_thresholds.single_payment), (entry["kind"], tier)
                assert ("over_transaction_limit" in by_tier[tier]) == bool(
                    top > tier_policy.transaction_limit), (entry["kind"], tier)
                assert ("daily_total" in by_tier[tier]) == bool(
                    day >= tier_policy.alert_thresholds.daily_total), (entry["kind"], tier)
        principal = entry["principal_customer_ids"]
        common = set.intersection(*(set(entry["rules_by_customer"][c][t])
                                    for c in principal for t in TIERS))
        assert set(entry["expect_rules"]) == common


def _shape_rows(frames: dict[str, pd.DataFrame], entry: dict) -> pd.DataFrame:
    rows = frames["stream"][frames["stream"]["transaction_id"].isin(entry["transaction_ids"])]
    assert len(rows) == len(entry["transaction_ids"]) > 0
    return rows


def test_payment_shapes_cross_every_tier(frames: dict[str, pd.DataFrame],
                                         planted: dict[str, dict]) -> None:
    paid = _paid_before(frames)
    large = _shape_rows(frames, planted["large_payment"])
    assert len(large) == 1
    assert large["amount_f"].iloc[0] >= 1.25 * MAX_SINGLE
    assert large["amount_f"].iloc[0] > max(LIMITS)
    assert (large["payer"].iloc[0], large["payee"].iloc[0]) in paid

    burst = _shape_rows(frames, planted["daily_burst"])
    assert burst["ts"].dt.date.nunique() == 1 and burst["payee"].nunique() == 1
    assert (burst["amount_f"] < MIN_SINGLE).all()
    assert burst["amount_f"].sum() > MAX_DAILY
    assert (burst["payer"].iloc[0], burst["payee"].iloc[0]) in paid

    fresh = _shape_rows(frames, planted["new_payees"])
    assert fresh["payee"].nunique() >= MAX_NEW + 2
    assert not any(pair in paid for pair in zip(fresh["payer"], fresh["payee"], strict=True))
    assert fresh["ts"].max() - fresh["ts"].min() <= pd.Timedelta(days=5)
    assert (fresh["amount_f"] < MIN_SINGLE).all()

    split = _shape_rows(frames, planted["structuring"])
    assert len(split) == 4 and split["payer"].nunique() == 1
    assert split["amount_f"].between(0.9 * REPORTING, 0.99 * REPORTING).all()
    assert split["ts"].max() - split["ts"].min() <= pd.Timedelta(days=3)
    assert (split["payer"].iloc[0], split["payee"].iloc[0]) in paid


def test_cycle_and_fans_are_shaped_as_planned(frames: dict[str, pd.DataFrame], base: Path,
                                              planted: dict[str, dict]) -> None:
    # The detectors' floors and windows on this bank's scale, as a full run derives them.
    settings = bank_typology_settings(base)
    assert settings.from_data and settings.min_amount != TypologySettings().min_amount
    rows = frames["base"]
    ring = _shape_rows(frames, planted["cycle"]).sort_values("ts")
    members = planted["cycle"]["customer_ids"]
    assert 3 <= len(members) <= 4 and len(ring) == len(members)
    assert list(ring["receiver"].iloc[:-1]) == list(ring["payer"].iloc[1:])
    assert ring["receiver"].iloc[-1] == ring["payer"].iloc[0]
    assert ring["ts"].max() - ring["ts"].min() <= pd.Timedelta(days=2)
    assert (ring["amount_f"] >= settings.min_amount).all()
    # Under the lowest single-payment threshold where the bank's floor leaves room; where
    # it does not, the key says the payers cross that rule too.
    rules = planted["cycle"]["rules_by_customer"]
    for payer, amount in zip(ring["payer"], ring["amount_f"], strict=True):
        crossed = {rule for tier in rules[payer].values() for rule in tier}
        assert (amount < MIN_SINGLE) != ("single_payment" in crossed), (payer, amount)
    rows["receiver"] = rows["to_account_id"].map(
        frames["accounts"].set_index("account_id")["customer_id"])
    # Transfers between two members (a member's transfer between own accounts is not one).
    between = rows[rows["payer"].isin(members) & rows["receiver"].isin(members)
                   & (rows["payer"] != rows["receiver"])]
    assert between.empty

    fan_in = _shape_rows(frames, planted["fan_in"])
    assert fan_in["receiver"].nunique() == 1
    assert fan_in["receiver"].iloc[0] == planted["fan_in"]["principal_customer_ids"][0]
    assert fan_in["payer"].nunique() >= TypologySettings().min_fan_degree
    fan_out = _shape_rows(frames, planted["fan_out"])
    assert fan_out["payer"].nunique() == 1
    assert fan_out["receiver"].nunique() >= max(MAX_NEW, TypologySettings().min_fan_degree)
    for fan in (fan_in, fan_out):
        assert fan["ts"].max() - fan["ts"].min() <= pd.Timedelta(days=settings.fan_window_days)
        assert (fan["amount_f"] >= settings.min_amount).all()


def test_risky_link_dispute_spike_and_churn(frames: dict[str, pd.DataFrame], out: Path,
                                            planted: dict[str, dict]) -> None:
    idents = _batch_frames(out, "identifiers")
    link = planted["risky_link"]
    row = idents[idents["customer_id"] == link["customer_ids"][0]]
    assert len(row) == 1 and row["kind"].iloc[0] in ("device", "phone")
    base_ids = frames["identifiers"]
    base_ids = base_ids.assign(norm=normalise_identifiers(base_ids["kind"], base_ids["value"]))
    norm = normalise_identifiers(row["kind"], row["value"]).iloc[0]
    holders = set(base_ids.loc[(base_ids["kind"] == row["kind"].iloc[0])
                               & (base_ids["norm"] == norm), "customer_id"])
    labelled = set(frames["customers"].loc[frames["customers"]["known_risk_label"] != "",
                                           "customer_id"])
    assert holders & labelled and link["customer_ids"][0] not in holders
    assert len(holders) + 1 < POLICY.scoring.max_identifier_degree
    assert link["identifier_id"] == f"{row['kind'].iloc[0]}:{norm}"

    disputes = _batch_frames(out, "disputes")
    spike = disputes[disputes["dispute_id"].isin(planted["dispute_spike"]["dispute_ids"])]
    assert len(spike) == 5 and spike["customer_id"].nunique() == 1
    assert (spike["status"] == "open").all()
    opened = pd.to_datetime(spike["opened_date"])
    assert opened.max() - opened.min() <= pd.Timedelta(days=2)

    changes = _batch_frames(out, "account_changes")
    churn = changes[changes["change_id"].isin(planted["account_churn"]["change_ids"])]
    assert len(churn) >= 3 and churn["account_id"].nunique() == 1
    when = pd.to_datetime(churn["timestamp"])
    assert when.max() - when.min() <= pd.Timedelta(days=4)


def test_typology_shapes_are_detected_and_nothing_else_changes(
        loaded: tuple[list[IngestReport], GraphSnapshot, GraphSnapshot],
        planted: dict[str, dict], truth: dict) -> None:
    _, before, after = loaded
    found = detect_typologies(after)
    instances = found.instances
    for kind in ("cycle", "fan_in", "fan_out"):
        entry = planted[kind]
        hits = instances[(instances["kind"] == kind) & instances["customer_ids"].map(
            lambda ids, e=entry: set(e["customer_ids"]) <= set(ids))]
        assert len(hits) == 1, kind
        assert set(entry["transaction_ids"]) and hits["transactions"].iloc[0] == len(
            entry["transaction_ids"])
    planted_customers = {c for p in truth["planted"] for c in p["customer_ids"]}
    touching = instances[instances["customer_ids"].map(lambda ids: bool(set(ids) &
                                                                         planted_customers))]
    assert sorted(touching["kind"]) == ["cycle", "fan_in", "fan_out"]
    # Noise customers take part in exactly the instances they did before the stream.
    counts = ["cycle_count", "fan_in_count", "fan_out_count", "pass_through_count"]
    quiet = truth["quiet_customers"]
    old = detect_typologies(before).per_customer.set_index("customer_id").loc[quiet, counts]
    new = found.per_customer.set_index("customer_id").loc[quiet, counts]
    pd.testing.assert_frame_equal(old, new)


def test_noise_only_stream(base: Path, tmp_path: Path) -> None:
    summary = generate_stream(base, tmp_path, batches=3, events_per_batch=50, plant=False)
    truth = json.loads((tmp_path / STREAM_TRUTH_FILE).read_text())
    assert summary.planted == 0 and truth["planted"] == []
    assert sorted(p.name for p in tmp_path.rglob("*.csv")) == ["transactions.csv"] * 3
    assert summary.rows == [{"transactions": 50}] * 3


def test_a_stricter_policy_moves_the_amounts(base: Path, tmp_path: Path) -> None:
    data = POLICY.model_dump()
    for tier in TIERS:
        data["tiers"][tier]["alert_thresholds"]["single_payment"] *= 2
        data["tiers"][tier]["transaction_limit"] *= 2
    strict = RiskPolicy.model_validate(data)
    generate_stream(base, tmp_path, seed=SEED, policy=strict)
    truth = json.loads((tmp_path / STREAM_TRUTH_FILE).read_text())
    large = next(p for p in truth["planted"] if p["kind"] == "large_payment")
    amount = float(_read(tmp_path / f"batch-{large['batch']:04d}" / "transactions.csv")
                   .set_index("transaction_id").loc[large["transaction_ids"][0], "amount"])
    assert amount >= 1.25 * 2 * MAX_SINGLE and amount > 2 * max(LIMITS)


def test_bad_arguments_are_refused(base: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="batches"):
        generate_stream(base, tmp_path, batches=0)
    with pytest.raises(ValueError, match="transactions"):
        generate_stream(tmp_path, tmp_path / "out")


def test_fewer_batches_still_plant_every_shape(base: Path, tmp_path: Path) -> None:
    summary = generate_stream(base, tmp_path, batches=2, events_per_batch=40)
    assert summary.planted_by_kind == {kind: 1 for kind in SHAPE_KINDS}
    assert np.all(np.diff([int(p.name[-4:]) for p in sorted(tmp_path.glob("batch-*"))]) == 1)
