"""Shared fixtures for the peer tests: the CSDL schema and a running `breakglass sim serve`.

Outside CI a missing prerequisite (the CSDL file, the breakglass binary) skips the tests that need
it; with CI=true it fails them, so that nothing is silently skipped in CI.
"""

from __future__ import annotations

import base64
import json
import os
import queue
import re
import stat
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import csdl  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")
URL_RE = re.compile(r"https://127\.0\.0\.1:(\d+)")
START_TIMEOUT = float(os.environ.get("BREAKGLASS_SIM_START_TIMEOUT", "60"))
HTTP_TIMEOUT = 30.0


def require(condition: bool, reason: str) -> None:
    """Skip (locally) or fail (CI=true) when a prerequisite is missing."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"missing prerequisite (CI=true, not skipping): {reason}", pytrace=False)
    pytest.skip(reason)


def b64url_json(segment: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def jwt_parts(token: str) -> tuple[dict, dict]:
    """Header and payload of a JWT, without verification."""
    if isinstance(token, bytes):
        token = token.decode("ascii")
    parts = token.split(".")
    assert len(parts) == 3, f"not a compact JWS: {token[:40]}..."
    return b64url_json(parts[0]), b64url_json(parts[1])


# --------------------------------------------------------------------------------------------
# CSDL


@pytest.fixture(scope="session")
def csdl_path() -> Path:
    path = csdl.default_csdl_path()
    require(path.is_file(), f"Graph CSDL not found at {path} (set {csdl.CSDL_ENV})")
    return path


@pytest.fixture(scope="session")
def schema(csdl_path: Path) -> csdl.Csdl:
    return csdl.load_cached(csdl_path)


# --------------------------------------------------------------------------------------------
# the simulator


def breakglass_bin() -> Path:
    return Path(os.environ.get("BREAKGLASS_BIN") or REPO / "target" / "debug" / "breakglass")


def parse_env_file(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        k, _, v = line.partition("=")
        k = k.removeprefix("export ").strip()
        v = v.strip()
        if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"":
            v = v[1:-1]
        out[k] = v
    return out


@dataclass
class Simulator:
    process: subprocess.Popen
    state_dir: Path
    base_url: str  # https://127.0.0.1:PORT (no trailing slash)
    port: int
    cloud: dict
    ca: Path
    operator_env_path: Path
    tenant_id: str
    client_id: str
    client_secret: str
    stdout_lines: list[str] = field(default_factory=list)
    stderr_path: Path | None = None

    @property
    def authority(self) -> str:
        return f"{self.base_url}/{self.tenant_id}"

    @property
    def token_endpoint(self) -> str:
        return f"{self.authority}/oauth2/v2.0/token"

    @property
    def graph_scope(self) -> str:
        return self.cloud["graphEndpoint"].rstrip("/") + "/.default"

    @property
    def graph_base(self) -> str:
        return self.cloud["graphEndpoint"].rstrip("/") + "/v1.0"

    def logs(self) -> str:
        err = self.stderr_path.read_text(errors="replace") if self.stderr_path and self.stderr_path.exists() else ""
        return "stdout:\n" + "".join(self.stdout_lines[-40:]) + "\nstderr (tail):\n" + err[-4000:]


def _wait_for_files(paths: list[Path], deadline: float) -> None:
    while time.monotonic() < deadline:
        if all(p.exists() and p.stat().st_size > 0 for p in paths):
            return
        time.sleep(0.05)


@pytest.fixture(scope="session")
def sim(tmp_path_factory) -> Simulator:
    binary = breakglass_bin()
    require(binary.is_file() and os.access(binary, os.X_OK), f"breakglass binary not built at {binary} (set BREAKGLASS_BIN)")
    state_dir = tmp_path_factory.mktemp("sim-state")
    stderr_path = state_dir.parent / "sim-stderr.log"
    stderr_file = open(stderr_path, "wb")
    env = dict(os.environ)
    env.setdefault("RUST_LOG", "info")
    process = subprocess.Popen(
        [str(binary), "sim", "serve", "--listen", "127.0.0.1:0", "--state-dir", str(state_dir)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=stderr_file,
        env=env,
        text=True,
        bufsize=1,
    )
    lines: list[str] = []
    found: queue.Queue[str] = queue.Queue()

    def pump() -> None:  # drain stdout for the whole session so the pipe never fills up
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            m = URL_RE.search(line)
            if m:
                found.put(m.group(0))

    threading.Thread(target=pump, name="sim-stdout", daemon=True).start()

    def fail(message: str) -> None:
        if process.poll() is None:
            process.kill()
            process.wait(10)
        stderr_file.close()
        err = stderr_path.read_text(errors="replace")[-4000:]
        pytest.fail(f"{message}\n--- simulator stdout ---\n{''.join(lines)[-4000:]}\n--- stderr ---\n{err}", pytrace=False)

    deadline = time.monotonic() + START_TIMEOUT
    url = None
    exited = False
    while url is None and time.monotonic() < deadline and not exited:
        exited = process.poll() is not None
        if exited:
            time.sleep(0.2)  # let the stdout pump catch up with a last line
        try:
            url = found.get(timeout=0.1)
        except queue.Empty:
            pass
    if url is None and exited:
        fail(f"`breakglass sim serve` exited with status {process.returncode} before printing its https://127.0.0.1:PORT URL")
    if url is None:
        fail(f"`breakglass sim serve` printed no https://127.0.0.1:PORT URL within {START_TIMEOUT:.0f}s")
    port = int(URL_RE.match(url).group(1))

    cloud_path, ca_path, env_path = state_dir / "cloud.json", state_dir / "ca.pem", state_dir / "operator.env"
    _wait_for_files([cloud_path, ca_path, env_path], time.monotonic() + 10)
    for p in (cloud_path, ca_path, env_path):
        if not p.exists():
            fail(f"simulator is up at {url} but did not write {p.name} in its state dir {state_dir}")
    cloud = json.loads(cloud_path.read_text())
    ca_name = cloud.get("caCertificate") or "ca.pem"
    ca = Path(ca_name) if Path(ca_name).is_absolute() else state_dir / ca_name
    operator = parse_env_file(env_path)
    missing = [k for k in ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET") if not operator.get(k)]
    if missing:
        fail(f"operator.env lacks {missing}")

    # msal and azure-identity (sync) use requests, which lets these variables override verify=
    saved = {k: os.environ.get(k) for k in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE")}
    os.environ["REQUESTS_CA_BUNDLE"] = str(ca)
    os.environ.pop("CURL_CA_BUNDLE", None)

    simulator = Simulator(
        process=process,
        state_dir=state_dir,
        base_url=url,
        port=port,
        cloud=cloud,
        ca=ca,
        operator_env_path=env_path,
        tenant_id=operator["AZURE_TENANT_ID"],
        client_id=operator["AZURE_CLIENT_ID"],
        client_secret=operator["AZURE_CLIENT_SECRET"],
        stdout_lines=lines,
        stderr_path=stderr_path,
    )
    try:
        yield simulator
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
        stderr_file.close()


# --------------------------------------------------------------------------------------------
# plain HTTP access to the simulator (independent of the Microsoft clients under test)


class GraphClient:
    """A thin Graph client on httpx with the operator's token; used to set up fixtures."""

    def __init__(self, sim: Simulator):
        import httpx

        self.sim = sim
        self.http = httpx.Client(verify=str(sim.ca), timeout=HTTP_TIMEOUT)
        self._token: str | None = None

    def token(self, client_id: str | None = None, secret: str | None = None, scope: str | None = None) -> dict:
        r = self.http.post(
            self.sim.token_endpoint,
            data={
                "client_id": client_id or self.sim.client_id,
                "client_secret": secret or self.sim.client_secret,
                "scope": scope or self.sim.graph_scope,
                "grant_type": "client_credentials",
            },
        )
        assert r.status_code == 200, f"token request failed: HTTP {r.status_code} {r.text[:500]}"
        return r.json()

    @property
    def access_token(self) -> str:
        if self._token is None:
            self._token = self.token()["access_token"]
        return self._token

    def url(self, path: str) -> str:
        if path.startswith("https://"):
            return path
        return self.sim.graph_base + "/" + path.lstrip("/").removeprefix("v1.0/")

    def request(self, method: str, path: str, **kw):
        headers = {"Authorization": f"Bearer {self.access_token}", **kw.pop("headers", {})}
        return self.http.request(method, self.url(path), headers=headers, **kw)

    def get(self, path: str, **kw):
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any, **kw):
        return self.request("POST", path, json=body, **kw)

    def patch(self, path: str, body: Any, **kw):
        return self.request("PATCH", path, json=body, **kw)

    def retry(self, method: str, path: str, body: Any = None, *, ok=(200, 201, 204), retry_on=(400, 404), attempts: int = 8):
        """Retry a request that may hit replication delay on a freshly created object."""
        last = None
        for i in range(attempts):
            last = self.request(method, path, json=body) if body is not None else self.request(method, path)
            if last.status_code in ok or last.status_code not in retry_on:
                return last
            time.sleep(min(0.25 * (2**i), 2.0))
        return last


