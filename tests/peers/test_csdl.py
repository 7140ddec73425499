"""Unit tests of the CSDL validator itself: it must accept good entities and catch bad ones."""

from __future__ import annotations

import copy

import pytest

import csdl

# --------------------------------------------------------------------------------------------
# a tiny hand-written schema, to test the mechanics independently of the Graph CSDL

MINI = """<?xml version="1.0" encoding="utf-8"?>
<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">
  <edmx:DataServices>
    <Schema Namespace="test.ns" Alias="t" xmlns="http://docs.oasis-open.org/odata/ns/edm">
      <EnumType Name="color"><Member Name="red" Value="0"/><Member Name="green" Value="1"/></EnumType>
      <EnumType Name="perms" IsFlags="true"><Member Name="read" Value="1"/><Member Name="write" Value="2"/></EnumType>
      <ComplexType Name="shape" Abstract="true"><Property Name="label" Type="Edm.String"/></ComplexType>
      <ComplexType Name="circle" BaseType="t.shape"><Property Name="radius" Type="Edm.Double" Nullable="false"/></ComplexType>
      <ComplexType Name="point"><Property Name="x" Type="Edm.Int32"/></ComplexType>
      <EntityType Name="base" Abstract="true">
        <Key><PropertyRef Name="id"/></Key>
        <Property Name="id" Type="Edm.String" Nullable="false"/>
      </EntityType>
      <EntityType Name="thing" BaseType="t.base" OpenType="true">
        <Property Name="when" Type="Edm.DateTimeOffset"/>
        <Property Name="day" Type="Edm.Date"/>
        <Property Name="guid" Type="Edm.Guid"/>
        <Property Name="flag" Type="Edm.Boolean" Nullable="false"/>
        <Property Name="small" Type="Edm.Int32"/>
        <Property Name="big" Type="Edm.Int64"/>
        <Property Name="ratio" Type="Edm.Double"/>
        <Property Name="blob" Type="Edm.Binary"/>
        <Property Name="span" Type="Edm.Duration"/>
        <Property Name="color" Type="t.color"/>
        <Property Name="perms" Type="test.ns.perms"/>
        <Property Name="tags" Type="Collection(Edm.String)" Nullable="false"/>
        <Property Name="shapes" Type="Collection(t.shape)"/>
        <Property Name="where" Type="t.point"/>
        <Property Name="anything" Type="Edm.Untyped"/>
        <NavigationProperty Name="parent" Type="t.thing"/>
        <NavigationProperty Name="children" Type="Collection(t.thing)"/>
      </EntityType>
      <EntityType Name="specialThing" BaseType="t.thing"><Property Name="extra" Type="Edm.String"/></EntityType>
      <EntityType Name="unrelated" BaseType="t.base"/>
      <Action Name="frob" IsBound="true">
        <Parameter Name="bindingParameter" Type="t.thing"/>
        <ReturnType Type="t.point" Nullable="false"/>
      </Action>
      <EntityContainer Name="svc">
        <EntitySet Name="things" EntityType="test.ns.thing"/>
        <Singleton Name="root" Type="test.ns.thing"/>
      </EntityContainer>
    </Schema>
  </edmx:DataServices>
</edmx:Edmx>
"""


@pytest.fixture(scope="module")
def mini() -> csdl.Csdl:
    return csdl.Csdl.from_string(MINI)


GOOD_THING = {
    "@odata.context": "https://example/$metadata#things/$entity",
    "id": "t1",
    "when": "2026-11-24T10:20:30.1234567Z",
    "day": "2026-02-28",
    "guid": "62e90394-69f5-4237-9190-012177145e10",
    "flag": True,
    "small": 42,
    "big": 2**40,
    "ratio": 0.5,
    "blob": "AAEC/w==",
    "span": "PT5H",
    "color": "green",
    "perms": "read,write",
    "tags": ["a", "b"],
    "shapes": [{"@odata.type": "#test.ns.circle", "label": "c", "radius": 1}],
    "where": {"x": 1},
    "anything": {"whatever": [1, "two"]},
    "parent": {"id": "p"},
    "children@odata.nextLink": "https://example/next",
    "children": [{"id": "c1", "flag": False}],
    "extension_0123456789abcdef0123456789abcdef_costCenter": "x",
}


def test_mini_good_entity_has_no_problems(mini):
    assert mini.validate(GOOD_THING, "thing") == []


