"""Validate raw records against the input format, vectorised over whole columns.

Every check turns a column into a boolean mask of bad rows and a reason; a row with any error
is quarantined (with one report line per broken column) and every other row loads. Checks run
on whole columns because ingestion must keep up with tens of thousands of rows per second.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
import pycountry

from graphrisk.domain import FEATURE_NAME_PATTERN, ID_PATTERN, Column, EntitySpec
from graphrisk.ingestion.reader import ROW_COLUMN, Problem, RawTable
from graphrisk.normalise import normalise_identifiers

__all__ = ["ReferenceIndex", "ValidatedTable", "validate_table"]

_CONTROL_CHARS = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
_MAX_TEXT = 1000
_CURRENCIES = frozenset(c.alpha_3 for c in pycountry.currencies)
_COUNTRIES = frozenset(c.alpha_2 for c in pycountry.countries) | {"XK"}  # Kosovo, in use


@dataclass
class ReferenceIndex:
    """Ids each entity is known to have: already stored, or valid earlier in this load.

    ``rejected`` remembers ids whose own row was quarantined in this load, so a reference to
    them is reported as a consequence of that row, not as an unknown id.
    """

    known: dict[str, set[str]] = field(default_factory=dict)
    rejected: dict[str, set[str]] = field(default_factory=dict)

    def add(self, entity: str, ids: Iterable[str]) -> None:
        self.known.setdefault(entity, set()).update(ids)

    def reject(self, entity: str, ids: Iterable[str]) -> None:
        known = self.known.get(entity, set())
        self.rejected.setdefault(entity, set()).update(i for i in ids if i not in known)


@dataclass
class ValidatedTable:
    """The outcome of validating one file.

    ``valid`` holds typed, normalised rows ready for a store (plus :data:`ROW_COLUMN`);
    ``rejected`` the raw rows that were quarantined; ``problems`` every finding.
    """

    source: str
    spec: EntitySpec
    valid: pd.DataFrame
    rejected: pd.DataFrame
    problems: list[Problem]
    rows_read: int

    @property
    def error_count(self) -> int:
        return sum(1 for p in self.problems if p.severity == "error")


class _Checker:
    """Collects bad-row masks and problems for one table."""

    def __init__(self, raw: RawTable) -> None:
        self.source = raw.source
        self.frame = raw.frame
        self.rows = raw.frame[ROW_COLUMN].to_numpy()
        self.bad = np.zeros(len(raw.frame), dtype=bool)
        self.problems: list[Problem] = list(raw.problems)

    def flag(self, mask: pd.Series | np.ndarray, column: str | None, reason: str,
             values: pd.Series | None = None, severity: str = "error") -> None:
        mask_array = np.asarray(mask, dtype=bool)
        if not mask_array.any():
            return
        if severity == "error":
            self.bad |= mask_array
        positions = np.flatnonzero(mask_array)
        shown = values.to_numpy()[positions] if values is not None else [None] * len(positions)
        for position, value in zip(positions, shown, strict=True):
            self.problems.append(Problem(
                self.source, int(self.rows[position]), column,
                None if value is None else str(value), reason, severity,
            ))

    def flag_each(self, mask: pd.Series, column: str, reasons: pd.Series,
                  values: pd.Series) -> None:
        """Like :meth:`flag`, with a reason per row."""
        mask_array = np.asarray(mask, dtype=bool)
        self.bad |= mask_array
        for position in np.flatnonzero(mask_array):
            self.problems.append(Problem(
                self.source, int(self.rows[position]), column, str(values.iloc[position]),
                str(reasons.iloc[position]),
            ))


def _strings(frame: pd.DataFrame, name: str) -> pd.Series:
    """A column as stripped strings (Arrow-backed, so string checks run in C++)."""
    if name not in frame.columns:
        return pd.Series("", index=frame.index, dtype="str")
    return frame[name].astype("str").fillna("").str.strip()


def _in_set(values: pd.Series, known: set[str]) -> np.ndarray:
    """Membership in a large Python set.

    Why not ``Series.isin``: on Arrow-backed strings it converts every member of the set to
    an Arrow scalar first, which costs seconds for a million known ids.
    """
    return np.fromiter(map(known.__contains__, values.tolist()), dtype=bool, count=len(values))


def _today() -> date:
    return datetime.now(UTC).date()


def _check_column(checker: _Checker, column: Column, text: pd.Series) -> pd.Series:
    """Check one column; returns the typed values (``None``/NaN where empty or bad)."""
    empty = text == ""
    present = ~empty
    name = column.name
    if column.required:
        checker.flag(empty, name, "required value is missing")
    kind = column.kind
    if kind == "id":
        bad = present & ~text.str.fullmatch(ID_PATTERN).fillna(False).astype(bool)
        checker.flag(bad, name, "not a valid id: use 1-64 letters, digits or . _ : @ -", text)
        return text.where(present, None)
    if kind == "text":
        checker.flag(present & text.str.contains(_CONTROL_CHARS, regex=True).astype(bool),
                     name, "value contains control characters", text.str.slice(0, 40))
        checker.flag(text.str.len() > _MAX_TEXT, name,
                     f"value is longer than {_MAX_TEXT} characters", text.str.slice(0, 40))
        return text.where(present, None)
    if kind in ("int", "float"):
        numbers = pd.to_numeric(text.where(present), errors="coerce").astype("float64")
        not_number = present & (numbers.isna() | ~np.isfinite(numbers.fillna(0)))
        word = "a whole number" if kind == "int" else "a number (use . for decimals)"
        checker.flag(not_number, name, f"not {word}", text)
        if kind == "int":
            fractional = present & ~not_number & (numbers != numbers.round())
            checker.flag(fractional, name, "not a whole number", text)
        ok = present & ~not_number
        if column.minimum is not None:
            checker.flag(ok & (numbers < column.minimum), name,
                         f"below the minimum {column.minimum:g}", text)
        if column.maximum is not None:
            checker.flag(ok & (numbers > column.maximum), name,
                         f"above the maximum {column.maximum:g}", text)
        if kind == "int":
            return numbers.round().astype("Int64").where(ok, pd.NA)
        return numbers.where(ok)
    if kind in ("date", "datetime"):
        if kind == "date":
            parsed = pd.to_datetime(text.where(present), format="%Y-%m-%d", errors="coerce")
            checker.flag(present & parsed.isna(), name, "not a date in YYYY-MM-DD form", text)
        else:
            parsed = pd.to_datetime(text.where(present), format="ISO8601", utc=True,
                                    errors="coerce").dt.tz_localize(None)
            checker.flag(present & parsed.isna(), name,
                         "not an ISO 8601 date-time (YYYY-MM-DDTHH:MM:SS)", text)
        ok = present & parsed.notna()
        if column.minimum is not None:
            checker.flag(ok & (parsed.dt.year < column.minimum), name,
                         f"date before {int(column.minimum)}", text)
        tomorrow = pd.Timestamp(_today() + timedelta(days=1))
        checker.flag(ok & (parsed >= tomorrow), name, "date is in the future", text)
        # numpy formats ISO dates in C, many times faster than ``.dt.strftime``.
        text_values = np.datetime_as_string(parsed.to_numpy(dtype="datetime64[s]"),
                                            unit="D" if kind == "date" else "s")
        return pd.Series(text_values, index=parsed.index, dtype="str").where(ok, None)
    if kind == "enum":
        lowered = text.str.lower()
        bad = present & ~lowered.isin(column.choices)
        checker.flag(bad, name, f"not one of: {', '.join(column.choices)}", text)
        return lowered.where(present & ~bad, None)
    if kind in ("currency", "country"):
        upper = text.str.upper()
        allowed, what = ((_CURRENCIES, "an ISO 4217 currency code (e.g. EUR)")
                         if kind == "currency" else
                         (_COUNTRIES, "an ISO 3166-1 alpha-2 country code (e.g. DE)"))
        bad = present & ~upper.isin(allowed)
        checker.flag(bad, name, f"not {what}", text)
        return upper.where(present & ~bad, None)
    raise ValueError(f"unknown column kind {kind!r}")


def _check_one_of(checker: _Checker, spec: EntitySpec, typed: dict[str, pd.Series]) -> None:
    for group in spec.one_of:
        filled = sum(typed[name].notna().astype(int) for name in group)
        checker.flag(filled == 0, group[0], f"one of {', '.join(group)} is required")
        checker.flag(filled > 1, group[0], f"only one of {', '.join(group)} may be filled")
    for group in spec.at_most_one_of:
        filled = sum(typed[name].notna().astype(int) for name in group)
        checker.flag(filled > 1, group[1], f"at most one of {', '.join(group)} may be filled")
    if spec.name == "transactions":
        external = typed["from_counterparty_id"].notna() & typed["to_counterparty_id"].notna()
        checker.flag(external, "to_counterparty_id",
                     "both sides are counterparties; a transaction needs one of our accounts")


def _check_date_order(checker: _Checker, typed: dict[str, pd.Series]) -> None:
    for start, end in (("opened_date", "closed_date"),):
        if start in typed and end in typed:
            both = typed[start].notna() & typed[end].notna()
            earlier = both & (typed[end].fillna("") < typed[start].fillna(""))
            checker.flag(earlier, end, f"{end} is before {start}", typed[end])


def _check_identifiers(checker: _Checker, typed: dict[str, pd.Series], raw: pd.Series) -> None:
    kinds = typed["kind"].fillna("")
    values = typed["value"].fillna("")
    normalised = pd.Series(normalise_identifiers(kinds, values), index=values.index,
                           dtype=object)
    usable = kinds.ne("") & values.ne("")
    checker.flag(usable & normalised.eq(""), "value",
                 "identifier normalises to nothing (a phone needs digits, an IP must parse)",
                 raw)
    checker.flag(usable & kinds.eq("email") & ~values.str.contains("@", regex=False), "value",
                 "not an e-mail address", raw)
    typed["raw_value"] = typed["value"]
    typed["value"] = normalised.where(usable & normalised.ne(""), None)
    typed["identifier_id"] = (kinds + ":" + normalised).where(typed["value"].notna(), None)


def _check_feature_names(checker: _Checker, typed: dict[str, pd.Series]) -> None:
    """Customer feature names are lower-cased (``F0`` and ``f0`` are one feature), then
    checked, because models turn them into column names (``feature:<name>``)."""
    names = typed["feature"]
    lowered = names.str.lower()
    bad = names.notna() & ~lowered.str.fullmatch(FEATURE_NAME_PATTERN).fillna(False).astype(bool)
    checker.flag(bad, "feature", "not a feature name: use 1-64 lower-case letters, digits or "
                 "_ . -", names)
    typed["feature"] = lowered.where(names.notna() & ~bad, None)


def _check_references(checker: _Checker, spec: EntitySpec, typed: dict[str, pd.Series],
                      refs: ReferenceIndex) -> None:
    for column in spec.columns:
        if not column.references:
            continue
        values = typed[column.name]
        present = values.notna()
        if not present.any():
            continue
        known = refs.known.get(column.references, set())
        unknown = present & ~_in_set(values, known)
        if not unknown.any():
            continue
        rejected = refs.rejected.get(column.references, set())
        target = column.references
        unknown_reason = f"unknown {column.name}: not in {target} of this load nor in the store"
        reasons = values.map(
            lambda v, t=target, r=rejected, u=unknown_reason: (
                f"refers to {t} id {v!r}, whose own row in {t} was quarantined" if v in r else u
            )
        )
        checker.flag_each(unknown, column.name, reasons, values)


def _check_duplicates(checker: _Checker, spec: EntitySpec, typed: pd.DataFrame) -> None:
    """Rows sharing a key: exact copies load once; any other difference loads none of them.

    A copy that was quarantined for its own errors still counts: loading the other copy
    would pick one of two versions of the record without a word, so the whole group is
    quarantined, as for copies that differ.
    """
    key = list(spec.key)
    already_bad = checker.bad.copy()
    has_key = typed[key].notna().all(axis=1).to_numpy()
    candidates = typed[has_key]
    duplicated = candidates.duplicated(key, keep=False)
    if not duplicated.any():
        return
    compare = [c for c in spec.column_names if c in typed.columns]
    groups = candidates[duplicated].groupby(key, sort=False, dropna=False)
    label = ", ".join(key)
    for key_value, group in groups:
        positions = typed.index.get_indexer(group.index)
        bad_rows = [int(r) for r, p in zip(group[ROW_COLUMN], positions, strict=True)
                    if already_bad[p]]
        if len(bad_rows) == len(group):
            continue  # every copy is quarantined already, each with its own reason
        rows = group[ROW_COLUMN].tolist()
        shown = key_value if isinstance(key_value, str) else "/".join(map(str, key_value))
        mask = np.zeros(len(typed), dtype=bool)
        mask[positions] = True
        if bad_rows:
            quarantined = ", ".join(map(str, bad_rows))
            checker.flag(
                mask, label,
                f"{label} {shown!r} appears on rows {', '.join(map(str, rows))}; row"
                f"{'s' if len(bad_rows) > 1 else ''} {quarantined} "
                f"{'were' if len(bad_rows) > 1 else 'was'} quarantined; none of them was "
                "loaded: fix the source and load again",
            )
            continue
        distinct = group[compare].astype(str).drop_duplicates()
        if len(distinct) == 1:
            later = np.zeros(len(typed), dtype=bool)
            later[positions[1:]] = True
            checker.flag(later, label, f"exact duplicate of row {rows[0]}; loaded once",
                         severity="warning")
            checker.bad |= later  # skip the copy, but it is not an error
            continue
        differing = [c for c in compare if group[c].astype(str).nunique() > 1]
        checker.flag(
            mask, label,
            f"{label} {shown!r} appears on rows {', '.join(map(str, rows))} with different "
            f"{', '.join(differing)}; none of them was loaded: fix the source and load again",
        )


def validate_table(raw: RawTable, refs: ReferenceIndex) -> ValidatedTable:
    """Validate the records of one file.

    Args:
        raw: the file's records as read by :func:`graphrisk.ingestion.reader.read_entity_file`.
        refs: ids that references may name; the caller adds this table's valid ids afterwards.

    Returns:
        Valid rows (typed and normalised), rejected raw rows, and every problem found.
    """
    spec = raw.spec
    checker = _Checker(raw)
    frame = raw.frame
    typed: dict[str, pd.Series] = {}
    for column in spec.columns:
        typed[column.name] = _check_column(checker, column, _strings(frame, column.name))
    if spec.name == "identifiers":
        _check_identifiers(checker, typed, _strings(frame, "value"))
    if spec.name == "customer_features":
        _check_feature_names(checker, typed)
    _check_one_of(checker, spec, typed)
    _check_date_order(checker, typed)
    _check_references(checker, spec, typed, refs)
    typed[ROW_COLUMN] = frame[ROW_COLUMN]
    typed_frame = pd.DataFrame(typed, index=frame.index)
    _check_duplicates(checker, spec, typed_frame)

    errors_by_row = {p.row for p in checker.problems if p.severity == "error"}
    rejected_mask = frame[ROW_COLUMN].isin(errors_by_row).to_numpy()
    valid = typed_frame[~checker.bad].reset_index(drop=True)
    rejected = frame[rejected_mask].reset_index(drop=True)
    checker.problems.sort(key=lambda p: (p.row is not None, p.row or 0, p.column or ""))
    return ValidatedTable(raw.source, spec, valid, rejected, checker.problems, raw.rows_read)
