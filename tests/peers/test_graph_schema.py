"""Every entity the simulator returns must match Microsoft's Graph v1.0 CSDL."""

from __future__ import annotations

import pytest

from conftest import approve_device_code, jwt_parts, unique_name


def assert_valid(schema, path: str, body, *, type_name: str | None = None) -> None:
    if type_name:
        problems = schema.validate(body, type_name, where=path)
    else:
        problems = schema.validate_path_response(path, body)
    assert not problems, f"{len(problems)} CSDL problem(s) in {path}:\n  " + "\n  ".join(problems[:40])


@pytest.fixture(scope="module")
def scenario(sim, graph, seeded_user):
    """Create the objects whose shapes we check, and some audit/deleted-item/sign-in traffic."""
    out = {}
    # an interactive sign-in (device code flow, approved by a seeded person) for /auditLogs/signIns
    r = graph.http.post(
        f"{sim.authority}/oauth2/v2.0/devicecode",
        data={"client_id": sim.client_id, "scope": f"{sim.graph_scope} offline_access"},
    )
    assert r.status_code == 200, f"POST devicecode: HTTP {r.status_code} {r.text[:500]}"
    flow = r.json()
    approve_device_code(sim, graph.http, flow["user_code"], seeded_user)
    r = graph.http.post(
        sim.token_endpoint,
        data={
            "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
            "client_id": sim.client_id,
            "device_code": flow["device_code"],
        },
    )
    assert r.status_code == 200, f"device code token: HTTP {r.status_code} {r.text[:500]}"
    assert jwt_parts(r.json()["access_token"])[1].get("idtyp") == "user"

    name = unique_name("peer-schema-app")
    r = graph.post("/applications", {"displayName": name, "tags": ["breakglass-peer-test"]})
    assert r.status_code == 201, f"POST /v1.0/applications: HTTP {r.status_code} {r.text[:500]}"
    out["application"] = r.json()
    app_id = out["application"]["id"]
    r = graph.retry("POST", f"/applications/{app_id}/addPassword", {"passwordCredential": {"displayName": "peer"}}, ok=(200,))
    assert r.status_code == 200, f"POST /v1.0/applications/{{id}}/addPassword: HTTP {r.status_code} {r.text[:500]}"
    out["passwordCredential"] = r.json()
    r = graph.retry("POST", "/servicePrincipals", {"appId": out["application"]["appId"]}, ok=(201,))
    assert r.status_code == 201, f"POST /v1.0/servicePrincipals: HTTP {r.status_code} {r.text[:500]}"
    out["servicePrincipal"] = r.json()

    domains = graph.get("/domains").json()["value"]
    initial = next((d["id"] for d in domains if d.get("isInitial")), domains[0]["id"])
    nick = unique_name("peeruser").replace("-", "")
    user_body = {
        "accountEnabled": True,
        "displayName": f"Peer Test {nick}",
        "mailNickname": nick,
        "userPrincipalName": f"{nick}@{initial}",
        "passwordProfile": {"forceChangePasswordNextSignIn": False, "password": "Peer-Test-Passw0rd!x"},
    }
    r = graph.post("/users", user_body)
    assert r.status_code == 201, f"POST /v1.0/users: HTTP {r.status_code} {r.text[:500]}"
    out["user"] = r.json()
    r = graph.retry(
        "POST",
        f"/users/{out['user']['id']}/authentication/temporaryAccessPassMethods",
        {"lifetimeInMinutes": 60, "isUsableOnce": False},
        ok=(201,),
    )
    assert r.status_code == 201, f"POST temporaryAccessPassMethods: HTTP {r.status_code} {r.text[:500]}"
    out["tap"] = r.json()

    # a second user, deleted, so that /directory/deletedItems/microsoft.graph.user has something
    nick2 = nick + "d"
    r = graph.post("/users", {**user_body, "displayName": f"Peer Deleted {nick2}", "mailNickname": nick2, "userPrincipalName": f"{nick2}@{initial}"})
    assert r.status_code == 201, f"POST /v1.0/users: HTTP {r.status_code} {r.text[:500]}"
    out["deleted_user"] = r.json()
    r = graph.retry("DELETE", f"/users/{out['deleted_user']['id']}", ok=(204,))
    assert r.status_code == 204, f"DELETE /v1.0/users/{{id}}: HTTP {r.status_code} {r.text[:500]}"
    return out


# path, whether the simulator must return at least one item
COLLECTIONS = [
    ("/v1.0/organization", True),
    ("/v1.0/domains", True),
    ("/v1.0/users", True),
    ("/v1.0/groups", False),
    ("/v1.0/applications", True),
    ("/v1.0/servicePrincipals", True),
    ("/v1.0/roleManagement/directory/roleDefinitions", True),
    ("/v1.0/roleManagement/directory/roleAssignments", True),
    ("/v1.0/roleManagement/directory/roleEligibilityScheduleInstances", False),
    ("/v1.0/identity/conditionalAccess/policies", False),
    ("/v1.0/auditLogs/directoryAudits", True),
    ("/v1.0/auditLogs/signIns", True),
    ("/v1.0/directory/deletedItems/microsoft.graph.user", True),
]


