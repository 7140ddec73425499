"""`breakglass watch` by email, judged by independent parties: aiosmtpd receives the mail (with
AUTH PLAIN), and Python's `email` package parses it.

One simulator of its own (init and apply change the tenant, which the other peer tests share
none of), the emergency app signs in with its rotating secret, and `watch --once` sends the
events to aiosmtpd. Then: every message parses without defects, the sign-in's subject,
recipients, Message-ID, X-Breakglass-Event-Id, Date and body are as docs/watch.md says, the
password reached the server and nothing else, and a second watcher with no state (as after a
crash before the state file was written) sends the same events with the same Message-IDs.
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import json
import socket
import subprocess
from pathlib import Path

import pytest

from conftest import import_peer

aiosmtpd_controller = import_peer("aiosmtpd.controller")
aiosmtpd_smtp = import_peer("aiosmtpd.smtp")

FROM = "breakglass@alerts.example.com"
TO = ["secops@example.com", "oncall@example.net"]
SMTP_PASSWORD = "peer-smtp-password-5b7d"

# AUTH over plain SMTP is what a loopback relay gets; aiosmtpd warns about it each time.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


class Inbox:
    """aiosmtpd handler: keeps every accepted message and every AUTH."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.logins: list[tuple[str, str]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 2.0.0 accepted"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        login = auth_data.login.decode() if isinstance(auth_data.login, bytes) else auth_data.login
        password = auth_data.password.decode() if isinstance(auth_data.password, bytes) else auth_data.password
        self.logins.append((login, password))
        return aiosmtpd_smtp.AuthResult(success=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    port = free_port()
    controller = aiosmtpd_controller.Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=inbox.authenticate,
        auth_required=True,
        auth_require_tls=False,  # plain SMTP to loopback, as breakglass allows only there
    )
    controller.start()
    try:
        yield inbox, f"smtp://127.0.0.1:{port}"
    finally:
        controller.stop()


def watch_once(run, url: str, state: Path) -> subprocess.CompletedProcess:
    args = ["watch", "--once", "--output", "json", "--state", str(state), "--email-from", FROM, "--smtp", url, "--smtp-user", "alice"]
    for to in TO:
        args += ["--email-to", to]
    return run(*args, extra_env={"BREAKGLASS_SMTP_PASSWORD": SMTP_PASSWORD})


def parsed(inbox: Inbox) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(raw, policy=email.policy.default) for _, _, raw in inbox.messages]


def test_email_parses_and_carries_the_event(tenant, smtp_server):
    run, root = tenant
    inbox, url = smtp_server
    run("token", "--credential", "rotating")

    result = watch_once(run, url, root / "watch.json")
    report = json.loads(result.stdout)
    assert not report["failures"], report
    sign_ins = [n for n in report["delivered"] if n["kind"] == "servicePrincipalSignIn"]
    assert len(sign_ins) == 1, report
    event = sign_ins[0]
    assert len(inbox.messages) == len(report["delivered"]), (inbox.messages, report)

    # AUTH PLAIN with the password from the environment; printed nowhere.
    assert inbox.logins and all(login == ("alice", SMTP_PASSWORD) for login in inbox.logins), inbox.logins
    assert SMTP_PASSWORD not in result.stdout + result.stderr
    assert SMTP_PASSWORD not in (root / "watch.json").read_text()

    messages = parsed(inbox)
    for (mail_from, rcpt_tos, _), message in zip(inbox.messages, messages):
        assert mail_from == FROM
        assert rcpt_tos == TO
        assert not message.defects, message.defects
        for name, value in message.items():
            assert not getattr(value, "defects", ()), (name, value.defects)
        assert message["Auto-Submitted"] == "auto-generated"
        assert email.utils.parsedate_to_datetime(message["Date"]) is not None
        assert [a.addr_spec for a in message["To"].addresses] == TO
        assert message["From"].addresses[0].addr_spec == FROM

    (message,) = [m for m in messages if m["X-Breakglass-Event-Id"] == event["id"]]
    assert message["Subject"] == "[breakglass HIGH] Emergency app signed in with its rotating credential"
    assert message["Message-ID"] == f"<breakglass.{event['id'].lower()}@alerts.example.com>"
    assert message.get_content_type() == "text/plain"
    body = message.get_content()
    assert body.splitlines()[0] == event["title"]
    facts = dict(
        (key.strip(), value.strip())
        for key, _, value in (line.partition(":") for line in body.splitlines()[2:])
        if value
    )
    assert facts["Severity"] == "high"
    assert facts["Credential"] == "rotating"
    assert facts["Key id"] == event["credentialKeyId"]
    assert facts["Event id"] == event["id"]
    assert facts["Source"] == "servicePrincipalSignIns"
    assert facts["Result"] == "success"
    for key, field in [
        ("Tenant id", "tenantId"),
        ("App id", "appId"),
        ("Service principal id", "servicePrincipalId"),
        ("Correlation id", "correlationId"),
    ]:
        assert event[field], (field, event)
        assert facts[key] == event[field], (key, facts)

    # Message-IDs are unique per event, and the same when the events are sent again by a
    # watcher that lost its state (a crash after the server accepted, before the write).
    ids = {m["X-Breakglass-Event-Id"]: m["Message-ID"] for m in messages}
    assert len(set(ids.values())) == len(ids)
    inbox.messages.clear()
    again = watch_once(run, url, root / "fresh-state.json")
    assert json.loads(again.stdout)["delivered"], again.stdout
    resent = {m["X-Breakglass-Event-Id"]: m["Message-ID"] for m in parsed(inbox)}
    assert resent == ids
