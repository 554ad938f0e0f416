"""Charts of a case and of the portfolio, drawn with matplotlib from :mod:`graphrisk.analyst`.

Why one module for both faces: the notebook shows these figures inline and ``graphrisk
report`` embeds the same figures in its HTML, so a retrospective reads the same wherever it
is opened. Every function returns a :class:`matplotlib.figure.Figure` and never calls
``plt.show()``; an empty input draws a figure that says what is missing rather than failing.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import networkx as nx
import pandas as pd
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from graphrisk.policy import TIERS

if TYPE_CHECKING:
    from graphrisk.analyst import CaseFile, Portfolio

__all__ = [
    "TIER_COLOURS",
    "alerts_by_rule_figure",
    "migrations_figure",
    "model_runs_figure",
    "network_figure",
    "precision_figure",
    "score_history_figure",
    "tier_bands",
    "time_to_close_figure",
    "timeline_figure",
]

#: One colour per tier, the investigator page's (green, amber, red).
TIER_COLOURS: dict[str, str] = {"low": "#2e7d32", "medium": "#f9a825", "high": "#c62828"}
_UNSCORED = "#9e9e9e"
_LABEL_SHAPES = {"Customer": "o", "Account": "s", "Counterparty": "D", "Identifier": "^",
                 "Dispute": "X", "Loan": "P", "AccountChange": "v"}


def _figure(width: float = 9.0, height: float = 4.5) -> tuple[Figure, Any]:
    figure = Figure(figsize=(width, height), layout="constrained")
    return figure, figure.subplots()


def _empty(ax: Any, message: str) -> None:
    """Say what is missing in a short strip instead of a large blank chart."""
    ax.figure.set_size_inches(8, 0.8)
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=11, color="#555555",
            wrap=True, transform=ax.transAxes)
    ax.set_axis_off()


def _tier_colour(tier: Any) -> str:
    return TIER_COLOURS.get(str(tier), _UNSCORED)


# -- a case ------------------------------------------------------------------------------


def network_figure(case: CaseFile, *, seed: int = 7) -> Figure:
    """The case's network as frozen when it opened: customers coloured by their tier of that
    day, the subjects large with a black edge, the ring's members ringed in purple; other
    nodes small and grey by kind (accounts, counterparties, identifiers...)."""
    figure, ax = _figure(9, 7)
    graph = case.network
    if graph.number_of_nodes() == 0:
        _empty(ax, "No network was frozen with this case.")
        return figure
    simple = nx.Graph(graph.to_undirected())
    layout = nx.spring_layout(simple, seed=seed, k=1.6 / math.sqrt(max(len(simple), 1)))
    nx.draw_networkx_edges(simple, layout, ax=ax, edge_color="#b0b0b0", width=0.8)
    for label, shape in _LABEL_SHAPES.items():
        nodes = [n for n, d in graph.nodes(data=True) if d.get("label") == label]
        if not nodes:
            continue
        if label == "Customer":
            colours = [_tier_colour(graph.nodes[n].get("tier")) for n in nodes]
            sizes = [520 if graph.nodes[n].get("subject") else 220 for n in nodes]
            edges = ["#6a1b9a" if graph.nodes[n].get("ring") else
                     ("black" if graph.nodes[n].get("subject") else "white") for n in nodes]
            widths = [3.0 if graph.nodes[n].get("ring") else 1.5 for n in nodes]
        else:
            colours, sizes, edges, widths = ("#cfd8dc", 70, "#78909c", 0.8)
        nx.draw_networkx_nodes(simple, layout, nodelist=nodes, node_shape=shape, ax=ax,
                               node_color=colours, node_size=sizes, edgecolors=edges,
                               linewidths=widths)
    subjects = {n: n.partition(":")[2] for n, d in graph.nodes(data=True) if d.get("subject")}
    nx.draw_networkx_labels(simple, layout, labels=subjects, ax=ax, font_size=8,
                            font_weight="bold", verticalalignment="bottom")
    handles = [Patch(color=TIER_COLOURS[t], label=f"{t} tier") for t in TIERS]
    handles += [Patch(color=_UNSCORED, label="not scored"),
                Line2D([], [], marker="o", color="white", markeredgecolor="black",
                       markersize=11, label="case subject"),
                Line2D([], [], marker="o", color="white", markeredgecolor="#6a1b9a",
                       markeredgewidth=3, markersize=9, label="ring member")]
    handles += [Line2D([], [], marker=shape, color="white", markerfacecolor="#cfd8dc",
                       markeredgecolor="#78909c", markersize=7, label=label)
                for label, shape in _LABEL_SHAPES.items() if label != "Customer"
                and any(d.get("label") == label for _, d in graph.nodes(data=True))]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8,
              frameon=False)
    ring = f"; ring {case.ring['cluster_id']}" if case.ring else ""
    ax.set_title(f"{case.case_id}: network frozen when the case opened{ring}", fontsize=11)
    ax.set_axis_off()
    return figure


def timeline_figure(case: CaseFile, *, lead_days: int = 14) -> Figure:
    """Money in and out of the subjects' accounts over time (log amount), the transactions
    the alerts' evidence names as red stars, the first signal and the moments the alerts
    could fire: read left to right, "when could we have known?".

    The top panel is the whole stored history; the bottom one zooms on the case, from
    ``lead_days`` before the first signal to a week after the last alert's evidence.
    """
    figure = Figure(figsize=(10, 6.5), layout="constrained")
    frame = case.transactions
    if frame.empty:
        _empty(figure.subplots(), "The subjects have no stored transactions.")
        return figure
    whole, zoom = figure.subplots(2, 1, height_ratios=[1, 2])
    signal = case.milestones[case.milestones["milestone"] == "first_signal"]["at"]
    evidence = pd.to_datetime(case.alerts["at"], utc=True) if not case.alerts.empty \
        else pd.Series(dtype="datetime64[ns, UTC]")
    start = pd.Timestamp(signal.iat[0]) if not signal.empty else frame["timestamp"].min()
    start -= pd.Timedelta(days=lead_days)
    end = (evidence.max() if not evidence.empty else frame["timestamp"].max()) \
        + pd.Timedelta(days=7)
    _transactions(whole, frame, legend=False)
    whole.axvspan(start, end, color="#6a1b9a", alpha=0.08)
    whole.set_title("Transactions of the subjects' accounts: the whole history (shaded: the "
                    "case, below)", fontsize=10)
    shown = frame[(frame["timestamp"] >= start) & (frame["timestamp"] <= end)]
    _transactions(zoom, shown, legend=True)
    zoom.set_xlim(start, end)
    if not signal.empty:
        zoom.axvline(signal.iat[0], color="#6a1b9a", linestyle=":", linewidth=1.5,
                     label="first signal")
    moments = case.alerts.assign(moment=evidence).groupby("moment")["rule"] \
        .agg(lambda rules: ", ".join(dict.fromkeys(rules))) if not case.alerts.empty \
        else pd.Series(dtype=object)
    for number, (moment, rules) in enumerate(moments.items()):
        zoom.axvline(moment, color="#c62828", linestyle="--", linewidth=1,
                     label="an alert could fire" if number == 0 else None)
        zoom.annotate(rules, (moment, 0.03 + 0.08 * (number % 5)),
                      xycoords=("data", "axes fraction"), fontsize=7, color="#c62828",
                      ha="right", va="bottom", backgroundcolor="#ffffffcc")
    zoom.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    zoom.set_title("The case: when could we have known?", fontsize=10)
    for ax in (whole, zoom):
        locator = AutoDateLocator()
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    return figure


def _transactions(ax: Any, frame: pd.DataFrame, *, legend: bool) -> None:
    plain = frame[frame["flagged_by"] == ""]
    flagged = frame[frame["flagged_by"] != ""]
    for direction, colour in (("in", "#1565c0"), ("out", "#8d6e63")):
        part = plain[plain["direction"] == direction]
        ax.scatter(part["timestamp"], part["amount"], s=14, color=colour, alpha=0.6,
                   label=f"money {direction}")
    if not flagged.empty:
        ax.scatter(flagged["timestamp"], flagged["amount"], s=70, marker="*",
                   color="#c62828", label="named by an alert", zorder=3)
    ax.set_yscale("log")
    currency = frame["currency"].mode()
    ax.set_ylabel(f"amount ({currency.iat[0]})" if not currency.empty else "amount")
    if not legend and ax.get_legend() is not None:
        ax.get_legend().remove()


def score_history_figure(case: CaseFile, tier_floors: dict[str, float] | None = None
                         ) -> Figure:
    """Each subject's risk score across the stored runs, over the tier bands
    (``tier_floors``: each tier's lowest score, e.g. ``{"low": 0, "medium": 40, "high": 70}``;
    :func:`graphrisk.analyst.tier_floors` reads them from the policy)."""
    figure, ax = _figure(9, 4)
    history = case.scores
    if history.empty:
        _empty(ax, "No stored score for the subjects yet (`graphrisk score`).")
        return figure
    if tier_floors:
        tier_bands(ax, tier_floors)
    runs = history.drop_duplicates("run_id").sort_values("created_at")
    span = runs["created_at"].max() - runs["created_at"].min()
    if span < pd.Timedelta(days=1):
        # runs minutes apart (a demo, a replay): one step per run reads better than a clock
        position = {run: number for number, run in enumerate(runs["run_id"])}
        x_of = lambda rows: rows["run_id"].map(position)  # noqa: E731
        ax.set_xticks(range(len(runs)), [f"{t:%m-%d %H:%M:%S}\n{k.split(':')[-1]}" for t, k in
                                         zip(runs["created_at"], runs["kind"], strict=True)],
                      fontsize=7)
        ax.set_xlabel("score run")
    else:
        x_of = lambda rows: rows["created_at"]  # noqa: E731
        locator = AutoDateLocator()
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    for customer, rows in history.groupby("customer_id", sort=True):
        ax.plot(x_of(rows), rows["score"], marker="o", markersize=4, label=customer)
    ax.set_ylim(0, 100)
    ax.set_ylabel("risk score (0-100)")
    ax.legend(loc="upper left", fontsize=8, frameon=False, ncol=2)
    ax.set_title("Score history of the subjects", fontsize=11)
    return figure


def tier_bands(ax: Any, tier_floors: dict[str, float]) -> None:
    """Shade each tier's score band behind a score plot, named at its right edge."""
    floors = sorted((float(v), t) for t, v in tier_floors.items())
    for (low, tier), (high, _) in zip(floors, [*floors[1:], (100.0, "")], strict=True):
        ax.axhspan(low, high, color=_tier_colour(tier), alpha=0.08, zorder=0)
        ax.text(1.0, (low + high) / 2, f" {tier}", transform=ax.get_yaxis_transform(),
                va="center", fontsize=8, color=_tier_colour(tier))


