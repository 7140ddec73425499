//! Users, role assignments and what an audit reads (eligible roles, Graph grants, synced
//! users, workload identity policies).

use http::{Method, StatusCode};
use serde_json::{Value, json};

use super::{claims, harness, harness_of};

#[test]
fn role_assignments_use_entra_ids_and_reject_duplicates() {
    let h = harness();
    let token = h.operator_token();
    let (_, users, _) = h.graph(
        &token,
        Method::GET,
        "/v1.0/users?$filter=startswith(userPrincipalName,'emma')",
        None,
    );
    let emma = users["value"][0]["id"].as_str().unwrap().to_string();
    let body = json!({"@odata.type": "#microsoft.graph.unifiedRoleAssignment", "roleDefinitionId": "62e90394-69f5-4237-9190-012177145e10", "principalId": emma, "directoryScopeId": "/"});
    let (status, created, _) = h.graph(
        &token,
        Method::POST,
        "/v1.0/roleManagement/directory/roleAssignments",
        Some(body.clone()),
    );
    assert_eq!(status, StatusCode::CREATED);
    let expected = breakglass_core::ids::role_assignment_id(
        breakglass_core::roles::GLOBAL_ADMINISTRATOR.template_id,
        uuid::Uuid::parse_str(&emma).unwrap(),
    );
    assert_eq!(created["id"], expected);
    let (status, conflict, _) = h.graph(
        &token,
        Method::POST,
        "/v1.0/roleManagement/directory/roleAssignments",
        Some(body),
    );
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        conflict["error"]["message"]
            .as_str()
            .unwrap()
            .contains("conflicting object")
    );
    let (_, expanded, _) = h.graph(&token, Method::GET, &format!("/v1.0/roleManagement/directory/roleAssignments?$filter=principalId eq '{emma}'&$expand=principal"), None);
    assert_eq!(
        expanded["value"][0]["principal"]["@odata.type"],
        "#microsoft.graph.user"
    );
}

#[test]
fn users_soft_delete_restore_and_purge() {
    let h = harness();
    let token = h.operator_token();
    let create = json!({"accountEnabled": true, "displayName": "Temp admin", "mailNickname": "temp", "userPrincipalName": "temp-x1@contososim.onmicrosoft.com", "passwordProfile": {"forceChangePasswordNextSignIn": false, "password": "Xy7!long-enough-pass"}});
    let (status, user, _) = h.graph(&token, Method::POST, "/v1.0/users", Some(create.clone()));
    assert_eq!(status, StatusCode::CREATED, "{user}");
    let id = user["id"].as_str().unwrap().to_string();
    let (status, _, _) = h.graph(&token, Method::POST, "/v1.0/users", Some(create));
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, pass, _) = h.graph(
        &token,
        Method::POST,
        &format!("/v1.0/users/{id}/authentication/temporaryAccessPassMethods"),
        Some(json!({"lifetimeInMinutes": 60})),
    );
    assert_eq!(status, StatusCode::CREATED);
    assert!(
        pass["temporaryAccessPass"]
            .as_str()
            .is_some_and(|p| p.len() == 8)
    );
    assert_eq!(pass["isUsable"], true);

    assert_eq!(
        h.graph(&token, Method::DELETE, &format!("/v1.0/users/{id}"), None)
            .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        h.graph(&token, Method::GET, &format!("/v1.0/users/{id}"), None)
            .0,
        StatusCode::NOT_FOUND
    );
    let (_, deleted, _) = h.graph(
        &token,
        Method::GET,
        "/v1.0/directory/deletedItems/microsoft.graph.user",
        None,
    );
    assert!(
        deleted["value"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["id"] == id.as_str())
    );
    assert_eq!(
        h.graph(&token, Method::GET, "/v1.0/directory/deletedItems", None)
            .0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        h.graph(
            &token,
            Method::POST,
            &format!("/v1.0/directory/deletedItems/{id}/restore"),
            None
        )
        .0,
        StatusCode::OK
    );
    assert_eq!(
        h.graph(&token, Method::GET, &format!("/v1.0/users/{id}"), None)
            .0,
        StatusCode::OK
    );
    h.graph(&token, Method::DELETE, &format!("/v1.0/users/{id}"), None);
    assert_eq!(
        h.graph(
            &token,
            Method::DELETE,
            &format!("/v1.0/directory/deletedItems/{id}"),
            None
        )
        .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        h.graph(
            &token,
            Method::GET,
            &format!("/v1.0/directory/deletedItems/{id}"),
            None
        )
        .0,
        StatusCode::NOT_FOUND
    );
}

