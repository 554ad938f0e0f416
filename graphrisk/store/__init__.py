"""Stores behind one boundary; :func:`open_store` opens the one the settings name.

Callers hold a :class:`GraphStore` and ask it what it can do (:class:`StoreCapability`);
which stores exist, and how each is opened, is :mod:`graphrisk.store.registry`.
"""

from __future__ import annotations

from graphrisk.store.base import GraphStore, StoreCapability
from graphrisk.store.registry import (
    StoreEntry,
    open_store,
    register_store,
    registered_kinds,
    store_entry,
)

__all__ = [
    "GraphStore",
    "StoreCapability",
    "StoreEntry",
    "open_store",
    "register_store",
    "registered_kinds",
    "store_entry",
]