@pytest.fixture(scope="session")
def graph(sim: Simulator) -> GraphClient:
    client = GraphClient(sim)
    yield client
    client.http.close()


def file_mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --------------------------------------------------------------------------------------------
# an application with a certificate, created through Graph with the operator's token


@dataclass
class CertApp:
    object_id: str
    app_id: str
    sp_id: str
    display_name: str
    key_pem: str
    cert_pem: str
    cert_der: bytes
    sha1_hex: str
    pem_path: Path  # private key + certificate in one PEM file (azure-identity CertificateCredential)
    created: dict  # the POST /applications response
    sp_created: dict  # the POST /servicePrincipals response
    granted_role: str  # the Microsoft Graph application permission granted to it (roles claim)
    role_assignment: dict  # the POST /servicePrincipals/{id}/appRoleAssignments response


def make_rsa_certificate(common_name: str) -> tuple[str, str, bytes]:
    """A fresh RSA-2048 key and a self-signed certificate: (key PEM, cert PEM, cert DER)."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return key_pem, cert.public_bytes(serialization.Encoding.PEM).decode(), cert.public_bytes(serialization.Encoding.DER)


GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"


def unique_name(prefix: str) -> str:
    return f"{prefix}-{os.getpid()}-{int(time.time() * 1000) % 10**8}"


@pytest.fixture(scope="session")
def cert_app(sim: Simulator, graph: GraphClient, tmp_path_factory) -> CertApp:
    import hashlib

    name = unique_name("peer-cert-app")
    key_pem, cert_pem, der = make_rsa_certificate(name)
    r = graph.post("/applications", {"displayName": name})
    assert r.status_code == 201, f"POST /v1.0/applications: HTTP {r.status_code} {r.text[:500]}"
    created = r.json()
    patch = {
        "keyCredentials": [
            {
                "type": "AsymmetricX509Cert",
                "usage": "Verify",
                "key": base64.b64encode(der).decode(),
                "displayName": f"CN={name}",
            }
        ]
    }
    r = graph.retry("PATCH", f"/applications/{created['id']}", patch)
    assert r.status_code == 204, f"PATCH /v1.0/applications/{{id}} keyCredentials: HTTP {r.status_code} {r.text[:500]}"
    r = graph.retry("POST", "/servicePrincipals", {"appId": created["appId"]})
    assert r.status_code == 201, f"POST /v1.0/servicePrincipals: HTTP {r.status_code} {r.text[:500]}"
    sp = r.json()
    # grant one Microsoft Graph application permission, so that its tokens carry a roles claim
    r = graph.get(f"/v1.0/servicePrincipals?$filter=appId eq '{GRAPH_APP_ID}'")
    assert r.status_code == 200 and r.json()["value"], f"Microsoft Graph service principal not found: {r.text[:300]}"
    graph_sp = r.json()["value"][0]
    role = next((a for a in graph_sp.get("appRoles", []) if a.get("value") == "Application.Read.All"), None)
    assert role, f"Microsoft Graph SP has no Application.Read.All app role: {[a.get('value') for a in graph_sp.get('appRoles', [])]}"
    r = graph.retry(
        "POST",
        f"/v1.0/servicePrincipals/{sp['id']}/appRoleAssignments",
        {"principalId": sp["id"], "resourceId": graph_sp["id"], "appRoleId": role["id"]},
        ok=(201,),
    )
    assert r.status_code == 201, f"POST appRoleAssignments: HTTP {r.status_code} {r.text[:500]}"
    assignment = r.json()
    pem_path = tmp_path_factory.mktemp("cert-app") / "key-and-cert.pem"
    pem_path.write_text(key_pem + cert_pem)
    pem_path.chmod(0o600)
    return CertApp(
        object_id=created["id"],
        app_id=created["appId"],
        sp_id=sp["id"],
        display_name=name,
        key_pem=key_pem,
        cert_pem=cert_pem,
        cert_der=der,
        sha1_hex=hashlib.sha1(der).hexdigest().upper(),
        pem_path=pem_path,
        created=created,
        sp_created=sp,
        granted_role=role["value"],
        role_assignment=assignment,
    )


def retry_until(fn, accept, attempts: int = 8):
    """Call fn() until accept(result) or attempts run out (replication delay); return the last result."""
    result = None
    for i in range(attempts):
        result = fn()
        if accept(result):
            return result
        time.sleep(min(0.25 * (2**i), 2.0))
    return result


def import_peer(module: str):
    """Import a peer package; skip the module when missing locally, fail in CI."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as e:
        if IN_CI:
            pytest.fail(f"peer package {module!r} is not installed (CI=true, not skipping): {e}", pytrace=False)
        pytest.skip(f"peer package {module!r} not installed: {e}", allow_module_level=True)