# -- the portfolio -----------------------------------------------------------------------


def alerts_by_rule_figure(portfolio: Portfolio) -> Figure:
    """Live alerts per rule, stacked by the customer's tier when raised."""
    figure, ax = _figure(9, 4.5)
    alerts = portfolio.alerts
    if alerts.empty:
        _empty(ax, "No live alert has been raised yet.")
        return figure
    table = alerts.pivot_table(index="rule", columns="tier", values="alert_id",
                               aggfunc="count", fill_value=0)
    table = table.reindex(columns=[t for t in TIERS if t in table.columns])
    table = table.loc[table.sum(axis=1).sort_values().index]
    left = pd.Series(0, index=table.index)
    for tier in table.columns:
        ax.barh(table.index, table[tier], left=left, color=_tier_colour(tier), label=tier)
        left = left + table[tier]
    ax.set_xlabel("alerts")
    ax.legend(title="tier", fontsize=8, frameon=False)
    ax.set_title("Alerts by rule and tier", fontsize=11)
    return figure


def precision_figure(portfolio: Portfolio) -> Figure:
    """Per rule: the share of decided alerts whose case was confirmed, with the count
    decided written beside each bar (a precision from two cases means little)."""
    figure, ax = _figure(9, 4.5)
    table = portfolio.precision
    if table.empty or int(table["judged"].sum()) == 0:
        _empty(ax, "No alert's case has been decided yet: precision needs closed cases.")
        return figure
    by_rule = table.groupby("rule")[["judged", "confirmed"]].sum()
    by_rule = by_rule[by_rule["judged"] > 0]
    by_rule["precision"] = by_rule["confirmed"] / by_rule["judged"]
    by_rule = by_rule.sort_values("precision")
    ax.barh(by_rule.index, by_rule["precision"], color="#1565c0")
    for y, (share, decided) in enumerate(zip(by_rule["precision"], by_rule["judged"],
                                             strict=True)):
        ax.text(min(share + 0.02, 0.9), y, f"{share:.0%} of {int(decided)}", va="center",
                fontsize=8)
    ax.set_xlim(0, 1.05)
    ax.set_xlabel("precision (confirmed / decided)")
    ax.set_title("Which rules earned their alerts", fontsize=11)
    return figure


