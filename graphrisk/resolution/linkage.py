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
  spelling) / the same initials, one name written with an initial (``J. Smith``) and the
  other's tokens each matched >= 0.88 / the same initials and at most
  :data:`SIMILAR_EDITS` edits a token (a typo in a short name) / else; "the same
  initials" as written or with nicknames mapped (``Bill``/``William``), each with its own
  tokens;
* **birth year**: equal / one year apart / two years apart / else;
* **phone** and **e-mail**: a normalised value in common / else;
* **address**: a normalised address in common / the same street, house numbers at most
  :data:`NEAR_HOUSES` apart (a neighbour) / else;
* **country**: equal / else.

Blocking (pairs compared): a sound key of any full name token and the birth year; the
same name key; the same initials, birth year and country; a sound key of any token, the
initials and country; the same street and initials; a shared first phone, e-mail or
address.

Rules on top (:data:`_LINKABLE`): a pair is linked only with the same initials, names at
least similar and birth years at most :data:`LINKABLE_YEARS` apart, whatever identifiers
it shares: people who share a phone and an address under other names are a ring or a
household (ring detection's job), twins of one surname and initial are two people, and a
parent and a child of one name are a generation apart.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd

from graphrisk.errors import AnalyticsError

__all__ = ["COMPARISONS", "LABEL_COLUMNS", "MIN_CONFIRMED", "LinkageResult", "link_records"]

logger = logging.getLogger("graphrisk.resolution")
# Splink warns, on Python's last-resort handler, about levels EM saw no pair in (normal on
# a bank with few duplicates); with a handler of its own those go where the application's
# logging sends them, not to every CLI user's terminal.
logging.getLogger("splink").addHandler(logging.NullHandler())
_SPLINK_LOGGER = logging.getLogger("splink")


@contextmanager
def _quiet_splink() -> Iterator[None]:
    """Splink's log at ERROR and above only, for the duration."""
    level = _SPLINK_LOGGER.level
    _SPLINK_LOGGER.setLevel(logging.ERROR)
    try:
        yield
    finally:
        _SPLINK_LOGGER.setLevel(level)

#: How one person's two records agree, per comparison and level (chart label), where the
#: bank is too small for EM to estimate it (EM needs a few dozen records sharing a name
#: key, or a phone, e-mail or address with a birth year): names mostly alike, sometimes a
#: typo, an initial or another spelling; birth years mostly equal; contact details often
#: shared. A prior, not fitted to any bank; a bank of a few thousand records trains its own.
M_PRIOR: dict[str, dict[str, float]] = {
    "name": {"equal": 0.70, "typo": 0.10, "initials": 0.08, "similar": 0.07, "else": 0.05},
    "birth_year": {"equal": 0.85, "one year": 0.10, "two years": 0.03, "else": 0.02},
    "phone": {"shared": 0.5, "else": 0.5},
    "email": {"shared": 0.4, "else": 0.6},
    "address": {"shared": 0.5, "near": 0.2, "else": 0.3},
    "country": {"equal": 0.95, "else": 0.05},
}
#: Comparison name -> its levels, best first (its weight is column ``mw_<name>``).
COMPARISONS: dict[str, tuple[str, ...]] = {
    "name": ("equal", "typo", "initials", "similar", "different"),
    "birth_year": ("equal", "one_year", "two_years", "different"),
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
#: The least m probability of a level: a level EM met no matching pair in (or did not
#: train) is rare among one person's records, not impossible; left at Splink's 1e-6 or
#: EM's near-zero, one such level outweighs every identifier the pair shares.
M_FLOOR = 1e-3
#: Edits a token may need to its partner at the name's ``similar`` level.
SIMILAR_EDITS = 2
#: Confirmed pairs needed before investigators' decisions train the m probabilities.
MIN_CONFIRMED = 10
#: ``labels`` columns of :func:`link_records`.
LABEL_COLUMNS = ("unique_id_l", "unique_id_r", "clerical_match_score")
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
        confirmed: investigators' confirmed pairs the m probabilities were trained on
            (0: expectation maximisation alone).
        rejected_above: investigators' rejected pairs still scored at or above the
            threshold (they stay in ``pairs``; the caller keeps them unlinked).
    """

    pairs: pd.DataFrame
    model: dict
    records: int
    confirmed: int = 0
    rejected_above: int = 0


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


def _edits(column: str) -> str:
    """The most edits (Damerau-Levenshtein: a letter dropped, added, changed or two
    swapped) any full token needs to become its nearest token on the other side, both
    ways (``Amir``/``Ameer``: 2; ``Nora``/``Norbert``: 4)."""
    def most(mine: str, theirs: str) -> str:
        return (f"list_max(list_transform({mine}, lambda x: list_min(list_transform("
                f"{theirs}, lambda y: damerau_levenshtein(x, y)))))")
    return (f"greatest(coalesce({most(column + '_l', column + '_r')}, 99), "
            f"coalesce({most(column + '_r', column + '_l')}, 99))")


def _either_form(test: Callable[[str], str]) -> str:
    """``test`` on the names as written (same initials) or nicknames mapped (same mapped
    initials): ``Gretaa``/``Greta`` is a typo as written, ``Wiliam``/``Bill`` once mapped."""
    return (f"((initials_l = initials_r AND {test('tokens')}) OR "
            f"(canonical_initials_l = canonical_initials_r AND {test('canonical_tokens')}))")


#: The name levels' conditions (Splink's comparison and the rules on top share them).
_NAME_EQUAL = "name_key_l = name_key_r"
_NAME_TYPO = _either_form(lambda c: f"{_alike(c)} >= 0.88")
_NAME_INITIALS = ("len(tokens_l) <> len(tokens_r) AND "
                  + _either_form(lambda c: f"{_covered(c)} >= 0.88"))
#: A typo in a short name Jaro-Winkler scores low (``Yra``/``Yara``, ``Nadj``/``Nagy``):
#: at most two edits a token. Not a similarity score: ``Nora``/``Norbert`` (0.81) are two
#: people, twins on one phone and address.
_NAME_SIMILAR = _either_form(lambda c: f"{_edits(c)} <= {SIMILAR_EDITS}")
#: When a scored pair may be linked at all, whatever it shares (the rules on top): the
#: same initials (as written or mapped), names at least similar, birth years at most
#: :data:`LINKABLE_YEARS` apart. People who share a phone and an address under other names
#: are a ring or a household, for ring detection; of one name and a generation apart, a
#: parent and a child.
LINKABLE_YEARS = 2
_LINKABLE = (f"(initials_l = initials_r OR canonical_initials_l = canonical_initials_r) AND "
             f"({_NAME_EQUAL} OR {_NAME_TYPO} OR {_NAME_INITIALS} OR {_NAME_SIMILAR}) AND "
             f"coalesce(abs(birth_year_l - birth_year_r) <= {LINKABLE_YEARS}, true)")
_LINKABLE_COLUMNS = ("initials", "canonical_initials", "name_key", "tokens",
                     "canonical_tokens", "birth_year")


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
            {"sql_condition": _NAME_EQUAL, "label_for_charts": "equal",
             "tf_adjustment_column": "name_key", "tf_adjustment_weight": 1.0},
            {"sql_condition": _NAME_TYPO, "label_for_charts": "typo"},
            {"sql_condition": _NAME_INITIALS, "label_for_charts": "initials"},
            {"sql_condition": _NAME_SIMILAR, "label_for_charts": "similar"},
            other]),
        cl.CustomComparison(output_column_name="birth_year", comparison_levels=[
            null("birth_year"),
            {"sql_condition": "birth_year_l = birth_year_r", "label_for_charts": "equal"},
            {"sql_condition": "abs(birth_year_l - birth_year_r) <= 1",
             "label_for_charts": "one year"},
            # Each record's year one off (a year computed from an age): two apart.
            {"sql_condition": "abs(birth_year_l - birth_year_r) <= 2",
             "label_for_charts": "two years"},
            other]),
        cl.CustomComparison(output_column_name="phone", comparison_levels=[
            # phone0 named (it is in phones): Splink then leaves the phone untrained by
            # the EM run blocked on it, where every pair shares one (m would be 1).
            empty("phones"), {"sql_condition": f"phone0_l = phone0_r OR "
                                               f"{_list_level('phones')}",
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
                 seed: int = 17, labels: pd.DataFrame | None = None) -> LinkageResult:
    """Score every blocked pair of ``records`` and keep those at or above ``threshold``.

    The m and u probabilities are estimated from the records themselves: u from random
    pairs, m by expectation maximisation on pairs blocked by identical name keys (which
    trains everything but the name) and by shared first phones and birth years (which
    trains the name). With at least :data:`MIN_CONFIRMED` confirmed pairs in ``labels``,
    m is also estimated from them (Splink's ``estimate_m_from_pairwise_labels``: the
    share of confirmed pairs at each level); each level's m is then the median of its
    estimates (Splink's rule: with one EM estimate, the mean of EM's and the labels'), so
    the investigators' decisions move the model without a few dozen pairs, chosen from
    what the model already found, replacing it. Fewer confirmed pairs leave EM in charge.
    Rejected pairs (score 0) train nothing (Splink's estimate takes every labelled pair as
    a match); :attr:`LinkageResult.rejected_above` counts those still scored as a match.
    Last, a level's m below :data:`M_FLOOR` (not observed in training) is raised to it,
    and a u no random pair was seen at is one in the pairs sampled. A pair is linked only
    if it passes the rules on top (:data:`_LINKABLE`): the same initials, names at least
    similar, birth years at most :data:`LINKABLE_YEARS` apart.

    Args:
        records: :func:`graphrisk.resolution.records.person_records` rows.
        threshold: the least match probability kept.
        progress: called with the step's name.
        seed: seed of the random pairs u is estimated from (results repeat for one seed).
        labels: investigators' decisions, :data:`LABEL_COLUMNS`: two record ids and
            ``clerical_match_score`` 1.0 (confirmed: one person) or 0.0 (rejected);
            pairs with an id not in ``records`` are ignored.

    Returns:
        The pairs and the estimated model.

    Raises:
        ValueError: ``labels`` lacks a column of :data:`LABEL_COLUMNS`.
        AnalyticsError: Splink failed; the message names the step.
    """
    import duckdb
    from splink import DuckDBAPI, Linker, block_on

    step = progress or (lambda _name: None)
    n = len(records)
    confirmed, rejected = _split_labels(labels, records)
    empty = pd.DataFrame({column: pd.Series(dtype=object) for column in _PAIR_COLUMNS})
    if n < 2:
        return LinkageResult(empty, {}, n)
    stage = "registering records"
    # Splink warns about every level EM saw no pair in (normal on a bank with few
    # duplicates): the user can do nothing about them, so only its errors are let through.
    with _quiet_splink():
        try:
            connection = duckdb.connect()
            db = DuckDBAPI(connection=connection)
            table = db.register(records)
            linker = Linker(table, _settings(n), log_level=None)
            stage = "estimating u from random pairs"
            step(stage)
            max_pairs = min(2e6, max(1e5, n * 20.0))
            linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed)
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
            # pairs blocked by a phone alone EM would learn that a match's names differ.
            # Pairs with a phone and a birth year in common are mostly one person, so the
            # name is trained on those. On a small bank that session may fail (a level sees
            # no pair and EM drives its m to 0, which Splink refuses); a shared e-mail,
            # then a shared address, with the birth year stand in for it. A comparison no
            # session could train takes its m from M_PRIOR.
            for choices in ((block_on("name_key"),),
                            (block_on("phone0", "birth_year"), block_on("email0", "birth_year"),
                             block_on("address0", "birth_year"))):
                for rule in choices:
                    stage = f"estimating m by expectation maximisation ({rule})"
                    step("estimating m (EM)")
                    before = linker.misc.save_model_to_json()
                    try:
                        linker.training.estimate_parameters_using_expectation_maximisation(
                            rule, record_sample_proportion=sample)
                        break
                    except Exception as error:  # noqa: BLE001 — the next rule stands in
                        logger.info("entity resolution: EM on %s failed (%s)", rule,
                                    str(error).splitlines()[0][:200])
                        # A failed session leaves the comparisons it set aside (those of
                        # its blocking columns) out of the linker: start from before it.
                        linker = Linker(table, before, log_level=None)
            trained_on = 0
            if len(confirmed) >= MIN_CONFIRMED:
                stage = f"estimating m from {len(confirmed)} confirmed pairs"
                step("estimating m from confirmed pairs")
                linker.training.estimate_m_from_pairwise_labels(
                    db.register(confirmed.loc[:, ["unique_id_l", "unique_id_r"]]))
                trained_on = len(confirmed)
            stage = "smoothing the estimates"
            model = linker.misc.save_model_to_json()
            untrained = _fill_untrained(model, M_PRIOR)
            if untrained:
                logger.warning("entity resolution: too few records to estimate how %s vary "
                               "between one person's records; using the prior (M_PRIOR)",
                               ", ".join(untrained))
            model = _smoothed(model, u_floor=1.0 / max_pairs)
            linker = Linker(table, model, log_level=None)
            stage = "scoring blocked pairs"
            step(stage)
            predicted = linker.inference.predict(threshold_match_probability=threshold,
                                                 warning_mode="never")
            stage = "applying the rules on top"
            sides = ", ".join(f"{side}.{column} AS {column}_{side}" for side in "lr"
                              for column in _LINKABLE_COLUMNS)
            pairs = connection.execute(
                f"SELECT {', '.join(_PAIR_COLUMNS)} "
                f"FROM (SELECT p.*, {sides} FROM {predicted.physical_name} p "
                f"JOIN {table.physical_name} l ON p.unique_id_l = l.unique_id "
                f"JOIN {table.physical_name} r ON p.unique_id_r = r.unique_id) "
                f"WHERE {_LINKABLE}").df()
        except Exception as error:  # noqa: BLE001 — wrapped with the step that failed
            raise AnalyticsError(f"entity resolution failed while {stage}: {error}; check the "
                                 "records (person_records) or lower the number compared") from error
    pairs = pairs.loc[:, _PAIR_COLUMNS].copy() if len(pairs) else empty
    swap = pairs["unique_id_l"].astype(str) > pairs["unique_id_r"].astype(str)
    pairs.loc[swap, ["unique_id_l", "unique_id_r"]] = pairs.loc[
        swap, ["unique_id_r", "unique_id_l"]].to_numpy()
    pairs = pairs.sort_values(["match_probability", "unique_id_l", "unique_id_r"],
                              ascending=[False, True, True]).reset_index(drop=True)
    found = set(zip(pairs["unique_id_l"], pairs["unique_id_r"], strict=True))
    rejected_above = sum(pair in found for pair in
                         zip(rejected["unique_id_l"], rejected["unique_id_r"], strict=True))
    logger.info("entity resolution: %d records, %d pairs at or above %.2f (m trained on %d "
                "confirmed pairs; %d rejected pairs scored above)", n, len(pairs), threshold,
                trained_on, rejected_above)
    return LinkageResult(pairs, model, n, trained_on, rejected_above)


def _split_labels(labels: pd.DataFrame | None,
                  records: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Confirmed and rejected pairs of ``labels`` between records, ids sorted, each once."""
    if labels is None:
        labels = pd.DataFrame({column: pd.Series(dtype=object) for column in LABEL_COLUMNS})
    missing = [column for column in LABEL_COLUMNS if column not in labels]
    if missing:
        raise ValueError(f"labels lack column(s) {missing}; expected {list(LABEL_COLUMNS)}")
    known = set(records["unique_id"].astype(str))
    left = labels["unique_id_l"].astype(str)
    right = labels["unique_id_r"].astype(str)
    first = (left <= right).to_numpy()
    frame = pd.DataFrame({"unique_id_l": np.where(first, left, right),
                          "unique_id_r": np.where(first, right, left),
                          "score": pd.to_numeric(labels["clerical_match_score"],
                                                 errors="coerce").to_numpy()})
    frame = frame[frame["unique_id_l"].isin(known) & frame["unique_id_r"].isin(known)
                  & (frame["unique_id_l"] != frame["unique_id_r"]) & frame["score"].notna()]
    frame = frame.drop_duplicates(["unique_id_l", "unique_id_r"], keep="last")
    confirmed = frame[frame["score"] >= 0.5].reset_index(drop=True)
    return confirmed, frame[frame["score"] < 0.5].reset_index(drop=True)


def _fill_untrained(model: dict, prior: dict[str, dict[str, float]]) -> list[str]:
    """Give every comparison no level of which was trained its ``prior`` m values, in
    place; return the names of those comparisons."""
    filled = []
    for comparison in model["comparisons"]:
        name = comparison.get("output_column_name")
        levels = [level for level in comparison["comparison_levels"]
                  if not level.get("is_null_level")]
        if name not in prior or any(isinstance(level.get("m_probability"), float | int)
                                    for level in levels):
            continue
        for level in levels:
            level["m_probability"] = prior[name].get(level.get("label_for_charts"), M_FLOOR)
        filled.append(name)
    return filled


def _smoothed(model: dict, *, u_floor: float) -> dict:
    """``model`` with each level's m at least :data:`M_FLOOR`, and a u that random pairs
    never met set to ``u_floor`` or to the u of the level above, whichever is larger: a
    looser level (a neighbour's address) is no rarer among two people than a stricter one
    (the same address)."""
    for comparison in model["comparisons"]:
        above = 0.0
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            m, u = level.get("m_probability"), level.get("u_probability")
            if not (isinstance(m, float | int) and m >= M_FLOOR):
                level["m_probability"] = M_FLOOR
            if not (isinstance(u, float | int) and u > 0):
                level["u_probability"] = max(u_floor, above)
            above = float(level["u_probability"])
    return model
