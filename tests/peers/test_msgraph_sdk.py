"""Microsoft's Graph SDK for Python (kiota models) reading the simulator's Graph.

Every property the simulator returns must map to a model field: whatever kiota cannot map lands in
`additional_data`, which must stay empty (instance annotations aside).
"""

from __future__ import annotations

import asyncio
import enum

import pytest

from conftest import import_peer

import_peer("msgraph")
import_peer("msgraph_core")
import_peer("kiota_authentication_azure")


def leftovers(model, where: str = "", seen=None) -> list[str]:
    """Paths of unknown (unmapped) properties in a kiota model tree."""
    from kiota_abstractions.serialization import Parsable

    seen = seen if seen is not None else set()
    out: list[str] = []
    if isinstance(model, list):
        for i, item in enumerate(model):
            out += leftovers(item, f"{where}[{i}]", seen)
        return out
    if not isinstance(model, Parsable) or id(model) in seen:
        return out
    seen.add(id(model))
    extra = getattr(model, "additional_data", None) or {}
    for key in extra:
        if not key.startswith("@"):
            out.append(f"{where}.{key} = {extra[key]!r}"[:200])
    for name, value in vars(model).items():
        if name in ("additional_data", "backing_store") or value is None or isinstance(value, (str, int, float, bool, enum.Enum)):
            continue
        out += leftovers(value, f"{where}.{name}", seen)
    return out


async def _read_with_sdk(sim):
    import httpx
    from azure.identity.aio import ClientSecretCredential
    from kiota_authentication_azure.azure_identity_authentication_provider import AzureIdentityAuthenticationProvider
    from msgraph import GraphRequestAdapter, GraphServiceClient
    from msgraph_core import GraphClientFactory

    cred = ClientSecretCredential(
        sim.tenant_id,
        sim.client_id,
        sim.client_secret,
        authority=sim.base_url,
        disable_instance_discovery=True,
        connection_verify=str(sim.ca),
    )
    http = httpx.AsyncClient(verify=str(sim.ca), timeout=30)
    try:
        auth = AzureIdentityAuthenticationProvider(cred, scopes=[sim.graph_scope], allowed_hosts=["127.0.0.1"])
        client_http = GraphClientFactory.create_with_default_middleware(client=http)
        adapter = GraphRequestAdapter(auth, client_http)
        adapter.base_url = sim.graph_base
        client = GraphServiceClient(request_adapter=adapter)
        return {
            "applications": await client.applications.get(),
            "servicePrincipals": await client.service_principals.get(),
            "users": await client.users.get(),
            "organization": await client.organization.get(),
            "domains": await client.domains.get(),
        }
    finally:
        await http.aclose()
        await cred.close()


@pytest.fixture(scope="module")
def sdk_results(sim, cert_app):
    # cert_app: make sure at least one application has a keyCredential to deserialize
    return asyncio.run(_read_with_sdk(sim))


def test_applications(sdk_results, cert_app):
    apps = sdk_results["applications"].value
    assert apps, "msgraph-sdk listed no applications"
    assert cert_app.app_id in [a.app_id for a in apps]
    mine = next(a for a in apps if a.app_id == cert_app.app_id)
    assert mine.display_name == cert_app.display_name
    assert all(a.id and a.app_id for a in apps)
    problems = leftovers(apps, "applications")
    assert not problems, "properties msgraph-sdk could not map:\n  " + "\n  ".join(problems[:40])


def test_service_principals(sdk_results, cert_app):
    sps = sdk_results["servicePrincipals"].value
    assert sps, "msgraph-sdk listed no service principals"
    assert cert_app.sp_id in [s.id for s in sps]
    problems = leftovers(sps, "servicePrincipals")
    assert not problems, "properties msgraph-sdk could not map:\n  " + "\n  ".join(problems[:40])


@pytest.mark.parametrize("name", ["users", "organization", "domains"])
def test_other_collections(sdk_results, name):
    items = sdk_results[name].value
    assert items, f"msgraph-sdk listed no {name}"
    problems = leftovers(items, name)
    assert not problems, "properties msgraph-sdk could not map:\n  " + "\n  ".join(problems[:40])


def test_leftovers_detects_unknown_properties():
    """The check itself must notice a property kiota cannot map."""
    from kiota_serialization_json.json_parse_node import JsonParseNode
    from msgraph.generated.models.application import Application

    import json

    node = JsonParseNode(json.loads('{"id":"x","appId":"y","bogus":1,"web":{"redirectUris":[],"nope":true},"@odata.context":"c"}'))
    app = node.get_object_value(Application)
    found = leftovers(app, "app")
    assert any(p.startswith("app.bogus") for p in found), found
    assert any(p.startswith("app.web.nope") for p in found), found
    assert not any("@odata" in p for p in found)
