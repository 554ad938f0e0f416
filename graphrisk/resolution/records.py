"""The records entity resolution compares: one row per person customer, names made
comparable and identifiers gathered as lists.

Why a module of its own: the service reads a store snapshot and the benchmark reads the
generated files; both must build the same columns, by the same rules as screening
(:mod:`graphrisk.screening.names`: transliteration, nicknames, particles, spelling
variants folded), or a name written two ways never meets its other record.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import pandas as pd

from graphrisk.screening.names import fold_sounds, fold_spelling, normalise_name, phonetic_key

__all__ = ["PERSON_SEGMENTS", "RECORD_COLUMNS", "NameColumns", "name_columns",
           "person_records", "person_tokens"]

#: Segments whose customers are people (resolution compares people only, for now).
PERSON_SEGMENTS = frozenset({"retail", "private_banking"})
#: Identifier kinds compared, and the column each becomes.
IDENTIFIER_COLUMNS = {"phone": "phones", "email": "emails", "address": "addresses"}
RECORD_COLUMNS: tuple[str, ...] = (
    "unique_id", "name", "name_key", "initials", "canonical_initials", "tokens",
    "canonical_tokens", "token_keys", "birth_year",
    "country", "phones", "emails", "addresses", "address_tokens", "street", "house",
    "phone0", "email0", "address0",
)
_WORD = re.compile(r"[0-9A-Za-z]+")
_HOUSE = re.compile(r"^(\d+)\s+(.+)$")


def person_tokens(name: str) -> tuple[str, ...]:
    """A person's name as :func:`~graphrisk.screening.names.normalise_name` tokens, except
    that a name it would make one token of is a given name and a family name: a first word
    that is also a name particle is then the given name (``Ben Walsh``, ``Le Duc``:
    ``ben``, ``walsh``; screening's rules alone make ``benwalsh``)."""
    tokens = normalise_name(name)
    if len(tokens) != 1:
        return tokens
    words = [word for word in name.split() if normalise_name(word)]
    if len(words) < 2:
        return tokens
    return (*normalise_name(words[0]), *normalise_name(" ".join(words[1:])))


class NameColumns(NamedTuple):
    """A name as resolution compares it (see :func:`name_columns`)."""

    name_key: str
    initials: str
    canonical_initials: str
    tokens: list[str]
    canonical_tokens: list[str]
    token_keys: list[str]


def name_columns(name: str) -> NameColumns:
    """The columns of a person's name.

    * ``name_key``: the tokens with nicknames mapped and spellings folded
      (:func:`~graphrisk.screening.names.fold_sounds`), sorted: swapped order, nicknames
      and transliterations compare equal (``Bill Smith`` = ``Smith William``);
    * ``initials``: the tokens' first letters as written, sorted (``J. Smith`` and ``John
      Smith``: ``js``); ``canonical_initials``: those of the mapped tokens (``Bill`` and
      ``William``: ``w``; ``Yulia`` and ``Julia``: ``i``), an initial kept as written;
    * ``tokens`` / ``canonical_tokens``: the full tokens (longer than a letter), spellings
      folded, as written / mapped (a typo of a nickname is compared with the nickname as
      written, a typo of a full name with the mapped form);
    * ``token_keys``: the sound keys of both forms' full tokens (to block on each).
    """
    written = person_tokens(name)
    whole = [token for token in written if len(token) > 1]
    letters = [token for token in written if len(token) == 1]
    full = sorted(fold_spelling(token) for token in whole)
    canonical = sorted(fold_sounds(token) for token in whole)
    keys = sorted({phonetic_key(token) for token in whole}
                  | {phonetic_key(token) for token in canonical})
    return NameColumns(
        " ".join(sorted(canonical + letters)),
        "".join(sorted(token[0] for token in written)),
        "".join(sorted([token[0] for token in canonical] + letters)),
        full, canonical, keys)


def person_records(customers: pd.DataFrame, identifiers: pd.DataFrame) -> pd.DataFrame:
    """One row per person customer with a name, in :data:`RECORD_COLUMNS`.

    Args:
        customers: ``customer_id``, ``name``, ``birth_year``, ``country``, ``segment``.
        identifiers: ``customer_id``, ``kind``, ``value`` (normalised, as in a snapshot).

    Returns:
        The records, ``unique_id`` being the customer id; lists empty when a customer has
        no identifier of a kind, ``*0`` (the first value, to block on) then null.
    """
    frame = customers
    years = frame["birth_year"] if "birth_year" in frame else pd.Series(pd.NA, index=frame.index)
    segments = frame["segment"] if "segment" in frame else pd.Series(None, index=frame.index)
    person = years.notna() | segments.isin(PERSON_SEGMENTS)
    named = frame["name"].map(lambda v: isinstance(v, str) and bool(v.strip()))
    people = frame.loc[person & named]
    out = pd.DataFrame({"unique_id": people["customer_id"].astype(str).to_numpy(),
                        "name": people["name"].to_numpy()})
    parts = [name_columns(name) for name in out["name"]]
    for column in NameColumns._fields:
        out[column] = [getattr(part, column) for part in parts]
    out["birth_year"] = pd.to_numeric(years.loc[people.index], errors="coerce").astype(
        "Int64").to_numpy()
    countries = people["country"] if "country" in people else pd.Series(None, index=people.index)
    out["country"] = [c if isinstance(c, str) and c else None for c in countries]
    wanted = identifiers[identifiers["kind"].isin(list(IDENTIFIER_COLUMNS))
                         & identifiers["customer_id"].isin(set(out["unique_id"]))]
    grouped = (wanted.dropna(subset=["value"]).groupby(["customer_id", "kind"])["value"]
               .agg(lambda values: sorted(set(map(str, values)))))
    for kind, column in IDENTIFIER_COLUMNS.items():
        values = grouped.xs(kind, level="kind") if kind in grouped.index.get_level_values(
            "kind") else pd.Series(dtype=object)
        lists = out["unique_id"].map(values)
        out[column] = [v if isinstance(v, list) else [] for v in lists]
        out[kind + "0"] = [v[0] if v else None for v in out[column]]
    out["address_tokens"] = [sorted({w.lower() for text in values for w in _WORD.findall(text)})
                             for values in out["addresses"]]
    # The first address as street and house number: a neighbour (another number on the
    # same street, a few doors away) is near; a namesake on another street of one city is not.
    houses = [_HOUSE.match(values[0]) if values else None for values in out["addresses"]]
    out["street"] = [m.group(2) if m else None for m in houses]
    out["house"] = pd.array([int(m.group(1)) if m else None for m in houses], dtype="Int64")
    return out.loc[:, list(RECORD_COLUMNS)].reset_index(drop=True)
