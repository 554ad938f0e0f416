"""Tables and files for people: scores, clusters and the policy, as the CLI and demo show them.

Why separate from the CLI: the demo and the ``score``/``clusters`` commands show the same
tables, and the CSV exports must match what is on screen.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from graphrisk.errors import GraphRiskError
from graphrisk.policy import TIERS, RiskPolicy
from graphrisk.scoring import ScoringResult

if TYPE_CHECKING:
    from graphrisk.models.explain import ModelExplanation

__all__ = ["check_output_file", "coverage_lines", "export_clusters", "export_scores",
           "print_clusters", "print_coverage", "print_fusion", "print_policy", "print_scores",
           "print_tier_counts", "write_csv"]

_TIER_COLOURS = {"low": "green", "medium": "yellow", "high": "red"}
_REASON_SEPARATOR = " | "


def check_output_file(path: Path, *, overwrite: bool = False) -> Path:
    """Refuse, before any long work starts, a file the caller could not write.

    Why first: ``score --export`` runs (and stores) a whole scoring run before it writes;
    finding only then that the path is a folder, lies under a file, or would silently replace
    someone's earlier export wastes the run and loses nothing but the user's patience.

    Raises:
        GraphRiskError: the path is a folder, a parent is a file, or the file exists and
            ``overwrite`` is false; the message says what to do.
    """
    path = Path(path)
    if path.is_dir():
        raise GraphRiskError(f"{path} is a folder; give a file name, e.g. {path / 'out.csv'}")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise GraphRiskError(f"cannot write {path}: {parent} is a file, not a folder")
            break
    if path.exists() and not overwrite:
        raise GraphRiskError(f"{path} already exists; choose another name or pass "
                             "--overwrite to replace it")
    return path


def write_csv(frame: pd.DataFrame, path: Path) -> int:
    """Write ``frame`` as CSV (creating folders); returns rows written.

    Raises:
        GraphRiskError: the file cannot be written (permissions, disk full...).
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(path, index=False)
    except OSError as exc:
        raise GraphRiskError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return len(frame)


def export_scores(result: ScoringResult, path: Path) -> int:
    """Write one row per customer (id, score, tier, reasons, evidence); returns rows written."""
    frame = result.scores.assign(
        reasons=result.scores["reasons"].map(_REASON_SEPARATOR.join),
        run_id=result.run_id)
    return write_csv(frame, path)


def export_clusters(clusters: pd.DataFrame, path: Path) -> int:
    """Write one row per cluster, members space-separated; returns rows written."""
    return write_csv(clusters.assign(members=clusters["members"].map(" ".join)), path)


def print_scores(console: Console, result: ScoringResult, top: int = 10,
                 *, unknown_only: bool = False) -> None:
    """The riskiest customers with their tier and reasons."""
    scores = result.scores
    title = "Riskiest customers"
    if unknown_only:
        scores = scores[scores["known_risk_label"].isna()]
        title = "Riskiest customers not yet known to be risky"
    table = Table(title=title, show_lines=True)
    table.add_column("customer")
    table.add_column("score", justify="right")
    table.add_column("tier")
    table.add_column("why", overflow="fold")
    for row in scores.head(top).itertuples():
        colour = _TIER_COLOURS[row.tier]
        table.add_row(row.customer_id, f"{row.score:.0f}", f"[{colour}]{row.tier}[/]",
                      "\n".join(f"• {reason}" for reason in row.reasons))
    console.print(table)


def print_tier_counts(console: Console, result: ScoringResult, policy: RiskPolicy) -> None:
    """How many customers fall in each tier, with what the tier requires."""
    counts = result.scores["tier"].value_counts()
    table = Table(title="Customers per tier and what the policy requires")
    for name in ("tier", "customers", "review every", "payment limit", "first action"):
        table.add_column(name, justify="right" if name == "customers" else "left")
    for tier in reversed(TIERS):
        rules = policy.tiers[tier]
        table.add_row(f"[{_TIER_COLOURS[tier]}]{tier}[/] (≥ {rules.min_score:g})",
                      f"{int(counts.get(tier, 0)):,}", f"{rules.review_every_days} days",
                      f"{rules.transaction_limit:,.0f}", rules.required_actions[0])
    console.print(table)


