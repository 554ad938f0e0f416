"""Screening as typed calls: load versioned lists, screen the bank, decide on hits.

Why a part of the service of its own (like ``RiskService.monitoring``): the CLI, the API
and notebooks all load lists, screen and confirm or dismiss hits; each is one call here,
over the store of the :class:`~graphrisk.service.RiskService` it is built from, so no face
composes the work. Build it with ``ScreeningService(service)``.

What is stored, in the store's versioned JSON records (both stores alike):

* ``screening_list`` (key: the list's name): its versions, each with its size, digest,
  when and by whom it was loaded, and the change against the version before;
* ``screening_list_chunk`` (key ``NAME@VERSION#NNN``): the entries of one version,
  :data:`CHUNK_ENTRIES` a record — one record of 50,000 entries would be a 10 MB JSON
  property, slow to write and read on Neo4j;
* ``screening_hit`` (key ``SH-`` + a digest of record, list and entry, so re-running finds
  the same hit): the match, its sentence and its status — ``open``, ``confirmed``,
  ``dismissed`` (by an investigator; not raised again for the same list entry) or
  ``cleared`` (no longer matches the latest version of the list).

Every change is in the audit trail: ``list.load``, ``screening.run``,
``screening.confirm``, ``screening.dismiss``.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from graphrisk.decided_records import read_decided, with_history
from graphrisk.domain import NodeLabel
from graphrisk.errors import NotFoundError
from graphrisk.graph import NodeRef
from graphrisk.monitoring.records import Alert
from graphrisk.monitoring.rules import AlertCandidate
from graphrisk.screening.lists import ListEntry, ListFile, ListProblem, read_list_file
from graphrisk.screening.lists import entries_digest as _digest
from graphrisk.screening.matching import Match, Matcher, ScreenedRecord
from graphrisk.store.base import StoredRecord, utc_now

if TYPE_CHECKING:
    from graphrisk.service import ProgressCallback, RiskService

__all__ = [
    "CHUNK_ENTRIES",
    "HIT_KIND",
    "HIT_STATUSES",
    "LIST_KIND",
    "ListLoad",
    "ScreeningHit",
    "ScreeningList",
    "ScreeningRun",
    "ScreeningService",
    "hit_key",
]

LIST_KIND = "screening_list"
CHUNK_KIND = "screening_list_chunk"
HIT_KIND = "screening_hit"
#: Entries per stored record of a list version.
CHUNK_ENTRIES = 5000
HIT_STATUSES = ("open", "confirmed", "dismissed", "cleared")
#: Segments whose customers are people (the others are companies).
PERSON_SEGMENTS = frozenset({"retail", "private_banking"})
#: Counterparty kinds that are organisations (a bank account or cash may be anyone).
ORGANISATION_KINDS = frozenset({"merchant", "employer", "utility", "government"})


@dataclass(frozen=True)
class ScreeningList:
    """A loaded list: its latest version.

    Attributes:
        name: the name it was loaded under (``--name``).
        version: 1 for the first load, one more per changed load.
        entries: entries in this version.
        loaded_at / loaded_by: when and by whom this version was loaded.
        source: the file it came from.
        versions: every version's summary, oldest first (JSON).
    """

    name: str
    version: int
    entries: int
    loaded_at: str
    loaded_by: str
    source: str
    versions: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class ListLoad:
    """What loading a list file did.

    Attributes:
        name / version: the list and the version it is at now.
        entries: entries in that version.
        added / removed / changed: entry ids against the previous version.
        unchanged: the file held what the latest version holds: nothing was stored.
        problems: rows of the file skipped, and why.
        rows_read: rows (or lines) of the file.
    """

    name: str
    version: int
    entries: int
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    unchanged: bool = False
    problems: tuple[ListProblem, ...] = ()
    rows_read: int = 0

    def summary(self) -> str:
        """One line: what changed (or that nothing did)."""
        skipped = f"; {len(self.problems):,} rows skipped" if self.problems else ""
        if self.unchanged:
            return (f"list {self.name} unchanged at version {self.version} "
                    f"({self.entries:,} entries): nothing stored{skipped}")
        return (f"list {self.name} version {self.version}: {self.entries:,} entries, "
                f"{len(self.added):,} added, {len(self.removed):,} removed, "
                f"{len(self.changed):,} changed{skipped}")


@dataclass(frozen=True)
class ScreeningHit:
    """A record that matched a list entry, as stored.

    Attributes:
        hit_id: ``SH-`` and 12 hex digits; stable for one record, list and entry.
        status: ``open``, ``confirmed``, ``dismissed`` or ``cleared``.
        record_id: ``customer:ID`` or ``counterparty:ID``.
        subject: the customer or counterparty id.
        record_name: the bank's name of it.
        list_name / list_version: the list (as loaded) and the version last matched.
        entry_id / entry_name / programme: the list entry.
        score: the match score in ``[0, 1]``.
        sentence: why (``name 'X' ~ 'Y' (0.91); birth year 1975 agrees; ...``).
        history: decisions and status changes, oldest first (``at``, ``by``, ``action``,
            ``note``).
        version: the stored record's version.
        created_at / updated_at: when the hit was first raised and last changed.
        matched_name: the entry's name or alias that matched.
        agreed / contradicted: what confirmed the match (``birth year 1975 agrees``) and
            what spoke against it.
    """

    hit_id: str
    status: str
    record_id: str
    subject: str
    record_name: str
    list_name: str
    list_version: int
    entry_id: str
    entry_name: str
    programme: str
    score: float
    sentence: str
    history: tuple[dict[str, Any], ...]
    version: int
    created_at: str
    updated_at: str
    matched_name: str = ""
    agreed: tuple[str, ...] = ()
    contradicted: tuple[str, ...] = ()

    @property
    def record_kind(self) -> str:
        """``customer`` or ``counterparty``."""
        return self.record_id.split(":", 1)[0]

    @classmethod
    def from_record(cls, record: StoredRecord) -> ScreeningHit:
        body = record.body
        return cls(record.key, record.status or "open", body["record_id"],
                   record.subject or "", body["record_name"], body["list"],
                   int(body["list_version"]), body["entry_id"], body["entry_name"],
                   body.get("programme", ""), float(body["score"]), body["sentence"],
                   tuple(body.get("history", ())), record.version, record.created_at,
                   record.updated_at, body.get("matched_name", ""),
                   tuple(body.get("agreed", ())), tuple(body.get("contradicted", ())))


@dataclass
class ScreeningRun:
    """What one screening run found and changed.

    Attributes:
        records_screened: customers and counterparties screened.
        lists: the lists screened against, name -> version.
        hits: the hits of this run that stand (``open`` or ``confirmed``), best first.
        new / reopened / updated / cleared: hits raised for the first time, raised again
            after being cleared, changed (score or list version), and cleared (no longer
            matching).
        dismissed_kept: matches an investigator had dismissed, not raised again.
        seconds: wall time.
        alerts: ``list_match`` alerts raised by this run (one per new open customer hit,
            when the policy enables the rule), filed into cases.
    """

    records_screened: int
    lists: dict[str, int]
    hits: list[ScreeningHit] = field(default_factory=list)
    new: int = 0
    reopened: int = 0
    updated: int = 0
    cleared: int = 0
    dismissed_kept: int = 0
    seconds: float = 0.0
    alerts: list[Alert] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the end of a run."""
        return (f"{self.records_screened:,} records screened against "
                f"{', '.join(f'{n} v{v}' for n, v in self.lists.items())} in "
                f"{self.seconds:.1f} s: {len(self.hits):,} hits ({self.new:,} new, "
                f"{self.reopened:,} reopened, {self.updated:,} updated); {self.cleared:,} "
                f"cleared; {self.dismissed_kept:,} dismissed earlier, not raised again"
                + (f"; {len(self.alerts):,} list_match alerts raised" if self.alerts else ""))


