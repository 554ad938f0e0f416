"""One registry of stores: for each :class:`~graphrisk.config.StoreKind`, how to open it.

Why one place: the CLI's ``--store``, ``GRAPHRISK_STORE``, :func:`graphrisk.store.open_store`
and the tests that run on every store (contract, parity, crash) all take their list of stores
from here, so a store added here is offered and tested everywhere at once. Adding a store is:
a :class:`~graphrisk.store.base.GraphStore` subclass implementing the primitives, a
``StoreKind`` member, and one :func:`register_store` call below.

Openers import their store's module when called, so that naming the embedded store never
imports a server's driver.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from graphrisk.config import Settings, StoreKind
from graphrisk.errors import ConfigError
from graphrisk.store.base import GraphStore

__all__ = [
    "StoreEntry",
    "StoreOpener",
    "open_store",
    "register_store",
    "registered_kinds",
    "store_entry",
]

#: Opens a store from the settings; raises ``StoreUnavailableError`` when it cannot.
StoreOpener = Callable[[Settings], GraphStore]


@dataclass(frozen=True)
class StoreEntry:
    """One registered store.

    Attributes:
        kind: its name in settings and on the command line.
        open: opens it from the settings.
        description: one line for help texts (``--store``).
    """

    kind: StoreKind
    open: StoreOpener
    description: str


_REGISTRY: dict[StoreKind, StoreEntry] = {}


def register_store(kind: StoreKind, opener: StoreOpener, *, description: str) -> None:
    """Make a store available under ``kind``.

    Raises:
        ValueError: a store is registered under ``kind`` already.
    """
    if kind in _REGISTRY:
        raise ValueError(f"a store is registered as {kind!r} already")
    _REGISTRY[kind] = StoreEntry(kind, opener, description)


def store_entry(kind: StoreKind | str) -> StoreEntry:
    """The registered store called ``kind``.

    Raises:
        ConfigError: no store has that name (the message lists those that do).
    """
    entry = _REGISTRY.get(kind) if isinstance(kind, StoreKind) else None
    if entry is None:
        entry = next((e for e in _REGISTRY.values() if e.kind.value == str(kind)), None)
    if entry is None:
        raise ConfigError(f"unknown store {str(kind)!r}: use one of "
                          f"{', '.join(k.value for k in registered_kinds())}")
    return entry


def registered_kinds() -> tuple[StoreKind, ...]:
    """Every registered store kind, in the order ``StoreKind`` declares them."""
    return tuple(kind for kind in StoreKind if kind in _REGISTRY)


def open_store(settings: Settings) -> GraphStore:
    """Open the store the settings name (``GRAPHRISK_STORE``).

    Raises:
        ConfigError: no store is registered under that name, or its driver is missing.
        StoreUnavailableError: the store cannot be opened or reached.
    """
    return store_entry(settings.store).open(settings)


def _open_embedded(settings: Settings) -> GraphStore:
    from graphrisk.store.embedded import EmbeddedGraphStore

    return EmbeddedGraphStore(settings.embedded_path)


def _open_neo4j(settings: Settings) -> GraphStore:
    try:
        from graphrisk.store.neo4j import Neo4jGraphStore
    except ModuleNotFoundError as exc:  # pragma: no cover - the driver is a dependency
        raise ConfigError(
            "GRAPHRISK_STORE=neo4j needs the neo4j driver: pip install 'neo4j>=5.28,<6'"
        ) from exc
    return Neo4jGraphStore.from_settings(settings)


register_store(StoreKind.EMBEDDED, _open_embedded,
               description="SQLite file in GRAPHRISK_HOME; nothing to install or start")
register_store(StoreKind.NEO4J, _open_neo4j,
               description="a Neo4j 5 server with GDS (GRAPHRISK_NEO4J_*)")
