"""The case retrospective and the portfolio review as standalone HTML documents.

Why here and not in the notebooks: ``graphrisk report case|portfolio`` writes the same
story as ``notebooks/case_retrospective.ipynb`` and ``notebooks/portfolio_review.ipynb``
for people who never open Jupyter — the same analyst API (:mod:`graphrisk.analyst`), the same
charts (:mod:`graphrisk.plots`), the same section order.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from graphrisk import plots
from graphrisk.analyst import CaseFile, Portfolio
from graphrisk.reporting.document import Document

__all__ = ["CASE_SECTIONS", "PORTFOLIO_SECTIONS", "case_document", "portfolio_document"]

#: The case retrospective's sections, in order (the notebook has the same headings).
CASE_SECTIONS: tuple[str, ...] = (
    "Summary", "Who was linked", "The timeline", "Score history", "Why it was flagged",
    "What the team did", "Outcome", "Lessons",
)
#: The portfolio review's sections, in order.
PORTFOLIO_SECTIONS: tuple[str, ...] = (
    "Alerts and their precision", "Time to close", "Tier migrations",
    "Recurring rings and typologies", "The graph model across training runs",
    "Back-tests and suggested policy changes",
)


def _generated() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def case_document(case: CaseFile, *, tier_floors: dict[str, float] | None = None) -> Document:
    """The retrospective of one case (see :data:`CASE_SECTIONS`)."""
    summary = case.summary()
    document = Document(f"Case retrospective: {case.case_id}",
                        f"{summary['title']} · generated {_generated()}")
    document.section("Summary").facts(case.facts())
    document.section("Who was linked").figure(
        plots.network_figure(case),
        "The subjects' network as it was when the case opened, coloured by the tier of "
        "that day; the ring's members are ringed in purple.")
    document.table(case.members, empty="No customer in the frozen network.", limit=60)
    document.section("The timeline").figure(
        plots.timeline_figure(case),
        "Money in and out of the subjects' accounts; red stars are the transactions the "
        "alerts point at, dashed lines when each alert could fire.")
    document.table(case.milestones, empty="No milestone.")
    flagged = case.transactions[case.transactions["flagged_by"] != ""] \
        if not case.transactions.empty else case.transactions
    document.paragraph(f"{len(flagged)} of the subjects' {len(case.transactions)} transactions "
                       "are named by an alert:")
    document.table(flagged, empty="None of the alerts names a transaction.", limit=50)
    document.section("Score history").figure(
        plots.score_history_figure(case, tier_floors),
        "Each subject's score across the stored runs, over the tier bands.")
    document.section("Why it was flagged").table(
        case.reasons_summary(), empty="No reason was recorded with the case.")
    if case.model_explanations:
        document.paragraph(
            f"The graph model's explanation, by today's model (trained "
            f"{case.model_trained_at or 'at an unknown time'}), not the model as it was when "
            "the case opened: trained after the decision, it may have learned from this "
            "case's own label.", note=True)
        document.bullets([f"{customer}: {_explanation(text)}"
                          for customer, text in case.model_explanations.items()])
    else:
        document.paragraph("No graph model is trained for this store, so only the rules and "
                           "the score's reasons speak here (`graphrisk train` trains one).")
    document.section("What the team did")
    document.paragraph("Playbook steps:").table(case.playbook, empty="No playbook step.")
    document.paragraph("Contacts with the customer:").table(case.contacts,
                                                            empty="No contact recorded.")
    document.paragraph("Notes:").table(case.notes, empty="No note.")
    document.paragraph("History:").table(case.history, empty="No change recorded.")
    outcome = case.case
    document.section("Outcome")
    if outcome.status == "closed":
        document.facts({"Outcome": outcome.outcome, "Risk label": outcome.risk_label,
                        "Closed": outcome.closed_at, "By": outcome.closed_by})
    else:
        document.paragraph(f"The case is still {outcome.status}.", note=True)
    document.section("Lessons").bullets(case.lessons_lines())
    document.paragraph("What we should do next time: (to be written by the analyst)",
                       note=True)
    return document


def _explanation(explanation: Any) -> str:
    """A model explanation in one line: its probability and strongest reasons."""
    reasons = "; ".join(getattr(explanation, "reasons", [])[:4]) or "no strong reason"
    probability = getattr(explanation, "probability", None)
    return (f"probability {probability:.0%}: {reasons}" if probability is not None
            else reasons)


def portfolio_document(portfolio: Portfolio, *, since: str | None = None) -> Document:
    """The experience summary across every case (see :data:`PORTFOLIO_SECTIONS`), or those
    since a day."""
    cases = portfolio.cases
    closed = cases.dropna(subset=["days_to_close"]) if not cases.empty else cases
    window = f" since {since}" if since else ""
    document = Document(
        "Portfolio review" + window,
        f"{len(portfolio.alerts):,} live alerts, {len(cases):,} cases ({len(closed):,} closed)"
        f"{window} · generated {_generated()}")
    document.section("Alerts and their precision")
    document.figure(plots.alerts_by_rule_figure(portfolio), "Live alerts per rule and tier.")
    document.figure(plots.precision_figure(portfolio),
                    "Share of decided alerts whose case was confirmed.")
    document.table(portfolio.precision, empty="No alert yet.")
    document.section("Time to close").figure(plots.time_to_close_figure(portfolio))
    if not cases.empty:
        by_outcome = cases.assign(outcome=cases["outcome"].fillna("open")).groupby(
            "outcome").agg(cases=("case_id", "count"),
                           median_days_to_close=("days_to_close", "median")).reset_index()
        document.table(by_outcome)
    document.section("Tier migrations").figure(plots.migrations_figure(portfolio))
    if not portfolio.migrations.empty:
        document.table(portfolio.migration_counts())
    document.section("Recurring rings and typologies")
    recurring = portfolio.rings[portfolio.rings["recurring"]] if not portfolio.rings.empty \
        else portfolio.rings
    document.paragraph(f"{len(portfolio.rings)} high-risk rings in the stored rankings, "
                       f"{len(recurring)} of them recurring (in several rankings or cases).")
    document.table(portfolio.rings, empty="No high-risk ring.", limit=30)
    document.table(portfolio.typologies, empty="No alert yet.", limit=40)
    document.section("The graph model across training runs").figure(
        plots.model_runs_figure(portfolio))
    document.table(portfolio.model_runs, empty="No training run recorded yet.")
    document.section("Back-tests and suggested policy changes")
    document.table(portfolio.backtests, empty="No back-test run yet "
                   "(`graphrisk backtest --policy FILE`).")
    document.bullets(portfolio.suggestions())
    return document

