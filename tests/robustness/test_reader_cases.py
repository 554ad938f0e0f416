"""Issue 11, items 1-5: files a reader meets on day one never crash a load or load wrong data.

Each case builds its input from the hand-made tiny ring. Where a case reaches stored values
(time zones, Parquet dates), it loads the file and the equivalent clean CSV into the same store
kind and checks that what is stored is equal, on every store.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphrisk.domain import CUSTOMERS, TRANSACTIONS
from graphrisk.ingestion.loader import IngestReport, ingest_directory
from graphrisk.ingestion.reader import Problem, RawTable, read_entity_file
from graphrisk.ingestion.validation import ReferenceIndex, validate_table
from graphrisk.store.base import GraphStore
from tests.robustness import PROPERTY_EXAMPLES
from tests.stores import STORE_PARAMS, open_test_store

_STORED = ("customers", "accounts", "transactions")


def _csv(folder: Path, entity: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"{entity}.csv", dtype=str, keep_default_na=False)


def _clone(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


def _load(store: GraphStore, folder: Path, reports: Path) -> tuple[IngestReport, dict]:
    """Load ``folder`` into an emptied ``store``; the report and the stored entities."""
    store.delete_everything()
    report = ingest_directory(store, folder, reports_dir=reports)
    snapshot = store.snapshot()
    stored = {}
    for name in _STORED:
        frame = getattr(snapshot, name)
        key = frame.columns[0]
        stored[name] = frame.sort_values(key).reset_index(drop=True)
    return report, stored


def _assert_clean_text(problems: list[Problem]) -> None:
    """Every report line can be written as UTF-8 (no undecoded bytes leak out)."""
    for problem in problems:
        problem.line().encode("utf-8")


def _read(path: Path) -> RawTable:
    raw = read_entity_file(path, CUSTOMERS)
    _assert_clean_text(raw.problems)
    return raw


# --- item 1: a time-zone-aware Parquet timestamp is an instant, stored in UTC --------------


@pytest.mark.parametrize("kind", STORE_PARAMS)
def test_tz_aware_parquet_timestamps_store_the_same_instant_as_csv(kind, tiny_dir,
                                                                   tmp_path) -> None:
    transactions = _csv(tiny_dir, "transactions")
    local = pd.to_datetime(transactions["timestamp"])

    with_offset = _clone(tiny_dir, tmp_path / "csv_offset")
    frame = transactions.copy()
    frame["timestamp"] = frame["timestamp"] + "+05:00"
    frame.to_csv(with_offset / "transactions.csv", index=False)

    parquet = _clone(tiny_dir, tmp_path / "parquet_tz")
    (parquet / "transactions.csv").unlink()
    frame = transactions.copy()
    frame["timestamp"] = local.dt.tz_localize("Asia/Karachi")
    frame.to_parquet(parquet / "transactions.parquet", index=False)

    store = open_test_store(kind, tmp_path / "home")
    try:
        report_csv, from_csv = _load(store, with_offset, tmp_path / "r1")
        report_pq, from_parquet = _load(store, parquet, tmp_path / "r2")
    finally:
        store.close()
    assert report_csv.errors == [] and report_pq.errors == []
    stored = from_parquet["transactions"]
    assert len(stored) == len(transactions)
    pd.testing.assert_frame_equal(stored, from_csv["transactions"])
    # T1 is 09:00 in Karachi (UTC+5): 04:00 UTC, not the local clock time.
    t1 = stored.loc[stored["transaction_id"] == "T1", "timestamp"].iloc[0]
    assert str(t1).replace(" ", "T").startswith("2024-01-31T04:00:00")


# --- item 4: ordinary Parquet (real timestamp / date types) loads like the CSV -------------


def _write_typed_parquet(folder: Path) -> None:
    """customers with pandas' default timestamp[ns], accounts with Spark's date32, and
    transactions with naive timestamp[us]; each replaces its CSV."""
    customers = _csv(folder, "customers")
    customers["onboarding_date"] = pd.to_datetime(customers["onboarding_date"])
    customers.to_parquet(folder / "customers.parquet", index=False)
    accounts = _csv(folder, "accounts")
    table = pa.Table.from_pandas(accounts, preserve_index=False)
    for name in ("opened_date", "closed_date"):
        values = pd.to_datetime(accounts[name].replace("", None)).dt.date
        table = table.set_column(table.schema.get_field_index(name), name,
                                 pa.array(values, type=pa.date32()))
    pq.write_table(table, folder / "accounts.parquet")
    transactions = _csv(folder, "transactions")
    table = pa.Table.from_pandas(transactions, preserve_index=False)
    stamps = pa.array(pd.to_datetime(transactions["timestamp"]), type=pa.timestamp("us"))
    table = table.set_column(table.schema.get_field_index("timestamp"), "timestamp", stamps)
    pq.write_table(table, folder / "transactions.parquet")
    for name in ("customers", "accounts", "transactions"):
        (folder / f"{name}.csv").unlink()


@pytest.mark.parametrize("kind", STORE_PARAMS)
def test_parquet_with_real_date_types_stores_what_the_csv_stores(kind, tiny_dir,
                                                                 tmp_path) -> None:
    parquet = _clone(tiny_dir, tmp_path / "parquet")
    _write_typed_parquet(parquet)
    assert any(_csv(tiny_dir, "accounts")["closed_date"] == "")  # a null date is exercised
    store = open_test_store(kind, tmp_path / "home")
    try:
        report_csv, from_csv = _load(store, tiny_dir, tmp_path / "r1")
        report_pq, from_parquet = _load(store, parquet, tmp_path / "r2")
    finally:
        store.close()
    assert report_csv.problems == []
    assert report_pq.problems == []
    assert report_pq.rows_loaded == report_csv.rows_loaded
    for name in _STORED:
        pd.testing.assert_frame_equal(from_parquet[name], from_csv[name])


def test_parquet_date_column_with_a_time_of_day_is_rejected_not_truncated(tmp_path) -> None:
    customers = _csv(Path(__file__).parents[1] / "fixtures" / "tiny_ring", "customers")
    stamps = pd.to_datetime(customers["onboarding_date"])
    stamps.iloc[0] += pd.Timedelta(hours=13)
    customers["onboarding_date"] = stamps
    customers.to_parquet(tmp_path / "customers.parquet", index=False)
    raw = _read(tmp_path / "customers.parquet")
    assert raw.frame["onboarding_date"].tolist()[:2] == ["2021-03-04T13:00:00", "2023-01-10"]


# --- item 2: bytes that are not UTF-8 are reported, never a crash --------------------------


def test_windows_1252_header_and_value_are_reported_and_the_rest_loads(embedded_store,
                                                                       tiny_dir,
                                                                       tmp_path) -> None:
    customers = _csv(tiny_dir, "customers")
    customers["prénom"] = ["Jérôme", "Ana", "Wei", "Dara", "", "François"]
    customers.loc[customers["customer_id"] == "C1", "name"] = "Aliçe Martin"
    (tiny_dir / "customers.csv").write_bytes(
        customers.to_csv(index=False, lineterminator="\r\n").encode("cp1252"))

    report = ingest_directory(embedded_store, tiny_dir, reports_dir=tmp_path / "reports")

    _assert_clean_text(report.problems)
    lines = [p.line() for p in report.problems]
    assert any(line.startswith("customers.csv, row 1, column prénom: column name is not valid "
                               "UTF-8") for line in lines)
    assert ("customers.csv, row 2, column name: value is not valid UTF-8; re-export the file as "
            "UTF-8 (value 'Aliçe Martin')") in lines
    summary = [p for p in report.problems if p.row is None and "not valid UTF-8" in p.reason]
    assert len(summary) == 1 and "line 1" in summary[0].reason
    counts = embedded_store.counts()
    assert counts["customers"] == 5  # C1 only is lost
    assert counts["transactions"] > 0  # the other files still load
    quarantine = pd.read_csv(report.report_dir / "quarantine.csv", encoding="utf-8")
    assert (quarantine["file"] == "customers.csv").any()


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_random_bytes_as_customers_are_a_file_problem_and_the_rest_loads(embedded_store,
                                                                         tiny_dir, tmp_path,
                                                                         seed) -> None:
    noise = random.Random(seed).randbytes(64 * 1024)
    (tiny_dir / "customers.csv").write_bytes(noise)
    report = ingest_directory(embedded_store, tiny_dir, reports_dir=tmp_path / "reports")
    _assert_clean_text(report.problems)
    assert any(p.source == "customers.csv" and p.severity == "error" for p in report.problems)
    assert embedded_store.counts()["counterparties"] > 0
    assert (report.report_dir / "quarantine.csv").read_text(encoding="utf-8")


def test_utf16_with_byte_order_mark_reads_like_utf8(tmp_path) -> None:
    source = Path(__file__).parents[1] / "fixtures" / "tiny_ring" / "customers.csv"
    (tmp_path / "customers.csv").write_bytes(source.read_text().encode("utf-16"))
    raw = _read(tmp_path / "customers.csv")
    assert raw.problems == []
    assert raw.frame["customer_id"].tolist() == ["C1", "C2", "C3", "C4", "C5", "C6"]


# --- item 3: a field over the csv module's limit ---------------------------------------------


@pytest.mark.parametrize(("size", "extra"), [
    (5_000_000, ""),  # a 5 MB field
    (200_000, "\n"),  # a 200 KB field in a file with a blank line (the careful path)
    (200_000, "\xe9"),  # ... with a byte that is not UTF-8
])
def test_a_field_longer_than_the_csv_limit_is_reported_not_a_crash(tmp_path, size,
                                                                   extra) -> None:
    customers = _csv(Path(__file__).parents[1] / "fixtures" / "tiny_ring", "customers")
    customers.loc[1, "known_risk_source"] = "x" * size
    text = customers.to_csv(index=False)
    if extra == "\n":
        text = text.replace("\n", "\n\n", 1)
    data = text.encode()
    if extra == "\xe9":
        data = data.replace(b"Chen Wei", b"Ch\xe9n Wei")
    (tmp_path / "customers.csv").write_bytes(data)

    raw = _read(tmp_path / "customers.csv")

    too_long = [p for p in raw.problems if "characters" in p.reason]
    row = 4 if extra == "\n" else 3  # C2's line, after the blank one where there is one
    assert [(p.row, p.column) for p in too_long] == [(row, "known_risk_source")]
    assert len(too_long[0].value or "") < 100
    expected = ["C1", "C4", "C5", "C6"] if extra == "\xe9" else ["C1", "C3", "C4", "C5", "C6"]
    assert raw.frame["customer_id"].tolist() == expected


def test_an_unclosed_quote_that_swallows_the_file_is_reported(tmp_path) -> None:
    source = Path(__file__).parents[1] / "fixtures" / "tiny_ring" / "customers.csv"
    lines = source.read_text().splitlines(keepends=True)
    body = lines[0] + lines[1] + '"C2,oops\n' + "".join(lines[3:]) * 0
    body += "".join(f"C{i},{'y' * 500}\n" for i in range(300))
    (tmp_path / "customers.csv").write_text(body)
    raw = _read(tmp_path / "customers.csv")
    assert raw.frame["customer_id"].tolist() == ["C1"]
    assert any(p.row == 3 and "quote" in p.reason for p in raw.problems)


# --- item 5: line endings ------------------------------------------------------------------


@pytest.mark.parametrize("ending", ["\r", "\r\n"])
def test_any_line_ending_reads_like_lf(tmp_path, ending) -> None:
    source = Path(__file__).parents[1] / "fixtures" / "tiny_ring" / "customers.csv"
    (tmp_path / "customers.csv").write_bytes(source.read_bytes().replace(b"\n",
                                                                         ending.encode()))
    raw = _read(tmp_path / "customers.csv")
    expected = read_entity_file(source, CUSTOMERS)
    assert raw.problems == []
    pd.testing.assert_frame_equal(raw.frame.astype(str), expected.frame.astype(str))


def test_cr_only_files_with_a_blank_line_keep_line_numbers(tmp_path) -> None:
    source = Path(__file__).parents[1] / "fixtures" / "tiny_ring" / "customers.csv"
    data = source.read_bytes().replace(b"\n", b"\r")
    data = data.replace(b"\rC3,", b"\r\rC3,", 1).replace(b"C5,Evergreen", b"C5", 1)
    (tmp_path / "customers.csv").write_bytes(data)
    raw = _read(tmp_path / "customers.csv")
    assert raw.frame["customer_id"].tolist() == ["C1", "C2", "C3", "C4", "C6"]
    assert raw.frame["_row"].tolist() == [2, 3, 5, 6, 8]
    assert [p.row for p in raw.problems] == [7]


def test_a_folder_with_cr_only_files_loads_everything(embedded_store, tiny_dir,
                                                      tmp_path) -> None:
    for path in tiny_dir.glob("*.csv"):
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r"))
    report = ingest_directory(embedded_store, tiny_dir, reports_dir=tmp_path / "reports")
    assert report.problems == []
    assert report.rows_loaded == report.rows_read == 36


# --- property: the reader never raises, and every well-formed row is read ------------------

_VALUE = st.text(alphabet="abcXYZ 019-.,\"'\u00e9\t\r\n", max_size=12)
#: The required columns only: the reader reads values as text, whatever they say.
_COLUMNS = ["customer_id", "name", "segment", "country", "kyc_status", "onboarding_date"]
_HEADER = ",".join(_COLUMNS)


def _quote(value: str) -> str:
    return '"' + value.replace('"', '""') + '"' if any(c in value for c in ',"\r\n') else value


def _property_read(tmp_path: Path, data: bytes) -> RawTable:
    path = tmp_path / "customers.csv"
    path.write_bytes(data)
    return _read(path)  # never raises; every problem is printable


@pytest.mark.slow
@settings(max_examples=PROPERTY_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(_VALUE, min_size=6, max_size=6), max_size=8),
       ending=st.sampled_from(["\n", "\r\n", "\r"]), huge=st.booleans(),
       noise=st.binary(max_size=64), noise_at=st.integers(min_value=1, max_value=9))
def test_reader_never_raises_and_reads_every_well_formed_row(tmp_path, rows, ending, huge,
                                                             noise, noise_at) -> None:
    lines = [",".join(map(_quote, row)).encode() for row in rows]
    if huge:
        lines.insert(len(lines) // 2, b"big," + b"z" * 140_000 + b",retail,DE,verified,")
    newline = ending.encode()

    raw = _property_read(tmp_path, newline.join([_HEADER.encode(), *lines]) + newline)
    read = raw.frame[_COLUMNS].astype(str).values.tolist()
    assert read == rows
    assert any(p.row is not None and "characters" in p.reason for p in raw.problems) == huge

    junk = noise.replace(b"\r", b"").replace(b"\n", b"").replace(b'"', b"")
    at = min(noise_at, len(lines))
    noisy = newline.join([_HEADER.encode(), *lines[:at], junk, *lines[at:]])
    read = _property_read(tmp_path, noisy).frame[_COLUMNS]
    read_rows = read.astype(str).values.tolist()
    assert all(row in read_rows for row in rows)
    assert len(read_rows) <= len(rows) + 1


@pytest.mark.slow
@settings(max_examples=PROPERTY_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=4096))
def test_reader_never_raises_on_arbitrary_bytes(tmp_path, data) -> None:
    raw = _property_read(tmp_path, data)
    assert raw.problems  # arbitrary bytes are never a clean customers file


def test_a_pandas_index_stored_in_parquet_is_not_a_column(tmp_path) -> None:
    customers = _csv(Path(__file__).parents[1] / "fixtures" / "tiny_ring", "customers")
    customers = customers.iloc[1:].set_axis([7, 3, 9, 4, 8])  # not a range: pandas stores it
    customers.to_parquet(tmp_path / "customers.parquet")
    assert "__index_level_0__" in pq.read_schema(tmp_path / "customers.parquet").names
    raw = _read(tmp_path / "customers.parquet")
    assert raw.problems == []
    assert raw.frame["customer_id"].tolist() == ["C2", "C3", "C4", "C5", "C6"]


_ZONES = st.sampled_from([None, "UTC", "Asia/Karachi", "Asia/Kolkata", "Europe/Berlin",
                          "America/New_York", "Australia/Lord_Howe"])


@pytest.mark.slow
@settings(max_examples=PROPERTY_EXAMPLES, deadline=None)
@given(instants=st.lists(st.datetimes(min_value=dt.datetime(1990, 1, 1),
                                      max_value=dt.datetime(2024, 12, 31)),
                         min_size=7, max_size=7),
       zone=_ZONES, parquet_unit=st.sampled_from(["s", "ms", "us", "ns"]))
def test_parquet_timestamps_validate_like_their_csv_text(instants, zone, parquet_unit) -> None:
    """Whatever the zone (or none) and unit, a Parquet time stamp yields the stored value
    that its ISO 8601 text in a CSV yields."""
    folder = Path(__file__).parents[1] / "fixtures" / "tiny_ring"
    frame = _csv(folder, "transactions")
    stamps = pd.Series(pd.to_datetime(instants)).dt.floor(
        {"s": "s", "ms": "ms", "us": "us", "ns": "us"}[parquet_unit])
    if zone is not None:
        stamps = stamps.dt.tz_localize("UTC").dt.tz_convert(zone)
    refs = ReferenceIndex()
    refs.add("accounts", _csv(folder, "accounts")["account_id"])
    refs.add("counterparties", _csv(folder, "counterparties")["counterparty_id"])
    as_text = frame.assign(timestamp=[s.isoformat() for s in stamps])
    table = pa.Table.from_pandas(frame.drop(columns="timestamp"), preserve_index=False)
    typed = pa.array(stamps, type=pa.timestamp(parquet_unit, zone))
    with tempfile.TemporaryDirectory() as tmp:
        as_text.to_csv(Path(tmp) / "transactions.csv", index=False)
        pq.write_table(table.append_column("timestamp", typed), Path(tmp) / "transactions.parquet")
        from_csv = validate_table(
            read_entity_file(Path(tmp) / "transactions.csv", TRANSACTIONS), refs)
        from_parquet = validate_table(
            read_entity_file(Path(tmp) / "transactions.parquet", TRANSACTIONS), refs)
    assert len(from_csv.valid) == 7
    pd.testing.assert_series_equal(from_parquet.valid["timestamp"], from_csv.valid["timestamp"])