def time_to_close_figure(portfolio: Portfolio) -> Figure:
    """Days from opening to decision of closed cases, by outcome."""
    figure, ax = _figure(9, 4)
    closed = portfolio.cases.dropna(subset=["days_to_close"])
    if closed.empty:
        _empty(ax, "No case has been closed yet.")
        return figure
    outcomes = sorted(closed["outcome"].dropna().unique())
    hours = closed["days_to_close"].max() < 2  # cases decided within hours: say hours
    unit = "hours" if hours else "days"
    scale = 24.0 if hours else 1.0
    longest = float(closed["days_to_close"].max()) * scale
    ax.hist([closed.loc[closed["outcome"] == o, "days_to_close"] * scale for o in outcomes],
            bins=min(20, max(5, len(closed))), range=(0.0, max(longest, 1.0)), stacked=True,
            label=outcomes)
    ax.set_xlabel(f"{unit} from opening to decision")
    ax.set_ylabel("cases")
    ax.legend(fontsize=8, frameon=False)
    median = closed["days_to_close"].median() * scale
    ax.set_title(f"Time to close ({len(closed)} cases, median {median:.1f} {unit})",
                 fontsize=11)
    return figure


def migrations_figure(portfolio: Portfolio) -> Figure:
    """Tier before against tier after across every finished re-assessment."""
    figure, ax = _figure(5.5, 4.5)
    moves = portfolio.migrations
    if moves.empty:
        _empty(ax, "No re-assessment has finished yet (`graphrisk reassess`).")
        return figure
    before = moves["tier_before"].fillna("new").astype(str)
    table = pd.crosstab(before, moves["tier_after"].astype(str))
    rows = [t for t in ("new", *TIERS) if t in table.index]
    columns = [t for t in TIERS if t in table.columns]
    table = table.reindex(index=rows, columns=columns, fill_value=0)
    counts = table.to_numpy()
    ax.imshow(counts, cmap="Blues")
    ax.set_xticks(range(len(columns)), columns)
    ax.set_yticks(range(len(rows)), rows)
    darkest = counts.max() if counts.size else 0
    for (y, x), count in pd.DataFrame(counts).stack().items():
        dark = darkest and count > 0.5 * darkest  # white on the dark cells, black elsewhere
        ax.text(x, y, f"{count:,}", ha="center", va="center", fontsize=10,
                color="white" if dark else "black")
    ax.set_xlabel("tier after")
    ax.set_ylabel("tier before")
    ax.set_title("Tier migrations across re-assessments", fontsize=11)
    return figure


