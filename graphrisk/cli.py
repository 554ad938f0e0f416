"""The ``graphrisk`` command: generate, ingest, import, inspect, score and demo.

The CLI is a thin face over :class:`graphrisk.service.RiskService`: each command turns its
options into one service call and the result into tables; progress arrives as
:class:`~graphrisk.service.ProgressEvent` and is drawn as Rich bars. Domain errors become one
red line and exit code 2. Converters of public data sets (``graphrisk import``) are imported
lazily inside their commands.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from graphrisk.config import StoreKind, get_settings
from graphrisk.errors import GraphRiskError
from graphrisk.service import (
    MIN_SAMPLE_CUSTOMERS,
    ProgressEvent,
    RiskService,
    convert_public_dataset,
    generate_sample,
    read_policy,
    settings_for,
)

if TYPE_CHECKING:
    from graphrisk.ingestion.loader import IngestReport

app = typer.Typer(
    help="GraphRisk: find high-risk customers in a customer network, on a graph.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
import_app = typer.Typer(help="Convert a public data set into GraphRisk's input format.",
                         no_args_is_help=True)
app.add_typer(import_app, name="import")
neo4j_app = typer.Typer(help="Run the local Neo4j server (5.26 LTS with GDS and APOC, from "
                        "Maven Central; no Docker needed).", no_args_is_help=True)
app.add_typer(neo4j_app, name="neo4j")
reports_app = typer.Typer(help="The quarantine reports of past loads (they copy rejected rows, "
                          "so they hold personal data): list them, purge old ones.",
                          no_args_is_help=True)
app.add_typer(reports_app, name="reports")
console = Console()
err_console = Console(stderr=True, soft_wrap=True)

_MAX_PROBLEMS_SHOWN = 15


@contextmanager
def _friendly_errors() -> Iterator[None]:
    """Show a GraphRisk error as one red line and exit 2, instead of a traceback."""
    try:
        yield
    except GraphRiskError as exc:
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}")
        raise typer.Exit(code=2) from exc


#: ``--overwrite``: an existing export is replaced only when asked.
OverwriteOption = Annotated[bool, typer.Option(
    "--overwrite", help="Replace the export file if it exists (by default an existing file "
    "stops the command before any work).")]


def _output(path: Path | None, overwrite: bool) -> None:
    """Check an output file before the work that fills it (one red line when it can't be)."""
    if path is not None:
        from graphrisk.presentation import check_output_file

        with _friendly_errors():
            check_output_file(path, overwrite=overwrite)


def _warn_about_running_loads(service: RiskService) -> None:
    running = service.unfinished_loads()
    if running:
        console.print(f"[yellow]warning: load {', '.join(running)} has not finished (it is "
                      "running, or was interrupted): the scores cover only what it had "
                      "committed. Re-run that `graphrisk ingest` to complete it.[/]")


#: ``--store``: validated by :func:`graphrisk.service.settings_for` (an unknown name is one
#: red line and exit code 2, not a traceback).
StoreOption = Annotated[str | None, typer.Option(
    "--store", help=f"{' or '.join(kind.value for kind in StoreKind)} (default: "
    "GRAPHRISK_STORE, else embedded).")]


@contextmanager
def _service(store: str | None) -> Iterator[RiskService]:
    """The service over the configured store (or the one ``--store`` names), closed after."""
    with _friendly_errors():
        service = RiskService.open(settings_for(store))
    try:
        with _friendly_errors():
            yield service
    finally:
        service.close()


class _Bars:
    """Draws :class:`ProgressEvent` s as Rich bars: one bar per task, a spinner-like bar for
    work that cannot be counted."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._tasks: dict[str, Any] = {}

    def __call__(self, event: ProgressEvent) -> None:
        total = event.total if event.total else None
        if event.task not in self._tasks:
            self._tasks[event.task] = self._progress.add_task(
                event.task, total=total, step=event.message)
        self._progress.update(self._tasks[event.task], total=total,
                              completed=event.done or 0, step=event.message)


@contextmanager
def _bars(*, transient: bool = False) -> Iterator[_Bars]:
    """Rich bars for :class:`ProgressEvent` s; ``transient`` ones vanish when the work ends
    (the demo prints its own summary of each step)."""
    with Progress(
        TextColumn("[bold]{task.description:<16}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[step]}"), TimeElapsedColumn(), console=console,
        transient=transient,
    ) as progress:
        yield _Bars(progress)


def _print_ingest_report(report: IngestReport) -> None:
    table = Table(title=f"Load {report.load_id} from {report.directory}")
    for name in ("file", "read", "loaded", "rejected"):
        table.add_column(name, justify="left" if name == "file" else "right")
    for t in report.tables:
        table.add_row(t.source, f"{t.rows_read:,}", f"{t.rows_loaded:,}",
                      f"[red]{t.rows_rejected:,}[/]" if t.rows_rejected else "0")
    console.print(table)
    rate = report.rows_loaded / report.seconds if report.seconds else 0.0
    skipped = report.skipped_tables
    files = (f"; [red]{len(skipped)} file{'' if len(skipped) == 1 else 's'} skipped[/]"
             if skipped else "")
    console.print(f"{report.rows_loaded:,} rows loaded in {report.seconds:.1f} s "
                  f"({rate:,.0f} rows/s); {report.rows_rejected:,} rows quarantined{files}.")
    for t in skipped:
        lost = f" (none of its {t.rows_read:,} rows loaded)" if t.rows_read else ""
        console.print(f"  [red]skipped {escape(t.source)}[/]{lost}: {escape(t.skipped or '')}",
                      highlight=False)
    if report.resumed:
        console.print("[yellow]Resumed an earlier run of this load: batches it had committed "
                      "were skipped.[/]")
    shown = report.problems[:_MAX_PROBLEMS_SHOWN]
    for problem in shown:
        colour = "red" if problem.severity == "error" else "yellow"
        console.print(f"  [{colour}]{problem.severity}[/] {problem.line()}", highlight=False)
    if len(report.problems) > len(shown):
        console.print(f"  ... and {len(report.problems) - len(shown)} more")
    if report.report_dir:
        console.print(f"Quarantine report: {report.report_dir / 'quarantine.csv'}")


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log details.")] = False
         ) -> None:
    """GraphRisk command line."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if not verbose:  # the driver logs each retried transient error; the retry is the point
        logging.getLogger("neo4j").setLevel(logging.ERROR)


@app.command()
def generate(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the files to.")],
    customers: Annotated[int, typer.Option(
        min=MIN_SAMPLE_CUSTOMERS, help="Number of customers (enough to plant every "
        "typology).")] = 10_000,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same files.")
                    ] = 42,
    file_format: Annotated[str, typer.Option("--format", help="csv or parquet.")] = "csv",
    profile: Annotated[str | None, typer.Option(
        help="A bank unlike the default: amounts_x0.01, amounts_x100, hourly, "
        "slow_typologies, accounts_only, dense_background, sparse_background, "
        "wide_typologies, known_10, known_30, known_60, outside_like "
        "(docs/robustness.md).")] = None,
    synthetic_identities: Annotated[bool, typer.Option(
        "--synthetic-identities", help="Add about 1% more customer records that are people "
        "of the bank under variant names, and counterparties that are customers' accounts "
        "elsewhere, for entity resolution (truth/same_person.csv, "
        "truth/outside_accounts.csv)."
    )] = False,
) -> None:
    """Generate a synthetic customer network with planted high-risk typologies."""
    from graphrisk.ingestion.generator.profiles import PROFILES

    if file_format not in ("csv", "parquet"):
        raise typer.BadParameter("--format must be csv or parquet")
    if profile is not None and profile not in PROFILES:
        raise typer.BadParameter(f"--profile must be one of {', '.join(PROFILES)}; got "
                                 f"{profile!r}")
    with _friendly_errors(), _bars() as bars:
        summary = generate_sample(customers, seed, out, file_format=file_format, progress=bars,
                                  synthetic_identities=synthetic_identities, profile=profile)
    console.print(
        f"Wrote {summary.n_customers:,} customers and "
        f"{summary.rows.get('transactions', 0):,} transactions to {out} in "
        f"{summary.seconds:.1f} s; {summary.n_risky:,} planted risky customers, "
        f"{summary.n_known:,} of them with a known label. Ground truth: {out / 'truth'}"
    )


