"""The customer view's "Lists and identities" panel in a real browser (Debian's headless
Chromium driven by Playwright, as in tests/e2e/test_browser.py): Ines opens a customer with
a watch-list hit, confirms it with a note and sees its status change; she rejects a probable
same-person pair the same way; a viewer sees the panel masked and without buttons.

The home is a generated bank (with its watch list and planted synthetic identities) loaded,
scored, screened and resolved in-process, then served by ``graphrisk serve``. Screenshots
land in ``$GRAPHRISK_TEST_ARTIFACTS/browser/`` (``tests/artifacts/browser/`` by default).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx2 as httpx
import pytest

from graphrisk.access import Role, create_api_key
from graphrisk.api.app import page_is_built
from graphrisk.config import Settings, StoreKind
from graphrisk.ingestion.generator import generate_dataset
from graphrisk.policy import load_policy
from graphrisk.service import RiskService
from tests.browser_support import chromium, fresh_page, require_chromium, screenshot
from tests.served import graphrisk_server
from tests.stores import open_test_store

pytestmark = [pytest.mark.browser, pytest.mark.slow]


class Server:
    def __init__(self, base: str, keys: dict[Role, str]) -> None:
        self.base, self.keys = base, keys

    def get(self, path: str, role: Role = Role.INVESTIGATOR, **params: Any) -> Any:
        answer = httpx.get(f"{self.base}{path}", params=params, timeout=30,
                           headers={"Authorization": f"Bearer {self.keys[role]}"})
        answer.raise_for_status()
        return answer.json()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    require_chromium()
    if not page_is_built():
        pytest.fail("the page's JavaScript libraries are missing from api/static/vendor/: run "
                    "`make setup` (or `bash scripts/build-web.sh`)")
    root = tmp_path_factory.mktemp("lists-page")
    generate_dataset(500, 7, root / "base", synthetic_identities=True)
    home = root / "home"
    service = RiskService(Settings(home=home, store=StoreKind.EMBEDDED),
                          open_test_store(StoreKind.EMBEDDED, home), load_policy())
    try:
        service.ingest_folder(root / "base")
        service.score()
        service.screening.load_list(root / "base" / "lists" / "sanctions.csv",
                                    "demo_watchlist", actor="ana")
        service.screening.screen(actor="ana")
        service.resolution.resolve(actor="ana")
        keys = {Role.INVESTIGATOR: create_api_key(service.store, "ines", Role.INVESTIGATOR,
                                                  actor="test"),
                Role.VIEWER: create_api_key(service.store, "vic", Role.VIEWER, actor="test")}
    finally:
        service.close()
    with graphrisk_server(home, GRAPHRISK_STORE="embedded", OMP_NUM_THREADS="1") as running:
        yield Server(running.base, keys)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh context with a laptop-sized window; JavaScript errors fail the test."""
    with fresh_page(browser, height=1000) as tab:
        yield tab


def _log_in(page: Any, server: Server, role: Role) -> None:
    page.goto(f"{server.base}/")
    page.fill("#login-key", server.keys[role])
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#app:not([hidden])")


def _open_customer(page: Any, customer_id: str) -> None:
    page.evaluate("id => { location.hash = `#/customer/${encodeURIComponent(id)}`; }",
                  customer_id)
    page.wait_for_selector("#customer-name")
    page.locator("#lists-panel h4").first.wait_for()


def test_confirm_a_hit_and_reject_a_pair_from_the_customer_view(page: Any,
                                                                server: Server) -> None:
    hits = [h for h in server.get("/api/screening/hits", status="open", limit=500)["items"]
            if h["record_kind"] == "customer"]
    assert hits, "the generator's watch list matched no customer"
    hit = hits[0]
    _log_in(page, server, Role.INVESTIGATOR)
    _open_customer(page, hit["subject"])
    row = page.locator(f"#hits-table tr[data-hit='{hit['hit_id']}']")
    text = row.inner_text()
    for shown in (hit["entry_name"], "demo_watchlist", f"{hit['score']:.2f}", "open"):
        assert shown in text, (shown, text)
    for agreed in hit["agreed"]:
        assert agreed in text
    assert page.locator("#lists-panel .panel-head .pill").inner_text().endswith("to decide")

    row.get_by_role("button", name="Confirm").click()
    note = row.locator("input.decision-input")
    note.fill("same person: passport matches the listing")
    screenshot(page, "lists-01-confirm-with-a-note", full_page=True)
    row.locator("form.decide-form button[type=submit]").click()
    confirmed = page.locator(f"#hits-table tr[data-hit='{hit['hit_id']}'] .pill.status-confirmed")
    confirmed.wait_for()
    assert confirmed.inner_text() == "confirmed"
    after = page.locator(f"#hits-table tr[data-hit='{hit['hit_id']}']")
    assert "passport matches the listing" in after.inner_text()  # the note, as sent
    assert after.get_by_role("button", name="Confirm").count() == 0  # decided: no buttons
    stored = server.get(f"/api/screening/hits/{hit['hit_id']}")
    assert stored["status"] == "confirmed"
    assert (stored["history"][-1]["by"], stored["history"][-1]["note"]) == (
        "ines", "same person: passport matches the listing")
    screenshot(page, "lists-02-hit-confirmed", full_page=True)

    pairs = server.get("/api/resolution/pairs", status="open", limit=500)["items"]
    outside = next(p for p in pairs if p["side"] == "counterparty")
    _open_customer(page, outside["customer_a"])
    # A counterparty is no customer: named, marked as an outside account, no link.
    outside_row = page.locator(f"#pairs-table tr[data-pair='{outside['pair_id']}']")
    assert "counterparty: an account outside the bank" in outside_row.inner_text()
    assert outside_row.locator("a[href^='#/customer/']").count() == 0
    pair = next(p for p in pairs if p["side"] == "customer")
    _open_customer(page, pair["customer_a"])
    pair_row = page.locator(f"#pairs-table tr[data-pair='{pair['pair_id']}']")
    other = pair_row.locator(f"a[href='#/customer/{quote(pair['customer_b'])}']")
    assert other.inner_text() == pair["name_b"]
    assert pair["sentence"] in pair_row.inner_text()
    pair_row.get_by_role("button", name="Reject").click()
    send = pair_row.locator("form.decide-form button[type=submit]")
    send.click()  # an empty note is not sent: the form asks again
    assert server.get(f"/api/resolution/pairs/{pair['pair_id']}")["status"] == "open"
    pair_row.locator("input.decision-input").fill("two people: different passports")
    send.click()
    page.locator(f"#pairs-table tr[data-pair='{pair['pair_id']}'] .pill.status-rejected"
                 ).wait_for()
    assert server.get(f"/api/resolution/pairs/{pair['pair_id']}")["status"] == "rejected"
    screenshot(page, "lists-03-pair-rejected", full_page=True)


def test_a_viewer_sees_the_panel_masked_and_cannot_decide(page: Any, server: Server) -> None:
    hit = [h for h in server.get("/api/screening/hits", limit=500)["items"]
           if h["record_kind"] == "customer"][0]
    _log_in(page, server, Role.VIEWER)
    _open_customer(page, hit["subject"])
    row = page.locator(f"#hits-table tr[data-hit='{hit['hit_id']}']")
    masked = server.get(f"/api/screening/hits/{hit['hit_id']}", Role.VIEWER)
    assert masked["entry_name"] in row.inner_text() and hit["entry_id"] in row.inner_text()
    panel = page.locator("#lists-panel").inner_text()
    assert hit["record_name"] not in panel and hit["entry_name"] not in panel
    assert page.locator("#lists-panel button").count() == 0
