"""``graphrisk lists | screen``: screening customers and counterparties against lists.

A thin face over :class:`graphrisk.screening.service.ScreeningService`: each command is one
call and a table (or ``--json``). ``graphrisk lists load FILE --name NAME`` stores a new
version of a list and says what changed; ``graphrisk screen`` screens everyone against the
latest version of each list and stores the hits; ``graphrisk screen confirm|dismiss HIT_ID
--note ...`` records an investigator's decision. Exit code 0 on success, 2 on an error.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from graphrisk.cli import StoreOption, _bars, _service, app, console, err_console
from graphrisk.screening.service import ScreeningHit, ScreeningService

lists_app = typer.Typer(help="Sanctions and watch lists: show the loaded ones, load a new "
                        "version.", invoke_without_command=True)
app.add_typer(lists_app, name="lists")
screen_app = typer.Typer(help="Screen customers and counterparties against the loaded lists; "
                         "confirm or dismiss hits.", invoke_without_command=True)
app.add_typer(screen_app, name="screen")

ByOption = Annotated[str | None, typer.Option(
    "--by", help="Who makes the change (default: GRAPHRISK_USER, else your user name).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
NoteOption = Annotated[str, typer.Option("--note", help="Why: kept with the hit and in the "
                                         "audit trail.")]
_MAX_PROBLEMS_SHOWN = 15


@contextmanager
def _screening(store: str | None) -> Iterator[ScreeningService]:
    """The screening part of the service; a wrong argument (an empty ``--note`` or
    ``--name``) is one red line and exit code 2, like a domain error."""
    with _service(store) as service:
        try:
            yield service.screening
        except ValueError as exc:
            err_console.print(f"[bold red]error:[/] {escape(str(exc))}")
            raise typer.Exit(code=2) from exc


def _dump(value: Any) -> None:
    """JSON for scripts: plain, never wrapped to the terminal's width."""
    typer.echo(json.dumps(value, default=str, indent=2, ensure_ascii=False))


@lists_app.callback()
def lists_show(ctx: typer.Context, as_json: JsonOption = False,
               store: StoreOption = None) -> None:
    """Show the loaded lists: version, entries, loaded at and by."""
    if ctx.invoked_subcommand is not None:
        return
    with _screening(store) as screening:
        found = screening.lists()
    if as_json:
        _dump([dataclasses.asdict(item) for item in found])
        return
    if not found:
        console.print("No list loaded yet: `graphrisk lists load FILE --name NAME`.")
        return
    table = Table(title=f"{len(found)} screening lists")
    for name in ("list", "version", "entries", "loaded at", "loaded by", "file"):
        table.add_column(name, justify="right" if name in ("version", "entries") else "left")
    for item in found:
        table.add_row(item.name, str(item.version), f"{item.entries:,}", item.loaded_at[:19],
                      item.loaded_by, item.source)
    console.print(table)


@lists_app.command("load")
def lists_load(
    path: Annotated[Path, typer.Argument(help="A CSV list file or FollowTheMoney JSON lines "
                                         "(docs/screening.md).")],
    name: Annotated[str, typer.Option("--name", help="The list's name (a new version of "
                                      "it if it is loaded already).")],
    by: ByOption = None,
    store: StoreOption = None,
) -> None:
    """Store a new version of a list and say what changed (nothing, if the file holds
    what the latest version holds)."""
    with _screening(store) as screening:
        done = screening.load_list(path, name, actor=by)
    shown = done.problems[:_MAX_PROBLEMS_SHOWN]
    for problem in shown:
        console.print(f"  [red]skipped[/] {escape(problem.line())}", highlight=False)
    if len(done.problems) > len(shown):
        console.print(f"  ... and {len(done.problems) - len(shown)} more rows skipped")
    console.print(done.summary())


def _hits_table(title: str, hits: list[ScreeningHit], limit: int) -> None:
    table = Table(title=title)
    for name in ("hit", "status", "score", "record", "list entry"):
        table.add_column(name, no_wrap=name in ("hit", "score"), overflow="fold")
    table.add_column("why", ratio=1, overflow="fold")
    for hit in hits[:limit]:
        programme = f" ({escape(hit.programme)})" if hit.programme else ""
        table.add_row(hit.hit_id, hit.status, f"{hit.score:.2f}",
                      f"{hit.record_kind} {hit.subject}",
                      f"{escape(hit.list_name)} {escape(hit.entry_id)}{programme}",
                      escape(hit.sentence))
    console.print(table)
    if len(hits) > limit:
        console.print(f"... and {len(hits) - limit} more (--limit)")


@screen_app.callback()
def screen_run(
    ctx: typer.Context,
    list_names: Annotated[list[str] | None, typer.Option(
        "--list", help="Screen against this list only (repeat for several; default: all).")]
    = None,
    threshold: Annotated[float | None, typer.Option(
        min=0.5, max=1.0, help="Least score of a hit (default: "
        "GRAPHRISK_SCREENING_THRESHOLD).")] = None,
    limit: Annotated[int, typer.Option(min=1, help="Hits shown.")] = 50,
    by: ByOption = None,
    as_json: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """Screen every customer and counterparty against the latest version of each list,
    store the hits, clear those that no longer match."""
    if ctx.invoked_subcommand is not None:
        return
    with _screening(store) as screening, _bars(transient=True) as bars:
        run = screening.screen(lists=list_names, actor=by, threshold=threshold,
                               progress=bars)
    if as_json:
        _dump({"summary": run.summary(), "hits": [dataclasses.asdict(h) for h in run.hits]})
        return
    if run.hits:
        _hits_table(f"{len(run.hits)} screening hits", run.hits, limit)
    console.print(run.summary())


@screen_app.command("hits")
def screen_hits(
    status: Annotated[str, typer.Option(help="open, confirmed, dismissed, cleared or all.")]
    = "open",
    subject: Annotated[str | None, typer.Option(help="Only this customer's or "
                                                "counterparty's.")] = None,
    limit: Annotated[int, typer.Option(min=1)] = 50,
    as_json: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """List stored hits, best score first."""
    with _screening(store) as screening:
        hits = screening.hits(status=None if status == "all" else status, subject=subject)
    if as_json:
        _dump([dataclasses.asdict(hit) for hit in hits[:limit]])
        return
    _hits_table(f"{len(hits)} {status} screening hits", hits, limit)


def _decision(hit: ScreeningHit) -> None:
    console.print(f"hit {hit.hit_id} {hit.status}: {hit.record_id} "
                  f"{escape(hit.record_name)} ~ {hit.list_name}:{escape(hit.entry_id)} "
                  f"{escape(hit.entry_name)} (version {hit.version})", highlight=False)


@screen_app.command("confirm")
def screen_confirm(hit_id: Annotated[str, typer.Argument(help="SH-... from `graphrisk "
                                                         "screen`.")],
                   note: NoteOption, by: ByOption = None, store: StoreOption = None) -> None:
    """Confirm a hit: the record is the listed party."""
    with _screening(store) as screening:
        _decision(screening.confirm(hit_id, note, actor=by))


@screen_app.command("dismiss")
def screen_dismiss(hit_id: Annotated[str, typer.Argument(help="SH-... from `graphrisk "
                                                         "screen`.")],
                   note: NoteOption, by: ByOption = None, store: StoreOption = None) -> None:
    """Dismiss a hit as a false match: it is not raised again for the same list entry."""
    with _screening(store) as screening:
        _decision(screening.dismiss(hit_id, note, actor=by))