@app.command()
def ingest(
    directory: Annotated[Path, typer.Argument(help="Folder with customers.csv, accounts.csv...")],
    store: StoreOption = None,
    strict: Annotated[bool, typer.Option(help="Exit with code 1 if any row was quarantined "
                                         "(a file skipped whole always exits 1).")] = False,
    incremental: Annotated[bool, typer.Option(
        "--incremental", help="A small batch of new events: load it, re-score the customers "
        "it reaches, raise alerts and open or join cases.")] = False,
    bulk: Annotated[bool, typer.Option(
        "--bulk", help="First load of an empty local Neo4j: write the valid rows as CSV files "
        "for Neo4j's offline importer, stop the server, import, start it again (refused when "
        "the database holds anything; later loads stay batched).")] = False,
) -> None:
    """Validate and load a folder of input files; bad rows go to a quarantine report.

    With --incremental the folder is a batch of new events (transactions, disputes,
    identifiers, account changes): after the load, monitoring checks the alert rules,
    re-scores the affected neighbourhood and files alerts into cases.

    Exit codes: 0 loaded (rows may be quarantined); 1 a file was skipped whole, or with
    --strict a row was quarantined; 2 the load could not run (no such folder, no input
    files, an input that is not a file, the store unreachable).
    """
    if bulk and incremental:
        raise typer.BadParameter("--bulk is for the first load of an empty database, "
                                 "--incremental for later batches: give one of them")
    if incremental:
        from graphrisk.cli_monitoring import print_batch

        with _service(store) as service, _bars(transient=True) as bars:
            done = service.monitoring.ingest_incremental(directory, progress=bars)
        _print_ingest_report(done.report)
        print_batch(done.outcome)
        if done.screening is not None:
            console.print(f"screening: {done.screening.summary()}", highlight=False)
        code = done.exit_code(strict=strict)
        if code:
            raise typer.Exit(code=code)
        return
    with _service(store) as service, _bars() as bars:
        report = service.ingest_folder(directory, progress=bars, bulk=bulk)
    _print_ingest_report(report)
    code = report.exit_code(strict=strict)
    if code:
        raise typer.Exit(code=code)


