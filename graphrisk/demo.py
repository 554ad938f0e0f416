"""The main job end to end: generate a sample, load it, analyse it, print what a risk team
would look at first.

Why a module: the demo is a face, like the CLI's commands: it calls the service
(:class:`graphrisk.service.RiskService`) for every job — generate, load, score — and only
decides what to print.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console

from graphrisk.demo_casework import work_demo_cases
from graphrisk.domain import NodeLabel
from graphrisk.graph import NodeRef
from graphrisk.presentation import (
    print_clusters,
    print_fusion,
    print_scores,
    print_tier_counts,
)
from graphrisk.resolution.service import SameEntityPair
from graphrisk.scoring import ScoringResult
from graphrisk.service import (
    ProgressCallback,
    RiskService,
    generate_event_stream,
    generate_sample,
)

__all__ = ["DemoResult", "run_demo", "truth_check"]


@dataclass(frozen=True)
class DemoResult:
    """What the demo found, for tests and for callers that print it themselves."""

    counts: dict[str, int]
    scoring: ScoringResult
    truth: dict[str, float] | None


def truth_check(result: ScoringResult, truth_file: Path) -> dict[str, float] | None:
    """How the high tier and the high-risk clusters fare against a sample's hidden truth.

    Returns:
        ``high_tier_precision`` (share of high-tier customers without a known label who are
        planted risky), ``unknown_risky_in_high_tier`` (share of planted risky customers
        without a known label who reached the high tier) and ``cluster_precision`` (share of
        high-risk clusters whose members are mostly planted risky); ``None`` without truth.
    """
    if not truth_file.is_file():
        return None
    truth = pd.read_csv(truth_file, usecols=["customer_id", "risky"]).set_index("customer_id")
    risky = truth["risky"] == 1
    scores = result.scores.set_index("customer_id")
    unknown = scores[scores["known_risk_label"].isna()]
    high = unknown["tier"] == "high"
    unknown_risky = risky.reindex(unknown.index).fillna(False).astype(bool)
    clusters = result.clusters[result.clusters["high_risk"]] if not result.clusters.empty \
        else result.clusters
    mostly_risky = [risky.reindex(list(m)).fillna(False).mean() > 0.5
                    for m in clusters["members"]] if len(clusters) else []
    return {
        "high_tier_precision": float(unknown_risky[high].mean()) if high.any() else 0.0,
        "unknown_risky_in_high_tier": (float(high[unknown_risky].mean())
                                       if unknown_risky.any() else 0.0),
        "cluster_precision": float(sum(mostly_risky) / len(mostly_risky)) if mostly_risky
        else 0.0,
    }


def _screen_demo_list(service: RiskService, list_file: Path, console: Console,
                     progress: ProgressCallback | None) -> list[Any]:
    """Load the sample's synthetic sanctions/PEP list and screen everyone against it."""
    console.rule("[bold]8. Screen customers and counterparties against a watch list")
    if not list_file.is_file():
        console.print(f"[yellow]no watch list at {list_file}; skipped[/]")
        return []
    screening = service.screening
    console.print(screening.load_list(list_file, "demo_watchlist").summary())
    run = screening.screen(progress=progress)
    console.print(run.summary())
    # variants first (the interesting ones: a typo, another spelling), customers first
    shown = sorted(run.hits, key=lambda h: (h.score >= 0.999, h.record_kind != "customer",
                                            -h.score))
    for hit in shown[:3]:
        console.print(f"  {hit.hit_id} {hit.record_kind} {hit.subject} ({hit.record_name}) ~ "
                      f"{hit.entry_name}, {hit.list_name} {hit.programme}: {hit.sentence}",
                      highlight=False)
    if run.hits:
        console.print("  (the list is synthetic: some entries are planted variants of the "
                      "sample's customers, some near misses that must not match)")
    return shown


