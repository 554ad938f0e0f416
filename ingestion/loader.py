"""Load a folder of input files into a store: read, validate, quarantine, upsert in batches.

Why batches with checkpoints: each batch is committed together with a marker naming the load
and the batch, so a load killed half-way leaves whole batches only, and running the same load
again skips what was committed and finishes the rest. Upserts make any re-load idempotent.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import os
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from graphrisk.domain import ENTITIES, REQUIRED_ENTITIES, EntitySpec
from graphrisk.errors import IngestionError
from graphrisk.ingestion.reader import (
    ROW_COLUMN,
    Problem,
    RawTable,
    decode_text,
    read_entity_file,
)
from graphrisk.ingestion.validation import ReferenceIndex, ValidatedTable, validate_table
from graphrisk.store.base import BatchCheckpoint, GraphStore

if TYPE_CHECKING:
    from graphrisk.store.neo4j_bulk import LocalNeo4jServer

__all__ = [
    "EXIT_CLEAN", "EXIT_LOAD_PROBLEMS", "IngestReport", "TableReport", "find_input_files",
    "ingest_directory",
]

logger = logging.getLogger(__name__)

#: ``progress(entity, rows_done, rows_total)`` — the CLI turns it into a progress bar.
ProgressCallback = Callable[[str, int, int], None]
_SUFFIXES = (".csv", ".parquet")

#: Exit code of a load that loaded every file (rows may have been quarantined, unless strict).
EXIT_CLEAN = 0
#: Exit code of a load with a problem that counts: a whole file skipped, or (strict) a
#: quarantined row. (A load that cannot start at all — no folder, no input files, a store
#: that cannot be reached — is a command error, exit code 2, decided by the CLI.)
EXIT_LOAD_PROBLEMS = 1


@dataclass(frozen=True)
class TableReport:
    """What happened to one input file."""

    entity: str
    source: str
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    batches_skipped: int
    #: Why the whole file was skipped (none of its rows could be read), or ``None``.
    skipped: str | None = None


@dataclass
class IngestReport:
    """The outcome of one load, with where its reports were written."""

    load_id: str
    directory: Path
    tables: list[TableReport] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    report_dir: Path | None = None
    seconds: float = 0.0
    #: The valid rows per entity, when the load was asked to keep them (``keep_accepted``):
    #: monitoring reads what a small incremental batch brought without reading it again.
    accepted: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def rows_read(self) -> int:
        return sum(t.rows_read for t in self.tables)

    @property
    def rows_loaded(self) -> int:
        return sum(t.rows_loaded for t in self.tables)

    @property
    def rows_rejected(self) -> int:
        return sum(t.rows_rejected for t in self.tables)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def resumed(self) -> bool:
        return any(t.batches_skipped for t in self.tables)

    @property
    def skipped_tables(self) -> list[TableReport]:
        """The files skipped whole: none of their rows could be read."""
        return [t for t in self.tables if t.skipped is not None]

    def exit_code(self, *, strict: bool = False) -> int:
        """The exit code a command that ran this load ends with — decided here only.

        Args:
            strict: a quarantined row fails the load too.

        Returns:
            :data:`EXIT_CLEAN` (0) when every file was read, and with ``strict`` no row was
            quarantined; :data:`EXIT_LOAD_PROBLEMS` (1) when a file was skipped whole, or with
            ``strict`` a row was quarantined.
        """
        if self.skipped_tables or (strict and self.rows_rejected):
            return EXIT_LOAD_PROBLEMS
        return EXIT_CLEAN

    def summary(self) -> dict[str, object]:
        return {
            "load_id": self.load_id,
            "directory": str(self.directory),
            "rows_read": self.rows_read,
            "rows_loaded": self.rows_loaded,
            "rows_rejected": self.rows_rejected,
            "files_skipped": [t.source for t in self.skipped_tables],
            "errors": len(self.errors),
            "warnings": len(self.problems) - len(self.errors),
            "seconds": round(self.seconds, 3),
            "tables": [vars(t) for t in self.tables],
        }


def find_input_files(directory: Path) -> dict[str, Path]:
    """Map each entity to its file in ``directory`` (``customers.csv`` or ``.parquet``).

    Raises:
        IngestionError: the folder is missing, holds no input file, or holds an entity twice.
    """
    if not directory.is_dir():
        raise IngestionError(f"input folder {directory} does not exist")
    found: dict[str, Path] = {}
    for spec in ENTITIES:
        candidates = [directory / f"{spec.name}{suffix}" for suffix in _SUFFIXES]
        for path in candidates:
            _check_is_file(path)
        present = [path for path in candidates if path.is_file()]
        if len(present) > 1:
            raise IngestionError(
                f"both {present[0].name} and {present[1].name} exist; keep one of them",
                source=str(directory),
            )
        if present:
            found[spec.name] = present[0]
    if not found:
        expected = ", ".join(f"{spec.name}.csv" for spec in ENTITIES)
        raise IngestionError(
            f"no input files in {directory}; expected files named {expected} (or .parquet). "
            "Run `graphrisk generate --out DIR` for an example"
        )
    return found


def _check_is_file(path: Path) -> None:
    """Refuse an input name that exists but is not a regular file (a folder, a link loop).

    Why: ``Path.is_file`` is false for those, and the entity would be taken for absent.
    """
    if not os.path.lexists(path) or path.is_file():
        return
    if path.is_dir():
        what = "is a folder, not a file"
    elif path.is_symlink():
        what = ("is a symbolic link that cannot be followed (it loops, or its target is "
                "missing)")
    else:
        what = "is not a regular file (a pipe, socket or device)"
    raise IngestionError(f"{path.name} {what}; replace it with the {path.suffix[1:].upper()} "
                         "file, or remove it", source=str(path))


def _fingerprint(files: dict[str, Path]) -> str:
    digest = hashlib.sha256()
    for entity in sorted(files):
        digest.update(entity.encode())
        with files[entity].open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:16]


def _load_table(
    store: GraphStore, table: ValidatedTable, load_id: str, batch_size: int,
    done: set[tuple[str, int]], progress: ProgressCallback | None,
) -> tuple[int, int]:
    """Upsert the valid rows batch by batch; returns (rows written or already there, skipped).

    Batches go to the store ``store.write_concurrency(entity)`` at a time; each is atomic
    with its checkpoint, so the order in which they commit does not matter.
    """
    rows = table.valid.drop(columns=[ROW_COLUMN])
    total = len(rows)
    starts = list(range(0, total, batch_size))
    todo = [(i, start) for i, start in enumerate(starts) if (table.source, i) not in done]
    written = sum(min(batch_size, total - start) for i, start in enumerate(starts)
                  if (table.source, i) in done)

    def write(index: int, start: int) -> int:
        batch = rows.iloc[start:start + batch_size]
        store.upsert(table.spec.name, batch,
                     checkpoint=BatchCheckpoint(load_id, table.source, index))
        return len(batch)

    if progress:
        progress(table.spec.name, written, total)
    workers = max(1, store.write_concurrency(table.spec.name))
    if workers == 1 or len(todo) < 2:
        for index, start in todo:
            written += write(index, start)
            if progress:
                progress(table.spec.name, written, total)
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for future in as_completed([pool.submit(write, i, s) for i, s in todo]):
                written += future.result()
                if progress:
                    progress(table.spec.name, written, total)
    return total, len(starts) - len(todo)


def _seed_named_references(store: GraphStore, specs: list[EntitySpec],
                           files: dict[str, Path]) -> ReferenceIndex:
    """The stored ids among those the files refer to (the files are read once more: they
    are small, and a million stored transaction ids are not)."""
    named: dict[str, set[str]] = {}
    for spec in specs:
        columns = [c for c in spec.columns if c.references]
        if not columns:
            continue
        frame = read_entity_file(files[spec.name], spec).frame
        for column in columns:
            if column.name in frame.columns:
                values = frame[column.name].astype(str).str.strip()
                named.setdefault(str(column.references), set()).update(v for v in values if v)
    refs = ReferenceIndex()
    for entity, ids in sorted(named.items()):
        refs.add(entity, store.existing_among(entity, ids))
    return refs


def _seed_references(store: GraphStore, specs: list[EntitySpec]) -> ReferenceIndex:
    refs = ReferenceIndex()
    referenced = {c.references for spec in specs for c in spec.columns if c.references}
    for entity in sorted(referenced):
        refs.add(entity, store.existing_ids(entity))
    return refs


#: A report cell a spreadsheet would run as a formula (OWASP's list: ``= + - @``, tab, CR).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: ...unless it is a plain number (``-5``, ``+1.5e3``), which no spreadsheet runs.
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _neutralise_cell(value: object) -> object:
    if (isinstance(value, str) and value.startswith(_FORMULA_START)
            and not _PLAIN_NUMBER.fullmatch(value)):
        return "'" + value
    return value


def _neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells cannot run as spreadsheet formulas.

    Why: the report CSVs copy what the input said, and a person opens them in a spreadsheet;
    a cell such as ``=HYPERLINK(...)`` or ``=cmd|...`` would run there (CSV injection). A
    ``'`` in front makes the spreadsheet show it as text. Only the export changes: the store
    keeps the value as it was.
    """
    out = frame.copy()
    for name in out.columns:
        if not pd.api.types.is_numeric_dtype(out[name]):
            out[name] = out[name].astype(object).map(_neutralise_cell)
    return out


