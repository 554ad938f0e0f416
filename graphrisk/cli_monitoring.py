"""``graphrisk alerts | cases | reassess | backtest | tier-bounds | audit``: the risk-management
cycle.

A thin face over :class:`graphrisk.monitoring.service.MonitoringService`
(``RiskService.monitoring``): each command is one call and a table, or ``--json`` for
scripts. Commands that change something take ``--by`` (default ``GRAPHRISK_USER``, else the
operating-system user), which the audit trail records; ``--version`` makes a change apply
only to the version of the case you read (a conflict is one red line naming both versions).
Cron-friendly: no prompts, exit code 0 on success and 2 on an error, a summary line.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from graphrisk.cli import StoreOption, _bars, _friendly_errors, _service, app, console
from graphrisk.monitoring.records import CHANNELS, OUTCOMES, Alert, Case
from graphrisk.tier_bounds import CONFIDENCE, MIN_JUDGED

if TYPE_CHECKING:  # the monitor pulls in the analytics; commands import it when they run
    from graphrisk.monitoring.monitor import BatchOutcome

alerts_app = typer.Typer(help="The alert queue: list alerts, acknowledge them, rule precision.",
                         invoke_without_command=True)
app.add_typer(alerts_app, name="alerts")
cases_app = typer.Typer(help="Cases: list, show, assign, move, note, contact, tick a playbook "
                        "step, close with an outcome.", no_args_is_help=True)
app.add_typer(cases_app, name="cases")

ByOption = Annotated[str | None, typer.Option(
    "--by", help="Who makes the change (default: GRAPHRISK_USER, else your user name).")]
VersionOption = Annotated[int | None, typer.Option(
    "--version", help="Apply only if the case is still at this version (from `cases show`).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _dump(value: Any) -> None:
    console.print_json(json.dumps(value, default=str))


def _columns(table: Table, names: tuple[str, ...], *, ids: tuple[str, ...]) -> None:
    """Id columns stay on one line (they are copied into the next command); the others
    fold, and the last, the sentence, takes what width is left."""
    for name in names[:-1]:
        if name in ids:
            table.add_column(name, no_wrap=True, overflow="fold")
        else:
            table.add_column(name, overflow="fold")
    table.add_column(names[-1], ratio=1, overflow="fold")


def _short(text: str, most: int = 160) -> str:
    """A sentence cut for a table row (``cases show`` and ``--json`` have it whole)."""
    return escape(text if len(text) <= most else text[: most - 1].rstrip() + "…")


def print_batch(outcome: BatchOutcome) -> None:
    """What monitoring did with an incremental batch: its alerts and cases, one summary."""
    if outcome.alerts:
        table = Table(title=f"{len(outcome.alerts)} alerts")
        _columns(table, ("rule", "severity", "customer", "case", "what happened"),
                 ids=("customer", "case"))
        for alert in outcome.alerts:
            table.add_row(alert.rule, _severity(alert.severity), alert.customer_id,
                          alert.case_id or "-", _short(alert.sentence))
        console.print(table)
    console.print(outcome.summary())


@app.command()
def stream(
    base: Annotated[Path, typer.Option("--base", help="The generated bank the stream follows "
                                       "(graphrisk generate --out).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for batch-0001/, ...")],
    batches: Annotated[int, typer.Option(min=1, max=10_000)] = 6,
    events: Annotated[int, typer.Option("--events", min=10, help="Rows per batch.")] = 100,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    plant: Annotated[bool, typer.Option("--plant/--no-plant", help="Plant developing risk "
                                        "(cycles, fans, structuring, risky links...).")] = True,
) -> None:
    """Generate a later stream of event batches over a generated bank, in which risk develops.

    Feed each batch to `graphrisk ingest --incremental`; the planted shapes and the alerts
    they should raise are in stream_truth.json.
    """
    from graphrisk.service import generate_event_stream

    with _friendly_errors():
        summary = generate_event_stream(base, out, batches=batches, events=events, seed=seed,
                                        plant=plant)
    console.print(f"Wrote {summary.batches} batches to {out} ({summary.planted} planted "
                  f"shapes); truth: {out / 'stream_truth.json'}")


# -- alerts ------------------------------------------------------------------------------------
@alerts_app.callback()
def alerts_list(
    ctx: typer.Context,
    status: Annotated[str, typer.Option(help="new, acknowledged or all.")] = "new",
    customer: Annotated[str | None, typer.Option(help="Only this customer's.")] = None,
    rule: Annotated[str | None, typer.Option(help="Only this rule's.")] = None,
    shadow: Annotated[bool, typer.Option("--shadow", help="The shadow policy's alerts "
                                         "(logged and counted, no case).")] = False,
    limit: Annotated[int, typer.Option(min=1)] = 50,
    as_json: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """List alerts, newest first (and overdue cases, which need action too)."""
    if ctx.invoked_subcommand is not None:
        return
    wanted = None if shadow else (("unfiled", "new", "acknowledged") if status == "all"
                                  else status)
    with _service(store) as service:
        alerts = service.monitoring.alerts(status=wanted, customer=customer, rule=rule,
                                           shadow=shadow)
        late = service.monitoring.overdue() if not shadow else []
    if as_json:
        _dump([a.model_dump(mode="json") for a in alerts[:limit]])
        return
    table = Table(title=f"{len(alerts)} {'shadow' if shadow else status} alerts")
    _columns(table, ("alert", "at", "rule", "severity", "customer", "tier", "case",
                     "what happened"), ids=("alert", "customer", "case"))
    for alert in alerts[:limit]:
        table.add_row(alert.alert_id, alert.at[:16], alert.rule, _severity(alert.severity),
                      alert.customer_id, alert.tier, alert.case_id or "-",
                      _short(alert.sentence))
    console.print(table)
    if len(alerts) > limit:
        console.print(f"... and {len(alerts) - limit} more (--limit)")
    if late:
        console.print(f"[bold red]{len(late)} open case(s) overdue[/]: "
                      + ", ".join(c.case_id for c, _ in late[:10])
                      + " (graphrisk cases list --overdue)")


@alerts_app.command("ack")
def alerts_ack(alert_id: Annotated[str, typer.Argument(help="The alert's id.")],
               by: ByOption = None, store: StoreOption = None) -> None:
    """Acknowledge an alert (recorded in the audit trail)."""
    with _service(store) as service:
        alert = service.monitoring.acknowledge(alert_id, actor=by)
    console.print(f"{alert.alert_id} acknowledged by {alert.acknowledged_by} at "
                  f"{alert.acknowledged_at}")


@alerts_app.command("precision")
def alerts_precision(as_json: JsonOption = False, store: StoreOption = None) -> None:
    """Precision of each rule and tier against closed cases' outcomes."""
    with _service(store) as service:
        table = service.monitoring.precision()
    if as_json:
        _dump(table.to_dict(orient="records"))
        return
    out = Table(title="Alert precision against closed cases")
    for name in ("rule", "tier", "alerts", "judged", "confirmed", "precision"):
        out.add_column(name, justify="left" if name in ("rule", "tier") else "right")
    for row in table.itertuples(index=False):
        precision = "-" if row.precision != row.precision else f"{row.precision:.0%}"
        out.add_row(row.rule, row.tier, str(row.alerts), str(int(row.judged)),
                    str(int(row.confirmed)), precision)
    console.print(out)


