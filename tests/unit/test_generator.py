"""Tests of the synthetic generator: format, planted typologies, truth, determinism.

The generator is the yardstick every detector is measured against, so these tests check that
the files follow :mod:`graphrisk.domain` exactly and that the hidden truth really describes
the data (a ring really shares identifiers, a cycle really is a cycle).
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from graphrisk.domain import ENTITY_BY_NAME
from graphrisk.ingestion.generator import (
    AML_PATTERNS,
    GENERATED_ENTITIES,
    LOOKALIKE_TYPOLOGIES,
    MIN_CUSTOMERS,
    REPORTING_THRESHOLD,
    RISKY_TYPOLOGIES,
    GenerationSummary,
    generate_dataset,
)
from graphrisk.ingestion.generator.columns import generated_columns
from graphrisk.normalise import normalise_identifiers

N = 2_000
SEED = 11
_ID = re.compile(r"[A-Za-z0-9_.:@-]{1,64}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")


def _read(folder: Path, name: str) -> pd.DataFrame:
    """A generated CSV as strings, empty cells as empty strings."""
    return pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GenerationSummary]:
    folder = tmp_path_factory.mktemp("gen")
    calls: list[tuple[str, float]] = []
    summary = generate_dataset(N, SEED, folder, progress=lambda s, f: calls.append((s, f)))
    (folder / "progress.txt").write_text("\n".join(f"{s}\t{f}" for s, f in calls))
    return folder, summary


@pytest.fixture(scope="module")
def out(run: tuple[Path, GenerationSummary]) -> Path:
    return run[0]


@pytest.fixture(scope="module")
def frames(out: Path) -> dict[str, pd.DataFrame]:
    data = {spec.name: _read(out, spec.name) for spec in GENERATED_ENTITIES}
    data["truth"] = _read(out / "truth", "ground_truth")
    data["planted"] = _read(out / "truth", "typology_transactions")
    return data


def _planted(frames: dict[str, pd.DataFrame], typology: str) -> pd.DataFrame:
    """Planted transactions of one typology, joined to the transactions."""
    planted = frames["planted"][frames["planted"].typology == typology]
    return planted.merge(frames["transactions"], on="transaction_id", validate="one_to_one")


def test_every_file_has_exactly_the_spec_columns_in_order(out: Path) -> None:
    for spec in GENERATED_ENTITIES:
        with (out / f"{spec.name}.csv").open(newline="", encoding="utf-8") as handle:
            header = next(csv.reader(handle))
        assert header == generated_columns(spec.name), spec.name
    assert _read(out / "truth", "ground_truth").columns.tolist() == [
        "customer_id",
        "risky",
        "typology",
        "group_id",
        "role",
    ]
    assert _read(out / "truth", "typology_transactions").columns.tolist() == [
        "transaction_id",
        "group_id",
        "typology",
    ]
    assert (out / "truth" / "README.md").read_text().strip()


def test_values_follow_each_column_kind(frames: dict[str, pd.DataFrame]) -> None:
    for spec in GENERATED_ENTITIES:
        frame = frames[spec.name]
        assert len(frame) > 0, spec.name
        for column in spec.columns:
            if column.name not in generated_columns(spec.name):
                continue
            values = frame[column.name]
            present = values[values != ""]
            where = f"{spec.name}.{column.name}"
            if column.required:
                assert len(present) == len(values), f"{where} has empty required cells"
            if column.kind == "id":
                assert present.map(_ID.fullmatch).notna().all(), where
            elif column.kind == "enum":
                assert set(present) <= set(column.choices), where
            elif column.kind == "date":
                assert present.map(_DATE.fullmatch).notna().all(), where
            elif column.kind == "datetime":
                assert present.map(_DATETIME.fullmatch).notna().all(), where
            elif column.kind in ("currency", "country"):
                width = 3 if column.kind == "currency" else 2
                assert present.str.fullmatch(f"[A-Z]{{{width}}}").all(), where
            elif column.kind in ("int", "float"):
                numbers = present.astype(float)
                if column.kind == "int":
                    assert (numbers == numbers.round()).all(), where
                if column.minimum is not None:
                    assert (numbers >= column.minimum).all(), where
                if column.maximum is not None:
                    assert (numbers <= column.maximum).all(), where
        for key_column in spec.key:
            assert key_column in frame.columns
        assert not frame.duplicated(list(spec.key)).any(), f"{spec.name} has duplicate keys"


def test_every_reference_names_an_existing_row(frames: dict[str, pd.DataFrame]) -> None:
    keys = {
        spec.name: set(frames[spec.name][spec.key[0]])
        for spec in GENERATED_ENTITIES if len(spec.key) == 1
    }
    for spec in GENERATED_ENTITIES:
        for column in spec.columns:
            if column.references and column.name in generated_columns(spec.name):
                values = frames[spec.name][column.name]
                missing = set(values[values != ""]) - keys[column.references]
                assert not missing, f"{spec.name}.{column.name} -> {sorted(missing)[:3]}"
    assert set(frames["truth"].customer_id) == keys["customers"]
    assert set(frames["planted"].transaction_id) <= keys["transactions"]


def test_each_transaction_has_one_source_one_target_and_an_own_account(
    frames: dict[str, pd.DataFrame],
) -> None:
    tx = frames["transactions"]
    sources = (tx.from_account_id != "").astype(int) + (tx.from_counterparty_id != "")
    targets = (tx.to_account_id != "").astype(int) + (tx.to_counterparty_id != "")
    assert (sources == 1).all() and (targets == 1).all()
    assert ((tx.from_account_id != "") | (tx.to_account_id != "")).all()
    assert 6 * N <= len(tx) <= 16 * N  # about ten per customer


def test_every_typology_is_planted_and_risky_matches_it(
    run: tuple[Path, GenerationSummary],
    frames: dict[str, pd.DataFrame],
) -> None:
    truth = frames["truth"]
    present = set(truth.typology)
    assert set(RISKY_TYPOLOGIES) | set(LOOKALIKE_TYPOLOGIES) | {"normal"} == present
    assert len(AML_PATTERNS) == 8
    risky = truth.risky.astype(int) == 1
    assert (risky == truth.typology.isin(RISKY_TYPOLOGIES)).all()
    assert (truth.group_id == "").eq(truth.typology == "normal").all()
    assert 0.02 <= risky.mean() <= 0.08
    summary = run[1]
    assert summary.n_risky == risky.sum()
    assert summary.rows["transactions"] == len(frames["transactions"])
    for typology in (*RISKY_TYPOLOGIES, *LOOKALIKE_TYPOLOGIES):
        assert typology in set(frames["planted"].typology), typology
        assert summary.typology_customers[typology] == (truth.typology == typology).sum()


def test_identity_ring_members_share_a_normalised_identifier(
    frames: dict[str, pd.DataFrame],
) -> None:
    ids = frames["identifiers"].copy()
    ids["norm"] = normalise_identifiers(ids.kind, ids.value).to_numpy()
    truth = frames["truth"]
    rings = truth[truth.typology == "identity_ring"].groupby("group_id").customer_id.apply(set)
    assert len(rings) >= 1
    rewritten = 0
    for members in rings:
        assert 3 <= len(members) <= 8
        mine = ids[ids.customer_id.isin(members)]
        holders = mine.groupby(["kind", "norm"]).customer_id.nunique()
        assert (holders == len(members)).any(), f"ring {members} shares nothing"
        shared = mine.set_index(["kind", "norm"]).loc[holders[holders == len(members)].index]
        rewritten += shared.value.nunique() > len(holders[holders == len(members)])
    assert rewritten > 0, "shared identifiers are never written two ways"


def test_normal_customers_do_not_share_identifiers_by_accident(
    frames: dict[str, pd.DataFrame],
) -> None:
    ids = frames["identifiers"].copy()
    ids["norm"] = normalise_identifiers(ids.kind, ids.value).to_numpy()
    assert (ids.norm != "").all()
    normal = set(frames["truth"].query("typology == 'normal'").customer_id)
    mine = ids[ids.customer_id.isin(normal)]
    assert not mine.duplicated(["kind", "norm"]).any()


def test_cycle_transactions_form_one_directed_cycle(frames: dict[str, pd.DataFrame]) -> None:
    planted = _planted(frames, "cycle")
    owners = frames["accounts"].set_index("account_id").customer_id
    truth = frames["truth"].set_index("customer_id")
    for group_id, edges in planted.groupby("group_id"):
        successor = dict(zip(edges.from_account_id, edges.to_account_id, strict=True))
        assert len(successor) == len(edges), "an account sends twice in one cycle"
        start = edges.from_account_id.iloc[0]
        node, seen = start, []
        while node not in seen:
            seen.append(node)
            node = successor[node]
        assert node == start and set(seen) == set(successor) == set(edges.to_account_id)
        assert (truth.loc[owners[seen], "group_id"] == group_id).all()
        ordered = edges.sort_values("timestamp")
        amounts = ordered.amount.astype(float).to_numpy()
        assert (np.diff(amounts) < 0).all(), "amounts shrink along the cycle"


def test_fan_patterns_have_one_hub(frames: dict[str, pd.DataFrame]) -> None:
    for typology, hub_side in (("fan_in", "to_account_id"), ("fan_out", "from_account_id")):
        for _, edges in _planted(frames, typology).groupby("group_id"):
            assert edges[hub_side].nunique() == 1, typology
            other = "from_account_id" if hub_side == "to_account_id" else "to_account_id"
            assert edges[other].nunique() >= 4, typology


def test_structuring_stays_just_under_the_threshold(frames: dict[str, pd.DataFrame]) -> None:
    planted = _planted(frames, "structuring")
    amounts = planted.amount.astype(float)
    assert ((amounts >= 0.9 * REPORTING_THRESHOLD) & (amounts < REPORTING_THRESHOLD)).all()
    assert (planted.transaction_type == "cash_deposit").sum() >= 6


def test_takeover_victims_have_a_burst_of_changes_then_outflows(
    frames: dict[str, pd.DataFrame],
) -> None:
    truth = frames["truth"]
    victims = truth[(truth.typology == "account_takeover") & (truth.role == "compromised")]
    accounts = frames["accounts"]
    changes = frames["account_changes"].merge(accounts[["account_id", "customer_id"]])
    tx = frames["transactions"]
    assert len(victims) >= 1
    for customer in victims.customer_id:
        mine = changes[changes.customer_id == customer]
        times = pd.to_datetime(mine.timestamp)
        assert len(mine) >= 4 and "password_reset" in set(mine.change_kind)
        burst_end = times.max()
        own = set(accounts[accounts.customer_id == customer].account_id)
        out = tx[
            tx.from_account_id.isin(own)
            & (pd.to_datetime(tx.timestamp) > burst_end)
            & (pd.to_datetime(tx.timestamp) < burst_end + pd.Timedelta(days=3))
        ]
        assert (out.transaction_type == "transfer").any()


def test_dispute_clusters_raise_many_disputes(frames: dict[str, pd.DataFrame]) -> None:
    truth = frames["truth"]
    disputes = Counter(frames["disputes"].customer_id)
    cluster = truth[truth.typology == "dispute_cluster"].customer_id
    normal = truth[truth.typology == "normal"].customer_id
    cluster_rate = np.mean([disputes[c] for c in cluster])
    normal_rate = np.mean([disputes[c] for c in normal])
    assert cluster_rate > 20 * normal_rate


def test_known_labels_cover_a_fraction_of_the_risky_only(
    run: tuple[Path, GenerationSummary],
    frames: dict[str, pd.DataFrame],
) -> None:
    customers = frames["customers"].merge(frames["truth"], on="customer_id")
    known = customers.known_risk_label != ""
    assert (known == (customers.known_risk_source != "")).all()
    assert (customers.risky[known] == "1").all(), "a benign customer carries a label"
    risky = customers[customers.risky == "1"]
    share = (risky.known_risk_label != "").mean()
    assert 0.15 <= share <= 0.6
    by_group = risky.groupby("group_id").known_risk_label.apply(lambda s: (s != "").sum())
    assert (by_group == 0).any(), "every risky group has a known member"
    assert run[1].n_known == known.sum()


def test_progress_is_reported_up_to_done(out: Path) -> None:
    lines = [line.split("\t") for line in (out / "progress.txt").read_text().splitlines()]
    fractions = [float(f) for _, f in lines]
    assert len(lines) >= 5
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_same_seed_gives_identical_bytes_and_another_seed_differs(
    out: Path,
    tmp_path: Path,
) -> None:
    again = tmp_path / "again"
    other = tmp_path / "other"
    generate_dataset(N, SEED, again)
    generate_dataset(N, SEED + 1, other)
    names = [f"{spec.name}.csv" for spec in GENERATED_ENTITIES]
    names += ["truth/ground_truth.csv", "truth/typology_transactions.csv"]
    for name in names:
        assert (out / name).read_bytes() == (again / name).read_bytes(), name
    assert (out / "transactions.csv").read_bytes() != (other / "transactions.csv").read_bytes()
    assert (out / "truth/ground_truth.csv").read_bytes() != (
        other / "truth/ground_truth.csv"
    ).read_bytes()


def test_parquet_output_holds_the_same_data(
    frames: dict[str, pd.DataFrame], tmp_path: Path
) -> None:
    summary = generate_dataset(N, SEED, tmp_path, file_format="parquet")
    for spec in GENERATED_ENTITIES:
        table = pq.read_table(tmp_path / f"{spec.name}.parquet")
        assert table.column_names == generated_columns(spec.name), spec.name
        assert table.num_rows == len(frames[spec.name]) == summary.rows[spec.name]
    tx = pq.read_table(tmp_path / "transactions.parquet").to_pandas()
    assert tx.transaction_id.tolist() == frames["transactions"].transaction_id.tolist()
    assert np.allclose(tx.amount, frames["transactions"].amount.astype(float))
    assert (tmp_path / "truth" / "ground_truth.csv").exists()


def test_output_passes_the_ingestion_validator(out: Path) -> None:
    from graphrisk.ingestion.reader import read_entity_file
    from graphrisk.ingestion.validation import ReferenceIndex, validate_table

    refs = ReferenceIndex()
    for spec in GENERATED_ENTITIES:
        validated = validate_table(read_entity_file(out / f"{spec.name}.csv", spec), refs)
        errors = [p for p in validated.problems if p.severity == "error"]
        assert not errors, f"{spec.name}: {errors[:3]}"
        if len(spec.key) == 1:
            refs.add(spec.name, validated.valid[spec.key[0]].tolist())


def test_rejects_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least"):
        generate_dataset(MIN_CUSTOMERS - 1, 1, tmp_path)
    with pytest.raises(ValueError, match="file_format"):
        generate_dataset(N, 1, tmp_path, file_format="json")  # type: ignore[arg-type]
    assert ENTITY_BY_NAME["transactions"].column_names[0] == "transaction_id"
