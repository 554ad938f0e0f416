"""Who may do what: every route against every role, keys, masking and the audit trail."""

from __future__ import annotations

import re

import pytest

from graphrisk.access import Role, authenticate, create_api_key, revoke_api_key
from graphrisk.api.deps import clear_key_cache
from tests.api.conftest import Served

V, I, A = Role.VIEWER, Role.INVESTIGATOR, Role.ADMIN  # noqa: E741 - role initials
STALE = 999_999

#: (method, path, body, the lowest role allowed). Bodies of changes are ones the route
#: refuses after the role check (unknown ids, stale versions, invalid kinds), so the matrix
#: changes nothing; ``{customer}``, ``{alert}``, ``{case}``, ``{cluster}``, ``{hit}``,
#: ``{pair}`` are filled in.
ROUTES: list[tuple[str, str, dict | None, Role]] = [
    ("GET", "/api/me", None, V),
    ("GET", "/api/customers?q=C00", None, V),
    ("GET", "/api/customers/{customer}", None, V),
    ("GET", "/api/customers/{customer}/network?hops=1", None, V),
    ("GET", "/api/customers/{customer}/explanation", None, V),
    ("GET", "/api/path?source={customer}&target={other}", None, V),
    ("GET", "/api/clusters", None, V),
    ("GET", "/api/clusters/{cluster}", None, V),
    ("GET", "/api/clusters/{cluster}/network?limit=50", None, V),
    ("GET", "/api/alerts", None, V),
    ("GET", "/api/alerts/{alert}", None, V),
    ("POST", "/api/alerts/A-NOSUCHALERT/acknowledge", None, I),
    ("GET", "/api/cases", None, V),
    ("POST", "/api/cases", {"subjects": ["NOSUCHCUSTOMER"], "title": "x"}, I),
    ("GET", "/api/cases/{case}", None, V),
    ("PATCH", "/api/cases/{case}", {"version": STALE, "owner": "x"}, I),
    ("POST", "/api/cases/{case}/notes", {"version": STALE, "text": "x"}, I),
    ("POST", "/api/cases/{case}/contacts",
     {"version": STALE, "channel": "phone", "summary": "x"}, I),
    ("POST", "/api/cases/{case}/steps/1", {"version": STALE}, I),
    ("POST", "/api/cases/{case}/close", {"version": STALE, "outcome": "keep_monitoring"}, I),
    ("GET", "/api/cases/{case}/network", None, V),
    ("GET", "/api/screening/lists", None, V),
    ("GET", "/api/screening/hits?customer_id={customer}", None, V),
    ("GET", "/api/screening/hits/{hit}", None, V),
    ("POST", "/api/screening/hits/{hit}/confirm", {"note": "x"}, I),
    ("POST", "/api/screening/hits/{hit}/dismiss", {"note": "x"}, I),
    ("GET", "/api/resolution/pairs?customer_id={customer}", None, V),
    ("GET", "/api/resolution/pairs/{pair}", None, V),
    ("POST", "/api/resolution/pairs/{pair}/confirm", {"note": "x"}, I),
    ("POST", "/api/resolution/pairs/{pair}/reject", {"note": "x"}, I),
    ("POST", "/api/events", {}, I),
    ("POST", "/api/jobs", {"kind": "no-such-job"}, A),
    ("GET", "/api/jobs", None, V),
    ("GET", "/api/jobs/J-NOSUCHJOB", None, V),
    ("POST", "/api/query", {"cypher": "MATCH (c:Customer) RETURN count(c) AS n"}, I),
    ("GET", "/api/audit", None, A),
]


def _ids(served: Served) -> dict[str, str]:
    monitoring = served.service.monitoring
    alert = monitoring.alerts()[0]
    case = monitoring.cases()[0]
    _, clusters = served.service.ranked_clusters()
    return {"customer": alert.customer_id, "other": case.subjects[-1],
            "alert": alert.alert_id, "case": case.case_id,
            "cluster": str(clusters.iloc[0]["cluster_id"]),
            # no list is loaded and nobody resolved here: decisions answer 404 after the role
            "hit": "SH-000000000000", "pair": "SE-000000000000"}


def test_the_matrix_names_every_route(served: Served) -> None:
    """A route added without a line in the matrix fails here, so none goes unchecked."""
    app_routes = {(method, re.sub(r"\{[^}]+\}", "{}", route.path))
                  for route in served.client.app.routes
                  if getattr(route, "path", "").startswith("/api/")
                  and route.path not in ("/api/health", "/api/ready", "/api/openapi.json",
                                         "/api/docs", "/api/docs/oauth2-redirect")
                  for method in getattr(route, "methods", ()) if method != "HEAD"}
    matrix = {(method, re.sub(r"\{[^}]+\}", "{}", path.split("?")[0]
                              .replace("A-NOSUCHALERT", "{}").replace("J-NOSUCHJOB", "{}")
                              .replace("/steps/1", "/steps/{}")))
              for method, path, _, _ in ROUTES}
    assert app_routes - matrix == set()


@pytest.mark.parametrize(("method", "path", "body", "lowest"), ROUTES,
                         ids=[f"{m} {p.split('?')[0]}" for m, p, _, _ in ROUTES])
def test_each_role_on_each_route(served: Served, method: str, path: str, body: dict | None,
                                 lowest: Role) -> None:
    url = path.format(**_ids(served))
    for role in (None, V, I, A):
        response = served.client.request(method, url, json=body, headers=served.as_(role))
        who = role.value if role else "no key"
        if role is None:
            assert response.status_code == 401, (who, response.text)
            assert response.headers["www-authenticate"] == "Bearer"
        elif not role.may(lowest):
            assert response.status_code == 403, (who, response.text)
            assert lowest.value in response.json()["detail"]
        else:
            assert response.status_code not in (401, 403, 500), (who, response.text)
        if response.status_code >= 400:
            assert response.headers["content-type"] == "application/problem+json"
            problem = response.json()
            assert problem["status"] == response.status_code and problem["detail"]


