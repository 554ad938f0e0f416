"""Tests of the generator's watch lists: the files parse, the planted hits are what the truth
says they are, near misses are someone else, and the bank's own files do not change.

Screening is measured against these files, so a hit that is not really its record, or a near
miss that really is, would make a good screener look bad.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from graphrisk.ingestion.generator.lookups import COMPANY_WORDS, FIRST_NAMES, LAST_NAMES
from graphrisk.ingestion.generator.name_variants import (
    EXTRA_COMPANY_WORDS,
    EXTRA_FIRST_NAMES,
    EXTRA_LAST_NAMES,
    LEGAL_FORM_SPELLINGS,
    LIST_ONLY_COUNTRIES,
    NICKNAMES,
    TRANSLITERATIONS,
    edit_distance,
    typo,
)
from graphrisk.ingestion.generator.pipeline import GenerationSummary, generate_dataset
from graphrisk.ingestion.generator.watchlists import (
    ENTRY_COLUMNS,
    LIST_NAMES,
    NEAR_MISS_REASONS,
    VARIANTS,
)

N = 2_000
SEED = 11
_BIRTH = re.compile(r"\d{4}(-\d{2}-\d{2})?")
_COUNTRY = re.compile(r"[A-Z]{2}")
_LIST_FILES = {
    "lists/sanctions.csv",
    "lists/sanctions.ftm.jsonl",
    "truth/list_hits.csv",
    "truth/list_near_misses.csv",
}


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _digests(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _year(birth_date: str) -> int:
    return int(birth_date[:4])


def _split_person(name: str) -> tuple[str, str]:
    """Given name and family name of a bank person (family names may hold a space)."""
    given, family = name.split(" ", 1)
    return given, family


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GenerationSummary]:
    folder = tmp_path_factory.mktemp("lists")
    return folder, generate_dataset(N, SEED, folder)


@pytest.fixture(scope="module")
def out(run: tuple[Path, GenerationSummary]) -> Path:
    return run[0]


@pytest.fixture(scope="module")
def entries(out: Path) -> pd.DataFrame:
    return _read(out / "lists" / "sanctions.csv").set_index("entry_id", drop=False)


@pytest.fixture(scope="module")
def customers(out: Path) -> pd.DataFrame:
    return _read(out / "customers.csv").set_index("customer_id", drop=False)


@pytest.fixture(scope="module")
def counterparties(out: Path) -> pd.DataFrame:
    return _read(out / "counterparties.csv").set_index("counterparty_id", drop=False)


@pytest.fixture(scope="module")
def hits(out: Path) -> pd.DataFrame:
    return _read(out / "truth" / "list_hits.csv")


@pytest.fixture(scope="module")
def near(out: Path) -> pd.DataFrame:
    return _read(out / "truth" / "list_near_misses.csv")


@pytest.fixture(scope="module")
def ftm(out: Path) -> list[dict]:
    lines = (out / "lists" / "sanctions.ftm.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def _record(row: pd.Series, customers: pd.DataFrame, counterparties: pd.DataFrame) -> pd.Series:
    table = customers if row.record_kind == "customer" else counterparties
    return table.loc[row.record_id]


def test_list_csv_parses_with_the_screening_columns(entries: pd.DataFrame) -> None:
    assert tuple(entries.columns) == ENTRY_COLUMNS
    assert len(entries) == max(200, N // 2)
    assert entries.entry_id.is_unique
    assert list(entries.entry_id) == sorted(entries.entry_id)
    assert entries.name.str.len().min() > 0
    assert all(b == "" or _BIRTH.fullmatch(b) for b in entries.birth_date)
    assert all(c == "" or _COUNTRY.fullmatch(c) for c in entries.country)
    assert set(entries.list_name) == set(LIST_NAMES)
    assert set(entries.schema) == {"person", "organisation"}
    assert (entries[entries.schema == "organisation"].birth_date == "").all()
    assert (entries.programme != "").all()
    with_aliases = entries[entries.aliases != ""]
    assert len(with_aliases) > 0
    assert all(a.strip() for aliases in with_aliases.aliases for a in aliases.split(";"))


def test_ftm_lines_are_the_same_entries_in_opensanctions_shape(
    entries: pd.DataFrame, ftm: list[dict]
) -> None:
    assert len(ftm) == len(entries)
    for entity, (_, row) in zip(ftm, entries.iterrows(), strict=True):
        assert set(entity) == {"id", "schema", "properties", "datasets"}
        assert entity["id"] == row.entry_id
        assert entity["schema"] == {"person": "Person", "organisation": "Company"}[row.schema]
        assert entity["datasets"] == [row.list_name]
        props = entity["properties"]
        assert all(
            isinstance(v, list) and all(isinstance(s, str) for s in v) for v in props.values()
        )
        assert props["name"] == [row["name"]]
        assert props.get("alias", []) == ([] if row.aliases == "" else row.aliases.split(";"))
        assert props.get("birthDate", []) == ([row.birth_date] if row.birth_date else [])
        assert props.get("country", []) == ([row.country.lower()] if row.country else [])
        assert props["program"] == [row.programme]
        if entity["schema"] == "Company":
            assert "birthDate" not in props


def test_summary_counts_the_new_files(run: tuple[Path, GenerationSummary]) -> None:
    folder, summary = run
    assert summary.rows["lists/sanctions"] == len(_read(folder / "lists" / "sanctions.csv"))
    assert summary.rows["truth/list_hits"] == len(_read(folder / "truth" / "list_hits.csv"))
    near = _read(folder / "truth" / "list_near_misses.csv")
    assert summary.rows["truth/list_near_misses"] == len(near)
    readme = (folder / "truth" / "README.md").read_text(encoding="utf-8")
    assert "list_hits.csv" in readme and "list_near_misses.csv" in readme


def test_every_hit_names_a_real_record_and_an_existing_entry(
    hits: pd.DataFrame,
    entries: pd.DataFrame,
    customers: pd.DataFrame,
    counterparties: pd.DataFrame,
) -> None:
    assert list(hits.columns) == ["record_kind", "record_id", "entry_id", "variant", "list_name"]
    assert set(hits.record_kind) == {"customer", "counterparty"}
    assert set(hits.variant) <= set(VARIANTS)
    assert hits.entry_id.is_unique
    for row in hits.itertuples():
        assert row.entry_id in entries.index
        assert entries.loc[row.entry_id, "list_name"] == row.list_name
        _record(row, customers, counterparties)  # raises KeyError if the record is not real


def test_every_variant_is_planted_among_customers(hits: pd.DataFrame) -> None:
    assert set(hits[hits.record_kind == "customer"].variant) == set(VARIANTS)


def _is_variant(variant: str, entry: str, record: str, person: bool) -> bool:
    if variant == "exact":
        return entry == record
    if variant == "typo":
        return 1 <= edit_distance(entry, record) <= 2
    if variant == "transliteration":
        spellings = TRANSLITERATIONS if person else LEGAL_FORM_SPELLINGS
        return entry != record and any(
            record.replace(part, spelt) == entry
            for part, options in spellings.items()
            if part in record
            for spelt in options
        )
    given, family = _split_person(record)
    if variant == "swapped":
        return entry == f"{family} {given}" and sorted(entry.split()) == sorted(record.split())
    if variant == "initials":
        first, rest = entry.split(" ", 1)
        return (
            re.fullmatch(r"[A-Z]\.", first) is not None
            and given.startswith(first[0])
            and (rest == family)
        )
    if variant == "nickname":
        nick, rest = entry.split(" ", 1)
        return rest == family and nick in NICKNAMES.get(given, ())
    raise AssertionError(variant)


def test_each_hit_is_the_variant_it_says(
    hits: pd.DataFrame,
    entries: pd.DataFrame,
    customers: pd.DataFrame,
    counterparties: pd.DataFrame,
) -> None:
    for row in hits.itertuples():
        record = _record(row, customers, counterparties)
        entry = entries.loc[row.entry_id]
        person = row.record_kind == "customer" and record.birth_year != ""
        assert _is_variant(row.variant, entry["name"], record["name"], person), (
            row.variant,
            entry["name"],
            record["name"],
        )


def test_person_hits_agree_on_birth_year_and_country_mostly(
    hits: pd.DataFrame, entries: pd.DataFrame, customers: pd.DataFrame
) -> None:
    rows = hits[hits.record_kind == "customer"]
    persons = [
        (customers.loc[r], entries.loc[e])
        for r, e in zip(rows.record_id, rows.entry_id, strict=True)
    ]
    persons = [(c, e) for c, e in persons if c.birth_year != ""]
    assert len(persons) >= 12
    exact_year = agreeing_country = 0
    for customer, entry in persons:
        assert entry.birth_date != ""
        assert abs(_year(entry.birth_date) - int(customer.birth_year)) <= 1
        assert entry.country in ("", customer.country)
        exact_year += _year(entry.birth_date) == int(customer.birth_year)
        agreeing_country += entry.country == customer.country
    assert exact_year >= 0.6 * len(persons)
    assert agreeing_country >= 0.6 * len(persons)


def test_no_other_customer_fits_a_person_hit(
    hits: pd.DataFrame, entries: pd.DataFrame, customers: pd.DataFrame
) -> None:
    persons = customers[customers.birth_year != ""].copy()
    split = persons.name.str.split(" ", n=1)
    persons["initial"] = split.str[0].str[0]
    persons["family"] = split.str[1]
    persons["year"] = persons.birth_year.astype(int)
    for row in hits[hits.record_kind == "customer"].itertuples():
        if row.record_id not in persons.index:
            continue
        target = persons.loc[row.record_id]
        entry = entries.loc[row.entry_id]
        same = persons[
            (persons.family == target.family)
            & (persons.initial == target.initial)
            & ((persons.year - _year(entry.birth_date)).abs() <= 1)
            & ((persons.country == entry.country) if entry.country else True)
        ]
        assert list(same.index) == [row.record_id]


def test_hits_prefer_risky_customers_but_not_only(
    hits: pd.DataFrame, out: Path, customers: pd.DataFrame
) -> None:
    truth = _read(out / "truth" / "ground_truth.csv").set_index("customer_id")
    hit_customers = hits[hits.record_kind == "customer"].record_id
    risky = truth.loc[hit_customers, "risky"] == "1"
    assert 0.005 * N <= len(hit_customers) <= 0.02 * N
    assert risky.mean() > 0.5
    assert (~risky).sum() >= 1
    assert (hits.record_kind == "counterparty").sum() >= 2


def test_near_misses_are_someone_else_as_stated(
    near: pd.DataFrame,
    hits: pd.DataFrame,
    entries: pd.DataFrame,
    customers: pd.DataFrame,
    counterparties: pd.DataFrame,
    ftm: list[dict],
) -> None:
    assert list(near.columns) == ["record_kind", "record_id", "entry_id", "why"]
    assert set(near.why) == set(NEAR_MISS_REASONS)
    assert 0.5 * len(hits) <= len(near) <= 2 * len(hits)
    assert not set(near.entry_id) & set(hits.entry_id)
    schema = {e["id"]: e["schema"] for e in ftm}
    for row in near.itertuples():
        record = _record(row, customers, counterparties)
        entry = entries.loc[row.entry_id]
        if row.why in ("family_name_edit_other_given", "other_given_birth_year_country"):
            given, family = _split_person(record["name"])
            other_given, other_family = _split_person(entry["name"])
            assert other_given[0] != given[0]
            if row.why == "family_name_edit_other_given":
                assert 1 <= edit_distance(other_family, family) <= 2
                assert other_family not in LAST_NAMES
                assert _year(entry.birth_date) == int(record.birth_year)
                assert entry.country == record.country
            else:
                assert other_family == family
                assert abs(_year(entry.birth_date) - int(record.birth_year)) >= 20
                assert entry.country not in ("", record.country)
        elif row.why == "company_with_person_surname":
            assert record.birth_year != ""
            assert schema[row.entry_id] == "Company" and entry.schema == "organisation"
            assert entry["name"].startswith(_split_person(record["name"])[1] + " ")
        else:
            assert row.record_kind == "counterparty"
            word, *rest = record["name"].split(" ")
            other_word, *other_rest = entry["name"].split(" ")
            assert 1 <= edit_distance(other_word, word) <= 2
            assert other_rest[0] != rest[0]
            assert entry.country != record.country


def test_near_misses_fit_no_customer(
    near: pd.DataFrame, entries: pd.DataFrame, customers: pd.DataFrame
) -> None:
    """No customer has a near miss's name, birth year (within one) and country."""
    persons = customers[customers.birth_year != ""]
    by_name = persons.groupby("name")
    for row in near[near.record_kind == "customer"].itertuples():
        entry = entries.loc[row.entry_id]
        if entry["name"] not in by_name.groups or not entry.birth_date:
            continue
        same = by_name.get_group(entry["name"])
        fits = same[
            ((same.birth_year.astype(int) - _year(entry.birth_date)).abs() <= 1)
            & (same.country == entry.country)
        ]
        assert fits.empty, entry["name"]


