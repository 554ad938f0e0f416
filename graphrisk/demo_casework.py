"""The demo's investigator: works the first cases the demo's monitoring opened.

Why: a case retrospective, the portfolio review and a suspicious-activity report are about
cases that people worked — owners, notes, contacts, playbook steps, an outcome. A demo bank
fresh from monitoring has only open cases, so the notebooks and ``graphrisk report`` would
open on empty sections. This plays a (clearly named) demo investigator through the same
service calls a person makes in the CLI or on the page, and decides each case from the
generated sample's hidden ground truth — which a real team never has; here it stands for the
investigation's finding. Every change is in the audit trail under the demo actor's name.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from graphrisk.service import RiskService

__all__ = ["DEMO_INVESTIGATOR", "WorkedCase", "work_demo_cases"]

#: Who the demo's case changes are recorded as.
DEMO_INVESTIGATOR = "demo-investigator"


@dataclass(frozen=True)
class WorkedCase:
    case_id: str
    outcome: str | None
    subjects: tuple[str, ...]


def work_demo_cases(service: RiskService, base_dir: Path, stream_dir: Path | None = None, *,
                    limit: int = 5, leave_open: int = 1) -> list[WorkedCase]:
    """Work up to ``limit`` open cases; close all but ``leave_open`` of them.

    A case closes ``confirmed_risk`` (with a risk label for what was planted) when one of its
    subjects is planted risky in the generated bank (``base_dir/truth/ground_truth.csv``) or
    in the event stream (``stream_dir/stream_truth.json``), else ``false_positive``. The
    cases are chosen so that the demo has both outcomes: planted ones first, then others.
    Cases already worked are left alone, so running the demo again changes nothing.
    """
    truth = _truth(Path(base_dir) / "truth" / "ground_truth.csv")
    if stream_dir is not None:
        truth |= _stream_truth(Path(stream_dir) / "stream_truth.json")
    monitoring = service.monitoring
    actor = DEMO_INVESTIGATOR
    worked: list[WorkedCase] = []
    waiting = [c for c in monitoring.cases(status="open") if c.owner is None]
    planted = [c for c in waiting if any(s in truth for s in c.subjects)]
    others = [c for c in waiting if c not in planted]
    half = max(1, limit // 2)
    fresh = planted[:limit - min(len(others), half)]
    fresh += others[:limit - len(fresh)]
    for number, case in enumerate(fresh):
        case_id = case.case_id
        monitoring.assign_case(case_id, actor, actor=actor)
        monitoring.move_case(case_id, "investigating", actor=actor)
        subjects = ", ".join(case.subjects)
        monitoring.note_case(
            case_id, f"Reviewed the alerts on {subjects} and the linked network frozen with "
            "the case; requested statements for the last 90 days.", actor=actor)
        for step in case.playbook[:2]:
            monitoring.tick_step(case_id, step.number, actor=actor)
        on = datetime.now(UTC).date().isoformat()
        monitoring.contact_case(
            case_id, channel="letter", template="request_documents", on=on, actor=actor,
            summary="Asked the customer to explain the source of funds of the flagged "
                    "payments and to send supporting documents.")
        if number >= len(fresh) - leave_open and len(fresh) > leave_open:
            worked.append(WorkedCase(case_id, None, tuple(case.subjects)))
            continue
        labels = [truth[s] for s in case.subjects if truth.get(s)]
        if labels:
            monitoring.note_case(
                case_id, f"Narrative: funds moved through {subjects} in a pattern consistent "
                f"with {labels[0].replace('_', ' ')}; the customer's reply did not explain the "
                "source of funds. Decided to report to the FIU and restrict the accounts.",
                actor=actor)
            monitoring.close_case(case_id, "confirmed_risk", risk_label=labels[0],
                                  note="Confirmed after document review.", actor=actor)
            outcome = "confirmed_risk"
        else:
            monitoring.close_case(case_id, "false_positive", actor=actor,
                                  note="Documents explained the payments (salary and a "
                                       "property sale); no further action.")
            outcome = "false_positive"
        worked.append(WorkedCase(case_id, outcome, tuple(case.subjects)))
    return worked


#: The risk label a confirmed case of each planted typology gets (others: money laundering).
_LABEL_OF_TYPOLOGY = {
    "account_takeover": "fraud", "dispute_cluster": "fraud", "identity_ring": "identity_fraud",
    "fan_in": "mule", "fan_out": "mule", "high_risk_profile": "other",
}


def _truth(truth_file: Path) -> dict[str, str]:
    """Planted risky customers and the risk label their typology stands for."""
    if not Path(truth_file).is_file():
        return {}
    frame = pd.read_csv(truth_file, usecols=["customer_id", "risky", "typology"])
    risky = frame[frame["risky"] == 1]
    return {str(c): _LABEL_OF_TYPOLOGY.get(str(t), "money_laundering")
            for c, t in zip(risky["customer_id"], risky["typology"], strict=True)}


#: The risk label of each kind of planted stream event (others: money laundering).
_LABEL_OF_STREAM_KIND = {
    "fan_in": "mule", "fan_out": "mule", "dispute_spike": "fraud", "account_churn": "fraud",
    "risky_link": "other",
}


def _stream_truth(truth_file: Path) -> dict[str, str]:
    """The principal customers of each planted stream event and their risk label."""
    if not truth_file.is_file():
        return {}
    planted = json.loads(truth_file.read_text(encoding="utf-8")).get("planted", [])
    return {str(c): _LABEL_OF_STREAM_KIND.get(str(p["kind"]), "money_laundering")
            for p in planted for c in p.get("principal_customer_ids", [])}