def model_runs_figure(portfolio: Portfolio) -> Figure:
    """Held-out ROC-AUC (solid) and PR-AUC (dashed) of each recorded training run, one
    colour per model kind, each run labelled with its model and day."""
    figure, ax = _figure(9, 4)
    runs = portfolio.model_runs
    metrics = [m for m in ("test_roc_auc", "test_pr_auc") if m in runs.columns]
    if runs.empty or not metrics:
        _empty(ax, "No training run recorded yet (`graphrisk train`).")
        return figure
    runs = runs.reset_index(drop=True)
    kinds = runs["model"].fillna("model").astype(str) if "model" in runs.columns \
        else pd.Series("model", index=runs.index)
    for kind in dict.fromkeys(kinds):
        mine = runs[kinds == kind]
        for metric, style in zip(metrics, ("-", "--"), strict=False):
            ax.plot(mine.index + 1, pd.to_numeric(mine[metric], errors="coerce"),
                    linestyle=style, marker="o", label=f"{kind} {metric.removeprefix('test_')}")
    ax.set_xticks(range(1, len(runs) + 1),
                  [f"{kind}\n{str(at)[:10]}" for kind, at in zip(kinds, runs["at"],
                                                                 strict=True)], fontsize=8)
    ax.set_xlabel("training run")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8, frameon=False)
    ax.set_title("Graph model on held-out customers, run by run", fontsize=11)
    return figure