# --------------------------------------------------------------------------------------------
# a seeded person, for the device code flow (interactive sign-ins)

DEFAULT_TENANT_FILE = REPO / "crates" / "breakglass-sim" / "tenants" / "default.json"


@pytest.fixture(scope="session")
def seeded_user() -> dict:
    """A user of the simulator's built-in tenant who has a password (login + password)."""
    assert DEFAULT_TENANT_FILE.is_file(), f"built-in tenant description not found at {DEFAULT_TENANT_FILE}"
    tenant = json.loads(DEFAULT_TENANT_FILE.read_text())
    users = [u for u in tenant.get("users", []) if u.get("password") and u.get("userPrincipalName")]
    assert users, f"no user with a password in {DEFAULT_TENANT_FILE}"
    return {"login": users[0]["userPrincipalName"], "password": users[0]["password"]}


def approve_device_code(sim: Simulator, http, user_code: str, user: dict) -> None:
    r = http.post(f"{sim.base_url}/devicelogin", data={"user_code": user_code, **user})
    assert r.status_code == 200, f"POST /devicelogin: HTTP {r.status_code} {r.text[:300]}"


TENANT_KEEPASS_PASSWORD = "correct horse battery staple"


@pytest.fixture
def tenant(tmp_path):
    """A simulator of its own, `init` and `apply` done: (run, env) to call the binary."""
    binary = breakglass_bin().resolve()
    require(binary.is_file() and os.access(binary, os.X_OK), f"breakglass binary not built at {binary} (set BREAKGLASS_BIN)")
    state_dir = tmp_path / "sim"
    work = tmp_path / "work"
    home = tmp_path / "home"
    for d in (work, home):
        d.mkdir()
    stderr = open(tmp_path / "sim-stderr.log", "wb")
    process = subprocess.Popen(
        [str(binary), "sim", "serve", "--listen", "127.0.0.1:0", "--state-dir", str(state_dir)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )
    found: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            if URL_RE.search(line):
                found.put(line)

    threading.Thread(target=pump, daemon=True).start()
    try:
        found.get(timeout=60)
        deadline = time.monotonic() + 10
        while not (state_dir / "operator.env").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "NO_COLOR": "1",
            "BREAKGLASS_CLOUD": str(state_dir / "cloud.json"),
            "BREAKGLASS_KEEPASS_PASSWORD": TENANT_KEEPASS_PASSWORD,
            **{k: v for k, v in parse_env_file(state_dir / "operator.env").items() if k.startswith("AZURE_")},
        }

        def run(*args: str, extra_env: dict[str, str] | None = None, check: bool = True) -> subprocess.CompletedProcess:
            result = subprocess.run(
                [str(binary), *args],
                cwd=work,
                env={**env, **(extra_env or {})},
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=120,
            )
            if check:
                assert result.returncode == 0, f"breakglass {' '.join(args)}: exit {result.returncode}\n{result.stdout}\n{result.stderr}"
            return result

        run("init")
        run("apply", "--yes")
        yield run, tmp_path
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        stderr.close()
