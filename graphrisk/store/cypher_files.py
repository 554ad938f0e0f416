"""Load Cypher statements from ``cypher/*.cypher`` by name.

Why files: Cypher is data — reviewed, diffed and EXPLAIN-checked on its own, never built from
user input. Labels, relationship types and property keys cannot be Cypher parameters, so a
statement may carry ``__PLACEHOLDER__`` names; :func:`load_cypher` fills them only with plain
identifiers (the callers pass enum values and spec column names), and every value travels as a
``$parameter``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable

from graphrisk.errors import ConfigError

__all__ = ["CYPHER_DIR", "load_cypher", "statement_names"]

#: The statements folder: the ``graphrisk.cypher`` package (``cypher/`` in the repository),
#: found through the import system so that an installed wheel finds it too.
CYPHER_DIR: Traversable = files("graphrisk.cypher")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PLACEHOLDER = re.compile(r"__([A-Z_]+?)__")


@cache
def _read(name: str) -> str:
    path = CYPHER_DIR / f"{name}.cypher"
    if not path.is_file():
        raise ConfigError(f"Cypher statement {name!r} not found at {path}")
    lines = [line for line in path.read_text().splitlines() if not line.startswith("//")]
    return "\n".join(lines).strip()


def load_cypher(name: str, /, **names: str) -> str:
    """The statement ``cypher/<name>.cypher`` with its ``__PLACEHOLDER__`` names filled.

    Args:
        name: path below ``cypher/`` without the suffix, e.g. ``"load/merge_nodes"``.
        **names: placeholder values, e.g. ``label="Customer", key="customer_id"`` fills
            ``__LABEL__`` and ``__KEY__``; each must be a plain identifier.

    Raises:
        ValueError: a value is not a plain identifier, or a placeholder is left unfilled.
    """
    text = _read(name)
    for placeholder, value in names.items():
        if not _IDENTIFIER.fullmatch(value):
            raise ValueError(f"{value!r} is not a plain identifier; refusing to put it in Cypher")
        text = text.replace(f"__{placeholder.upper()}__", value)
    left = _PLACEHOLDER.findall(text)
    if left:
        raise ValueError(f"{name}: placeholders not filled: {sorted(set(left))}")
    return text


def statement_names() -> list[str]:
    """Every statement's name, for tests that EXPLAIN them all."""
    return sorted(_statement_names(CYPHER_DIR, ""))


def _statement_names(folder: Traversable, prefix: str) -> Iterator[str]:
    for entry in folder.iterdir():
        if entry.is_dir():
            yield from _statement_names(entry, f"{prefix}{entry.name}/")
        elif entry.name.endswith(".cypher"):
            yield f"{prefix}{entry.name.removesuffix('.cypher')}"
