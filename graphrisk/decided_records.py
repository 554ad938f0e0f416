"""Versioned records that people decide on (screening hits, same-entity pairs), kept with
their history.

Why one place: a hit and a pair live the same way — found by a run, confirmed or dismissed by
a person with a note, cleared and reopened by later runs — and every change appends who did
what, when and why to the record's own history before it is written back at the version it
was read at (a concurrent change is a conflict, never an overwrite).
"""

from __future__ import annotations

from graphrisk.errors import NotFoundError
from graphrisk.store.base import GraphStore, StoredRecord, utc_now

__all__ = ["read_decided", "with_history"]


def read_decided(store: GraphStore, kind: str, key: str, missing: str) -> StoredRecord:
    """The record ``key`` of ``kind``.

    Raises:
        NotFoundError: no such record; the message is ``missing`` (say how to list them).
    """
    record = store.get_record(kind, key.strip())
    if record is None:
        raise NotFoundError(missing)
    return record


def with_history(store: GraphStore, kind: str, record: StoredRecord, *, status: str,
                 who: str, action: str, note: str) -> StoredRecord:
    """Write ``record`` back with ``status`` and one more history entry."""
    body = dict(record.body)
    body["history"] = [*body.get("history", ()),
                       {"at": utc_now(), "by": who, "action": action, "note": note}]
    return store.update_record(kind, record.key, body, expected_version=record.version,
                               status=status)
