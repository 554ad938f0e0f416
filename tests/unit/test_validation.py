"""Each kind of bad input yields an exact report line, loses the bad row only, and valid
rows still load."""

from __future__ import annotations

import pandas as pd
import pytest

from graphrisk.graph import NodeRef
from tests.helpers import load_folder, problem_lines, rewrite


def test_clean_fixture_loads_without_problems(embedded_store, tiny_dir, tmp_path) -> None:
    report = load_folder(embedded_store, tiny_dir, tmp_path)
    assert report.problems == []
    assert report.rows_loaded == report.rows_read == 36
    assert embedded_store.counts()["customers"] == 6
    assert embedded_store.consistency_problems() == []


@pytest.mark.parametrize(
    ("file", "old", "new", "expected_line"),
    [
        ("customers.csv", "Hamburg,600", "Hamburg,abc",
         "customers.csv, row 4, column credit_score: not a whole number (value 'abc')"),
        ("customers.csv", "Hamburg,600", "Hamburg,900",
         "customers.csv, row 4, column credit_score: above the maximum 850 (value '900')"),
        ("customers.csv", "C3,Chen Wei,", "C3,,",
         "customers.csv, row 4, column name: required value is missing"),
        ("customers.csv", "pending,2023-01-11", "pending,2023-13-11",
         "customers.csv, row 4, column onboarding_date: not a date in YYYY-MM-DD form "
         "(value '2023-13-11')"),
        ("customers.csv", "pending,2023-01-11", "pending,2999-01-11",
         "customers.csv, row 4, column onboarding_date: date is in the future "
         "(value '2999-01-11')"),
        ("customers.csv", "C3,Chen Wei,retail", "C3,Chen Wei,wholesale",
         "customers.csv, row 4, column segment: not one of: retail, sme, corporate, "
         "private_banking (value 'wholesale')"),
        ("customers.csv", "C3,Chen Wei,retail,,DE", "C3,Chen Wei,retail,,Germany",
         "customers.csv, row 4, column country: not an ISO 3166-1 alpha-2 country code (e.g. DE) "
         "(value 'Germany')"),
        ("accounts.csv", "A3,C3,checking,EUR", "A3,C3,checking,EURO",
         "accounts.csv, row 4, column currency: not an ISO 4217 currency code (e.g. EUR) "
         "(value 'EURO')"),
        ("accounts.csv", "A3,C3,checking,EUR,2023-01-11,,active",
         "A3,C3,checking,EUR,2023-01-11,2020-01-01,active",
         "accounts.csv, row 4, column closed_date: closed_date is before opened_date "
         "(value '2020-01-01')"),
        ("accounts.csv", "A3,C3,", "A3,C99,",
         "accounts.csv, row 4, column customer_id: unknown customer_id: not in customers of this "
         "load nor in the store (value 'C99')"),
        ("accounts.csv", "A3,C3,", "A 3,C3,",
         "accounts.csv, row 4, column account_id: not a valid id: use 1-64 letters, digits or "
         ". _ : @ - (value 'A 3')"),
        ("transactions.csv", "T3,A2,,A3,,9500.00", "T3,A2,M1,A3,,9500.00",
         "transactions.csv, row 4, column from_account_id: only one of from_account_id, "
         "from_counterparty_id may be filled"),
        ("transactions.csv", "T3,A2,,A3,,9500.00", "T3,,,A3,,9500.00",
         "transactions.csv, row 4, column from_account_id: one of from_account_id, "
         "from_counterparty_id is required"),
        ("transactions.csv", "T3,A2,,A3,,9500.00", "T3,A2,,A3,,-5",
         "transactions.csv, row 4, column amount: below the minimum 0.01 (value '-5')"),
        ("transactions.csv", "T3,A2,,A3,,9500.00", "T3,A2,,A3,,\"9,500.00\"",
         "transactions.csv, row 4, column amount: not a number (use . for decimals) "
         "(value '9,500.00')"),
        ("transactions.csv", "2024-02-03T10:00:00", "03/02/2024 10:00",
         "transactions.csv, row 4, column timestamp: not an ISO 8601 date-time "
         "(YYYY-MM-DDTHH:MM:SS) (value '03/02/2024 10:00')"),
        ("identifiers.csv", "C2,phone,+40 721 000 222", "C2,phone,unknown",
         "identifiers.csv, row 6, column value: identifier normalises to nothing (a phone needs "
         "digits, an IP must parse) (value 'unknown')"),
        ("disputes.csv", "D1,C3,A3,T3,", "D1,C3,A3,T99,",
         "disputes.csv, row 2, column transaction_id: unknown transaction_id: not in "
         "transactions of this load nor in the store (value 'T99')"),
    ],
)
def test_bad_value_is_reported_and_only_its_row_is_lost(
    embedded_store, tiny_dir, tmp_path, file, old, new, expected_line
) -> None:
    rewrite(tiny_dir / file, old, new)
    report = load_folder(embedded_store, tiny_dir, tmp_path)
    assert expected_line in problem_lines(report)
    table = next(t for t in report.tables if t.source == file)
    assert table.rows_rejected == 1
    assert table.rows_loaded == table.rows_read - 1
    assert embedded_store.consistency_problems() == []
    # The quarantine report holds the same line's facts, and the rejected raw row.
    quarantine = pd.read_csv(report.report_dir / "quarantine.csv", dtype=str)
    assert (quarantine["file"] == file).any()
    rejected = pd.read_csv(report.report_dir / f"rejected_{file.removesuffix('.csv')}.csv",
                           dtype=str)
    assert len(rejected) == 1