@pytest.mark.parametrize(
    "patch, expected",
    [
        ({"bogus": 1}, "property 'bogus' is not declared on test.ns.thing"),
        ({"when": "2026-11-24 10:20:30Z"}, "thing.when: not an ISO 8601 UTC timestamp"),
        ({"when": "2026-11-24T10:20:30+01:00"}, "thing.when: not an ISO 8601 UTC timestamp"),
        ({"when": "2026-02-30T10:20:30Z"}, "thing.when: not a valid date/time"),
        ({"when": 1700000000}, "thing.when: expected string (Edm.DateTimeOffset), got number"),
        ({"day": "2026-13-01"}, "thing.day: not a date"),
        ({"guid": "not-a-guid"}, "thing.guid: not a GUID"),
        ({"flag": "true"}, "thing.flag: expected boolean, got string"),
        ({"flag": None}, "thing.flag: must not be null"),
        ({"id": None}, "thing.id: must not be null"),
        ({"small": 1.5}, "thing.small: expected integer (Edm.Int32), got number"),
        ({"small": True}, "thing.small: expected integer (Edm.Int32), got boolean"),
        ({"small": 2**31}, "out of range for Edm.Int32"),
        ({"big": "12"}, "thing.big: expected integer (Edm.Int64), got string"),
        ({"ratio": "half"}, "thing.ratio: expected number (Edm.Double), got string"),
        ({"blob": "not base64!"}, "thing.blob: not base64"),
        ({"blob": "A"}, "thing.blob: not base64 (bad length)"),
        ({"span": "5 hours"}, "thing.span: not an ISO 8601 duration"),
        ({"span": "PT"}, "thing.span: not an ISO 8601 duration"),
        ({"color": "blue"}, "thing.color: 'blue' is not a member of enum test.ns.color"),
        ({"color": "red,green"}, "'red,green' is not a member of enum test.ns.color"),
        ({"color": 0}, "thing.color: expected a member name of enum test.ns.color, got number"),
        ({"perms": "read,execute"}, "thing.perms: 'execute' is not a member of enum test.ns.perms"),
        ({"tags": None}, "thing.tags: must not be null"),
        ({"tags": "a"}, "thing.tags: expected array of Edm.String, got string"),
        ({"tags": ["a", 3]}, "thing.tags[1]: expected string, got number"),
        ({"tags": ["a", None]}, "thing.tags[1]: must not be null"),
        ({"shapes": [{"@odata.type": "#test.ns.circle", "radius": None}]}, "thing.shapes[0].radius: must not be null"),
        ({"shapes": [{"@odata.type": "#test.ns.circle", "radius": 1, "sides": 3}]}, "thing.shapes[0].sides: property 'sides' is not declared on test.ns.circle"),
        ({"shapes": [{"@odata.type": "#test.ns.point", "x": 1}]}, "test.ns.point is not test.ns.shape or a type derived from it"),
        ({"shapes": [{"@odata.type": "#test.ns.nope"}]}, "thing.shapes[0].@odata.type: unknown type '#test.ns.nope'"),
        ({"where": {"x": "1"}}, "thing.where.x: expected integer (Edm.Int32), got string"),
        ({"where": [1]}, "thing.where: expected object (test.ns.point), got array"),
        ({"parent": {"id": "p", "nope": 1}}, "thing.parent.nope: property 'nope' is not declared"),
        ({"children": [{"id": "c", "flag": "no"}]}, "thing.children[0].flag: expected boolean"),
        ({"extension_costCenter": "x"}, "property 'extension_costCenter' is not declared"),
        ({"extra": "x"}, "property 'extra' is not declared on test.ns.thing"),
    ],
)
def test_mini_bad_entity_is_caught(mini, patch, expected):
    entity = copy.deepcopy(GOOD_THING)
    entity.update(patch)
    problems = mini.validate(entity, "thing")
    assert any(expected in p for p in problems), f"expected a problem containing {expected!r}, got {problems}"


def test_mini_odata_type_selects_derived_entity(mini):
    good = {"@odata.type": "#test.ns.specialThing", "id": "s", "extra": "yes", "flag": True}
    assert mini.validate(good, "thing") == []
    bad = {"@odata.type": "#test.ns.unrelated", "id": "u"}
    assert any("is not test.ns.thing or a type derived from it" in p for p in mini.validate(bad, "thing"))


