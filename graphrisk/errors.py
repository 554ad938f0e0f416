"""One exception hierarchy for GraphRisk.

Every error a user can meet carries the context needed to act on it (which file, row, query or
setting) and, where there is one, the next step to take.
"""

from __future__ import annotations


class GraphRiskError(Exception):
    """Base class of every error GraphRisk raises on purpose."""


class ConfigError(GraphRiskError):
    """A setting is missing or invalid."""


class IngestionError(GraphRiskError):
    """Input data cannot be read at all (a whole file, not one row)."""

    def __init__(
        self, message: str, *, source: str | None = None, row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.source, self.row, self.column = source, row, column
        where = ", ".join(
            part for part in (
                source and f"file {source}",
                row is not None and f"row {row}" or None,
                column and f"column {column}",
            ) if part
        )
        super().__init__(f"{where}: {message}" if where else message)


class RecordValidationError(IngestionError):
    """One record breaks the input format."""


class NotFoundError(GraphRiskError):
    """A business id that is not in the store."""

    def __init__(self, kind: str, id: str | None = None) -> None:  # noqa: A002 - domain word
        # One argument: a whole sentence ("no alert A1; `graphrisk alerts` lists them").
        self.kind, self.id = kind, id
        super().__init__(kind if id is None else f"{kind} {id!r} not found")


class StoreError(GraphRiskError):
    """A store operation failed; ``query`` names the statement that failed."""

    def __init__(self, message: str, *, query: str | None = None) -> None:
        self.query = query
        super().__init__(f"{message} (query: {query})" if query else message)


class StoreUnavailableError(StoreError):
    """The store cannot be reached or opened."""


class AnalyticsError(GraphRiskError):
    """An analysis cannot run on the given graph."""


class ModelError(GraphRiskError):
    """A model cannot be trained, loaded or applied."""


class RecordConflictError(GraphRiskError):
    """A stored record changed since the caller read it (optimistic concurrency).

    Attributes:
        kind: the record's kind (``case``, ``alert``...).
        key: the record's key within its kind.
        expected_version: the version the caller's change was made to.
        stored_version: the version the store holds now.
    """

    def __init__(self, kind: str, key: str, expected_version: int,
                 stored_version: int) -> None:
        self.kind, self.key = kind, key
        self.expected_version, self.stored_version = expected_version, stored_version
        super().__init__(
            f"{kind} {key} was changed by someone else: your change was made to version "
            f"{expected_version} but the store now holds version {stored_version}; reload it "
            "and make your change again")


class QueryRefusedError(GraphRiskError):
    """A query given to the read-only Cypher guard would write, change the schema, load
    files or call an administrative or unsafe procedure; it was not run.

    Attributes:
        reason: what the database's plan showed that is not a read.
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"query refused: {reason}; only read-only queries may run here")


class QueryFailedError(GraphRiskError):
    """A read-only query could not run: a syntax error, a missing parameter, or a timeout
    (``timed_out``)."""

    def __init__(self, message: str, *, timed_out: bool = False) -> None:
        self.timed_out = timed_out
        super().__init__(message)


class UnsupportedByStoreError(GraphRiskError):
    """The configured store cannot do this (read-only Cypher needs the Neo4j store)."""