def test_rows_referring_to_a_quarantined_row_say_so(embedded_store, tiny_dir, tmp_path) -> None:
    rewrite(tiny_dir / "customers.csv", "C3,Chen Wei,retail", "C3,Chen Wei,wholesale")
    report = load_folder(embedded_store, tiny_dir, tmp_path)
    assert ("accounts.csv, row 4, column customer_id: refers to customers id 'C3', whose own "
            "row in customers was quarantined (value 'C3')") in problem_lines(report)
    # A3 is lost with C3, so are the transactions touching A3; everything else loads.
    counts = embedded_store.counts()
    assert counts["customers"] == 5
    assert counts["accounts"] == 6
    assert counts["transactions"] == 5
    assert embedded_store.consistency_problems() == []


def test_conflicting_duplicate_ids_load_neither_copy(embedded_store, tiny_dir, tmp_path) -> None:
    with (tiny_dir / "customers.csv").open("a") as handle:
        handle.write("C1,Alicia Martin,retail,,DE,Berlin,720,52000,verified,2021-03-04,1985,,\n")
    report = load_folder(embedded_store, tiny_dir, tmp_path)
    assert ("customers.csv, row 8, column customer_id: customer_id 'C1' appears on rows 2, 8 "
            "with different name; none of them was loaded: fix the source and load again"
            ) in problem_lines(report)
    assert embedded_store.counts()["customers"] == 5


def test_exact_duplicate_rows_load_once_with_a_warning(embedded_store, tiny_dir, tmp_path) -> None:
    with (tiny_dir / "counterparties.csv").open("a") as handle:
        handle.write("M1,Corner Grocery,merchant,DE,groceries\n")
    report = load_folder(embedded_store, tiny_dir, tmp_path)
    warning = next(p for p in report.problems if p.source == "counterparties.csv")
    assert warning.severity == "warning"
    assert warning.line() == ("counterparties.csv, row 4, column counterparty_id: exact "
                              "duplicate of row 2; loaded once")
    assert embedded_store.counts()["counterparties"] == 2


def test_invalid_utf8_is_reported_per_row(embedded_store, tiny_dir, tmp_path) -> None:
    path = tiny_dir / "customers.csv"
    latin1 = "Fr\u00e4nk Weber".encode("latin-1")
    path.write_bytes(path.read_bytes().replace(b"Frank Weber", latin1))
    report = load_folder(embedded_store, tiny_dir, tmp_path)
    assert ("customers.csv, row 7, column name: value is not valid UTF-8; re-export the file as "
            "UTF-8 (value 'Fränk Weber')") in problem_lines(report)
    assert embedded_store.counts()["customers"] == 5


