"""The suspicious-activity report as a page a person reads and checks before filing.

Why apart from the content (:mod:`graphrisk.reporting.str_report`) and the XML
(:mod:`graphrisk.reporting.goaml`): the same :class:`StrReport` is written twice, for the FIU's
system and for the reporting officer, and each rendering changes for its own reasons. The
page ends with what is left to fill in before filing.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from graphrisk.reporting.str_report import Party, StrReport, utc_time

__all__ = ["render_html"]

_CSS = """
:root { --ink: #1d2433; --muted: #5b6475; --line: #d8dde6; --band: #f3f5f9;
        --accent: #8a1c1c; --todo: #fff6e0; }
* { box-sizing: border-box; }
body { font: 14px/1.45 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: var(--ink); margin: 0 auto; max-width: 1100px; padding: 28px 32px 48px; }
header { border-bottom: 3px solid var(--accent); padding-bottom: 12px; margin-bottom: 8px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 28px 0 8px; padding-bottom: 4px;
     border-bottom: 1px solid var(--line); }
.sub { color: var(--muted); margin: 0; }
.banner { background: var(--accent); color: #fff; font-weight: 600; padding: 6px 10px;
          border-radius: 4px; display: inline-block; margin: 8px 0 0; font-size: 12px;
          letter-spacing: .02em; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; vertical-align: top; padding: 5px 8px;
         border-bottom: 1px solid var(--line); }
th { background: var(--band); font-weight: 600; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.id, td.date { white-space: nowrap; font-family: ui-monospace, Menlo, Consolas, monospace;
                 font-size: 12px; }
table.kv { width: 100%; }
table.kv th { width: 210px; }
.subject { font-weight: 600; }
.tag { display: inline-block; padding: 0 6px; border-radius: 3px; background: var(--band);
       border: 1px solid var(--line); font-size: 12px; margin: 0 4px 2px 0; }
.note { border-left: 3px solid var(--line); padding: 4px 12px; margin: 8px 0;
        white-space: pre-wrap; }
.note .meta { color: var(--muted); font-size: 12px; white-space: normal; }
.todo { background: var(--todo); border: 1px solid #ecd9a6; border-radius: 4px;
        padding: 8px 12px 8px 28px; }
.todo li { margin: 3px 0; }
.muted { color: var(--muted); }
.since { display: block; color: var(--muted); font-size: 11px; margin-bottom: 3px; }
footer { margin-top: 32px; color: var(--muted); font-size: 12px;
         border-top: 1px solid var(--line); padding-top: 8px; }
@media print { body { padding: 0; max-width: none; } h2 { break-after: avoid; }
               tr { break-inside: avoid; } }
"""


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value))


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], *,
           classes: Sequence[str] = ()) -> str:
    """An HTML table; cells are already escaped; ``classes`` names each column's class."""
    def cls(i: int) -> str:
        return f' class="{classes[i]}"' if i < len(classes) and classes[i] else ""

    top = "".join(f"<th{cls(i)}>{_e(h)}</th>" for i, h in enumerate(head))
    body = "".join("<tr>" + "".join(f"<td{cls(i)}>{c}</td>" for i, c in enumerate(row))
                   + "</tr>" for row in rows)
    return f"<table><thead><tr>{top}</tr></thead><tbody>{body}</tbody></table>"


def _kv(pairs: Sequence[tuple[str, object]]) -> str:
    rows = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v) if v not in (None, '') else '—'}</td></tr>"
                   for k, v in pairs)
    return f'<table class="kv"><tbody>{rows}</tbody></table>'


def _when(text: str | None) -> str:
    """A stored time stamp as a person reads it: ``2026-01-08 18:30 UTC``."""
    if not text:
        return ""
    return utc_time(text).strftime("%Y-%m-%d %H:%M UTC")


def _money(amount: float) -> str:
    return f"{amount:,.2f}"


