"""The API as other systems and the page use it, on every store."""

from __future__ import annotations

import time

import pytest

from graphrisk.access import Role
from graphrisk.policy import SEVERITIES
from tests.api.conftest import Served

V, I, A = Role.VIEWER, Role.INVESTIGATOR, Role.ADMIN  # noqa: E741 - role initials


def _free_customers(served: Served, how_many: int) -> list[str]:
    """Customers on no open case (a test can open one on them)."""
    busy = {s for c in served.service.monitoring.cases() for s in c.subjects}
    scores = served.service.latest_scores(
        [f"C{n:07d}" for n in range(1, 500)])
    free = [c for c in scores["customer_id"] if c not in busy]
    return free[:how_many]


def test_search_finds_by_id_prefix_and_name_and_pages(served: Served) -> None:
    client, headers = served.client, served.as_(I)
    some = served.service.node("C0000042")
    name = some.properties["name"]
    by_id = client.get("/api/customers", params={"q": "C0000042"}, headers=headers).json()
    assert by_id["items"][0]["customer_id"] == "C0000042"
    assert by_id["items"][0]["tier"] in ("low", "medium", "high")
    by_name = client.get("/api/customers", params={"q": name.split()[-1].lower()},
                         headers=headers).json()
    assert "C0000042" in [i["customer_id"] for i in by_name["items"]] or by_name["total"] > 50
    page_one = client.get("/api/customers", params={"q": "C000", "limit": 7},
                          headers=headers).json()
    page_two = client.get("/api/customers", params={"q": "C000", "limit": 7, "offset": 7},
                          headers=headers).json()
    assert len(page_one["items"]) == 7 and page_one["total"] == page_two["total"] >= 14
    assert not {i["customer_id"] for i in page_one["items"]} & {
        i["customer_id"] for i in page_two["items"]}
    bad = client.get("/api/customers", params={"q": "C000", "limit": 0}, headers=headers)
    assert bad.status_code == 422 and "limit" in bad.json()["detail"]


def test_customer_detail_says_why_and_unknown_is_a_clear_404(served: Served) -> None:
    alert = served.service.monitoring.alerts()[0]
    detail = served.client.get(f"/api/customers/{alert.customer_id}",
                               headers=served.as_(I)).json()
    latest = served.service.latest_scores([alert.customer_id]).iloc[0]
    assert detail["score"] == pytest.approx(float(latest["score"]), abs=0.01)
    assert detail["tier"] == latest["tier"] and detail["reasons"] == list(latest["reasons"])
    assert detail["alerts"] >= 1 and len(detail["history"]) >= 1
    assert [h["created_at"] for h in detail["history"]] == sorted(
        h["created_at"] for h in detail["history"])
    assert set(detail["components"]) <= {"known", "individual", "unusual", "network", "typology",
                                         "cluster", "model"}
    missing = served.client.get("/api/customers/NOSUCH", headers=served.as_(I))
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert "NOSUCH" in missing.json()["detail"]


def test_network_filters_by_type_and_time_and_carries_scores(served: Served) -> None:
    customer = served.service.monitoring.alerts()[0].customer_id
    client, headers = served.client, served.as_(I)
    everything = client.get(f"/api/customers/{customer}/network",
                            params={"hops": 2, "limit": 500}, headers=headers).json()
    assert any(n["id"] == f"Customer:{customer}" and n["score"] is not None
               for n in everything["nodes"])
    ids = {n["id"] for n in everything["nodes"]}
    assert all(e["source"] in ids and e["target"] in ids for e in everything["edges"])
    owns = client.get(f"/api/customers/{customer}/network",
                      params={"types": "OWNS"}, headers=headers).json()
    assert {e["type"] for e in owns["edges"]} == {"OWNS"}
    never = client.get(f"/api/customers/{customer}/network",
                       params={"types": "TRANSFERRED", "until": "1970-01-02T00:00:00Z"},
                       headers=headers).json()
    assert never["edges"] == []
    small = client.get(f"/api/customers/{customer}/network", params={"limit": 3},
                       headers=headers).json()
    assert len(small["nodes"]) <= 3
    wrong = client.get(f"/api/customers/{customer}/network", params={"types": "LIKES"},
                       headers=headers)
    assert wrong.status_code == 422 and "types" in wrong.json()["detail"]
    assert "TRANSFERRED" in wrong.json()["detail"]  # the answer names the valid types


