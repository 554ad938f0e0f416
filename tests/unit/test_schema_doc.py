from pathlib import Path

from graphrisk.schema_doc import render_schema_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "schema.md"


def test_docs_schema_is_up_to_date() -> None:
    assert DOC.read_text() == render_schema_markdown(), (
        "docs/schema.md is stale: run `graphrisk formats --markdown > docs/schema.md`"
    )


def test_every_entity_and_column_is_documented() -> None:
    from graphrisk.domain import ENTITIES

    text = render_schema_markdown()
    for spec in ENTITIES:
        assert f"### `{spec.name}`" in text
        for column in spec.columns:
            assert f"| `{column.name}` |" in text