def coverage_lines(result: ScoringResult, *, verbose: bool = False) -> list[str]:
    """What a run could not compute, a line each, as ``graphrisk score`` prints it.

    Why: a component without data is left out of the score without a sound; the team must
    see it to trust the score and to know what data would add it ("ring detection: no
    shared identifiers in this bank"). ``verbose`` adds every component with what it
    worked on.
    """
    absent = [c for c in result.coverage if not c.has_data]
    gaps = [c for c in result.coverage if c.has_data and c.missing]
    lines: list[str] = []
    if absent:
        lines.append("Not computed (left out of the score):")
        lines.extend(f"  • {c.title} — {c.detail}" for c in absent)
    if gaps:
        lines.append("Computed with gaps:")
        lines.extend(f"  • {c.title} — {'; '.join(c.missing)}" for c in gaps)
    if verbose and result.coverage:
        lines.append("What each component worked on:")
        lines.extend(f"  • {c.title} — {c.detail}" for c in result.coverage)
    return lines


def print_coverage(console: Console, result: ScoringResult, *, verbose: bool = False) -> None:
    """Print :func:`coverage_lines` (nothing when every component had all its data)."""
    for line in coverage_lines(result, verbose=verbose):
        console.print(escape(line))


def print_fusion(console: Console, result: ScoringResult) -> None:
    """One line: how the run fused its components (learned, or the noisy-OR and why)."""
    console.print(escape(result.fusion_summary()))


def print_clusters(console: Console, clusters: pd.DataFrame, top: int = 10) -> None:
    """The highest-ranked clusters with members and why they rank there."""
    table = Table(title="Highest-risk clusters", show_lines=True)
    for name in ("rank", "cluster", "size", "score", "members", "why"):
        table.add_column(name, overflow="fold",
                         justify="right" if name in ("rank", "size", "score") else "left")
    for row in clusters.head(top).itertuples():
        members = ", ".join(row.members[:6]) + (" ..." if row.size > 6 else "")
        table.add_row(str(row.rank), row.cluster_id, str(row.size), f"{row.score:.2f}",
                      members, row.reason)
    console.print(table)


def print_policy(console: Console, policy: RiskPolicy, source: Path) -> None:
    """The policy per tier, as read from ``source``."""
    table = Table(title=f"Risk policy ({source})", show_lines=True)
    summary = policy.summary()
    for column in summary.columns:
        table.add_column(column, overflow="fold")
    for row in summary.itertuples(index=False):
        table.add_row(*(f"{v:,.0f}" if isinstance(v, float) else str(v) for v in row))
    console.print(table)
    rules = Table(title=f"Alert rules and playbooks (monitoring mode: "
                  f"{policy.monitoring.mode})", show_lines=True)
    for column in ("rule", "severity", "owner", "quiet for (days)", "playbook"):
        rules.add_column(column, overflow="fold")
    for name, rule in policy.alert_rules.items():
        steps = "\n".join(f"{n}. ({s.role}, {s.within_hours} h) {escape(s.step)}"
                          for n, s in enumerate(rule.playbook, start=1))
        rules.add_row(name + ("" if rule.enabled else " [dim](off)[/]"), rule.severity,
                      rule.owner_role, str(rule.dedupe_days), steps)
    console.print(rules)


def print_model_explanation(console: Console, explanation: ModelExplanation) -> None:
    """Why the model scored a customer: reasons, then neighbours and features in numbers."""
    e = explanation
    console.print(f"[bold]{e.customer_id}[/]: the {e.model} model gives a "
                  f"{e.probability:.0%} probability of a confirmed risk label "
                  f"(it read {e.neighbourhood_size:,} nodes around the customer).")
    for reason in e.reasons:
        console.print(f"  • {escape(reason)}")
    table = Table(title="What moved the score (log-odds; positive raises the risk)")
    table.add_column("part")
    table.add_column("contribution", justify="right")
    for name, value in sorted(e.relationships.items(), key=lambda item: -abs(item[1])):
        table.add_row(name, f"{value:+.2f}")
    console.print(table)
    neighbours = Table(title="Strongest neighbours", show_lines=False)
    neighbours.add_column("node")
    neighbours.add_column("hops", justify="right")
    neighbours.add_column("contribution", justify="right")
    neighbours.add_column("how it is connected", overflow="fold")
    for n in e.neighbours:
        neighbours.add_row(f"{n.node_type} {escape(n.node_id)}", str(n.hops),
                           f"{n.attribution:+.2f}", escape(n.relationship))
    console.print(neighbours)
    features = Table(title="Strongest own features")
    features.add_column("feature", overflow="fold")
    features.add_column("value (sd)", justify="right")
    features.add_column("contribution", justify="right")
    for f in e.features:
        features.add_row(escape(f.description), f"{f.value:+.1f}", f"{f.attribution:+.2f}")
    console.print(features)
