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
    frame = pd.DataFrame({name: pd.Series([], dtype=object) for name in spec.column_names})
    frame[ROW_COLUMN] = pd.Series([], dtype="int64")
    return frame


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
        return RawTable(
            source,
            spec,
            _empty_frame(spec),
            [
                Problem(
                    source,
                    None,
                    None,
                    None,
                    "file is empty: expected a header row and data rows",
                )
            ],
        )
    try:
        text, bad_encoding = data.decode("utf-8-sig"), False
    except UnicodeDecodeError:
        text = data.removeprefix(b"\xef\xbb\xbf").decode("utf-8", "surrogateescape")
        bad_encoding = True
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

    width = len(header)
    records: list[list[str]] = []
    row_numbers: list[int] = []
    previous_line = reader.line_num
    rows_read = 0
    ends_cleanly = text.endswith(("\n", "\r"))
    last_line = text.count("\n") + (0 if ends_cleanly else 1)
    for record in reader:
        start_line, previous_line = previous_line + 1, reader.line_num
        if not record or (len(record) == 1 and not record[0].strip()):
            continue  # blank line
        rows_read += 1
        if len(record) != width:
            at_end = not ends_cleanly and reader.line_num == last_line
            if len(record) < width:
                reason = f"row has {len(record)} of {width} fields" + (
                    "; the file looks truncated (its last line is incomplete)"
                    if at_end
                    else "; a separator or value is missing"
                )
            else:
                reason = (
                    f"row has {len(record)} fields but the header has {width}; quote "
                    "values that contain the separator"
                )
            problems.append(Problem(source, start_line, None, None, reason))
            continue
        if bad_encoding:
            bad = _bad_encoding_column(record, header)
            if bad is not None:
                problems.append(
                    Problem(
                        source,
                        start_line,
                        bad[0],
                        bad[1],
                        "value is not valid UTF-8; re-export the file as UTF-8",
                    )
                )
                continue
        records.append(record)
        row_numbers.append(start_line)

    frame = (
        pd.DataFrame.from_records(records, columns=header)
        if records
        else pd.DataFrame(columns=header)
    )
    frame = frame.astype(object)
    frame[ROW_COLUMN] = pd.Series(row_numbers, dtype="int64", index=frame.index)
    if rows_read == 0:
        problems.append(
            Problem(
                source, None, None, None, "file has a header but no data rows", severity="warning"
            )
        )
    return RawTable(source, spec, frame, problems, rows_read)


def _read_parquet(path: Path, spec: EntitySpec, source: str) -> RawTable:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises several unrelated types for broken files
        return RawTable(
            source,
            spec,
            _empty_frame(spec),
            [
                Problem(
                    source,
                    None,
                    None,
                    None,
                    f"cannot read Parquet file ({exc}); it may be truncated",
                )
            ],
        )
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
        out[name] = text.where(column.notna(), "").astype(object)
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
