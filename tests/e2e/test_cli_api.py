"""``graphrisk users`` and ``graphrisk serve`` as an admin runs them: make keys, start the
server, call it with a key, revoke it."""

from __future__ import annotations

from pathlib import Path

import httpx2 as httpx
import pytest

from tests.helpers import run_graphrisk
from tests.served import graphrisk_server

pytestmark = pytest.mark.slow


def test_users_and_serve(tmp_path: Path) -> None:
    home = tmp_path / "home"
    made = run_graphrisk(home, "users", "add", "ana", "--role", "admin", "--by", "root")
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip().splitlines()[-1]
    assert key.startswith("grk_") and len(key) > 40
    twice = run_graphrisk(home, "users", "add", "ana", "--role", "viewer")
    assert twice.returncode == 2 and "--replace" in twice.stderr
    wrong = run_graphrisk(home, "users", "add", "bob", "--role", "boss")
    assert wrong.returncode == 2 and "viewer, investigator, admin" in wrong.stderr
    viewer = run_graphrisk(home, "users", "add", "vic", "--role", "viewer")
    viewer_key = viewer.stdout.strip().splitlines()[-1]

    with graphrisk_server(home) as server:
        base = server.base
        me = httpx.get(f"{base}/api/me", headers={"Authorization": f"Bearer {key}"}).json()
        assert me == {"name": "ana", "role": "admin", "masked": False, "store": "embedded"}
        assert httpx.get(f"{base}/api/me").status_code == 401
        audit = httpx.get(f"{base}/api/audit", headers={"X-API-Key": viewer_key})
        assert audit.status_code == 403
        assert audit.headers["content-type"] == "application/problem+json"
        trail = httpx.get(f"{base}/api/audit", params={"action": "user.add"},
                          headers={"Authorization": f"Bearer {key}"}).json()
        assert {e["subject"] for e in trail["items"]} == {"user:ana", "user:vic"}
        assert httpx.get(f"{base}/api/openapi.json").json()["info"]["title"] == "GraphRisk"
    assert f"http://127.0.0.1:{server.port}/" in server.output  # binds this machine only by default

    revoked = run_graphrisk(home, "users", "revoke", "vic")
    assert revoked.returncode == 0
    listed = run_graphrisk(home, "users", "list")
    assert "ana" in listed.stdout and "revoked" in listed.stdout
