"""The Berka adapter against the real PKDD'99 data set.

Why: Berka is data the team did not design. These tests check the converted files against the
counts documented in ``shared/datasets/berka_pkdd99/README.md`` and against the input format in
:mod:`graphrisk.domain`, so a mapping slip (a lost row, a dangling reference, a column out of
order) shows here before it reaches a store. Tests that need the data skip where it is absent.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from graphrisk.domain import (
    ACCOUNT_HOLDERS,
    ACCOUNTS,
    COUNTERPARTIES,
    CUSTOMERS,
    LOANS,
    TRANSACTIONS,
    EntitySpec,
)
from graphrisk.errors import IngestionError
from graphrisk.ingestion.berka import (
    DATASETS_ENV,
    BerkaSummary,
    convert_berka,
    default_berka_dir,
    find_berka_dir,
)

pytestmark = pytest.mark.dataset

SPECS = (CUSTOMERS, ACCOUNTS, ACCOUNT_HOLDERS, COUNTERPARTIES, TRANSACTIONS, LOANS)
VALUE_PATTERNS = {
    "id": r"[A-Za-z0-9_.:@-]{1,64}",
    "date": r"\d{4}-\d{2}-\d{2}",
    "datetime": r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}",
    "currency": r"CZK",
    "country": r"CZ",
}

# Facts from shared/datasets/berka_pkdd99/README.md.
CLIENTS = 5_369
ACCOUNT_ROWS = 4_500
DISPONENTS = 869
LOAN_ROWS = 682
BAD_LOANS = 76
TRANS_ROWS = 46_997
ORDER_ROWS = 6_471


@pytest.fixture(scope="module")
def berka_dir() -> Path:
    """The real data set, or a skip that says where it was looked for."""
    found = find_berka_dir()
    if found is None:
        pytest.skip(
            f"Berka data set not found at {default_berka_dir()}: set {DATASETS_ENV} to the "
            "folder holding berka_pkdd99/ (see shared/datasets/README.md)"
        )
    return found


@pytest.fixture(scope="module")
def converted(
    berka_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, BerkaSummary]:
    """Convert once per module; every test reads the same output."""
    out_dir = tmp_path_factory.mktemp("berka_out")
    return out_dir, convert_berka(berka_dir, out_dir)


@pytest.fixture(scope="module")
def frames(converted: tuple[Path, BerkaSummary]) -> dict[str, pd.DataFrame]:
    """Every written file as text, empty cells as ``""``."""
    out_dir, _ = converted
    return {
        spec.name: pd.read_csv(out_dir / f"{spec.name}.csv", dtype=str, keep_default_na=False)
        for spec in SPECS
    }


def _filled(values: pd.Series) -> pd.Series:
    return values != ""


# --- the files -------------------------------------------------------------------------------


def test_writes_only_the_six_entity_files(converted: tuple[Path, BerkaSummary]) -> None:
    out_dir, _ = converted
    assert sorted(p.name for p in out_dir.iterdir()) == sorted(f"{s.name}.csv" for s in SPECS)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_columns_are_the_spec_columns_in_order(
    converted: tuple[Path, BerkaSummary], spec: EntitySpec
) -> None:
    out_dir, _ = converted
    with (out_dir / f"{spec.name}.csv").open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    assert header == spec.column_names


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_values_follow_the_format(frames: dict[str, pd.DataFrame], spec: EntitySpec) -> None:
    frame = frames[spec.name]
    for column in spec.columns:
        values = frame[column.name]
        filled = values[_filled(values)]
        if column.required:
            assert len(filled) == len(values), f"{spec.name}.{column.name} has empty values"
        if column.kind in VALUE_PATTERNS:
            bad = filled[~filled.str.fullmatch(VALUE_PATTERNS[column.kind])]
            assert bad.empty, f"{spec.name}.{column.name}: {bad.head().tolist()}"
        if column.kind == "enum":
            bad = filled[~filled.str.lower().isin(column.choices)]
            assert bad.empty, f"{spec.name}.{column.name}: {bad.unique()[:5].tolist()}"
        if column.kind in ("int", "float"):
            numbers = pd.to_numeric(filled)
            if column.minimum is not None:
                assert (numbers >= column.minimum).all(), f"{spec.name}.{column.name} too small"
            if column.maximum is not None:
                assert (numbers <= column.maximum).all(), f"{spec.name}.{column.name} too large"


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_keys_are_unique(frames: dict[str, pd.DataFrame], spec: EntitySpec) -> None:
    assert not frames[spec.name].duplicated(list(spec.key)).any()


# --- counts from the data set's README -------------------------------------------------------


def test_row_counts_match_the_readme(
    converted: tuple[Path, BerkaSummary], frames: dict[str, pd.DataFrame]
) -> None:
    _, summary = converted
    expected = {
        "customers": CLIENTS,
        "accounts": ACCOUNT_ROWS,
        "account_holders": DISPONENTS,
        "transactions": TRANS_ROWS + ORDER_ROWS,
        "loans": LOAN_ROWS,
    }
    assert {name: len(frames[name]) for name in expected} == expected
    assert {name: summary.rows[name] for name in expected} == expected
    assert summary.rows["counterparties"] == len(frames["counterparties"])


def test_transactions_split_into_booked_and_standing_orders(
    frames: dict[str, pd.DataFrame],
) -> None:
    ids = frames["transactions"]["transaction_id"]
    assert ids.str.startswith("T").sum() == TRANS_ROWS
    orders = frames["transactions"][ids.str.startswith("O")]
    assert len(orders) == ORDER_ROWS
    assert (orders["channel"] == "standing_order").all()
    assert (orders["timestamp"] == "1998-12-31T00:00:00").all()


def test_bad_loans_are_the_readme_label(
    converted: tuple[Path, BerkaSummary], frames: dict[str, pd.DataFrame]
) -> None:
    _, summary = converted
    statuses = frames["loans"]["status"].value_counts().to_dict()
    assert statuses == {
        "running_ok": 403,
        "finished_ok": 203,
        "running_in_debt": 45,
        "finished_unpaid": 31,
    }
    assert summary.bad_loans == BAD_LOANS


def test_credit_default_labels_the_owners_of_bad_loans(frames: dict[str, pd.DataFrame]) -> None:
    loans, accounts, customers = frames["loans"], frames["accounts"], frames["customers"]
    bad_accounts = loans.loc[
        loans["status"].isin(["finished_unpaid", "running_in_debt"]), "account_id"
    ]
    bad_owners = set(accounts.loc[accounts["account_id"].isin(bad_accounts), "customer_id"])
    labelled = customers[_filled(customers["known_risk_label"])]
    assert len(labelled) == BAD_LOANS
    assert set(labelled["known_risk_label"]) == {"credit_default"}
    assert set(labelled["customer_id"]) == bad_owners
    assert set(labelled["known_risk_source"]) == {"loan_status_B", "loan_status_D"}
    assert (labelled["known_risk_source"] == "loan_status_B").sum() == 31


def test_onboarding_is_the_first_account_opening(frames: dict[str, pd.DataFrame]) -> None:
    accounts, holders = frames["accounts"], frames["account_holders"]
    held = pd.concat(
        [accounts[["account_id", "customer_id"]], holders[["account_id", "customer_id"]]]
    )
    held = held.merge(accounts[["account_id", "opened_date"]], on="account_id")
    first = held.groupby("customer_id")["opened_date"].min()
    customers = frames["customers"].set_index("customer_id")
    assert (customers["onboarding_date"] == first.reindex(customers.index)).all()


# --- references and the shape of each movement -----------------------------------------------


def _assert_resolves(values: pd.Series, targets: pd.Series, what: str) -> None:
    missing = set(values[_filled(values)]) - set(targets)
    assert not missing, f"{what}: {len(missing)} dangling, e.g. {sorted(missing)[:5]}"


def test_every_reference_resolves(frames: dict[str, pd.DataFrame]) -> None:
    customers = frames["customers"]["customer_id"]
    accounts = frames["accounts"]["account_id"]
    counterparties = frames["counterparties"]["counterparty_id"]
    transactions = frames["transactions"]
    _assert_resolves(frames["accounts"]["customer_id"], customers, "accounts.customer_id")
    _assert_resolves(frames["account_holders"]["account_id"], accounts, "holders.account_id")
    _assert_resolves(frames["account_holders"]["customer_id"], customers, "holders.customer_id")
    _assert_resolves(frames["loans"]["account_id"], accounts, "loans.account_id")
    for side in ("from", "to"):
        _assert_resolves(transactions[f"{side}_account_id"], accounts, f"{side}_account_id")
        _assert_resolves(
            transactions[f"{side}_counterparty_id"], counterparties, f"{side}_counterparty_id"
        )


def test_every_transaction_has_one_source_one_target_and_an_account(
    frames: dict[str, pd.DataFrame],
) -> None:
    tx = frames["transactions"]
    from_account, from_party = _filled(tx["from_account_id"]), _filled(tx["from_counterparty_id"])
    to_account, to_party = _filled(tx["to_account_id"]), _filled(tx["to_counterparty_id"])
    assert (from_account ^ from_party).all()
    assert (to_account ^ to_party).all()
    assert (from_account | to_account).all()
    assert (pd.to_numeric(tx["amount"]) > 0).all()


def test_cash_interest_and_fees_use_the_stand_in_counterparties(
    frames: dict[str, pd.DataFrame],
) -> None:
    tx = frames["transactions"]
    deposits = tx[tx["transaction_type"] == "cash_deposit"]
    assert (deposits["from_counterparty_id"] == "CASH").all()
    assert (deposits["channel"] == "branch").all()
    interest = tx[tx["transaction_type"] == "interest"]
    assert (interest["from_counterparty_id"] == "BANK-INTEREST").all()
    fees = tx[tx["transaction_type"] == "fee"]
    assert (fees["to_counterparty_id"] == "BANK-FEES").all()
    wires = tx[tx["channel"] == "wire"]
    parties = wires["from_counterparty_id"] + wires["to_counterparty_id"]
    assert parties.str.startswith("EXT-").all()


# --- finding the data and failing clearly ----------------------------------------------------


def test_missing_table_is_named(tmp_path: Path) -> None:
    with pytest.raises(IngestionError, match=r"client\.asc"):
        convert_berka(tmp_path, tmp_path / "out")


def test_missing_table_is_named_when_others_exist(berka_dir: Path, tmp_path: Path) -> None:
    source = tmp_path / "berka"
    source.mkdir()
    for table in berka_dir.glob("*.asc"):
        if table.name != "loan.asc":
            (source / table.name).symlink_to(table)
    with pytest.raises(IngestionError, match=r"loan\.asc"):
        convert_berka(source, tmp_path / "out")


def test_find_berka_dir_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "berka_pkdd99").mkdir()
    monkeypatch.setenv(DATASETS_ENV, str(tmp_path))
    assert find_berka_dir() == tmp_path / "berka_pkdd99"
    monkeypatch.setenv(DATASETS_ENV, str(tmp_path / "nowhere"))
    assert find_berka_dir() is None
