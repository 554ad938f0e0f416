"""Load a folder of input files into a store: read, validate, quarantine, upsert in batches.

Why batches with checkpoints: each batch is committed together with a marker naming the load
and the batch, so a load killed half-way leaves whole batches only, and running the same load
again skips what was committed and finishes the rest. Upserts make any re-load idempotent.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from graphrisk.domain import ENTITIES, REQUIRED_ENTITIES, EntitySpec
from graphrisk.errors import IngestionError
from graphrisk.ingestion.reader import ROW_COLUMN, Problem, read_entity_file
from graphrisk.ingestion.validation import ReferenceIndex, ValidatedTable, validate_table
from graphrisk.store.base import BatchCheckpoint, GraphStore

__all__ = ["IngestReport", "TableReport", "find_input_files", "ingest_directory"]

logger = logging.getLogger(__name__)

#: ``progress(entity, rows_done, rows_total)`` — the CLI turns it into a progress bar.
ProgressCallback = Callable[[str, int, int], None]
_SUFFIXES = (".csv", ".parquet")


@dataclass(frozen=True)
class TableReport:
    """What happened to one input file."""

    entity: str
    source: str
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    batches_skipped: int


@dataclass
class IngestReport:
    """The outcome of one load, with where its reports were written."""

    load_id: str
    directory: Path
    tables: list[TableReport] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    report_dir: Path | None = None
    seconds: float = 0.0

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

    def summary(self) -> dict[str, object]:
        return {
            "load_id": self.load_id,
            "directory": str(self.directory),
            "rows_read": self.rows_read,
            "rows_loaded": self.rows_loaded,
            "rows_rejected": self.rows_rejected,
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


def _seed_references(store: GraphStore, specs: list[EntitySpec]) -> ReferenceIndex:
    refs = ReferenceIndex()
    referenced = {c.references for spec in specs for c in spec.columns if c.references}
    for entity in sorted(referenced):
        refs.add(entity, store.existing_ids(entity))
    return refs


def _write_reports(report: IngestReport, tables: list[ValidatedTable], reports_dir: Path) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = reports_dir / f"{stamp}-{report.load_id[:8]}"
    out.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(
        [{"file": p.source, "row": p.row, "column": p.column, "value": p.value,
          "severity": p.severity, "reason": p.reason} for p in report.problems],
        columns=["file", "row", "column", "value", "severity", "reason"],
    ).to_csv(out / "quarantine.csv", index=False)
    for table in tables:
        if len(table.rejected):
            rejected = table.rejected.rename(columns={ROW_COLUMN: "source_row"})
            rejected.to_csv(out / f"rejected_{table.spec.name}.csv", index=False)
    (out / "summary.json").write_text(json.dumps(report.summary(), indent=2))
    return out


def ingest_directory(
    store: GraphStore,
    directory: Path,
    *,
    batch_size: int | None = None,
    reports_dir: Path | None = None,
    progress: ProgressCallback | None = None,
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

    Returns:
        What was read, loaded and rejected, with every problem found.
    """
    started = datetime.now(UTC)
    batch_size = batch_size or store.preferred_batch_size
    files = find_input_files(directory)
    load_id = _fingerprint(files)
    report = IngestReport(load_id=load_id, directory=directory)
    missing = [entity for entity in REQUIRED_ENTITIES if entity not in files]
    stored = store.counts() if missing else {}
    for entity in missing:
        if not stored.get(entity):
            report.problems.append(Problem(
                f"{entity}.csv", None, None, None,
                f"no {entity} file here and none in the store; rows that refer to {entity} "
                "will be rejected", severity="warning",
            ))
    specs = [spec for spec in ENTITIES if spec.name in files]
    refs = _seed_references(store, specs)
    store.begin_load(load_id, {name: str(path) for name, path in files.items()})
    done = store.completed_batches(load_id)
    validated = []
    for spec in specs:
        table = validate_table(read_entity_file(files[spec.name], spec), refs)
        validated.append(table)
        if len(spec.key) == 1:
            refs.add(spec.name, table.valid[spec.key[0]])
            refs.reject(spec.name, table.rejected.get(spec.key[0], pd.Series([], dtype=object)))
        loaded, skipped = _load_table(store, table, load_id, batch_size, done, progress)
        report.problems.extend(table.problems)
        report.tables.append(TableReport(
            spec.name, table.source, table.rows_read, loaded, len(table.rejected), skipped,
        ))
        logger.info("%s: %d loaded, %d rejected", table.source, loaded, len(table.rejected))
    report.seconds = (datetime.now(UTC) - started).total_seconds()
    if reports_dir is not None:
        report.report_dir = _write_reports(report, validated, reports_dir)
    store.finish_load(load_id, report.summary())
    return report
