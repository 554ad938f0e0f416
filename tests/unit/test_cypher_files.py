import pytest

from graphrisk.errors import StoreUnavailableError
from graphrisk.store.cypher_files import load_cypher, statement_names


def test_placeholders_take_only_plain_identifiers() -> None:
    assert "MERGE (n:Customer {customer_id: row.customer_id})" in load_cypher(
        "load/merge_nodes", label="Customer", key="customer_id")
    with pytest.raises(ValueError, match="not a plain identifier"):
        load_cypher("load/merge_nodes", label="Customer) DETACH DELETE (n", key="customer_id")
    with pytest.raises(ValueError, match="placeholders not filled"):
        load_cypher("load/merge_nodes", label="Customer")


def test_every_statement_documents_params_and_returns() -> None:
    from graphrisk.store.cypher_files import CYPHER_DIR

    for name in statement_names():
        head = (CYPHER_DIR / f"{name}.cypher").read_text().splitlines()[:4]
        assert any(line.startswith("// params:") for line in head), name
        assert any(line.startswith("// returns:") for line in head), name


def test_unreachable_neo4j_is_one_clear_error() -> None:
    from graphrisk.config import Settings
    from graphrisk.store.neo4j import Neo4jGraphStore

    settings = Settings(neo4j_uri="bolt://127.0.0.1:1")
    with pytest.raises(StoreUnavailableError,
                       match=r"cannot reach Neo4j at bolt://127.0.0.1:1: start the local server "
                             r"with `graphrisk neo4j start`"):
        Neo4jGraphStore.from_settings(settings)