def _ingest_folder(folder: Path) -> None:
    """Load a converted data set into the configured store, with progress and a report."""
    with _service(None) as service, _bars() as bars:
        report = service.ingest_folder(folder, progress=bars)
    _print_ingest_report(report)
    code = report.exit_code()
    if code:
        raise typer.Exit(code=code)


@import_app.command("berka")
def import_berka(
    source: Annotated[Path | None, typer.Argument(
        help="The berka_pkdd99 folder (default: ../shared/datasets/berka_pkdd99).")] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the input files.")
                   ] = Path("berka-input"),
    load: Annotated[bool, typer.Option("--ingest/--no-ingest",
                                       help="Also load the converted files.")] = True,
) -> None:
    """Convert the Berka (PKDD'99) bank into input files, and load them."""
    with _friendly_errors():
        folder, summary = convert_public_dataset("berka", source, out)
        console.print(f"Converted Berka from {folder} into {out}: " + ", ".join(
            f"{n:,} {entity}" for entity, n in summary.rows.items()))
        if load:
            _ingest_folder(out)


@import_app.command("fdcompcn")
def import_fdcompcn(
    source: Annotated[Path | None, typer.Argument(
        help="The fdcompcn folder (default: ../shared/datasets/fdcompcn).")] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the input files.")
                   ] = Path("fdcompcn-input"),
    labels: Annotated[str, typer.Option(
        help="Comma-separated splits whose fraud labels are written (train, valid, test); "
             "`train,valid` keeps the test labels out of the store.")] = "train,valid,test",
    load: Annotated[bool, typer.Option("--ingest/--no-ingest",
                                       help="Also load the converted files.")] = True,
) -> None:
    """Convert FDCompCN (listed-company fraud, SplitGNN) into input files, and load them."""
    with _friendly_errors():
        try:
            folder, summary = convert_public_dataset(
                "fdcompcn", source, out,
                label_splits=[s.strip() for s in labels.split(",") if s.strip()])
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--labels") from exc
        console.print(f"Converted FDCompCN from {folder} into {out}: " + ", ".join(
            f"{n:,} {entity}" for entity, n in summary.rows.items()))
        for note in summary.notes:
            console.print(f"  {escape(note)}")
        if load:
            _ingest_folder(out)


