"""Read one input file into raw strings, keeping each row's line number.

Why strings: validation must see exactly what the file says (``"12,5"``, ``"N/A"``, a broken
byte) to report it, so nothing is parsed here. Why the ``csv`` module rather than
``pandas.read_csv``: it tells, per record, which physical line it started on and how many
fields it has, which is what a quarantine report needs for truncated or mis-quoted rows.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from graphrisk.domain import EntitySpec

__all__ = ["Problem", "RawTable", "read_entity_file", "ROW_COLUMN"]

#: Name of the column that carries each record's row number (header = row 1 in a CSV).
ROW_COLUMN = "_row"


@dataclass(frozen=True)
class Problem:
    """One finding about the input: where it is and why it matters.

    ``row`` is the line the record starts on in a CSV (the header is row 1) or the 1-based
    record number in a Parquet file; ``None`` for a finding about the whole file.
    """

    source: str
    row: int | None
    column: str | None
    value: str | None
    reason: str
    severity: str = "error"

    def line(self) -> str:
        """The report line a person reads: ``file, row N, column C: reason (value 'v')``."""
        where = [self.source]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column}")
        text = f"{', '.join(where)}: {self.reason}"
        if self.value not in (None, ""):
            text += f" (value {self.value!r})"
        return text


@dataclass
class RawTable:
    """A file's records as strings (``""`` for empty), plus file-level problems."""

    source: str
    spec: EntitySpec
    frame: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    rows_read: int = 0


def _empty_frame(spec: EntitySpec) -> pd.DataFrame:
    frame = pd.DataFrame({name: pd.Series([], dtype="str") for name in spec.column_names})
    frame[ROW_COLUMN] = pd.Series([], dtype="int64")
    return frame


def _unreadable(source: str, spec: EntitySpec, reason: str) -> RawTable:
    """A file that yields no records at all, with the one problem that says why."""
    return RawTable(source, spec, _empty_frame(spec), [Problem(source, None, None, None, reason)])


def _check_header(header: list[str], spec: EntitySpec, source: str) -> tuple[list[Problem], bool]:
    problems = []
    duplicated = sorted({h for h in header if header.count(h) > 1})
    if duplicated:
        problems.append(
            Problem(source, 1, None, None, f"header names column(s) {', '.join(duplicated)} twice")
        )
    missing = [c for c in spec.required_headers if c not in header]
    if missing:
        problems.append(
            Problem(
                source,
                1,
                None,
                None,
                f"missing required column(s) {', '.join(missing)}; expected columns: "
                f"{', '.join(spec.column_names)}",
            )
        )
    for extra in (h for h in header if h not in spec.column_names):
        problems.append(
            Problem(
                source,
                1,
                extra,
                None,
                "column is not part of the input format and was ignored",
                severity="warning",
            )
        )
    return problems, not problems or all(p.severity == "warning" for p in problems)


def _bad_encoding_column(record: list[str], header: list[str]) -> tuple[str, str] | None:
    for name, value in zip(header, record, strict=False):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            shown = value.encode("utf-8", "surrogateescape").decode("latin-1")
            return name, shown
    return None


def _read_csv(path: Path, spec: EntitySpec, source: str) -> RawTable:
    data = path.read_bytes()
    if not data.strip():
        return _unreadable(source, spec, "file is empty: expected a header row and data rows")
    try:
        text, bad_encoding = data.decode("utf-8-sig"), False
    except UnicodeDecodeError:
        text = data.removeprefix(b"\xef\xbb\xbf").decode("utf-8", "surrogateescape")
        bad_encoding = True
    if not bad_encoding:
        fast = _read_simple_csv(data, spec, source)
        if fast is not None:
            return fast
    reader = csv.reader(io.StringIO(text, newline=""), strict=False)
    header = [h.strip() for h in next(reader)]
    problems, usable = _check_header(header, spec, source)
    if not usable:
        rows_read = sum(1 for record in reader if record)
        problems.append(
            Problem(
                source, None, None, None, f"file skipped: none of its {rows_read} rows were loaded"
            )
        )
        return RawTable(source, spec, _empty_frame(spec), problems, rows_read)

    records = list(reader)
    ends_cleanly = text.endswith(("\n", "\r"))
    physical_lines = text.count("\n") + (0 if ends_cleanly else 1)
    if len(records) + 1 == physical_lines and all(records):
        starts = list(range(2, len(records) + 2))  # one record per line: the common case
    else:
        starts = _record_start_lines(text)
    width = len(header)
    lengths = np.fromiter(map(len, records), dtype=np.int64, count=len(records))
    keep = lengths == width
    for index in np.flatnonzero(~keep):
        record = records[index]
        if not record or (len(record) == 1 and not record[0].strip()):
            continue  # a blank line is not a row
        problems.append(Problem(source, starts[index], None, None, _field_count_reason(
            len(record), width, at_end=not ends_cleanly and index == len(records) - 1)))
    if bad_encoding:
        for index in np.flatnonzero(keep):
            bad = _bad_encoding_column(records[index], header)
            if bad is not None:
                keep[index] = False
                problems.append(Problem(
                    source, starts[index], bad[0], bad[1],
                    "value is not valid UTF-8; re-export the file as UTF-8",
                ))
    blank = sum(1 for i in np.flatnonzero(~keep) if not records[i] or (
        len(records[i]) == 1 and not records[i][0].strip()))
    rows_read = len(records) - blank
    kept = records if keep.all() else [records[i] for i in np.flatnonzero(keep)]
    columns = list(zip(*kept, strict=True)) if kept else [()] * width
    frame = pd.DataFrame({name: pd.array(list(values), dtype="str")
                          for name, values in zip(header, columns, strict=True)})
    frame[ROW_COLUMN] = np.asarray(starts, dtype=np.int64)[keep] if kept else np.array(
        [], dtype=np.int64)
    if rows_read == 0:
        problems.append(Problem(source, None, None, None, "file has a header but no data rows",
                                severity="warning"))
    return RawTable(source, spec, frame, problems, rows_read)


