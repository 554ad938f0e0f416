"""Why two records are probably one person, in words a person can check.

Why from the records and not from the model's levels: an investigator checks the names,
years and identifiers themselves, so the sentence quotes them (``name 'Jon Smyth' ~ 'John
Smith' (0.93); same birth year 1971; same phone '4915112345'; addresses on the same
street, 2 doors apart: '12 MILL LANE' ~ '14 MILL LANE'; match 0.97``); the similarity of
the names is screening's (:func:`graphrisk.screening.matching.name_similarity`), so both
features speak of names alike. Identifiers are quoted as the store holds them
(normalised), one value each: the first in common.
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
        ``birth year``, ``phone``, ``e-mail``, ``address``, ``near address``, ``country``);
        ``sentence`` quotes them, one ``;``-separated part each (birth years two apart are
        quoted too, not counted as agreeing), and ends with the match probability.
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
        elif abs(int(year_l) - int(year_r)) <= 2:
            if abs(int(year_l) - int(year_r)) == 1:
                agreed.append("birth year")
            parts.append(f"birth years {int(year_l)} and {int(year_r)}")
    for column, label in _IDENTIFIERS:
        shared = sorted(set(left[column]) & set(right[column]))
        if shared:
            agreed.append(label)
            parts.append(f"same {label} '{shared[0]}'")
        elif column == "addresses" and (doors := _doors_apart(left, right)) is not None:
            agreed.append("near address")
            parts.append(f"addresses on the same street, {doors} door{'s' * (doors != 1)} "
                         f"apart: '{left[column][0]}' ~ '{right[column][0]}'")
    if isinstance(left["country"], str) and left["country"] == right["country"]:
        agreed.append("country")
        parts.append(f"same country {left['country']}")
    parts.append(f"match {probability:.2f}")
    return tuple(agreed), "; ".join(parts)


def _doors_apart(left: Mapping[str, Any], right: Mapping[str, Any]) -> int | None:
    """How many house numbers apart the first addresses are on one street (at most
    :data:`~graphrisk.resolution.linkage.NEAR_HOUSES`), else ``None``."""
    street, house = left.get("street"), left.get("house")
    if not isinstance(street, str) or street != right.get("street"):
        return None
    if pd.isna(house) or pd.isna(right.get("house")):
        return None
    apart = abs(int(house) - int(right["house"]))
    return apart if apart <= NEAR_HOUSES else None
