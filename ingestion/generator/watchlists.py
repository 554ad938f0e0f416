"""A synthetic sanctions/PEP list for the generated bank, with the hits screening must find.

Why a step of its own, drawn from its own random generator: the list is made after the bank
is built and written, from ``numpy.random.default_rng([seed, LIST_SEED_SALT])``, so adding it
changes no byte of the bank's files for any seed. It reads the finished bank (customers,
counterparties, the ground truth) and writes:

* ``lists/sanctions.csv`` and the same entries as FollowTheMoney JSON lines in
  ``lists/sanctions.ftm.jsonl``: mostly fictitious people and companies who are not in the
  bank, plus entries that are some customers and counterparties written as a list would write
  them (:data:`VARIANTS`), and near misses that resemble a customer but are someone else;
* ``truth/list_hits.csv`` and ``truth/list_near_misses.csv``: which entry is which record.

The bank's name pools are small, so many customers share a name. A planted hit is therefore
always a customer that no other customer could be mistaken for under the same entry: nobody
else with the same family name, given-name initial and country was born within a year (two
when the entry's year is off by one). A near miss is checked the same way against everyone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from graphrisk.domain import COUNTERPARTY_KINDS

from .columns import ids, lookup
from .lookups import COMPANY_SUFFIX, COMPANY_WORDS, COUNTRIES, FIRST_NAMES, LAST_NAMES
from .name_variants import (
    CYRILLIC,
    EXTRA_COMPANY_WORDS,
    EXTRA_FIRST_NAMES,
    EXTRA_LAST_NAMES,
    LEGAL_FORM_SPELLINGS,
    LIST_ONLY_COUNTRIES,
    NICKNAMES,
    TRANSLITERATIONS,
    initial_of,
    typo,
)
from .world import World
from .writers import write_table

__all__ = [
    "ENTRY_COLUMNS",
    "LIST_NAMES",
    "LIST_SEED_SALT",
    "NEAR_MISS_REASONS",
    "VARIANTS",
    "WATCHLIST_README",
    "WatchLists",
    "build_watchlists",
    "write_watchlists",
]

#: Mixed into the seed of the list's own random generator.
LIST_SEED_SALT = 0x5C4EE7
#: Columns of ``lists/sanctions.csv``, in order.
ENTRY_COLUMNS: tuple[str, ...] = (
    "entry_id",
    "name",
    "aliases",
    "birth_date",
    "country",
    "programme",
    "list_name",
    "schema",
)
#: ``variant`` of a planted hit: how the entry writes the record's name.
VARIANTS: tuple[str, ...] = ("exact", "typo", "transliteration", "swapped", "initials", "nickname")
#: ``why`` of a near miss: what makes the entry someone else.
NEAR_MISS_REASONS: tuple[str, ...] = (
    "family_name_edit_other_given",
    "other_given_birth_year_country",
    "company_with_person_surname",
    "company_word_edit_other_business",
)
#: ``list_name`` values: a sanctions list and a list of politically exposed persons.
LIST_NAMES: tuple[str, ...] = ("synthetic_sanctions", "synthetic_peps")

_PROGRAMMES = (
    "terrorism", "narcotics", "russia", "iran", "dprk", "cyber", "corruption", "human_rights",
    "weapons", "syria",
)  # fmt: skip
_FICTITIOUS_NOUNS = (
    "Shipping", "Holdings", "Petroleum", "Minerals", "Capital", "Investments", "Aviation",
    "Marine", "Industries", "Group", "Commodities", "Metals",
)  # fmt: skip
_FICTITIOUS_LEGAL = ("LLC", "OOO", "JSC", "Ltd", "FZE", "SA", "GmbH", "Inc", "Co.")
_SURNAME_COMPANY_NOUNS = ("Holdings", "Trading", "Group", "Capital", "Shipping", "Investments")
_PERSON_VARIANT_WEIGHTS = (0.22, 0.2, 0.14, 0.14, 0.14, 0.16)
_POOL_NAMES = frozenset(FIRST_NAMES) | frozenset(LAST_NAMES)
_YEAR0 = 1850
_LAST_NAMES = np.asarray(LAST_NAMES)
T = TypeVar("T")

WATCHLIST_README = """
## Watch lists (`../lists/`)

