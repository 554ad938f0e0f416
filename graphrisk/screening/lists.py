"""Sanctions and watch-list files read into list entries, bad rows reported and skipped.

Why a reader of its own: list files come from outside (a regulator's CSV, an OpenSanctions
export) and are checked like every other input of GraphRisk — a malformed row is reported
with its file, row, column and reason and skipped, the valid rows load, and a file with no
valid row at all is an error that says so. Two formats are read:

* CSV with the columns ``entry_id, name, aliases, birth_date, country, programme,
  list_name`` (``aliases`` and ``country`` separated by ``;``; ``birth_date`` a full date,
  a year or empty; an optional ``schema`` column says ``person`` or ``organisation``);
* FollowTheMoney JSON lines as OpenSanctions exports them: one entity a line with ``id``,
  ``schema``, ``properties`` (``name``, ``alias``, ``weakAlias``, ``previousName``,
  ``birthDate``, ``nationality``, ``citizenship``, ``country``, ``programId``, ``program``,
  ``topics``) and ``datasets``.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pycountry

from graphrisk.errors import IngestionError
from graphrisk.screening.names import normalise_name

__all__ = [
    "CSV_COLUMNS",
    "ListEntry",
    "ListFile",
    "ListProblem",
    "entries_digest",
    "read_list_file",
]

#: The columns of a CSV list file; ``entry_id`` and ``name`` are required in every row.
CSV_COLUMNS = ("entry_id", "name", "aliases", "birth_date", "country", "programme",
               "list_name")
#: FollowTheMoney schemata screened, and what kind of party each is.
FTM_SCHEMATA = {"Person": "person", "Organization": "organisation",
                "Company": "organisation", "LegalEntity": "unknown",
                "PublicBody": "organisation"}
_SCHEMA_WORDS = {"person": "person", "individual": "person", "organisation": "organisation",
                 "organization": "organisation", "entity": "organisation",
                 "company": "organisation", "": "unknown", "unknown": "unknown"}
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


@dataclass(frozen=True)
class ListEntry:
    """One listed person or organisation.

    Attributes:
        entry_id: the list's own id of the entry (stable across versions of the list).
        name: the main name as the list writes it.
        aliases: other names (also-known-as, previous names).
        birth_dates: full dates or years, as the list gives them.
        countries: ISO 3166-1 alpha-2 codes (nationality, citizenship, country).
        programme: the sanctions programme(s) or topics, in words.
        list_name: the list or data set the entry comes from.
        schema: ``person``, ``organisation`` or ``unknown``.
    """

    entry_id: str
    name: str
    aliases: tuple[str, ...] = ()
    birth_dates: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    programme: str = ""
    list_name: str = ""
    schema: str = "unknown"

    @property
    def birth_years(self) -> tuple[int, ...]:
        """The years of the birth dates, for comparing with a customer's birth year."""
        return tuple(sorted({int(text[:4]) for text in self.birth_dates}))

    def to_json(self) -> dict[str, Any]:
        """The entry as stored in a list version (short keys: a list holds 50,000)."""
        body: dict[str, Any] = {"id": self.entry_id, "n": self.name}
        if self.aliases:
            body["a"] = list(self.aliases)
        if self.birth_dates:
            body["b"] = list(self.birth_dates)
        if self.countries:
            body["c"] = list(self.countries)
        if self.programme:
            body["p"] = self.programme
        if self.list_name:
            body["l"] = self.list_name
        if self.schema != "unknown":
            body["s"] = self.schema
        return body

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> ListEntry:
        """The entry :meth:`to_json` wrote."""
        return cls(str(body["id"]), str(body["n"]), tuple(body.get("a", ())),
                   tuple(body.get("b", ())), tuple(body.get("c", ())), body.get("p", ""),
                   body.get("l", ""), body.get("s", "unknown"))


@dataclass(frozen=True)
class ListProblem:
    """A row of a list file that was skipped, and why."""

    source: str
    row: int
    column: str
    reason: str

    def line(self) -> str:
        """The problem in one line: ``file watchlist.csv, row 4, column birth_date: ...``."""
        return f"file {self.source}, row {self.row}, column {self.column}: {self.reason}"


@dataclass
class ListFile:
    """What a list file held: its valid entries and the rows skipped."""

    source: str
    format: str
    entries: list[ListEntry] = field(default_factory=list)
    problems: list[ListProblem] = field(default_factory=list)
    rows_read: int = 0
    #: Entities of schemata that are not screened (addresses, sanctions, vessels...).
    ignored: int = 0


