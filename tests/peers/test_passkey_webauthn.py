"""A passkey registration judged by an independent WebAuthn relying party: Yubico's `fido2`
package verifies the registration `breakglass passkey enroll` sent to the simulator (client
data, RP id hash, user present and verified flags, and the attestation statement's signature),
and refuses the same registration once it is tampered with. The simulator accepted the
original, so the two relying parties agree.

The simulator here is started with its own tenant file: the built-in tenant with the Passkey
(FIDO2) policy enabled and attestation not enforced, as a rehearsal needs.
"""

from __future__ import annotations

import base64
import json
import os
import queue
import subprocess
import threading
import time
from pathlib import Path

import pytest

from conftest import URL_RE, breakglass_bin, file_mode, import_peer, parse_env_file, require  # noqa: F401

fido2_server = import_peer("fido2.server")
fido2_attestation = import_peer("fido2.attestation")
fido2_webauthn = import_peer("fido2.webauthn")

USER = "adele@contoso.example"
SOFTWARE_AAGUID = "4267c2b1-7e1d-4a0e-8f5b-627265616b67"
RP_ID = "login.microsoft.com"
ORIGIN = "https://login.microsoft.com"


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.fixture(scope="module")
def rehearsal(tmp_path_factory):
    """A simulator of the rehearsal tenant, and a function running breakglass against it."""
    binary = breakglass_bin()
    require(binary.is_file() and os.access(binary, os.X_OK), f"breakglass binary not built at {binary} (set BREAKGLASS_BIN)")
    root = tmp_path_factory.mktemp("passkey")
    tenant = json.loads(subprocess.run([str(binary), "sim", "default-tenant"], capture_output=True, text=True, check=True).stdout)
    tenant["passkeyPolicy"] = {"state": "enabled", "isAttestationEnforced": False}
    tenant_file = root / "tenant.json"
    tenant_file.write_text(json.dumps(tenant))
    state = root / "sim"
    process = subprocess.Popen(
        [str(binary), "sim", "serve", "--listen", "127.0.0.1:0", "--state-dir", str(state), "--tenant", str(tenant_file)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    found: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            m = URL_RE.search(line)
            if m:
                found.put(m.group(0))

    threading.Thread(target=pump, daemon=True).start()
    try:
        found.get(timeout=60)
        deadline = time.monotonic() + 10
        while not (state / "operator.env").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        operator = parse_env_file(state / "operator.env")
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(root / "home"),
            "NO_COLOR": "1",
            "BREAKGLASS_CLOUD": str(state / "cloud.json"),
            "BREAKGLASS_STATE_DIR": str(root / "state"),
            **{k: operator[k] for k in ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET")},
        }

        def run(*args: str) -> subprocess.CompletedProcess:
            return subprocess.run([str(binary), *args], capture_output=True, text=True, env=env, cwd=root, timeout=120)

        yield run, root
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture(scope="module")
def enrolled(rehearsal):
    """The registration breakglass sent (packed self-attestation), as it recorded it."""
    run, root = rehearsal
    out = root / "registration.json"
    result = run(
        "passkey", "enroll", "--user", USER, "--authenticator", "software",
        "--software-key", str(root / "key.json"), "--registration-out", str(out), "--output", "json",
    )
    assert result.returncode == 0, result.stderr
    assert file_mode(root / "key.json") == 0o600
    return json.loads(result.stdout), json.loads(out.read_text())


def relying_party(results: list):
    """Yubico's server for Entra's relying party, verifying the attestation statement too."""
    Attestation = fido2_attestation.Attestation

    def verify_attestation(attestation_object, client_data_hash):
        verifier = Attestation.for_type(attestation_object.fmt)()
        results.append(verifier.verify(attestation_object.att_stmt, attestation_object.auth_data, client_data_hash))

    return fido2_server.Fido2Server(
        {"id": RP_ID, "name": "Microsoft"},
        attestation="direct",
        verify_origin=lambda origin: origin == ORIGIN,
        verify_attestation=verify_attestation,
    )


def registration_response(sent: dict) -> dict:
    credential = sent["publicKeyCredential"]
    return {
        "id": credential["id"],
        "rawId": credential["id"],
        "type": "public-key",
        "response": dict(credential["response"]),
        "clientExtensionResults": credential.get("clientExtensionResults") or {},
    }


def test_yubico_fido2_verifies_the_registration_the_simulator_accepted(enrolled):
    report, recorded = enrolled
    options = recorded["creationOptions"]["publicKey"]
    state = {"challenge": options["challenge"], "user_verification": "required"}
    results: list = []
    auth_data = relying_party(results).register_complete(state, registration_response(recorded["registration"]))

    assert auth_data.is_user_present() and auth_data.is_user_verified()
    credential = auth_data.credential_data
    assert str(credential.aaguid) == SOFTWARE_AAGUID == report["passkey"]["aaguid"]
    assert b64url(credential.credential_id) == recorded["registration"]["publicKeyCredential"]["id"]
    # Entra (the simulator) names the method after the credential it registered.
    assert report["passkey"]["id"] == recorded["registration"]["publicKeyCredential"]["id"]
    assert credential.public_key[3] == -7, "ES256, the algorithm the creation options offered"
    assert options["rp"]["id"] == RP_ID
    assert {"type": "public-key", "alg": -7} in options["pubKeyCredParams"]
    assert [r.attestation_type for r in results] == [fido2_attestation.AttestationType.SELF]


def test_yubico_fido2_refuses_what_the_simulator_refuses(enrolled):
    _, recorded = enrolled
    options = recorded["creationOptions"]["publicKey"]
    sent = recorded["registration"]

    wrong_challenge = {"challenge": b64url(b"\0" * 32), "user_verification": "required"}
    with pytest.raises(ValueError, match="challenge"):
        relying_party([]).register_complete(wrong_challenge, registration_response(sent))

    # Other client data under the same attestation: the packed signature no longer verifies.
    client_data = json.loads(b64url_decode(sent["publicKeyCredential"]["response"]["clientDataJSON"]))
    client_data["crossOrigin"] = True
    tampered = json.loads(json.dumps(sent))
    tampered["publicKeyCredential"]["response"]["clientDataJSON"] = b64url(json.dumps(client_data).encode())
    state = {"challenge": options["challenge"], "user_verification": "required"}
    with pytest.raises(Exception):
        relying_party([]).register_complete(state, registration_response(tampered))


def test_a_none_attestation_verifies_too(rehearsal):
    run, root = rehearsal
    out = root / "registration-none.json"
    result = run(
        "passkey", "enroll", "--user", "ben@contoso.example", "--authenticator", "software",
        "--software-key", str(root / "key.json"), "--software-attestation", "none",
        "--registration-out", str(out), "--output", "json",
    )
    assert result.returncode == 0, result.stderr
    recorded = json.loads(out.read_text())
    state = {"challenge": recorded["creationOptions"]["publicKey"]["challenge"], "user_verification": "required"}
    results: list = []
    relying_party(results).register_complete(state, registration_response(recorded["registration"]))
    assert [r.attestation_type for r in results] == [fido2_attestation.AttestationType.NONE]


def test_the_simulators_passkey_answers_match_the_csdl(rehearsal, enrolled, schema):
    import httpx

    _, root = rehearsal
    state = root / "sim"
    cloud = json.loads((state / "cloud.json").read_text())
    operator = parse_env_file(state / "operator.env")
    base = cloud["graphEndpoint"].rstrip("/")
    with httpx.Client(verify=str(state / "ca.pem"), timeout=30) as http:
        token = http.post(
            f"{cloud['authorityHost'].rstrip('/')}/{operator['AZURE_TENANT_ID']}/oauth2/v2.0/token",
            data={
                "grant_type": "client_credentials",
                "client_id": operator["AZURE_CLIENT_ID"],
                "client_secret": operator["AZURE_CLIENT_SECRET"],
                "scope": base + "/.default",
            },
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}

        def get(path: str) -> dict:
            r = http.get(base + path, headers=headers)
            assert r.status_code == 200, f"GET {path}: HTTP {r.status_code} {r.text[:300]}"
            return r.json()

        checks = [
            ("/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/fido2",
             "fido2AuthenticationMethodConfiguration", False),
            (f"/v1.0/users/{USER}/authentication/fido2Methods/creationOptions",
             "webauthnCredentialCreationOptions", False),
            (f"/v1.0/users/{USER}/authentication/fido2Methods", "fido2AuthenticationMethod", True),
        ]
        for path, type_name, collection in checks:
            body = get(path)
            value = body["value"] if collection else {k: v for k, v in body.items() if not k.startswith("@odata.context")}
            problems = schema.validate(value, type_name, collection=collection, where=path)
            assert not problems, f"{path}:\n  " + "\n  ".join(problems[:20])
        listed = get(f"/v1.0/users/{USER}/authentication/fido2Methods")["value"]
        assert listed and listed[0]["aaGuid"] == SOFTWARE_AAGUID
        methods = get(f"/v1.0/users/{USER}/authentication/methods")
        assert not schema.validate_path_response(f"/v1.0/users/{USER}/authentication/methods", methods)