def test_fictitious_entries_are_nobody_in_the_bank(
    entries: pd.DataFrame,
    hits: pd.DataFrame,
    near: pd.DataFrame,
    customers: pd.DataFrame,
    counterparties: pd.DataFrame,
) -> None:
    planted = set(hits.entry_id) | set(near.entry_id)
    fictitious = entries[~entries.entry_id.isin(planted)]
    assert len(fictitious) > 0.8 * len(entries)
    bank_names = set(customers.name) | set(counterparties.name)
    bank_words = set(LAST_NAMES) | set(COMPANY_WORDS)
    for name in fictitious.name:
        assert name not in bank_names
        assert not set(name.split(" ")) & bank_words, name


def test_name_tables_never_turn_one_pool_name_into_another() -> None:
    pool = set(FIRST_NAMES) | set(LAST_NAMES)
    for table in (TRANSLITERATIONS, NICKNAMES):
        for options in table.values():
            assert not set(options) & pool
    assert all(edit_distance(extra, last) >= 3 for extra in EXTRA_LAST_NAMES for last in LAST_NAMES)
    assert len(EXTRA_LAST_NAMES) >= 50 and len(EXTRA_FIRST_NAMES) >= 30
    assert not set(EXTRA_COMPANY_WORDS) & set(COMPANY_WORDS)
    assert not set(LIST_ONLY_COUNTRIES) & {"DE", "FR", "GB", "AE", "CY", "KY", "MT", "PA", "VG"}
    rng = np.random.default_rng(0)
    for word in ("Smith", "Muller", "de Jong", "Schmidt"):
        for _ in range(20):
            out = typo(rng, word, pool)
            assert out is not None and out != word and out not in pool
            assert 1 <= edit_distance(out, word) <= 2 and out[0] == word[0]