def hit_key(record_id: str, list_name: str, entry_id: str) -> str:
    """The hit's key: the same record, list and entry always give the same id."""
    digest = hashlib.sha1(f"{record_id}\x1f{list_name}\x1f{entry_id}".encode(),
                          usedforsecurity=False).hexdigest()
    return f"SH-{digest[:12]}"


class ScreeningService:
    """Lists, screening runs and hit decisions over one :class:`RiskService`'s store."""

    def __init__(self, service: RiskService) -> None:
        self._service = service
        self._store = service.store
        self._settings = service.settings
        #: The index of each list version screened in this process: every incremental batch
        #: screens its new records, and re-reading and re-indexing a 50k-entry list per
        #: batch would cost about a second each time.
        self._matchers: dict[tuple[str, int], Matcher] = {}

    # -- lists ------------------------------------------------------------------------------
    def read_list(self, path: Path, *, name: str | None = None) -> ListFile:
        """Read and check a list file without storing it (see :func:`read_list_file`)."""
        return read_list_file(path, list_name=name)

    def load_list(self, path: Path, name: str, *, actor: str | None = None) -> ListLoad:
        """Store a new version of list ``name`` from a file, unless it holds what the
        latest version holds (then nothing is stored and ``unchanged`` is true).

        Raises:
            IngestionError: the file cannot be read or holds no valid entry.
            RecordConflictError: another load of the same list finished meanwhile; load
                again.
            ValueError: ``name`` is empty.
        """
        name = name.strip()
        if not name:
            raise ValueError("a list needs a name (--name), such as un-sanctions")
        read = read_list_file(path, list_name=name)
        digest = _digest(read.entries)
        current = self._store.get_record(LIST_KIND, name)
        versions: list[dict[str, Any]] = list(current.body["versions"]) if current else []
        problems = tuple(read.problems)
        if versions and versions[-1]["digest"] == digest:
            return ListLoad(name, int(versions[-1]["version"]), len(read.entries),
                            unchanged=True, problems=problems, rows_read=read.rows_read)
        before = {entry.entry_id: entry for entry in self.entries(name)} if versions else {}
        after = {entry.entry_id: entry for entry in read.entries}
        added = tuple(sorted(after.keys() - before.keys()))
        removed = tuple(sorted(before.keys() - after.keys()))
        changed = tuple(sorted(key for key in after.keys() & before.keys()
                               if after[key] != before[key]))
        version = int(versions[-1]["version"]) + 1 if versions else 1
        chunks = self._write_chunks(name, version, read.entries)
        who = actor or self._settings.actor
        versions.append({
            "version": version, "entries": len(read.entries), "digest": digest,
            "chunks": chunks, "loaded_at": utc_now(), "loaded_by": who,
            "source": str(Path(path).name), "format": read.format,
            "added": len(added), "removed": len(removed), "changed": len(changed),
            "rows_skipped": len(problems),
        })
        body = {"name": name, "versions": versions}
        if current is None:
            stored, created = self._store.create_record(LIST_KIND, name, body, subject=name,
                                                        status="loaded")
            if not created:  # another load created it meanwhile: go through the CAS
                self._store.update_record(LIST_KIND, name, body,
                                          expected_version=stored.version)
        else:
            self._store.update_record(LIST_KIND, name, body, expected_version=current.version)
        self._store.append_audit(who, "list.load", name, {
            "version": version, "entries": len(read.entries), "source": str(path),
            "added": len(added), "removed": len(removed), "changed": len(changed),
            "rows_skipped": len(problems)})
        return ListLoad(name, version, len(read.entries), added, removed, changed,
                        problems=problems, rows_read=read.rows_read)

    def lists(self) -> list[ScreeningList]:
        """The loaded lists, by name, each at its latest version."""
        found = []
        for record in self._store.records(LIST_KIND):
            latest = record.body["versions"][-1]
            found.append(ScreeningList(record.key, int(latest["version"]),
                                       int(latest["entries"]), latest["loaded_at"],
                                       latest["loaded_by"], latest["source"],
                                       tuple(record.body["versions"])))
        return sorted(found, key=lambda item: item.name)

    def entries(self, name: str, version: int | None = None) -> list[ListEntry]:
        """The entries of list ``name`` at ``version`` (default: the latest).

        Raises:
            NotFoundError: no such list or version; the message says what is loaded.
        """
        record = self._store.get_record(LIST_KIND, name)
        if record is None:
            loaded = ", ".join(item.name for item in self.lists()) or "none yet"
            raise NotFoundError(f"no screening list {name!r} (loaded: {loaded}); load it "
                                "with `graphrisk lists load FILE --name NAME`")
        versions = record.body["versions"]
        chosen = versions[-1] if version is None else next(
            (v for v in versions if int(v["version"]) == version), None)
        if chosen is None:
            raise NotFoundError(f"list {name!r} has no version {version} (it has 1 to "
                                f"{versions[-1]['version']})")
        entries: list[ListEntry] = []
        for key in chosen["chunks"]:
            chunk = self._store.get_record(CHUNK_KIND, key)
            if chunk is None:
                raise NotFoundError(f"list {name!r} version {chosen['version']} lost its "
                                    f"part {key}; load the list file again")
            entries.extend(ListEntry.from_json(body) for body in chunk.body["entries"])
        return entries

    # -- screening -----------------------------------------------------------------------
    def records_to_screen(self) -> list[ScreenedRecord]:
        """Every customer and counterparty of the store, as records to screen."""
        snapshot = self._service.store.snapshot()
        return [*_customer_records(snapshot.customers),
                *_counterparty_records(snapshot.counterparties)]

    def screen_new(self, frames: Mapping[str, pd.DataFrame], *,
                   actor: str | None = None) -> ScreeningRun | None:
        """Screen the customers and counterparties a batch brought (its accepted
        ``customers`` and ``counterparties`` rows) against every loaded list; ``None`` when
        no list is loaded or the batch brought none. Monitoring calls it on each
        incremental batch, so a new customer on a list is caught the day they arrive.

        A row for a customer or counterparty the bank already has is how a batch changes
        its name, birth year or country: it is screened again as it now stands, like a new
        one. A rename onto a list raises a hit (and its alert) at once, a changed birth
        year or country re-scores the hits, a rename away clears them; a row sent again
        unchanged changes nothing (the same hits, no second alert). Hits of records the
        batch did not bring are left as they are."""
        records = [*_customer_records(frames.get("customers", pd.DataFrame())),
                   *_counterparty_records(frames.get("counterparties", pd.DataFrame()))]
        if not records or not self.lists():
            return None
        return self.screen(actor=actor, records=records)

    def screen(self, *, lists: Collection[str] | None = None, actor: str | None = None,
               threshold: float | None = None,
               progress: ProgressCallback | None = None,
               records: list[ScreenedRecord] | None = None) -> ScreeningRun:
        """Screen every customer and counterparty against the latest version of each list
        (or of those named), store the hits, clear the ones that no longer match.

        Re-running changes nothing unless the bank or a list changed. A dismissed hit is
        not raised again for the same list entry; a confirmed one keeps its decision.

        Args:
            lists: the lists to screen against (default: every loaded list).
            actor: who runs it (default ``GRAPHRISK_USER``).
            threshold: the least score of a hit (default ``GRAPHRISK_SCREENING_THRESHOLD``).
            progress: called with :class:`~graphrisk.service.ProgressEvent` s.
            records: screen only these (a batch's new records); hits of other records are
                left as they are. Default: every customer and counterparty in the store.

        Raises:
            NotFoundError: no list is loaded, or a named one is not.
        """
        from graphrisk.service import ProgressEvent

        report = progress or (lambda _event: None)
        started = time.perf_counter()
        loaded = {item.name: item for item in self.lists()}
        names = sorted(loaded) if lists is None else sorted(set(lists))
        if not loaded:
            raise NotFoundError("no screening list is loaded; load one with "
                                "`graphrisk lists load FILE --name NAME`")
        unknown = [name for name in names if name not in loaded]
        if unknown:
            raise NotFoundError(f"no screening list {', '.join(map(repr, unknown))} "
                                f"(loaded: {', '.join(sorted(loaded))})")
        cutoff = self._settings.screening_threshold if threshold is None else threshold
        report(ProgressEvent("screening", "reading customers and counterparties"))
        chosen = records is not None
        records = self.records_to_screen() if records is None else list(records)
        screened = {record.record_id for record in records}
        matches: dict[str, tuple[str, Match]] = {}
        total = len(records) * len(names)
        for number, name in enumerate(names):
            report(ProgressEvent("screening", f"indexing {name}", number * len(records), total))
            matcher = self._matcher(name, loaded[name].version)

            def tick(done: int, offset: int = number * len(records), name: str = name) -> None:
                report(ProgressEvent("screening", f"against {name}", offset + done, total))

            for found in matcher.screen(records, cutoff, progress=tick):
                key = hit_key(found.record.record_id, name, found.entry.entry_id)
                matches[key] = (name, found)
        report(ProgressEvent("screening", "storing hits", total, total))
        run = ScreeningRun(len(records), {name: loaded[name].version for name in names})
        who = actor or self._settings.actor
        # a batch's few records: their own hits (by subject), not every stored hit
        stored = (self._store.records(HIT_KIND) if not chosen else
                  [hit for subject in sorted({r.business_id for r in records})
                   for hit in self._store.records(HIT_KIND, subject=subject)])
        existing = {record.key: record for record in stored
                    if record.body.get("list") in names
                    and (not chosen or record.body.get("record_id") in screened)}
        for key, (list_name, found) in matches.items():
            self._keep_match(run, existing.get(key), key, found, list_name,
                             loaded[list_name].version, who)
        for key, record in existing.items():
            if key not in matches and record.status in ("open", "confirmed"):
                self._set_status(record, "cleared", who, "cleared", "no longer matches "
                                 f"{record.body['list']} version "
                                 f"{loaded[record.body['list']].version}")
                run.cleared += 1
        run.hits.sort(key=lambda hit: (-hit.score, hit.record_id, hit.entry_id))
        report(ProgressEvent("screening", "raising alerts", total, total))
        run.alerts = self._raise_alerts(run.hits, who)
        run.seconds = time.perf_counter() - started
        report(ProgressEvent("screening", "done", total, total))
        self._store.append_audit(who, "screening.run", None, {
            "lists": run.lists, "records": run.records_screened, "hits": len(run.hits),
            "new": run.new, "reopened": run.reopened, "cleared": run.cleared,
            "threshold": cutoff, "alerts": [a.alert_id for a in run.alerts]})
        return run

    def _matcher(self, name: str, version: int) -> Matcher:
        """The index of one list version, built once per process (versions never change)."""
        key = (name, version)
        if key not in self._matchers:
            self._matchers = {k: m for k, m in self._matchers.items() if k[0] != name}
            self._matchers[key] = Matcher(self.entries(name, version))
        return self._matchers[key]

    def _raise_alerts(self, hits: list[ScreeningHit], who: str) -> list[Alert]:
        """A ``list_match`` alert per open customer hit, filed into the customer's case
        with the rule's playbook (once per hit: a re-run or a reopened hit raises nothing
        twice). Counterparty hits stay hits: no customer is their subject."""
        found = [(f"screening:{hit.hit_id}", AlertCandidate(
            rule="list_match", customer_id=hit.subject, at=utc_now(),
            evidence={"hit_id": hit.hit_id, "list": hit.list_name,
                      "list_version": hit.list_version, "entry_id": hit.entry_id,
                      "entry_name": hit.entry_name, "programme": hit.programme,
                      "score": hit.score},
            sentence=(f"name matches '{hit.entry_name}' on list {hit.list_name}"
                      + (f", programme {hit.programme}" if hit.programme else "")
                      + f": {hit.sentence}")))
            for hit in hits if hit.status == "open" and hit.record_kind == "customer"]
        return self._service.monitoring.raise_alerts(found, actor=who) if found else []

    # -- hits --------------------------------------------------------------------------------
    def hits(self, *, status: str | Collection[str] | None = None,
             subject: str | None = None) -> list[ScreeningHit]:
        """Stored hits, best score first (``status``: one or several of
        :data:`HIT_STATUSES`; ``subject``: a customer or counterparty id)."""
        found = [ScreeningHit.from_record(record) for record in
                 self._store.records(HIT_KIND, status=status, subject=subject)]
        return sorted(found, key=lambda hit: (-hit.score, hit.hit_id))

    def hit(self, hit_id: str) -> ScreeningHit:
        """One hit.

        Raises:
            NotFoundError: no such hit; ``graphrisk screen hits`` lists them.
        """
        return ScreeningHit.from_record(self._hit_record(hit_id))

    def confirm(self, hit_id: str, note: str, *, actor: str | None = None) -> ScreeningHit:
        """An investigator confirms a hit: the record is the listed party.

        Raises:
            NotFoundError: no such hit.
            ValueError: the note is empty.
        """
        return self._decide(hit_id, "confirmed", note, actor)

    def dismiss(self, hit_id: str, note: str, *, actor: str | None = None) -> ScreeningHit:
        """An investigator dismisses a hit (a false match): it is kept dismissed and not
        raised again for the same list entry.

        Raises:
            NotFoundError: no such hit.
            ValueError: the note is empty.
        """
        return self._decide(hit_id, "dismissed", note, actor)

    # -- internals ---------------------------------------------------------------------------
    def _write_chunks(self, name: str, version: int, entries: list[ListEntry]) -> list[str]:
        keys = []
        for start in range(0, max(len(entries), 1), CHUNK_ENTRIES):
            key = f"{name}@{version}#{start // CHUNK_ENTRIES:03d}"
            body = {"entries": [entry.to_json() for entry in
                                entries[start:start + CHUNK_ENTRIES]]}
            stored, created = self._store.create_record(CHUNK_KIND, key, body, subject=name)
            if not created:  # left by a load that stopped before its version was recorded
                self._store.update_record(CHUNK_KIND, key, body,
                                          expected_version=stored.version)
            keys.append(key)
        return keys

    def _keep_match(self, run: ScreeningRun, record: StoredRecord | None, key: str,
                    found: Match, list_name: str, list_version: int, who: str) -> None:
        body = {
            "record_id": found.record.record_id, "record_name": found.record.name,
            "list": list_name, "list_version": list_version,
            "entry_id": found.entry.entry_id, "entry_name": found.entry.name,
            "matched_name": found.matched_name, "programme": found.entry.programme,
            "score": found.score, "name_score": found.name_score,
            "sentence": found.sentence, "agreed": list(found.agreed),
            "contradicted": list(found.contradicted),
        }
        if record is None:
            body["history"] = [{"at": utc_now(), "by": who, "action": "raised",
                                "note": found.sentence}]
            stored, _ = self._store.create_record(HIT_KIND, key, body,
                                                  subject=found.record.business_id,
                                                  status="open")
            run.new += 1
            run.hits.append(ScreeningHit.from_record(stored))
            return
        if record.status == "dismissed":
            run.dismissed_kept += 1
            return
        history = list(record.body.get("history", ()))
        same = all(record.body.get(name) == value for name, value in body.items())
        status = record.status or "open"
        if record.status == "cleared":
            status = "open"
            history.append({"at": utc_now(), "by": who, "action": "reopened",
                            "note": found.sentence})
            run.reopened += 1
        elif same:
            run.hits.append(ScreeningHit.from_record(record))
            return
        else:
            run.updated += 1
        body["history"] = history
        stored = self._store.update_record(HIT_KIND, key, body,
                                           expected_version=record.version, status=status)
        run.hits.append(ScreeningHit.from_record(stored))

    def _hit_record(self, key: str) -> StoredRecord:
        return read_decided(self._store, HIT_KIND, key,
                            f"no screening hit {key!r}; `graphrisk screen hits` lists "
                            "them")

    def _set_status(self, record: StoredRecord, status: str, who: str, action: str,
                    note: str) -> StoredRecord:
        return with_history(self._store, HIT_KIND, record, status=status, who=who,
                            action=action, note=note)

    def _decide(self, key: str, status: str, note: str, actor: str | None) -> ScreeningHit:
        if not note or not note.strip():
            raise ValueError(f"say why the hit is {status} (--note)")
        who = actor or self._settings.actor
        record = self._hit_record(key)
        stored = self._set_status(record, status, who, status, note.strip())
        hit = ScreeningHit.from_record(stored)
        label = self._label_customer(hit) if hit.record_kind == "customer" else None
        self._store.append_audit(who, _AUDIT_ACTIONS[status], stored.subject, {
            "hit": stored.key, "list": stored.body["list"],
            "entry_id": stored.body["entry_id"], "record_id": stored.body["record_id"],
            "note": note.strip(), "known_risk_label": label})
        return hit

    def _label_customer(self, hit: ScreeningHit) -> str | None:
        """A confirmed hit makes the customer known risk, with the list as its source (the
        score's ``known`` component and the network's seeds take it from there); a
        dismissed hit takes back only a label this hit set. Returns the label now set by
        this hit, if any.

        Why only on confirmation: a fuzzy match is a lead for an investigator, not a fact;
        an unconfirmed hit stays a hit (``graphrisk screen hits``).
        """
        source = label_source(hit)
        customer = self._store.get_node(NodeRef(NodeLabel.CUSTOMER, hit.subject)).properties
        current, current_source = (customer.get("known_risk_label"),
                                   customer.get("known_risk_source"))
        if hit.status == "confirmed":
            if current is None:
                label = "other" if hit.programme.lower() == "pep" else "sanctions"
                self._store.set_known_label(hit.subject, label, source)
                return label
            return current if current_source == source else None
        if current is not None and current_source == source:
            self._store.set_known_label(hit.subject, None, None)
        return None