def test_path_links_two_customers_of_a_ring(served: Served) -> None:
    _, clusters = served.service.ranked_clusters()
    members = next(m for m in clusters["members"] if len(m) >= 2)
    found = served.client.get("/api/path", params={"source": members[0],
                                                   "target": members[1]},
                              headers=served.as_(I))
    assert found.status_code == 200, found.text
    body = found.json()
    assert body["nodes"][0]["key"] == members[0] and body["nodes"][-1]["key"] == members[1]
    assert len(body["edges"]) == len(body["nodes"]) - 1


def test_clusters_ranked_with_members_and_their_network(served: Served) -> None:
    client, headers = served.client, served.as_(V)
    page = client.get("/api/clusters", params={"limit": 5}, headers=headers).json()
    ranks = [c["rank"] for c in page["items"]]
    assert ranks == sorted(ranks) and ranks[0] == 1 and page["total"] >= len(ranks)
    first = page["items"][0]
    assert first["reason"] and first["size"] == len(first["members"])
    network = client.get(f"/api/clusters/{first['cluster_id']}/network",
                         headers=headers).json()
    keys = {n["key"] for n in network["nodes"]}
    assert set(first["members"][:5]) <= keys
    assert any(n.get("cluster_id") for n in network["nodes"] if first["high_risk"])


def test_alert_queue_is_most_severe_first_and_acknowledging_is_audited(
        served: Served) -> None:
    client = served.client
    queue = client.get("/api/alerts", params={"limit": 500}, headers=served.as_(V)).json()
    ranks = [SEVERITIES.index(a["severity"]) for a in queue["items"]]
    assert ranks == sorted(ranks, reverse=True) and queue["total"] == len(queue["items"])
    high = client.get("/api/alerts", params={"severity": "high"},
                      headers=served.as_(V)).json()
    assert all(a["severity"] == "high" for a in high["items"])
    target = queue["items"][-1]["alert_id"]
    done = client.post(f"/api/alerts/{target}/acknowledge", headers=served.as_(I))
    assert done.json()["status"] == "acknowledged"
    assert done.json()["acknowledged_by"] == "investigator-user"
    assert any(e.action == "alert.acknowledge" and e.details["alert_id"] == target
               for e in served.service.monitoring.audit(actor="investigator-user"))


def test_case_work_end_to_end_with_a_stale_version_409(served: Served) -> None:
    client, headers = served.client, served.as_(I)
    subjects = _free_customers(served, 2)
    opened = client.post("/api/cases", json={"subjects": subjects, "title": "ring check"},
                         headers=headers)
    assert opened.status_code == 201, opened.text
    case = opened.json()
    assert case["subjects"] == sorted(subjects) and case["version"] == 1
    assert set(case["evidence"]["subgraphs"]) == set(subjects)
    again = client.post("/api/cases", json={"subjects": subjects[:1], "title": "twice"},
                        headers=headers)
    assert again.status_code == 409 and case["case_id"] in again.json()["detail"]
    url = f"/api/cases/{case['case_id']}"
    moved = client.patch(url, json={"version": 1, "status": "investigating"},
                         headers=headers).json()
    assert moved["status"] == "investigating" and moved["version"] == 2
    stale = client.post(f"{url}/notes", json={"version": 1, "text": "late"}, headers=headers)
    assert stale.status_code == 409 and "version" in stale.json()["detail"]
    noted = client.post(f"{url}/notes", json={"version": 2, "text": "asked the bank"},
                        headers=headers).json()
    assert noted["notes"][-1]["text"] == "asked the bank"
    called = client.post(f"{url}/contacts", json={"version": noted["version"],
                                                   "channel": "phone",
                                                   "summary": "source of funds"},
                         headers=headers).json()
    assert called["contacts"][-1]["channel"] == "phone"
    frozen = client.get(f"{url}/network", params={"customer": subjects[0]},
                        headers=headers).json()
    now = client.get(f"{url}/network", params={"customer": subjects[0], "frozen": False},
                     headers=headers).json()
    assert frozen["frozen_at"] and now["frozen_at"] is None
    kept = served.service.monitoring.case(case["case_id"]).evidence.subgraphs[subjects[0]]
    assert {n["id"] for n in frozen["nodes"]} == {str(n["id"]) for n in kept["nodes"]}
    assert f"Customer:{subjects[0]}" in {n["id"] for n in frozen["nodes"]}
    drawn = {n["key"]: n["score"] for n in frozen["nodes"] if n["label"] == "Customer"}
    assert kept["scores"] and subjects[0] in kept["scores"]  # scored the day it was frozen
    assert {c: round(v["score"], 2) for c, v in kept["scores"].items()} == {
        c: s for c, s in drawn.items() if s is not None}
    assert {n["id"] for n in now["nodes"]} >= {f"Customer:{subjects[0]}"}
    closed = client.post(f"{url}/close", json={"version": called["version"],
                                               "outcome": "keep_monitoring"},
                         headers=headers).json()
    assert closed["status"] == "closed"
    actions = [e.action for e in served.service.monitoring.audit(subject=case["case_id"])]
    assert [a for a in actions if a.startswith("case.")] == [
        "case.open", "case.move", "case.note", "case.contact", "case.close"]
    assert "network.read" in actions  # the investigator saw the subjects' networks