def test_empty_file_is_reported_and_the_rest_loads(embedded_store, tiny_dir, tmp_path) -> None:
    (tiny_dir / "loans.csv").write_text("")
    report = load_folder(embedded_store, tiny_dir, tmp_path)
    assert "loans.csv: file is empty: expected a header row and data rows" in problem_lines(report)
    assert embedded_store.counts()["loans"] == 0
    assert embedded_store.counts()["transactions"] == 7


def test_truncated_file_reports_its_incomplete_last_row(embedded_store, tiny_dir, tmp_path) -> None:
    path = tiny_dir / "transactions.csv"
    text = path.read_text()
    path.write_text(text[: text.rindex("500.00")])  # cut inside the last row
    report = load_folder(embedded_store, tiny_dir, tmp_path)
    assert ("transactions.csv, row 8: row has 6 of 10 fields; the file looks truncated (its last "
            "line is incomplete)") in problem_lines(report)
    assert embedded_store.counts()["transactions"] == 6


def test_row_with_too_many_fields(embedded_store, tiny_dir, tmp_path) -> None:
    rewrite(tiny_dir / "counterparties.csv", "Acme GmbH", "Acme, GmbH")
    report = load_folder(embedded_store, tiny_dir, tmp_path)
    assert ("counterparties.csv, row 3: row has 6 fields but the header has 5; quote values "
            "that contain the separator") in problem_lines(report)


def test_missing_required_column_skips_the_file(embedded_store, tiny_dir, tmp_path) -> None:
    rewrite(tiny_dir / "loans.csv", "loan_id,account_id,amount", "loan_id,account_id,sum")
    report = load_folder(embedded_store, tiny_dir, tmp_path)
    lines = problem_lines(report)
    assert ("loans.csv, row 1: missing required column(s) amount; expected columns: loan_id, "
            "account_id, amount, duration_months, monthly_payment, granted_date, status") in lines
    assert "loans.csv: file skipped: none of its 1 rows were loaded" in lines
    assert "loans.csv, row 1, column sum: column is not part of the input format and was ignored" \
        in lines


def test_parquet_input_is_validated_the_same_way(embedded_store, tiny_dir, tmp_path) -> None:
    frame = pd.read_csv(tiny_dir / "customers.csv", dtype=str, keep_default_na=False)
    frame.loc[2, "credit_score"] = "abc"
    frame.to_parquet(tiny_dir / "customers.parquet", index=False)
    (tiny_dir / "customers.csv").unlink()
    report = load_folder(embedded_store, tiny_dir, tmp_path)
    assert "customers.parquet, row 3, column credit_score: not a whole number (value 'abc')" \
        in problem_lines(report)
    assert embedded_store.counts()["customers"] == 5


def test_blank_lines_and_quoted_line_breaks_keep_row_numbers_right(
    embedded_store, tiny_dir, tmp_path
) -> None:
    # A blank line and a value spanning two lines push the fast reader onto the careful one;
    # row numbers must still be the lines a person sees in an editor.
    path = tiny_dir / "counterparties.csv"
    path.write_text(
        "counterparty_id,name,kind,country,industry\n"
        "M1,\"Corner\nGrocery\",merchant,DE,groceries\n"
        "\n"
        "E1,Acme GmbH,employer,DEU,manufacturing\n"
    )
    report = load_folder(embedded_store, tiny_dir, tmp_path)
    assert ("counterparties.csv, row 5, column country: not an ISO 3166-1 alpha-2 country code "
            "(e.g. DE) (value 'DEU')") in problem_lines(report)
    node = embedded_store.get_node(NodeRef.parse("Counterparty:M1"))
    assert node.properties["name"] == "Corner\nGrocery"


def test_byte_order_mark_and_crlf_line_endings_are_accepted(
    embedded_store, tiny_dir, tmp_path
) -> None:
    path = tiny_dir / "customers.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    report = load_folder(embedded_store, tiny_dir, tmp_path)
    assert report.errors == []
    assert embedded_store.counts()["customers"] == 6
