"""Read one input file into raw strings, keeping each row's line number.

Why strings: validation must see exactly what the file says (``"12,5"``, ``"N/A"``, a broken
byte) to report it, so nothing is parsed here. Why the ``csv`` module rather than
``pandas.read_csv``: it tells, per record, which physical line it started on and how many
fields it has, which is what a quarantine report needs for truncated or mis-quoted rows.

Whatever the bytes, reading never raises: bytes that are not UTF-8, a value longer than
:data:`MAX_FIELD_CHARS` and a file that cannot be parsed are findings (:class:`Problem`), and
``\\n``, ``\\r\\n`` and ``\\r`` line endings read alike. Parquet columns pass through one typed
conversion (:mod:`graphrisk.ingestion.arrow_values`), so a Parquet file loads as its CSV does.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from graphrisk.domain import EntitySpec

__all__ = ["MAX_FIELD_CHARS", "Problem", "RawTable", "decode_text", "read_entity_file",
           "ROW_COLUMN"]

#: Name of the column that carries each record's row number (header = row 1 in a CSV).
ROW_COLUMN = "_row"
#: The longest value a CSV field may hold (the ``csv`` module's default limit). No valid value
#: comes near it (text is at most 1,000 characters); a longer one is nearly always a quote that
#: is not closed and swallowed the lines after it. Such a row is reported, not read.
MAX_FIELD_CHARS = 131_072

_FIELD_LIMIT_LOCK = threading.Lock()
_UNDECODED = re.compile("[\udc80-\udcff]")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_LINE_BREAK_BYTES = re.compile(rb"\r\n|\r|\n")


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


def _check_header(header: list[str], spec: EntitySpec, source: str,
                  undecodable: frozenset[str] = frozenset()) -> tuple[list[Problem], bool]:
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
                "column name is not valid UTF-8 and not part of the input format; the column "
                "was ignored" if extra in undecodable else
                "column is not part of the input format and was ignored",
                severity="warning",
            )
        )
    return problems, not problems or all(p.severity == "warning" for p in problems)


def _printable(value: str) -> str:
    """``value`` with each byte that is not UTF-8 shown as its Windows-1252 character.

    Why Windows-1252: it is what such bytes nearly always are (Excel on Windows), so the report
    shows ``Fränk`` rather than ``Fr\\xe4nk``; the five bytes it leaves undefined are shown as
    ``\\xNN``. Valid UTF-8 characters around them are kept as they are.
    """
    if not _UNDECODED.search(value):
        return value
    return _UNDECODED.sub(
        lambda found: bytes([ord(found.group()) - 0xDC00]).decode("cp1252", "backslashreplace"),
        value,
    )


def _bad_encoding_column(record: list[str], header: list[str],
                         checked: frozenset[str]) -> tuple[str, str] | None:
    """The first column of the format whose value holds a byte that is not UTF-8."""
    for name, value in zip(header, record, strict=False):
        if name in checked and _UNDECODED.search(value):
            return name, _printable(value)
    return None


def _allow_fields_up_to(size: int) -> None:
    """Raise the ``csv`` module's field size limit to ``size`` characters; never lower it.

    Why this is safe: the limit (process-wide) protects a reader that streams from a source of
    unknown length. Here the whole file is in memory already, so no field can be longer than
    the file; values over :data:`MAX_FIELD_CHARS` are reported by the reader itself.
    """
    with _FIELD_LIMIT_LOCK:
        if csv.field_size_limit() < size:
            csv.field_size_limit(size)


def decode_text(data: bytes) -> tuple[str, bool]:
    """The file's text and whether it held bytes that are not UTF-8 (kept as surrogates).

    A UTF-16 file announces itself with a byte-order mark (Excel's "Unicode text"), so it is
    decoded as such; anything else is UTF-8, and no other encoding is guessed: a wrong guess
    would store wrong names without a word.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), False
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8-sig"), False
    except UnicodeDecodeError:
        return data.removeprefix(codecs.BOM_UTF8).decode("utf-8", "surrogateescape"), True


