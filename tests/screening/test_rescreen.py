"""A customer whose name, birth year or country changes in an incremental batch is screened
again against the loaded lists: a rename onto a list raises a hit and an alert the day it
arrives, a changed birth year or country re-scores the hit, a rename away clears it, and a
batch that re-sends the same row changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from graphrisk.config import Settings, StoreKind
from graphrisk.ingestion.generator import generate_dataset
from graphrisk.monitoring.service import IncrementalIngest
from graphrisk.policy import load_policy
from graphrisk.screening.service import HIT_STATUSES, ScreeningHit
from graphrisk.service import RiskService
from tests.stores import STORE_PARAMS, open_test_store

LISTED = "Oksana Varga-Teller"


@dataclass
class Bank:
    service: RiskService
    customers: pd.DataFrame
    root: Path


@pytest.fixture(scope="module", params=STORE_PARAMS)
def bank(request: pytest.FixtureRequest,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bank]:
    kind: StoreKind = request.param
    root = tmp_path_factory.mktemp(f"rescreen-{kind.value}")
    generate_dataset(500, 17, root / "base")
    home = root / "home"
    service = RiskService(Settings(home=home, store=kind), open_test_store(kind, home),
                          load_policy())
    service.ingest_folder(root / "base")
    service.score()  # monitoring re-scores against a stored run
    (root / "list.csv").write_text(
        "entry_id,name,aliases,birth_date,country,programme,list_name\n"
        f"R1,{LISTED},,1977,HU,TEST,renames\n", encoding="utf-8")
    service.screening.load_list(root / "list.csv", "renames", actor="ana")
    yield Bank(service, pd.read_csv(root / "base" / "customers.csv"), root)
    service.close()


def _send(bank: Bank, name: str, row: pd.Series) -> IncrementalIngest:
    """An incremental batch holding one customers row."""
    folder = bank.root / name
    folder.mkdir()
    pd.DataFrame([row]).to_csv(folder / "customers.csv", index=False)
    done = bank.service.monitoring.ingest_incremental(folder)
    assert done.report.exit_code() == 0
    return done


def _hits_of(bank: Bank, customer_id: str) -> list[ScreeningHit]:
    return bank.service.screening.hits(status=list(HIT_STATUSES), subject=customer_id)


def test_a_customer_renamed_onto_a_list_is_screened_again(bank: Bank) -> None:
    people = bank.customers[bank.customers["birth_year"].notna()
                            & bank.customers["known_risk_label"].isna()]
    original = people.iloc[0].copy()
    customer_id = str(original["customer_id"])
    assert _hits_of(bank, customer_id) == []  # an existing customer, on no list yet

    renamed = original.copy()
    renamed["name"], renamed["birth_year"], renamed["country"] = "Oksana Varga Teller", \
        1977, "HU"
    done = _send(bank, "rename-onto", renamed)
    assert done.screening is not None and done.screening.records_screened == 1
    (hit,) = _hits_of(bank, customer_id)
    assert (hit.entry_id, hit.status, hit.record_name) == ("R1", "open",
                                                          "Oksana Varga Teller")
    assert any("birth year 1977" in agreed for agreed in hit.agreed)
    assert any("country HU" in agreed for agreed in hit.agreed)
    (alert,) = done.screening.alerts
    assert (alert.rule, alert.customer_id) == ("list_match", customer_id)

    # the same row again: screened, nothing changes, no second alert
    again = _send(bank, "rename-again", renamed)
    assert again.screening is not None
    assert (again.screening.new, again.screening.updated, again.screening.cleared) == (0, 0, 0)
    assert again.screening.alerts == []

    # only the birth year and the country change: the hit is screened again and re-scored
    # (or cleared, if the contradiction takes it under the threshold)
    moved = renamed.copy()
    moved["birth_year"], moved["country"] = 1950, "BR"
    changed = _send(bank, "born-elsewhere", moved)
    assert changed.screening is not None
    assert changed.screening.updated + changed.screening.cleared == 1
    (after,) = _hits_of(bank, customer_id)
    assert after.status == "cleared" or after.score < hit.score
    assert after.version > hit.version

    # renamed back: no longer matches, the hit is cleared
    back = _send(bank, "rename-back", original)
    assert back.screening is not None and back.screening.records_screened == 1
    (cleared,) = _hits_of(bank, customer_id)
    assert cleared.status == "cleared"
    assert cleared.history[-1]["action"] == "cleared"