def test_mini_alias_and_simple_names(mini):
    assert mini.type("t.thing").name == "test.ns.thing"
    assert mini.type("#test.ns.thing").name == "test.ns.thing"
    assert [t.name for t in mini.base_chain("specialThing")] == [
        "test.ns.specialThing",
        "test.ns.thing",
        "test.ns.base",
    ]
    with pytest.raises(KeyError):
        mini.type("test.ns.missing")


def test_mini_paths(mini):
    assert mini.resolve_path("/v1.0/things") == csdl.ResolvedPath("test.ns.thing", True)
    assert mini.resolve_path("/things/abc") == csdl.ResolvedPath("test.ns.thing", False)
    assert mini.resolve_path("/things('abc')") == csdl.ResolvedPath("test.ns.thing", False)
    assert mini.resolve_path("/root/children/test.ns.specialThing") == csdl.ResolvedPath("test.ns.specialThing", True)
    assert mini.resolve_path("/things/abc/frob") == csdl.ResolvedPath("test.ns.point", False)
    assert mini.resolve_path("/things/abc/where") == csdl.ResolvedPath("test.ns.point", False)
    with pytest.raises(KeyError):
        mini.resolve_path("/nothing")
    with pytest.raises(KeyError):
        mini.resolve_path("/root/nope")


def test_mini_collection_response(mini):
    assert mini.validate_path_response("/things", {"@odata.context": "x", "value": [{"id": "a"}]}) == []
    problems = mini.validate_path_response("/things", {"value": [{"id": "a", "bad": 1}], "count": 1})
    assert any("unexpected top-level property 'count'" in p for p in problems)
    assert any("/things.value[0].bad" in p for p in problems)
    assert mini.validate_path_response("/things", [{"id": "a"}]) == [
        "/things: expected an object with a 'value' array, got array"
    ]


def test_primitive_checks_accept_graph_formats():
    ok = [
        ("Edm.DateTimeOffset", "2026-11-24T10:20:30Z"),
        ("Edm.DateTimeOffset", "2026-11-24T10:20:30.1Z"),
        ("Edm.DateTimeOffset", "2026-11-24T10:20Z"),
        ("Edm.Binary", "pS5EfvoCvKg24BhjrAkL7JH1puw="),
        ("Edm.Binary", "pS5EfvoCvKg24BhjrAkL7JH1puw"),
        ("Edm.Binary", "_-8"),
        ("Edm.Duration", "P1D"),
        ("Edm.Duration", "PT0.5S"),
        ("Edm.Double", "NaN"),
        ("Edm.Double", 3),
        ("Edm.TimeOfDay", "23:59:59.123"),
        ("Edm.Guid", "00000000-0000-0000-C000-000000000000"),
        ("Edm.Untyped", None),
    ]
    for t, v in ok:
        assert csdl.check_primitive(t, v) is None, (t, v)


# --------------------------------------------------------------------------------------------
# the real Graph v1.0 CSDL


def test_graph_csdl_loads(schema):
    assert len(schema.types) > 3000
    assert schema.entity_sets["applications"] == "microsoft.graph.application"
    assert schema.singletons["roleManagement"] == "microsoft.graph.roleManagement"
    assert [t.name for t in schema.base_chain("application")] == [
        "microsoft.graph.application",
        "microsoft.graph.directoryObject",
        "microsoft.graph.entity",
    ]
    assert schema.type("keyCredential").kind == "complex"
    assert schema.type("graph.conditionalAccessPolicyState").kind == "enum"


@pytest.mark.parametrize(
    "path, type_name, collection",
    [
        ("/v1.0/organization", "organization", True),
        ("/v1.0/domains", "domain", True),
        ("/v1.0/users", "user", True),
        ("/v1.0/groups", "group", True),
        ("/v1.0/applications", "application", True),
        ("/v1.0/servicePrincipals", "servicePrincipal", True),
        ("/v1.0/roleManagement/directory/roleDefinitions", "unifiedRoleDefinition", True),
        ("/v1.0/roleManagement/directory/roleAssignments", "unifiedRoleAssignment", True),
        ("/v1.0/roleManagement/directory/roleAssignmentScheduleRequests", "unifiedRoleAssignmentScheduleRequest", True),
        ("/v1.0/identity/conditionalAccess/policies", "conditionalAccessPolicy", True),
        ("/v1.0/auditLogs/directoryAudits", "directoryAudit", True),
        ("/v1.0/auditLogs/signIns", "signIn", True),
        ("/v1.0/directory/deletedItems/microsoft.graph.user", "user", True),
        ("/v1.0/applications/0f1e/addPassword", "passwordCredential", False),
        ("/v1.0/servicePrincipals/0f1e/addPassword", "passwordCredential", False),
        ("/v1.0/applications/0f1e/addKey", "keyCredential", False),
        ("/v1.0/applications(appId='x')", "application", False),
        ("/v1.0/users/u@x/authentication/temporaryAccessPassMethods", "temporaryAccessPassAuthenticationMethod", True),
        ("/v1.0/directory/deletedItems/0f1e/restore", "directoryObject", False),
    ],
)
def test_graph_paths_resolve(schema, path, type_name, collection):
    assert schema.resolve_path(path) == csdl.ResolvedPath(f"microsoft.graph.{type_name}", collection)


