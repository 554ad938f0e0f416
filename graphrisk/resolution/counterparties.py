"""Counterparties that are probably customers of the bank: a customer's own account
elsewhere, or a known customer paid under another name.

Why not Splink, as for customers: a counterparty holds a name and a country, nothing else —
no birth year, phone or address for a probabilistic model to weigh. What does tell is the
name (screening's matcher, :class:`~graphrisk.screening.matching.Matcher`: transliteration,
nicknames, swapped order, initials; the customers are the "list") and the money: a
customer who pays a counterparty written with her own name is paying her own account
elsewhere. So a person-like counterparty (not a merchant, employer, utility or government;
its name stripped of notes in brackets such as ``(external account)``) is linked to the
customer it names when

* the customer paid or was paid by it, her name is close (a variant of it: at least
  :data:`PAYER_NAME_SCORE`, not another given name) and no other customer whose name is as
  close (within :data:`UNIQUE_MARGIN` of the best) did — the name may then be as thin as
  ``I. Oliveira``: probability ``s + (1 - s) *`` :data:`OWN_PAYMENTS_SHARE` for the score
  ``s``; or
* nobody of a matching name paid it, the name is written in full (no initial; score at
  least :data:`FULL_NAME_SCORE`), the country agrees, and no other customer's name comes
  within :data:`UNIQUE_MARGIN` of it: probability ``s``.

A thin name (an initial and a surname) from another country than the customer's is a
namesake, even when that customer paid it.

Anything else is ambiguous (``J. Smith`` names a hundred customers) and is not linked. A
link lets the graph treat payments with the counterparty as payments with that customer
(:mod:`graphrisk.analytics.customer_graph`, link kind ``outside_account``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pandas as pd

from graphrisk.resolution.records import PERSON_SEGMENTS
from graphrisk.screening.lists import ListEntry
from graphrisk.screening.matching import Match, Matcher, ScreenedRecord
from graphrisk.screening.names import normalise_name
from graphrisk.screening.service import ORGANISATION_KINDS

__all__ = ["CANDIDATE_SCORE", "COUNTERPARTY_PAIR_COLUMNS", "FULL_NAME_SCORE",
           "OWN_PAYMENTS_SHARE", "PAYER_NAME_SCORE", "PERSON_LIKE_EXCLUDED", "UNIQUE_MARGIN",
           "comparable_counterparties", "match_counterparties"]

#: The least name score (with country) for a customer to be a counterparty's candidate.
CANDIDATE_SCORE = 0.72
#: The least score of a name that identifies a customer on its own (written in full).
FULL_NAME_SCORE = 0.90
#: How far the next candidate's score must be below the best for the name to be unique.
UNIQUE_MARGIN = 0.05
#: The least name similarity of a customer who paid it: a variant of her name (a typo, a
#: nickname, an initial), not another given name.
PAYER_NAME_SCORE = 0.88
#: Share of the name's doubt that the customer's own payments with it remove.
OWN_PAYMENTS_SHARE = 0.6
#: Counterparty kinds never compared: screening's organisations, and cash (no one person).
PERSON_LIKE_EXCLUDED = ORGANISATION_KINDS | {"cash"}
COUNTERPARTY_PAIR_COLUMNS: tuple[str, ...] = (
    "counterparty_id", "customer_id", "counterparty_name", "customer_name", "probability",
    "sentence", "agreed", "payments")
_BRACKETS = re.compile(r"\s*[(\[][^)\]]*[)\]]\s*")


def match_counterparties(customers: pd.DataFrame, counterparties: pd.DataFrame,
                         payments: pd.DataFrame, *, threshold: float) -> pd.DataFrame:
    """The counterparties that are probably one of ``customers``, with why.

    Args:
        customers: ``customer_id``, ``name``, and where known ``birth_year``, ``country``,
            ``segment``; people are compared (a birth year, or a retail or private-banking
            segment).
        counterparties: ``counterparty_id``, ``name``, ``kind``, ``country``.
        payments: ``customer_id``, ``counterparty_id``, ``payments`` (transactions either
            way; :meth:`~graphrisk.analytics.ledger.TransactionLedger.counterparty_payments`).
        threshold: the least probability of a link.

    Returns:
        :data:`COUNTERPARTY_PAIR_COLUMNS`, one row per linked counterparty (each linked to
        one customer), most probable first; ``agreed`` a tuple of the fields that agreed,
        ``payments`` the customer's own payments with it.
    """
    entries = list(_customer_entries(customers))
    if not entries:
        return pd.DataFrame(columns=list(COUNTERPARTY_PAIR_COLUMNS))
    matcher = Matcher(entries)
    paid = {(str(c), str(p)): int(n) for c, p, n in payments[
        ["customer_id", "counterparty_id", "payments"]].itertuples(index=False, name=None)}
    rows = []
    for record in _counterparty_records(counterparties):
        found = matcher.match(record, CANDIDATE_SCORE)
        chosen = _choose(found, paid, record.business_id, threshold)
        if chosen is not None:
            rows.append(chosen)
    frame = pd.DataFrame(rows, columns=list(COUNTERPARTY_PAIR_COLUMNS))
    written = counterparties.drop_duplicates("counterparty_id").set_index("counterparty_id")
    frame["counterparty_name"] = frame["counterparty_id"].map(written["name"])  # as held
    return frame.sort_values(["probability", "counterparty_id"], ascending=[False, True],
                             ignore_index=True)


def comparable_counterparties(counterparties: pd.DataFrame) -> int:
    """How many of ``counterparties`` :func:`match_counterparties` compares (person-like,
    with a name)."""
    return sum(1 for _ in _counterparty_records(counterparties))


def _choose(found: list[Match], paid: dict[tuple[str, str], int], counterparty_id: str,
            threshold: float) -> tuple | None:
    """The customer a counterparty is, by the rules of the module docstring, or None."""
    if not found:
        return None
    top = found[0].score
    close = [m for m in found if m.score >= top - UNIQUE_MARGIN]
    payers = [m for m in close if (m.entry.entry_id, counterparty_id) in paid
              and m.name_score >= PAYER_NAME_SCORE]
    thin = _thin(found[0].record.name)
    if len(payers) == 1:
        best = payers[0]
        if best.contradicted and thin:
            return None  # an initial and a surname, from another country: a namesake
        count = paid[(best.entry.entry_id, counterparty_id)]
        probability = best.score + (1 - best.score) * OWN_PAYMENTS_SHARE
        evidence = f"{best.entry.entry_id} made {count} payment{'s' * (count != 1)} with it"
    elif not payers and len(close) == 1 and not thin:
        best = close[0]
        if best.score < FULL_NAME_SCORE or best.contradicted or not best.agreed:
            return None  # only a name nobody else holds, in the customer's country
        count, probability = 0, best.score
        evidence = "no other customer of a name this close"
    else:
        return None  # several customers could be it: which one?
    if probability < threshold:
        return None
    probability = round(min(probability, 0.999), 4)
    agreed = ("name", *(["country"] if any("country" in a for a in best.agreed) else []),
              *(["own payments"] if count else []))
    sentence = f"{best.sentence}; {evidence}; match {probability:.2f}"
    return (counterparty_id, best.entry.entry_id, best.record.name, best.entry.name,
            probability, sentence, agreed, count)


def _thin(name: str) -> bool:
    """Whether a name is written with an initial or a single word (``I. Oliveira``,
    ``Oliveira``): too little to tell one customer of that name from another."""
    tokens = normalise_name(name)
    return len(tokens) < 2 or any(len(token) == 1 for token in tokens)


def _customer_entries(customers: pd.DataFrame) -> Iterator[ListEntry]:
    """The person customers as entries of the matcher's "list"."""
    years = (customers["birth_year"] if "birth_year" in customers
             else pd.Series(None, index=customers.index))
    segments = (customers["segment"] if "segment" in customers
                else pd.Series(None, index=customers.index))
    countries = (customers["country"] if "country" in customers
                 else pd.Series(None, index=customers.index))
    for customer_id, name, year, segment, country in zip(
            customers["customer_id"], customers["name"], years, segments, countries,
            strict=True):
        person = not pd.isna(year) or segment in PERSON_SEGMENTS
        if not person or not isinstance(name, str) or not name.strip():
            continue
        yield ListEntry(str(customer_id), name,
                        birth_dates=() if pd.isna(year) else (str(int(year)),),
                        countries=(country,) if isinstance(country, str) and country else (),
                        schema="person")


def _counterparty_records(counterparties: pd.DataFrame) -> Iterator[ScreenedRecord]:
    """Person-like counterparties, names without notes in brackets."""
    countries = (counterparties["country"] if "country" in counterparties
                 else pd.Series(None, index=counterparties.index))
    kinds = (counterparties["kind"] if "kind" in counterparties
             else pd.Series(None, index=counterparties.index))
    for counterparty_id, name, kind, country in zip(
            counterparties["counterparty_id"], counterparties["name"], kinds, countries,
            strict=True):
        if kind in PERSON_LIKE_EXCLUDED or not isinstance(name, str):
            continue
        bare = _BRACKETS.sub(" ", name).strip()
        if not bare:
            continue
        yield ScreenedRecord(f"counterparty:{counterparty_id}", bare, "unknown",
                             country if isinstance(country, str) and country else None)
