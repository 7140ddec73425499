//! App management policies as Microsoft's reference documents them (microsoft-graph-docs-contrib
//! `api-reference/v1.0/api/appmanagementpolicy-post.md`, `appmanagementpolicy-post-appliesto.md`,
//! `tenantappmanagementpolicy-get.md`): create answers 201, assignment 204, an object has
//! one custom policy, which it follows instead of the tenant default; writing needs
//! Policy.ReadWrite.ApplicationConfiguration.

use http::{Method, StatusCode};
use serde_json::json;

use super::{harness, harness_with};

#[test]
fn an_assigned_policy_wins_over_the_default_and_is_enforced() {
    let policy = json!({
        "displayName": "Secrets 30 days", "description": "short secrets",
        "restrictions": {"passwordCredentials": [
            {"restrictionType": "passwordLifetime", "maxLifetime": "P30D",
             "restrictForAppsCreatedAfterDateTime": null}
        ]}
    });
    // The built-in operator may read policies, not write them.
    let reader = harness();
    let token = reader.operator_token();
    let (status, default, _) = reader.graph(
        &token,
        Method::GET,
        "/v1.0/policies/defaultAppManagementPolicy",
        None,
    );
    assert_eq!(status, StatusCode::OK, "{default}");
    assert_eq!(default["isEnabled"], false);
    let (status, _, _) = reader.graph(
        &token,
        Method::POST,
        "/v1.0/policies/appManagementPolicies",
        Some(policy.clone()),
    );
    assert_eq!(status, StatusCode::FORBIDDEN);

    let h = harness_with(&[
        "Policy.Read.All",
        "Policy.ReadWrite.ApplicationConfiguration",
    ]);
    let token = h.operator_token();
    let (status, created, _) = h.graph(
        &token,
        Method::POST,
        "/v1.0/policies/appManagementPolicies",
        Some(policy),
    );
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    let (_, app, _) = h.graph(
        &token,
        Method::POST,
        "/v1.0/applications",
        Some(json!({"displayName": "Bound app"})),
    );
    let app_path = format!("/v1.0/applications/{}", app["id"].as_str().unwrap());
    let reference = json!({"@odata.id": format!("https://127.0.0.1:9/v1.0/policies/appManagementPolicies/{id}")});
    let (status, body, _) = h.graph(
        &token,
        Method::POST,
        &format!("{app_path}/appManagementPolicies/$ref"),
        Some(reference.clone()),
    );
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, _, _) = h.graph(
        &token,
        Method::POST,
        &format!("{app_path}/appManagementPolicies/$ref"),
        Some(reference),
    );
    assert_eq!(status, StatusCode::BAD_REQUEST, "one policy per object");
    let (_, assigned, _) = h.graph(
        &token,
        Method::GET,
        &format!("{app_path}/appManagementPolicies"),
        None,
    );
    assert_eq!(assigned["value"][0]["id"], id.as_str());
    let (_, applies_to, _) = h.graph(
        &token,
        Method::GET,
        &format!("/v1.0/policies/appManagementPolicies/{id}/appliesTo"),
        None,
    );
    assert_eq!(applies_to["value"][0]["id"], app["id"]);

    let add = |days: i64| {
        let end = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * days);
        h.graph(
            &token,
            Method::POST,
            &format!("{app_path}/addPassword"),
            Some(
                json!({"passwordCredential": {"displayName": "x", "endDateTime": end.to_string()}}),
            ),
        )
    };
    let (status, refused, _) = add(365);
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert!(
        refused.to_string().contains("passwordLifetime"),
        "{refused}"
    );
    let (status, added, _) = add(7);
    assert_eq!(status, StatusCode::OK, "{added}");

    // Unassigned, the app follows the (disabled) tenant default again.
    let (status, _, _) = h.graph(
        &token,
        Method::DELETE,
        &format!("{app_path}/appManagementPolicies/{id}/$ref"),
        None,
    );
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, _) = add(365);
    assert_eq!(status, StatusCode::OK);
}
