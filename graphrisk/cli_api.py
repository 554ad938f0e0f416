"""``graphrisk serve`` and ``graphrisk users``: the HTTP API and who may use it.

``serve`` runs the FastAPI app (:mod:`graphrisk.api`) under uvicorn with the host, port and
workers of the ``GRAPHRISK_API_*`` settings (127.0.0.1 unless told otherwise). ``users``
manages API keys on the server: a key is printed once when made and only its digest is kept.
"""

from __future__ import annotations

import os
from typing import Annotated

import typer
from rich.table import Table

from graphrisk.access import Role, create_api_key, list_api_users, revoke_api_key
from graphrisk.cli import StoreOption, _friendly_errors, _service, app, console, err_console
from graphrisk.service import settings_for

users_app = typer.Typer(help="API keys: add a user with a role, list them, revoke a key.",
                        no_args_is_help=True)
app.add_typer(users_app, name="users")

ByOption = Annotated[str | None, typer.Option(
    "--by", help="Who makes the change (default: GRAPHRISK_USER, else your user name).")]


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(
        help="Address to bind (default GRAPHRISK_API_HOST, else 127.0.0.1: this machine "
        "only; 0.0.0.0 opens it to the network).")] = None,
    port: Annotated[int | None, typer.Option(
        min=1, max=65535, help="Port (default GRAPHRISK_API_PORT, else 8000).")] = None,
    workers: Annotated[int | None, typer.Option(
        min=1, max=32, help="Worker processes (default GRAPHRISK_API_WORKERS, else 1).")]
    = None,
    store: StoreOption = None,
) -> None:
    """Start the HTTP API and the investigator page (Ctrl+C stops it)."""
    import uvicorn

    from graphrisk.api.app import page_is_built

    with _friendly_errors():
        settings = settings_for(store)
    host = host or settings.api_host
    port = port or settings.api_port
    workers = workers or settings.api_workers
    os.environ["GRAPHRISK_STORE"] = settings.store.value  # the workers open the same store
    with _service(store) as service:
        service.ping()
        users = [u for u in list_api_users(service.store) if u.active]
        where = service.describe()
    console.print(f"GraphRisk API on [bold]http://{host}:{port}/[/] (API docs at "
                  f"http://{host}:{port}/api/docs), serving {where}")
    if not users:
        console.print("[yellow]No API users yet: make one with `graphrisk users add NAME "
                      "--role admin` (it prints the key to log in with).[/]")
    if not page_is_built():
        err_console.print("[yellow]The investigator page's JavaScript is not built (run `make "
                          "setup`); the API under /api works without it.[/]")
    uvicorn.run("graphrisk.api.app:create_app", factory=True, host=host, port=port,
                workers=workers, log_level="info", proxy_headers=False)


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="The user's name (no spaces), e.g. ines.")],
    role: Annotated[str, typer.Option(
        "--role", help=f"One of {', '.join(r.value for r in Role)}.")] = Role.VIEWER.value,
    replace: Annotated[bool, typer.Option(
        "--replace", help="Give a user with a key a new one (the old stops working).")]
    = False,
    by: ByOption = None,
    store: StoreOption = None,
) -> None:
    """Make an API key for NAME and print it (once: only its digest is kept)."""
    with _service(store) as service:
        key = create_api_key(service.store, name, role, actor=by or service.settings.actor,
                             replace=replace)
    console.print(f"API key for [bold]{name}[/] ({role}); keep it, it is not shown again:")
    print(key)


@users_app.command("list")
def users_list(store: StoreOption = None) -> None:
    """Everyone who has or had a key, with their role and whether it works."""
    with _service(store) as service:
        users = list_api_users(service.store)
    if not users:
        console.print("No API users yet: `graphrisk users add NAME --role admin`.")
        return
    table = Table(title=f"{len(users)} API users")
    for column in ("name", "role", "key", "status", "created", "by"):
        table.add_column(column, no_wrap=column in ("name", "key"))
    for user in users:
        table.add_row(user.name, user.role.value, user.key_hint,
                      "active" if user.active else f"revoked {user.revoked_at}",
                      user.created_at, user.created_by)
    console.print(table)


@users_app.command("revoke")
def users_revoke(
    name: Annotated[str, typer.Argument(help="Whose key stops working.")],
    by: ByOption = None,
    store: StoreOption = None,
) -> None:
    """Stop NAME's key from working (within 10 seconds on a running API)."""
    with _service(store) as service:
        revoke_api_key(service.store, name, actor=by or service.settings.actor)
    console.print(f"{name}'s key is revoked.")
