"""Keyed look-ups a small incremental batch uses instead of reading every id, on every store;
and a batch loaded with targeted reference checks loads and rejects exactly what a full
check would."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from graphrisk.ingestion.loader import ingest_directory
from graphrisk.store.base import GraphStore


def test_existing_among_and_has_rows(store: GraphStore, tiny_dir: Path) -> None:
    assert not store.has_rows("customers")
    assert store.existing_among("customers", ["C1"]) == set()
    ingest_directory(store, tiny_dir)
    assert store.has_rows("customers") and store.has_rows("transactions")
    assert store.existing_among("customers", ["C1", "C2", "NOPE", ""]) == {"C1", "C2"}
    assert store.existing_among("transactions", ["T1", "T2", "T999"]) == {"T1", "T2"}
    assert store.existing_among("accounts", []) == set()
    assert store.existing_among("customers", ["C1"]) <= store.existing_ids("customers")
    with pytest.raises(ValueError, match="composite key"):
        store.existing_among("account_holders", ["x"])


@pytest.mark.parametrize("targeted", [False, True])
def test_targeted_reference_checks_match_full_ones(store: GraphStore, tiny_dir: Path,
                                                   tmp_path: Path, targeted: bool) -> None:
    ingest_directory(store, tiny_dir)
    batch = tmp_path / "batch"
    batch.mkdir()
    shutil.copy(tiny_dir / "disputes.csv", batch / "disputes.csv")
    with (batch / "disputes.csv").open("a", encoding="utf-8") as out:
        out.write("D900,C1,A1,T1,chargeback,10,open,2024-03-01,\n")       # all references exist
        out.write("D901,C1,A1,T_NOPE,chargeback,10,open,2024-03-01,\n")   # no such transaction
        out.write("D902,NOPE,,,chargeback,10,open,2024-03-01,\n")         # no such customer
    report = ingest_directory(store, batch, targeted_references=targeted, keep_accepted=True)
    assert report.rows_rejected == 2
    assert set(report.accepted["disputes"]["dispute_id"]) >= {"D900"}
    assert {p.row for p in report.errors} == {len(report.accepted["disputes"]) + 2,
                                              len(report.accepted["disputes"]) + 3}
