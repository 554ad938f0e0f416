"""Tests of the generator's typology registry: every typology the truth can name is planted.

The registry ties each typology's plan, roles, planter and known label together; these tests
fail if a planter is dropped, a typology loses its entry, or an entry disagrees with the
public lists that detectors and benchmarks read.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from graphrisk.domain import RISK_LABELS
from graphrisk.ingestion.generator import (
    AML_PATTERNS,
    HIGH_RISK_COUNTRIES,
    HIGH_RISK_INDUSTRIES,
    LOOKALIKE_TYPOLOGIES,
    MIN_CUSTOMERS,
    NORMAL_TYPOLOGY,
    REPORTING_THRESHOLD,
    RISKY_TYPOLOGIES,
    TYPOLOGIES,
    generate_dataset,
)
from graphrisk.policy import (
    DEFAULT_HIGH_RISK_COUNTRIES,
    DEFAULT_HIGH_RISK_INDUSTRIES,
    DEFAULT_REPORTING_THRESHOLD,
)


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("registry")
    generate_dataset(MIN_CUSTOMERS, 3, folder)
    return folder


@pytest.fixture(scope="module")
def truth(out: Path) -> dict[str, pd.DataFrame]:
    return {
        name: _read(out / "truth" / f"{name}.csv")
        for name in ("ground_truth", "typology_transactions")
    }


def test_registry_names_exactly_the_typologies_the_truth_can_contain() -> None:
    names = [t.name for t in TYPOLOGIES]
    assert len(names) == len(set(names)), "a typology is registered twice"
    assert set(names) == set(RISKY_TYPOLOGIES) | set(LOOKALIKE_TYPOLOGIES)
    assert NORMAL_TYPOLOGY not in names
    assert set(AML_PATTERNS) <= set(RISKY_TYPOLOGIES)
    for entry in TYPOLOGIES:
        assert entry.risky == (entry.name in RISKY_TYPOLOGIES), entry.name


def test_every_registered_typology_is_planted_with_its_own_transactions(
    truth: dict[str, pd.DataFrame],
) -> None:
    registered = {t.name for t in TYPOLOGIES}
    in_truth = set(truth["ground_truth"]["typology"]) - {NORMAL_TYPOLOGY}
    assert in_truth == registered
    # A planter that were dropped or did nothing would leave its groups without transactions.
    planted = truth["typology_transactions"].groupby("typology")["group_id"].nunique()
    groups = (
        truth["ground_truth"].query("typology != @NORMAL_TYPOLOGY").groupby("typology")["group_id"]
    )
    assert set(planted.index) == registered
    assert (planted == groups.nunique().reindex(planted.index)).all()


def test_roles_cover_every_member_of_every_group_size() -> None:
    for entry in TYPOLOGIES:
        head = 1 if entry.business_heads else 0
        for k in range(entry.sizes[0] + head, entry.sizes[1] + head + 1):
            roles = entry.roles(k)
            assert len(roles) == k and all(roles), (entry.name, k)


def test_known_labels_are_risk_labels_and_only_the_risky_get_one() -> None:
    rng = np.random.default_rng(0)
    for entry in TYPOLOGIES:
        if not entry.risky:
            assert entry.known is None, entry.name
            continue
        assert entry.known is not None, entry.name
        assert entry.known.label in RISK_LABELS and entry.known.sources
        if entry.known.refine is not None:
            for role in set(entry.roles(entry.sizes[1])):
                assert entry.known.refine(rng, role, entry.known.label) in RISK_LABELS


def test_high_risk_lists_and_threshold_come_from_the_policy() -> None:
    assert HIGH_RISK_INDUSTRIES is DEFAULT_HIGH_RISK_INDUSTRIES
    assert HIGH_RISK_COUNTRIES is DEFAULT_HIGH_RISK_COUNTRIES
    assert REPORTING_THRESHOLD == DEFAULT_REPORTING_THRESHOLD


def test_generated_profiles_use_the_policy_lists(out: Path, truth: dict[str, pd.DataFrame]) -> None:
    customers = _read(out / "customers.csv")
    profiles = customers[truth["ground_truth"]["typology"].eq("high_risk_profile").to_numpy()]
    flagged = profiles["industry"].isin(DEFAULT_HIGH_RISK_INDUSTRIES) | profiles["country"].isin(
        DEFAULT_HIGH_RISK_COUNTRIES
    )
    assert len(profiles) > 0 and flagged.all()
