"""Microsoft's own MSAL for Python against the simulator's token endpoint."""

from __future__ import annotations

import pytest

from conftest import import_peer, jwt_parts, retry_until

msal = import_peer("msal")
requests = import_peer("requests")


class RecordingSession(requests.Session):
    """A requests session that remembers the form bodies msal posts, to check the client assertion."""

    def __init__(self):
        super().__init__()
        self.posted: list[dict] = []

    def post(self, url, data=None, **kwargs):
        self.posted.append({"url": url, "data": dict(data or {})})
        return super().post(url, data=data, **kwargs)


def make_app(sim, client_id, credential, http_client=None):
    return msal.ConfidentialClientApplication(
        client_id,
        client_credential=credential,
        authority=sim.authority,
        instance_discovery=False,
        http_client=http_client,
        timeout=30,
    )


def acquire(app, sim):
    return retry_until(
        lambda: app.acquire_token_for_client(scopes=[sim.graph_scope]),
        lambda res: "access_token" in res or res.get("error") not in ("invalid_client", "unauthorized_client"),
    )


def check_token(result, sim, app_id):
    assert "access_token" in result, f"msal returned no token: {result.get('error')}: {result.get('error_description')}"
    assert result.get("token_type", "").lower() == "bearer"
    _, payload = jwt_parts(result["access_token"])
    assert payload["tid"] == sim.tenant_id
    assert payload["appid"] == app_id
    assert payload.get("idtyp") == "app"
    return payload


def test_client_secret(sim):
    result = acquire(make_app(sim, sim.client_id, sim.client_secret), sim)
    payload = check_token(result, sim, sim.client_id)
    assert payload.get("appidacr") in (None, "1"), payload.get("appidacr")


def test_certificate_public_certificate_ps256(sim, cert_app):
    session = RecordingSession()
    app = make_app(
        sim, cert_app.app_id, {"private_key": cert_app.key_pem, "public_certificate": cert_app.cert_pem}, session
    )
    result = acquire(app, sim)
    assertions = [p["data"]["client_assertion"] for p in session.posted if "client_assertion" in p["data"]]
    assert assertions, "msal sent no client_assertion"
    header, claims = jwt_parts(assertions[-1])
    assert header["alg"] == "PS256" and "x5t#S256" in header and header.get("x5c"), header
    assert claims["aud"] == sim.token_endpoint
    payload = check_token(result, sim, cert_app.app_id)
    assert payload.get("appidacr") in (None, "2"), payload.get("appidacr")
    assert cert_app.granted_role in payload.get("roles", []), payload.get("roles")


def test_certificate_thumbprint_rs256(sim, cert_app):
    session = RecordingSession()
    app = make_app(sim, cert_app.app_id, {"private_key": cert_app.key_pem, "thumbprint": cert_app.sha1_hex}, session)
    result = acquire(app, sim)
    assertions = [p["data"]["client_assertion"] for p in session.posted if "client_assertion" in p["data"]]
    assert assertions, "msal sent no client_assertion"
    header, _ = jwt_parts(assertions[-1])
    assert header["alg"] == "RS256" and "x5t" in header and "x5t#S256" not in header, header
    check_token(result, sim, cert_app.app_id)


def test_wrong_secret_is_invalid_client_7000215(sim):
    wrong = "definitely-not-the-secret-" + sim.client_secret[::-1][:8]
    app = make_app(sim, sim.client_id, wrong)
    result = app.acquire_token_for_client(scopes=[sim.graph_scope])
    assert "access_token" not in result
    assert result.get("error") == "invalid_client", result
    assert 7000215 in result.get("error_codes", []), result
    description = result.get("error_description", "")
    assert description.startswith("AADSTS7000215"), description
    assert wrong not in description and wrong not in str(result), "the error echoes the wrong secret"


def test_unregistered_certificate_is_rejected(sim, cert_app):
    from conftest import make_rsa_certificate

    other_key, other_cert, _ = make_rsa_certificate("not-registered")
    app = make_app(sim, cert_app.app_id, {"private_key": other_key, "public_certificate": other_cert})
    result = app.acquire_token_for_client(scopes=[sim.graph_scope])
    assert "access_token" not in result
    assert result.get("error") == "invalid_client", result
    assert 700027 in result.get("error_codes", []), result


@pytest.fixture(scope="module")
def device_flow_result(sim, graph, seeded_user):
    from conftest import approve_device_code

    app = msal.PublicClientApplication(sim.client_id, authority=sim.authority, instance_discovery=False, timeout=30)
    flow = app.initiate_device_flow(scopes=[sim.graph_scope])
    assert "user_code" in flow, f"initiate_device_flow failed: {flow}"
    assert flow["verification_uri"] == f"{sim.base_url}/devicelogin"
    approve_device_code(sim, graph.http, flow["user_code"], seeded_user)
    return app, app.acquire_token_by_device_flow(flow)


def test_device_code_flow_public_client(sim, seeded_user, device_flow_result):
    _, result = device_flow_result
    assert "access_token" in result, f"msal device flow: {result.get('error')}: {result.get('error_description')}"
    _, payload = jwt_parts(result["access_token"])
    assert payload["tid"] == sim.tenant_id
    assert payload.get("idtyp") == "user"
    assert payload.get("upn", "").lower() == seeded_user["login"].lower()


def test_device_code_flow_signs_the_person_in(sim, seeded_user, device_flow_result):
    """msal asks for openid profile offline_access: Entra then returns id_token, client_info and
    refresh_token, from which msal caches the account (needed for acquire_token_silent)."""
    app, result = device_flow_result
    missing = [k for k in ("id_token", "client_info", "refresh_token") if k not in result]
    assert not missing, f"device code token response lacks {missing} (has {sorted(result)})"
    assert result["id_token_claims"].get("tid") == sim.tenant_id
    accounts = app.get_accounts()
    assert [a["username"].lower() for a in accounts] == [seeded_user["login"].lower()]
    silent = app.acquire_token_silent([sim.graph_scope], account=accounts[0])
    assert silent and "access_token" in silent, silent