def render_html(report: StrReport) -> str:
    """The report as one standalone HTML page (inline CSS, nothing loaded from elsewhere).

    Why a page beside the XML: the XML is for the FIU's system; a person reads this one to
    check the content and sees, last, what is still to fill in before filing.
    """
    inst = report.institution
    sections = []
    sections.append("<h2>1. Reporting institution</h2>" + _kv([
        ("Name", inst.name), ("goAML reporting-entity id", inst.rentity_id or "not set"),
        ("Branch", inst.branch), ("SWIFT/BIC", inst.swift),
        ("Address", f"{inst.address}, {inst.city}, {inst.country}"),
        ("Reporting person", inst.reporting_person), ("E-mail", inst.reporting_email),
        ("Local currency", inst.currency)]))
    sections.append("<h2>2. Case</h2>" + _kv([
        ("Case", report.case_id), ("Title", report.case_title),
        ("Opened", _when(report.opened_at)), ("Closed", _when(report.closed_at)),
        ("Closed by", report.closed_by), ("Outcome", "confirmed risk"),
        ("Risk label", report.risk_label), ("Owner", report.owner),
        ("Activity reported", f"{_when(report.window_start)} to {_when(report.window_end)}")
    ]))
    rows = [[f'<span class="subject">{_e(s.customer_id)}</span>', _e(s.name),
             "entity" if s.is_entity else "person", _e(s.segment), _e(s.industry or ""),
             _e(" / ".join(x for x in (s.country, s.region) if x)),
             _e(s.birth_year or ""), _e(s.kyc_status or ""), _e(s.onboarding_date or ""),
             _e(f"{s.score:.1f}" if s.score is not None else ""), _e(s.tier or "")]
            for s in report.subjects]
    sections.append(f"<h2>3. Subjects ({len(report.subjects)})</h2>" + _table(
        ["customer", "name", "kind", "segment", "industry", "country / region", "born",
         "KYC", "customer since", "score", "tier"], rows,
        classes=["id", "", "", "", "", "", "num", "", "date", "num", ""]))
    rows = [[_e(a.account_id), _e(a.account_type), _e(a.currency), _e(a.opened or ""),
             _e(a.closed or ""), _e(a.status),
             "<br>".join(f"{_e(h.name)} <span class='muted'>({_e(h.customer_id)}, "
                         f"{_e(h.role)})</span>" for h in a.holders)]
            for a in report.accounts]
    sections.append(f"<h2>4. Accounts ({len(report.accounts)})</h2>" + _table(
        ["account", "type", "currency", "opened", "closed", "status", "holders"], rows,
        classes=["id", "", "", "date", "date", "", ""]))
    sections.append(_identifiers_html(report))
    sections.append(_transactions_html(report))
    sections.append(_grounds_html(report))
    notes = "".join(f'<div class="note"><div class="meta">{_e(_when(n.at))} · {_e(n.by)}</div>'
                    f"{_e(n.text)}</div>" for n in report.narrative)
    sections.append(f"<h2>8. Narrative <span class='muted'>({_e(report.narrative_source)})"
                    f"</span></h2>" + (notes or '<p class="muted">No narrative: add one '
                                       "(--narrative FILE) before filing.</p>")
                    + f"<p><b>Action taken.</b> {_e(report.action)}</p>")
    todo = "".join(f"<li>{_e(item)}</li>" for item in report.to_fill)
    sections.append("<h2>9. What is left to fill in before filing</h2>"
                    f'<ul class="todo">{todo}</ul>')
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>STR {_e(report.case_id)}</title><style>{_CSS}</style></head><body>"
        f"<header><h1>Suspicious transaction report — {_e(report.case_id)}</h1>"
        f'<p class="sub">{_e(inst.name)} · goAML report code STR · generated '
        f"{_e(_when(report.generated_at))} by {_e(report.generated_by)}</p>"
        '<span class="banner">CONFIDENTIAL — personal data; do not tell the customer '
        "(tipping-off)</span></header>" + "".join(sections)
        + f"<footer>Written by GraphRisk from case {_e(report.case_id)}. The XML beside this "
        "page follows the goAML report layout; check it and complete the items in section 9 "
        "in goAML before submitting.</footer></body></html>\n")


#: Identifier kinds as the page's columns, in this order.
_KIND_COLUMNS = (("phone", "phone"), ("email", "e-mail"), ("address", "address"),
                 ("device", "device"), ("ip", "IP"))


