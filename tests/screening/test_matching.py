"""The matcher finds listed people written another way and leaves near misses alone."""

from __future__ import annotations

import pytest

from graphrisk.config import Settings
from graphrisk.screening.lists import ListEntry
from graphrisk.screening.matching import Matcher, ScreenedRecord, name_similarity
from graphrisk.screening.names import normalise_name

THRESHOLD = Settings().screening_threshold

LIST = [
    ListEntry("L1", "John Smith", birth_dates=("1970-01-01",), countries=("GB",),
              programme="UK-FIN", schema="person"),
    ListEntry("L2", "Mohammed Al-Rashid", aliases=("Abu Yusuf",), birth_dates=("1975",),
              countries=("IQ",), programme="UN-TERR", schema="person"),
    ListEntry("L3", "Vladimir Putin", birth_dates=("1952-10-07",), countries=("RU",),
              programme="EU-UKR", schema="person"),
    ListEntry("L4", "William Jefferson Carter", birth_dates=("1961",), countries=("US",),
              schema="person"),
    ListEntry("L5", "Mario Rossini", birth_dates=("1950",), countries=("BR",),
              schema="person"),
    ListEntry("L6", "Olena Kovalenko", birth_dates=("1980",), countries=("UA",),
              schema="person"),
    ListEntry("L7", "Hendrik Vermeulen", birth_dates=("1966",), countries=("NL",),
              schema="person"),
    ListEntry("L8", "Ardent Logistics", countries=("CY",), schema="organisation"),
    ListEntry("L9", "Union Online Marketplace GmbH", countries=("DE",), schema="organisation"),
]


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(LIST)


def _hits(matcher: Matcher, record: ScreenedRecord) -> dict[str, float]:
    return {m.entry.entry_id: m.score for m in matcher.match(record, THRESHOLD)}


@pytest.mark.parametrize(("record", "entry"), [
    (ScreenedRecord("customer:typo", "Jon Smyth", "person", "GB", 1970), "L1"),
    (ScreenedRecord("customer:translit", "Muhamad Alrashid", "person", "IQ", 1975), "L2"),
    (ScreenedRecord("customer:cyrillic", "Владимир Путин", "person", "RU", 1952), "L3"),
    (ScreenedRecord("customer:swapped", "Smith, John", "person", "GB", 1970), "L1"),
    (ScreenedRecord("customer:initial", "J. Smith", "person", "GB", 1970), "L1"),
    (ScreenedRecord("customer:nickname", "Bill Carter", "person", "US", 1961), "L4"),
    (ScreenedRecord("customer:alias", "Abu Yousuf", "person", None, None), "L2"),
    (ScreenedRecord("counterparty:org", "Ardent Logistics Ltd", "organisation", "CY"), "L8"),
    (ScreenedRecord("counterparty:typo", "Union Onlne Marketplace SL", "organisation"), "L9"),
])
def test_a_planted_variant_is_found(matcher: Matcher, record: ScreenedRecord,
                                    entry: str) -> None:
    assert entry in _hits(matcher, record), [
        (m.entry.entry_id, m.score, m.sentence) for m in matcher.match(record, 0.5)]


@pytest.mark.parametrize("record", [
    # a near namesake, born 40 years later in another country
    ScreenedRecord("customer:rossi", "Maria Rossi", "person", "IT", 1990),
    # a common first name only
    ScreenedRecord("customer:john", "John Brennan", "person", "GB", 1970),
    ScreenedRecord("customer:mohammed", "Mohammed Haddad", "person", "IQ", 1975),
    ScreenedRecord("customer:firstonly", "John", "person", "GB", 1970),
    # a company named like a listed person
    ScreenedRecord("customer:company", "Vermeulen Hendrik BV", "organisation", "NL"),
    # a person named like a listed company
    ScreenedRecord("customer:person", "Ardent Logistics", "person", "CY", 1980),
    # a company that shares only the generic words of a listed one
    ScreenedRecord("counterparty:generic", "Keystone Online Marketplace GmbH", "organisation",
                   "DE"),
    # someone else entirely
    ScreenedRecord("customer:other", "Olga Kowalska", "person", "PL", 1980),
])
def test_a_near_miss_is_not_a_hit(matcher: Matcher, record: ScreenedRecord) -> None:
    assert _hits(matcher, record) == {}


def test_the_sentence_says_which_fields_agreed(matcher: Matcher) -> None:
    record = ScreenedRecord("customer:C1", "Muhamad Alrashid", "person", "IQ", 1975)
    (found,) = matcher.match(record, THRESHOLD)
    assert found.sentence.startswith("name 'Muhamad Alrashid' ~ 'Mohammed Al-Rashid' (0.")
    assert found.sentence.endswith("; birth year 1975 agrees; country IQ agrees")
    assert found.score > found.name_score


def test_contradicting_evidence_lowers_the_score(matcher: Matcher) -> None:
    same = matcher.match(ScreenedRecord("c:1", "John Smith", "person", "GB", 1970), 0.0)[0]
    older = matcher.match(ScreenedRecord("c:2", "John Smith", "person", "FR", 1930), 0.0)[0]
    assert same.score > older.score
    assert "birth year 1930 contradicts 1970" in older.sentence
    assert "country FR differs from GB" in older.sentence


def test_an_initial_scores_below_the_full_name_and_order_does_not_matter() -> None:
    full = name_similarity(normalise_name("John Smith"), normalise_name("John Smith"))
    initial = name_similarity(normalise_name("J. Smith"), normalise_name("John Smith"))
    swapped = name_similarity(normalise_name("Smith John"), normalise_name("John Smith"))
    assert full == swapped == 1.0
    assert 0.8 < initial < full


def test_blocking_keeps_unrelated_names_apart(matcher: Matcher) -> None:
    assert len(matcher.candidates(normalise_name("Olga Kowalska"))) == 0
    assert len(matcher.candidates(normalise_name("Jon Smyth"))) == 1
