"""Screening matcher: bank records against list entries, by name, confirmed by birth year
and country.

Why blocking first: comparing every record with every list entry is 100,000 x 50,000 pairs.
Each list name (main name, aliases, and the form without particles) is filed under keys of
each of its tokens — a sound key, an ending key and the initial
(:func:`graphrisk.screening.names.entry_token_keys`); a record's candidates are the list
names that share keys with at least two of its tokens (one when either name has a single
token). Only candidates are scored, with ``rapidfuzz``:

* tokens are paired greedily by similarity — equal (1.0), the same sound-folded form
  (0.97), a nickname or variant of the same first name (0.95), an initial against a name
  with that initial (0.75), else
  Jaro-Winkler tempered by the edit distance — so swapped order does not matter and
  ``J. Smith`` scores below ``John Smith``;
* the name score is the length-weighted mean of the pairs (generic business words such as
  ``trading`` or ``online`` weigh 0.4 of their length when they agree or stand alone, all
  of it when they differ), tokens left unpaired weighing
  half — a tenth when every token of the shorter name found its pair (a middle name the
  list writes and the bank does not costs a little, not everything); when one side
  is a single token of a person's name the score is at most 0.75: one shared name is not
  a match;
* birth year and country confirm (+0.04, +0.03) or contradict (-0.20 for birth years more
  than two years apart, -0.05 for a country the entry does not name); a person is never
  matched with an organisation.

The final score is in ``[0, 1]``; a hit is a score at or above the threshold
(``GRAPHRISK_SCREENING_THRESHOLD``), and its sentence says which fields agreed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz.distance import OSA, JaroWinkler

from graphrisk.screening.lists import ListEntry
from graphrisk.screening.names import (
    GENERIC_WORDS,
    canonical_token,
    entry_token_keys,
    fold_sounds,
    name_forms,
    token_keys,
)

__all__ = ["Match", "Matcher", "ScreenedRecord", "name_similarity"]

#: Most a name of one token can score against a longer person's name.
SINGLE_TOKEN_CAP = 0.75
BIRTH_AGREES, BIRTH_CONTRADICTS, BIRTH_SLACK = 0.04, -0.20, 2
COUNTRY_AGREES, COUNTRY_DIFFERS = 0.03, -0.05
NICKNAME_SIMILARITY, INITIAL_SIMILARITY, SOUND_SIMILARITY = 0.95, 0.75, 0.97
#: Weight of a generic business word (``trading``, ``online``) against a distinctive one.
GENERIC_WEIGHT = 0.4
#: Similarity from which two paired tokens agree (a generic word then counts for less).
GENERIC_AGREE = 0.9
#: Share of the edit distance (OSA) in a spelling's similarity; the rest is Jaro-Winkler.
EDIT_SHARE = 0.5
UNPAIRED_WEIGHT, MIDDLE_NAME_WEIGHT = 0.5, 0.1


@dataclass(frozen=True)
class ScreenedRecord:
    """A bank record to screen: a customer or a counterparty.

    Attributes:
        record_id: ``customer:C00001`` or ``counterparty:P00001``: unique across kinds.
        name: the name as the bank holds it.
        party: ``person``, ``organisation`` or ``unknown``.
        country: ISO 3166-1 alpha-2, when known.
        birth_year: for persons, when known.
    """

    record_id: str
    name: str
    party: str = "unknown"
    country: str | None = None
    birth_year: int | None = None

    @property
    def kind(self) -> str:
        """``customer`` or ``counterparty``."""
        return self.record_id.split(":", 1)[0]

    @property
    def business_id(self) -> str:
        """The customer or counterparty id."""
        return self.record_id.split(":", 1)[-1]


@dataclass(frozen=True)
class Match:
    """A record that matched a list entry, with why.

    Attributes:
        record: the bank record.
        entry: the list entry.
        score: the final score in ``[0, 1]``.
        name_score: the name's similarity alone.
        matched_name: the entry's name or alias that matched best.
        agreed: what confirmed the match (``birth year 1975 agrees``...).
        contradicted: what spoke against it.
    """

    record: ScreenedRecord
    entry: ListEntry
    score: float
    name_score: float
    matched_name: str
    agreed: tuple[str, ...] = ()
    contradicted: tuple[str, ...] = ()

    @property
    def sentence(self) -> str:
        """``name 'Muhamad Alrashid' ~ 'Mohammed Al-Rashid' (0.91); birth year 1975
        agrees; country IQ agrees``."""
        parts = [f"name {self.record.name!r} ~ {self.matched_name!r} ({self.name_score:.2f})",
                 *self.agreed, *self.contradicted]
        return "; ".join(parts)


class Matcher:
    """An index over list entries that screens records against them.

    Build it once per screening run (50,000 entries take about a second) and call
    :meth:`screen` with every record.
    """

    def __init__(self, entries: Sequence[ListEntry]) -> None:
        self.entries = list(entries)
        self._variant_entry: list[int] = []
        self._variant_name: list[str] = []
        self._variant_tokens: list[tuple[str, ...]] = []
        postings: dict[str, list[int]] = defaultdict(list)
        for number, entry in enumerate(self.entries):
            seen: set[tuple[str, ...]] = set()
            for name in (entry.name, *entry.aliases):
                for tokens in name_forms(name):
                    if tokens in seen:
                        continue
                    seen.add(tokens)
                    variant = len(self._variant_name)
                    self._variant_entry.append(number)
                    self._variant_name.append(name)
                    self._variant_tokens.append(tokens)
                    for key in {key for token in tokens for key in entry_token_keys(token)}:
                        postings[key].append(variant)
        self._index = {key: frozenset(found) for key, found in postings.items()}
        self._variant_size = np.asarray([len(tokens) for tokens in self._variant_tokens],
                                        dtype=np.int64)
        self._entry_years = [set(entry.birth_years) for entry in self.entries]
        singles = frozenset(int(v) for v in np.flatnonzero(self._variant_size == 1))
        self._singles_under = {key: found & singles for key, found in self._index.items()}
        self._variant_info = [_token_info(tokens) for tokens in self._variant_tokens]

    @property
    def variants(self) -> int:
        """Names indexed: main names and aliases."""
        return len(self._variant_name)

    def candidates(self, tokens: tuple[str, ...]) -> list[int]:
        """The indexed names that share keys with enough of a name's tokens: two, or
        one when either name has a single token."""
        per_token = [[key for key in token_keys(token) if key in self._index]
                     for token in dict.fromkeys(tokens)]
        chosen: set[int] = set()
        if len(per_token) == 1:
            for key in per_token[0]:
                chosen |= self._index[key]
            return sorted(chosen)
        # intersections of two tokens' key sets cost the smaller set, never the union
        for number, keys in enumerate(per_token):
            for key in keys:
                chosen |= self._singles_under[key]
                for other in per_token[number + 1:]:
                    for other_key in other:
                        chosen |= self._index[key] & self._index[other_key]
        return sorted(chosen)

    def match(self, record: ScreenedRecord, threshold: float) -> list[Match]:
        """The list entries ``record`` matches at ``threshold`` or above, best first (one
        match per entry: its best name)."""
        best: dict[int, Match] = {}
        for tokens in name_forms(record.name):
            info = _token_info(tokens)
            for variant in self.candidates(tokens):
                number = self._variant_entry[variant]
                entry = self.entries[number]
                if _parties_clash(record.party, entry.schema):
                    continue
                person = "person" in (record.party, entry.schema)
                name_score = _similarity(info, self._variant_info[variant], person=person)
                # evidence adds at most 0.07: a name this far below cannot reach it
                if name_score + BIRTH_AGREES + COUNTRY_AGREES < threshold:
                    continue
                found = self._evidence(record, entry, number, name_score,
                                       self._variant_name[variant])
                if found.score >= threshold and (number not in best or
                                                 found.score > best[number].score):
                    best[number] = found
        return sorted(best.values(), key=lambda m: (-m.score, m.entry.entry_id))

    def screen(self, records: Iterable[ScreenedRecord], threshold: float, *,
               progress: Callable[[int], None] | None = None) -> list[Match]:
        """Every match of every record, in record order; ``progress(n)`` is called with
        the records done every 1,000 records."""
        matches: list[Match] = []
        for done, record in enumerate(records, start=1):
            matches.extend(self.match(record, threshold))
            if progress is not None and done % 1000 == 0:
                progress(done)
        return matches

    def _evidence(self, record: ScreenedRecord, entry: ListEntry, number: int,
                  name_score: float, matched_name: str) -> Match:
        score = name_score
        agreed: list[str] = []
        against: list[str] = []
        years = self._entry_years[number]
        if record.birth_year is not None and years:
            gap = min(abs(record.birth_year - year) for year in years)
            listed = "/".join(str(year) for year in sorted(years))
            if gap == 0:
                score += BIRTH_AGREES
                agreed.append(f"birth year {record.birth_year} agrees")
            elif gap <= BIRTH_SLACK:
                agreed.append(f"birth year {record.birth_year} near {listed}")
            else:
                score += BIRTH_CONTRADICTS
                against.append(f"birth year {record.birth_year} contradicts {listed}")
        if record.country and entry.countries:
            if record.country in entry.countries:
                score += COUNTRY_AGREES
                agreed.append(f"country {record.country} agrees")
            else:
                score += COUNTRY_DIFFERS
                against.append(f"country {record.country} differs from "
                               f"{'/'.join(entry.countries)}")
        return Match(record, entry, round(min(max(score, 0.0), 1.0), 4), round(name_score, 4),
                     matched_name, tuple(agreed), tuple(against))


#: A token as compared: its spelling, its nickname-mapped form, its sound-folded form.
TokenInfo = tuple[str, str, str]


def _token_info(tokens: tuple[str, ...]) -> tuple[TokenInfo, ...]:
    return tuple((token, canonical_token(token), fold_sounds(token)) for token in tokens)


def name_similarity(left: tuple[str, ...], right: tuple[str, ...], *,
                    person: bool = True) -> float:
    """How alike two normalised names are, in ``[0, 1]``, whatever the order of tokens.

    Args:
        left / right: tokens from :func:`graphrisk.screening.names.normalise_name`.
        person: one side is a person: a single token against a longer name scores at most
            :data:`SINGLE_TOKEN_CAP` (a shared first name is not a match).
    """
    return _similarity(_token_info(left), _token_info(right), person=person)


def _similarity(left: tuple[TokenInfo, ...], right: tuple[TokenInfo, ...], *,
                person: bool) -> float:
    if not left or not right:
        return 0.0
    pairs = sorted(((_token_similarity(a, b), i, j) for i, a in enumerate(left)
                    for j, b in enumerate(right)), reverse=True)
    used_left: set[int] = set()
    used_right: set[int] = set()
    total = weight = 0.0
    for similarity, i, j in pairs:
        if i in used_left or j in used_right or similarity <= 0.0:
            continue
        used_left.add(i)
        used_right.add(j)
        # generic words that agree are weak evidence; generic words that differ are not
        agree = similarity >= GENERIC_AGREE
        pair_weight = (_weight(left[i][0], agree) + _weight(right[j][0], agree)) / 2
        total += similarity * pair_weight
        weight += pair_weight
    unpaired = (sum(_weight(t[0]) for i, t in enumerate(left) if i not in used_left)
                + sum(_weight(t[0]) for j, t in enumerate(right) if j not in used_right))
    # every token of the shorter name paired: the rest are middle names, which lists
    # write and banks often do not ("Vladimir Vladimirovich Putin" / "Vladimir Putin")
    shorter = min(len(left), len(right))
    middle = shorter >= 2 and min(len(used_left), len(used_right)) == shorter
    weight += (MIDDLE_NAME_WEIGHT if middle else UNPAIRED_WEIGHT) * unpaired
    score = total / weight if weight else 0.0
    if len(left) != len(right) and shorter > 1:
        # a name split or joined differently ("abdul rahman" / "abdulrahman")
        joined = _spelling_similarity("".join(t[0] for t in left),
                                      "".join(t[0] for t in right))
        score = max(score, joined)
    if person and shorter == 1 and max(len(left), len(right)) > 1:
        score = min(score, SINGLE_TOKEN_CAP)
    return score


def _weight(token: str, discount: bool = True) -> float:
    """A token's weight in a name: its length, less for a generic business word (when
    ``discount``: it agrees with its pair, or has none)."""
    return len(token) * (GENERIC_WEIGHT if discount and token in GENERIC_WORDS else 1.0)


def _spelling_similarity(a: str, b: str) -> float:
    """Jaro-Winkler, tempered by the edit distance: Jaro-Winkler alone rates long names
    that share a start and an ending (``Trapastein`` / ``Tracksortstein``) as alike."""
    if EDIT_SHARE == 0.0:
        return JaroWinkler.normalized_similarity(a, b)
    return ((1 - EDIT_SHARE) * JaroWinkler.normalized_similarity(a, b)
            + EDIT_SHARE * OSA.normalized_similarity(a, b))


def _token_similarity(a: TokenInfo, b: TokenInfo) -> float:
    if a[0] == b[0]:
        return 1.0
    if a[1] == b[1]:
        return NICKNAME_SIMILARITY
    if len(a[0]) == 1 or len(b[0]) == 1:
        return INITIAL_SIMILARITY if a[0][0] == b[0][0] else 0.0
    if a[2] == b[2]:
        return SOUND_SIMILARITY
    return max(_spelling_similarity(a[0], b[0]), _spelling_similarity(a[1], b[1]),
               SOUND_SIMILARITY * _spelling_similarity(a[2], b[2]))


def _parties_clash(party: str, schema: str) -> bool:
    """A person is never an organisation (unknown matches either)."""
    return {party, schema} == {"person", "organisation"}