def _read_simple_csv(data: bytes, spec: EntitySpec, source: str) -> RawTable | None:
    """Parse a well-formed CSV with Arrow's C++ reader, or return ``None`` to fall back.

    Why: the ``csv`` module costs seconds per million rows. Arrow's reader is ten times
    faster but cannot say which line a record came from, so it is used only where that is
    certain: every record on its own line (no blank lines, no line breaks inside values) and
    every record with the header's number of fields. Anything else goes the careful way.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    body = data.removeprefix(b"\xef\xbb\xbf")
    first_line = body.split(b"\n", 1)[0].decode("utf-8").rstrip("\r")
    header = [h.strip() for h in next(csv.reader([first_line]))]
    if len(set(header)) != len(header):
        return None
    malformed: list[object] = []

    def note_invalid(row: object) -> str:
        malformed.append(row)
        return "skip"

    try:
        table = pacsv.read_csv(
            pa.BufferReader(body),
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=1),
            parse_options=pacsv.ParseOptions(newlines_in_values=False,
                                             invalid_row_handler=note_invalid),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in header},
                strings_can_be_null=False, quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError):
        return None
    lines = body.count(b"\n") + (0 if body.endswith((b"\n", b"\r")) else 1)
    if malformed or table.num_rows + 1 != lines:
        return None
    problems, usable = _check_header(header, spec, source)
    if not usable:
        problems.append(Problem(source, None, None, None,
                                f"file skipped: none of its {table.num_rows} rows were loaded"))
        return RawTable(source, spec, _empty_frame(spec), problems, table.num_rows)
    frame = table.to_pandas(types_mapper=lambda _type: pd.StringDtype("pyarrow", np.nan))
    frame[ROW_COLUMN] = np.arange(2, table.num_rows + 2, dtype=np.int64)
    if table.num_rows == 0:
        problems.append(Problem(source, None, None, None, "file has a header but no data rows",
                                severity="warning"))
    return RawTable(source, spec, frame, problems, table.num_rows)


def _record_start_lines(text: str) -> list[int]:
    """The line each record starts on, where values span lines or blank lines occur."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=False)
    next(reader)
    starts, previous = [], reader.line_num
    for _record in reader:
        starts.append(previous + 1)
        previous = reader.line_num
    return starts


def _field_count_reason(found: int, width: int, *, at_end: bool) -> str:
    if found < width:
        return f"row has {found} of {width} fields" + (
            "; the file looks truncated (its last line is incomplete)" if at_end
            else "; a separator or value is missing")
    return (f"row has {found} fields but the header has {width}; quote values that contain "
            "the separator")


def _read_parquet(path: Path, spec: EntitySpec, source: str) -> RawTable:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises several unrelated types for broken files
        return _unreadable(source, spec, f"cannot read Parquet file ({exc}); it may be truncated")
    frame = table.to_pandas()
    header = [str(c) for c in frame.columns]
    problems, usable = _check_header(header, spec, source)
    if not usable:
        return RawTable(source, spec, _empty_frame(spec), problems, len(frame))
    out = pd.DataFrame(index=frame.index)
    for name in header:
        column = frame[name]
        if pd.api.types.is_datetime64_any_dtype(column):
            text = column.dt.strftime("%Y-%m-%dT%H:%M:%S")
        else:
            text = column.astype(object).map(lambda v: "" if v is None else str(v))
        out[name] = text.where(column.notna(), "").astype("str")
    out[ROW_COLUMN] = range(1, len(out) + 1)
    if len(out) == 0:
        problems.append(
            Problem(source, None, None, None, "file has no data rows", severity="warning")
        )
    return RawTable(source, spec, out, problems, len(out))


def read_entity_file(path: Path, spec: EntitySpec) -> RawTable:
    """Read ``path`` (``.csv`` or ``.parquet``) as raw strings for validation.

    Args:
        path: the input file.
        spec: the entity the file holds.

    Returns:
        The records that have the right number of fields and decode as UTF-8, each with its
        row number in :data:`ROW_COLUMN`, and the problems found on the way.
    """
    source = path.name
    if path.suffix == ".parquet":
        return _read_parquet(path, spec, source)
    return _read_csv(path, spec, source)