def _make_private_dir(path: Path) -> None:
    """Create ``path`` and its missing parents owner-only (0700); existing ones are kept."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
        folder.chmod(0o700)  # mkdir's mode passes through the umask; this does not


def _private_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` as CSV to ``path``, readable by its owner only (0600)."""
    _private_text(_neutralise_formulas(frame).to_csv(index=False), path)


def _private_text(text: str, path: Path) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # a file left by an earlier run keeps its mode otherwise
    with open(descriptor, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)


def _write_reports(report: IngestReport, tables: list[ValidatedTable], reports_dir: Path) -> Path:
    """Write the load's report folder: quarantine.csv, rejected_<entity>.csv, summary.json.

    Everything is owner-only (folders 0700, files 0600): rejected rows are personal data.
    Rejected rows keep only the columns of the input format, never a column the run ignored.
    """
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = reports_dir / f"{stamp}-{report.load_id[:8]}"
    _make_private_dir(out)
    quarantine = pd.DataFrame(
        [{"file": p.source, "row": p.row, "column": p.column, "value": p.value,
          "severity": p.severity, "reason": p.reason} for p in report.problems],
        columns=["file", "row", "column", "value", "severity", "reason"],
    )
    # An integer column with gaps: file-level lines have no row, and must not turn 2 into 2.0.
    quarantine["row"] = quarantine["row"].astype("Int64")
    _private_csv(quarantine, out / "quarantine.csv")
    for table in tables:
        if len(table.rejected):
            columns = [c for c in table.spec.column_names if c in table.rejected.columns]
            rejected = table.rejected[[*columns, ROW_COLUMN]].rename(
                columns={ROW_COLUMN: "source_row"})
            _private_csv(rejected, out / f"rejected_{table.spec.name}.csv")
    _private_text(json.dumps(report.summary(), indent=2), out / "summary.json")
    return out


