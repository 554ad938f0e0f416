"""Generator profiles: each gives a valid bank that loads cleanly and has the property it names.

Why: the robustness benchmark (``benchmarks/bench_robustness.py``) measures the pipeline on
these banks; a profile that silently did not change what it claims (amounts not scaled, a
known share far off) would make its row meaningless. And the default must stay the default:
every other test pins its counts and bytes.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from graphrisk.ingestion.generator import PROFILES, Profile, generate_dataset
from graphrisk.ingestion.generator.profiles import ATTRIBUTE_COLUMNS
from graphrisk.ingestion.loader import ingest_directory
from graphrisk.store.embedded import EmbeddedGraphStore

N = 1_000
SEED = 5


@pytest.fixture(scope="module")
def banks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every profile's bank (and ``Profile()`` passed as a value), generated once."""
    root = tmp_path_factory.mktemp("profiles")
    out = {}
    for name in PROFILES:
        generate_dataset(N, SEED, root / name, profile=name, watchlists=False)
        out[name] = root / name
    generate_dataset(N, SEED, root / "plain", watchlists=False)
    generate_dataset(N, SEED, root / "value", watchlists=False, profile=Profile())
    out["plain"], out["value"] = root / "plain", root / "value"
    return out


def _read(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"{name}.csv")