@app.command()
def status(store: StoreOption = None) -> None:
    """Show what the store holds, its loads, and whether it is consistent."""
    with _service(store) as service:
        found = service.status()
    counts, loads, problems = found.counts, found.loads, found.problems
    table = Table(title=found.where)
    table.add_column("entity")
    table.add_column("rows", justify="right")
    for entity, n in counts.items():
        table.add_row(entity, f"{n:,}")
    console.print(table)
    for row in loads.itertuples():
        colour = "green" if row.status == "completed" else "yellow"
        console.print(f"load {row.load_id} [{colour}]{row.status}[/] started {row.started_at}")
        if row.status != "completed":
            console.print("  this load did not finish: run the same `graphrisk ingest` again to "
                          "complete it")
    if problems:
        for problem in problems:
            err_console.print(f"[red]inconsistent:[/] {problem}")
        raise typer.Exit(code=1)
    console.print("[green]store is consistent[/]")


@app.command()
def neighbourhood(
    node: Annotated[str, typer.Argument(help="A customer id, or Label:id (Account:A1).")],
    hops: Annotated[int, typer.Option(min=0, max=5)] = 2,
    limit: Annotated[int, typer.Option(min=1)] = 200,
    store: StoreOption = None,
) -> None:
    """List the nodes and relationships around a customer (or any node)."""
    with _service(store) as service:
        sub = service.neighbourhood(node, hops=hops, limit=limit)
    console.print(f"[bold]{len(sub.nodes)} nodes, {len(sub.relationships)} relationships "
                  f"within {hops} hops of {sub.centre}[/]"
                  + (" (truncated at the limit)" if sub.truncated else ""))
    for rel in sub.relationships:
        props = ", ".join(f"{k}={v}" for k, v in rel.properties)
        console.print(f"  ({rel.start})-[:{rel.type.value}{' {' + props + '}' if props else ''}]"
                      f"->({rel.end})", highlight=False)


@app.command()
def path(
    start: Annotated[str, typer.Argument(help="Customer id or Label:id.")],
    end: Annotated[str, typer.Argument(help="Customer id or Label:id.")],
    max_hops: Annotated[int, typer.Option(min=1, max=10)] = 6,
    store: StoreOption = None,
) -> None:
    """Show a shortest path between two customers (or any two nodes)."""
    with _service(store) as service:
        found = service.path(start, end, max_hops=max_hops)
    if found is None:
        console.print(f"No path of at most {max_hops} hops between {start} and {end}.")
        raise typer.Exit(code=1)
    parts = [f"({found.nodes[0]})"]
    for rel, node_ref in zip(found.relationships, found.nodes[1:], strict=True):
        parts.append(f"-[:{rel.value}]-({node_ref})")
    console.print(f"{found.length} hops: " + "".join(parts), highlight=False)


@app.command()
def score(
    export: Annotated[Path | None, typer.Option(
        help="Write one row per customer (id, score, tier, reasons, evidence) to this CSV.")
    ] = None,
    top: Annotated[int, typer.Option(min=0, help="Customers to show.")] = 10,
    store: StoreOption = None,
    write: Annotated[bool, typer.Option(
        "--write/--no-write", help="Store the run in the score history.")] = True,
    model_dir: Annotated[Path | None, typer.Option(
        "--model", help="Also fuse this trained graph model's probability (graphrisk train).")
    ] = None,
    overwrite: OverwriteOption = False,
    verbose: Annotated[bool, typer.Option(
        "--verbose", "-v", help="Also say what each score component worked on.")] = False,
    explain: Annotated[int | None, typer.Option(
        "--explain", min=0, help="With --model: how many of the best-scored medium and high "
        "customers get the model's own reasons (about 20 ms each; default 100); the others "
        "get a pointer to graphrisk explain.")] = None,
) -> None:
    """Score every customer 0-100, grade them low/medium/high, and say why."""
    from graphrisk.presentation import (
        export_scores,
        print_coverage,
        print_fusion,
        print_scores,
        print_tier_counts,
    )

    _output(export, overwrite)
    with _service(store) as service:
        _warn_about_running_loads(service)
        with _bars() as bars:
            result = service.score(write=write, model_dir=model_dir, progress=bars,
                                   model_explanations=explain)
        policy = service.policy
    print_scores(console, result, top)
    print_tier_counts(console, result, policy)
    print_coverage(console, result, verbose=verbose)
    print_fusion(console, result)
    seconds = sum(result.timings.values())
    console.print(f"Run {result.run_id} ({result.engine} engine) scored {len(result.scores):,} "
                  f"customers in {seconds:.1f} s" + ("; stored in the score history." if write
                                                     else "; not stored (--no-write)."))
    if export:
        with _friendly_errors():
            rows = export_scores(result, export)
        console.print(f"Wrote {rows:,} customers to {export}")