def _identifiers_html(report: StrReport) -> str:
    """One row per subject, one column per kind: a person compares subjects at a glance
    (a shared device or address stands out)."""
    by_subject: dict[str, dict[str, list[str]]] = {}
    for line in report.identifiers:
        seen = (f"<span class='since'>since {_e(line.first_seen[:10])}</span>"
                if line.first_seen else "")
        by_subject.setdefault(line.customer_id, {}).setdefault(line.kind, []).append(
            _e(line.value) + seen)
    rows = [[_e(s.customer_id)] + ["<br>".join(by_subject.get(s.customer_id, {}).get(kind, []))
                                   for kind, _ in _KIND_COLUMNS]
            for s in report.subjects if s.customer_id in by_subject]
    head = ["customer", *(label for _, label in _KIND_COLUMNS)]
    return (f"<h2>5. Identifiers ({len(report.identifiers)})</h2>"
            + (_table(head, rows, classes=["id"]) if rows
               else '<p class="muted">None recorded.</p>'))


def _transactions_html(report: StrReport) -> str:
    def side(p: Party) -> str:
        if p.kind == "account":
            name = f'<span class="subject">{_e(p.name)}</span>' if p.is_subject else _e(p.name)
            return f"{_e(p.ref)}<br>{name}"
        if p.kind == "counterparty":
            return f"{_e(p.name)}<br><span class='muted'>{_e(p.counterparty_kind or '')}" \
                   f"{' · ' + _e(p.country) if p.country else ''}</span>"
        return "<span class='muted'>unknown</span>"

    rows = [[_e(t.at.replace("T", " ")), _e(t.transaction_id), side(t.source),
             side(t.target), _money(t.amount), _e(t.currency), _e(t.channel),
             _e(t.transaction_type)] for t in report.transactions]
    sent = sum(t.amount for t in report.transactions if t.source.is_subject
               and not t.target.is_subject and t.currency == report.institution.currency)
    received = sum(t.amount for t in report.transactions if t.target.is_subject
                   and not t.source.is_subject and t.currency == report.institution.currency)
    between = sum(t.amount for t in report.transactions if t.source.is_subject
                  and t.target.is_subject and t.currency == report.institution.currency)
    cur = report.institution.currency
    summary = (f"<p>{len(report.transactions)} transactions of the subjects' accounts from "
               f"{_e(report.window_start[:10])} to {_e(report.window_end[:10])}, newest first. "
               f"Into the subjects' accounts from others: <b>{_money(received)} {_e(cur)}</b>; "
               f"out of them to others: <b>{_money(sent)} {_e(cur)}</b>; between the "
               f"subjects' own accounts: {_money(between)} {_e(cur)} (sums in {_e(cur)} "
               f"only).</p>")
    if report.capped:
        summary += (f"<p><b>Capped:</b> the window holds {report.transactions_in_window} "
                    f"transactions; the newest {len(report.transactions)} are listed.</p>")
    table = _table(["date (UTC)", "transaction", "from", "to", "amount", "cur.", "channel",
                    "type"], rows, classes=["date", "id", "", "", "num", "", "", ""])
    return (f"<h2>6. Transactions ({len(report.transactions)})</h2>" + summary
            + (table if rows else '<p class="muted">None in the window.</p>'))


def _grounds_html(report: StrReport) -> str:
    tags = "".join(f'<span class="tag">{_e(i)}</span>' for i in report.indicators)
    alerts = _table(["at", "rule", "customer", "what happened"],
                    [[_e(a.at[:16].replace("T", " ")), _e(a.rule), _e(a.customer_id),
                      _e(a.sentence)] for a in report.alerts],
                    classes=["date", "", "id", ""]) if report.alerts else ""
    # one typology shows in every member's reasons: each reason once, with its customers
    found: dict[str, list[str]] = {}
    for subject in report.subjects:
        for reason in subject.reasons:
            found.setdefault(reason, []).append(subject.customer_id)
    reasons = "".join(f"<li>{_e(text)} <span class='muted'>({_e(', '.join(who))})</span></li>"
                      for text, who in found.items())
    return ("<h2>7. Typologies and reasons</h2>"
            f"<p><b>Indicators:</b> {tags or '—'}</p>" + alerts
            + (f"<p><b>Risk reasons when the case opened:</b></p><ul>{reasons}</ul>"
               if reasons else ""))


# -- files -------------------------------------------------------------------------------------
