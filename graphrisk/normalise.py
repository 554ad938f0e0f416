"""Normalise shared identifiers so that the same phone, e-mail or address written two ways
links the same customers.

Why: rings hide behind formatting. ``+1 (555) 010-2000`` and ``15550102000`` are one phone;
``J.Doe@Mail.com `` and ``j.doe@mail.com`` one mailbox. Each normaliser is vectorised over a
pandas Series because ingestion runs it on millions of rows.
"""

from __future__ import annotations

import ipaddress

import pandas as pd

from graphrisk.domain import IdentifierKind

__all__ = ["normalise_identifier", "normalise_identifiers", "identifier_id"]

_ADDRESS_WORDS = {
    "STREET": "ST", "STR": "ST", "AVENUE": "AVE", "AV": "AVE", "ROAD": "RD", "DRIVE": "DR",
    "LANE": "LN", "BOULEVARD": "BLVD", "APARTMENT": "APT", "FLAT": "APT", "SUITE": "STE",
    "NUMBER": "NO", "NORTH": "N", "SOUTH": "S", "EAST": "E", "WEST": "W", "PLACE": "PL",
    "SQUARE": "SQ", "COURT": "CT",
}


def _phone(values: pd.Series) -> pd.Series:
    digits = values.str.replace(r"\D+", "", regex=True)
    # International prefix "00" is the same as "+"; keep the rest as written.
    return digits.str.replace(r"^00", "", regex=True)


def _email(values: pd.Series) -> pd.Series:
    return values.str.strip().str.lower()


def _address(values: pd.Series) -> pd.Series:
    cleaned = (
        values.str.upper()
        .str.replace(r"[^\w\s]", " ", regex=True)
        .str.replace(r"\s+", " ", regex=True)
        .str.strip()
    )
    for word, short in _ADDRESS_WORDS.items():
        cleaned = cleaned.str.replace(rf"\b{word}\b", short, regex=True)
    return cleaned


def _device(values: pd.Series) -> pd.Series:
    return values.str.strip().str.lower()


def _ip_one(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return ""


_CANONICAL_IPV4 = r"((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"


def _ip(values: pd.Series) -> pd.Series:
    stripped = values.str.strip()
    # Most addresses are canonical IPv4 already; only the rest need the (slow) parser.
    canonical = stripped.str.fullmatch(_CANONICAL_IPV4).fillna(False).astype(bool)
    out = stripped.copy()
    out[~canonical] = stripped[~canonical].map(_ip_one)
    return out


_NORMALISERS = {
    IdentifierKind.PHONE: _phone,
    IdentifierKind.EMAIL: _email,
    IdentifierKind.ADDRESS: _address,
    IdentifierKind.DEVICE: _device,
    IdentifierKind.IP: _ip,
}


def normalise_identifiers(kinds: pd.Series, values: pd.Series) -> pd.Series:
    """Normalise many identifiers at once.

    Args:
        kinds: identifier kinds (``phone``, ``email``, ``address``, ``device``, ``ip``).
        values: raw values, aligned with ``kinds``.

    Returns:
        The normalised values; an empty string where a value normalises to nothing (a phone
        without digits, an unparseable IP), which the validator reports as an error.
    """
    values = values.astype("string").fillna("")
    out = pd.Series("", index=values.index, dtype="string")
    for kind, normaliser in _NORMALISERS.items():
        mask = kinds == kind.value
        if mask.any():
            out[mask] = normaliser(values[mask]).astype("string")
    return out.astype(str)


def normalise_identifier(kind: str, value: str) -> str:
    """Normalise one identifier; see :func:`normalise_identifiers`."""
    return str(normalise_identifiers(pd.Series([kind]), pd.Series([value])).iloc[0])


def identifier_id(kind: str, normalised_value: str) -> str:
    """The business id of an ``Identifier`` node: ``<kind>:<normalised value>``."""
    return f"{kind}:{normalised_value}"