def _severity(severity: str) -> str:
    colour = {"critical": "bold red", "high": "red", "medium": "yellow"}.get(severity, "")
    return f"[{colour}]{severity}[/]" if colour else severity


# -- cases -------------------------------------------------------------------------------------
@cases_app.command("list")
def cases_list(
    status: Annotated[str, typer.Option(help="open (not closed), closed, all, or one status.")
                      ] = "open",
    owner: Annotated[str | None, typer.Option(help="Only this owner's.")] = None,
    customer: Annotated[str | None, typer.Option(help="Only cases about this customer.")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only overdue cases.")] = False,
    as_json: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """List cases, oldest first."""
    wanted: Any = {"open": ("open", "investigating", "escalated"), "all": None}.get(status,
                                                                                    status)
    with _service(store) as service:
        cases = service.monitoring.cases(status=wanted, owner=owner, customer=customer)
        late = {c.case_id: steps for c, steps in service.monitoring.overdue()}
    if overdue:
        cases = [c for c in cases if c.case_id in late]
    if as_json:
        _dump([c.model_dump(mode="json") | {"overdue": c.case_id in late} for c in cases])
        return
    table = Table(title=f"{len(cases)} cases")
    _columns(table, ("case", "v", "status", "priority", "tier", "owner", "subjects", "due",
                     "steps", "title"), ids=("case",))
    for case in cases:
        done = sum(1 for s in case.playbook if s.done_at)
        due = case.due_at[:10] + (" [red]OVERDUE[/]" if case.case_id in late else "")
        table.add_row(case.case_id, str(case.version), case.status, case.priority, case.tier,
                      case.owner or f"({case.owner_role})", ", ".join(case.subjects[:4])
                      + (f" +{len(case.subjects) - 4}" if len(case.subjects) > 4 else ""),
                      due, f"{done}/{len(case.playbook)}", _short(case.title, 80))
    console.print(table)


@cases_app.command("show")
def cases_show(case_id: Annotated[str, typer.Argument()], as_json: JsonOption = False,
               store: StoreOption = None) -> None:
    """One case: subjects, alerts, playbook, notes, contacts, frozen evidence, history."""
    with _service(store) as service:
        case = service.monitoring.case(case_id)
        alerts = [service.monitoring.alert(a) for a in case.alert_ids]
    if as_json:
        _dump(case.model_dump(mode="json") | {"alerts": [a.model_dump(mode="json")
                                                         for a in alerts]})
        return
    _print_case(case, alerts)


def _print_case(case: Case, alerts: list[Alert]) -> None:
    console.print(f"[bold]{case.case_id}[/] (version {case.version}) {case.status.upper()} "
                  f"{case.priority} tier {case.tier}; owner {case.owner or 'unassigned'} "
                  f"({case.owner_role}); opened {case.opened_at} by {case.opened_by}; due "
                  f"{case.due_at}")
    if case.outcome:
        console.print(f"closed {case.closed_at} by {case.closed_by}: [bold]{case.outcome}[/]"
                      + (f" ({case.risk_label})" if case.risk_label else ""))
    console.print(f"subjects: {', '.join(case.subjects)}")
    console.print("[bold]alerts[/]")
    for alert in alerts:
        console.print(f"  {alert.at[:16]} {alert.rule} ({alert.severity}) {alert.customer_id}: "
                      f"{escape(alert.sentence)}", highlight=False)
    console.print("[bold]playbook[/]")
    for step in case.playbook:
        mark = (f"[green]done[/] by {step.done_by} {step.done_at}" if step.done_at
                else f"due {step.due_at[:16]}")
        console.print(f"  {step.number}. ({step.role}) {escape(step.step)} — {mark}",
                      highlight=False)
    if case.notes:
        console.print("[bold]notes[/]")
        for note in case.notes:
            console.print(f"  {note.at[:16]} {note.by}: {escape(note.text)}", highlight=False)
    if case.contacts:
        console.print("[bold]customer contacts[/]")
        for contact in case.contacts:
            template = f" [{contact.template}]" if contact.template else ""
            console.print(f"  {contact.date} {contact.channel}{template} by {contact.by}: "
                          f"{escape(contact.summary)}", highlight=False)
    console.print(f"[bold]evidence frozen at {case.evidence.frozen_at}[/]")
    for customer, score in case.evidence.scores.items():
        network = case.evidence.subgraphs.get(customer, {})
        console.print(f"  {customer}: score {score['score']:.0f} ({score['tier']}); "
                      f"{len(network.get('nodes', []))} nodes within 2 hops; "
                      + "; ".join(escape(r) for r in score["reasons"][:3]), highlight=False)
    console.print("[bold]history[/]")
    for entry in case.history:
        console.print(f"  {entry.at[:16]} {entry.by} {entry.action} {escape(entry.detail)}",
                      highlight=False)


def _changed(case: Case, what: str) -> None:
    console.print(f"{case.case_id} {what} (now version {case.version}, {case.status})")


@cases_app.command("assign")
def cases_assign(case_id: Annotated[str, typer.Argument()],
                 owner: Annotated[str, typer.Argument(help="Who works the case.")],
                 by: ByOption = None, version: VersionOption = None,
                 store: StoreOption = None) -> None:
    """Give a case to someone."""
    with _service(store) as service:
        case = service.monitoring.assign_case(case_id, owner, actor=by,
                                              expected_version=version)
    _changed(case, f"assigned to {owner}")


@cases_app.command("move")
def cases_move(case_id: Annotated[str, typer.Argument()],
               status: Annotated[str, typer.Argument(help="investigating or escalated.")],
               by: ByOption = None, version: VersionOption = None,
               store: StoreOption = None) -> None:
    """Move a case along the workflow: open -> investigating -> escalated (close with close)."""
    with _service(store) as service:
        case = service.monitoring.move_case(case_id, status, actor=by,
                                            expected_version=version)
    _changed(case, f"moved to {status}")


@cases_app.command("note")
def cases_note(case_id: Annotated[str, typer.Argument()],
               text: Annotated[str, typer.Argument(help="The note.")],
               by: ByOption = None, version: VersionOption = None,
               store: StoreOption = None) -> None:
    """Add a note to a case."""
    with _service(store) as service:
        case = service.monitoring.note_case(case_id, text, actor=by, expected_version=version)
    _changed(case, "noted")


@cases_app.command("contact")
def cases_contact(
    case_id: Annotated[str, typer.Argument()],
    summary: Annotated[str, typer.Argument(help="What was said, asked or sent.")],
    channel: Annotated[str, typer.Option(help=f"One of {', '.join(CHANNELS)}.")] = "letter",
    template: Annotated[str | None, typer.Option(
        help="The template used (document_request, notice, guidance...).")] = None,
    on: Annotated[str | None, typer.Option(help="Date of the contact (default today).")] = None,
    by: ByOption = None, version: VersionOption = None, store: StoreOption = None,
) -> None:
    """Record a contact with the customer in the case's contact log."""
    if channel not in CHANNELS:
        raise typer.BadParameter(f"use one of {', '.join(CHANNELS)}", param_hint="--channel")
    with _service(store) as service:
        case = service.monitoring.contact_case(case_id, channel=channel, summary=summary,
                                               on=on, template=template, actor=by,
                                               expected_version=version)
    _changed(case, f"contact logged ({channel})")


@cases_app.command("step")
def cases_step(case_id: Annotated[str, typer.Argument()],
               step: Annotated[int, typer.Argument(help="The playbook step's number.")],
               by: ByOption = None, version: VersionOption = None,
               store: StoreOption = None) -> None:
    """Tick off a playbook step (by you, now)."""
    with _service(store) as service:
        case = service.monitoring.tick_step(case_id, step, actor=by, expected_version=version)
    _changed(case, f"step {step} done")


@cases_app.command("close")
def cases_close(
    case_id: Annotated[str, typer.Argument()],
    outcome: Annotated[str, typer.Option(help=f"One of {', '.join(OUTCOMES)}.")],
    label: Annotated[str | None, typer.Option(
        help="The confirmed risk label (fraud, money_laundering, mule...).")] = None,
    note: Annotated[str | None, typer.Option(help="A closing note.")] = None,
    by: ByOption = None, version: VersionOption = None, store: StoreOption = None,
) -> None:
    """Close a case with an outcome; it becomes a label for the next scoring run."""
    with _service(store) as service:
        case = service.monitoring.close_case(case_id, outcome, risk_label=label, note=note,
                                             actor=by, expected_version=version)
    _changed(case, f"closed: {outcome}" + (f" ({label})" if label else ""))


# -- re-assessment, back-test, audit -----------------------------------------------------------
@app.command()
def reassess(
    period: Annotated[str | None, typer.Option(
        help="Month (2026-12) or quarter (2027-Q1); default this month.")] = None,
    everyone: Annotated[bool, typer.Option("--all", help="Re-score everyone, not only those "
                                           "whose review is due.")] = False,
    by: ByOption = None, as_json: JsonOption = False, store: StoreOption = None,
) -> None:
    """Re-score everyone whose periodic review is due; write a tier migration report.

    Idempotent per period: running it again for the same period changes nothing.
    """
    with _service(store) as service, _bars(transient=True) as bars:
        result = service.monitoring.reassess(period, everyone=everyone, actor=by,
                                             progress=bars)
    if as_json:
        _dump({"period": result.period, "run_id": result.run_id, "customers": len(result.due),
               "counts": result.counts, "already_done": result.already_done,
               "report_dir": str(result.report_dir)})
        return
    moved = result.migration
    if not result.already_done and not moved.empty:
        table = Table(title="Tier moves")
        for name in ("customer", "from", "to", "score", "new reasons"):
            table.add_column(name, overflow="fold")
        changed = moved[moved["direction"].isin(["up", "down"])]
        for row in changed.head(20).itertuples(index=False):
            table.add_row(row.customer_id, str(row.tier_before), str(row.tier_after),
                          f"{row.score_before:.0f} -> {row.score_after:.0f}",
                          escape("; ".join(row.reasons_added[:2])))
        if not changed.empty:
            console.print(table)
    console.print(result.summary())


@app.command()
def backtest(
    policy_file: Annotated[Path, typer.Option("--policy", help="The changed policy file.")],
    window_days: Annotated[int, typer.Option(min=1, max=90, help="Replay window.")] = 7,
    as_json: JsonOption = False, store: StoreOption = None,
) -> None:
    """Replay a changed policy over the stored history beside the live one."""
    with _service(store) as service, _bars(transient=True) as bars:
        result = service.monitoring.backtest(policy_file, window_days=window_days,
                                             progress=bars)
    table = result.table
    if as_json:
        _dump({"windows": result.windows, "first": result.first, "last": result.last,
               "rows": table.to_dict(orient="records")})
        return
    out = Table(title=f"Back-test of {policy_file} over {result.windows} windows "
                f"({(result.first or '')[:10]} to {(result.last or '')[:10]})")
    for name in ("rule", "tier", "live policy", "new policy", "raised live",
                 "live precision", "new precision"):
        out.add_column(name, justify="left" if name in ("rule", "tier") else "right")

    def pct(value: float) -> str:
        return "-" if value != value else f"{value:.0%}"

    for row in table.itertuples(index=False):
        change = row.new_replayed - row.live_replayed
        colour = "red" if change > 0 else "green" if change < 0 else ""
        new = f"[{colour}]{row.new_replayed}[/]" if colour else str(row.new_replayed)
        out.add_row(row.rule, row.tier, str(row.live_replayed), new, str(row.live_raised),
                    pct(row.live_precision), pct(row.new_precision))
    console.print(out)
    console.print(f"live policy: {int(table['live_replayed'].sum())} alerts; new policy: "
                  f"{int(table['new_replayed'].sum())} alerts. Score rises and tier "
                  "escalations are not replayed.")


@app.command("tier-bounds")
def tier_bounds(
    outcomes: Annotated[Path | None, typer.Option(
        help="An audit sample, CSV customer_id,outcome (confirmed_risk or false_positive), "
        "judged at each customer's latest score; closed cases are always used.")] = None,
    min_judged: Annotated[int, typer.Option(min=1, help="Judged customers a bound needs "
                                            "above it.")] = MIN_JUDGED,
    confidence: Annotated[float, typer.Option(
        min=0.5, max=0.999, help="How sure the precision above a bound must be to meet the "
        "target (one-sided; 0.5: the judged share itself).")] = CONFIDENCE,
    write: Annotated[Path | None, typer.Option(
        help="Write a copy of the policy file with the suggested bounds here.")] = None,
    as_json: JsonOption = False, store: StoreOption = None,
) -> None:
    """Suggest each tier's min_score from its precision_target, on judged outcomes."""
    from graphrisk.presentation import check_output_file
    from graphrisk.tier_bounds import with_bounds

    with _friendly_errors():
        if write is not None:
            check_output_file(write)
    with _service(store) as service:
        report = service.tier_bounds(outcomes_file=outcomes, min_judged=min_judged,
                                     confidence=confidence)
    problem = report.problem()
    if write is not None and not problem:
        with _friendly_errors():
            text = with_bounds(report.policy_source.read_text(encoding="utf-8"),
                               report.bounds())
            write.parent.mkdir(parents=True, exist_ok=True)
            write.write_text(text, encoding="utf-8")
    if as_json:
        _dump({"policy": str(report.policy_source), "judged": len(report.judged),
               "confidence": report.confidence,
               "left_out": report.left_out, "bounds": report.bounds(), "problem": problem,
               "written": str(write) if write is not None and not problem else None,
               "tiers": [{name: _number(value) for name, value in asdict(c).items()}
                         for c in report.choices]})
        return
    table = Table(title=f"Tier bounds for the precision targets of {report.policy_source}")
    for name in ("tier", "target", "min_score today", "precision today", "suggested",
                 "precision there (95% interval)"):
        table.add_column(name, overflow="fold")
    notes: dict[str, list[str]] = {}
    for c in report.choices:
        table.add_row(
            c.tier, f"{c.target:.0%}", f"{c.current:g}",
            _share_of(c.current_precision, c.current_judged),
            "-" if c.bound is None else f"{c.bound:g}",
            "-" if c.bound is None else (f"{_share_of(c.precision, c.judged)} "
                                         f"({c.interval[0]:.0%}-{c.interval[1]:.0%})"))
        if c.note:
            notes.setdefault(c.note, []).append(c.tier)
    if report.choices:
        console.print(table)
    for note, tiers in notes.items():
        console.print(f"{', '.join(tiers)}: {escape(note)}.")
    console.print(f"Judged customers: {len(report.judged):,} ({report.sources()}). Each bound "
                  "is the lowest from which the judged precision meets the target with "
                  f"{report.confidence:.0%} confidence.")
    if problem:
        console.print(f"[yellow]Nothing to write: {escape(problem)}.[/]")
    elif write is not None:
        console.print(f"[green]Wrote {write}[/]: back-test it with `graphrisk backtest --policy "
                      f"{write}`, then point GRAPHRISK_POLICY_FILE at it to adopt it.")
    else:
        console.print("Pass --write FILE for a copy of the policy with these bounds.")


def _number(value: Any) -> Any:
    """A value for JSON: NaN as null (JSON has no NaN), tuples as lists of those."""
    if isinstance(value, tuple):
        return [_number(v) for v in value]
    return None if isinstance(value, float) and value != value else value


def _share_of(share: float, judged: int) -> str:
    return "none judged" if judged == 0 else f"{share:.0%} of {judged}"


@app.command()
def audit(
    subject: Annotated[str | None, typer.Option(help="Only entries about this (a customer, "
                                                "case:ID, ...).")] = None,
    actor: Annotated[str | None, typer.Option(help="Only this person's.")] = None,
    action: Annotated[str | None, typer.Option(help="Only this action (case.close...).")
                      ] = None,
    limit: Annotated[int, typer.Option(min=1)] = 100,
    as_json: JsonOption = False, store: StoreOption = None,
) -> None:
    """Show the audit trail: who did what and when (it cannot be edited)."""
    with _service(store) as service:
        entries = service.monitoring.audit(subject=subject, actor=actor, action=action)
    entries = entries[-limit:]
    if as_json:
        _dump([{"seq": e.seq, "at": e.at, "actor": e.actor, "action": e.action,
                "subject": e.subject, "details": e.details} for e in entries])
        return
    table = Table(title=f"Audit trail ({len(entries)} entries)")
    for name in ("#", "at", "who", "action", "subject", "details"):
        table.add_column(name, overflow="fold")
    for entry in entries:
        table.add_row(str(entry.seq), entry.at[:19], entry.actor, entry.action,
                      entry.subject or "", escape(json.dumps(entry.details, default=str)[:120]))
    console.print(table)