def read_list_file(path: Path, *, list_name: str | None = None) -> ListFile:
    """Read a list file: CSV (``.csv``) or FollowTheMoney JSON lines (any other suffix:
    ``.json``, ``.jsonl``, ``.ftm``...).

    Args:
        path: the file.
        list_name: the list name given to entries that name none.

    Raises:
        IngestionError: the file cannot be read, lacks a required CSV column, or holds no
            valid entry (the message says how many rows were skipped and why the first was).
    """
    path = Path(path)
    if not path.is_file():
        raise IngestionError("no such list file; give the path of a CSV or FollowTheMoney "
                             "JSON-lines file", source=str(path))
    default = list_name or path.stem
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            if path.suffix.lower() in {".csv", ".tsv"}:
                result = _read_csv(handle, path.name, default)
            else:
                result = _read_ftm(handle, path.name, default)
    except UnicodeDecodeError as exc:
        raise IngestionError(f"not UTF-8 text ({exc.reason}); save the file as UTF-8",
                             source=path.name) from exc
    if not result.entries:
        first = f"; the first: {result.problems[0].line()}" if result.problems else ""
        raise IngestionError(
            f"no valid list entry in {result.rows_read:,} rows ({len(result.problems):,} "
            f"skipped{first}); fix the file and load it again", source=path.name)
    return result


def entries_digest(entries: Iterable[ListEntry]) -> str:
    """A fingerprint of a list's content, order aside: equal digests, same list."""
    rows = sorted(json.dumps(entry.to_json(), sort_keys=True) for entry in entries)
    return hashlib.sha256("\n".join(rows).encode("utf-8")).hexdigest()


def _read_csv(handle: Iterable[str], source: str, default_list: str) -> ListFile:
    result = ListFile(source, "csv")
    reader = csv.DictReader(handle)
    header = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [name for name in ("entry_id", "name") if name not in header]
    if missing:
        raise IngestionError(
            f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}; a list "
            f"file has the columns {', '.join(CSV_COLUMNS)}", source=source, row=1)
    reader.fieldnames = header
    seen: set[str] = set()
    for number, row in enumerate(reader, start=2):  # row 1 is the header
        result.rows_read += 1
        values = {key: (value or "").strip() for key, value in row.items() if key}
        try:
            entry = _csv_entry(values, default_list)
        except _RowProblem as problem:
            result.problems.append(ListProblem(source, number, problem.column, problem.reason))
            continue
        if entry.entry_id in seen:
            result.problems.append(ListProblem(
                source, number, "entry_id", f"entry_id {entry.entry_id!r} is repeated; "
                "each entry needs its own id (the first row with it was loaded)"))
            continue
        seen.add(entry.entry_id)
        result.entries.append(entry)
    return result


def _csv_entry(values: Mapping[str, str], default_list: str) -> ListEntry:
    entry_id = values.get("entry_id", "")
    if not entry_id:
        raise _RowProblem("entry_id", "empty; every entry needs the list's id for it")
    name = values.get("name", "")
    _check_name(name, "name")
    aliases = tuple(alias.strip() for alias in values.get("aliases", "").split(";")
                    if alias.strip() and normalise_name(alias.strip()))
    birth = values.get("birth_date", "")
    births = (_birth_date(birth, "birth_date"),) if birth else ()
    countries = tuple(_country(code, "country")
                      for code in values.get("country", "").split(";") if code.strip())
    schema_word = values.get("schema", "").lower()
    if schema_word not in _SCHEMA_WORDS:
        raise _RowProblem("schema", f"{schema_word!r} is not person or organisation")
    schema = _SCHEMA_WORDS[schema_word]
    if schema == "unknown" and births:
        schema = "person"  # only people are born
    return ListEntry(entry_id, name, aliases, births, countries,
                     values.get("programme", ""), values.get("list_name", "") or default_list,
                     schema)


def _read_ftm(handle: Iterable[str], source: str, default_list: str) -> ListFile:
    result = ListFile(source, "ftm")
    seen: set[str] = set()
    for number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        result.rows_read += 1
        try:
            entity = json.loads(line)
        except json.JSONDecodeError as exc:
            result.problems.append(ListProblem(source, number, "-", f"not JSON ({exc.msg} at "
                                               f"character {exc.pos}); one entity a line"))
            continue
        try:
            entry = _ftm_entry(entity, default_list)
        except _RowProblem as problem:
            result.problems.append(ListProblem(source, number, problem.column, problem.reason))
            continue
        if entry is None:
            result.ignored += 1
            continue
        if entry.entry_id in seen:
            result.problems.append(ListProblem(source, number, "id", f"id {entry.entry_id!r} "
                                               "is repeated (the first line with it loaded)"))
            continue
        seen.add(entry.entry_id)
        result.entries.append(entry)
    return result


