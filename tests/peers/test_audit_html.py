"""`breakglass audit --format html` (one tenant's, and the page across tenants) and `drill --format html`, judged by a real browser: headless Chromium (Debian's) over
the DevTools protocol loads the page at a phone's width and at a desktop's, and the page must
raise no console message or exception, make no request but for its own file, hold every
finding of the JSON report (summary, check and evidence), fit the phone's width without
sideways scrolling, and print to PDF. Screenshots are kept in target/test-artifacts.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from chromium import Chromium, chromium_path
from conftest import IN_CI, REPO, parse_env_file, require

ARTIFACTS = Path(os.environ.get("BREAKGLASS_TEST_ARTIFACTS", REPO / "target" / "test-artifacts"))


def browser() -> Chromium:
    binary = chromium_path()
    require(binary is not None, "chromium is not installed (scripts/test installs Debian's chromium in CI)")
    return Chromium(binary)


def test_the_html_report_loads_clean_and_holds_every_finding(tenant):
    run, root = tenant
    page = root / "audit.html"
    run("audit", "--format", "html", "--out", str(page), "--fail-on", "never")
    report = json.loads(run("audit", "--output", "json", "--fail-on", "never").stdout)
    findings = [f for f in report["findings"] if f["status"] != "pass"]
    assert findings, "the seeded tenant has findings"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    chromium = browser()
    try:
        for name, width, height, mobile in (("phone", 390, 844, True), ("desktop", 1280, 900, False)):
            session, load = chromium.open(page.as_uri(), width, height, mobile)
            assert not load.console, load.console
            assert not load.exceptions, load.exceptions
            assert not load.log_errors, load.log_errors
            assert load.requests == [page.as_uri()], f"requests beyond the file: {load.requests}"
            overflow = chromium.evaluate(session, "document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{name}: {overflow}px of sideways scrolling"
            chromium.screenshot(session, ARTIFACTS / f"audit-report-{name}.png")
            text = " ".join(chromium.text(session).split())
            for finding in findings:
                assert " ".join(finding["summary"].split()) in text, finding["summary"]
                assert finding["check"] in text
                for evidence in finding.get("evidence", []):
                    assert evidence["id"] in text, evidence
            assert report["tenantId"] in text
        assert chromium.pdf(session).startswith(b"%PDF")
    finally:
        chromium.close()
    assert (ARTIFACTS / "audit-report-phone.png").stat().st_size > 1000
    if IN_CI:
        print(f"screenshots: {ARTIFACTS}")


def test_the_drill_page_loads_clean_and_names_every_credential_and_user(tenant):
    run, root = tenant
    result = run("drill", "--log-wait", "0", "--format", "html", check=False)
    assert result.returncode in (0, 8), result.stderr
    page = root / "drill.html"
    page.write_text(result.stdout)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    chromium = browser()
    try:
        session, load = chromium.open(page.as_uri(), 390, 844, True)
        assert not load.console and not load.exceptions and not load.log_errors, load
        assert load.requests == [page.as_uri()], load.requests
        overflow = chromium.evaluate(session, "document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{overflow}px of sideways scrolling"
        chromium.screenshot(session, ARTIFACTS / "drill-report-phone.png")
        text = chromium.text(session)
        assert "Emergency access drill" in text
        for label in ("rotating", "offline"):
            assert label in text, label
        assert "@" in text, "the emergency users by name"
    finally:
        chromium.close()


def test_the_page_across_tenants_loads_clean_and_its_links_land(tenant):
    """A tenants file with the simulated tenant and one whose id its breakglass.toml contradicts
    (so it is not read): the page raises nothing, fetches nothing, fits a phone, and every
    in-page link names an element of the page."""
    run, root = tenant
    tenant_id = json.loads(run("audit", "--output", "json", "--fail-on", "never").stdout)["tenantId"]
    operator = parse_env_file(root / "sim" / "operator.env")
    entry = """[[tenant]]
name = "{name}"
tenant_id = "{tenant_id}"
cloud = "{cloud}"
config = "{config}"
client_id = "{client_id}"
client_secret_env = "CONTOSO_OPERATOR_SECRET"
"""
    common = {"cloud": root / "sim" / "cloud.json", "config": root / "work" / "breakglass.toml", "client_id": operator["AZURE_CLIENT_ID"]}
    tenants = root / "tenants.toml"
    tenants.write_text(
        entry.format(name="contoso", tenant_id=tenant_id, **common)
        + "\n"
        + entry.format(name="elsewhere", tenant_id="0f0f0f0f-0000-4000-8000-000000000001", **common)
    )
    page = root / "tenants.html"
    result = run(
        "--tenants", str(tenants), "audit", "--fail-on", "never", "--format", "html", "--out", str(page),
        extra_env={"CONTOSO_OPERATOR_SECRET": operator["AZURE_CLIENT_SECRET"]},
        check=False,
    )
    assert result.returncode == 13, result.stderr
    chromium = browser()
    try:
        session, load = chromium.open(page.as_uri(), 390, 844, True)
        assert not load.console and not load.exceptions and not load.log_errors, load
        assert load.requests == [page.as_uri()], load.requests
        overflow = chromium.evaluate(session, "document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{overflow}px of sideways scrolling"
        dangling = chromium.evaluate(
            session,
            "[...document.querySelectorAll('a[href^=\"#\"]')].map(a => a.getAttribute('href').slice(1))"
            ".filter(id => !document.getElementById(id))",
        )
        assert dangling == [], dangling
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        chromium.screenshot(session, ARTIFACTS / "audit-tenants-phone.png")
        text = chromium.text(session)
        for expected in ("contoso", "elsewhere", tenant_id, "not read"):
            assert expected in text, expected
    finally:
        chromium.close()
