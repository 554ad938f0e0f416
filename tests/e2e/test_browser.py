"""The investigator page in a real browser: Debian's headless Chromium driven by Playwright.

One small demo home (500 customers, scored, with a stream of new events so there are alerts
and cases) is served by ``graphrisk serve`` on a free port; each test logs in through the
page as Ines would and checks what the page shows against what the API answers. Screenshots
land in ``tests/artifacts/browser/`` (or ``$GRAPHRISK_TEST_ARTIFACTS/browser/``) to look at.

Playwright's own browser download is never used (no internet): the tests launch
``/usr/bin/chromium`` and skip when it is missing (``make browser-prereqs`` installs it).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx2 as httpx
import pytest

from graphrisk.api.app import page_is_built
from tests.browser_support import chromium, fresh_page, require_chromium, screenshot
from tests.helpers import run_graphrisk
from tests.served import graphrisk_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@dataclass(frozen=True)
class Server:
    base: str
    key: str
    viewer_key: str
    other_key: str
    name: str
    home: Path

    def get(self, path: str, key: str | None = None, **params: Any) -> Any:
        response = httpx.get(f"{self.base}{path}", params=params, timeout=30,
                             headers={"Authorization": f"Bearer {key or self.key}"})
        response.raise_for_status()
        return response.json()


def _key(home: Path, name: str, role: str) -> str:
    made = run_graphrisk(home, "users", "add", name, "--role", role)
    assert made.returncode == 0, made.stderr
    return made.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    require_chromium()
    if not page_is_built():
        pytest.fail("the page's JavaScript libraries are missing from api/static/vendor/: run "
                    "`make setup` (or `bash scripts/build-web.sh`)")
    home = tmp_path_factory.mktemp("browser-home")
    # the smallest demo: generate, load, score, then a stream of new events -> alerts, a case
    demo = run_graphrisk(home, "demo", "--customers", "500", "--seed", "5")
    assert demo.returncode == 0, demo.stderr
    key = _key(home, "ines", "investigator")
    viewer_key = _key(home, "vic", "viewer")
    other_key = _key(home, "farid", "investigator")
    with graphrisk_server(home, OMP_NUM_THREADS="1") as running:
        yield Server(running.base, key, viewer_key, other_key, "ines", home)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh context (no stored key) with a laptop-sized window; JavaScript errors fail the
    test."""
    with fresh_page(browser, height=900) as tab:
        yield tab


def _log_in(page: Any, server: Server, key: str) -> None:
    page.goto(f"{server.base}/")
    page.fill("#login-key", key)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#app:not([hidden])")


def _node_count(page: Any, selector: str) -> int:
    page.wait_for_function(
        "sel => { const g = document.querySelector(sel); return g && g.dataset.nodeCount; }",
        arg=selector)
    return int(page.get_attribute(selector, "data-node-count"))


def _focus_node(page: Any, node_id: str) -> tuple[float, float]:
    """Zoom in on a node as a person would and answer where it is on the screen."""
    box = page.locator(".graph-canvas").bounding_box()
    spot = page.evaluate("""id => {
        const cy = window.graphrisk.cy, node = cy.getElementById(id);
        cy.zoom(1.6); cy.center(node);
        const p = node.renderedPosition(); return [p.x, p.y]; }""", node_id)
    return box["x"] + spot[0], box["y"] + spot[1]


def _expandable(node: dict[str, Any]) -> str | None:
    key = node["key"] if node["label"] == "Customer" else node["id"]
    return None if any(c.isspace() or c == "/" for c in key) else key


def _case_subject(server: Server) -> tuple[dict[str, Any], str]:
    cases = server.get("/api/cases", limit=500)["items"]
    framed = [c for c in cases if c["evidence"]["subgraphs"]]
    assert framed, "the demo's stream opened no case with frozen evidence"
    case = framed[0]
    return case, next(iter(case["evidence"]["subgraphs"]))