def _resolve_identities(service: RiskService, console: Console,
                        progress: ProgressCallback | None) -> SameEntityPair | None:
    """Find the records that are probably one person and show one, with its reasons.

    Returns the pair shown: one whose first record is a known-risk customer where there is
    one (a known fraudster back under another name), so that the score can be seen to
    follow the link.
    """
    console.rule("[bold]3. Find the same person behind different records")
    run = service.resolution.resolve(progress=progress)
    console.print(run.summary())
    pairs = [pair for pair in run.pairs if pair.side == "customer"]
    outside = run.counterparty_pairs
    # Only the paired customers' labels: one node read each, not the whole graph.
    members = sorted({c for p in pairs for c in (p.customer_a, p.customer_b)}
                     | {p.customer_a for p in outside})
    labels = {c: service.store.get_node(NodeRef(NodeLabel.CUSTOMER, c)).properties.get(
        "known_risk_label") for c in members}

    def known(customer: str) -> bool:
        return isinstance(labels.get(customer), str)

    if not pairs:
        _show_outside_account(outside, labels, console)
        return None
    # A pair with exactly one known-risk record first; then names that differ (the
    # interesting ones: a nickname, a typo, another spelling).
    shown = sorted(pairs, key=lambda p: (known(p.customer_a) == known(p.customer_b),
                                         p.name_a == p.name_b, -p.probability))[0]
    if known(shown.customer_b) and not known(shown.customer_a):
        first, second = shown.customer_b, shown.customer_a
    else:
        first, second = shown.customer_a, shown.customer_b
    console.print(f"  {shown.pair_id}: {first}{_confirmed(labels.get(first))} and {second} "
                  f"are probably one person: {shown.sentence}", highlight=False)
    _show_outside_account(outside, labels, console)
    console.print("  (the links go into the graph: the score below spreads risk along them, "
                  "weighted by the probability, and names them in reasons)")
    return shown


def _confirmed(label: Any) -> str:
    """`` (confirmed money laundering)`` for a known-risk label, else nothing."""
    return f" (confirmed {label.replace('_', ' ')})" if isinstance(label, str) else ""


def _show_outside_account(outside: list[SameEntityPair], labels: dict[str, Any],
                          console: Console) -> None:
    """One counterparty that is probably a customer: a known customer's account elsewhere
    first (whoever pays it is linked with her)."""
    if not outside:
        return
    party = sorted(outside, key=lambda p: (not isinstance(labels.get(p.customer_a), str),
                                           -p.probability, p.pair_id))[0]
    console.print(f"  counterparty {party.customer_b} {party.name_b!r} is probably an "
                  f"account of {party.customer_a}{_confirmed(labels.get(party.customer_a))} "
                  f"outside the bank: {party.sentence}", highlight=False)


def _show_identity_score(result: ScoringResult, pair: SameEntityPair,
                         console: Console) -> None:
    """The score and reasons of the shown pair's records, after scoring."""
    scores = result.scores.set_index("customer_id")
    for customer in (pair.customer_a, pair.customer_b):
        if customer in scores.index:
            row = scores.loc[customer]
            console.print(f"  {customer}: score {row['score']:.0f} ({row['tier']}) — "
                          + "; ".join(row["reasons"][:3]), highlight=False)