def _hashes(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _planted(folder: Path, typology: str) -> pd.DataFrame:
    """The planted transactions of one typology, with their group."""
    planted = pd.read_csv(folder / "truth" / "typology_transactions.csv")
    planted = planted[planted["typology"] == typology]
    txns = _read(folder, "transactions").set_index("transaction_id")
    out = planted.join(txns, on="transaction_id")
    out["timestamp"] = pd.to_datetime(out["timestamp"])
    return out


def test_the_default_profile_is_byte_identical_to_no_profile(banks: dict[str, Path]) -> None:
    plain = _hashes(banks["plain"])
    assert _hashes(banks["default"]) == plain
    assert _hashes(banks["value"]) == plain


def test_an_unknown_profile_or_a_too_short_episode_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown generator profile 'nope'"):
        generate_dataset(N, SEED, tmp_path, profile="nope")
    with pytest.raises(ValueError, match="episode_days"):
        Profile("long", typology_time_scale=4.0)  # episodes of 56 days, 14 left for them


@pytest.mark.parametrize("name", list(PROFILES))
def test_every_profile_loads_without_a_quarantined_row(
    banks: dict[str, Path], name: str, tmp_path: Path
) -> None:
    with EmbeddedGraphStore(tmp_path / "graphrisk.db") as store:
        report = ingest_directory(store, banks[name], reports_dir=tmp_path / "reports")
        counts = store.counts()
    assert [(t.entity, t.rows_rejected, t.batches_skipped) for t in report.tables] == [
        (t.entity, 0, 0) for t in report.tables
    ]
    # The loader only warns that an accounts-only bank's identifiers file is empty.
    expected = [("identifiers.csv", "warning")] if PROFILES[name].accounts_only else []
    assert [(p.source, p.severity) for p in report.problems] == expected
    assert counts["customers"] == N


@pytest.mark.parametrize("name, scale", [("amounts_x0.01", 0.01), ("amounts_x100", 100.0)])
def test_amounts_are_scaled(banks: dict[str, Path], name: str, scale: float) -> None:
    base = _read(banks["default"], "transactions")
    scaled = _read(banks[name], "transactions")
    assert scaled["transaction_id"].equals(base["transaction_id"])
    expected = np.maximum(np.round(base["amount"] * scale, 2), 0.01)
    np.testing.assert_allclose(scaled["amount"], expected, rtol=1e-9)
    assert scaled["amount"].min() >= 0.01
    loans, base_loans = _read(banks[name], "loans"), _read(banks["default"], "loans")
    np.testing.assert_allclose(loans["amount"], np.round(base_loans["amount"] * scale, 2))
    income = _read(banks[name], "customers")["annual_income"]
    base_income = _read(banks["default"], "customers")["annual_income"]
    np.testing.assert_allclose(
        income, np.maximum(np.round(base_income * scale, 2), 0.01), equal_nan=True
    )


def test_hourly_timestamps_fall_on_the_hour_and_keep_their_order(
    banks: dict[str, Path],
) -> None:
    hourly = _read(banks["hourly"], "transactions")
    base = _read(banks["default"], "transactions")
    stamps = pd.to_datetime(hourly["timestamp"])
    assert (stamps.dt.minute == 0).all() and (stamps.dt.second == 0).all()
    assert stamps.is_monotonic_increasing
    assert (stamps == pd.to_datetime(base["timestamp"]).dt.floor("h")).all()
    changes = pd.to_datetime(_read(banks["hourly"], "account_changes")["timestamp"])
    assert (changes.dt.minute == 0).all() and (changes.dt.second == 0).all()


def _median_span_days(folder: Path, typologies: tuple[str, ...]) -> float:
    spans = []
    for typology in typologies:
        planted = _planted(folder, typology)
        span = planted.groupby("group_id")["timestamp"].agg(lambda t: t.max() - t.min())
        spans.extend(span.dt.total_seconds() / 86_400)
    return float(np.median(spans))


def test_slow_typologies_last_about_four_times_longer(banks: dict[str, Path]) -> None:
    shapes = ("cycle", "fan_in", "fan_out", "bipartite", "stack", "scatter_gather", "random")
    default = _median_span_days(banks["default"], shapes)
    slow = _median_span_days(banks["slow_typologies"], shapes)
    assert 2.5 * default < slow < 6 * default


def test_accounts_only_has_no_identifiers_and_no_attributes(banks: dict[str, Path]) -> None:
    folder = banks["accounts_only"]
    identifiers = _read(folder, "identifiers")
    assert len(identifiers) == 0
    assert list(identifiers.columns) == ["customer_id", "kind", "value", "first_seen"]
    customers = _read(folder, "customers")
    assert customers[list(ATTRIBUTE_COLUMNS)].isna().all().all()
    for required in ("segment", "country", "kyc_status", "onboarding_date", "name"):
        assert customers[required].notna().all()
    # The money is the default bank's.
    assert _read(folder, "transactions").equals(_read(banks["default"], "transactions"))


def test_background_traffic_is_denser_and_sparser(banks: dict[str, Path]) -> None:
    def everyday(name: str) -> int:
        kinds = _read(banks[name], "transactions")["transaction_type"]
        return int(kinds.isin(["bill", "card_purchase", "cash_withdrawal"]).sum())

    base = everyday("default")
    assert 2.6 * base < everyday("dense_background") < 3.4 * base
    assert 0.25 * base < everyday("sparse_background") < 0.42 * base


def test_wide_typologies_plant_long_decaying_cycles_and_month_long_fans(
    banks: dict[str, Path], tmp_path: Path
) -> None:
    # More customers than the module's bank, for several cycles.
    generate_dataset(4_000, SEED, tmp_path, profile="wide_typologies", watchlists=False)
    truth = pd.read_csv(tmp_path / "truth" / "ground_truth.csv")
    sizes = truth[truth["typology"] == "cycle"].groupby("group_id").size()
    assert sizes.between(3, 10).all() and sizes.max() > 8
    cycles = _planted(tmp_path, "cycle").sort_values(["group_id", "timestamp"])
    for _, hops in cycles.groupby("group_id"):
        gaps = hops["timestamp"].diff().dropna().dt.total_seconds() / 3_600
        assert gaps.between(12, 7 * 24).all()
        kept = (hops["amount"].to_numpy()[1:] / hops["amount"].to_numpy()[:-1]).round(3)
        assert ((kept >= 0.879) & (kept <= 0.981)).all()  # 2-12% kept a hop, same each hop
    fans = pd.concat([_planted(tmp_path, "fan_in"), _planted(tmp_path, "fan_out")])
    spans = fans.groupby("group_id")["timestamp"].agg(lambda t: t.max() - t.min())
    assert spans.max() > pd.Timedelta(days=14)
    assert spans.max() <= pd.Timedelta(days=30)


@pytest.mark.parametrize("name, share", [("known_10", 0.1), ("known_30", 0.3), ("known_60", 0.6)])
def test_the_known_share_is_near_the_target(
    banks: dict[str, Path], name: str, share: float
) -> None:
    customers = _read(banks[name], "customers").set_index("customer_id")
    truth = pd.read_csv(banks[name] / "truth" / "ground_truth.csv").set_index("customer_id")
    risky = truth.index[truth["risky"] == 1]
    known = customers["known_risk_label"].notna()
    assert known[~known.index.isin(risky)].sum() == 0  # only risky customers are told
    assert abs(known.reindex(risky).mean() - share) <= 0.05
