"""What a load reports about bad input: exit codes, skipped files, dropped rows, the report files.

Issue 11, items 6, 7, 9 and 13 (loader side), and formula cells in the CSV reports. Each test
builds a small input from the hand-made tiny ring (6 customers) and asserts what a user sees:
the exit code, the summary, ``quarantine.csv`` and ``rejected_<entity>.csv``.
"""

from __future__ import annotations

import stat
from pathlib import Path

import pandas as pd
import pytest

from graphrisk.domain import NodeLabel
from graphrisk.errors import NotFoundError
from graphrisk.graph import NodeRef
from graphrisk.ingestion.loader import IngestReport
from tests.helpers import load_folder, problem_lines, rewrite, run_graphrisk
from tests.stores import STORE_PARAMS, open_test_store


def _rejected(report: IngestReport, entity: str) -> pd.DataFrame:
    assert report.report_dir is not None
    return pd.read_csv(report.report_dir / f"rejected_{entity}.csv", dtype=str,
                       keep_default_na=False)


# -- item 6: a skipped file is a load problem that counts ---------------------------------------

def _missing_required_column(folder: Path) -> None:
    rewrite(folder / "loans.csv", "loan_id,account_id,amount", "loan_id,account_id,sum")


def _duplicate_header(folder: Path) -> None:
    rewrite(folder / "loans.csv", "loan_id,account_id,amount", "loan_id,account_id,account_id")


def _wrong_delimiter(folder: Path) -> None:
    path = folder / "loans.csv"
    path.write_text(path.read_text().replace(",", ";"))


def _unreadable_parquet(folder: Path) -> None:
    (folder / "loans.csv").unlink()
    (folder / "loans.parquet").write_bytes(b"PAR1 this is not a parquet file PAR1")


@pytest.mark.slow
@pytest.mark.parametrize("damage", [_missing_required_column, _duplicate_header,
                                    _wrong_delimiter, _unreadable_parquet])
def test_a_skipped_file_fails_the_ingest_and_says_why(tmp_path: Path, tiny_dir: Path,
                                                      damage) -> None:
    damage(tiny_dir)
    result = run_graphrisk(tmp_path / "home", "ingest", str(tiny_dir))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "1 file skipped" in result.stdout
    assert "skipped loans." in result.stdout


@pytest.mark.slow
def test_exit_codes_clean_quarantined_strict(tmp_path: Path, tiny_dir: Path) -> None:
    clean = run_graphrisk(tmp_path / "home", "ingest", str(tiny_dir), "--strict")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    rewrite(tiny_dir / "customers.csv", "Hamburg,600", "Hamburg,abc")
    lenient = run_graphrisk(tmp_path / "home2", "ingest", str(tiny_dir))
    assert lenient.returncode == 0, lenient.stdout + lenient.stderr
    strict = run_graphrisk(tmp_path / "home3", "ingest", str(tiny_dir), "--strict")
    assert strict.returncode == 1


def test_exit_code_is_decided_by_the_report(embedded_store, tiny_dir, tmp_path) -> None:
    assert load_folder(embedded_store, tiny_dir, tmp_path).exit_code(strict=True) == 0
    rewrite(tiny_dir / "customers.csv", "Hamburg,600", "Hamburg,abc")
    quarantined = load_folder(embedded_store, tiny_dir, tmp_path)
    assert (quarantined.exit_code(), quarantined.exit_code(strict=True)) == (0, 1)
    _missing_required_column(tiny_dir)
    skipped = load_folder(embedded_store, tiny_dir, tmp_path)
    assert skipped.exit_code() == 1
    table = next(t for t in skipped.tables if t.entity == "loans")
    assert table.skipped is not None and "missing required column(s) amount" in table.skipped
    assert table.rows_rejected == table.rows_read == 1
    assert skipped.summary()["files_skipped"] == ["loans.csv"]


# -- item 9: rows dropped while reading reach the report; their dependants say why -------------

