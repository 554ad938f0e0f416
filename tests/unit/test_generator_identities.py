"""Planted synthetic identities: the bank's own rows unchanged, each extra record a variant
of one person's name with a year within one and something shared or near."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from graphrisk.ingestion.generator import generate_dataset
from graphrisk.ingestion.generator.identities import IDENTITY_VARIANTS, SAME_PERSON_COLUMNS
from graphrisk.ingestion.generator.outside_accounts import OUTSIDE_ACCOUNT_COLUMNS
from graphrisk.normalise import normalise_identifiers


@pytest.fixture(scope="module")
def banks(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("identities")
    generate_dataset(1000, 13, root / "with", watchlists=False, synthetic_identities=True)
    generate_dataset(1000, 13, root / "without", watchlists=False, synthetic_identities=False)
    return root / "with", root / "without"


def test_the_bank_stays_as_it_was_and_only_rows_are_appended(banks: tuple[Path, Path]) -> None:
    grown, plain = banks
    # Extra records of people; outside accounts (counterparties) and payments to them.
    for name in ("customers", "identifiers", "accounts", "transactions", "counterparties"):
        before = (plain / f"{name}.csv").read_text(encoding="utf-8")
        after = (grown / f"{name}.csv").read_text(encoding="utf-8")
        assert after.startswith(before) and len(after) > len(before), name
    for name in ("account_holders", "disputes", "loans"):
        assert (plain / f"{name}.csv").read_bytes() == (grown / f"{name}.csv").read_bytes()
    assert not (plain / "truth" / "same_person.csv").exists()
    truth = pd.read_csv(grown / "truth" / "ground_truth.csv")
    assert len(truth) == len(pd.read_csv(grown / "customers.csv"))


def test_each_extra_record_is_a_variant_of_one_person(banks: tuple[Path, Path]) -> None:
    grown, _ = banks
    same = pd.read_csv(grown / "truth" / "same_person.csv")
    assert tuple(same.columns) == SAME_PERSON_COLUMNS
    customers = pd.read_csv(grown / "customers.csv").set_index("customer_id")
    ids = pd.read_csv(grown / "identifiers.csv")
    ids["norm"] = normalise_identifiers(ids.kind, ids.value).to_numpy()
    accounts = pd.read_csv(grown / "accounts.csv")
    assert set(same["variant"]) - {"original"} <= set(IDENTITY_VARIANTS)
    assert len(set(same["variant"])) >= 4
    persons = same.groupby("person_id")
    assert 8 <= persons.ngroups <= 12  # about 1% of 1,000 customers
    for _, group in persons:
        original = group[group["variant"] == "original"]["customer_id"]
        assert len(original) == 1 and 2 <= len(group) <= 4
        first = customers.loc[original.iloc[0]]
        mine = ids[ids.customer_id == original.iloc[0]]
        for extra in group[group["variant"] != "original"]["customer_id"]:
            record = customers.loc[extra]
            assert record["name"] != first["name"]
            assert abs(record["birth_year"] - first["birth_year"]) <= 1
            assert record["country"] == first["country"]
            theirs = ids[ids.customer_id == extra]
            shared = set(zip(mine.kind, mine.norm, strict=True)) & set(
                zip(theirs.kind, theirs.norm, strict=True))
            street = {n.split(" ", 1)[-1] for n in mine[mine.kind == "address"].norm}
            near = any(n.split(" ", 1)[-1] in street for n in theirs[theirs.kind == "address"].norm)
            assert shared or near, extra
            assert (accounts.customer_id == extra).sum() == 1


def test_outside_accounts_are_named_like_their_customer_and_paid(
        banks: tuple[Path, Path]) -> None:
    grown, _ = banks
    truth = pd.read_csv(grown / "truth" / "outside_accounts.csv")
    assert tuple(truth.columns) == OUTSIDE_ACCOUNT_COLUMNS
    assert set(truth["role"]) == {"own", "known", "near_miss"}
    customers = pd.read_csv(grown / "customers.csv").set_index("customer_id")
    parties = pd.read_csv(grown / "counterparties.csv").set_index("counterparty_id")
    txns = pd.read_csv(grown / "transactions.csv")
    owner = pd.read_csv(grown / "accounts.csv").set_index("account_id")["customer_id"]
    for row in truth.itertuples(index=False):
        party, customer = parties.loc[row.counterparty_id], customers.loc[row.customer_id]
        family = customer["name"].split(" ", 1)[1]
        payers = set(owner.reindex(txns.loc[txns.to_counterparty_id == row.counterparty_id,
                                            "from_account_id"]))
        assert party["kind"] == "bank_account" and party["country"] == customer["country"]
        assert payers, row
        if row.role == "near_miss":
            # the family name, another given name, paid by someone else
            assert family in party["name"] and customer["name"] not in party["name"]
            assert row.customer_id not in payers
        else:
            assert row.customer_id in payers
        if row.role == "known":
            assert isinstance(customer["known_risk_label"], str) and len(payers) >= 3
