//! The Resource Manager subset: log alerts, action groups and Sentinel analytic rules.

use http::{Method, StatusCode};
use serde_json::{Value, json};

use super::{Harness, harness};

const ARM_WORKSPACE: &str = "/subscriptions/0b5e6c3a-7d2f-4b1e-9c8a-3f4e5d6c7b8a/resourceGroups/rg-security/providers/Microsoft.OperationalInsights/workspaces/law-contoso-security";
const ARM_GROUP: &str =
    "/subscriptions/0b5e6c3a-7d2f-4b1e-9c8a-3f4e5d6c7b8a/resourceGroups/rg-security";

impl Harness {
    pub(super) fn arm_token(&self) -> String {
        let (status, body) = self.token_with(&[
            ("grant_type", "client_credentials"),
            ("client_id", &self.operator.client_id),
            ("client_secret", &self.operator.client_secret),
            ("scope", "https://management.azure.com/.default"),
        ]);
        assert_eq!(status, StatusCode::OK, "{body}");
        body["access_token"].as_str().unwrap().to_string()
    }
}

fn log_alert(enabled: bool) -> Value {
    json!({
        "location": "westeurope",
        "kind": "LogAlert",
        "tags": {"breakglass-detection": "test"},
        "properties": {
            "displayName": "test",
            "severity": 0,
            "enabled": enabled,
            "evaluationFrequency": "PT5M",
            "windowSize": "PT5M",
            "scopes": [ARM_WORKSPACE],
            "criteria": {"allOf": [{
                "query": "SigninLogs",
                "timeAggregation": "Count",
                "operator": "GreaterThan",
                "threshold": 0,
            }]},
        },
    })
}

#[test]
fn arm_rules_are_created_updated_read_listed_and_deleted() {
    let h = harness();
    let token = h.arm_token();
    let api = "?api-version=2023-12-01";
    let rule = format!("{ARM_GROUP}/providers/Microsoft.Insights/scheduledQueryRules/bg-test");

    let (status, body, _) = h.graph(&token, Method::GET, &format!("{rule}{api}"), None);
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["error"]["code"], "ResourceNotFound");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("'Microsoft.Insights/scheduledQueryRules/bg-test' under resource group 'rg-security' was not found"),
        "{message}"
    );

    let (status, body, _) = h.graph(
        &token,
        Method::PUT,
        &format!("{rule}{api}"),
        Some(log_alert(true)),
    );
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["id"], rule);
    assert_eq!(body["properties"]["enabled"], true);

    let (status, body, _) = h.graph(
        &token,
        Method::PUT,
        &format!("{rule}{api}"),
        Some(log_alert(false)),
    );
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body, _) = h.graph(&token, Method::GET, &format!("{rule}{api}"), None);
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["properties"]["enabled"], false);
    assert_eq!(
        body["properties"]["criteria"]["allOf"][0]["query"],
        "SigninLogs"
    );

    let (status, body, _) = h.graph(
        &token,
        Method::GET,
        &format!("{ARM_GROUP}/providers/Microsoft.Insights/scheduledQueryRules{api}"),
        None,
    );
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["value"].as_array().unwrap().len(), 1);

    // Missing api-version, missing properties, unknown scope.
    let (status, body, _) = h.graph(&token, Method::GET, &rule, None);
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "MissingApiVersionParameter");
    let mut broken = log_alert(true);
    broken["properties"]
        .as_object_mut()
        .unwrap()
        .remove("severity");
    let (status, body, _) = h.graph(&token, Method::PUT, &format!("{rule}{api}"), Some(broken));
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "InvalidPayload");
    let mut elsewhere = log_alert(true);
    elsewhere["properties"]["scopes"] = json!([format!(
        "{ARM_GROUP}/providers/Microsoft.OperationalInsights/workspaces/nope"
    )]);
    let (status, _, _) = h.graph(
        &token,
        Method::PUT,
        &format!("{rule}{api}"),
        Some(elsewhere),
    );
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (status, _, _) = h.graph(&token, Method::DELETE, &format!("{rule}{api}"), None);
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = h.graph(&token, Method::DELETE, &format!("{rule}{api}"), None);
    assert_eq!(status, StatusCode::NO_CONTENT);
}

#[test]
fn arm_sentinel_rules_live_under_a_known_workspace_and_need_rbac() {
    let h = harness();
    let token = h.arm_token();
    let api = "?api-version=2023-02-01";
    let rule = json!({
        "kind": "NRT",
        "properties": {
            "displayName": "test",
            "enabled": true,
            "query": "SigninLogs",
            "severity": "High",
        },
    });
    let path = format!(
        "{ARM_WORKSPACE}/providers/Microsoft.SecurityInsights/alertRules/5c0f1d8e-0000-4000-8000-000000000001"
    );
    // No stable api-version defines the NRT kind; the previews do.
    let (status, body, _) = h.graph(
        &token,
        Method::PUT,
        &format!("{path}{api}"),
        Some(rule.clone()),
    );
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("'NRT'"),
        "{body}"
    );
    let (status, body, _) = h.graph(
        &token,
        Method::PUT,
        &format!("{path}?api-version=2025-07-01-preview"),
        Some(rule.clone()),
    );
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["kind"], "NRT");
    assert!(body["etag"].is_string());

    let mut scheduled = rule.clone();
    scheduled["kind"] = json!("Scheduled");
    let (status, body, _) = h.graph(
        &token,
        Method::PUT,
        &format!("{path}{api}"),
        Some(scheduled),
    );
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("queryFrequency")
    );

    let unknown = ARM_WORKSPACE.replace("law-contoso-security", "law-missing");
    let (status, body, _) = h.graph(
        &token,
        Method::PUT,
        &format!("{unknown}/providers/Microsoft.SecurityInsights/alertRules/x{api}"),
        Some(rule.clone()),
    );
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Microsoft.OperationalInsights/workspaces/law-missing")
    );

    let (status, body, _) = h.graph(
        &token,
        Method::GET,
        &format!("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg{api}"),
        None,
    );
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "SubscriptionNotFound");

    // Without Contributor on the subscription the caller is refused.
    h.sim.tenant().arm.contributors.clear();
    let (status, body, _) = h.graph(&token, Method::GET, &format!("{path}{api}"), None);
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], "AuthorizationFailed");

    // Without a token, 401.
    let (status, _, _) = h.graph("", Method::GET, &format!("{path}{api}"), None);
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