def _count_lines(text: str | bytes) -> int:
    """Physical lines, whatever the line ending (``\\n``, ``\\r\\n`` or an old Mac's ``\\r``)."""
    if isinstance(text, bytes):
        breaks = text.count(b"\n") + text.count(b"\r") - text.count(b"\r\n")
        return breaks + (0 if text.endswith((b"\n", b"\r")) else 1)
    breaks = text.count("\n") + text.count("\r") - text.count("\r\n")
    return breaks + (0 if text.endswith(("\n", "\r")) else 1)


def _has_long_line(data: bytes) -> bool:
    """Whether a line of ``data`` (UTF-8) is longer than :data:`MAX_FIELD_CHARS` bytes, so may
    hold a value over that many characters. In numpy: a regular expression takes seconds."""
    if len(data) <= MAX_FIELD_CHARS:
        return False
    codes = np.frombuffer(data, dtype=np.uint8)
    edges = np.concatenate(([-1], np.flatnonzero((codes == 10) | (codes == 13)), [len(codes)]))
    return bool((np.diff(edges) - 1).max() > MAX_FIELD_CHARS)


def _too_long(record: list[str], header: list[str]) -> tuple[str | None, str, int] | None:
    """The first value of ``record`` over :data:`MAX_FIELD_CHARS`: column, start, length."""
    for index, value in enumerate(record):
        if len(value) > MAX_FIELD_CHARS:
            column = header[index] if index < len(header) else None
            return column, _printable(value[:40]) + "...", len(value)
    return None


def _too_long_problem(source: str, row: int, found: tuple[str | None, str, int]) -> Problem:
    column, start, length = found
    return Problem(
        source, row, column, start,
        f"value is {length:,} characters long, more than the {MAX_FIELD_CHARS:,} a value may "
        "have; most often a quote that is not closed, which swallows the lines after it; "
        "the row was not read",
    )


def _encoding_problem(source: str, text: str, rows_lost: int) -> Problem:
    """One finding for the whole file: where its first byte that is not UTF-8 is."""
    first = _UNDECODED.search(text)
    assert first is not None
    line = len(_LINE_BREAK.findall(text, 0, first.start())) + 1
    byte = ord(first.group()) - 0xDC00
    lost = (f"{rows_lost} row(s) holding such bytes in a value were not loaded"
            if rows_lost else "no value of the format holds one")
    return Problem(
        source, None, None, None,
        f"file is not valid UTF-8 (first on line {line}: byte 0x{byte:02X}; Windows-1252 and "
        f"Latin-1 exports look like this): {lost}; re-export the file as UTF-8",
        severity="error" if rows_lost else "warning",
    )