@pytest.mark.parametrize("kind", STORE_PARAMS)
def test_a_skipped_customers_file_is_in_the_report_and_explains_its_dependants(
    kind, tiny_dir: Path, tmp_path: Path
) -> None:
    path = tiny_dir / "customers.csv"
    path.write_text(path.read_text().replace("customer_id,name,", "customer_id,full_name,", 1))
    with open_test_store(kind, tmp_path / "home") as store:
        report = load_folder(store, tiny_dir, tmp_path)
        assert store.counts()["customers"] == 0
        assert store.counts()["accounts"] == 0
    rejected = _rejected(report, "customers")
    assert rejected["customer_id"].tolist() == ["C1", "C2", "C3", "C4", "C5", "C6"]
    assert rejected["source_row"].tolist() == ["2", "3", "4", "5", "6", "7"]
    assert "full_name" not in rejected.columns  # not a column of the format
    assert ("accounts.csv, row 2, column customer_id: refers to customers id 'C1', whose own "
            "row in customers was quarantined (value 'C1')") in problem_lines(report)
    assert not any("unknown customer_id" in line for line in problem_lines(report))
    assert report.exit_code() == 1


def test_rows_with_a_wrong_field_count_or_bad_bytes_reach_the_rejected_file(
    embedded_store, tiny_dir, tmp_path
) -> None:
    rewrite(tiny_dir / "counterparties.csv", "Acme GmbH", "Acme, GmbH")
    path = tiny_dir / "customers.csv"
    latin1 = "Fr\u00e4nk Weber".encode("latin-1")
    path.write_bytes(path.read_bytes().replace(b"Frank Weber", latin1))
    report = load_folder(embedded_store, tiny_dir, tmp_path)
    counterparties = _rejected(report, "counterparties")
    assert counterparties["counterparty_id"].tolist() == ["E1"]
    assert counterparties["source_row"].tolist() == ["3"]
    customers = _rejected(report, "customers")
    assert customers["source_row"].tolist() == ["7"]
    (name,) = customers["name"].tolist()  # the bad byte shown as text, whichever way
    assert name.startswith("Fr") and name.endswith("nk Weber")
    rejected = {t.entity: t.rows_rejected for t in report.tables}
    assert rejected["counterparties"] == 1 and rejected["customers"] == 1
    # E1's own row was dropped by the reader: T1 refers to it as quarantined, not unknown.
    assert any("refers to counterparties id 'E1', whose own row in counterparties was "
               "quarantined" in line for line in problem_lines(report))


def test_quarantine_rows_are_whole_numbers_and_empty_for_file_lines(
    embedded_store, tiny_dir, tmp_path
) -> None:
    _missing_required_column(tiny_dir)
    rewrite(tiny_dir / "customers.csv", "Hamburg,600", "Hamburg,abc")
    report = load_folder(embedded_store, tiny_dir, tmp_path)
    assert report.report_dir is not None
    text = (report.report_dir / "quarantine.csv").read_text()
    assert "customers.csv,4,credit_score,abc," in text
    assert "loans.csv,,,,error,file skipped" in text
    assert ".0," not in text


# -- item 7: rejected rows hold only the format's columns; reports are private -----------------

def test_rejected_rows_hold_only_the_columns_of_the_format(embedded_store, tiny_dir,
                                                           tmp_path) -> None:
    path = tiny_dir / "customers.csv"
    lines = path.read_text().splitlines()
    lines = [lines[0] + ",ssn"] + [f"{line},123-45-678{i}" for i, line in enumerate(lines[1:])]
    path.write_text("\n".join(lines).replace("Hamburg,600", "Hamburg,abc") + "\n")
    report = load_folder(embedded_store, tiny_dir, tmp_path)
    assert ("customers.csv, row 1, column ssn: column is not part of the input format and was "
            "ignored") in problem_lines(report)
    rejected = _rejected(report, "customers")
    assert len(rejected) == 1
    assert "ssn" not in rejected.columns
    assert report.report_dir is not None
    assert "123-45-678" not in (report.report_dir / "rejected_customers.csv").read_text()


def test_report_files_and_folders_are_owner_only(embedded_store, tiny_dir, tmp_path) -> None:
    rewrite(tiny_dir / "customers.csv", "Hamburg,600", "Hamburg,abc")
    report = load_folder(embedded_store, tiny_dir, tmp_path)
    assert report.report_dir is not None
    for folder in (tmp_path / "reports", report.report_dir):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    names = {p.name for p in report.report_dir.iterdir()}
    assert {"quarantine.csv", "rejected_customers.csv", "summary.json"} <= names
    for file in report.report_dir.iterdir():
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file


