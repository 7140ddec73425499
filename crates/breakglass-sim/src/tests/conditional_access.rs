//! Conditional Access policies as Microsoft's reference documents them
//! (microsoft-graph-docs-contrib `api-reference/v1.0/api/conditionalaccessroot-post-policies.md`,
//! `conditionalaccesspolicy-update.md`, `conditionalaccesspolicy-delete.md`): create answers 201
//! with the policy, update and delete 204; changes need `Policy.Read.All` and
//! `Policy.ReadWrite.ConditionalAccess` together; each change is in the audit log.

use http::{Method, StatusCode};
use serde_json::{Value, json};

use super::{Harness, claims, harness_with};

const POLICIES: &str = "/v1.0/identity/conditionalAccess/policies";

fn new_policy() -> Value {
    json!({
        "displayName": "Require MFA for guests",
        "state": "enabledForReportingButNotEnforced",
        "conditions": {
            "applications": {"includeApplications": ["All"]},
            "users": {"includeUsers": ["GuestsOrExternalUsers"], "excludeGroups": []},
            "clientAppTypes": ["all"]
        },
        "grantControls": {"operator": "OR", "builtInControls": ["mfa"]}
    })
}

fn activities(h: &Harness, token: &str) -> Vec<String> {
    let (_, body, _) = h.graph(token, Method::GET, "/v1.0/auditLogs/directoryAudits", None);
    body["value"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["category"] == "Policy")
        .map(|a| a["activityDisplayName"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn create_update_and_delete_answer_as_documented_and_are_audited() {
    let h = harness_with(&["Policy.Read.All", "Policy.ReadWrite.ConditionalAccess"]);
    let token = h.operator_token();
    let (status, created, _) = h.graph(&token, Method::POST, POLICIES, Some(new_policy()));
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    assert!(created["createdDateTime"].is_string(), "{created}");
    assert_eq!(
        created["conditions"]["users"]["includeUsers"],
        json!(["GuestsOrExternalUsers"])
    );
    assert!(
        created["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("identity/conditionalAccess/policies/$entity")
    );

    let path = format!("{POLICIES}/{id}");
    let (status, _, _) = h.graph(
        &token,
        Method::PATCH,
        &path,
        Some(json!({"state": "enabled"})),
    );
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, read, _) = h.graph(&token, Method::GET, &path, None);
    assert_eq!(read["state"], "enabled");
    assert_eq!(
        read["grantControls"]["builtInControls"],
        json!(["mfa"]),
        "kept: {read}"
    );

    let (status, _, _) = h.graph(&token, Method::DELETE, &path, None);
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, _) = h.graph(&token, Method::GET, &path, None);
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = h.graph(&token, Method::DELETE, &path, None);
    assert_eq!(status, StatusCode::NOT_FOUND);
    let logged = activities(&h, &token);
    for activity in [
        "Add Conditional Access policy",
        "Update Conditional Access policy",
        "Delete Conditional Access policy",
    ] {
        assert!(
            logged.iter().any(|a| a == activity),
            "{activity}: {logged:?}"
        );
    }
}

#[test]
fn a_policy_without_a_user_rule_an_application_rule_or_a_control_is_refused() {
    let h = harness_with(&["Policy.Read.All", "Policy.ReadWrite.ConditionalAccess"]);
    let token = h.operator_token();
    for (pointer, value) in [
        ("/conditions/users/includeUsers", json!([])),
        ("/conditions/applications/includeApplications", json!([])),
        ("/grantControls", Value::Null),
        ("/state", json!("on")),
    ] {
        let mut policy = new_policy();
        *policy.pointer_mut(pointer).unwrap() = value;
        let (status, body, _) = h.graph(&token, Method::POST, POLICIES, Some(policy));
        assert_eq!(status, StatusCode::BAD_REQUEST, "{pointer}: {body}");
    }
}

#[test]
fn changes_need_both_permissions() {
    let h = harness_with(&["Policy.ReadWrite.ConditionalAccess"]);
    let token = h.operator_token();
    let roles = claims(&token)["roles"].clone();
    assert!(!roles.to_string().contains("Policy.Read.All"), "{roles}");
    let (status, body, _) = h.graph(&token, Method::POST, POLICIES, Some(new_policy()));
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "Authorization_RequestDenied");

    let reader = harness_with(&["Policy.Read.All"]);
    let token = reader.operator_token();
    let (status, listed, _) = reader.graph(&token, Method::GET, POLICIES, None);
    assert_eq!(status, StatusCode::OK);
    let id = listed["value"][0]["id"].as_str().unwrap().to_string();
    let (status, _, _) = reader.graph(
        &token,
        Method::PATCH,
        &format!("{POLICIES}/{id}"),
        Some(json!({"state": "disabled"})),
    );
    assert_eq!(status, StatusCode::FORBIDDEN);
}
