"""Render the graph schema and input format as Markdown (``docs/schema.md``).

Why generated: the specs in :mod:`graphrisk.domain` are the single source of truth; a test
checks that ``docs/schema.md`` matches what this renders, so the documentation cannot drift.
"""

from __future__ import annotations

from graphrisk.domain import ENTITIES, RELATIONSHIPS, Column

__all__ = ["render_schema_markdown"]

_DIAGRAM = """```mermaid
graph LR
  Customer -- OWNS {role} --> Account
  Customer -- HAS_IDENTIFIER --> Identifier
  Customer -- RAISED --> Dispute
  Dispute -- CONCERNS --> Account
  Dispute -- AGAINST --> Customer
  Dispute -- AGAINST --> Counterparty
  Account -- TRANSFERRED {transaction_id, amount, ...} --> Account
  Account -- TRANSFERRED --> Counterparty
  Counterparty -- TRANSFERRED --> Account
  Account -- HAS_LOAN --> Loan
  Account -- HAD_CHANGE --> AccountChange
  Customer -. HAS_FEATURE .-> CustomerFeature
```"""


def _check_text(column: Column) -> str:
    parts = []
    if column.kind == "enum":
        parts.append("one of " + ", ".join(f"`{c}`" for c in column.choices))
    if column.minimum is not None or column.maximum is not None:
        low = "" if column.minimum is None else f"{column.minimum:g}"
        high = "" if column.maximum is None else f"{column.maximum:g}"
        word = "year " if column.kind in ("date", "datetime") else ""
        parts.append(f"{word}range [{low}, {high}]" if high else f"{word}≥ {low}")
    if column.references:
        parts.append(f"must exist in `{column.references}`")
    return "; ".join(parts)


def render_schema_markdown(*, brief: bool = False) -> str:
    """The schema document; ``brief`` gives only the column lists, for the terminal."""
    lines: list[str] = []
    if not brief:
        lines += [
            "# GraphRisk graph schema and input format",
            "",
            "Generated from `graphrisk/domain.py` by `graphrisk formats --markdown`; do not "
            "edit by hand (a test compares the two).",
            "",
            "## Graph",
            "",
            _DIAGRAM,
            "",
            "Labels are PascalCase, relationship types UPPER_SNAKE, property keys snake_case, "
            "the same in Neo4j and in the embedded store. Transactions are `TRANSFERRED` "
            "relationships carrying the transaction's columns. Identifiers are nodes keyed "
            "`<kind>:<normalised value>`: phones keep digits only (a leading `00` dropped), "
            "e-mails and device ids are lower-cased, addresses upper-cased with punctuation "
            "removed and common words abbreviated (STREET → ST), IPs in canonical form.",
            "",
            "Customer features (`customer_features`) are attributes, not part of the network: "
            "in Neo4j each row is a `CustomerFeature {customer_id, feature, value}` node that "
            "its customer points at with `HAS_FEATURE` (dotted above), in the embedded store a "
            "row of the `customer_features` table; neighbourhoods, paths and the graph "
            "analytics do not follow them, and models read them as customer features.",
            "",
            "| relationship | from | to | built from |",
            "|---|---|---|---|",
        ]
        for rel in RELATIONSHIPS:
            lines.append(f"| `{rel.type.value}` | `{rel.start_label.value}` "
                         f"(`{rel.start_column}`) | `{rel.end_label.value}` "
                         f"(`{rel.end_column}`) | `{rel.entity}` |")
        lines += [
            "",
            "## Input files",
            "",
            "One file per entity in one folder: `<entity>.csv` (UTF-8, comma-separated, header "
            "row) or `<entity>.parquet`. Files are loaded in the order below, so references "
            "point at rows loaded earlier or already in the store. Row numbers in reports count "
            "the header as row 1. Empty optional values are fine; a row with any error is "
            "quarantined and every other row loads. A re-load with the same key updates the "
            "row.",
            "",
        ]
    for spec in ENTITIES:
        heading = f"### `{spec.name}`" if not brief else f"{spec.name} (key: {', '.join(spec.key)})"
        lines.append(heading)
        if not brief:
            key = ", ".join(f"`{k}`" for k in spec.key)
            label = f" Node label `{spec.label.value}`." if spec.label else ""
            lines += ["", f"{spec.doc} Key: {key}.{label}", ""]
            if spec.one_of:
                groups = "; ".join(" or ".join(f"`{c}`" for c in g) for g in spec.one_of)
                lines += [f"Exactly one of: {groups}.", ""]
            if spec.at_most_one_of:
                groups = "; ".join(" or ".join(f"`{c}`" for c in g)
                                   for g in spec.at_most_one_of)
                lines += [f"At most one of: {groups}.", ""]
            lines += ["| column | type | required | checks | meaning |", "|---|---|---|---|---|"]
        for column in spec.columns:
            required = "yes" if column.required else ""
            if brief:
                lines.append(f"  {column.name:<22} {column.kind:<9} {required:<4} "
                             f"{_check_text(column)}")
            else:
                lines.append(f"| `{column.name}` | {column.kind} | {required} | "
                             f"{_check_text(column)} | {column.doc} |")
        lines.append("")
    return "\n".join(lines)
