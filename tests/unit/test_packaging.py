"""Every Python package folder is named in pyproject.toml, under the graphrisk namespace.

Why: the card's folders (ingestion/, models/, api/, cypher/) install as ``graphrisk.*``
through an explicit package list; a new sub-package left off that list works in a checkout
and goes missing from the wheel. The wheel test finds that too, slowly; this finds it at once.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_package_folder_is_listed_and_mapped() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
        "setuptools"]
    listed, mapping = set(config["packages"]), config["package-dir"]
    found = set()
    for package, folder in mapping.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(ROOT / folder)
            found.add(".".join([package, *relative.parts]))
    assert found == listed
    assert all(name == "graphrisk" or name.startswith("graphrisk.") for name in listed)