def _read_csv(path: Path, spec: EntitySpec, source: str) -> RawTable:
    data = path.read_bytes()
    text, bad_encoding = decode_text(data)
    if not text.strip():
        return _unreadable(source, spec, "file is empty: expected a header row and data rows")
    _allow_fields_up_to(len(text) + 1)
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and not bad_encoding
    utf8 = text.encode("utf-8") if utf16 else data
    if not bad_encoding:
        fast = _read_simple_csv(utf8, spec, source)
        if fast is not None:
            return fast
    reader = csv.reader(io.StringIO(text, newline=""), strict=False)
    raw_header = [h.strip() for h in next(reader, [])]
    header = [_printable(h) for h in raw_header]
    undecodable = frozenset(h for h, raw in zip(header, raw_header, strict=True) if h != raw)
    problems, usable = _check_header(header, spec, source, undecodable)
    if not usable:
        rows_read = sum(1 for record in reader if record)
        problems.append(
            Problem(
                source, None, None, None, f"file skipped: none of its {rows_read} rows were loaded"
            )
        )
        if bad_encoding:
            problems.append(_encoding_problem(source, text, 0))
        return RawTable(source, spec, _empty_frame(spec), problems, rows_read)

    records = list(reader)
    ends_cleanly = text.endswith(("\n", "\r"))
    one_per_line = len(records) + 1 == _count_lines(text) and all(records)
    if one_per_line:
        starts = list(range(2, len(records) + 2))  # one record per line: the common case
    else:
        starts = _record_start_lines(text)
    width = len(header)
    lengths = np.fromiter(map(len, records), dtype=np.int64, count=len(records))
    keep = lengths == width
    # Only a long line, or a record over several lines, can hold a value that is too long.
    long_values = len(text) > MAX_FIELD_CHARS and (not one_per_line or _has_long_line(utf8))
    for index in np.flatnonzero(~keep):
        record = records[index]
        if not record or (len(record) == 1 and not record[0].strip()):
            continue  # a blank line is not a row
        found = _too_long(record, header) if long_values else None
        if found is not None:
            problems.append(_too_long_problem(source, starts[index], found))
            continue
        problems.append(Problem(source, starts[index], None, None, _field_count_reason(
            len(record), width, at_end=not ends_cleanly and index == len(records) - 1)))
    if long_values:
        for index in np.flatnonzero(keep):
            found = _too_long(records[index], header)
            if found is not None:
                keep[index] = False
                problems.append(_too_long_problem(source, starts[index], found))
    encoding_losses = 0
    if bad_encoding:
        checked = frozenset(spec.column_names)
        for index in np.flatnonzero(keep):
            record = records[index]
            if not _UNDECODED.search("".join(record)):
                continue
            bad = _bad_encoding_column(record, header, checked)
            if bad is None:  # only in columns that are ignored: keep the row, show the bytes
                records[index] = [_printable(value) for value in record]
                continue
            keep[index] = False
            encoding_losses += 1
            problems.append(Problem(
                source, starts[index], bad[0], bad[1],
                "value is not valid UTF-8; re-export the file as UTF-8",
            ))
        problems.append(_encoding_problem(source, text, encoding_losses))
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
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    body = data.removeprefix(codecs.BOM_UTF8)
    first_line = _LINE_BREAK_BYTES.split(body, maxsplit=1)[0].decode("utf-8")
    if first_line.count('"') % 2:
        return None  # a line break inside a quoted column name
    header = [h.strip() for h in next(csv.reader([first_line]), [])]
    if not header or len(set(header)) != len(header):
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
    if malformed or table.num_rows + 1 != _count_lines(body):
        return None
    if len(body) > MAX_FIELD_CHARS and any(
            (pc.max(pc.utf8_length(column)).as_py() or 0) > MAX_FIELD_CHARS
            for column in table.columns):
        return None  # the careful way reports the row
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
    import pyarrow as pa
    import pyarrow.parquet as pq

    from graphrisk.ingestion.arrow_values import arrow_column_to_text

    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises several unrelated types for broken files
        return _unreadable(source, spec, f"cannot read Parquet file ({exc}); it may be truncated")
    # pandas stores an index that is not a plain range as a column: it is not data.
    index_columns = (table.schema.pandas_metadata or {}).get("index_columns", [])
    table = table.drop_columns([c for c in index_columns
                                if isinstance(c, str) and c in table.column_names])
    header = [str(c) for c in table.column_names]
    problems, usable = _check_header(header, spec, source)
    if not usable:
        return RawTable(source, spec, _empty_frame(spec), problems, table.num_rows)
    kinds = {column.name: column.kind for column in spec.columns}
    out = pd.DataFrame(index=pd.RangeIndex(table.num_rows))
    for name, column in zip(header, table.columns, strict=True):
        try:
            out[name] = arrow_column_to_text(column, kinds.get(name))
        except (pa.ArrowException, ValueError, TypeError, OverflowError) as exc:
            return _unreadable(source, spec, f"cannot read column {name!r} of type "
                               f"{column.type} ({exc}); write it as text or a number")
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