def test_the_api_offers_exactly_the_channels_and_outcomes_cases_accept() -> None:
    from typing import get_args

    from graphrisk.api.schemas import CaseClose, ContactCreate
    from graphrisk.monitoring.records import CHANNELS, OUTCOMES
    assert get_args(ContactCreate.model_fields["channel"].annotation) == CHANNELS
    assert get_args(CaseClose.model_fields["outcome"].annotation) == OUTCOMES


def test_events_load_valid_rows_and_report_bad_ones(served: Served) -> None:
    accounts = served.service.store.existing_ids("accounts")
    first, second = sorted(accounts)[:2]
    rows = [
        {"transaction_id": "T-API-1", "from_account_id": first, "to_account_id": second,
         "amount": 125.5, "currency": "EUR", "timestamp": "2026-11-30T09:00:00Z",
         "channel": "online", "transaction_type": "transfer"},
        {"transaction_id": "T-API-2", "from_account_id": first, "to_account_id": second,
         "amount": "lots", "currency": "EUR", "timestamp": "2026-11-30T09:05:00Z",
         "channel": "online", "transaction_type": "transfer"},
    ]
    answer = served.client.post("/api/events", json={"transactions": rows},
                                headers=served.as_(I))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["accepted"]["transactions"] == 1 and body["rejected"]["transactions"] == 1
    problem = body["problems"][0]
    assert problem["file"].endswith("transactions.csv") and problem["row"] == 3
    assert problem["column"] == "amount"
    assert served.service.store.existing_among("transactions", ["T-API-1", "T-API-2"]) == {
        "T-API-1"}


def test_requests_too_large_or_malformed_get_problems(served: Served) -> None:
    client, headers = served.client, served.as_(I)
    huge = {"transactions": [{"transaction_id": "x" * 100, "amount": 1}] * 3000}
    too_big = client.post("/api/events", json=huge, headers=headers)
    assert too_big.status_code == 413
    assert "GRAPHRISK_API_MAX_BODY_BYTES" in too_big.json()["detail"]
    unknown_field = client.post("/api/cases", json={"subjects": ["C1"], "title": "x",
                                                    "colour": "red"}, headers=headers)
    assert unknown_field.status_code == 422
    assert unknown_field.headers["content-type"] == "application/problem+json"
    assert "colour" in unknown_field.json()["detail"]


def test_a_scoring_job_runs_in_the_background_with_progress(served: Served) -> None:
    client = served.client
    started = client.post("/api/jobs", json={"kind": "score"}, headers=served.as_(A))
    assert started.status_code == 202
    job_id = started.json()["job_id"]
    deadline = time.monotonic() + 240
    while True:
        job = client.get(f"/api/jobs/{job_id}", headers=served.as_(V)).json()
        if job["status"] in ("succeeded", "failed") or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert job["status"] == "succeeded", job
    assert job["result"]["customers"] >= 500 and job["progress"] == 1.0
    run_id = job["result"]["run_id"]
    assert served.service.ranked_clusters()[0] == run_id  # the job's ranking is served now
    listed = client.get("/api/jobs", headers=served.as_(V)).json()
    assert listed["items"][0]["job_id"] == job_id


def test_openapi_documents_every_route_with_examples(served: Served) -> None:
    document = served.client.get("/api/openapi.json").json()
    schemas = document["components"]["schemas"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert operation.get("summary"), (method, path)
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    assert parameter.get("example") is not None or parameter["schema"].get(
                        "examples"), (method, path, parameter["name"])
            body = operation.get("requestBody")
            if body:
                ref = body["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
                assert schemas[ref].get("examples"), (method, path, ref)


def test_the_app_answers_from_as_many_threads_as_settings_say(served: Served) -> None:
    import anyio.to_thread

    assert served.client.portal is not None
    tokens = served.client.portal.call(
        lambda: anyio.to_thread.current_default_thread_limiter().total_tokens)
    assert tokens == served.service.settings.api_threads == 3
