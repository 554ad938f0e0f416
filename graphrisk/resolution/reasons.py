"""Why two records are probably one person, in words a person can check.

Why from the records and not from the model's levels: an investigator checks the names,
years and identifiers themselves, so the sentence quotes them (``name 'Jon Smyth' ~ 'John
Smith' (0.93); same birth year 1971; same phone; match 0.97``); the similarity of the names
is screening's (:func:`graphrisk.screening.matching.name_similarity`), so both features
speak of names alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from graphrisk.resolution.linkage import NEAR_HOUSES
from graphrisk.screening.matching import name_similarity
from graphrisk.screening.names import normalise_name

__all__ = ["pair_reasons"]

_IDENTIFIERS = (("phones", "phone"), ("emails", "e-mail"), ("addresses", "address"))


def pair_reasons(left: Mapping[str, Any], right: Mapping[str, Any],
                 probability: float) -> tuple[tuple[str, ...], str]:
    """The fields that agreed and the sentence of a pair.

    Args:
        left / right: rows of :func:`graphrisk.resolution.records.person_records`.
        probability: the pair's match probability.

    Returns:
        ``(agreed, sentence)``: ``agreed`` names each field that agreed (``name``,
        ``birth year``, ``phone``, ``e-mail``, ``address``, ``near address``, ``country``).
    """
    agreed: list[str] = []
    parts: list[str] = []
    score = name_similarity(normalise_name(left["name"]), normalise_name(right["name"]))
    if score >= 0.999:
        parts.append(f"same name '{left['name']}'" if left["name"] == right["name"]
                     else f"name '{left['name']}' = '{right['name']}'")
    else:
        parts.append(f"name '{left['name']}' ~ '{right['name']}' ({score:.2f})")
    agreed.append("name")
    year_l, year_r = left["birth_year"], right["birth_year"]
    if not (pd.isna(year_l) or pd.isna(year_r)):
        if int(year_l) == int(year_r):
            agreed.append("birth year")
            parts.append(f"same birth year {int(year_l)}")
        elif abs(int(year_l) - int(year_r)) == 1:
            agreed.append("birth year")
            parts.append(f"birth years {int(year_l)} and {int(year_r)}")
    for column, label in _IDENTIFIERS:
        if set(left[column]) & set(right[column]):
            agreed.append(label)
            parts.append(f"same {label}")
        elif column == "addresses" and _near(left, right):
            agreed.append("near address")
            parts.append("address nearly the same")
    if isinstance(left["country"], str) and left["country"] == right["country"]:
        agreed.append("country")
        parts.append(f"same country {left['country']}")
    parts.append(f"match {probability:.2f}")
    return tuple(agreed), "; ".join(parts)


def _near(left: Mapping[str, Any], right: Mapping[str, Any]) -> bool:
    street, house = left.get("street"), left.get("house")
    if not isinstance(street, str) or street != right.get("street"):
        return False
    if pd.isna(house) or pd.isna(right.get("house")):
        return False
    return abs(int(house) - int(right["house"])) <= NEAR_HOUSES
