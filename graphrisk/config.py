"""Settings read from ``GRAPHRISK_*`` environment variables, with defaults that work.

Nothing reads the environment directly: code takes a :class:`Settings` (usually from
:func:`get_settings`) so tests and callers can pass their own.
"""

from __future__ import annotations

import getpass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from graphrisk.errors import ConfigError

__all__ = ["Settings", "StoreKind", "get_settings", "parse_store_kind", "read_settings"]


class StoreKind(StrEnum):
    """The stores GraphRisk can run on; ``graphrisk.store`` registers one opener for each."""

    EMBEDDED = "embedded"
    NEO4J = "neo4j"


def parse_store_kind(name: str | StoreKind) -> StoreKind:
    """The store kind called ``name``.

    Raises:
        ConfigError: no store has that name; the message lists the ones that do.
    """
    try:
        return StoreKind(str(name).strip().lower())
    except ValueError as exc:
        raise ConfigError(f"unknown store {str(name)!r}: use one of "
                          f"{', '.join(kind.value for kind in StoreKind)}") from exc


def _default_home() -> Path:
    return Path.home() / ".graphrisk"


class Settings(BaseSettings):
    """All configuration of GraphRisk; each field is ``GRAPHRISK_<NAME>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="GRAPHRISK_", extra="ignore")

    home: Path = Field(
        default_factory=_default_home,
        description="Folder for the embedded store, reports and models.",
    )
    store: StoreKind = Field(
        default=StoreKind.EMBEDDED,
        description="Which store to use: the embedded default or Neo4j.",
    )
    batch_size: int | None = Field(
        default=None, ge=100,
        description="Rows per committed batch when loading; by default the store's own "
        "(20,000 embedded, 2,500 Neo4j).",
    )
    datasets_dir: Path | None = Field(
        default=None,
        description="Folder holding the public data sets (berka_pkdd99/, fdcompcn/); by "
        "default ../shared/datasets next to the project.",
    )
    policy_file: Path | None = Field(
        default=None,
        description="Risk policy (tiers, review frequency, limits, alert thresholds); by "
        "default the one shipped in graphrisk/default_policy.toml.",
    )
    shadow_policy_file: Path | None = Field(
        default=None,
        description="A policy tried in shadow beside the live one: its alerts are logged and "
        "counted (graphrisk alerts --shadow), no case is opened.",
    )
    user: str | None = Field(
        default=None,
        description="Who the audit trail names for changes made here; by default the "
        "operating-system user.",
    )
    neo4j_uri: str = Field(default="bolt://127.0.0.1:7687")
    neo4j_user: str = Field(default="neo4j")
    neo4j_password: str = Field(default="graphrisk-local")
    neo4j_database: str = Field(default="neo4j")
    neo4j_writers: int = Field(
        default=2, ge=1, le=16,
        description="Batches written to Neo4j at once (two use both cores of a small machine).",
    )

    api_host: str = Field(
        default="127.0.0.1",
        description="Address `graphrisk serve` binds; 127.0.0.1 keeps the API on this "
        "machine, 0.0.0.0 opens it to the network (put TLS in front).",
    )
    api_port: int = Field(default=8000, ge=1, le=65535, description="Port of `graphrisk serve`.")
    api_workers: int = Field(
        default=1, ge=1, le=32,
        description="Worker processes of `graphrisk serve` (each opens the store once).",
    )
    api_threads: int = Field(
        default=4, ge=1, le=256,
        description="Threads per worker that answer requests. Few threads keep one busy "
        "worker from thrashing its CPU (measured in docs/benchmarks.md); raise it when "
        "requests mostly wait on a remote Neo4j.",
    )
    api_max_body_bytes: int = Field(
        default=5 * 1024 * 1024, ge=1024,
        description="Largest request body the API accepts (an incremental batch of events).",
    )
    api_query_timeout_s: float = Field(
        default=10.0, gt=0, le=600,
        description="Time limit of one read-only Cypher query from the API or the page.",
    )
    api_query_row_limit: int = Field(
        default=1000, ge=1, le=100_000,
        description="Rows one read-only Cypher query may return (more are cut, and flagged).",
    )

    # The reporting institution, as `graphrisk report str` writes it into a suspicious-activity
    # report (goAML layout). The defaults are placeholders: a report still renders, and the
    # command warns about each one until it is set.
    str_institution_name: str = Field(
        default="Example Bank", min_length=1,
        description="The bank's name in suspicious-activity reports (goAML institution_name).",
    )
    str_institution_id: int = Field(
        default=0, ge=0,
        description="The bank's goAML reporting-entity id (rentity_id), given by the FIU at "
        "registration; 0 means not set yet.",
    )
    str_institution_branch: str = Field(
        default="Head office", min_length=1,
        description="The reporting branch (rentity_branch, and the branch of the bank's "
        "accounts).",
    )
    str_institution_swift: str = Field(
        default="EXAMPLEXXXX", min_length=8, max_length=11,
        description="The bank's SWIFT/BIC code (goAML swift of the bank's accounts).",
    )
    str_institution_address: str = Field(
        default="1 Example Street", min_length=1,
        description="Street address of the reporting office (goAML location).",
    )
    str_institution_city: str = Field(
        default="Example City", min_length=1,
        description="City of the reporting office (goAML location).",
    )
    str_institution_country: str = Field(
        default="XX", pattern=r"^[A-Z]{2}$",
        description="Country of the bank, ISO 3166-1 alpha-2 (location, from/to_country).",
    )
    str_reporting_person: str = Field(
        default="Reporting Officer", min_length=1,
        description="The money-laundering reporting officer who files the report: first and "
        "last name (goAML reporting_person).",
    )
    str_reporting_email: str | None = Field(
        default=None,
        description="The reporting officer's e-mail address, if the FIU wants it.",
    )
    str_currency: str = Field(
        default="EUR", pattern=r"^[A-Z]{3}$",
        description="The local currency, ISO 4217 (goAML currency_code_local and amount_local).",
    )
    pdf_browser: str | None = Field(
        default=None,
        description="The headless Chromium that prints reports to PDF (a name on the PATH or "
        "a path); default: the first chromium found.",
    )
    screening_threshold: float = Field(
        default=0.88, ge=0.5, le=1.0,
        description="The least match score (0-1) of a screening hit against a sanctions or "
        "watch list (chosen on the benchmark in docs/screening.md).",
    )
    resolution_threshold: float = Field(
        default=0.5, gt=0.0, lt=1.0,
        description="The least match probability (0-1) of a probable-same-person pair in "
        "entity resolution (chosen on the benchmark in docs/resolution.md).",
    )

    @property
    def embedded_path(self) -> Path:
        """The SQLite file of the embedded store."""
        return self.home / "graphrisk.db"

    @property
    def datasets_path(self) -> Path:
        """The public data sets: ``GRAPHRISK_DATASETS_DIR``, else ``../shared/datasets``."""
        if self.datasets_dir is not None:
            return self.datasets_dir.expanduser()
        return Path(__file__).resolve().parents[2] / "shared" / "datasets"

    @property
    def actor(self) -> str:
        """Who changes are made by: ``GRAPHRISK_USER``, else the operating-system user."""
        if self.user and self.user.strip():
            return self.user.strip()
        try:
            return getpass.getuser()
        except (KeyError, OSError):  # no passwd entry (some containers)
            return "unknown"

    @property
    def reports_dir(self) -> Path:
        """Where ingestion writes quarantine reports."""
        return self.home / "reports"


def read_settings() -> Settings:
    """The settings the environment holds now (not cached: for code that must follow a
    variable changed in the same process).

    Raises:
        ConfigError: a ``GRAPHRISK_*`` variable holds a value that is not allowed; the
            message names the variable, the value and what is allowed.
    """
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"GRAPHRISK_{'_'.join(str(p) for p in error['loc']).upper()}="
            f"{error.get('input')!r}: {error['msg']}" for error in exc.errors())
        raise ConfigError(f"invalid setting: {problems}") from exc


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment (:func:`read_settings`)."""
    return read_settings()
