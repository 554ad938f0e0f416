"""Settings that work: every documented setting is read, bad values are clear errors."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest

from graphrisk.config import Settings, StoreKind, get_settings, parse_store_kind
from graphrisk.errors import ConfigError
from graphrisk.service import settings_for
from graphrisk.store.registry import registered_kinds

ROOT = Path(__file__).resolve().parents[2]
#: Settings read by code outside graphrisk/config.py as ``settings.<name>`` (or a property).
PACKAGES = ("graphrisk", "ingestion", "models", "api")


def _source() -> str:
    return "\n".join(path.read_text(encoding="utf-8") for package in PACKAGES
                     for path in (ROOT / package).rglob("*.py")
                     if path != ROOT / "graphrisk" / "config.py")


def test_every_setting_is_documented_and_every_documented_setting_exists() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("### Configuration"):]
    table = table[:table.index("\n\n", table.index("| variable"))]
    documented = set()
    for names in re.findall(r"^\| (`GRAPHRISK_[^|]+)\|", table, flags=re.MULTILINE):
        first, *rest = re.findall(r"`(_?[A-Z0-9_]+)`", names)
        documented.add(first.removeprefix("GRAPHRISK_").lower())
        prefix = first.removeprefix("GRAPHRISK_").rsplit("_", 1)[0].lower()
        documented |= {f"{prefix}_{name.strip('_').lower()}" for name in rest}
    assert documented == set(Settings.model_fields)


def test_every_setting_is_read_by_the_code() -> None:
    source = _source()
    # A field may be read through a Settings property (``datasets_path`` reads
    # ``datasets_dir``); the property must then be read by the code.
    used_properties = [inspect.getsource(member.fget) for name, member in
                       vars(Settings).items() if isinstance(member, property)
                       and re.search(rf"\.{name}\b", source)]
    unread = [name for name in Settings.model_fields
              if not re.search(rf"\.{name}\b", source)
              and not any(re.search(rf"self\.{name}\b", body) for body in used_properties)]
    assert not unread, f"declared and documented but never read: {unread}"


def test_an_invalid_environment_value_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRAPHRISK_STORE", "postgres")
    get_settings.cache_clear()
    with pytest.raises(ConfigError, match=r"GRAPHRISK_STORE='postgres'.*'embedded' or 'neo4j'"):
        get_settings()
    monkeypatch.setenv("GRAPHRISK_STORE", "neo4j")
    monkeypatch.setenv("GRAPHRISK_BATCH_SIZE", "ten")
    get_settings.cache_clear()
    with pytest.raises(ConfigError, match="GRAPHRISK_BATCH_SIZE='ten'"):
        get_settings()


def test_store_names_are_validated_and_every_kind_has_a_store() -> None:
    assert parse_store_kind(" Neo4j ") is StoreKind.NEO4J
    with pytest.raises(ConfigError, match="unknown store 'postgres': use one of embedded, neo4j"):
        parse_store_kind("postgres")
    with pytest.raises(ConfigError, match="unknown store"):
        settings_for("postgres")
    assert settings_for("neo4j", Settings()).store is StoreKind.NEO4J
    assert set(registered_kinds()) == set(StoreKind)


@pytest.mark.parametrize("how", ["option", "environment"])
def test_a_bad_store_name_is_one_red_line_and_exit_2(how: str, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    args = [sys.executable, "-m", "graphrisk", "status"]
    if how == "option":
        args += ["--store", "postgres"]
    else:
        monkeypatch.setenv("GRAPHRISK_STORE", "postgres")
    done = subprocess.run(args, capture_output=True, text=True, check=False, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and "postgres" in lines[0]
    assert "embedded" in lines[0] and "neo4j" in lines[0]
    assert not (tmp_path / "graphrisk.db").exists()