@pytest.mark.parametrize("path, non_empty", COLLECTIONS, ids=[p for p, _ in COLLECTIONS])
def test_collection_matches_csdl(schema, graph, scenario, path, non_empty):
    r = graph.get(path)
    assert r.status_code == 200, f"GET {path}: HTTP {r.status_code} {r.text[:500]}"
    assert r.headers.get("content-type", "").startswith("application/json"), r.headers.get("content-type")
    body = r.json()
    assert_valid(schema, path, body)
    if non_empty:
        assert body["value"], f"GET {path} returned no items"
    for item in body["value"]:
        assert item.get("id"), f"{path}: item without id: {item}"


def test_created_application_matches_csdl(schema, scenario):
    app = scenario["application"]
    assert_valid(schema, "POST /v1.0/applications", app, type_name="application")
    assert app["keyCredentials"] == [] and app["passwordCredentials"] == []
    assert app.get("appId") and app.get("id") and app["appId"] != app["id"]


def test_add_password_result_matches_csdl(schema, scenario):
    cred = scenario["passwordCredential"]
    assert_valid(schema, "POST /v1.0/applications/{id}/addPassword", cred, type_name="passwordCredential")
    assert cred["secretText"] and 16 <= len(cred["secretText"]) <= 64
    assert cred["hint"] == cred["secretText"][:3]
    assert cred["keyId"] and cred["startDateTime"] and cred["endDateTime"]


def test_application_after_add_password_hides_secret(schema, graph, scenario):
    path = f"/v1.0/applications/{scenario['application']['id']}"
    r = graph.retry("GET", path, ok=(200,))
    assert r.status_code == 200, r.text[:500]
    body = r.json()
    assert_valid(schema, path, body)
    creds = body["passwordCredentials"]
    assert [c["keyId"] for c in creds] == [scenario["passwordCredential"]["keyId"]]
    assert creds[0].get("secretText") is None


def test_created_service_principal_matches_csdl(schema, graph, scenario):
    sp = scenario["servicePrincipal"]
    assert_valid(schema, "POST /v1.0/servicePrincipals", sp, type_name="servicePrincipal")
    assert sp["appId"] == scenario["application"]["appId"]
    path = f"/v1.0/servicePrincipals/{sp['id']}"
    r = graph.retry("GET", path, ok=(200,))
    assert r.status_code == 200, r.text[:500]
    assert_valid(schema, path, r.json())


def test_created_user_matches_csdl(schema, graph, scenario):
    user = scenario["user"]
    assert_valid(schema, "POST /v1.0/users", user, type_name="user")
    path = f"/v1.0/users/{user['id']}"
    r = graph.retry("GET", path, ok=(200,))
    assert r.status_code == 200, r.text[:500]
    assert_valid(schema, path, r.json())


def test_temporary_access_pass_matches_csdl(schema, graph, scenario):
    tap = scenario["tap"]
    path = f"/v1.0/users/{scenario['user']['id']}/authentication/temporaryAccessPassMethods"
    assert_valid(schema, "POST " + path, tap, type_name="temporaryAccessPassAuthenticationMethod")
    assert tap.get("temporaryAccessPass"), tap
    assert tap.get("lifetimeInMinutes") == 60
    r = graph.get(path)
    assert r.status_code == 200, r.text[:500]
    assert_valid(schema, path, r.json())
    listed = r.json()["value"]
    assert [t["id"] for t in listed] == [tap["id"]]
    assert listed[0].get("temporaryAccessPass") in (None, ""), "the pass must only be shown at creation"


def test_deleted_user_is_listed(graph, scenario):
    r = graph.get("/v1.0/directory/deletedItems/microsoft.graph.user")
    ids = [u["id"] for u in r.json()["value"]]
    assert scenario["deleted_user"]["id"] in ids
    deleted = next(u for u in r.json()["value"] if u["id"] == scenario["deleted_user"]["id"])
    assert deleted.get("deletedDateTime"), deleted


def test_certificate_app_matches_csdl(schema, graph, cert_app):
    path = f"/v1.0/applications/{cert_app.object_id}"
    r = graph.retry("GET", path + "?$select=id,appId,keyCredentials", ok=(200,))
    assert r.status_code == 200, r.text[:500]
    assert_valid(schema, path, r.json())
    creds = r.json()["keyCredentials"]
    assert len(creds) == 1, creds
    assert creds[0]["type"] == "AsymmetricX509Cert" and creds[0]["usage"] == "Verify"


def test_app_role_assignment_matches_csdl(schema, cert_app):
    assert_valid(schema, "POST /v1.0/servicePrincipals/{id}/appRoleAssignments", cert_app.role_assignment, type_name="appRoleAssignment")
    assert cert_app.role_assignment["principalId"] == cert_app.sp_id
