"""What routes receive by injection: the service, the signed-in user, paging.

The service is opened once per process in the app's lifespan and kept on ``app.state``;
routes get it as :data:`ServiceDep` (tests swap it with ``app.dependency_overrides``).
Authentication is one dependency: a route that declares :data:`Viewer`,
:data:`Investigator` or :data:`Admin` gets the signed-in user and answers 401 (no or unknown
key) or 403 (a role below the one needed) before its body runs.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from graphrisk.access import ApiUser, Role, authenticate
from graphrisk.service import RiskService

__all__ = [
    "Admin", "Investigator", "Page", "ServiceDep", "Viewer", "clear_key_cache",
    "get_service", "require",
]

#: How long a checked key is trusted without asking the store again: a revoked key stops
#: working within this many seconds on every worker.
KEY_CACHE_SECONDS = 10.0

_bearer = HTTPBearer(auto_error=False, description="An API key: `graphrisk users add NAME`.")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False,
                        description="The same API key, for clients that cannot send bearer "
                        "tokens.")
_cache: dict[str, tuple[float, ApiUser | None]] = {}
_cache_lock = threading.Lock()


def get_service(request: Request) -> RiskService:
    """The process's service, opened by the app's lifespan."""
    return request.app.state.service  # type: ignore[no-any-return]


ServiceDep = Annotated[RiskService, Depends(get_service)]


def clear_key_cache() -> None:
    """Forget checked keys (a revocation then applies at once: tests, ``users revoke``)."""
    with _cache_lock:
        _cache.clear()


def _signed_in(request: Request, service: ServiceDep,
               bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
               header_key: Annotated[str | None, Depends(_api_key)]) -> ApiUser:
    key = bearer.credentials if bearer is not None else header_key
    if not key:
        raise HTTPException(401, "an API key is needed: send `Authorization: Bearer <key>` "
                            "(an admin makes one with `graphrisk users add NAME`)",
                            headers={"WWW-Authenticate": "Bearer"})
    now = time.monotonic()
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None and now - cached[0] < KEY_CACHE_SECONDS:
        user = cached[1]
    else:
        user = authenticate(service.store, key)
        with _cache_lock:
            if len(_cache) > 10_000:
                _cache.clear()
            _cache[key] = (now, user)
    if user is None:
        raise HTTPException(401, "this API key is not known or was revoked; ask an admin "
                            "for a new one", headers={"WWW-Authenticate": "Bearer"})
    request.state.user = user
    return user


def require(role: Role) -> object:
    """A dependency that lets in users whose role includes ``role`` (403 otherwise)."""

    def check(user: Annotated[ApiUser, Depends(_signed_in)]) -> ApiUser:
        if not user.role.may(role):
            raise HTTPException(403, f"this needs the {role.value} role; {user.name} is a "
                                f"{user.role.value}")
        return user

    return Depends(check)


Viewer = Annotated[ApiUser, require(Role.VIEWER)]
Investigator = Annotated[ApiUser, require(Role.INVESTIGATOR)]
Admin = Annotated[ApiUser, require(Role.ADMIN)]


@dataclass(frozen=True)
class Paging:
    """One page of a list."""

    limit: int
    offset: int


def _paging(limit: Annotated[int, Query(ge=1, le=500, description="Items per page.")] = 50,
            offset: Annotated[int, Query(ge=0, le=10_000_000,
                                         description="Items to skip.")] = 0) -> Paging:
    return Paging(limit, offset)


Page = Annotated[Paging, Depends(_paging)]