@app.command()
def clusters(
    export: Annotated[Path | None, typer.Option(
        help="Write every cluster (members, size, density, known share, flow, reason) to "
        "this CSV.")] = None,
    top: Annotated[int, typer.Option(min=0, help="Clusters to show.")] = 10,
    store: StoreOption = None,
    overwrite: OverwriteOption = False,
) -> None:
    """Rank groups of customers (identity rings, money communities, typologies) by risk."""
    from graphrisk.presentation import export_clusters, print_clusters

    _output(export, overwrite)
    with _service(store) as service:
        _warn_about_running_loads(service)
        with _bars() as bars:
            result = service.score(write=False, progress=bars)
    found = result.clusters
    high = int(found["high_risk"].sum()) if not found.empty else 0
    print_clusters(console, found, top)
    console.print(f"{len(found):,} clusters, {high:,} of them high-risk "
                  f"({result.engine} engine).")
    if export:
        with _friendly_errors():
            rows = export_clusters(found, export)
        console.print(f"Wrote {rows:,} clusters to {export}")


@app.command()
def train(
    out: Annotated[Path | None, typer.Option(
        help="Model folder (default $GRAPHRISK_HOME/models/<model>).")] = None,
    model: Annotated[str, typer.Option(
        help="auto (the default): cross-validate hgt and sage on the known labels (--cv-folds "
        "x --cv-repeats folds), keep the better one when the difference is beyond noise, else "
        "an ensemble of both; 4.3 minutes on a generated bank of 5,000 customers on 2 CPU "
        "cores, against 74 s for hgt alone and 26 s for sage (README, Graph model). hgt: the "
        "Heterogeneous Graph Transformer; sage: GraphSAGE, faster.")] = "auto",
    epochs: Annotated[int, typer.Option(min=1, help="Most training epochs.")] = 200,
    seed: Annotated[int, typer.Option(help="Seed; the same seed gives the same model.")] = 0,
    batch_size: Annotated[int | None, typer.Option(
        help="Customers per mini-batch with neighbour sampling (default: full batch).")
    ] = None,
    split: Annotated[str, typer.Option(
        help="time: the customers onboarded first train (60 %), the next validate (20 %), "
        "the newest test (20 %); hash: by a hash of the customer id. time falls back to hash "
        "when onboarding dates are all missing or equal.")] = "time",
    cv_folds: Annotated[int, typer.Option(
        min=2, help="--model auto: folds over the train and validation customers (the test "
        "customers never enter).")] = 3,
    cv_repeats: Annotated[int, typer.Option(
        min=1, help="--model auto: how many times the folds are dealt again.")] = 2,
    cv_epochs: Annotated[int, typer.Option(
        min=1, help="--model auto: most epochs per fold (early stopping usually ends a fold "
        "sooner).")] = 100,
    cv_threshold: Annotated[float, typer.Option(
        min=0.0, help="--model auto: how many corrected standard errors the mean paired "
        "PR-AUC difference must exceed for one architecture to win alone.")] = 2.0,
    store: StoreOption = None,
) -> None:
    """Train a graph neural network on the customers with a known risk label."""
    if split not in ("time", "hash"):
        raise typer.BadParameter(f"{split!r} is not one of 'time', 'hash'",
                                 param_hint="'--split'")
    if model not in ("auto", "hgt", "sage", "hgt_pyg"):
        raise typer.BadParameter(f"{model!r} is not one of 'auto', 'hgt', 'sage', 'hgt_pyg'",
                                 param_hint="'--model'")
    # Settings, not a SelectionConfig: the service imports the model code only once it has
    # checked that torch is there (and says how to install it where not).
    selection = ({"folds": cv_folds, "repeats": cv_repeats, "epochs": cv_epochs,
                  "threshold": cv_threshold} if model == "auto" else None)
    with _service(store) as service, console.status("training") as status:
        run = service.train(out=out, model=model, epochs=epochs, seed=seed,
                            batch_size=batch_size, split=split, selection=selection,
                            progress=lambda event: status.update(event.message))
    m = run.metrics
    if m["split"] != split:
        console.print("Note: the onboarding dates are all missing or equal, so the customers "
                      "were split by a hash of their id instead of by time.")
    console.print(f"Split: {m['split_detail']}"
                  + (f"; test customers onboarded from {m['test_onboarded_from']}"
                     if m.get("test_onboarded_from") else ""))
    chosen = m.get("selection")
    if chosen is not None:
        _print_selection(chosen)
    kind = m.get("model", model)
    members = m.get("members") or {}
    what = f"the {kind} ensemble" if members else kind
    epochs_note = (", ".join(f"{k} {f['best_epoch']}" for k, f in members.items())
                   if members else str(run.best_epoch))
    console.print(f"Trained {what} in {run.train_seconds:.0f} s (best epoch "
                  f"{escape(epochs_note)})"
                  + (f" after {chosen['seconds']:.0f} s of cross-validation"
                     if chosen and chosen["folds"] else "")
                  + f"; saved to {run.path}")
    console.print(f"Held-out customers ({m['test_customers']:,}, {m['test_known_risk']:,} with a "
                  f"known label): ROC-AUC {m['test_roc_auc']:.3f}, PR-AUC "
                  f"{m['test_pr_auc']:.3f}, recall in the top 1% {m['test_recall_at_1pct']:.3f}"
                  + (" (the averaged probability)" if members else ""))
    for member, figures in members.items():
        console.print(f"  member {member}: ROC-AUC {figures['test_roc_auc']:.3f}, PR-AUC "
                      f"{figures['test_pr_auc']:.3f}")
    console.print(f"Report: {run.path / 'report.json'}; precision-recall curve: "
                  f"{run.path / 'pr_curve.png'}")


