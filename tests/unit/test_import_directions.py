"""Imports point one way (docs/architecture.md): checked on the source, so a stray import
fails here with the file and the module it named, not later as a tangle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: The folders that install as ``graphrisk``, ``graphrisk.ingestion``, ... (pyproject.toml).
PACKAGES = {"graphrisk": "graphrisk", "ingestion": "graphrisk.ingestion",
            "models": "graphrisk.models", "api": "graphrisk.api"}
DRIVERS = ("neo4j", "sqlite3")


def _imports(path: Path, *, top_level_only: bool = False) -> list[str]:
    """Absolute module names ``path`` imports (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    folder = path.parent.relative_to(ROOT)
    package = ".".join([PACKAGES[folder.parts[0]], *folder.parts[1:]])
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    names: list[str] = []
    for node in nodes:
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                names.append(".".join([*base, node.module] if node.module else base))
            else:
                names.append(node.module or "")
    return names


def _files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def _naming(names: list[str], forbidden: tuple[str, ...]) -> list[str]:
    return [n for n in names if any(n == f or n.startswith(f + ".") for f in forbidden)]


@pytest.mark.parametrize("path", _files("graphrisk/analytics"), ids=lambda p: p.name)
def test_analytics_never_see_a_store_a_driver_or_a_face(path: Path) -> None:
    assert not _naming(_imports(path), (
        "graphrisk.store", "graphrisk.scoring", "graphrisk.service", "graphrisk.cli",
        "graphrisk.ingestion", "graphrisk.models", "graphrisk.api", *DRIVERS))


@pytest.mark.parametrize("name", ["graph", "domain", "policy", "config", "errors"])
def test_value_modules_import_no_layer_above_them(name: str) -> None:
    assert not _naming(_imports(ROOT / "graphrisk" / f"{name}.py"), (
        "graphrisk.store", "graphrisk.analytics", "graphrisk.scoring", "graphrisk.service",
        "graphrisk.ingestion", "graphrisk.models", "graphrisk.api", *DRIVERS))


def test_only_the_stores_import_a_database_driver() -> None:
    offenders = {str(path.relative_to(ROOT)): _naming(_imports(path), DRIVERS)
                 for folder in PACKAGES for path in _files(folder)
                 if "graphrisk/store" not in path.as_posix()}
    assert {path: found for path, found in offenders.items() if found} == {}


def test_the_core_imports_ingestion_and_models_only_inside_calls() -> None:
    """``graphrisk`` may reach ``graphrisk.ingestion``/``models`` lazily (the service, the CLI),
    never when it is imported: ``import graphrisk.service`` must work without torch."""
    offenders = {}
    for path in _files("graphrisk"):
        found = _naming(_imports(path, top_level_only=True),
                        ("graphrisk.ingestion", "graphrisk.models", "graphrisk.api"))
        if found:
            offenders[str(path.relative_to(ROOT))] = found
    assert offenders == {}
