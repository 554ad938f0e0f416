"""Neo4j reads a snapshot a page at a time; small pages give the frames one page gives."""

from __future__ import annotations

import pandas as pd
import pytest

from graphrisk.store.neo4j import Neo4jGraphStore

pytestmark = pytest.mark.neo4j


def test_a_snapshot_read_in_small_pages_equals_one_read_in_one_page(
        tiny_neo4j: Neo4jGraphStore, monkeypatch: pytest.MonkeyPatch) -> None:
    whole = tiny_neo4j.snapshot()
    # Two rows a page: several pages per entity, some with a column of no value at all
    # (object dtype), joined as one read would give them.
    monkeypatch.setattr(tiny_neo4j, "_page_size", 2)
    pages = tiny_neo4j.snapshot()
    compared = 0
    for name, frame in vars(whole).items():
        pd.testing.assert_frame_equal(getattr(pages, name), frame, check_exact=True, obj=name)
        compared += len(frame) > 2  # an entity that took more than one page
    assert compared >= 3
