"""azure-identity credentials (sync) against the simulator."""

from __future__ import annotations

import time

import pytest

from conftest import import_peer, jwt_parts, retry_until

identity = import_peer("azure.identity")


def scope(sim) -> str:
    return f"{sim.base_url}/.default"


def check_app_token(token, sim, app_id, *, need_roles: bool):
    assert token.token and token.expires_on > time.time()
    _, payload = jwt_parts(token.token)
    assert payload["tid"] == sim.tenant_id
    assert payload["appid"] == app_id
    assert payload.get("idtyp") == "app"
    if need_roles:
        assert isinstance(payload.get("roles"), list) and payload["roles"], f"no roles claim: {payload}"
    elif "roles" in payload:
        assert isinstance(payload["roles"], list)
    return payload


def test_client_secret_credential(sim):
    cred = identity.ClientSecretCredential(
        sim.tenant_id,
        sim.client_id,
        sim.client_secret,
        authority=sim.base_url,
        disable_instance_discovery=True,
        connection_verify=str(sim.ca),
    )
    try:
        token = cred.get_token(scope(sim))
    finally:
        cred.close()
    check_app_token(token, sim, sim.client_id, need_roles=True)


def test_client_secret_credential_bare_host_authority(sim):
    cred = identity.ClientSecretCredential(
        sim.tenant_id,
        sim.client_id,
        sim.client_secret,
        authority=f"127.0.0.1:{sim.port}",
        disable_instance_discovery=True,
        connection_verify=str(sim.ca),
    )
    try:
        token = cred.get_token(scope(sim))
    finally:
        cred.close()
    check_app_token(token, sim, sim.client_id, need_roles=True)


@pytest.mark.parametrize("chain", [False, True], ids=["x5t", "x5t+x5c"])
def test_certificate_credential(sim, cert_app, chain):
    cred = identity.CertificateCredential(
        sim.tenant_id,
        cert_app.app_id,
        str(cert_app.pem_path),
        authority=sim.base_url,
        disable_instance_discovery=True,
        connection_verify=str(sim.ca),
        send_certificate_chain=chain,
    )

    def attempt():
        try:
            return cred.get_token(scope(sim))
        except identity.ClientAuthenticationError as e:  # replication delay of the fresh app
            return e

    try:
        token = retry_until(attempt, lambda r: not isinstance(r, Exception))
    finally:
        cred.close()
    if isinstance(token, Exception):
        raise token
    payload = check_app_token(token, sim, cert_app.app_id, need_roles=True)
    assert cert_app.granted_role in payload["roles"], payload["roles"]