def run_demo(
    service: RiskService,
    *,
    customers: int,
    seed: int,
    console: Console,
    progress: ProgressCallback | None = None,
    show_report: Callable[[Any], None] | None = None,
) -> DemoResult:
    """Generate ``customers`` synthetic customers, load them, score, and print a summary.

    Args:
        service: the service over the store to load into (its settings say where the sample
            is written: ``$GRAPHRISK_HOME/demo/``).
        customers: sample size.
        seed: random seed for the generator.
        console: where to print.
        progress: receives the progress of generating, loading and scoring.
        show_report: prints the ingest report.
    """
    settings = service.settings
    store_name = settings.store.value
    data_dir = settings.home / "demo" / f"sample-{customers}-seed{seed}"
    console.rule("[bold]1. Generate a sample customer network")
    started = time.perf_counter()
    generate_sample(customers, seed, data_dir, progress=progress, synthetic_identities=True)
    console.print(f"Sample written to {data_dir} in {time.perf_counter() - started:.1f} s")

    console.rule(f"[bold]2. Load it into the {store_name} store")
    already = service.status().counts.get("customers", 0)
    if already:
        console.print(
            f"[yellow]The {store_name} store already holds {already:,} customers; the "
            "summary below covers everything in it. For a clean demo use a fresh "
            "GRAPHRISK_HOME (embedded) or an empty Neo4j.[/]"
        )
    report = service.ingest_folder(data_dir, progress=progress)
    if show_report:
        show_report(report)
    status = service.status()
    counts = status.counts
    console.print(f"{status.where}: " + ", ".join(f"{n:,} {e}" for e, n in counts.items() if n))
    if status.problems:
        console.print(f"[red]store is inconsistent: {status.problems}[/]")

    identity = _resolve_identities(service, console, progress)

    console.rule("[bold]4. Score every customer: individual factors, network, typologies")
    result = service.score(progress=progress)
    policy = service.policy
    seconds = sum(result.timings.values())
    console.print(f"Scored {len(result.scores):,} customers in {seconds:.1f} s "
                  f"({result.engine} engine); run {result.run_id} stored in the score history.")
    print_tier_counts(console, result, policy)
    print_fusion(console, result)
    if identity is not None:
        _show_identity_score(result, identity, console)

    console.rule("[bold]5. Who should the risk team look at first?")
    print_scores(console, result, top=8, unknown_only=True)
    print_clusters(console, result.clusters, top=6)
    truth = truth_check(result, data_dir / "truth" / "ground_truth.csv")
    if truth is not None:
        console.print(
            "Checked against the sample's hidden ground truth: "
            f"{truth['high_tier_precision']:.0%} of the high-tier customers nobody had flagged "
            f"are planted high-risk customers; {truth['unknown_risky_in_high_tier']:.0%} of the "
            f"planted ones nobody had flagged reached the high tier; "
            f"{truth['cluster_precision']:.0%} of high-risk clusters are mostly planted risk.")
    console.rule("[bold]6. New events arrive: monitoring raises alerts and opens cases")
    stream_dir = settings.home / "demo" / f"stream-{customers}-seed{seed}"
    generate_event_stream(data_dir, stream_dir, batches=2, events=100, seed=seed,
                          settings=settings)
    opened: list[str] = []
    for batch in sorted(stream_dir.glob("batch-*")):
        done = service.monitoring.ingest_incremental(batch, progress=progress)
        console.print(done.outcome.summary())
        for alert in done.outcome.alerts[:6]:
            console.print(f"  [bold]{alert.rule}[/] {alert.customer_id}: {alert.sentence}",
                          highlight=False)
        opened += done.outcome.cases_opened
    console.rule("[bold]7. An investigator works the first cases")
    worked = work_demo_cases(service, data_dir, stream_dir)
    for worked_case in worked:
        console.print(f"  {worked_case.case_id} about {', '.join(worked_case.subjects[:4])}: "
                      f"{worked_case.outcome or 'still being investigated'}", highlight=False)
    if worked:
        console.print("  (the demo's investigator decides from the sample's hidden truth; the "
                      "cases' notes, contacts and outcomes feed the reports below)")
    hits = _screen_demo_list(service, data_dir / "lists" / "sanctions.csv", console,
                             progress)
    waiting = [c for c in opened if c not in {w.case_id for w in worked}]
    if waiting:
        case = service.monitoring.case(waiting[0])
        console.print(f"Case {case.case_id} ({case.priority}, due {case.due_at[:10]}, owner "
                      f"role {case.owner_role}) about {', '.join(case.subjects[:4])}; "
                      "its playbook:")
        for step in case.playbook:
            console.print(f"  {step.number}. ({step.role}) {step.step} (due {step.due_at[:16]})",
                          highlight=False)
    console.rule("[bold]Next")
    store_flag = "" if store_name == "embedded" else f" --store {store_name}"
    if waiting:
        console.print(f"  graphrisk alerts{store_flag}  # the alert queue")
        console.print(f"  graphrisk cases show {waiting[0]}{store_flag}  # work the case")
    unknown = result.scores[result.scores["known_risk_label"].isna()]
    if not unknown.empty:
        first = unknown.iloc[0]["customer_id"]
        console.print(f"  graphrisk neighbourhood {first}{store_flag}"
                      "  # look around the riskiest customer nobody had flagged")
        console.print(f"  graphrisk history {first}{store_flag}  # their score history")
    confirmed = next((w.case_id for w in worked if w.outcome == "confirmed_risk"), None)
    if confirmed:
        console.print(f"  graphrisk report case {confirmed}{store_flag}  # its retrospective, "
                      "as HTML")
        console.print(f"  graphrisk report str {confirmed}{store_flag}  # the "
                      "suspicious-activity report for the FIU")
    console.print(f"  graphrisk report portfolio{store_flag}  # alerts, precision, time to "
                  "close, rings")
    if identity is not None:
        console.print(f"  graphrisk resolve{store_flag}  # every probable same-person "
                      "cluster, with its reasons")
        console.print(f"  graphrisk resolve confirm {identity.pair_id} --note \"same "
                      f"passport\"{store_flag}  # or reject: kept across runs")
    if hits:
        console.print(f"  graphrisk screen hits{store_flag}  # the screening hits to review")
        console.print(f"  graphrisk screen confirm {hits[0].hit_id} --note \"same person\""
                      f"{store_flag}  # or dismiss: kept across runs")
    console.print(f"  graphrisk score --export scores.csv{store_flag}  # every customer, "
                  "with reasons")
    console.print(f"  graphrisk clusters --export clusters.csv{store_flag}  # ranked clusters")
    console.print("  graphrisk policy  # what each tier requires (GRAPHRISK_POLICY_FILE)")
    return DemoResult(counts, result, truth)
