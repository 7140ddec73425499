//! Role-assignable groups as Entra keeps them (no group nested in one, in requests and in
//! seeded descriptions), and PIM for Groups eligibility listings (filter required, who may
//! read them, `$expand=principal`).

use std::path::Path;

use http::{Method, StatusCode};
use serde_json::{Value, json};

use super::{Harness, harness_of};

const ELIGIBLE: &str =
    "/v1.0/identityGovernance/privilegedAccess/group/eligibilityScheduleInstances";
const ASSIGNED: &str =
    "/v1.0/identityGovernance/privilegedAccess/group/assignmentScheduleInstances";

fn default_tenant() -> Value {
    serde_json::from_str(crate::seed::DEFAULT_TENANT).unwrap()
}

/// The built-in tenant with a role-assignable group holding Global Administrator, Ben
/// eligible for its membership and Diego for its ownership.
fn pim_tenant() -> Value {
    let mut tenant = default_tenant();
    tenant["groups"].as_array_mut().unwrap().push(json!({
        "displayName": "Tier 0 admins", "mailNickname": "tier0admins",
        "isAssignableToRole": true, "roles": ["Global Administrator"],
        "members": ["adele@contoso.example"],
        "eligibleMembers": ["ben@contoso.example"], "eligibleOwners": ["diego@contoso.example"]
    }));
    tenant
}

fn group_id(h: &Harness, token: &str, nickname: &str) -> String {
    let path = format!("/v1.0/groups?$filter=mailNickname%20eq%20'{nickname}'");
    let (status, found, _) = h.graph(token, Method::GET, &path, None);
    assert_eq!(status, StatusCode::OK, "{found}");
    found["value"][0]["id"].as_str().unwrap().to_string()
}

fn reference(id: &str) -> Value {
    json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{id}")})
}

#[test]
fn a_group_cannot_be_added_to_a_role_assignable_group_but_a_user_can() {
    let h = harness_of(&pim_tenant());
    let token = h.operator_token();
    let tier0 = group_id(&h, &token, "tier0admins");
    let desk = group_id(&h, &token, "servicedesk");
    let path = format!("/v1.0/groups/{tier0}/members/$ref");
    let (status, answer, _) = h.graph(&token, Method::POST, &path, Some(reference(&desk)));
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    // Nothing changed: the group holds only Adele.
    let members = format!("/v1.0/groups/{tier0}/members");
    let (_, listed, _) = h.graph(&token, Method::GET, &members, None);
    assert_eq!(listed["value"].as_array().unwrap().len(), 1, "{listed}");
    // A user is still welcome, and a group may still join a group that is not role-assignable.
    let (_, chloe, _) = h.graph(
        &token,
        Method::GET,
        "/v1.0/users/chloe@contoso.example",
        None,
    );
    let chloe = chloe["id"].as_str().unwrap();
    let (status, answer, _) = h.graph(&token, Method::POST, &path, Some(reference(chloe)));
    assert_eq!(status, StatusCode::NO_CONTENT, "{answer}");
    let staff = group_id(&h, &token, "allstaff");
    let (status, answer, _) = h.graph(
        &token,
        Method::POST,
        &format!("/v1.0/groups/{staff}/members/$ref"),
        Some(reference(&desk)),
    );
    assert_eq!(status, StatusCode::NO_CONTENT, "{answer}");
}

fn seeding_error(tenant: &Value) -> String {
    let description = crate::seed::parse(&tenant.to_string(), Path::new("tenant.json")).unwrap();
    let now = "2026-11-25T12:00:00Z".parse().unwrap();
    match crate::seed::build(&description, Path::new("tenant.json"), now) {
        Ok(_) => panic!("seeded a tenant Entra could not hold"),
        Err(err) => err.to_string(),
    }
}

#[test]
fn a_description_nesting_a_group_in_a_role_assignable_group_is_refused() {
    let mut tenant = default_tenant();
    tenant["groups"].as_array_mut().unwrap().push(json!({
        "displayName": "Tier 0 admins", "mailNickname": "tier0admins",
        "isAssignableToRole": true, "members": ["Service Desk"]
    }));
    let error = seeding_error(&tenant);
    assert!(
        error.contains("Tier 0 admins")
            && error.contains("Service Desk")
            && error.contains("role-assignable"),
        "{error}"
    );
}

#[test]
fn a_description_giving_a_role_to_a_group_that_is_not_role_assignable_is_refused() {
    let mut tenant = default_tenant();
    tenant["groups"].as_array_mut().unwrap().push(json!({
        "displayName": "Helpers", "mailNickname": "helpers", "roles": ["Helpdesk Administrator"]
    }));
    let error = seeding_error(&tenant);
    assert!(error.contains("isAssignableToRole"), "{error}");
}

#[test]
fn eligibility_listings_need_a_group_or_principal_filter() {
    let h = harness_of(&pim_tenant());
    let token = h.operator_token();
    for path in [
        ELIGIBLE.to_string(),
        ASSIGNED.to_string(),
        format!("{ELIGIBLE}?$filter=accessId%20eq%20'member'"),
    ] {
        let (status, answer, _) = h.graph(&token, Method::GET, &path, None);
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {answer}");
    }
    let tier0 = group_id(&h, &token, "tier0admins");
    let path = format!("{ASSIGNED}?$filter=groupId%20eq%20'{tier0}'");
    let (status, answer, _) = h.graph(&token, Method::GET, &path, None);
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["value"], json!([]));
}

#[test]
fn eligibilities_of_a_group_list_members_and_owners_with_their_principals() {
    let h = harness_of(&pim_tenant());
    let token = h.operator_token();
    let tier0 = group_id(&h, &token, "tier0admins");
    let path = format!("{ELIGIBLE}?$filter=groupId%20eq%20'{tier0}'&$expand=principal");
    let (status, answer, _) = h.graph(&token, Method::GET, &path, None);
    assert_eq!(status, StatusCode::OK, "{answer}");
    let items = answer["value"].as_array().unwrap();
    let seen: Vec<(&str, &str)> = items
        .iter()
        .map(|i| {
            (
                i["accessId"].as_str().unwrap(),
                i["principal"]["userPrincipalName"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("member", "ben@contoso.example"),
            ("owner", "diego@contoso.example")
        ]
    );
    assert!(items.iter().all(|i| i["groupId"] == tier0.as_str()));
    // The same instances, asked for by principal.
    let ben = items[0]["principalId"].as_str().unwrap();
    let path = format!("{ELIGIBLE}?$filter=principalId%20eq%20'{ben}'");
    let (status, answer, _) = h.graph(&token, Method::GET, &path, None);
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["value"].as_array().unwrap().len(), 1);
}

#[test]
fn an_app_without_the_permission_or_a_role_that_reads_them_is_refused() {
    let mut tenant = pim_tenant();
    let operator = tenant["applications"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|app| app["operator"] == true)
        .unwrap();
    // Directory.Read.All and role management do not read PIM for Groups.
    operator["roles"] = json!([]);
    let h = harness_of(&tenant);
    let token = h.operator_token();
    let tier0 = group_id(&h, &token, "tier0admins");
    let path = format!("{ELIGIBLE}?$filter=groupId%20eq%20'{tier0}'");
    let (status, answer, _) = h.graph(&token, Method::GET, &path, None);
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
}