def _ftm_entry(entity: Any, default_list: str) -> ListEntry | None:
    if not isinstance(entity, dict):
        raise _RowProblem("-", "not a JSON object; each line is one FollowTheMoney entity")
    entity_id = entity.get("id")
    if not isinstance(entity_id, str) or not entity_id.strip():
        raise _RowProblem("id", "missing or empty; every entity needs its id")
    schema = entity.get("schema")
    if not isinstance(schema, str) or not schema:
        raise _RowProblem("schema", "missing; say Person, Organization, Company...")
    if schema not in FTM_SCHEMATA:
        return None  # addresses, sanctions, vessels...: not screened against names
    properties = entity.get("properties")
    if not isinstance(properties, dict):
        raise _RowProblem("properties", "missing or not an object of lists")

    def values(name: str) -> list[str]:
        found = properties.get(name, [])
        if isinstance(found, str):
            found = [found]
        if not isinstance(found, list):
            raise _RowProblem(f"properties.{name}", "not a list of strings")
        return [str(value).strip() for value in found if str(value).strip()]

    names = values("name")
    if not names:
        caption = entity.get("caption")
        names = [caption.strip()] if isinstance(caption, str) and caption.strip() else []
    if not names:
        raise _RowProblem("properties.name", "no name; every entity needs one")
    _check_name(names[0], "properties.name")
    aliases = [alias for alias in (*names[1:], *values("alias"), *values("weakAlias"),
                                   *values("previousName")) if normalise_name(alias)]
    births = tuple(dict.fromkeys(_birth_date(text, "properties.birthDate")
                                 for text in values("birthDate")))
    # Exports carry a few codes outside ISO 3166-1 (``suhh`` for the USSR, ``zz``): those
    # are dropped, not the entity, since a listed person must not vanish for a country.
    countries = tuple(dict.fromkeys(
        code for prop in ("nationality", "citizenship", "country") for code in
        (_known_country(text) for text in values(prop)) if code))
    programme = "; ".join(dict.fromkeys((*values("programId"), *values("program"),
                                         *values("topics"))))
    datasets = entity.get("datasets")
    list_name = ", ".join(datasets) if isinstance(datasets, list) and datasets else default_list
    return ListEntry(entity_id.strip(), names[0], tuple(dict.fromkeys(aliases)), births,
                     countries, programme, list_name, FTM_SCHEMATA[schema])


class _RowProblem(Exception):
    def __init__(self, column: str, reason: str) -> None:
        self.column, self.reason = column, reason
        super().__init__(reason)


def _check_name(name: str, column: str) -> None:
    if not name:
        raise _RowProblem(column, "empty; every entry needs a name")
    if not normalise_name(name):
        raise _RowProblem(column, f"{name!r} has no letters or digits left once titles and "
                          "punctuation are dropped")


def _birth_date(text: str, column: str) -> str:
    """A full date (``1975-03-02``), a month (``1975-03``) or a year (``1975``)."""
    match = _DATE.match(text.strip())
    if not match:
        raise _RowProblem(column, f"{text!r} is not a date: write YYYY-MM-DD, YYYY-MM or YYYY")
    year = int(match.group(1))
    month = int(match.group(2) or 1)
    day = int(match.group(3) or 1)
    if not (1850 <= year <= 2030 and 1 <= month <= 12 and 1 <= day <= 31):
        raise _RowProblem(column, f"{text!r} is not a birth date between 1850 and 2030")
    return text.strip()


def _country(code: str, column: str) -> str:
    text = code.strip().upper()
    if len(text) != 2 or pycountry.countries.get(alpha_2=text) is None:
        # OpenSanctions also uses a few non-ISO codes (``xk`` Kosovo, ``suhh`` USSR...)
        if text in {"XK"}:
            return text
        raise _RowProblem(column, f"{code.strip()!r} is not an ISO 3166-1 alpha-2 country "
                          "code (such as DE or IQ)")
    return text


def _known_country(code: str) -> str | None:
    try:
        return _country(code, "country")
    except _RowProblem:
        return None


def iter_json_entries(bodies: Iterable[Mapping[str, Any]]) -> Iterator[ListEntry]:
    """Entries from stored JSON (:meth:`ListEntry.to_json`)."""
    for body in bodies:
        yield ListEntry.from_json(body)