_AUDIT_ACTIONS = {"confirmed": "screening.confirm", "dismissed": "screening.dismiss"}


def label_source(hit: ScreeningHit) -> str:
    """The ``known_risk_source`` a confirmed hit gives its customer."""
    programme = f", programme {hit.programme}" if hit.programme else ""
    return f"screening: {hit.list_name} entry {hit.entry_id} ({hit.entry_name}{programme})"


def _customer_records(frame: pd.DataFrame) -> Iterator[ScreenedRecord]:
    if frame.empty:
        return
    years = frame["birth_year"] if "birth_year" in frame else pd.Series(None, index=frame.index)
    segments = frame["segment"] if "segment" in frame else pd.Series(None, index=frame.index)
    for customer_id, name, country, year, segment in zip(
            frame["customer_id"], frame["name"], frame["country"], years, segments,
            strict=True):
        if not isinstance(name, str) or not name.strip():
            continue
        born = None if pd.isna(year) else int(year)
        party = "person" if born is not None or segment in PERSON_SEGMENTS else "organisation"
        yield ScreenedRecord(f"customer:{customer_id}", name, party,
                             country if isinstance(country, str) and country else None, born)


def _counterparty_records(frame: pd.DataFrame) -> Iterator[ScreenedRecord]:
    if frame.empty:
        return
    countries = frame["country"] if "country" in frame else pd.Series(None, index=frame.index)
    for counterparty_id, name, kind, country in zip(
            frame["counterparty_id"], frame["name"], frame["kind"], countries, strict=True):
        if not isinstance(name, str) or not name.strip():
            continue
        party = "organisation" if kind in ORGANISATION_KINDS else "unknown"
        yield ScreenedRecord(f"counterparty:{counterparty_id}", name, party,
                             country if isinstance(country, str) and country else None)
