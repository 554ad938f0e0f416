"""The main job end to end: generate a sample, load it, analyse it, print what a risk team
would look at first.

Why injected callables: the core package must not import ``ingestion``; the CLI passes in the
generator and the loader, so this module only orchestrates and presents.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table

from graphrisk.analytics.linked_groups import LinkedGroup, find_linked_groups
from graphrisk.config import Settings
from graphrisk.store import GraphStore, open_store
from graphrisk.store.base import GraphSnapshot

__all__ = ["DemoResult", "linked_to_known_risk", "run_demo"]


@dataclass(frozen=True)
class DemoResult:
    """What the demo found, for tests and for callers that print it themselves."""

    counts: dict[str, int]
    groups: list[LinkedGroup]
    flagged: pd.DataFrame
    precision_vs_truth: float | None


def linked_to_known_risk(snapshot: GraphSnapshot, groups: list[LinkedGroup]) -> pd.DataFrame:
    """Customers without a known label who share identifiers with a known-risk customer.

    Returns:
        One row per such customer: ``customer_id``, ``group_size``, ``known_in_group`` and a
        plain-language ``reason`` naming the shared identifiers and the known-risk members.
    """
    labels = snapshot.customers.set_index("customer_id")["known_risk_label"]
    links = snapshot.identifiers
    rows = []
    for group in groups:
        if not group.known_risk_members:
            continue
        known = ", ".join(f"{c} ({labels[c]})" for c in group.known_risk_members[:3])
        in_group = links[links["customer_id"].isin(group.members)
                         & links["identifier_id"].isin(group.shared_identifiers)]
        for customer in group.members:
            if customer in group.known_risk_members:
                continue
            own = in_group.loc[in_group["customer_id"] == customer, "identifier_id"]
            shared = ", ".join(sorted(own)[:3])
            rows.append({
                "customer_id": customer,
                "group_size": group.size,
                "known_in_group": len(group.known_risk_members),
                "reason": f"shares {shared} within a group of {group.size} customers that "
                          f"includes known-risk {known}",
            })
    frame = pd.DataFrame(rows, columns=["customer_id", "group_size", "known_in_group", "reason"])
    return frame.sort_values(["known_in_group", "group_size", "customer_id"],
                             ascending=[False, True, True], ignore_index=True)


def _precision(flagged: pd.DataFrame, truth_file: Path) -> float | None:
    if not truth_file.is_file() or flagged.empty:
        return None
    truth = pd.read_csv(truth_file, usecols=["customer_id", "risky"])
    risky = set(truth.loc[truth["risky"] == 1, "customer_id"])
    return float(flagged["customer_id"].isin(risky).mean())


def _print_groups(console: Console, groups: list[LinkedGroup]) -> None:
    table = Table(title="Largest groups of customers linked by shared identifiers")
    for name in ("members", "size", "known risk", "shared identifiers"):
        table.add_column(name)
    for group in groups[:8]:
        members = ", ".join(group.members[:6]) + (" ..." if group.size > 6 else "")
        ids = ", ".join(group.shared_identifiers[:3]) + (
            " ..." if len(group.shared_identifiers) > 3 else "")
        table.add_row(members, str(group.size), str(len(group.known_risk_members)), ids)
    console.print(table)


def run_demo(
    settings: Settings,
    *,
    customers: int,
    seed: int,
    console: Console,
    generate: Callable[[int, int, Path], Any],
    ingest: Callable[[GraphStore, Path], Any],
    show_report: Callable[[Any], None] | None = None,
) -> DemoResult:
    """Generate ``customers`` synthetic customers, load them, analyse, and print a summary.

    Args:
        settings: where the store and reports live.
        customers: sample size.
        seed: random seed for the generator.
        console: where to print.
        generate: ``generate(n_customers, seed, out_dir)`` writes input files.
        ingest: ``ingest(store, folder)`` loads them and returns an ingest report.
        show_report: prints the ingest report.
    """
    data_dir = settings.home / "demo" / f"sample-{customers}-seed{seed}"
    console.rule("[bold]1. Generate a sample customer network")
    started = time.perf_counter()
    generate(customers, seed, data_dir)
    console.print(f"Sample written to {data_dir} in {time.perf_counter() - started:.1f} s")

    console.rule(f"[bold]2. Load it into the {settings.store} store")
    store = open_store(settings)
    try:
        already = store.counts().get("customers", 0)
        if already:
            console.print(
                f"[yellow]The {settings.store} store already holds {already:,} customers; the "
                "summary below covers everything in it. For a clean demo use a fresh "
                "GRAPHRISK_HOME (embedded) or an empty Neo4j.[/]"
            )
        report = ingest(store, data_dir)
        if show_report:
            show_report(report)
        counts = store.counts()
        snapshot = store.snapshot()
        problems = store.consistency_problems()
        where = store.describe()
    finally:
        store.close()
    console.print(f"{where}: " + ", ".join(f"{n:,} {e}" for e, n in counts.items() if n))
    if problems:
        console.print(f"[red]store is inconsistent: {problems}[/]")

    console.rule("[bold]3. Who is linked to known risk?")
    groups = find_linked_groups(snapshot.identifiers, snapshot.customers)
    _print_groups(console, groups)
    flagged = linked_to_known_risk(snapshot, groups)
    precision = _precision(flagged, data_dir / "truth" / "ground_truth.csv")
    known = int(snapshot.customers["known_risk_label"].notna().sum())
    console.print(
        f"{known:,} customers carry a known risk label; {len(flagged):,} more share "
        "identifiers with one of them:"
    )
    for row in flagged.head(10).itertuples():
        console.print(f"  [bold]{row.customer_id}[/]: {row.reason}", highlight=False)
    if precision is not None:
        console.print(
            f"Checked against the sample's hidden ground truth: {precision:.0%} of these "
            "customers are planted high-risk customers."
        )
    console.rule("[bold]Next")
    store_flag = "" if settings.store == "embedded" else f" --store {settings.store}"
    if not flagged.empty:
        console.print(f"  graphrisk neighbourhood {flagged.iloc[0]['customer_id']}{store_flag}"
                      "  # look around the first flagged customer")
    console.print(f"  graphrisk status{store_flag}  # what the store holds")
    console.print(f"  graphrisk ingest {data_dir}{store_flag}  # re-load: idempotent")
    return DemoResult(counts, groups, flagged, precision)
