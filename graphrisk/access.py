"""Who may use the HTTP API: API keys, their roles, and what each role may do.

Why keys live in the store: the API may run several worker processes, and both stores keep
records; a key added with ``graphrisk users add`` on the server is seen by every worker at
once, and its revocation too. Only a SHA-256 digest of a key is kept. A key is 256 random
bits, so a fast digest is the right tool (a slow password hash protects guessable secrets,
which these are not) and lets a request be checked with one indexed read.

Records: ``api_key`` (keyed by user name: role, digest prefix, who made it when, status
``active`` or ``revoked``) and ``api_key_digest`` (keyed by the digest: the user name), so a
presented key is found without reading every user.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from graphrisk.errors import ConfigError, NotFoundError
from graphrisk.store import GraphStore

__all__ = [
    "KEY_PREFIX",
    "ApiUser",
    "Role",
    "authenticate",
    "create_api_key",
    "digest_of",
    "list_api_users",
    "masking_key",
    "pseudonym",
    "revoke_api_key",
]

USER_KIND = "api_key"
DIGEST_KIND = "api_key_digest"
SECRET_KIND = "secret"
#: Every key starts with this, so a leaked key is recognisable (secret scanners, logs).
KEY_PREFIX = "grk_"


class Role(StrEnum):
    """What a key may do; each role may do everything the one before it may.

    - ``viewer``: read customers (personal data masked), networks, clusters, alerts, cases;
    - ``investigator``: unmasked reads, acknowledge alerts, work cases, read-only Cypher,
      send incremental events;
    - ``admin``: start scoring, re-assessment and training; read the audit trail.
    """

    VIEWER = "viewer"
    INVESTIGATOR = "investigator"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def may(self, needed: Role) -> bool:
        """Whether this role includes ``needed``."""
        return self.rank >= needed.rank


@dataclass(frozen=True)
class ApiUser:
    """A user of the API as the store keeps them (never the key itself)."""

    name: str
    role: Role
    active: bool
    key_hint: str
    created_at: str
    created_by: str
    revoked_at: str | None = None


def digest_of(key: str) -> str:
    """The SHA-256 digest a key is stored and looked up by."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def parse_role(text: str) -> Role:
    """The role named ``text``; ConfigError lists the roles otherwise."""
    try:
        return Role(text.strip().lower())
    except ValueError:
        raise ConfigError(f"unknown role {text!r}; the roles are "
                          f"{', '.join(r.value for r in Role)}") from None


def create_api_key(store: GraphStore, name: str, role: Role | str, *, actor: str,
                   replace: bool = False) -> str:
    """Make a key for ``name`` with ``role`` and return it: the only time it is shown.

    Args:
        replace: give a user who has an active key a new one (the old stops working).

    Raises:
        ConfigError: the name is empty or has spaces, the role is unknown, or the user has
            an active key and ``replace`` is not set.
    """
    name = name.strip()
    if not name or any(c.isspace() for c in name) or len(name) > 64:
        raise ConfigError(f"user name {name!r} must be 1-64 characters with no spaces")
    role = role if isinstance(role, Role) else parse_role(role)
    existing = store.get_record(USER_KIND, name)
    if existing is not None and existing.status == "active" and not replace:
        raise ConfigError(f"{name} has an active key already; revoke it first "
                          f"(`graphrisk users revoke {name}`) or pass --replace")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    digest = digest_of(key)
    body = {"name": name, "role": role.value, "digest": digest, "key_hint": key[:8] + "…",
            "created_at": _now(), "created_by": actor, "revoked_at": None}
    store.create_record(DIGEST_KIND, digest, {"name": name}, subject=name, status="active")
    if existing is None:
        store.create_record(USER_KIND, name, body, subject=name, status="active")
    else:
        _retire_digest(store, existing.body)
        store.update_record(USER_KIND, name, body, expected_version=existing.version,
                            status="active")
    store.append_audit(actor, "user.add", f"user:{name}",
                       {"role": role.value, "replaced": existing is not None})
    return key


def revoke_api_key(store: GraphStore, name: str, *, actor: str) -> ApiUser:
    """Stop ``name``'s key from working (the record stays, for the audit trail).

    Raises:
        NotFoundError: no such user.
    """
    record = store.get_record(USER_KIND, name)
    if record is None:
        raise NotFoundError(f"no API user {name!r}; `graphrisk users list` shows them")
    if record.status == "revoked":
        return _user(record.body, active=False)
    body = {**record.body, "revoked_at": _now()}
    _retire_digest(store, record.body)
    store.update_record(USER_KIND, name, body, expected_version=record.version,
                        status="revoked")
    store.append_audit(actor, "user.revoke", f"user:{name}", {"role": body["role"]})
    return _user(body, active=False)


def list_api_users(store: GraphStore) -> list[ApiUser]:
    """Every user who ever had a key, oldest first."""
    return [_user(r.body, active=r.status == "active") for r in store.records(USER_KIND)]


def authenticate(store: GraphStore, key: str) -> ApiUser | None:
    """The active user whose key this is, or ``None`` (unknown, malformed or revoked)."""
    if not key.startswith(KEY_PREFIX) or len(key) > 200:
        return None
    pointer = store.get_record(DIGEST_KIND, digest_of(key))
    if pointer is None or pointer.status != "active":
        return None
    record = store.get_record(USER_KIND, str(pointer.body["name"]))
    if record is None or record.status != "active" \
            or not secrets.compare_digest(str(record.body.get("digest")), digest_of(key)):
        return None
    return _user(record.body, active=True)


def _retire_digest(store: GraphStore, body: dict[str, Any]) -> None:
    pointer = store.get_record(DIGEST_KIND, str(body.get("digest")))
    if pointer is not None and pointer.status == "active":
        store.update_record(DIGEST_KIND, pointer.key, pointer.body,
                            expected_version=pointer.version, status="revoked")


def _user(body: dict[str, Any], *, active: bool) -> ApiUser:
    return ApiUser(name=str(body["name"]), role=Role(body["role"]), active=active,
                   key_hint=str(body.get("key_hint", "")), created_at=str(body["created_at"]),
                   created_by=str(body["created_by"]), revoked_at=body.get("revoked_at"))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def masking_key(store: GraphStore) -> bytes:
    """The store's secret for pseudonyms of masked identifiers, made on first use.

    Why a stored secret: a viewer's graph must name an identifier node the same way in
    every answer and every worker (so the page can merge what it expands), yet a plain
    digest of a phone number is reversed by trying every number. A keyed digest with a
    random key that never leaves the store is not.
    """
    record, _ = store.create_record(SECRET_KIND, "masking", {"key": secrets.token_hex(32)})
    return bytes.fromhex(str(record.body["key"]))


def pseudonym(key: bytes, text: str) -> str:
    """A stable, non-reversible stand-in for ``text`` (12 hex digits)."""
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()[:12]