def test_log_in_search_open_the_network_filter_and_expand(page: Any, server: Server) -> None:
    page.goto(f"{server.base}/")
    page.fill("#login-key", "grk_not-a-key")
    page.click("#login-form button[type=submit]")
    refused = page.locator("#login-error")
    refused.wait_for(state="visible")
    assert "not known" in refused.inner_text()  # the API's 401 detail, shown as it came
    screenshot(page, "01-login-refused")

    _log_in(page, server, server.key)
    assert page.inner_text("#who-name") == server.name
    page.wait_for_selector("#alerts-table")
    alerts = server.get("/api/alerts", status="new", limit=5)["items"]
    assert page.locator("#alerts-table tbody tr").first.inner_text().find(
        alerts[0]["customer_id"]) >= 0  # most severe, newest first: the API's order
    screenshot(page, "02-alert-queue")
    first = f"#alerts-table tr[data-alert='{alerts[0]['alert_id']}']"
    page.locator(first).get_by_role("button", name="Acknowledge").click()
    page.wait_for_function(  # the queue of new alerts, drawn again, no longer holds it
        "row => document.querySelector('#alerts-table') && !document.querySelector(row)",
        arg=first)
    acknowledged = server.get(f"/api/alerts/{alerts[0]['alert_id']}")
    assert (acknowledged["status"], acknowledged["acknowledged_by"]) == ("acknowledged",
                                                                         server.name)

    _case, customer_id = _case_subject(server)
    card = server.get(f"/api/customers/{customer_id}")
    page.fill("#search-input", card["name"])
    page.press("#search-input", "Enter")
    result = page.locator("#search-results a", has_text=customer_id).first
    result.wait_for()
    result.click()
    page.wait_for_selector("#customer-name")
    assert page.inner_text("#customer-name") == card["name"]
    assert page.locator(".reasons li").count() == min(3, len(card["reasons"]))
    assert page.locator(".chart circle").count() == len(card["history"])
    screenshot(page, "03-customer")

    page.click("#open-network")
    shown = _node_count(page, "#network")
    network = server.get(f"/api/customers/{customer_id}/network", hops=2, limit=500)
    assert shown == len(network["nodes"])
    screenshot(page, "04-network")

    # the time filter: the last 30 days of this network's activity, refetched from the API
    page.click("#network button:text-is('30 d')")
    page.wait_for_function("() => location.hash.includes('since=')")
    hash_params = dict(p.split("=") for p in page.evaluate("location.hash").split("?")[1]
                       .split("&"))
    windowed = server.get(f"/api/customers/{customer_id}/network", hops=2, limit=500,
                          since=f"{hash_params['since']}T00:00:00Z",
                          until=f"{hash_params['until']}T23:59:59Z")
    page.locator("#network .graph-busy").wait_for(state="hidden")
    assert _node_count(page, "#network") == len(windowed["nodes"]) < shown
    assert page.get_attribute("#network button:text-is('30 d')", "class") == "small on"
    page.click("#network button:text-is('All')")
    page.locator("#network .graph-busy").wait_for(state="hidden")
    assert _node_count(page, "#network") == shown

    # hide the counterparties (shops, banks, utilities) and bring them back, without a refetch
    visible = ("label => window.graphrisk.cy.nodes(`[label = \"${label}\"]`)"
               ".filter(n => n.style('display') !== 'none').length")
    counterparties = sum(n["label"] == "Counterparty" for n in network["nodes"])
    assert counterparties and page.evaluate(visible, "Counterparty") == counterparties
    page.click("#network .types-menu > button")
    page.locator("#network .types-menu label", has_text="counterparty").locator("input").uncheck()
    assert page.evaluate(visible, "Counterparty") == 0
    assert page.evaluate(visible, "Customer") == sum(n["label"] == "Customer"
                                                     for n in network["nodes"])
    page.locator("#network .types-menu label", has_text="counterparty").locator("input").check()
    assert page.evaluate(visible, "Counterparty") == counterparties
    page.click("#network .count")  # a click elsewhere closes the menu
    assert page.locator("#network .types-menu .menu").is_hidden()

    # pick a neighbour whose own neighbours are not all on screen yet, as the API says
    on_screen = {n["id"] for n in network["nodes"]}
    target, grows = None, 0
    for node in sorted(network["nodes"], key=lambda n: (n["label"] != "Customer", n["id"])):
        key = _expandable(node)
        if node["id"] == network["centre"] or key is None:
            continue
        around = server.get(f"/api/customers/{quote(key, safe=':')}/network", hops=1, limit=200)
        grows = len({n["id"] for n in around["nodes"]} - on_screen)
        if grows:
            target = node
            break
    assert target is not None, "no node of the network has neighbours off screen"
    x, y = _focus_node(page, target["id"])
    page.mouse.move(x, y)
    tooltip = page.locator("#tooltip")
    tooltip.wait_for(state="visible")
    assert target["key"] in tooltip.inner_text()
    page.mouse.click(x, y)
    page.wait_for_function("key => document.querySelector('#details-title')?.textContent"
                           " === key", arg=target["name"] or target["key"])
    screenshot(page, "05-node-details")
    page.click("#expand-node")
    page.wait_for_function("n => document.querySelector('#network').dataset.nodeCount == n",
                           arg=str(shown + grows))
    assert _node_count(page, "#network") == shown + grows > shown
    page.click("#network button:text-is('Fit')")
    screenshot(page, "06-network-expanded")


