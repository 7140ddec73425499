"""What `breakglass sim serve` leaves in its state directory, and its OpenID metadata and JWKS."""

from __future__ import annotations

import time

import pytest

from conftest import file_mode, import_peer, jwt_parts

jwt = import_peer("jwt")


def test_operator_env_is_private(sim):
    mode = file_mode(sim.operator_env_path)
    assert mode == 0o600, f"operator.env has mode {oct(mode)}, expected 0o600"
    text = sim.operator_env_path.read_text()
    for key in ("AZURE_TENANT_ID=", "AZURE_CLIENT_ID=", "AZURE_CLIENT_SECRET="):
        assert key in text


def test_cloud_profile(sim):
    cloud = sim.cloud
    assert set(cloud) >= {"name", "authorityHost", "graphEndpoint", "resourceManagerEndpoint", "caCertificate"}, cloud
    for k in ("authorityHost", "graphEndpoint", "resourceManagerEndpoint"):
        assert cloud[k].rstrip("/") == sim.base_url, f"cloud.json {k}={cloud[k]!r}, simulator URL {sim.base_url}"
    assert cloud["caCertificate"] == "ca.pem"
    assert sim.ca.read_text().startswith("-----BEGIN CERTIFICATE-----")


def test_tls_is_verified_with_the_simulator_ca_only(sim):
    import httpx

    with httpx.Client(verify=str(sim.ca), timeout=30) as ok:
        assert ok.get(f"{sim.authority}/v2.0/.well-known/openid-configuration").status_code == 200
    with httpx.Client(verify=True, timeout=30) as system_roots:  # public roots must not trust it
        with pytest.raises(httpx.ConnectError):
            system_roots.get(f"{sim.authority}/v2.0/.well-known/openid-configuration")


@pytest.fixture(scope="module")
def openid(sim, graph):
    r = graph.http.get(f"{sim.authority}/v2.0/.well-known/openid-configuration")
    assert r.status_code == 200, r.text[:500]
    return r.json()


def test_openid_configuration(sim, openid):
    assert openid["token_endpoint"] == sim.token_endpoint
    assert openid["issuer"].startswith("https://"), openid["issuer"]
    assert sim.tenant_id in openid["issuer"]
    assert openid["jwks_uri"] == f"{sim.authority}/discovery/v2.0/keys"
    assert openid["authorization_endpoint"].startswith(sim.authority + "/oauth2/v2.0/")
    assert openid["device_authorization_endpoint"] == f"{sim.authority}/oauth2/v2.0/devicecode"
    assert {"client_secret_post", "private_key_jwt"} <= set(openid["token_endpoint_auth_methods_supported"])
    assert "RS256" in openid["id_token_signing_alg_values_supported"]


def test_token_signature_verifies_against_jwks(sim, graph, openid):
    token = graph.token()["access_token"]
    header, payload = jwt_parts(token)
    assert header.get("alg") == "RS256", header
    assert header.get("kid"), f"token header has no kid: {header}"
    r = graph.http.get(openid["jwks_uri"])
    assert r.status_code == 200, r.text[:500]
    keys = r.json()["keys"]
    matching = [k for k in keys if k.get("kid") == header["kid"]]
    assert matching, f"kid {header['kid']} not in JWKS kids {[k.get('kid') for k in keys]}"
    jwk = matching[0]
    assert jwk["kty"] == "RSA" and jwk.get("use", "sig") == "sig" and jwk["e"]
    if "x5t" in header:
        assert header["x5t"] == jwk.get("x5t"), (header, jwk.get("x5t"))
    key = jwt.PyJWK(jwk).key
    decoded = jwt.decode(
        token, key=key, algorithms=["RS256"], options={"verify_aud": False, "verify_iss": False}, leeway=60
    )
    assert decoded == payload
    if jwk.get("x5c"):
        # the certificate in x5c must hold the same public key as n/e
        import base64

        from cryptography import x509

        cert = x509.load_der_x509_certificate(base64.b64decode(jwk["x5c"][0]))
        assert cert.public_key().public_numbers() == key.public_numbers()
    # a tampered token must not verify
    h, p, s = token.split(".")
    forged = ".".join([h, p, s[:-4] + ("AAAA" if not s.endswith("AAAA") else "BBBB")])
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(forged, key=key, algorithms=["RS256"], options={"verify_aud": False, "verify_iss": False})
    now = time.time()
    assert payload["exp"] > now and payload["iat"] <= now + 60
    assert payload["tid"] == sim.tenant_id
    assert payload["appid"] == sim.client_id
    assert payload.get("idtyp") == "app"


def test_arm_subscriptions_for_az_login(sim, graph):
    r = graph.http.get(
        f"{sim.cloud['resourceManagerEndpoint'].rstrip('/')}/subscriptions?api-version=2022-12-01",
        headers={"Authorization": f"Bearer {graph.access_token}"},
    )
    assert r.status_code == 200, r.text[:500]
    assert isinstance(r.json().get("value"), list)
