"""Neo4j writes a run's scores in parallel batches, and the run appears whole or not at all."""

from __future__ import annotations

import pandas as pd
import pytest

import graphrisk.store.neo4j as neo4j_store
from graphrisk.store.neo4j import Neo4jGraphStore

pytestmark = pytest.mark.neo4j


def _scores(score: float) -> pd.DataFrame:
    customers = [f"C{n}" for n in range(1, 7)]
    return pd.DataFrame({"customer_id": customers, "score": [score + n for n in range(6)],
                         "tier": ["low"] * 6, "reasons": [[f"reason {c}"] for c in customers],
                         "network": [0.1 * n for n in range(6)]})


def _stored_scores(store: Neo4jGraphStore, run_id: str) -> int:
    found = store.read_only_query(
        "MATCH (s:RiskScore {run_id: $run_id}) RETURN count(s) AS n", {"run_id": run_id})
    return int(found.rows[0][0])


def test_scores_written_in_parallel_batches_are_the_scores_given(
        tiny_neo4j: Neo4jGraphStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(neo4j_store, "SCORE_BATCH", 2)  # three batches over two writers
    tiny_neo4j.write_scores("batched", "test", {}, _scores(10.0))
    latest = tiny_neo4j.latest_scores()
    assert latest["run_id"].tolist() == ["batched"] * 6
    assert latest["score"].tolist() == [10.0, 11.0, 12.0, 13.0, 14.0, 15.0]
    assert latest["reasons"].tolist() == [[f"reason C{n}"] for n in range(1, 7)]
    assert latest["network"].tolist() == pytest.approx([0.1 * n for n in range(6)])
    # The same run id again replaces its scores (MERGE), still one score per customer.
    tiny_neo4j.write_scores("batched", "test", {}, _scores(50.0))
    assert tiny_neo4j.latest_scores()["score"].tolist() == [50.0, 51.0, 52.0, 53.0, 54.0,
                                                             55.0]
    assert _stored_scores(tiny_neo4j, "batched") == 6
    assert tiny_neo4j.score_history("C1")["run_id"].tolist() == ["batched"]


def test_a_score_write_that_fails_half_way_leaves_no_rows_and_no_run(
        tiny_neo4j: Neo4jGraphStore, monkeypatch: pytest.MonkeyPatch) -> None:
    tiny_neo4j.write_scores("kept", "test", {}, _scores(10.0))
    monkeypatch.setattr(neo4j_store, "SCORE_BATCH", 2)
    write = Neo4jGraphStore._write
    batches: list[str] = []

    def fail_on_third_batch(self, name, work, **kwargs):  # type: ignore[no-untyped-def]
        if name == "scores/create_scores":
            batches.append(name)
            if len(batches) == 3:
                raise KeyboardInterrupt  # the job is stopped while batches are written
        return write(self, name, work, **kwargs)

    monkeypatch.setattr(Neo4jGraphStore, "_write", fail_on_third_batch)
    with pytest.raises(KeyboardInterrupt):
        tiny_neo4j.write_scores("broken", "test", {}, _scores(90.0))
    monkeypatch.undo()
    latest = tiny_neo4j.latest_scores()
    assert set(latest["run_id"]) == {"kept"}
    assert latest["score"].tolist() == [10.0, 11.0, 12.0, 13.0, 14.0, 15.0]
    assert _stored_scores(tiny_neo4j, "broken") == 0
    tiny_neo4j.write_scores("whole", "test", {}, _scores(90.0))
    assert set(tiny_neo4j.latest_scores()["run_id"]) == {"whole"}
