//! Conformance rows for what the audit reads of delegated administration: administrative
//! units and their members, a group's members through nested groups, and PIM for Groups
//! eligibilities (see `conformance` for what a row states; role definitions are in
//! `conformance_directory`).

use http::Method;
use serde_json::{Value, json};

use super::conformance::{Case, Fixture, check_rows};
use super::{Harness, harness_of};

const MEMBER_READ: &[&str] = &["id", "@odata.type"];

/// The built-in tenant with one restricted administrative unit holding a user, so every row
/// has an item to read.
fn delegation_harness() -> Harness {
    let mut tenant: Value = serde_json::from_str(crate::seed::DEFAULT_TENANT).unwrap();
    tenant["administrativeUnits"] = json!([{
        "displayName": "Conformance tier 0",
        "isMemberManagementRestricted": true,
        "members": ["emma@contoso.example"],
        "scopedRoles": [{"role": "Helpdesk Administrator", "principal": "chloe@contoso.example"}]
    }]);
    tenant["groups"].as_array_mut().unwrap().push(json!({
        "displayName": "Conformance PIM", "mailNickname": "conformancepim",
        "isAssignableToRole": true, "eligibleMembers": ["emma@contoso.example"]
    }));
    harness_of(&tenant)
}

fn unit_id(f: &mut Fixture<'_>) -> String {
    let units = f.must(Method::GET, "/v1.0/directory/administrativeUnits", None);
    units["value"][0]["id"]
        .as_str()
        .expect("a unit")
        .to_string()
}

fn pim_group_id(f: &mut Fixture<'_>) -> String {
    let found = f.must(
        Method::GET,
        "/v1.0/groups?$filter=mailNickname%20eq%20'conformancepim'",
        None,
    );
    found["value"][0]["id"]
        .as_str()
        .expect("the seeded group")
        .to_string()
}

fn rows() -> Vec<Case> {
    vec![
        Case {
            operation: "GET /directory/administrativeUnits",
            reference: "api-reference/v1.0/api/directory-list-administrativeunits.md",
            path: |_| "/v1.0/directory/administrativeUnits".into(),
            body: None,
            status: 200,
            required: &[],
            answers: &["id", "displayName", "isMemberManagementRestricted"],
        },
        Case {
            operation: "GET /directory/administrativeUnits/{id}",
            reference: "api-reference/v1.0/api/administrativeunit-get.md",
            path: |f| format!("/v1.0/directory/administrativeUnits/{}", unit_id(f)),
            body: None,
            status: 200,
            required: &[],
            answers: &["id", "displayName", "isMemberManagementRestricted"],
        },
        Case {
            operation: "GET /directory/administrativeUnits/{id}/members",
            reference: "api-reference/v1.0/api/administrativeunit-list-members.md",
            path: |f| format!("/v1.0/directory/administrativeUnits/{}/members", unit_id(f)),
            body: None,
            status: 200,
            required: &[],
            answers: MEMBER_READ,
        },
        Case {
            operation: "GET /groups/{id}/transitiveMembers",
            reference: "api-reference/v1.0/api/group-list-transitivemembers.md",
            path: |f| {
                // A group nested in the fixture's group, holding the fixture's user.
                let outer = f.group();
                let nickname = f.unique("conformancenested");
                let inner = f.must(
                    Method::POST,
                    "/v1.0/groups",
                    Some(json!({"displayName": nickname, "mailNickname": nickname, "mailEnabled": false, "securityEnabled": true})),
                );
                let inner = inner["id"].as_str().unwrap().to_string();
                let user = f.user();
                for (group, member) in [(&inner, &user), (&outer, &inner)] {
                    let reference = f.reference_to(&format!("directoryObjects/{member}"));
                    f.must(
                        Method::POST,
                        &format!("/v1.0/groups/{group}/members/$ref"),
                        Some(reference),
                    );
                }
                format!("/v1.0/groups/{outer}/transitiveMembers")
            },
            body: None,
            status: 200,
            required: &[],
            answers: MEMBER_READ,
        },
        Case {
            operation: "GET /policies/roleManagementPolicyAssignments",
            reference: "api-reference/v1.0/api/policyroot-list-rolemanagementpolicyassignments.md",
            path: |_| {
                "/v1.0/policies/roleManagementPolicyAssignments?$filter=scopeId%20eq%20'/'%20and%20scopeType%20eq%20'DirectoryRole'%20and%20roleDefinitionId%20eq%20'62e90394-69f5-4237-9190-012177145e10'&$expand=policy($expand=rules)".into()
            },
            body: None,
            status: 200,
            required: &[],
            answers: &[
                "id",
                "policyId",
                "scopeId",
                "scopeType",
                "roleDefinitionId",
                "policy",
            ],
        },
        Case {
            operation: "GET /identityGovernance/privilegedAccess/group/eligibilityScheduleInstances",
            reference: "api-reference/v1.0/api/privilegedaccessgroup-list-eligibilityscheduleinstances.md",
            path: |f| {
                format!(
                    "/v1.0/identityGovernance/privilegedAccess/group/eligibilityScheduleInstances?$filter=groupId%20eq%20'{}'&$expand=principal",
                    pim_group_id(f)
                )
            },
            body: None,
            status: 200,
            required: &[],
            answers: &[
                "id",
                "groupId",
                "principalId",
                "accessId",
                "memberType",
                "startDateTime",
                "endDateTime",
                "principal/id",
            ],
        },
    ]
}

