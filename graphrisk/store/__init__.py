"""Stores behind one boundary; :func:`open_store` picks one from the settings."""

from __future__ import annotations

from graphrisk.config import Settings
from graphrisk.errors import ConfigError
from graphrisk.store.base import GraphStore

__all__ = ["GraphStore", "open_store"]


def open_store(settings: Settings) -> GraphStore:
    """Open the store the settings name (``GRAPHRISK_STORE``)."""
    if settings.store == "embedded":
        from graphrisk.store.embedded import EmbeddedGraphStore

        return EmbeddedGraphStore(settings.embedded_path)
    try:
        from graphrisk.store.neo4j import Neo4jGraphStore
    except ModuleNotFoundError as exc:  # pragma: no cover - the driver is a dependency
        raise ConfigError(
            "GRAPHRISK_STORE=neo4j needs the neo4j driver: pip install 'neo4j>=5.28,<6'"
        ) from exc
    return Neo4jGraphStore.from_settings(settings)
