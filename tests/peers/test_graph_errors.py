"""Graph and token-endpoint error shapes that Microsoft's clients and breakglass rely on."""

from __future__ import annotations

import re
import uuid


def test_graph_not_found_envelope(graph):
    r = graph.get(f"/v1.0/applications/{uuid.uuid4()}")
    assert r.status_code == 404, r.text[:300]
    err = r.json()["error"]
    assert err["code"] == "Request_ResourceNotFound", err
    assert err["message"]
    inner = err.get("innerError") or err.get("innererror")
    assert inner and inner.get("request-id") and inner.get("date"), err
    assert r.headers.get("request-id"), dict(r.headers)


def test_graph_without_token_is_401_with_www_authenticate(graph):
    r = graph.http.get(graph.url("/v1.0/organization"))
    assert r.status_code == 401, r.text[:300]
    assert r.json()["error"]["code"] == "InvalidAuthenticationToken"
    assert r.headers.get("www-authenticate", "").startswith("Bearer"), dict(r.headers)


def test_token_error_fields(sim, graph):
    r = graph.http.post(
        sim.token_endpoint,
        data={
            "client_id": sim.client_id,
            "client_secret": "wrong-secret-value",
            "scope": sim.graph_scope,
            "grant_type": "client_credentials",
        },
    )
    assert r.status_code == 401, r.text[:300]
    body = r.json()
    assert body["error"] == "invalid_client" and body["error_codes"] == [7000215]
    assert re.search(r"\r\nTrace ID: [0-9a-f-]{36}\r\nCorrelation ID: [0-9a-f-]{36}\r\nTimestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$", body["error_description"]), body["error_description"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ", body["timestamp"]), body["timestamp"]
    assert "wrong-secret-value" not in r.text


def test_unknown_client_is_700016(sim, graph):
    r = graph.http.post(
        sim.token_endpoint,
        data={"client_id": str(uuid.uuid4()), "client_secret": "x", "scope": sim.graph_scope, "grant_type": "client_credentials"},
    )
    assert r.status_code == 400, r.text[:300]
    body = r.json()
    assert body["error"] == "unauthorized_client" and body["error_codes"] == [700016], body