GOOD_APPLICATION = {
    "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#applications/$entity",
    "id": "03ef14b0-ca33-4840-8f4f-d6e91916010e",
    "deletedDateTime": None,
    "appId": "631a96bc-a705-4eda-9f99-fdaf9f54f6a2",
    "createdDateTime": "2026-11-24T10:00:00Z",
    "displayName": "breakglass-sp",
    "publisherDomain": "contoso.onmicrosoft.com",
    "signInAudience": "AzureADMyOrg",
    "tags": ["breakglass"],
    "identifierUris": [],
    "addIns": [],
    "appRoles": [],
    "requiredResourceAccess": [
        {
            "resourceAppId": "00000003-0000-0000-c000-000000000000",
            "resourceAccess": [{"id": "19dbc75e-c2e2-444c-a770-ec69d8559fc7", "type": "Role"}],
        }
    ],
    "keyCredentials": [
        {
            "customKeyIdentifier": "pS5EfvoCvKg24BhjrAkL7JH1puw=",
            "displayName": "CN=breakglass",
            "endDateTime": "2027-11-24T10:00:00Z",
            "key": None,
            "keyId": "f0b0b335-1d71-4883-8f98-567911bfdca6",
            "startDateTime": "2026-11-24T10:00:00Z",
            "type": "AsymmetricX509Cert",
            "usage": "Verify",
        }
    ],
    "passwordCredentials": [
        {
            "customKeyIdentifier": None,
            "displayName": "primary",
            "endDateTime": "2028-11-24T10:00:00Z",
            "hint": "abc",
            "keyId": "1b8fa3ba-0dd9-4d2e-a9a5-0b8b5ad1c8a6",
            "secretText": None,
            "startDateTime": "2026-11-24T10:00:00Z",
        }
    ],
    "api": {"requestedAccessTokenVersion": None, "oauth2PermissionScopes": [], "preAuthorizedApplications": [], "knownClientApplications": []},
    "web": {"redirectUris": [], "implicitGrantSettings": {"enableAccessTokenIssuance": False, "enableIdTokenIssuance": False}},
    "servicePrincipalLockConfiguration": {"isEnabled": True, "allProperties": True},
    "owners@odata.bind": ["https://graph.microsoft.com/v1.0/directoryObjects/x"],
}


def test_graph_good_application(schema):
    assert schema.validate(GOOD_APPLICATION, "application") == []


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (lambda a: a.update(secret="x"), "application.secret: property 'secret' is not declared on microsoft.graph.application"),
        (lambda a: a.update(createdDateTime="yesterday"), "application.createdDateTime: not an ISO 8601 UTC timestamp"),
        (lambda a: a.update(tags="breakglass"), "application.tags: expected array of Edm.String, got string"),
        (lambda a: a.update(keyCredentials=None), "application.keyCredentials: must not be null"),
        (lambda a: a["keyCredentials"][0].update(keyId="1234"), "application.keyCredentials[0].keyId: not a GUID"),
        (lambda a: a["keyCredentials"][0].update(thumbprint="AB"), "application.keyCredentials[0].thumbprint: property 'thumbprint' is not declared on microsoft.graph.keyCredential"),
        (lambda a: a["keyCredentials"][0].update(customKeyIdentifier="#$%"), "application.keyCredentials[0].customKeyIdentifier: not base64"),
        (lambda a: a["passwordCredentials"][0].update(endDateTime="2028-11-24"), "application.passwordCredentials[0].endDateTime: not an ISO 8601 UTC timestamp"),
        (lambda a: a["requiredResourceAccess"][0]["resourceAccess"][0].update(id="Directory.Read.All"), "resourceAccess[0].id: not a GUID"),
        (lambda a: a["web"]["implicitGrantSettings"].update(enableIdTokenIssuance="false"), "application.web.implicitGrantSettings.enableIdTokenIssuance: expected boolean"),
        (lambda a: a["servicePrincipalLockConfiguration"].update(enforce=True), "property 'enforce' is not declared on microsoft.graph.servicePrincipalLockConfiguration"),
        (lambda a: a.update({"@odata.type": "#microsoft.graph.user"}), "microsoft.graph.user is not microsoft.graph.application or a type derived from it"),
    ],
)
def test_graph_bad_application_is_caught(schema, mutate, expected):
    app = copy.deepcopy(GOOD_APPLICATION)
    mutate(app)
    problems = schema.validate(app, "application")
    assert any(expected in p for p in problems), f"expected {expected!r} in {problems}"


