"""Entity resolution as typed calls: resolve the bank's people, decide on pairs.

Why a part of the service of its own (like ``RiskService.screening``): the CLI, and later
the API and notebooks, resolve and confirm or reject pairs; each is one call here, over the
store of the :class:`~graphrisk.service.RiskService` it is built from. Build it with
``ResolutionService(service)`` or reach it as ``service.resolution``.

What is stored, in the store's versioned JSON records (both stores alike):
``same_entity`` (key ``SE-`` + a digest of the two customer ids, so a re-run finds the same
pair): the two customers, the match probability, the sentence saying which fields agreed,
and the status — ``open``, ``confirmed`` or ``rejected`` (by an investigator: kept across
runs; a rejected pair is never linked again, a confirmed one stays linked even if a later
model scores it lower) or ``cleared`` (no longer scored above the threshold).

The linked pairs (open or confirmed) are also the graph's: after every run and decision
they replace the store's same-entity links (``GraphStore.write_same_entity_links``; on Neo4j
``SAME_ENTITY`` relationships with the probability), which the customer graph joins like a
shared identifier, weighted by the probability — so identity rings and risk propagation
reach the other records of a person, and a score's reason can say "probably the same person
as C… (confirmed fraud): name 'Jon Smyth' ~ 'John Smith'…". A score run after resolving
uses them.

Every change is in the audit trail: ``resolution.run``, ``resolution.confirm``,
``resolution.reject``.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from graphrisk.analytics.ledger import build_ledger
from graphrisk.decided_records import read_decided, with_history
from graphrisk.graph import COUNTERPARTY_ENTITY_COLUMNS, SAME_ENTITY_COLUMNS, GraphSnapshot
from graphrisk.resolution.counterparties import comparable_counterparties, match_counterparties
from graphrisk.resolution.linkage import LABEL_COLUMNS, link_records
from graphrisk.resolution.reasons import pair_reasons
from graphrisk.resolution.records import person_records
from graphrisk.store.base import StoredRecord, utc_now

if TYPE_CHECKING:
    from graphrisk.service import ProgressCallback, RiskService

__all__ = ["PAIR_KIND", "PAIR_STATUSES", "ResolutionRun", "ResolutionService",
           "SameEntityPair", "counterparty_pair_key", "pair_key"]

PAIR_KIND = "same_entity"
PAIR_STATUSES = ("open", "confirmed", "rejected", "cleared")
_AUDIT_ACTIONS = {"confirmed": "resolution.confirm", "rejected": "resolution.reject"}


def pair_key(customer_a: str, customer_b: str) -> str:
    """The pair's key: the same two customers, in either order, give the same id."""
    first, second = sorted((customer_a, customer_b))
    digest = hashlib.sha1(f"{first}\x1f{second}".encode(), usedforsecurity=False).hexdigest()
    return f"SE-{digest[:12]}"


def counterparty_pair_key(counterparty_id: str, customer_id: str) -> str:
    """The key of a counterparty-and-customer pair: ``SC-`` and 12 hex digits."""
    digest = hashlib.sha1(f"counterparty:{counterparty_id}\x1f{customer_id}".encode(),
                          usedforsecurity=False).hexdigest()
    return f"SC-{digest[:12]}"


@dataclass(frozen=True)
class SameEntityPair:
    """Two records that are probably one person, as stored: two customers, or (``side``
    ``counterparty``) a customer and a counterparty — her account outside the bank.

    Attributes:
        pair_id: ``SE-`` (two customers) or ``SC-`` (a counterparty) and 12 hex digits;
            stable for the two records.
        status: ``open``, ``confirmed``, ``rejected`` or ``cleared``.
        customer_a / customer_b: the customer ids (``a`` < ``b``); for a counterparty pair
            the customer and the counterparty's id.
        name_a / name_b: their names.
        probability: the match probability of the latest run that scored the pair.
        sentence: why (``name 'Jon Smyth' ~ 'John Smith' (0.93); same birth year 1971;
            same phone; match 0.97``).
        agreed: the fields that agreed.
        history: decisions and status changes, oldest first.
        version: the stored record's version.
        side: ``customer`` (two customers) or ``counterparty``.
    """

    pair_id: str
    status: str
    customer_a: str
    customer_b: str
    name_a: str
    name_b: str
    probability: float
    sentence: str
    agreed: tuple[str, ...]
    history: tuple[dict[str, Any], ...]
    version: int
    side: str = "customer"

    @classmethod
    def from_record(cls, record: StoredRecord) -> SameEntityPair:
        body = record.body
        return cls(record.key, record.status or "open", body["customer_a"],
                   body["customer_b"], body["name_a"], body["name_b"],
                   float(body["probability"]), body["sentence"],
                   tuple(body.get("agreed", ())), tuple(body.get("history", ())),
                   record.version, body.get("side", "customer"))

    @property
    def counterparty_id(self) -> str | None:
        """The counterparty of a counterparty pair; None for two customers."""
        return self.customer_b if self.side == "counterparty" else None

    @property
    def linked(self) -> bool:
        """Whether the pair links its customers (open or confirmed)."""
        return self.status in ("open", "confirmed")


