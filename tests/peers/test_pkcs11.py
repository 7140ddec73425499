"""A client assertion signed on a SoftHSM2 token, checked by an independent verifier.

Both signatures a token may make are checked: PS256 (the default) and RS256 (with
`pkcs11_algorithm = "RS256"`, for tokens without RSA-PSS).

`apply` makes a `store = "pkcs11"` certificate on a fresh SoftHSM2 token. `breakglass token`
is then pointed (through a copy of the simulator's cloud profile) at a token endpoint of this
test's own, which keeps the client assertion it is sent. The `cryptography` package verifies
its PS256 signature (RSASSA-PSS, SHA-256, MGF1-SHA256, 32-byte salt) against the certificate
registered on the emergency app in the simulator, and the thumbprint header against that
certificate.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import http.server
import ipaddress
import json
import shutil
import ssl
import subprocess
import threading
import urllib.parse
from pathlib import Path

import httpx
import pytest

from conftest import b64url_json, parse_env_file, require

MODULE = Path("/usr/lib/softhsm/libsofthsm2.so")
TOKEN = "peer-token"
PIN = "2468-1357"
KEY = "peer-key"


def b64url_decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def softhsm(tmp_path: Path) -> Path:
    """A SoftHSM2 configuration with one fresh token; returns the configuration file."""
    require(MODULE.is_file() and shutil.which("softhsm2-util") is not None, "SoftHSM2 missing (package softhsm2)")
    tokens = tmp_path / "tokens"
    tokens.mkdir()
    conf = tmp_path / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\n")
    subprocess.run(
        ["softhsm2-util", "--init-token", "--free", "--label", TOKEN, "--pin", PIN, "--so-pin", "so-1234"],
        env={"SOFTHSM2_CONF": str(conf), "PATH": "/usr/bin:/bin"},
        check=True,
        capture_output=True,
    )
    return conf


def server_certificate(state_dir: Path, folder: Path) -> tuple[Path, Path]:
    """A TLS certificate for 127.0.0.1 issued by the simulator's CA (which the profile trusts)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    ca_cert = x509.load_pem_x509_certificate((state_dir / "ca.pem").read_bytes())
    ca_key = serialization.load_pem_private_key((state_dir / "ca-key.pem").read_bytes(), password=None)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "assertion catcher")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    cert_file, key_file = folder / "catcher.pem", folder / "catcher-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


class Catcher(http.server.BaseHTTPRequestHandler):
    """A token endpoint that keeps the form it is sent and refuses it."""

    caught: list[dict[str, list[str]]] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        length = int(self.headers.get("Content-Length", "0"))
        Catcher.caught.append(urllib.parse.parse_qs(self.rfile.read(length).decode()))
        body = json.dumps(
            {"error": "invalid_client", "error_description": "AADSTS7000215: kept by the test", "error_codes": [7000215]}
        ).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.mark.parametrize("algorithm", ["PS256", "RS256"])
def test_assertion_signed_on_the_token_verifies_against_the_registered_certificate(tenant, tmp_path, algorithm):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    run, root = tenant
    conf = softhsm(tmp_path)
    token_env = {"SOFTHSM2_CONF": str(conf), "BREAKGLASS_PKCS11_PIN": PIN}
    config = root / "work" / "breakglass.toml"
    text = config.read_text()
    credential = (
        '\n[[app.credentials]]\nlabel = "hardware"\nkind = "certificate"\nstore = "pkcs11"\n'
        f'pkcs11_module = "{MODULE}"\npkcs11_token = "{TOKEN}"\npkcs11_key = "{KEY}"\nlifetime_days = 365\n'
    )
    if algorithm == "RS256":
        credential += 'pkcs11_algorithm = "RS256"\n'
    config.write_text(text.replace("\n[users]", credential + "\n[users]", 1))
    run("apply", "--yes", extra_env=token_env)

    # The certificate Entra holds for `hardware`, read back through Graph with the operator.
    state_dir = root / "sim"
    operator = parse_env_file(state_dir / "operator.env")
    profile = json.loads((state_dir / "cloud.json").read_text())
    ca = str(state_dir / "ca.pem")
    form = {
        "grant_type": "client_credentials",
        "client_id": operator["AZURE_CLIENT_ID"],
        "client_secret": operator["AZURE_CLIENT_SECRET"],
        "scope": f"{profile['graphEndpoint']}/.default",
    }
    base = profile["authorityHost"]
    access = httpx.post(f"{base}/{operator['AZURE_TENANT_ID']}/oauth2/v2.0/token", data=form, verify=ca).json()
    apps = httpx.get(
        f"{profile['graphEndpoint']}/v1.0/applications",
        params={"$filter": "tags/any(t:t eq 'breakglass:emergency-access')"},
        headers={"Authorization": f"Bearer {access['access_token']}"},
        verify=ca,
    ).json()["value"]
    assert len(apps) == 1
    # As in Graph, the certificate itself comes only with $select=keyCredentials on one object.
    key_credentials = httpx.get(
        f"{profile['graphEndpoint']}/v1.0/applications/{apps[0]['id']}",
        params={"$select": "keyCredentials"},
        headers={"Authorization": f"Bearer {access['access_token']}"},
        verify=ca,
    ).json()["keyCredentials"]
    registered = [k for k in key_credentials if k["displayName"].endswith("hardware")]
    assert len(registered) == 1, key_credentials
    certificate_der = base64.b64decode(registered[0]["key"])
    certificate = x509.load_der_x509_certificate(certificate_der)

    # The same cloud at another address: this test's token endpoint.
    cert_file, key_file = server_certificate(state_dir, tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server = http.server.HTTPServer(("127.0.0.1", 0), Catcher)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        catcher_profile = dict(profile, authorityHost=f"https://127.0.0.1:{server.server_address[1]}", caCertificate=ca)
        profile_file = tmp_path / "catcher-cloud.json"
        profile_file.write_text(json.dumps(catcher_profile))
        result = run(
            "token",
            "--credential",
            "hardware",
            "--cloud",
            str(profile_file),
            extra_env=token_env,
            check=False,
        )
    finally:
        server.shutdown()
    assert result.returncode != 0, "the catcher refuses every request"
    assert Catcher.caught, f"no request reached the catcher: {result.stderr}"
    assertion = Catcher.caught[-1]["client_assertion"][0]
    header_segment, claims_segment, signature_segment = assertion.split(".")
    header = b64url_json(header_segment)
    claims = b64url_json(claims_segment)
    assert header["alg"] == algorithm, header
    if algorithm == "PS256":
        thumbprint = ("x5t#S256", hashlib.sha256(certificate_der).digest())
        scheme = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
    else:
        thumbprint = ("x5t", hashlib.sha1(certificate_der).digest())
        scheme = padding.PKCS1v15()
    assert header[thumbprint[0]] == base64.urlsafe_b64encode(thumbprint[1]).rstrip(b"=").decode(), header
    assert claims["iss"] == claims["sub"] == apps[0]["appId"]

    # Raises InvalidSignature when the token's signature does not match the certificate.
    certificate.public_key().verify(
        b64url_decode(signature_segment),
        f"{header_segment}.{claims_segment}".encode(),
        scheme,
        hashes.SHA256(),
    )