def _print_selection(chosen: dict[str, Any]) -> None:
    """``graphrisk train --model auto``'s cross-validation: a row per model, the decision."""
    settings = chosen["settings"]
    if not chosen["folds"]:
        console.print(f"Architecture: {escape(chosen['reason'])}")
        return
    words = {"pr_auc": "PR-AUC", "roc_auc": "ROC-AUC"}
    table = Table(title=f"Cross-validation: {settings['folds']} folds x {settings['repeats']} "
                        "repeats over the train and validation customers",
                  caption="ensemble: the averaged probability of the folds' models, for "
                          "information")
    for column in ("model", "folds", "PR-AUC mean", "sd", "ROC-AUC mean", "sd"):
        table.add_column(column, justify="left" if column == "model" else "right")
    for name, s in chosen["summary"].items():
        table.add_row(name, str(s["folds"]), f"{s['pr_auc_mean']:.3f}", f"{s['pr_auc_sd']:.3f}",
                      f"{s['roc_auc_mean']:.3f}", f"{s['roc_auc_sd']:.3f}")
    console.print(table)
    for d in chosen["differences"]:
        console.print(f"Paired difference {d['best']} - {d['against']}: {words[d['metric']]} "
                      f"{d['mean']:+.3f}, corrected standard error {d['se']:.3f} over "
                      f"{d['n']} folds: {'beyond' if d['beyond_noise'] else 'within'} noise")
    kept = chosen["members"]
    console.print("Decision: " + (f"{kept[0]} alone" if len(kept) == 1 else
                                  f"an ensemble of {' and '.join(kept)} (the average of their "
                                  "calibrated probabilities)")
                  + f", by the mean paired {words[settings['metric']]} difference against "
                  f"{settings['threshold']:g} corrected standard errors; every fold's figures "
                  "are in model.json's metrics.selection")


