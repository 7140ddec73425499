//! Azure role assignments, read as `audit --azure` reads them: conformance rows (Role
//! Assignments - List For Scope, learn.microsoft.com/rest/api/authorization/role-assignments/list-for-scope,
//! api-version 2022-04-01; the elevated-access listing at `/` from
//! MicrosoftDocs/azure-docs articles/role-based-access-control/elevate-access-global-admin.md),
//! then filtering, paging and authorization.

use http::{Method, StatusCode};
use serde_json::{Value, json};

use super::conformance::{Case, Fixture, check_rows};
use super::{Harness, harness_of};

const TENANT: &str = "6f1b4c2e-8a3d-4e5f-9b7a-2c4d6e8f0a1b";
const OWNER: &str = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
const UAA: &str = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9";

fn root_path(_: &mut Fixture<'_>) -> String {
    "/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01&$filter=atScope()"
        .into()
}

fn group_path(_: &mut Fixture<'_>) -> String {
    format!(
        "/providers/Microsoft.Management/managementGroups/{TENANT}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01&$filter=atScope()"
    )
}

const ANSWERS: &[&str] = &[
    "id",
    "name",
    "type",
    "properties/roleDefinitionId",
    "properties/principalId",
    "properties/principalType",
    "properties/scope",
];

fn rows() -> Vec<Case> {
    vec![
        Case {
            operation: "GET /providers/Microsoft.Authorization/roleAssignments?$filter=atScope()",
            reference: "learn.microsoft.com rest/api/authorization/role-assignments/list-for-scope (2022-04-01); azure-docs role-based-access-control/elevate-access-global-admin.md",
            path: root_path,
            body: None,
            status: 200,
            required: &[],
            answers: ANSWERS,
        },
        Case {
            operation: "GET {managementGroup}/providers/Microsoft.Authorization/roleAssignments?$filter=atScope()",
            reference: "learn.microsoft.com rest/api/authorization/role-assignments/list-for-scope (2022-04-01)",
            path: group_path,
            body: None,
            status: 200,
            required: &[],
            answers: ANSWERS,
        },
    ]
}

/// The built-in tenant with `assignments` at the root of Azure; Adele (a Global
/// Administrator) holds User Access Administrator at `/` as `elevateAccess` leaves it.
fn harness_with_azure(assignments: Value) -> Harness {
    let mut tenant: Value = serde_json::from_str(crate::seed::DEFAULT_TENANT).unwrap();
    tenant["azureRoleAssignments"] = assignments;
    harness_of(&tenant)
}

fn operator_reader() -> Value {
    json!({"scope": "rootManagementGroup", "role": "Reader", "principal": "breakglass operator automation"})
}

fn items(body: &Value) -> Vec<&Value> {
    body["value"].as_array().unwrap().iter().collect()
}

#[test]
fn conformance_of_azure_role_assignments() {
    let h = harness_with_azure(json!([
        {"scope": "/", "role": "Owner", "principal": "breakglass operator automation"},
        {"scope": "rootManagementGroup", "role": "Owner", "principal": "All Staff"}
    ]));
    let token = h.arm_token();
    check_rows(&h, &token, &rows());
}

#[test]
fn at_scope_keeps_those_at_and_above_and_the_caller_needs_a_role_there() {
    let h = harness_with_azure(json!([
        operator_reader(),
        {"scope": "/", "role": "User Access Administrator", "principal": "adele@contoso.example"},
        {"scope": "rootManagementGroup", "role": OWNER, "principal": "All Staff"}
    ]));
    let token = h.arm_token();
    let group = format!(
        "/providers/Microsoft.Management/managementGroups/{TENANT}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01&$filter=atScope()"
    );
    let (status, body, _) = h.graph(&token, Method::GET, &group, None);
    assert_eq!(status, StatusCode::OK, "{body}");
    let found = items(&body);
    // Reader and Owner on the group, and the elevated access at / above it.
    assert_eq!(found.len(), 3, "{body}");
    let elevated = found
        .iter()
        .find(|a| a["properties"]["scope"] == "/")
        .expect("the assignment at /");
    assert!(
        elevated["properties"]["roleDefinitionId"]
            .as_str()
            .unwrap()
            .ends_with(UAA)
    );
    assert!(
        elevated["id"]
            .as_str()
            .unwrap()
            .starts_with("/providers/Microsoft.Authorization/roleAssignments/")
    );
    let group_owner = found
        .iter()
        .find(|a| a["properties"]["principalType"] == "Group")
        .unwrap();
    assert!(group_owner["id"].as_str().unwrap().starts_with(&format!(
        "/providers/Microsoft.Management/managementGroups/{TENANT}/"
    )));

    // Reader on the group does not reach /, which is above it.
    let root = "/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01&$filter=atScope()";
    let (status, body, _) = h.graph(&token, Method::GET, root, None);
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "AuthorizationFailed");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Microsoft.Authorization/roleAssignments/read")
    );
}

#[test]
fn without_a_role_at_the_root_both_reads_are_refused_and_api_version_is_required() {
    let h = harness_with_azure(json!([
        {"scope": "/", "role": "Owner", "principal": "adele@contoso.example"}
    ]));
    let token = h.arm_token();
    let group = format!(
        "/providers/Microsoft.Management/managementGroups/{TENANT}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01&$filter=atScope()"
    );
    let (status, body, _) = h.graph(&token, Method::GET, &group, None);
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body, _) = h.graph(
        &token,
        Method::GET,
        "/providers/Microsoft.Authorization/roleAssignments",
        None,
    );
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "MissingApiVersionParameter");
}

#[test]
fn long_lists_are_paged_with_next_link() {
    let mut assignments = vec![
        json!({"scope": "/", "role": "Reader", "principal": "breakglass operator automation"}),
    ];
    for i in 0..60 {
        assignments.push(json!({"scope": "rootManagementGroup", "role": "Reader",
            "principal": format!("00000000-0000-4000-8000-{i:012}")}));
    }
    let h = harness_with_azure(Value::Array(assignments));
    let token = h.arm_token();
    let first = format!(
        "/providers/Microsoft.Management/managementGroups/{TENANT}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01&$filter=atScope()"
    );
    let (status, body, _) = h.graph(&token, Method::GET, &first, None);
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(items(&body).len(), 50);
    let next = url::Url::parse(body["nextLink"].as_str().expect("a nextLink")).unwrap();
    let path = format!("{}?{}", next.path(), next.query().unwrap());
    let (status, body, _) = h.graph(&token, Method::GET, &path, None);
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(items(&body).len(), 11);
    assert!(body["nextLink"].is_null());
}