@dataclass
class ResolutionRun:
    """What one resolution run found and changed.

    Attributes:
        records: person customers compared.
        threshold: the least match probability of a pair.
        pairs: the linked pairs (open or confirmed), most probable first; counterparty
            pairs among them (``side`` ``counterparty``).
        clusters: customers that are probably one person, each sorted, largest first
            (connected components of the linked customer pairs).
        counterparties: person-like counterparties compared with the customers.
        new / updated / cleared: pairs first found, changed, and no longer found.
        rejected_kept: pairs found again that an investigator had rejected.
        links: same-entity links the graph holds after the run.
        seconds: wall time.
    """

    records: int
    threshold: float
    pairs: list[SameEntityPair] = field(default_factory=list)
    counterparties: int = 0
    clusters: list[tuple[str, ...]] = field(default_factory=list)
    new: int = 0
    updated: int = 0
    cleared: int = 0
    rejected_kept: int = 0
    links: int = 0
    seconds: float = 0.0

    @property
    def counterparty_pairs(self) -> list[SameEntityPair]:
        """The linked counterparty pairs: counterparties that are probably a customer."""
        return [pair for pair in self.pairs if pair.side == "counterparty"]

    def summary(self) -> str:
        """One line for the end of a run."""
        outside = len(self.counterparty_pairs)
        return (f"{self.records:,} people and {self.counterparties:,} counterparties "
                f"compared in {self.seconds:.1f} s: "
                f"{len(self.pairs) - outside:,} probable same-person pairs and {outside:,} "
                f"counterparties that are probably a customer at >= {self.threshold:.2f} "
                f"in {len(self.clusters):,} clusters ({self.new:,} new, {self.updated:,} "
                f"updated, {self.cleared:,} cleared); {self.rejected_kept:,} rejected earlier, "
                f"not linked again; {self.links:,} links in the graph for the next score")