#[test]
fn only_sensitive_properties_of_admins_need_a_higher_admin_role() {
    let h = harness();
    let token = h.operator_token();
    let (_, admins, _) = h.graph(
        &token,
        Method::GET,
        "/v1.0/users?$filter=userPrincipalName eq 'adele@contoso.example'",
        None,
    );
    let adele = admins["value"][0]["id"].as_str().unwrap().to_string();
    let path = format!("/v1.0/users/{adele}");
    let (status, body, _) = h.graph(
        &token,
        Method::PATCH,
        &path,
        Some(json!({"employeeType": "breakglass:temporary:2030-01-01T00:00:00Z"})),
    );
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    for sensitive in [
        json!({"accountEnabled": false}),
        json!({"passwordProfile": {"password": "Xy7!long-enough-pass"}}),
        json!({"employeeType": "x", "mobilePhone": "+1 555 0100"}),
    ] {
        let (status, body, _) = h.graph(&token, Method::PATCH, &path, Some(sensitive));
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    }
}

#[test]
fn audit_reads_eligible_roles_graph_grants_synced_users_and_workload_policies() {
    let mut tenant: Value = serde_json::from_str(crate::seed::DEFAULT_TENANT).unwrap();
    tenant["users"].as_array_mut().unwrap().push(json!({
        "displayName": "Synced Admin",
        "userPrincipalName": "synced@contoso.example",
        "password": "Sim-Synced-Passw0rd!",
        "roles": ["Global Administrator"],
        "eligibleRoles": ["Hybrid Identity Administrator"],
        "employeeType": "breakglass:emergency-access",
        "onPremisesSyncEnabled": true
    }));
    tenant["applications"].as_array_mut().unwrap().push(json!({
        "displayName": "CI deployer",
        "applicationPermissions": ["Application.ReadWrite.All"],
        "eligibleRoles": ["Cloud Application Administrator"]
    }));
    tenant["conditionalAccessPolicies"]
        .as_array_mut()
        .unwrap()
        .push(json!({
            "displayName": "Block workload identities",
            "state": "enabledForReportingButNotEnforced",
            "includeServicePrincipals": ["ServicePrincipalsInMyTenant"],
            "excludeServicePrincipals": ["breakglass operator automation"],
            "grant": ["block"]
        }));
    let h = harness_of(&tenant);
    let token = h.operator_token();
    let operator_sp = claims(&token)["oid"].as_str().unwrap().to_string();

    let (status, body, _) = h.graph(
        &token,
        Method::GET,
        "/v1.0/roleManagement/directory/roleEligibilityScheduleInstances?$expand=principal",
        None,
    );
    assert_eq!(status, StatusCode::OK, "{body}");
    let items = body["value"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{body:#}");
    let names: Vec<&str> = items
        .iter()
        .map(|i| i["principal"]["displayName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Synced Admin", "CI deployer"]);
    // Only properties unifiedRoleEligibilityScheduleInstance declares in the v1.0 CSDL (and
    // its base unifiedRoleScheduleInstanceBase), plus the expanded navigation property.
    let declared = [
        "id",
        "appScopeId",
        "directoryScopeId",
        "principalId",
        "roleDefinitionId",
        "endDateTime",
        "memberType",
        "roleEligibilityScheduleId",
        "startDateTime",
        "principal",
    ];
    for item in items {
        for key in item.as_object().unwrap().keys() {
            assert!(declared.contains(&key.as_str()), "{key} is not in the CSDL");
        }
    }
    assert_eq!(
        items[0]["roleDefinitionId"],
        "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2"
    );
    assert_eq!(items[0]["directoryScopeId"], "/");
    assert!(
        body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("roleEligibilityScheduleInstances(principal())")
    );

    let (_, graph, _) = h.graph(
        &token,
        Method::GET,
        "/v1.0/servicePrincipals?$filter=appId eq '00000003-0000-0000-c000-000000000000'",
        None,
    );
    let graph_id = graph["value"][0]["id"].as_str().unwrap().to_string();
    let (status, body, _) = h.graph(
        &token,
        Method::GET,
        &format!("/v1.0/servicePrincipals/{graph_id}/appRoleAssignedTo"),
        None,
    );
    assert_eq!(status, StatusCode::OK, "{body}");
    let grants = body["value"].as_array().unwrap();
    assert!(
        grants
            .iter()
            .any(|g| g["principalDisplayName"] == "CI deployer"
                && g["appRoleId"] == "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9")
    );
    assert!(grants.iter().all(|g| g["resourceId"] == graph_id.as_str()));

    let (_, users, _) = h.graph(
        &token,
        Method::GET,
        "/v1.0/users/synced@contoso.example?$select=id,employeeType,onPremisesSyncEnabled,onPremisesImmutableId",
        None,
    );
    assert_eq!(users["employeeType"], "breakglass:emergency-access");
    assert_eq!(users["onPremisesSyncEnabled"], true);
    assert!(users["onPremisesImmutableId"].is_string());

    let (_, policies, _) = h.graph(
        &token,
        Method::GET,
        "/v1.0/identity/conditionalAccess/policies",
        None,
    );
    let policy = policies["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["displayName"] == "Block workload identities")
        .unwrap();
    assert_eq!(
        policy["conditions"]["clientApplications"]["excludeServicePrincipals"],
        json!([operator_sp])
    );
}