def _skip_reason(raw: RawTable) -> str | None:
    """Why the reader could not use the file at all, or ``None`` when it read its rows.

    A skipped file is one the reader handed no row of, with an error about the file (no row
    number) or about its header (row 1), and no error about one of its data rows: a file
    whose every row was lost one by one (each with its own reason) is not a skip.
    """
    if not raw.frame.empty:
        return None
    errors = [p for p in raw.problems if p.severity == "error"]
    if any(p.row is not None and p.row > 1 for p in errors):
        return None
    file_level = [p for p in errors if p.row is None or p.row == 1]
    if not file_level:
        return None
    why = [p.reason for p in file_level if not p.reason.startswith("file skipped")]
    return "; ".join(why or [p.reason for p in file_level])


def _dropped_rows(path: Path, raw: RawTable, skipped: bool) -> pd.DataFrame:
    """The rows the reader did not hand on, in the format's columns, as the file has them.

    Why here: the reader returns the rows it could use and a problem per row it dropped (a
    wrong field count, bad bytes) or one per skipped file, but not the dropped rows
    themselves; the rejected-row report promises them, and their ids explain why rows that
    refer to them are quarantined. So they are read again — only when some were dropped.
    Fields go to the header's columns by position; fields beyond the header, and columns
    outside the format, are left out.
    """
    spec = raw.spec
    kept = set(raw.frame[ROW_COLUMN].tolist())
    wanted = None if skipped else {
        p.row for p in raw.problems
        if p.severity == "error" and p.row is not None and p.row > 1 and p.row not in kept}
    if (skipped and not raw.rows_read) or wanted == set():
        return _empty_rows(spec.column_names)
    try:
        if path.suffix == ".parquet":
            found = _parquet_rows(path, spec, wanted)
        else:
            found = _csv_rows(path, spec.column_names, wanted)
    except (OSError, ValueError, csv.Error) as exc:  # pyarrow's errors derive from the first two
        logger.warning("%s: cannot read the dropped rows again for the report (%s); the "
                       "report lists their row numbers only", path.name, exc)
        found = _empty_rows(spec.column_names)
        if wanted:
            found = pd.DataFrame({ROW_COLUMN: sorted(wanted)}).reindex(
                columns=[*spec.column_names, ROW_COLUMN], fill_value="")
    return found