@app.command()
def predict(
    model_dir: Annotated[Path | None, typer.Option(
        "--model", help="Model folder from `graphrisk train` (default "
        "$GRAPHRISK_HOME/models/auto).")] = None,
    export: Annotated[Path | None, typer.Option(
        help="Write one row per customer (id, probability, score, tier, reasons) to this "
        "CSV.")] = None,
    top: Annotated[int, typer.Option(min=0, help="Customers to show.")] = 10,
    store: StoreOption = None,
    write: Annotated[bool, typer.Option(
        "--write/--no-write", help="Store the predictions in the score history.")] = True,
    explain: Annotated[int, typer.Option(
        min=0, help="Explain this many of the highest scores (neighbours and features that "
        "drove them; about a second each).")] = 10,
    overwrite: OverwriteOption = False,
) -> None:
    """Score every customer with a trained GNN and store the predictions."""
    _output(export, overwrite)
    with _service(store) as service, console.status("predicting") as status:
        folder = service.model_dir(model_dir)
        run_id, scores = service.predict(model_dir=folder, write=write, explain_top=explain,
                                         progress=lambda event: status.update(event.message))
    table = Table(title=f"Highest model probabilities ({folder})", show_lines=True)
    for name in ("customer", "probability", "tier"):
        table.add_column(name)
    table.add_column("why", overflow="fold")
    for row in scores.head(top).itertuples():
        table.add_row(row.customer_id, f"{row.probability:.3f}", row.tier,
                      "\n".join(f"• {escape(reason)}" for reason in row.reasons))
    console.print(table)
    console.print(f"Run {run_id}: {len(scores):,} customers scored"
                  + ("; stored in the score history." if write else "."))
    if export:
        from graphrisk.presentation import write_csv

        with _friendly_errors():
            write_csv(scores.assign(reasons=scores["reasons"].map(" | ".join)), export)
        console.print(f"Wrote {len(scores):,} customers to {export}")


@app.command()
def explain(
    customers: Annotated[list[str], typer.Argument(help="Customer id(s) to explain.")],
    model_dir: Annotated[Path | None, typer.Option(
        "--model", help="Model folder from `graphrisk train` (default "
        "$GRAPHRISK_HOME/models/auto).")] = None,
    top: Annotated[int, typer.Option(min=1, help="Neighbours, features and reasons to "
                                     "show.")] = 5,
    json_file: Annotated[Path | None, typer.Option(
        "--json", help="Also write the explanations (numbers and words) to this JSON "
        "file.")] = None,
    plot: Annotated[Path | None, typer.Option(
        help="Also draw a bar chart per customer into this folder (<customer>.png).")] = None,
    store: StoreOption = None,
    overwrite: OverwriteOption = False,
) -> None:
    """Why the GNN scored customers as it did: the neighbours, relationships and features."""
    from graphrisk.presentation import print_model_explanation

    _output(json_file, overwrite)
    if plot is not None and plot.exists() and not plot.is_dir():
        with _friendly_errors():
            raise GraphRiskError(f"--plot {plot} is a file; give a folder for the charts")
    with _service(store) as service, console.status("explaining") as status:
        found = service.explain(customers, model_dir=model_dir, top=top,
                                progress=lambda event: status.update(event.message))
    for explanation in found.values():
        print_model_explanation(console, explanation)
    if json_file:
        with _friendly_errors():
            try:
                json_file.parent.mkdir(parents=True, exist_ok=True)
                json_file.write_text(json.dumps([e.to_dict() for e in found.values()],
                                                indent=2))
            except OSError as exc:
                raise GraphRiskError(f"cannot write {json_file}: {exc.strerror or exc}") from exc
        console.print(f"Wrote {len(found)} explanation(s) to {json_file}")
    if plot:
        from graphrisk.models.report import write_explanation_plot

        for customer_id, explanation in found.items():
            path = write_explanation_plot(explanation, plot / f"{customer_id}.png")
            console.print(f"Drew {path}")


@app.command()
def history(
    customer: Annotated[str, typer.Argument(help="A customer id.")],
    store: StoreOption = None,
) -> None:
    """Show every stored score of one customer, newest first."""
    with _service(store) as service:
        runs = service.score_history(customer)
    if runs.empty:
        console.print(f"No stored scores for {customer}; run `graphrisk score` first.")
        return
    table = Table(title=f"Score history of {customer}", show_lines=True)
    for name in ("run", "when", "score", "tier", "why"):
        table.add_column(name, overflow="fold")
    for row in runs.itertuples():
        table.add_row(row.run_id, str(row.created_at), f"{row.score:.0f}", row.tier,
                      "\n".join(f"• {reason}" for reason in row.reasons))
    console.print(table)


@app.command()
def policy(
    check: Annotated[Path | None, typer.Option(
        help="Check this policy file instead of the configured one.")] = None,
) -> None:
    """Show the risk policy per tier (GRAPHRISK_POLICY_FILE, or the shipped default)."""
    from graphrisk.presentation import print_policy

    with _friendly_errors():
        loaded, source = read_policy(check)
    print_policy(console, loaded, source)
    console.print(f"[green]{source} is valid[/]")


