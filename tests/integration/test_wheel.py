"""The built wheel works on its own: installed into a fresh virtualenv outside the checkout,
it runs the CLI against the embedded store and against the local Neo4j (its Cypher ships
inside the package), and installs no generic top-level package (``models``, ``api``...)."""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.stores import open_test_store

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
#: What a wheel is built from: the package folders and the project files.
SOURCES = ("graphrisk", "ingestion", "models", "api", "cypher", "pyproject.toml", "README.md")


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None,
         check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False,
                          timeout=600)
    if check and done.returncode:
        raise AssertionError(f"{' '.join(args)} exited {done.returncode}:\n{done.stdout}\n"
                             f"{done.stderr}")
    return done


@pytest.fixture(scope="module")
def wheel_env(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the fresh virtualenv's bin folder, a working folder outside the checkout)."""
    root = tmp_path_factory.mktemp("wheel")
    source = root / "source"
    source.mkdir()
    for name in SOURCES:  # a copy, so that building writes nothing into the checkout
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(ROOT / name, source / name)
    dist = root / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
          "--no-build-isolation", "--wheel-dir", str(dist), str(source)], cwd=root)
    (wheel,) = dist.glob("graphrisk-*.whl")

    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(
        (".dist-info", ".data"))}
    assert tops == {"graphrisk"}, f"the wheel installs top-level packages {sorted(tops)}"
    assert "graphrisk/cypher/load/merge_nodes.cypher" in names
    assert "graphrisk/default_policy.toml" in names
    assert any(name.startswith("graphrisk/ingestion/generator") for name in names)

    venv = root / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=root)
    # The dependencies come from the test run's own environment (already installed, no
    # download); only GraphRisk itself comes from the wheel.
    (purelib,) = (venv / "lib").glob("python3*/site-packages")
    (purelib / "_graphrisk_test_deps.pth").write_text(
        "\n".join(site.getsitepackages()) + "\n", encoding="utf-8")
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-deps",
          "--no-index", str(wheel)], cwd=root)
    work = root / "work"
    work.mkdir()
    return venv / "bin", work


def _env(work: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env.update(GRAPHRISK_HOME=str(work / "home"), **extra)
    return env


def test_the_installed_package_is_the_wheel_not_the_checkout(wheel_env) -> None:
    bin_dir, work = wheel_env
    done = _run([str(bin_dir / "python"), "-c",
                 "import graphrisk, graphrisk.cypher, graphrisk.ingestion.loader; "
                 "from graphrisk.store.cypher_files import statement_names; "
                 "print(graphrisk.__file__); print(len(statement_names()))"], cwd=work,
                env=_env(work))
    location, count = done.stdout.split()
    assert Path(location).is_relative_to(bin_dir.parent), location
    assert int(count) == len(list((ROOT / "cypher").rglob("*.cypher")))


def test_the_wheel_scores_on_the_embedded_store(wheel_env) -> None:
    bin_dir, work = wheel_env
    graphrisk = str(bin_dir / "graphrisk")
    _run([graphrisk, "generate", "--customers", "600", "--seed", "3", "--out", "sample"],
         cwd=work, env=_env(work))
    loaded = _run([graphrisk, "ingest", "sample"], cwd=work, env=_env(work))
    assert "rows quarantined" in loaded.stdout
    scored = _run([graphrisk, "score", "--top", "3"], cwd=work, env=_env(work))
    assert "scored 600 customers" in scored.stdout
    assert (work / "home" / "graphrisk.db").is_file()


@pytest.mark.neo4j
def test_the_wheel_talks_to_the_local_neo4j(wheel_env, tmp_path: Path) -> None:
    open_test_store("neo4j", tmp_path).close()  # skips (or fails under CI) without a server
    bin_dir, work = wheel_env
    done = _run([str(bin_dir / "graphrisk"), "status", "--store", "neo4j"], cwd=work,
                env=_env(work), check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "bolt://" in done.stdout and "store is consistent" in done.stdout