def _empty_rows(columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame({name: pd.Series([], dtype=object) for name in columns})
    frame[ROW_COLUMN] = pd.Series([], dtype="int64")
    return frame


def _shown(value: str) -> str:
    """A field as text that can be written out: each byte that is not UTF-8 as ``\\xNN``
    (no encoding is guessed: a wrong guess would show a wrong name)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return value


def _csv_rows(path: Path, columns: list[str], wanted: set[int] | None) -> pd.DataFrame:
    text, _ = decode_text(path.read_bytes())  # as the reader decoded it
    reader = csv.reader(io.StringIO(text, newline=""), strict=False)
    header = [h.strip() for h in next(reader, [])]
    position: dict[str, int] = {}
    for index, name in enumerate(header):
        if name in columns:
            position.setdefault(name, index)
    rows: list[dict[str, object]] = []
    previous = reader.line_num
    for record in reader:
        start, previous = previous + 1, reader.line_num
        if not record or (len(record) == 1 and not record[0].strip()):
            continue  # a blank line is not a row
        if wanted is None or start in wanted:
            row: dict[str, object] = {name: _shown(record[i]) if i < len(record) else ""
                                      for name, i in position.items()}
            row[ROW_COLUMN] = start
            rows.append(row)
    return pd.DataFrame(rows).reindex(columns=[*columns, ROW_COLUMN], fill_value="")


def _parquet_rows(path: Path, spec: EntitySpec, wanted: set[int] | None) -> pd.DataFrame:
    import pyarrow.parquet as pq

    from graphrisk.ingestion.arrow_values import arrow_column_to_text

    columns = spec.column_names
    table = pq.read_table(path, columns=[c for c in columns if c in pq.read_schema(path).names])
    kinds = {column.name: column.kind for column in spec.columns}
    # The reader's one typed conversion, so a rejected row shows what the reader read.
    frame = pd.DataFrame({name: arrow_column_to_text(table.column(name), kinds[name])
                          for name in table.column_names})
    frame[ROW_COLUMN] = range(1, len(frame) + 1)  # the record number, as the reader counts
    if wanted is not None:
        frame = frame[frame[ROW_COLUMN].isin(wanted)]
    return frame.reindex(columns=[*columns, ROW_COLUMN], fill_value="")


def _with_dropped(table: ValidatedTable, dropped: pd.DataFrame) -> ValidatedTable:
    """``table`` with the reader's dropped rows among its rejected rows, in row order."""
    if dropped.empty:
        return table
    rejected = pd.concat([table.rejected.astype({c: object for c in table.rejected.columns
                                                  if c != ROW_COLUMN}), dropped],
                         ignore_index=True)
    table.rejected = rejected.sort_values(ROW_COLUMN, kind="stable").reset_index(drop=True)
    return table


def _bulk_import(store: GraphStore, rows: dict[str, pd.DataFrame], server: LocalNeo4jServer,
                 progress: ProgressCallback | None) -> None:
    """Replace the empty database with ``rows`` (the offline importer), then count them in."""
    from graphrisk.store.neo4j_bulk import bulk_import

    if progress:
        for entity, frame in rows.items():
            progress(entity, 0, len(frame))
    done = bulk_import(store, rows, server)
    logger.info("bulk import: %s", {k: round(v, 1) for k, v in done.seconds.items()})
    if progress:
        for entity, frame in rows.items():
            progress(entity, len(frame), len(frame))


def ingest_directory(
    store: GraphStore,
    directory: Path,
    *,
    batch_size: int | None = None,
    reports_dir: Path | None = None,
    progress: ProgressCallback | None = None,
    keep_accepted: bool = False,
    targeted_references: bool = False,
    bulk: LocalNeo4jServer | None = None,
) -> IngestReport:
    """Validate and load every input file in ``directory`` into ``store``.

    Files are loaded in dependency order (customers before accounts before transactions), so
    references can be checked against rows loaded earlier in the same run or already stored.

    Args:
        store: where valid rows go.
        directory: a folder with ``customers.csv``, ``accounts.csv``... (or ``.parquet``).
        batch_size: rows per committed batch; ``None`` takes the store's preferred size.
        reports_dir: where the quarantine report is written (a sub-folder per load);
            ``None`` writes none.
        progress: called after each batch.
        keep_accepted: keep each entity's valid rows on the report (``accepted``); for small
            incremental batches, not for bulk loads.
        targeted_references: check references by looking up only the ids the files name
            (a small batch against a large store) instead of reading every stored id.
        bulk: the local Neo4j server whose empty database the valid rows replace through
            Neo4j's offline importer (:mod:`graphrisk.store.neo4j_bulk`) instead of batches;
            validation, quarantine and the load's record are the same as a batched load's.

    Raises:
        ConfigError: with ``bulk``, the store is not Neo4j or its database is not empty.

    Returns:
        What was read, loaded and rejected, with every problem found.
    """
    started = datetime.now(UTC)
    batch_size = batch_size or store.preferred_batch_size
    files = find_input_files(directory)
    if bulk is not None:
        from graphrisk.store.neo4j_bulk import check_empty

        check_empty(store)  # before any work: the importer would replace what is there
    load_id = _fingerprint(files)
    report = IngestReport(load_id=load_id, directory=directory)
    missing = [entity for entity in REQUIRED_ENTITIES if entity not in files]
    for entity in missing:
        if not store.has_rows(entity):
            report.problems.append(Problem(
                f"{entity}.csv", None, None, None,
                f"no {entity} file here and none in the store; rows that refer to {entity} "
                "will be rejected", severity="warning",
            ))
    specs = [spec for spec in ENTITIES if spec.name in files]
    refs = (_seed_named_references(store, specs, files) if targeted_references
            else _seed_references(store, specs))
    sources = {name: str(path) for name, path in files.items()}
    done: set[tuple[str, int]] = set()
    if bulk is None:
        store.begin_load(load_id, sources)
        done = store.completed_batches(load_id)
    bulk_rows: dict[str, pd.DataFrame] = {}
    validated = []
    for spec in specs:
        raw = read_entity_file(files[spec.name], spec)
        skip_reason = _skip_reason(raw)
        table = _with_dropped(validate_table(raw, refs),
                              _dropped_rows(files[spec.name], raw, skip_reason is not None))
        validated.append(table)
        if len(spec.key) == 1:
            refs.add(spec.name, table.valid[spec.key[0]])
            refs.reject(spec.name, table.rejected.get(spec.key[0], pd.Series([], dtype=object)))
        if bulk is None:
            loaded, batches_skipped = _load_table(store, table, load_id, batch_size, done,
                                                  progress)
        else:
            bulk_rows[spec.name] = table.valid.drop(columns=[ROW_COLUMN])
            loaded, batches_skipped = len(bulk_rows[spec.name]), 0
        if keep_accepted:
            report.accepted[spec.name] = table.valid.drop(columns=[ROW_COLUMN], errors="ignore")
        report.problems.extend(table.problems)
        report.tables.append(TableReport(
            spec.name, table.source, table.rows_read, loaded, len(table.rejected),
            batches_skipped, skip_reason,
        ))
        logger.info("%s: %d loaded, %d rejected", table.source, loaded, len(table.rejected))
    if bulk is not None:
        _bulk_import(store, bulk_rows, bulk, progress)
        store.begin_load(load_id, sources)  # recorded in the database it replaced
    report.seconds = (datetime.now(UTC) - started).total_seconds()
    if reports_dir is not None:
        report.report_dir = _write_reports(report, validated, reports_dir)
    store.finish_load(load_id, report.summary())
    return report
