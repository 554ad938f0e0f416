"""Identifier strings (phone, email, address, device, IP) and account-change values.

Why numbers first: each distinct identifier value is a number ("base"); customers who share an
identifier share its number, and only here does a number become text, written in one of
several equivalent ways (``+49 151 ...`` or ``0049151...``), so that matching identifiers
needs normalisation, as with real data. Equal bases always give equal normalised values.
"""

from __future__ import annotations

import numpy as np

from graphrisk.domain import CHANGE_KINDS

from .lookups import (
    COUNTRIES,
    COUNTRY_CITY,
    COUNTRY_PHONE,
    EMAIL_DOMAINS,
    FIRST_NAMES,
    LAST_NAMES,
    STREET_KINDS,
    STREETS,
)
from .world import Customers, World

__all__ = [
    "ATTACKER_BASE",
    "change_values",
    "identifier_texts",
]

# Identifier "bases": each distinct identifier value is a number; customers who share an
# identifier share its number. Numbers from these offsets never clash with customer indices.
_FRESH_BASE = 50_000_000  # new values in account changes
ATTACKER_BASE = 90_000_000  # devices of account-takeover attackers
# Houses per flat number: streets x street kinds x 199 house numbers; 7,919 (a prime) is coprime.
_ADDRESS_BLOCK = len(STREETS) * len(STREET_KINDS) * 199


def _phone_text(number: int, code: str, variant: int) -> str:
    digits = f"{6 + number % 3}{number % 10**9:09d}"  # a mobile-looking national number
    area, mid, tail = digits[:3], digits[3:6], digits[6:]
    if variant == 0:
        return f"+{code} ({area}) {mid}{tail[:1]}-{tail[1:]}"
    if variant == 1:
        return f"{code}{digits}"
    if variant == 2:
        return f"+{code} {area} {mid} {tail}"
    if variant == 3:
        return f"00{code} {area} {mid} {tail}"
    return f"+{code}-{area}-{mid}-{tail}"


def _email_text(local: str, domain: str, variant: int) -> str:
    text = f"{local}@{domain}"
    if variant == 0:
        return text.lower()
    if variant == 1:
        return text.upper()
    return f"{local}@{domain.capitalize()}"


def _address_text(base: int, city: str, variant: int) -> str:
    # Shuffle within blocks of one house per street, kind and number, so that neighbouring
    # bases do not live next door; the block number becomes the flat (none in block 0).
    mixed = (base % _ADDRESS_BLOCK) * 7_919 % _ADDRESS_BLOCK
    flat = base // _ADDRESS_BLOCK
    street = STREETS[mixed % len(STREETS)]
    long_kind, short_kind = STREET_KINDS[(mixed // len(STREETS)) % len(STREET_KINDS)]
    house = mixed // (len(STREETS) * len(STREET_KINDS)) + 1
    if variant == 0:
        return f"{house} {street} {long_kind}{f', Apt {flat}' if flat else ''}, {city}"
    if variant == 1:
        return (
            f"{house} {street.upper()} {short_kind.upper()}{f' APT {flat}' if flat else ''}"
            f" {city.upper()}"
        )
    if variant == 2:
        return (
            f"{house} {street.lower()} {short_kind.lower()}."
            f"{f' apt. {flat}' if flat else ''}, {city.lower()}"
        )
    return f"{house}  {street} {long_kind}{f' - Flat {flat}' if flat else ''} - {city}"


def _device_text(base: int, variant: int) -> str:
    mixed = (base * 2_654_435_761 + 97) % 2**32
    text = f"{mixed:08x}-{(base * 40_503) % 2**16:04x}-{base % 4096:03x}a"
    return text.upper() if variant == 1 else text


def _ip_text(base: int, variant: int) -> str:
    mixed = (base * 2_654_435_761) % 2**24  # odd multiplier: one-to-one below 2**24
    if variant < 3:  # IPv4: a fixed set of /8 blocks, one host per identifier
        first = (81, 85, 91, 109, 176, 188, 212, 217)[base % 8]
        return f"{first}.{mixed >> 16}.{(mixed >> 8) & 255}.{mixed & 255}"
    hi, lo = base >> 16, mixed & 0xFFFF  # lo fixes base mod 2**16, so this is one-to-one
    words = [0x2001, 0x0DB8, 0, 0, 0, 0, hi, lo]
    if variant == 3:
        return f"2001:db8::{hi:x}:{lo:x}"
    return ":".join(f"{w:04X}" for w in words)


def _email_local(base: int, customers: Customers) -> str:
    if base < customers.n and not customers.business[base]:
        first = FIRST_NAMES[customers.first[base]]
        last = LAST_NAMES[customers.last[base]].replace(" ", "")
        return f"{first}.{last}.{base}"
    return f"contact.{base}"


def identifier_texts(
    kind: str, bases: np.ndarray, variants: np.ndarray, customers: Customers
) -> list[str]:
    """Raw identifier values: equal bases give equal normalised values, however written."""
    n = customers.n
    owner_country = np.where(bases < n, customers.country[np.minimum(bases, n - 1)], 0)
    if kind == "phone":
        codes = [COUNTRY_PHONE[COUNTRIES[c]] for c in owner_country]
        numbers = (bases.astype(np.int64) * 48_271 + 1_234_567) % 10**9
        return [
            _phone_text(int(b), c, int(v))
            for b, c, v in zip(numbers, codes, variants % 5, strict=True)
        ]
    if kind == "email":
        return [
            _email_text(
                _email_local(int(b), customers),
                EMAIL_DOMAINS[int(b) % len(EMAIL_DOMAINS)],
                int(v),
            )
            for b, v in zip(bases, variants % 3, strict=True)
        ]
    if kind == "address":
        return [
            _address_text(int(b), COUNTRY_CITY[COUNTRIES[c]], int(v))
            for b, c, v in zip(bases, owner_country, variants % 4, strict=True)
        ]
    if kind == "device":
        return [_device_text(int(b), int(v)) for b, v in zip(bases, variants % 2, strict=True)]
    # Most customers use IPv4; a tenth IPv6, written compressed or in full.
    ipv6 = (bases % 10) == 0
    return [
        _ip_text(int(b), int(3 + v % 2) if six else int(v % 3))
        for b, v, six in zip(bases, variants, ipv6, strict=True)
    ]


def change_values(
    world: World, owners: np.ndarray, kinds: np.ndarray, fresh: np.ndarray
) -> tuple[list[str | None], list[str | None]]:
    """Old and new values of account changes: contact details for contact changes, limits
    for limit changes, nothing for the rest."""
    customers, base = world.customers, world.identity.base
    k = len(owners)
    old = np.full(k, None, dtype=object)
    new = np.full(k, None, dtype=object)
    no_variant = np.zeros(k, np.int64)
    for change, ident in (
        ("address_change", "address"),
        ("phone_change", "phone"),
        ("email_change", "email"),
    ):
        rows = np.flatnonzero(kinds == CHANGE_KINDS.index(change))
        if len(rows):
            old[rows] = identifier_texts(
                ident, base[ident][owners[rows]], no_variant[rows], customers
            )
            new[rows] = identifier_texts(
                ident, _FRESH_BASE + fresh[rows], no_variant[rows], customers
            )
    rows = np.flatnonzero(kinds == CHANGE_KINDS.index("limit_change"))
    limits = (fresh[rows] % 9 + 1) * 500
    old[rows] = [str(v) for v in limits]
    new[rows] = [str(v * 4) for v in limits]
    rows = np.flatnonzero(kinds == CHANGE_KINDS.index("status_change"))
    old[rows] = "active"
    new[rows] = "dormant"
    return list(old), list(new)
