"""A generated bank with planted synthetic identities, read from its files, and its truth
as pairs of customers that are one person."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from graphrisk.ingestion.generator import generate_dataset
from graphrisk.normalise import normalise_identifiers
from graphrisk.resolution.records import person_records


@dataclass
class GeneratedBank:
    root: Path
    customers: pd.DataFrame
    identifiers: pd.DataFrame
    records: pd.DataFrame
    same_person: pd.DataFrame

    def true_pairs(self) -> set[tuple[str, str]]:
        pairs: set[tuple[str, str]] = set()
        for _, group in self.same_person.groupby("person_id"):
            pairs |= set(itertools.combinations(sorted(group["customer_id"]), 2))
        return pairs


def read_bank(root: Path) -> GeneratedBank:
    customers = pd.read_csv(root / "customers.csv")
    identifiers = pd.read_csv(root / "identifiers.csv")
    identifiers["value"] = normalise_identifiers(identifiers["kind"],
                                                 identifiers["value"]).to_numpy()
    return GeneratedBank(root, customers, identifiers, person_records(customers, identifiers),
                         pd.read_csv(root / "truth" / "same_person.csv"))


@pytest.fixture(scope="session")
def bank_2000(tmp_path_factory: pytest.TempPathFactory) -> GeneratedBank:
    root = tmp_path_factory.mktemp("resolution-2000")
    generate_dataset(2000, 7, root, watchlists=False, synthetic_identities=True)
    return read_bank(root)