`lists/sanctions.csv` is a synthetic sanctions and PEP list (`entry_id`, `name`, `aliases`
separated by `;`, `birth_date` as `YYYY-MM-DD`, `YYYY` or empty, `country` ISO alpha-2 or
empty, `programme`, `list_name`, `schema` as `person` or `organisation`);
`lists/sanctions.ftm.jsonl` holds the same entries as
FollowTheMoney entities (OpenSanctions' export shape). Most entries are fictitious and match
nobody in the bank.

* `list_hits.csv`: entries that are a customer or counterparty (`record_kind`, `record_id`,
  `entry_id`, `variant`, `list_name`). `variant` says how the entry writes the name: `exact`,
  `typo` (a letter dropped, doubled or swapped), `transliteration` (another spelling of a
  name, or of a company's legal form), `swapped` (family name first), `initials` (given name
  as its initial) or `nickname`. A person's entry gives the birth year (exact, or one year off)
  and the country or no country; no other customer fits the same entry.
* `list_near_misses.csv`: entries that resemble a record but are someone else (`record_kind`,
  `record_id`, `entry_id`, `why`): `family_name_edit_other_given` (same birth year and country,
  family name one edit away, another given name), `other_given_birth_year_country` (same
  family name, another given name, born 20+ years apart, another country),
  `company_with_person_surname` (a company named after the person's family name),
  `company_word_edit_other_business` (a company one edit from a counterparty's first word, in
  another business and country). Screening must not report these pairs.
"""


@dataclass
class _Entries:
    """List entries as they are made, before they are shuffled and numbered."""

    schema: list[str] = field(default_factory=list)
    name: list[str] = field(default_factory=list)
    aliases: list[list[str]] = field(default_factory=list)
    birth_date: list[str] = field(default_factory=list)
    country: list[str] = field(default_factory=list)
    programme: list[str] = field(default_factory=list)
    list_name: list[str] = field(default_factory=list)

    def add(
        self,
        schema: str,
        name: str,
        aliases: list[str],
        birth_date: str,
        country: str,
        programme: str,
        list_name: str,
    ) -> int:
        self.schema.append(schema)
        self.name.append(name)
        self.aliases.append(aliases)
        self.birth_date.append(birth_date)
        self.country.append(country)
        self.programme.append(programme)
        self.list_name.append(list_name)
        return len(self.name) - 1


@dataclass(frozen=True)
class WatchLists:
    """The list and its answer key, ready to write.

    Attributes:
        entries: ``lists/sanctions.csv`` (:data:`ENTRY_COLUMNS`).
        ftm_lines: ``lists/sanctions.ftm.jsonl``, one JSON object per entry, same order.
        hits: ``truth/list_hits.csv``.
        near_misses: ``truth/list_near_misses.csv``.
    """

    entries: pa.Table
    ftm_lines: pa.Array
    hits: pa.Table
    near_misses: pa.Table


class _PersonIndex:
    """Counts customers (persons) by family name, given-name initial, country and birth year,
    so that an entry can be checked to fit one customer only, or none."""

    def __init__(
        self, last: np.ndarray, initial: np.ndarray, country: np.ndarray, year: np.ndarray
    ) -> None:
        self.with_country = np.sort(self.key(last, initial, country, year))
        self.any_country = np.sort(self.key(last, initial, 0, year))

    @staticmethod
    def key(
        last: np.ndarray | int,
        initial: np.ndarray | int,
        country: np.ndarray | int,
        year: np.ndarray | int,
    ) -> np.ndarray:
        """One integer per person; the birth year is the lowest field, so that a span of
        years of one name, initial and country is a span of keys."""
        return ((np.asarray(last) * 26 + initial) * 32 + country) * 256 + (
            np.asarray(year) - _YEAR0
        )

    def count(
        self,
        last: np.ndarray,
        initial: np.ndarray,
        country: np.ndarray | None,
        year: np.ndarray,
        window: int,
    ) -> np.ndarray:
        """People fitting each entry: same family name and initial, born within ``window``
        years, in ``country`` (``None``: in any country)."""
        keys = self.any_country if country is None else self.with_country
        k = self.key(last, initial, 0 if country is None else country, year)
        # Searching in sorted order is several times faster (each search starts where the
        # last one ended).
        order = np.argsort(k, kind="stable")
        ks = k[order]
        counts = np.empty(len(k), np.int64)
        counts[order] = np.searchsorted(keys, ks + window, side="right") - np.searchsorted(
            keys, ks - window, side="left"
        )
        return counts

    def anyone(self, last: int, initial: int, country: int, year: int, window: int) -> bool:
        """Whether one person fits (in ``country``), for entries checked one by one."""
        k = ((last * 26 + initial) * 32 + country) * 256 + (year - _YEAR0)
        keys = self.with_country
        return bool(keys.searchsorted(k + window, "right") > keys.searchsorted(k - window))


def build_watchlists(seed: int, world: World, tables: dict[str, pa.Table]) -> WatchLists:
    """Draw the list and its answer key for a generated bank.

    Sizes scale with the bank: ``max(200, n_customers // 2)`` entries; about 1% of customers
    planted as hits (three in four among the truly risky, the rest ordinary customers), some
    company counterparties too, and about as many near misses as hits.

    Args:
        seed: the run's seed; the list draws from ``default_rng([seed, LIST_SEED_SALT])``.
        world: the finished bank.
        tables: the entity tables written for it (names and ids are read from them).

    Returns:
        The entries (CSV table and FtM lines) and the two truth tables.
    """
    rng = np.random.default_rng([seed, LIST_SEED_SALT])
    maker = _ListMaker(rng, world, tables)
    maker.plant_person_hits()
    maker.plant_company_hits()
    maker.plant_near_misses()
    n_entries = max(200, world.customers.n // 2)
    maker.add_fictitious(max(0, n_entries - len(maker.entries.name)))
    return maker.finish()


class _ListMaker:
    def __init__(self, rng: np.random.Generator, world: World, tables: dict[str, pa.Table]):
        self.rng = rng
        self.entries = _Entries()
        self.hits: list[tuple[str, int, int, str]] = []  # kind, record, entry, variant
        self.near: list[tuple[str, int, int, str]] = []  # kind, record, entry, why
        customers = world.customers
        self.n = customers.n
        self.first = customers.first
        self.last = customers.last
        self.year = customers.birth_year
        self.country = customers.country
        self.business = customers.business
        self.risky = world.truth.is_risky()
        self.customer_ids = tables["customers"].column("customer_id")
        self.customer_names = tables["customers"].column("name").to_pylist()
        self.cps = world.cps
        self.cp_ids = tables["counterparties"].column("counterparty_id")
        initials = np.array([ord(n[0]) - ord("A") for n in FIRST_NAMES], np.int64)
        self.initial = initials[self.first]
        persons = ~self.business
        self.index = _PersonIndex(
            self.last[persons], self.initial[persons], self.country[persons], self.year[persons]
        )
        self.used: set[int] = set()
        self.name_counts = Counter(self.customer_names) + Counter(self.cps.name)

    # -- drawing helpers -------------------------------------------------------------------

    # ``random()`` rather than ``integers()``: a scalar draw of the latter costs ten times more.

    def _choice(self, options: Sequence[T]) -> T:
        return options[int(self.rng.random() * len(options))]

    def _date(self, year: int) -> str:
        month, day = 1 + int(self.rng.random() * 12), 1 + int(self.rng.random() * 28)
        return f"{year:04d}-{month:02d}-{day:02d}"

    def _programme(self, risky: bool) -> tuple[str, str]:
        if not risky and self.rng.random() < 0.5:
            return "pep", LIST_NAMES[1]
        return self._choice(_PROGRAMMES), LIST_NAMES[0]

    # -- hits --------------------------------------------------------------------------------

    def _person_variant(self, c: int, variant: str) -> str | None:
        given, family = FIRST_NAMES[self.first[c]], LAST_NAMES[self.last[c]]
        if variant == "exact":
            return f"{given} {family}"
        if variant == "swapped":
            return f"{family} {given}"
        if variant == "initials":
            return f"{initial_of(given)} {family}"
        if variant == "nickname":
            return f"{self._choice(NICKNAMES[given])} {family}" if given in NICKNAMES else None
        if variant == "transliteration":
            parts = [p for p in (given, family) if p in TRANSLITERATIONS]
            if not parts:
                return None
            part = self._choice(parts)
            spelt = self._choice(TRANSLITERATIONS[part])
            return f"{spelt} {family}" if part == given else f"{given} {spelt}"
        # typo: mostly in the family name
        if self.rng.random() < 0.7:
            out = typo(self.rng, family, _POOL_NAMES)
            return None if out is None else f"{given} {out}"
        out = typo(self.rng, given, _POOL_NAMES)
        return None if out is None else f"{out} {family}"

    def plant_person_hits(self) -> None:
        n_hits = max(6, round(0.009 * self.n))
        persons = np.flatnonzero(~self.business)
        # Candidates: every risky person and a sample of the others, ample for the quarter of
        # hits drawn among ordinary customers (checking all of them costs time for nothing).
        ordinary = persons[~self.risky[persons]]
        sample = self.rng.choice(ordinary, min(len(ordinary), 20 * n_hits), replace=False)
        persons = np.sort(np.concatenate([persons[self.risky[persons]], sample]))
        p = persons
        fits = self.index.count(self.last[p], self.initial[p], self.country[p], self.year[p], 1)
        fits_any = self.index.count(self.last[p], self.initial[p], None, self.year[p], 1)
        fits_wide = self.index.count(
            self.last[p], self.initial[p], self.country[p], self.year[p], 2
        )
        alone = persons[fits == 1]
        self.alone_anywhere = set(persons[fits_any == 1].tolist())
        self.alone_wide = set(persons[fits_wide == 1].tolist())
        risky_pool = list(self.rng.permutation(alone[self.risky[alone]]))
        ordinary_pool = list(self.rng.permutation(alone[~self.risky[alone]]))
        # Every variant once first, then by weight.
        variants = list(VARIANTS) + list(
            self.rng.choice(VARIANTS, n_hits - len(VARIANTS), p=_PERSON_VARIANT_WEIGHTS)
        )
        for variant in variants:
            first_pool, second_pool = (
                (risky_pool, ordinary_pool)
                if self.rng.random() < 0.75
                else (ordinary_pool, risky_pool)
            )
            picked = self._pick(first_pool, variant) or self._pick(second_pool, variant)
            if picked is None:
                continue
            c, name = picked
            self._add_person_hit(c, name, variant)

    def _pick(self, pool: list[int], variant: str) -> tuple[int, str] | None:
        for pos, c in enumerate(pool[:400]):
            name = self._person_variant(int(c), variant)
            if name is not None:
                del pool[pos]
                return int(c), name
        return None

    def _add_person_hit(self, c: int, name: str, variant: str) -> None:
        self.used.add(c)
        year = int(self.year[c])
        r = self.rng.random()
        if r < 0.8:
            birth = self._date(year)
        elif r < 0.93 or c not in self.alone_wide:
            birth = str(year)
        else:
            birth = self._date(year + self._choice((-1, 1)))
        no_country = self.rng.random() < 0.15 and c in self.alone_anywhere
        country = "" if no_country else COUNTRIES[self.country[c]]
        aliases: list[str] = []
        if self.rng.random() < 0.3:
            alias = self._person_variant(c, variant)
            if alias is not None and alias != name:
                aliases.append(alias)
        programme, list_name = self._programme(bool(self.risky[c]))
        entry = self.entries.add("Person", name, aliases, birth, country, programme, list_name)
        self.hits.append(("customer", c, entry, variant))

    def _company_variant(self, name: str) -> tuple[str, str]:
        words = name.split(" ")
        r = self.rng.random()
        if r < 0.3:
            out = typo(self.rng, words[0], frozenset(COMPANY_WORDS))
            if out is not None:
                return " ".join([out, *words[1:]]), "typo"
        elif r < 0.55 and words[-1] in LEGAL_FORM_SPELLINGS:
            spelt = self._choice(LEGAL_FORM_SPELLINGS[words[-1]])
            return " ".join([*words[:-1], spelt]), "transliteration"
        return name, "exact"

    def plant_company_hits(self) -> None:
        unique = {name for name, count in self.name_counts.items() if count == 1}
        companies = np.flatnonzero(self.business)
        companies = companies[[self.customer_names[c] in unique for c in companies]]
        risky = companies[self.risky[companies]]
        ordinary = companies[~self.risky[companies]]
        n_customers = max(2, round(0.001 * self.n))
        n_risky = min(len(risky), (n_customers + 1) // 2)
        chosen = np.concatenate(
            [
                self.rng.choice(risky, n_risky, replace=False),
                self.rng.choice(ordinary, min(len(ordinary), n_customers - n_risky), replace=False),
            ]
        )
        for c in chosen.tolist():
            self.used.add(c)
            self._add_company_hit("customer", c, self.customer_names[c], COUNTRIES[self.country[c]])
        kinds = [COUNTERPARTY_KINDS.index(k) for k in ("employer", "merchant", "utility", "other")]
        cps = np.flatnonzero(np.isin(self.cps.kind, kinds))
        cps = cps[[self.cps.name[j] in unique and self.cps.industry[j] != "banking" for j in cps]]
        n_cps = min(len(cps), max(3, self.n // 1000))
        self.cp_targets = cps
        for j in self.rng.choice(cps, n_cps, replace=False).tolist():
            self._add_company_hit(
                "counterparty", j, self.cps.name[j], COUNTRIES[self.cps.country[j]]
            )

    def _add_company_hit(self, kind: str, record: int, name: str, country: str) -> None:
        entry_name, variant = self._company_variant(name)
        if self.rng.random() < 0.1:
            country = ""
        programme, list_name = self._choice(_PROGRAMMES), LIST_NAMES[0]
        entry = self.entries.add("Company", entry_name, [], "", country, programme, list_name)
        self.hits.append((kind, record, entry, variant))

    # -- near misses ---------------------------------------------------------------------------

    def _other_given(self, c: int) -> int:
        own = FIRST_NAMES[self.first[c]][0]
        while True:
            g = int(self.rng.random() * len(FIRST_NAMES))
            if FIRST_NAMES[g][0] != own:
                return g

    def plant_near_misses(self) -> None:
        n_near = max(6, len(self.hits))
        persons = np.flatnonzero(~self.business)
        persons = persons[~np.isin(persons, list(self.used))]
        # Preferably resembling risky customers too, like the hits.
        weights = np.where(self.risky[persons], 4.0, 1.0)
        targets = self.rng.choice(
            persons, min(len(persons), 3 * n_near), replace=False, p=weights / weights.sum()
        )
        reasons = list(NEAR_MISS_REASONS[:3]) + list(
            self.rng.choice(NEAR_MISS_REASONS[:3], n_near - 3, p=(0.4, 0.4, 0.2))
        )
        made = 0
        for c in targets.tolist():
            if made == len(reasons):
                break
            if self._near_miss(c, reasons[made]):
                made += 1
        for j in self.rng.choice(
            self.cp_targets, min(len(self.cp_targets), max(2, n_near // 10)), replace=False
        ).tolist():
            self._company_near_miss(j)

    def _near_miss(self, c: int, why: str) -> bool:
        family = LAST_NAMES[self.last[c]]
        year, country = int(self.year[c]), int(self.country[c])
        programme, list_name = self._programme(bool(self.risky[c]))
        if why == "family_name_edit_other_given":
            g = self._other_given(c)
            edited = typo(self.rng, family, _POOL_NAMES)
            if edited is None or _near_another_surname(edited, family):
                return False
            # Nobody with this given-name initial and family name, born near, lives there.
            if self.index.anyone(int(self.last[c]), ord(FIRST_NAMES[g][0]) - 65, country, year, 2):
                return False
            name = f"{FIRST_NAMES[g]} {edited}"
            entry = self.entries.add(
                "Person", name, [], self._date(year), COUNTRIES[country], programme, list_name
            )
        elif why == "other_given_birth_year_country":
            g = self._other_given(c)
            shift = 20 + int(self.rng.random() * 16)
            other_year = year - shift if year - shift >= 1920 else year + shift
            name = f"{FIRST_NAMES[g]} {family}"
            entry = self.entries.add(
                "Person",
                name,
                [],
                self._date(other_year),
                self._choice(LIST_ONLY_COUNTRIES),
                programme,
                list_name,
            )
        else:
            suffix = COMPANY_SUFFIX[COUNTRIES[country]]
            name = f"{family} {self._choice(_SURNAME_COMPANY_NOUNS)} {suffix}"
            entry = self.entries.add(
                "Company",
                name,
                [],
                "",
                COUNTRIES[country],
                self._choice(_PROGRAMMES),
                LIST_NAMES[0],
            )
        self.near.append(("customer", c, entry, why))
        return True

    def _company_near_miss(self, j: int) -> None:
        words = self.cps.name[j].split(" ")
        edited = typo(self.rng, words[0], frozenset(COMPANY_WORDS))
        if edited is None:
            return
        name = f"{edited} {self._choice(_FICTITIOUS_NOUNS)} {self._choice(_FICTITIOUS_LEGAL)}"
        entry = self.entries.add(
            "Company",
            name,
            [],
            "",
            self._choice(LIST_ONLY_COUNTRIES),
            self._choice(_PROGRAMMES),
            LIST_NAMES[0],
        )
        self.near.append(("counterparty", j, entry, "company_word_edit_other_business"))

    # -- fictitious entries ------------------------------------------------------------------

    def add_fictitious(self, k: int) -> None:
        """``k`` people and companies who are in no part of the bank, drawn and built in bulk
        (a list entry at a time would cost a good part of the bank's own run time)."""
        rng = self.rng
        givens = FIRST_NAMES + EXTRA_FIRST_NAMES
        is_company = rng.random(k) < 0.25
        g = rng.integers(0, len(givens), k)
        middle = np.where(rng.random(k) < 0.25, rng.integers(0, len(EXTRA_FIRST_NAMES), k), -1)
        family = rng.integers(0, len(EXTRA_LAST_NAMES), k)
        year = rng.integers(1940, 2001, k)
        month = rng.integers(1, 13, k)
        day = rng.integers(1, 29, k)
        date_kind = rng.random(k)
        country_kind = rng.random(k)
        list_only = rng.integers(0, len(LIST_ONLY_COUNTRIES), k)
        bank_country = rng.integers(0, len(COUNTRIES), k)
        alias_draw = rng.random(k)
        alias_pick = rng.random(k)
        word = rng.integers(0, len(EXTRA_COMPANY_WORDS), k)
        noun = rng.integers(0, len(_FICTITIOUS_NOUNS), k)
        legal = rng.integers(0, len(_FICTITIOUS_LEGAL), k)
        pep = ~is_company & (rng.random(k) < 0.15)
        programme = rng.integers(0, len(_PROGRAMMES), k)

        given_text = lookup(givens, g)
        last_text = lookup(EXTRA_LAST_NAMES, family)
        middle_text = lookup([f" {m}" for m in EXTRA_FIRST_NAMES], middle).fill_null("")
        person = pc.binary_join_element_wise(given_text, middle_text, " ", last_text, "")
        company_stem = pc.binary_join_element_wise(
            lookup(EXTRA_COMPANY_WORDS, word), lookup(_FICTITIOUS_NOUNS, noun), " "
        )
        company = pc.binary_join_element_wise(company_stem, lookup(_FICTITIOUS_LEGAL, legal), " ")
        # Aliases: a fifth of the companies go by their name without the legal form; a third
        # of the people by their name reversed, with an initial, spelt otherwise or in Cyrillic.
        aliases: list[str | None] = [None] * k
        company_alias = is_company & (alias_draw < 0.2)
        for i, stem in zip(
            np.flatnonzero(company_alias).tolist(),
            company_stem.filter(pa.array(company_alias)).to_pylist(),
            strict=True,
        ):
            aliases[i] = stem
        for i in np.flatnonzero(~is_company & (alias_draw < 0.35)).tolist():
            given, last = givens[g[i]], EXTRA_LAST_NAMES[family[i]]
            options = [f"{last} {given}", f"{initial_of(given)} {last}"]
            options += [f"{given} {s}" for s in TRANSLITERATIONS.get(last, ())]
            options += [f"{s} {last}" for s in TRANSLITERATIONS.get(given, ())]
            if given in CYRILLIC and last in CYRILLIC:
                options.append(f"{CYRILLIC[given]} {CYRILLIC[last]}")
            aliases[i] = options[int(alias_pick[i] * len(options))]

        full_date = pc.cast(
            pa.array((year - 1970).astype("datetime64[Y]") + (month - 1).astype("timedelta64[M]")
                     + (day - 1).astype("timedelta64[D]")),
            pa.string(),
        )  # fmt: skip
        year_only = pc.cast(pa.array(year), pa.string())
        birth = pc.if_else(pa.array(date_kind < 0.7), full_date, year_only)
        no_birth = is_company | (date_kind >= 0.9)
        country = pc.if_else(
            pa.array(country_kind < 0.5),
            lookup(LIST_ONLY_COUNTRIES, list_only),
            lookup(COUNTRIES, bank_country),
        )
        self.fictitious = {
            "schema": pc.if_else(pa.array(is_company), "Company", "Person"),
            "name": pc.if_else(pa.array(is_company), company, person),
            "aliases": pa.array(aliases, pa.string()),
            "birth_date": pc.if_else(pa.array(no_birth), pa.scalar(None, pa.string()), birth),
            "country": pc.if_else(
                pa.array(country_kind >= 0.9), pa.scalar(None, pa.string()), country
            ),
            "programme": pc.if_else(pa.array(pep), "pep", lookup(_PROGRAMMES, programme)),
            "list_name": pc.if_else(pa.array(pep), LIST_NAMES[1], LIST_NAMES[0]),
        }

    # -- output --------------------------------------------------------------------------------

    def finish(self) -> WatchLists:
        e = self.entries
        planted = {
            "schema": e.schema,
            "name": e.name,
            "aliases": [";".join(a) or None for a in e.aliases],
            "birth_date": [b or None for b in e.birth_date],
            "country": [c or None for c in e.country],
            "programme": e.programme,
            "list_name": e.list_name,
        }
        fictitious = getattr(self, "fictitious", None)
        columns = {
            c: pa.concat_arrays(
                [pa.array(v, pa.string())]
                + ([fictitious[c].cast(pa.string())] if fictitious else [])
            )
            for c, v in planted.items()
        }
        k = len(columns["name"])
        order = self.rng.permutation(k)  # position -> made entry
        position = np.empty(k, np.int64)
        position[order] = np.arange(k)
        width = max(6, len(str(k)))
        ids_in_order = ids("SL", k, width)
        entry_id = ids_in_order.take(pa.array(position)).to_pylist()
        table = {"entry_id": ids_in_order}
        table |= {c: columns[c].take(pa.array(order)) for c in columns}
        schema = table["schema"]
        # The CSV says what the screening reader's optional ``schema`` column takes.
        table["schema"] = pc.if_else(pc.equal(schema, "Person"), "person", "organisation")
        entries = pa.table({c: table[c] for c in ENTRY_COLUMNS})
        return WatchLists(
            entries=entries,
            ftm_lines=_ftm_lines(entries, schema),
            hits=self._truth_table(self.hits, "variant", entry_id, with_list=True),
            near_misses=self._truth_table(self.near, "why", entry_id, with_list=False),
        )

    def _truth_table(
        self,
        rows: list[tuple[str, int, int, str]],
        label: str,
        entry_id: list[str],
        *,
        with_list: bool,
    ) -> pa.Table:
        def record_id(kind: str, record: int) -> str:
            ids = self.customer_ids if kind == "customer" else self.cp_ids
            return ids[record].as_py()

        keyed = sorted(
            (
                (kind, record_id(kind, record), entry_id[entry], text, entry)
                for kind, record, entry, text in rows
            )
        )
        table = {
            "record_kind": [r[0] for r in keyed],
            "record_id": [r[1] for r in keyed],
            "entry_id": [r[2] for r in keyed],
            label: [r[3] for r in keyed],
        }
        if with_list:
            table["list_name"] = [self.entries.list_name[r[4]] for r in keyed]
        return pa.table({c: pa.array(v, pa.string()) for c, v in table.items()})


def _near_another_surname(edited: str, family: str) -> bool:
    """Whether ``edited`` (a typo of ``family``) is within two edits of another bank surname."""
    distances = process.cdist([edited], LAST_NAMES, scorer=Levenshtein.distance)[0]
    return bool(np.any((distances < 3) & (_LAST_NAMES != family)))


def _json_strings(values: pa.Array) -> pa.Array:
    """``values`` as the inside of JSON string literals (backslashes and quotes escaped)."""
    escaped = pc.replace_substring(values, "\\", "\\\\")
    return pc.replace_substring(escaped, '"', '\\"')


def _ftm_property(
    key: str, values: pa.Array, *, many: bool = False, escape: bool = True
) -> pa.Array:
    """``, "key": ["v"]`` per entry, or ``""`` where the value is missing; ``many`` splits
    the value on ``;`` into several strings; ``escape`` false for codes the generator made,
    which hold no quote or backslash."""
    inside = _json_strings(values) if escape else values
    if many:
        inside = pc.replace_substring(inside, ";", '", "')
    return pc.binary_join_element_wise(f', "{key}": ["', inside, '"]', "").fill_null("")


def _ftm_lines(entries: pa.Table, schema: pa.Array) -> pa.Array:
    """The entries as FollowTheMoney entities, one JSON object per entry (the shape of an
    OpenSanctions export, written as ``json.dumps`` would, built column-wise for speed)."""

    def col(name: str) -> pa.Array:
        return entries.column(name).combine_chunks()

    topics = pc.if_else(pc.equal(col("list_name"), LIST_NAMES[1]), "role.pep", "sanction")
    properties = pc.binary_join_element_wise(
        '"name": ["',
        _json_strings(col("name")),
        '"]',
        _ftm_property("alias", col("aliases"), many=True),
        _ftm_property("birthDate", col("birth_date"), escape=False),
        # FollowTheMoney writes country codes in lower case.
        _ftm_property("country", pc.utf8_lower(col("country")), escape=False),
        _ftm_property("program", col("programme"), escape=False),
        _ftm_property("topics", topics, escape=False),
        "",
    )
    return pc.binary_join_element_wise(
        '{"id": "',
        col("entry_id"),
        '", "schema": "',
        schema,
        '", "properties": {',
        properties,
        '}, "datasets": ["',
        col("list_name"),
        '"]}',
        "",
    )


def write_watchlists(lists: WatchLists, out_dir: Path) -> dict[str, int]:
    """Write ``lists/`` and the two truth files, and add their section to the truth README;
    rows per file, keyed like :class:`~ingestion.generator.pipeline.GenerationSummary.rows`."""
    list_dir = out_dir / "lists"
    list_dir.mkdir(parents=True, exist_ok=True)
    write_table(lists.entries, list_dir / "sanctions.csv", "csv")
    with (list_dir / "sanctions.ftm.jsonl").open("w", encoding="utf-8") as f:
        for line in lists.ftm_lines.to_pylist():
            f.write(line)
            f.write("\n")
    truth_dir = out_dir / "truth"
    write_table(lists.hits, truth_dir / "list_hits.csv", "csv")
    write_table(lists.near_misses, truth_dir / "list_near_misses.csv", "csv")
    with (truth_dir / "README.md").open("a", encoding="utf-8") as f:
        f.write(WATCHLIST_README)
    return {
        "lists/sanctions": lists.entries.num_rows,
        "truth/list_hits": lists.hits.num_rows,
        "truth/list_near_misses": lists.near_misses.num_rows,
    }