class ResolutionService:
    """Entity resolution runs and pair decisions over one :class:`RiskService`'s store."""

    def __init__(self, service: RiskService) -> None:
        self._service = service
        self._store = service.store
        self._settings = service.settings

    def records(self) -> pd.DataFrame:
        """The person customers resolution compares, from the store's snapshot."""
        snapshot = self._service.store.snapshot()
        return person_records(snapshot.customers, snapshot.identifiers)

    def counterparty_matches(self, snapshot: GraphSnapshot, threshold: float) -> pd.DataFrame:
        """The counterparties of ``snapshot`` that are probably one of its customers
        (:func:`~graphrisk.resolution.counterparties.match_counterparties`: the name, and
        the customer's own payments with it)."""
        payments = build_ledger(snapshot).counterparty_payments()
        return match_counterparties(snapshot.customers, snapshot.counterparties, payments,
                                    threshold=threshold)

    def resolve(self, threshold: float | None = None, progress: ProgressCallback | None = None,
                *, actor: str | None = None) -> ResolutionRun:
        """Find the customers that are probably one person, store the pairs, clear the ones
        no longer found; decisions are kept (a rejected pair is not linked again, a
        confirmed one stays linked) and train the model once there are enough of them
        (:meth:`decided_labels`). The linked pairs then replace the graph's same-entity
        links.

        Args:
            threshold: the least match probability (default
                ``GRAPHRISK_RESOLUTION_THRESHOLD``).
            progress: called with :class:`~graphrisk.service.ProgressEvent` s.
            actor: who runs it (default ``GRAPHRISK_USER``).

        Raises:
            ValueError: ``threshold`` is not between 0 and 1.
            AnalyticsError: the linkage failed (the message names the step).
        """
        from graphrisk.service import ProgressEvent

        cutoff = self._settings.resolution_threshold if threshold is None else threshold
        if not 0.0 < cutoff < 1.0:
            raise ValueError(f"threshold must be between 0 and 1 (exclusive), got {cutoff}")
        report = progress or (lambda _event: None)
        steps = 7
        started = time.perf_counter()
        report(ProgressEvent("resolution", "reading customers and identifiers", 0, steps))
        snapshot = self._store.snapshot()
        records = person_records(snapshot.customers, snapshot.identifiers)
        done = [1]

        def step(name: str) -> None:
            done[0] = min(done[0] + 1, steps - 1)
            report(ProgressEvent("resolution", name, done[0], steps))

        # The stored pairs, read once: their decisions train the model and are kept below.
        existing = {record.key: record for record in self._store.records(PAIR_KIND)}
        result = link_records(records, threshold=cutoff, progress=step, labels=_labels_of(
            SameEntityPair.from_record(record) for record in existing.values()))
        report(ProgressEvent("resolution", "storing pairs", steps - 1, steps))
        who = actor or self._settings.actor
        run = ResolutionRun(result.records, cutoff)
        by_id = records.set_index("unique_id")
        found: set[str] = set()
        for row in result.pairs.itertuples(index=False):
            a, b = str(row.unique_id_l), str(row.unique_id_r)
            key = pair_key(a, b)
            found.add(key)
            agreed, sentence = pair_reasons(by_id.loc[a], by_id.loc[b],
                                            float(row.match_probability))
            body = {"customer_a": a, "customer_b": b, "name_a": by_id.at[a, "name"],
                    "name_b": by_id.at[b, "name"],
                    "probability": round(float(row.match_probability), 6),
                    "match_weight": round(float(row.match_weight), 4),
                    "sentence": sentence, "agreed": list(agreed)}
            self._keep_pair(run, existing.get(key), key, body, who)
        step("matching counterparties with customers")
        outside = self.counterparty_matches(snapshot, cutoff)
        run.counterparties = comparable_counterparties(snapshot.counterparties)
        for row in outside.itertuples(index=False):
            key = counterparty_pair_key(row.counterparty_id, row.customer_id)
            found.add(key)
            body = {"customer_a": row.customer_id, "customer_b": row.counterparty_id,
                    "name_a": row.customer_name, "name_b": row.counterparty_name,
                    "probability": float(row.probability), "sentence": row.sentence,
                    "agreed": list(row.agreed), "payments": int(row.payments),
                    "side": "counterparty"}
            self._keep_pair(run, existing.get(key), key, body, who)
        for key, record in existing.items():
            if key in found or record.status != "open":
                continue
            self._set_status(record, "cleared", who, "cleared",
                             f"no longer scored at or above {cutoff:.2f}")
            run.cleared += 1
        run.pairs += [SameEntityPair.from_record(record) for key, record in existing.items()
                      if key not in found and record.status == "confirmed"]
        run.pairs.sort(key=lambda pair: (-pair.probability, pair.pair_id))
        run.clusters = clusters_of([pair for pair in run.pairs if pair.side == "customer"])
        run.links = self.write_links(run.pairs)  # a run's pairs are the linked ones
        run.seconds = time.perf_counter() - started
        self._store.append_audit(who, "resolution.run", None, {
            "records": run.records, "threshold": cutoff, "pairs": len(run.pairs),
            "clusters": len(run.clusters), "counterparty_pairs": len(run.counterparty_pairs),
            "new": run.new, "cleared": run.cleared})
        report(ProgressEvent("resolution", "done", steps, steps))
        return run

    def decided_labels(self) -> pd.DataFrame:
        """The investigators' decisions as training labels (:data:`LABEL_COLUMNS`):
        confirmed pairs 1.0, rejected 0.0. With enough confirmed pairs the next run
        estimates the model from them too (see :func:`link_records`)."""
        return _labels_of(self.pairs(status=("confirmed", "rejected")))

    def write_links(self, linked: list[SameEntityPair] | None = None) -> int:
        """Make the store's same-entity links (two customers) and counterparty-entity links
        the linked pairs (open and confirmed), so that the next score sees them; returns
        how many links the graph holds.

        ``linked``: those pairs when the caller holds them (a run's), else read."""
        if linked is None:
            linked = self.pairs(status=("open", "confirmed"))

        def rows(side: str) -> list[tuple[Any, ...]]:
            # An investigator's confirmation is certain: the link weighs in full.
            return [(pair.customer_a, pair.customer_b, pair.pair_id,
                     1.0 if pair.status == "confirmed" else pair.probability,
                     pair.sentence + ("; confirmed by an investigator"
                                      if pair.status == "confirmed" else ""))
                    for pair in linked if pair.side == side]

        customers = pd.DataFrame(rows("customer"), columns=list(SAME_ENTITY_COLUMNS))
        outside = pd.DataFrame(rows("counterparty"),
                               columns=["customer_id", "counterparty_id",
                                        *COUNTERPARTY_ENTITY_COLUMNS[2:]])
        return (self._store.write_same_entity_links(customers)
                + self._store.write_counterparty_entity_links(
                    outside.loc[:, list(COUNTERPARTY_ENTITY_COLUMNS)]))

    def pairs(self, *, status: str | tuple[str, ...] | None = None) -> list[SameEntityPair]:
        """Stored pairs, most probable first (``status``: one or several of
        :data:`PAIR_STATUSES`)."""
        found = [SameEntityPair.from_record(record)
                 for record in self._store.records(PAIR_KIND, status=status)]
        return sorted(found, key=lambda pair: (-pair.probability, pair.pair_id))

    def pair(self, pair_id: str) -> SameEntityPair:
        """One pair.

        Raises:
            NotFoundError: no such pair; ``graphrisk resolve`` lists them.
        """
        return SameEntityPair.from_record(self._pair_record(pair_id))

    def confirm(self, pair_id: str, note: str, *, actor: str | None = None) -> SameEntityPair:
        """An investigator confirms the two customers are one person: the pair stays
        linked in later runs, whatever they score.

        Raises:
            NotFoundError: no such pair.
            ValueError: the note is empty.
        """
        return self._decide(pair_id, "confirmed", note, actor)

    def reject(self, pair_id: str, note: str, *, actor: str | None = None) -> SameEntityPair:
        """An investigator rejects the pair (two people): it is never linked again.

        Raises:
            NotFoundError: no such pair.
            ValueError: the note is empty.
        """
        return self._decide(pair_id, "rejected", note, actor)

    # -- internals ---------------------------------------------------------------------------
    def _keep_pair(self, run: ResolutionRun, record: StoredRecord | None, key: str,
                   body: dict[str, Any], who: str) -> None:
        if record is None:
            body["history"] = [{"at": utc_now(), "by": who, "action": "found",
                                "note": body["sentence"]}]
            stored, _ = self._store.create_record(PAIR_KIND, key, body,
                                                  subject=body["customer_a"], status="open")
            run.new += 1
            run.pairs.append(SameEntityPair.from_record(stored))
            return
        if record.status == "rejected":
            run.rejected_kept += 1
            return
        history = list(record.body.get("history", ()))
        same = all(record.body.get(name) == value for name, value in body.items())
        status = record.status or "open"
        if status == "cleared":
            status = "open"
            history.append({"at": utc_now(), "by": who, "action": "found again",
                            "note": body["sentence"]})
        elif same:
            run.pairs.append(SameEntityPair.from_record(record))
            return
        run.updated += 1
        body["history"] = history
        stored = self._store.update_record(PAIR_KIND, key, body,
                                           expected_version=record.version, status=status)
        run.pairs.append(SameEntityPair.from_record(stored))

    def _pair_record(self, key: str) -> StoredRecord:
        return read_decided(self._store, PAIR_KIND, key,
                            f"no same-entity pair {key!r}; `graphrisk resolve` lists "
                            "them")

    def _set_status(self, record: StoredRecord, status: str, who: str, action: str,
                    note: str) -> StoredRecord:
        return with_history(self._store, PAIR_KIND, record, status=status, who=who,
                            action=action, note=note)

    def _decide(self, key: str, status: str, note: str,
                actor: str | None) -> SameEntityPair:
        if not note or not note.strip():
            raise ValueError(f"say why the pair is {status} (--note)")
        who = actor or self._settings.actor
        record = self._pair_record(key)
        stored = self._set_status(record, status, who, status, note.strip())
        self.write_links()
        self._store.append_audit(who, _AUDIT_ACTIONS[status], stored.subject, {
            "pair": stored.key, "customer_a": stored.body["customer_a"],
            "customer_b": stored.body["customer_b"], "note": note.strip()})
        return SameEntityPair.from_record(stored)


def _labels_of(pairs: Iterable[SameEntityPair]) -> pd.DataFrame:
    """The decided customer pairs as training labels: confirmed 1.0, rejected 0.0."""
    return pd.DataFrame(
        [(pair.customer_a, pair.customer_b, 1.0 if pair.status == "confirmed" else 0.0)
         for pair in pairs if pair.side == "customer"
         and pair.status in ("confirmed", "rejected")], columns=list(LABEL_COLUMNS))


def clusters_of(pairs: list[SameEntityPair]) -> list[tuple[str, ...]]:
    """Connected components of the linked pairs: each sorted, largest first."""
    parent: dict[str, str] = {}

    def root(node: str) -> str:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for pair in pairs:
        if pair.linked:
            a, b = root(pair.customer_a), root(pair.customer_b)
            if a != b:
                parent[max(a, b)] = min(a, b)
    groups: dict[str, list[str]] = {}
    for node in parent:
        groups.setdefault(root(node), []).append(node)
    return sorted((tuple(sorted(members)) for members in groups.values()),
                  key=lambda members: (-len(members), members))