def test_same_seed_gives_identical_lists_and_another_seed_other_lists(
    out: Path, tmp_path: Path
) -> None:
    again = tmp_path / "again"
    generate_dataset(N, SEED, again)
    for name in _LIST_FILES:
        assert (again / name).read_bytes() == (out / name).read_bytes(), name
    other = tmp_path / "other"
    generate_dataset(N, SEED + 1, other)
    assert (other / "lists/sanctions.csv").read_bytes() != (
        out / "lists/sanctions.csv"
    ).read_bytes()


def test_the_lists_change_no_byte_of_the_bank(out: Path, tmp_path: Path) -> None:
    """The list step draws from its own generator after writing: a run without it writes the
    very same bank, and the same truth README up to the lists' section."""
    without = tmp_path / "without"
    summary = generate_dataset(N, SEED, without, watchlists=False)
    assert not any(k.startswith("lists/") or "list_" in k for k in summary.rows)
    bare = _digests(without)
    full = _digests(out)
    assert set(full) - set(bare) == _LIST_FILES
    readme = "truth/README.md"
    for name, digest in bare.items():
        if name != readme:
            assert full[name] == digest, name
    before = (without / readme).read_bytes()
    after = (out / readme).read_bytes()
    assert after.startswith(before) and len(after) > len(before)


def test_the_screening_reader_loads_both_files_alike(out: Path) -> None:
    """Screening reads these files as given: no row is a problem, both formats agree."""
    from graphrisk.screening.lists import read_list_file

    csv_file = read_list_file(out / "lists" / "sanctions.csv")
    ftm_file = read_list_file(out / "lists" / "sanctions.ftm.jsonl")
    assert not csv_file.problems and not ftm_file.problems
    assert len(csv_file.entries) == len(ftm_file.entries) == max(200, N // 2)
    for a, b in zip(csv_file.entries, ftm_file.entries, strict=True):
        assert (a.entry_id, a.name, a.aliases, a.birth_dates, a.countries, a.schema) == (
            b.entry_id,
            b.name,
            b.aliases,
            b.birth_dates,
            b.countries,
            b.schema,
        )
        assert a.list_name == b.list_name