@app.command()
def demo(
    customers: Annotated[int, typer.Option(
        min=MIN_SAMPLE_CUSTOMERS, help="Size of the sample.")] = 3_000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
    store: StoreOption = None,
) -> None:
    """Generate a sample, load it, analyse it and print a summary: the main job."""
    from graphrisk.demo import run_demo

    with _service(store) as service, _bars(transient=True) as bars:
        run_demo(service, customers=customers, seed=seed, console=console, progress=bars,
                 show_report=_print_ingest_report)


@reports_app.command("list")
def reports_list() -> None:
    """List the load reports under $GRAPHRISK_HOME/reports, oldest first."""
    from graphrisk.service import list_load_reports

    with _friendly_errors():
        found = list_load_reports(get_settings())
    if not found:
        console.print("No load reports.")
        return
    table = Table(title="Load reports")
    for name in ("folder", "last changed (UTC)", "size"):
        table.add_column(name, justify="right" if name == "size" else "left")
    for report in found:
        table.add_row(str(report.path), f"{report.modified:%Y-%m-%d %H:%M}",
                      f"{report.size_bytes / 1024:,.0f} KB")
    console.print(table)


@reports_app.command("purge")
def reports_purge(
    older_than: Annotated[float, typer.Option(
        "--older-than", min=0, help="Delete reports last changed more than this many days "
        "ago.")],
    dry_run: Annotated[bool, typer.Option(help="Only list what would be deleted.")] = False,
) -> None:
    """Delete old load reports (rejected rows with personal data) under $GRAPHRISK_HOME."""
    from graphrisk.service import purge_load_reports

    with _friendly_errors():
        gone = purge_load_reports(older_than, settings=get_settings(), dry_run=dry_run)
    verb = "Would delete" if dry_run else "Deleted"
    for report in gone:
        console.print(f"{verb} {report.path}")
    console.print(f"{verb} {len(gone):,} report folder(s) older than {older_than:g} days.")


def _run_neo4j_script(action: str) -> None:
    """Run ``neo4j-local/neo4j-local.sh ACTION``, passing on its exit code."""
    import subprocess

    script = Path(__file__).resolve().parents[1] / "neo4j-local" / "neo4j-local.sh"
    if not script.is_file():
        err_console.print(f"[bold red]error:[/] the launcher {script} is missing; this command "
                          "needs a GraphRisk checkout (or use docker-compose.neo4j.yml)")
        raise typer.Exit(code=2)
    with _friendly_errors():
        settings = get_settings()
    env = {**os.environ, "GRAPHRISK_HOME": str(settings.home),
           "GRAPHRISK_NEO4J_PASSWORD": settings.neo4j_password}
    port = settings.neo4j_uri.rsplit(":", 1)[-1].strip("/")
    if port.isdigit():
        env.setdefault("GRAPHRISK_NEO4J_PORT", port)
    result = subprocess.run(["bash", str(script), action], env=env, check=False)
    if result.returncode:
        raise typer.Exit(code=result.returncode)


@neo4j_app.command("start")
def neo4j_start() -> None:
    """Start the local Neo4j (Bolt on 127.0.0.1, port from GRAPHRISK_NEO4J_URI)."""
    _run_neo4j_script("start")


@neo4j_app.command("stop")
def neo4j_stop() -> None:
    """Stop the local Neo4j."""
    _run_neo4j_script("stop")


@neo4j_app.command("status")
def neo4j_status() -> None:
    """Say whether the local Neo4j runs (exit code 3 when it does not)."""
    _run_neo4j_script("status")


@app.command()
def formats(markdown: Annotated[bool, typer.Option(help="Print docs/schema.md.")] = False) -> None:
    """Describe the input files: one per entity, their columns and checks."""
    from graphrisk.schema_doc import render_schema_markdown

    sys.stdout.write(render_schema_markdown() if markdown else render_schema_markdown(brief=True))


__all__ = ["app"]


# The risk-management cycle's commands (alerts, cases, reassess, backtest, audit, stream),
# and ``serve`` and ``users`` (the HTTP API and its keys), live in their own modules;
# importing them registers them on ``app``. The API itself is imported only when ``serve``
# runs.
import graphrisk.cli_resolution  # noqa: E402,F401
import graphrisk.cli_screening  # noqa: E402,F401
from graphrisk import cli_api, cli_monitoring, cli_report  # noqa: E402,F401