# -- item 13: an input that is not a file; a duplicate whose other copy is invalid -------------

@pytest.mark.slow
@pytest.mark.parametrize("make", ["folder", "symlink loop"])
def test_a_customers_entry_that_is_not_a_file_stops_the_ingest(
    tmp_path: Path, tiny_dir: Path, make: str
) -> None:
    path = tiny_dir / "customers.csv"
    path.unlink()
    if make == "folder":
        path.mkdir()
        expected = "customers.csv is a folder"
    else:
        path.symlink_to(tiny_dir / "customers.csv")
        expected = "customers.csv is a symbolic link that cannot be followed"
    result = run_graphrisk(tmp_path / "home", "ingest", str(tiny_dir))
    assert result.returncode == 2, result.stdout + result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("kind", STORE_PARAMS)
def test_a_duplicate_id_whose_other_copy_is_invalid_loads_neither(
    kind, tiny_dir: Path, tmp_path: Path
) -> None:
    with (tiny_dir / "customers.csv").open("a") as handle:
        handle.write("C1,Alice Martin,retail,,DE,Berlin,abc,52000,verified,2021-03-04,1985,,\n")
    with open_test_store(kind, tmp_path / "home") as store:
        report = load_folder(store, tiny_dir, tmp_path)
        assert store.counts()["customers"] == 5
        with pytest.raises(NotFoundError):
            store.get_node(NodeRef(NodeLabel.CUSTOMER, "C1"))
    assert ("customers.csv, row 2, column customer_id: customer_id 'C1' appears on rows 2, 8; "
            "row 8 was quarantined; none of them was loaded: fix the source and load again"
            ) in problem_lines(report)
    assert sorted(_rejected(report, "customers")["source_row"]) == ["2", "8"]


# -- formula cells are neutralised in the CSV reports, not in the store ------------------------

@pytest.mark.parametrize("kind", STORE_PARAMS)
def test_formula_cells_are_neutralised_in_reports_only(kind, tiny_dir: Path,
                                                       tmp_path: Path) -> None:
    formula = "=HYPERLINK(\"http://x.example\",\"y\")"
    path = tiny_dir / "customers.csv"
    text = path.read_text()
    text = text.replace("C1,Alice Martin,", f'C1,"{formula.replace(chr(34), chr(34) * 2)}",', 1)
    text = text.replace("C3,Chen Wei,", "C3,@SUM(1+1),", 1).replace("Hamburg,600",
                                                                     "Hamburg,+1+cmd|' /C calc'!A0")
    path.write_text(text)
    rewrite(tiny_dir / "transactions.csv", "T3,A2,,A3,,9500.00", "T3,A2,,A3,,-5")
    with open_test_store(kind, tmp_path / "home") as store:
        report = load_folder(store, tiny_dir, tmp_path)
        assert store.get_node(NodeRef(NodeLabel.CUSTOMER, "C1")).properties["name"] == formula
    assert report.report_dir is not None
    quarantine = pd.read_csv(report.report_dir / "quarantine.csv", dtype=str,
                             keep_default_na=False)
    values = set(quarantine["value"])
    assert "'+1+cmd|' /C calc'!A0" in values
    assert "-5" in values  # a plain number is not a formula
    rejected = _rejected(report, "customers")
    assert rejected["name"].tolist() == ["'@SUM(1+1)"]
    assert rejected["credit_score"].tolist() == ["'+1+cmd|' /C calc'!A0"]


def test_a_skipped_parquet_file_keeps_its_rows_in_the_report(embedded_store, tiny_dir,
                                                              tmp_path) -> None:
    frame = pd.read_csv(tiny_dir / "loans.csv", dtype=str, keep_default_na=False)
    frame.rename(columns={"amount": "sum"}).to_parquet(tiny_dir / "loans.parquet", index=False)
    (tiny_dir / "loans.csv").unlink()
    report = load_folder(embedded_store, tiny_dir, tmp_path)
    assert report.exit_code() == 1
    rejected = _rejected(report, "loans")
    assert rejected["loan_id"].tolist() == ["L1"]
    assert rejected["source_row"].tolist() == ["1"]
    assert "sum" not in rejected.columns
