"""`breakglass export`: what Maester, the Zero Trust Assessment and ScubaGear read, parsed as
those tools parse it and held to the rules they document (facts from their repositories:
Maester `website/docs/configuration/emergency-access-accounts.md`, ZTA
`src/powershell/private/tests-shared/Get-ZtEmergencyAccessAccounts.ps1`, ScubaGear
`docs/configuration/configuration.md` and `Modules/ScubaConfig/ScubaConfigSchema.json`), and
naming the tenant's own ids.
"""

from __future__ import annotations

import json
import re

from conftest import import_peer

yaml = import_peer("yaml")

GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
SCUBA_POLICY = re.compile(r"^MS\.AAD\.[0-9]+\.[0-9]+v[0-9]+$")
CAP_POLICIES = {"MS.AAD.1.1v1", "MS.AAD.2.1v1", "MS.AAD.2.3v1", "MS.AAD.3.1v1", "MS.AAD.3.2v2",
                "MS.AAD.3.6v1", "MS.AAD.3.7v1", "MS.AAD.3.8v1", "MS.AAD.3.9v1"}


def identities(run) -> dict:
    return json.loads(run("monitor", "identities", "--output", "json").stdout)


def test_maester_and_zta_read_the_accounts_as_they_document_them(tenant):
    run, _ = tenant
    ids = identities(run)
    for tool in ("maester", "zta"):
        settings = json.loads(run("export", tool).stdout)
        accounts = settings["GlobalSettings"]["EmergencyAccessAccounts"]
        assert accounts, tool
        for entry in accounts:
            # ZTA skips entries without Type; groups need an Id (no mail form).
            assert entry["Type"] in ("User", "Group"), entry
            assert GUID.match(entry["Id"]), entry
        assert {"Type": "Group", "Id": ids["exclusionGroupId"]} in accounts


def test_scubagear_parses_and_meets_its_published_schema_rules(tenant):
    run, _ = tenant
    ids = identities(run)
    config = yaml.safe_load(run("export", "scubagear").stdout)
    assert set(config) == {"Aad"}
    aad = config["Aad"]
    assert CAP_POLICIES <= set(aad)
    users = {u["id"] for u in ids["users"]}
    for policy, block in aad.items():
        assert SCUBA_POLICY.match(policy), policy
        (kind,) = block.keys()
        assert kind == ("RoleExclusions" if policy == "MS.AAD.7.4v1" else "CapExclusions"), policy
        for key, values in block[kind].items():
            assert key in ("Users", "Groups"), key
            assert len(values) == len(set(values)), "uniqueItems"
            assert all(isinstance(v, str) and GUID.match(v) for v in values), values
        if kind == "CapExclusions":
            assert block[kind]["Groups"] == [ids["exclusionGroupId"]]
            assert set(block[kind]["Users"]) == users
    assert set(aad["MS.AAD.7.4v1"]["RoleExclusions"]["Users"]) == users