def test_case_view_shows_the_frozen_network_and_takes_a_note(page: Any, server: Server) -> None:
    case, subject = _case_subject(server)
    _log_in(page, server, server.key)
    page.click("nav a[data-nav=cases]")
    page.locator("#cases-table a", has_text=case["case_id"]).click()
    page.wait_for_selector("#case-view")
    frozen = server.get(f"/api/cases/{case['case_id']}/network", frozen="true", customer=subject)
    assert _node_count(page, "#case-network") == len(frozen["nodes"])
    assert page.locator("#playbook li").count() == len(case["playbook"])
    screenshot(page, "07-case")

    text = f"called the branch about {subject}; ref {uuid.uuid4().hex[:8]}"
    page.fill("#note-text", text)
    page.click("#note-form button[type=submit]")
    page.locator("#notes li", has_text=text).wait_for()
    stored = server.get(f"/api/cases/{case['case_id']}")
    assert [(n["text"], n["by"]) for n in stored["notes"]][-1] == (text, server.name)
    assert stored["version"] > case["version"]
    assert page.input_value("#note-text") == ""  # the form is ready for the next note

    # Farid writes to the case meanwhile: Ines's next note names a stale version -> 409; the
    # page shows his note, keeps her text, and nothing of hers was stored
    theirs = httpx.post(f"{server.base}/api/cases/{case['case_id']}/notes",
                        json={"version": stored["version"], "text": "farid: device seen twice"},
                        headers={"Authorization": f"Bearer {server.other_key}"})
    assert theirs.status_code == 200, theirs.text
    draft = "the payee's bank confirmed the account holder"
    page.fill("#note-text", draft)
    page.click("#note-form button[type=submit]")
    page.locator("#notes li", has_text="farid: device seen twice").wait_for()
    assert page.input_value("#note-text") == draft
    assert "toast error" in (page.get_attribute("#toast", "class") or "")
    assert draft not in [n["text"] for n in server.get(f"/api/cases/{case['case_id']}")["notes"]]
    page.click("#note-form button[type=submit]")  # sent again, now on the current version
    page.locator("#notes li", has_text=draft).wait_for()
    assert [n["text"] for n in server.get(f"/api/cases/{case['case_id']}")["notes"]][-2:] == [
        "farid: device seen twice", draft]
    page.locator("#notes").scroll_into_view_if_needed()
    screenshot(page, "08-case-note")

    page.locator("#playbook input[type=checkbox]").first.check()
    page.wait_for_selector("#playbook li.done")
    assert server.get(f"/api/cases/{case['case_id']}")["playbook"][0]["done_by"] == server.name
    page.fill("#contact-summary", "asked for the source of funds")
    page.select_option("#contact-channel", "phone")
    page.click("#contact-form button[type=submit]")
    page.locator("#contacts li", has_text="asked for the source of funds").wait_for()
    logged = server.get(f"/api/cases/{case['case_id']}")["contacts"][-1]
    assert (logged["channel"], logged["by"], logged["summary"]) == (
        "phone", server.name, "asked for the source of funds")

    page.click("#net-now")
    now = server.get(f"/api/cases/{case['case_id']}/network", frozen="false", customer=subject)
    page.wait_for_function(
        "n => document.querySelector('#case-network')?.dataset.nodeCount == n",
        arg=str(len(now["nodes"])))
    page.locator("#case-network").scroll_into_view_if_needed()
    screenshot(page, "08b-case-network-now")


def test_query_box_shows_the_stores_answer(page: Any, server: Server) -> None:
    _log_in(page, server, server.key)
    page.click("nav a[data-nav=query]")
    page.click("#run-query")
    shown = page.locator("#query-result .callout")
    shown.wait_for()
    answer = httpx.post(f"{server.base}/api/query", json={"cypher": "MATCH (n) RETURN n"},
                        headers={"Authorization": f"Bearer {server.key}"})
    assert answer.status_code == 501  # the embedded store does not speak Cypher
    assert answer.json()["detail"] in shown.inner_text()
    screenshot(page, "09-query-501")


