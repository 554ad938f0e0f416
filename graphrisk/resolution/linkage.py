"""Probabilistic record linkage of person customers with Splink (DuckDB backend).

Why Splink: it is the maintained reference implementation of the Fellegi–Sunter model
(match weights from m and u probabilities per comparison level), estimates those weights
without labels (u from random pairs, m by expectation maximisation within blocking rules),
and runs the pairwise work in DuckDB, so 100,000 records block, compare and score in
seconds. Version 5 works with pandas 3 on Python 3.11 (see docs/resolution.md).

The model compares, per pair the blocking rules let through:

* **name**: the folded, sorted tokens (:func:`graphrisk.resolution.records.name_columns`)
  equal (nickname, swapped order, transliteration folded to one sound) / the same
  initials and every token's best Jaro-Winkler partner >= 0.88 (a typo, another
  spelling) / the same initials, a shared full token and one name written with an
  initial (``J. Smith``) / the same initials and token similarity >= 0.75 / else;
* **birth year**: equal / one year apart / else;
* **phone** and **e-mail**: a normalised value in common / else;
* **address**: a normalised address in common / the same street, house numbers at most
  :data:`NEAR_HOUSES` apart (a neighbour) / else;
* **country**: equal / else.

Blocking (pairs compared): the same sound key of the longest name token and birth year; the
same name key; the same initials, birth year and country; the same sound key, initials and
country; the same street and initials; a shared first phone, e-mail or address. A pair
whose names have other initials is never linked, whatever identifiers it shares: that is
a ring, not one person.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from graphrisk.errors import AnalyticsError

__all__ = ["COMPARISONS", "LinkageResult", "link_records"]

logger = logging.getLogger("graphrisk.resolution")
# Splink warns, on Python's last-resort handler, about levels EM saw no pair in (normal on
# a bank with few duplicates); with a handler of its own those go where the application's
# logging sends them, not to every CLI user's terminal.
logging.getLogger("splink").addHandler(logging.NullHandler())

#: Comparison name -> its levels, best first (its weight is column ``mw_<name>``).
COMPARISONS: dict[str, tuple[str, ...]] = {
    "name": ("equal", "typo", "initials", "similar", "different"),
    "birth_year": ("equal", "one_year", "different"),
    "phone": ("shared", "different"),
    "email": ("shared", "different"),
    "address": ("shared", "near", "different"),
    "country": ("equal", "different"),
}
#: Share of one-person pairs that share a first phone, e-mail or address under the same
#: initials (measured on the generated bank: docs/resolution.md).
RULE_RECALL = 0.8
#: House numbers apart on one street that still count as a near address.
NEAR_HOUSES = 4
_PAIR_COLUMNS = ["unique_id_l", "unique_id_r", "match_probability", "match_weight",
                 *(f"mw_{name}" for name in COMPARISONS)]


@dataclass(frozen=True)
class LinkageResult:
    """Scored pairs above a probability, and the model that scored them.

    Attributes:
        pairs: ``unique_id_l``, ``unique_id_r`` (``_l`` < ``_r``), ``match_probability``,
            ``match_weight`` and ``mw_<comparison>`` (each comparison's part of the match
            weight, in bits: positive where the fields agreed, negative where they differ).
        model: Splink's settings with the estimated m and u probabilities (JSON-able).
        records: records compared.
    """

    pairs: pd.DataFrame
    model: dict
    records: int


def _best(mine: str, theirs: str) -> str:
    return (f"list_min(list_transform({mine}, lambda x: list_max(list_transform({theirs}, "
            "lambda y: jaro_winkler_similarity(x, y)))))")


def _alike(column: str) -> str:
    """The token similarity of two names: each full token's best Jaro-Winkler partner on
    the other side, the worst of these over both sides (so order does not matter)."""
    return (f"least(coalesce({_best(column + '_l', column + '_r')}, 0), "
            f"coalesce({_best(column + '_r', column + '_l')}, 0))")


def _covered(column: str) -> str:
    """Whether the name with fewer full tokens has a good partner for each of them on the
    other side (``L. Virtanen`` / ``Lea Virtnen``: an initial and a typo)."""
    return (f"greatest(coalesce({_best(column + '_l', column + '_r')}, 0), "
            f"coalesce({_best(column + '_r', column + '_l')}, 0))")


def _either_form(test: Callable[[str], str]) -> str:
    """``test`` on the names as written (same initials) or nicknames mapped (same mapped
    initials): ``Gretaa``/``Greta`` is a typo as written, ``Wiliam``/``Bill`` once mapped."""
    return (f"((initials_l = initials_r AND {test('tokens')}) OR "
            f"(canonical_initials_l = canonical_initials_r AND {test('canonical_tokens')}))")


def _list_level(column: str) -> str:
    return f"len(list_intersect({column}_l, {column}_r)) >= 1"


def _settings(n: int):  # -> SettingsCreator (import deferred: splink is a heavy import)
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    def null(column: str) -> dict:
        return {"sql_condition": f"{column}_l IS NULL OR {column}_r IS NULL",
                "is_null_level": True, "label_for_charts": "null"}

    def empty(column: str) -> dict:
        return {"sql_condition": f"len({column}_l) = 0 OR len({column}_r) = 0",
                "is_null_level": True, "label_for_charts": "none"}

    other = {"sql_condition": "ELSE", "label_for_charts": "else"}
    comparisons = [
        cl.CustomComparison(output_column_name="name", comparison_levels=[
            null("name_key"),
            # A common name agreeing says less than a rare one (term frequency).
            {"sql_condition": "name_key_l = name_key_r", "label_for_charts": "equal",
             "tf_adjustment_column": "name_key", "tf_adjustment_weight": 1.0},
            {"sql_condition": _either_form(lambda c: f"{_alike(c)} >= 0.88"),
             "label_for_charts": "typo"},
            {"sql_condition": "len(tokens_l) <> len(tokens_r) AND "
                              + _either_form(lambda c: f"{_covered(c)} >= 0.88"),
             "label_for_charts": "initials"},
            {"sql_condition": _either_form(lambda c: f"{_alike(c)} >= 0.75"),
             "label_for_charts": "similar"},
            other]),
        cl.CustomComparison(output_column_name="birth_year", comparison_levels=[
            null("birth_year"),
            {"sql_condition": "birth_year_l = birth_year_r", "label_for_charts": "equal"},
            {"sql_condition": "abs(birth_year_l - birth_year_r) <= 1",
             "label_for_charts": "one year"},
            other]),
        cl.CustomComparison(output_column_name="phone", comparison_levels=[
            empty("phones"), {"sql_condition": _list_level("phones"),
                              "label_for_charts": "shared"}, other]),
        cl.CustomComparison(output_column_name="email", comparison_levels=[
            empty("emails"), {"sql_condition": _list_level("emails"),
                              "label_for_charts": "shared"}, other]),
        cl.CustomComparison(output_column_name="address", comparison_levels=[
            empty("addresses"),
            {"sql_condition": _list_level("addresses"), "label_for_charts": "shared"},
            {"sql_condition": f"street_l = street_r AND abs(house_l - house_r) <= {NEAR_HOUSES}",
             "label_for_charts": "near"},
            other]),
        cl.CustomComparison(output_column_name="country", comparison_levels=[
            null("country"),
            {"sql_condition": "country_l = country_r", "label_for_charts": "equal"},
            other]),
    ]
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        blocking_rules_to_generate_predictions=[
            block_on("token_keys", "birth_year", arrays_to_explode=["token_keys"]),
            block_on("name_key"),
            block_on("initials", "birth_year", "country"),
            block_on("token_keys", "initials", "country", arrays_to_explode=["token_keys"]),
            block_on("street", "initials"),
            block_on("phone0"),
            block_on("email0"),
            block_on("address0"),
        ],
        comparisons=comparisons,
        # One record in a hundred has a second one: a prior the EM runs start from.
        probability_two_random_records_match=max(1.0 / max(n, 2), 1e-7),
        retain_intermediate_calculation_columns=True,
        retain_matching_columns=False,
    )


def link_records(records: pd.DataFrame, *, threshold: float = 0.5,
                 progress: Callable[[str], None] | None = None,
                 seed: int = 17) -> LinkageResult:
    """Score every blocked pair of ``records`` and keep those at or above ``threshold``.

    The m and u probabilities are estimated from the records themselves: u from random
    pairs, m by expectation maximisation on pairs blocked by identical name keys (which
    trains everything but the name) and by shared first phones (which trains the name).

    Args:
        records: :func:`graphrisk.resolution.records.person_records` rows.
        threshold: the least match probability kept.
        progress: called with the step's name.
        seed: seed of the random pairs u is estimated from (results repeat for one seed).

    Returns:
        The pairs and the estimated model.

    Raises:
        AnalyticsError: Splink failed; the message names the step.
    """
    from splink import DuckDBAPI, Linker, block_on

    step = progress or (lambda _name: None)
    n = len(records)
    empty = pd.DataFrame({column: pd.Series(dtype=object) for column in _PAIR_COLUMNS})
    if n < 2:
        return LinkageResult(empty, {}, n)
    stage = "registering records"
    try:
        db = DuckDBAPI()
        linker = Linker(db.register(records), _settings(n), log_level=None)
        stage = "estimating u from random pairs"
        step(stage)
        linker.training.estimate_u_using_random_sampling(
            max_pairs=min(2e6, max(1e5, n * 20.0)), seed=seed)
        # The prior: how many pairs are one person. Counted on pairs that share a phone,
        # an e-mail or an address under the same initials (near-certain matches), which
        # find about RULE_RECALL of them.
        stage = "estimating the share of matching pairs"
        step(stage)
        linker.training.estimate_probability_two_random_records_match(
            [f"l.{column}0 = r.{column}0 AND l.initials = r.initials"
             for column in ("phone", "email", "address")], recall=RULE_RECALL)
        sample = min(1.0, 200_000 / n)
        # Rings share phones and addresses among people of other names and ages: on
        # pairs blocked by a phone alone EM would learn that a match's names differ. Pairs
        # with a phone and a birth year in common are mostly one person.
        for rule in (block_on("name_key"), block_on("phone0", "birth_year")):
            stage = f"estimating m by expectation maximisation ({rule})"
            step("estimating m (EM)")
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, record_sample_proportion=sample)
        stage = "scoring blocked pairs"
        step(stage)
        predicted = linker.inference.predict(threshold_match_probability=threshold,
                                             warning_mode="never")
        pairs = predicted.as_pandas_dataframe()
        model = linker.misc.save_model_to_json()
    except Exception as error:  # noqa: BLE001 — wrapped with the step that failed
        raise AnalyticsError(f"entity resolution failed while {stage}: {error}; check the "
                             "records (person_records) or lower the number compared") from error
    pairs = pairs.loc[:, _PAIR_COLUMNS] if len(pairs) else empty
    # Names with other initials are never one person, whatever they share: people who
    # share identifiers under other names are a ring, for ring detection to find.
    by_id = records.set_index("unique_id")
    same = np.zeros(len(pairs), dtype=bool)
    for column in ("initials", "canonical_initials"):
        same |= (pairs["unique_id_l"].map(by_id[column]).to_numpy()
                 == pairs["unique_id_r"].map(by_id[column]).to_numpy())
    pairs = pairs.loc[same].copy()
    swap = pairs["unique_id_l"].astype(str) > pairs["unique_id_r"].astype(str)
    pairs.loc[swap, ["unique_id_l", "unique_id_r"]] = pairs.loc[
        swap, ["unique_id_r", "unique_id_l"]].to_numpy()
    pairs = pairs.sort_values(["match_probability", "unique_id_l", "unique_id_r"],
                              ascending=[False, True, True]).reset_index(drop=True)
    logger.info("entity resolution: %d records, %d pairs at or above %.2f", n, len(pairs),
                threshold)
    return LinkageResult(pairs, model, n)
