"""``graphrisk resolve``: entity resolution — customers that are probably one person.

A thin face over :class:`graphrisk.resolution.service.ResolutionService`: ``graphrisk
resolve`` runs it (with a progress bar), stores the pairs and prints the clusters with the
reasons of their pairs; ``graphrisk resolve confirm|reject PAIR_ID --note ...`` records an
investigator's decision, kept across runs and audited. Exit code 0 on success, 2 on an
error.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.markup import escape

from graphrisk.cli import StoreOption, _bars, _service, app, console, err_console
from graphrisk.resolution.service import ResolutionRun, ResolutionService, SameEntityPair

resolve_app = typer.Typer(help="Entity resolution: find customers that are probably one "
                          "person; confirm or reject pairs.", invoke_without_command=True)
app.add_typer(resolve_app, name="resolve")

ByOption = Annotated[str | None, typer.Option(
    "--by", help="Who makes the change (default: GRAPHRISK_USER, else your user name).")]
NoteOption = Annotated[str, typer.Option("--note", help="Why: kept with the pair and in the "
                                         "audit trail.")]


@contextmanager
def _resolution(store: str | None) -> Iterator[ResolutionService]:
    """The resolution part of the service; a wrong argument (an empty ``--note``) is one
    red line and exit code 2, like a domain error."""
    with _service(store) as service:
        try:
            yield service.resolution
        except ValueError as exc:
            err_console.print(f"[bold red]error:[/] {escape(str(exc))}")
            raise typer.Exit(code=2) from exc


def _print_clusters(run: ResolutionRun, limit: int) -> None:
    by_customer: dict[str, list[SameEntityPair]] = {}
    for pair in run.pairs:
        if pair.side == "customer":
            by_customer.setdefault(pair.customer_a, []).append(pair)
    for number, members in enumerate(run.clusters[:limit], start=1):
        console.print(f"[bold]cluster {number}[/]: {', '.join(members)}", highlight=False)
        for member in members:
            for pair in by_customer.get(member, ()):
                mark = " [green](confirmed)[/]" if pair.status == "confirmed" else ""
                console.print(f"  {pair.pair_id} {pair.customer_a} ~ {pair.customer_b}: "
                              f"{escape(pair.sentence)}{mark}", highlight=False)
    if len(run.clusters) > limit:
        console.print(f"... and {len(run.clusters) - limit:,} more clusters (--limit)")
    outside = run.counterparty_pairs
    if outside:
        console.print("[bold]counterparties that are probably a customer[/] "
                      "(her account outside the bank):")
    for pair in outside[:limit]:
        mark = " [green](confirmed)[/]" if pair.status == "confirmed" else ""
        console.print(f"  {pair.pair_id} {pair.customer_b} {escape(pair.name_b)!r} ~ "
                      f"{pair.customer_a}: {escape(pair.sentence)}{mark}", highlight=False)
    if len(outside) > limit:
        console.print(f"... and {len(outside) - limit:,} more counterparties (--limit)")


@resolve_app.callback()
def resolve_run(
    ctx: typer.Context,
    threshold: Annotated[float | None, typer.Option(
        min=0.01, max=0.99, help="Least match probability of a pair (default: "
        "GRAPHRISK_RESOLUTION_THRESHOLD).")] = None,
    limit: Annotated[int, typer.Option(min=1, help="Clusters shown.")] = 20,
    by: ByOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead.")] = False,
    store: StoreOption = None,
) -> None:
    """Find customers that are probably one person, and counterparties that are probably
    a customer; store the pairs, print the clusters with their reasons."""
    if ctx.invoked_subcommand is not None:
        return
    with _resolution(store) as resolution, _bars(transient=True) as bars:
        run = resolution.resolve(threshold, bars, actor=by)
    if as_json:
        typer.echo(json.dumps({"summary": run.summary(), "clusters": run.clusters,
                               "pairs": [dataclasses.asdict(p) for p in run.pairs]},
                              default=str, indent=2, ensure_ascii=False))
        return
    _print_clusters(run, limit)
    console.print(run.summary(), highlight=False)


def _decision(pair: SameEntityPair) -> None:
    console.print(f"pair {pair.pair_id} {pair.status}: {pair.customer_a} "
                  f"{escape(pair.name_a)} ~ {pair.customer_b} {escape(pair.name_b)} "
                  f"(version {pair.version})", highlight=False)


@resolve_app.command("confirm")
def resolve_confirm(pair_id: Annotated[str, typer.Argument(help="SE-... from `graphrisk "
                                                           "resolve`.")],
                    note: NoteOption, by: ByOption = None, store: StoreOption = None) -> None:
    """Confirm a pair: the two customers are one person (kept linked in later runs)."""
    with _resolution(store) as resolution:
        _decision(resolution.confirm(pair_id, note, actor=by))


@resolve_app.command("reject")
def resolve_reject(pair_id: Annotated[str, typer.Argument(help="SE-... from `graphrisk "
                                                          "resolve`.")],
                   note: NoteOption, by: ByOption = None, store: StoreOption = None) -> None:
    """Reject a pair: two people; never linked again."""
    with _resolution(store) as resolution:
        _decision(resolution.reject(pair_id, note, actor=by))