def test_a_wrong_or_revoked_key_is_401_and_keys_are_kept_only_as_digests(
        served: Served) -> None:
    client = served.client
    assert client.get("/api/me", headers={"Authorization": "Bearer grk_wrong"}
                      ).status_code == 401
    key = create_api_key(served.service.store, "temp-user", Role.VIEWER, actor="test")
    assert client.get("/api/me", headers={"X-API-Key": key}).json()["name"] == "temp-user"
    stored = [r.body for r in served.service.store.records("api_key")]
    assert key not in repr(stored)  # only the digest is kept
    revoke_api_key(served.service.store, "temp-user", actor="test")
    clear_key_cache()
    assert authenticate(served.service.store, key) is None
    assert client.get("/api/me", headers={"X-API-Key": key}).status_code == 401
    actions = [e.action for e in served.service.monitoring.audit(subject="user:temp-user")]
    assert actions == ["user.add", "user.revoke"]


def test_viewers_see_personal_data_masked_and_investigators_reads_are_audited(
        served: Served) -> None:
    customer = _ids(served)["customer"]
    name = served.service.customer(customer).properties["name"]
    seen_before = len(served.service.monitoring.audit(subject=customer))
    as_viewer = served.client.get(f"/api/customers/{customer}",
                                  headers=served.as_(V)).json()
    assert as_viewer["masked"] is True
    assert as_viewer["name"] != name and as_viewer["name"].startswith(name[0])
    assert all(i["value"] is None or i["value"].startswith("•••")
               for i in as_viewer["identifiers"])
    assert len(served.service.monitoring.audit(subject=customer)) == seen_before
    network = served.client.get(f"/api/customers/{customer}/network?hops=1",
                                headers=served.as_(V)).json()
    assert name not in repr(network)
    as_investigator = served.client.get(f"/api/customers/{customer}",
                                        headers=served.as_(I)).json()
    assert as_investigator["name"] == name and as_investigator["masked"] is False
    reads = [e for e in served.service.monitoring.audit(subject=customer)
             if e.action == "customer.read"]
    assert reads and reads[-1].actor == "investigator-user"
    assert not [e for e in served.service.monitoring.audit(subject=customer, actor="viewer-user")
                if e.action == "network.read"]  # the viewer's masked network is not a read
    shown = served.client.get(f"/api/customers/{customer}/network?hops=1",
                              headers=served.as_(I)).json()
    seen = [e for e in served.service.monitoring.audit(subject=customer)
            if e.action == "network.read"]
    assert seen and seen[-1].actor == "investigator-user"
    assert customer in seen[-1].details["customers"]
    assert seen[-1].details["shown"] == sum(n["label"] == "Customer" for n in shown["nodes"])


def _identifier_secrets(graph: dict) -> set[str]:
    """The identifier values an unmasked graph shows: in node keys and in properties."""
    found = set()
    for node in graph["nodes"]:
        if node["label"] == "Identifier":
            found.add(node["key"].partition(":")[2])
            if node["properties"].get("value"):
                found.add(str(node["properties"]["value"]))
    return {value for value in found if len(value) > 4}


def test_viewers_never_see_an_identifier_value_in_node_ids_edges_or_case_evidence(
        served: Served) -> None:
    import json

    case = served.service.monitoring.cases()[0]
    subject = case.subjects[0]
    unmasked = served.client.get(f"/api/customers/{subject}/network?hops=1",
                                 headers=served.as_(I)).json()
    secrets = _identifier_secrets(unmasked)
    assert secrets, "the case's subject should share identifiers in the demo data"
    masked = served.client.get(f"/api/customers/{subject}/network?hops=1",
                               headers=served.as_(V)).json()
    text = json.dumps(masked, ensure_ascii=False)
    assert not [(value, text[max(0, text.index(value) - 300):text.index(value) + 50])
                for value in secrets if value in text]
    ids = {n["id"] for n in masked["nodes"]}
    assert {e["source"] for e in masked["edges"]} | {e["target"] for e in masked["edges"]} <= ids
    assert len({e["id"] for e in masked["edges"]}) == len(masked["edges"])
    identifiers = {i for i in ids if i.startswith("Identifier:")}
    assert identifiers and all(":~" in i for i in identifiers)
    again = served.client.get(f"/api/customers/{subject}/network?hops=1",
                              headers=served.as_(V)).json()
    assert {n["id"] for n in again["nodes"]} == ids  # pseudonyms are stable: the page merges
    frozen_unmasked = served.client.get(f"/api/cases/{case.case_id}",
                                        headers=served.as_(I)).json()
    kept = frozen_unmasked["evidence"]["subgraphs"]
    frozen_secrets = {str(n["id"]).split(":", 2)[2] for g in kept.values()
                      for n in g["nodes"] if str(n["id"]).startswith("Identifier:")}
    viewer_case = json.dumps(served.client.get(f"/api/cases/{case.case_id}",
                                               headers=served.as_(V)).json(),
                             ensure_ascii=False)
    viewer_frozen = json.dumps(served.client.get(f"/api/cases/{case.case_id}/network",
                                                 headers=served.as_(V)).json(),
                               ensure_ascii=False)
    assert not [v for v in frozen_secrets | secrets
                if len(v) > 4 and (v in viewer_case or v in viewer_frozen)]