/// The approval rule of Global Administrator's activation names the seeded approver, and a
/// request that does not name its scope is refused, as Graph documents.
#[test]
fn activation_policies_carry_the_seeded_approval_rule_and_need_a_scope() {
    let mut tenant: Value = serde_json::from_str(crate::seed::DEFAULT_TENANT).unwrap();
    tenant["roleActivationPolicies"] = json!([{
        "role": "Global Administrator",
        "approvalRequired": true,
        "approvers": [{"user": "emma@contoso.example"}]
    }]);
    let h = harness_of(&tenant);
    let token = h.operator_token();
    let base = "/v1.0/policies/roleManagementPolicyAssignments";
    let get = |path: &str| {
        let (status, body, _) = h.graph(&token, Method::GET, path, None);
        (status.as_u16(), body)
    };
    let (status, _) = get(base);
    assert_eq!(status, 400, "the scope filter is required");
    let scoped = format!(
        "{base}?$filter=scopeId%20eq%20'/'%20and%20scopeType%20eq%20'DirectoryRole'%20and%20roleDefinitionId%20eq%20'62e90394-69f5-4237-9190-012177145e10'&$expand=policy($expand=rules)"
    );
    let (status, body) = get(&scoped);
    assert_eq!(status, 200, "{body}");
    let rules = body["value"][0]["policy"]["rules"].as_array().unwrap();
    let approval = rules
        .iter()
        .find(|r| r["id"] == "Approval_EndUser_Assignment")
        .unwrap();
    assert_eq!(approval["setting"]["isApprovalRequired"], true);
    let approver = &approval["setting"]["approvalStages"][0]["primaryApprovers"][0];
    assert_eq!(approver["@odata.type"], "#microsoft.graph.singleUser");
    assert!(approver["userId"].is_string());

    let other = scoped.replace(
        "62e90394-69f5-4237-9190-012177145e10",
        "e8611ab8-c189-46e8-94e1-60213ab1f814",
    );
    let (_, body) = get(&other);
    let rules = body["value"][0]["policy"]["rules"].as_array().unwrap();
    let approval = rules
        .iter()
        .find(|r| r["id"] == "Approval_EndUser_Assignment")
        .unwrap();
    assert_eq!(
        approval["setting"]["isApprovalRequired"], false,
        "Entra's default"
    );
}

#[test]
fn conformance_of_administrative_units_and_nested_members() {
    let h = delegation_harness();
    let token = h.operator_token();
    check_rows(&h, &token, &rows());
}