def test_graph_enums_and_derived_types(schema):
    policy = {
        "id": "5a2b0f3e-3f6e-4c8e-9c1b-6f7a3b2c1d0e",
        "displayName": "Block legacy auth",
        "state": "enabledForReportingButNotEnforced",
        "createdDateTime": "2026-01-01T00:00:00Z",
        "modifiedDateTime": None,
        "conditions": {
            "clientAppTypes": ["exchangeActiveSync", "other"],
            "applications": {"includeApplications": ["All"], "excludeApplications": [], "includeUserActions": []},
            "users": {"includeUsers": ["All"], "excludeUsers": ["a"], "includeGroups": [], "excludeGroups": [], "includeRoles": [], "excludeRoles": []},
            "signInRiskLevels": [],
            "userRiskLevels": [],
        },
        "grantControls": {"operator": "OR", "builtInControls": ["block"], "customAuthenticationFactors": [], "termsOfUse": []},
        "sessionControls": None,
    }
    assert schema.validate(policy, "conditionalAccessPolicy") == []
    bad = copy.deepcopy(policy)
    bad["state"] = "on"
    bad["grantControls"]["builtInControls"] = ["block", "pray"]
    problems = schema.validate(bad, "conditionalAccessPolicy")
    assert any("conditionalAccessPolicy.state: 'on' is not a member of enum microsoft.graph.conditionalAccessPolicyState" in p for p in problems), problems
    assert any("builtInControls[1]: 'pray' is not a member of enum microsoft.graph.conditionalAccessGrantControl" in p for p in problems), problems

    # flags enum (conditionalAccessTransferMethods): comma-separated member names are allowed
    flows = copy.deepcopy(policy)
    flows["conditions"]["authenticationFlows"] = {"transferMethods": "deviceCodeFlow,authenticationTransfer"}
    assert schema.validate(flows, "conditionalAccessPolicy") == []
    flows["conditions"]["authenticationFlows"]["transferMethods"] = "deviceCodeFlow,qrCode"
    problems = schema.validate(flows, "conditionalAccessPolicy")
    assert any("transferMethods: 'qrCode' is not a member of enum microsoft.graph.conditionalAccessTransferMethods" in p for p in problems), problems

    # @odata.type on an abstract base selects the derived authentication method
    tap = {
        "@odata.type": "#microsoft.graph.temporaryAccessPassAuthenticationMethod",
        "id": "8c2b1d9a-0e1f-4e3a-9c5d-3b2a1f0e9d8c",
        "temporaryAccessPass": "+drkzqAD",
        "createdDateTime": "2026-11-24T10:00:00Z",
        "startDateTime": "2026-11-24T10:00:00Z",
        "lifetimeInMinutes": 60,
        "isUsableOnce": False,
        "isUsable": False,
        "methodUsabilityReason": "NotYetValid",
    }
    assert schema.validate(tap, "authenticationMethod") == []
    tap["lifetimeInMinutes"] = "60"
    assert any("lifetimeInMinutes: expected integer (Edm.Int32), got string" in p for p in schema.validate(tap, "authenticationMethod"))


def test_graph_user_with_nullable_false_and_navigation(schema):
    user = {
        "id": "ace08ec9-11aa-4ada-9145-addf0398233e",
        "displayName": "Break Glass 1",
        "userPrincipalName": "bg1@contoso.onmicrosoft.com",
        "accountEnabled": True,
        "businessPhones": [],
        "mail": None,
        "manager": {"@odata.type": "#microsoft.graph.user", "id": "m"},
    }
    assert schema.validate(user, "user") == []
    user["businessPhones"] = None
    assert any("user.businessPhones: must not be null" in p for p in schema.validate(user, "user"))