def test_viewer_sees_masked_names_and_no_query_box(page: Any, server: Server) -> None:
    _case, customer_id = _case_subject(server)
    _log_in(page, server, server.viewer_key)
    assert "masked" in page.inner_text("#who-role")
    assert page.locator("nav a[data-nav=query]").is_hidden()
    page.goto(f"{server.base}/#/customer/{customer_id}")
    page.wait_for_selector("#customer-name")
    masked = server.get(f"/api/customers/{customer_id}", key=server.viewer_key)["name"]
    real = server.get(f"/api/customers/{customer_id}")["name"]
    assert masked != real and "••" in masked
    assert page.inner_text("#customer-name") == masked
    # the network as a viewer sees it: identifiers as pseudonyms, no value anywhere on screen
    page.click("#open-network")
    _node_count(page, "#network")
    ids = page.evaluate("() => window.graphrisk.cy.nodes().map(n => n.id())")
    identifiers = [i for i in ids if i.startswith("Identifier:")]
    assert identifiers and all(":~" in i for i in identifiers)
    unmasked = server.get(f"/api/customers/{customer_id}/network", hops=2, limit=500)
    values = {n["key"].partition(":")[2] for n in unmasked["nodes"]
              if n["label"] == "Identifier"}
    on_screen = page.inner_text("body") + " ".join(ids) + page.evaluate(
        "() => window.graphrisk.cy.nodes().map(n => JSON.stringify(n.data())).join(' ')")
    assert not [v for v in values if len(v) > 4 and v in on_screen]
    screenshot(page, "10-viewer-network")
    page.goto(f"{server.base}/#/alerts")
    page.wait_for_selector("#alerts-table")
    assert page.locator("#alerts-table button", has_text="Acknowledge").count() == 0


def test_query_result_as_table_and_graph(page: Any, server: Server) -> None:
    """A Neo4j server's answer, drawn: the embedded store cannot run Cypher, so the answer
    (the documented shape, around a real network) is given to the page in place of the API's."""
    _case, customer_id = _case_subject(server)
    network = server.get(f"/api/customers/{customer_id}/network", hops=2, limit=500)
    customers = [n for n in network["nodes"] if n["label"] == "Customer"]
    answer = {"columns": ["customer", "score"], "truncated": False,
              "rows": [[n["key"], n["score"]] for n in customers],
              "graph": {**network, "centre": None}}
    sent: list[Any] = []

    def fulfil(route: Any) -> None:
        sent.append(route.request.post_data_json)
        route.fulfill(status=200, json=answer)

    page.route("**/api/query", fulfil)
    _log_in(page, server, server.key)
    page.goto(f"{server.base}/#/query")
    page.fill("#cypher", "MATCH (c:Customer {customer_id: $id})-[*1..2]-(n) RETURN c, n")
    page.fill("#cypher-params", json.dumps({"id": customer_id}))
    page.click("#run-query")
    page.wait_for_selector("#query-result table")
    assert sent == [{"cypher": "MATCH (c:Customer {customer_id: $id})-[*1..2]-(n) RETURN c, n",
                     "parameters": {"id": customer_id}}]
    assert page.locator("#query-result tbody tr").count() == len(customers)
    page.click("#query-result .tabs button:has-text('Graph')")
    assert _node_count(page, "#query-network") == len(network["nodes"])
    screenshot(page, "10-query-graph")


def test_a_revoked_key_sends_the_page_back_to_the_login_form(page: Any, server: Server) -> None:
    key = _key(server.home, "temp", "investigator")
    _log_in(page, server, key)
    page.wait_for_selector("#alerts-table")
    revoked = run_graphrisk(server.home, "users", "revoke", "temp")
    assert revoked.returncode == 0, revoked.stderr
    # the server trusts a checked key for a few seconds; the next request after that is a 401
    deadline = time.monotonic() + 30
    while page.locator("#login").is_hidden():
        assert time.monotonic() < deadline, "the page never noticed the revoked key"
        page.evaluate("location.hash = '#/cases?seen=' + Date.now()")
        page.wait_for_timeout(500)
    assert "revoked" in page.inner_text("#login-error")
    assert page.evaluate("sessionStorage.getItem('graphrisk.key')") is None
    screenshot(page, "11-revoked")
