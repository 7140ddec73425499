//! Conformance rows for the identity platform's token and device code endpoints (form posts,
//! documented in MicrosoftDocs/entra-docs) and for the Resource Manager resources `monitor
//! deploy` and `monitor status` send (documented by Azure's resource types, as summarised with
//! their sources in shared/reference/sentinel-rule-format.md).

use http::{Method, StatusCode};
use serde_json::{Value, json};

use super::conformance::{Case, check_rows};
use super::{Harness, form, harness, request};

const SCHEDULED_QUERY_RULES: &str = "2023-12-01";
const ACTION_GROUPS: &str = "2023-01-01";
const SENTINEL_SCHEDULED: &str = "2023-02-01";
const RESOURCE_GROUP: &str =
    "/subscriptions/0b5e6c3a-7d2f-4b1e-9c8a-3f4e5d6c7b8a/resourceGroups/rg-security";
const WORKSPACE: &str = "/subscriptions/0b5e6c3a-7d2f-4b1e-9c8a-3f4e5d6c7b8a/resourceGroups/rg-security/providers/Microsoft.OperationalInsights/workspaces/law-contoso-security";

/// A form post: its path and its named fields.
type FormPost = (String, Vec<(&'static str, String)>);

/// A form post to the identity platform as its page documents it.
struct FormCase {
    operation: &'static str,
    reference: &'static str,
    /// The path and the form of a request that succeeds (any preparation done).
    request: fn(&Harness) -> FormPost,
    status: u16,
    /// Parameters the page calls required, with the status Entra refuses their absence with:
    /// 401 for a missing client credential (AADSTS7000218), 400 for any other parameter
    /// (AADSTS900144), per entra-docs `docs/identity-platform/reference-error-codes.md`.
    required: &'static [(&'static str, u16)],
    answers: &'static [&'static str],
}

fn post_form(h: &Harness, path: &str, pairs: &[(&'static str, String)]) -> (StatusCode, Value) {
    let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let answer = crate::graph::route(
        &h.sim,
        &request(Method::POST, path, &[], Some(form(&borrowed))),
    );
    (answer.status, answer.body_json().unwrap_or(Value::Null))
}

fn check_form(h: &Harness, row: &FormCase) -> Vec<String> {
    let label = format!("{} [{}]", row.operation, row.reference);
    let mut failures = Vec::new();
    for (parameter, refused_with) in row.required {
        let (path, mut pairs) = (row.request)(h);
        pairs.retain(|(name, _)| name != parameter);
        let (status, answer) = post_form(h, &path, &pairs);
        if status.as_u16() != *refused_with || answer["error"].as_str().is_none() {
            failures.push(format!(
                "{label}: without the required `{parameter}` the simulator answered {status}, Entra {refused_with}: {answer}"
            ));
        }
    }
    let (path, pairs) = (row.request)(h);
    let (status, answer) = post_form(h, &path, &pairs);
    if status.as_u16() != row.status {
        failures.push(format!(
            "{label}: answered {status}, documented {}: {answer}",
            row.status
        ));
        return failures;
    }
    failures.extend(
        row.answers
            .iter()
            .filter(|property| answer.get(**property).is_none())
            .map(|property| {
                format!("{label}: the answer lacks the documented `{property}`: {answer}")
            }),
    );
    failures
}

fn token_path(h: &Harness) -> String {
    format!("/{}/oauth2/v2.0/token", h.operator.tenant_id)
}

/// Starts a device code sign-in for Microsoft Graph Command Line Tools and approves it as a
/// seeded Global Administrator; answers the device code to redeem.
fn approved_device_code(h: &Harness) -> String {
    let client = breakglass_core::roles::GRAPH_COMMAND_LINE_TOOLS_APP_ID.to_string();
    let path = format!("/{}/oauth2/v2.0/devicecode", h.operator.tenant_id);
    let scope = "https://127.0.0.1:9/.default openid profile offline_access".to_string();
    let (_, started) = post_form(h, &path, &[("client_id", client), ("scope", scope)]);
    let approval = [
        (
            "user_code",
            started["user_code"].as_str().unwrap().to_string(),
        ),
        ("login", "adele@contoso.example".to_string()),
        ("password", "Sim-Adele-Passw0rd!".to_string()),
    ];
    let (status, _) = post_form(h, "/devicelogin", &approval);
    assert_eq!(status, StatusCode::OK);
    started["device_code"].as_str().unwrap().to_string()
}

/// An interactive user sign-in, the kind v1.0's sign-in log holds.
pub(super) fn sign_in_interactively(h: &Harness) {
    let pairs = [
        (
            "grant_type",
            "urn:ietf:params:oauth:grant-type:device_code".to_string(),
        ),
        (
            "client_id",
            breakglass_core::roles::GRAPH_COMMAND_LINE_TOOLS_APP_ID.to_string(),
        ),
        ("device_code", approved_device_code(h)),
    ];
    let (status, answer) = post_form(h, &token_path(h), &pairs);
    assert_eq!(status, StatusCode::OK, "{answer}");
}

fn identity_rows() -> Vec<FormCase> {
    vec![
        FormCase {
            operation: "POST /{tenant}/oauth2/v2.0/token (client_credentials, client_secret)",
            reference: "MicrosoftDocs/entra-docs docs/identity-platform/v2-oauth2-client-creds-grant-flow.md",
            request: |h| {
                (
                    token_path(h),
                    vec![
                        ("client_id", h.operator.client_id.clone()),
                        ("scope", "https://127.0.0.1:9/.default".into()),
                        ("client_secret", h.operator.client_secret.clone()),
                        ("grant_type", "client_credentials".into()),
                    ],
                )
            },
            status: 200,
            required: &[
                ("client_id", 400),
                ("scope", 400),
                ("client_secret", 401),
                ("grant_type", 400),
            ],
            answers: &["token_type", "expires_in", "access_token"],
        },
        FormCase {
            operation: "POST /{tenant}/oauth2/v2.0/devicecode",
            reference: "MicrosoftDocs/entra-docs docs/identity-platform/v2-oauth2-device-code.md",
            request: |h| {
                (
                    format!("/{}/oauth2/v2.0/devicecode", h.operator.tenant_id),
                    vec![
                        (
                            "client_id",
                            breakglass_core::roles::GRAPH_COMMAND_LINE_TOOLS_APP_ID.to_string(),
                        ),
                        (
                            "scope",
                            "https://127.0.0.1:9/.default offline_access".into(),
                        ),
                    ],
                )
            },
            status: 200,
            required: &[("client_id", 400), ("scope", 400)],
            answers: &[
                "device_code",
                "user_code",
                "verification_uri",
                "expires_in",
                "interval",
                "message",
            ],
        },
        FormCase {
            // A refresh token and an ID token come only with offline_access and openid,
            // which breakglass asks for.
            operation: "POST /{tenant}/oauth2/v2.0/token (device_code)",
            reference: "MicrosoftDocs/entra-docs docs/identity-platform/v2-oauth2-device-code.md",
            request: |h| {
                (
                    token_path(h),
                    vec![
                        (
                            "grant_type",
                            "urn:ietf:params:oauth:grant-type:device_code".into(),
                        ),
                        (
                            "client_id",
                            breakglass_core::roles::GRAPH_COMMAND_LINE_TOOLS_APP_ID.to_string(),
                        ),
                        ("device_code", approved_device_code(h)),
                    ],
                )
            },
            status: 200,
            required: &[
                ("grant_type", 400),
                ("client_id", 400),
                ("device_code", 400),
            ],
            answers: &[
                "token_type",
                "scope",
                "expires_in",
                "access_token",
                "refresh_token",
                "id_token",
            ],
        },
    ]
}

#[test]
fn conformance_of_the_token_and_device_code_endpoints() {
    let h = harness();
    let failures: Vec<String> = identity_rows()
        .iter()
        .flat_map(|row| check_form(&h, row))
        .collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

fn log_alert_path(_: &mut super::conformance::Fixture<'_>) -> String {
    format!(
        "{RESOURCE_GROUP}/providers/Microsoft.Insights/scheduledQueryRules/bg-conformance?api-version={SCHEDULED_QUERY_RULES}"
    )
}

fn log_alert(_: &mut super::conformance::Fixture<'_>) -> Value {
    json!({
        "location": "westeurope",
        "properties": {
            "displayName": "conformance alert",
            "severity": 1,
            "enabled": true,
            "evaluationFrequency": "PT10M",
            "windowSize": "PT10M",
            "scopes": [WORKSPACE],
            "criteria": {"allOf": [{"query": "AuditLogs | take 1", "timeAggregation": "Count", "operator": "GreaterThan", "threshold": 0}]},
        },
    })
}

fn action_group_path(_: &mut super::conformance::Fixture<'_>) -> String {
    format!(
        "{RESOURCE_GROUP}/providers/Microsoft.Insights/actionGroups/bg-conformance?api-version={ACTION_GROUPS}"
    )
}

fn action_group(_: &mut super::conformance::Fixture<'_>) -> Value {
    json!({
        "location": "Global",
        "properties": {"groupShortName": "bgconform", "enabled": true, "emailReceivers": [{"name": "on call", "emailAddress": "oncall@contoso.example"}]},
    })
}

fn sentinel_rule_path(_: &mut super::conformance::Fixture<'_>) -> String {
    format!(
        "{WORKSPACE}/providers/Microsoft.SecurityInsights/alertRules/6d1e2f3a-0000-4000-8000-00000000c0f0?api-version={SENTINEL_SCHEDULED}"
    )
}

fn sentinel_rule(_: &mut super::conformance::Fixture<'_>) -> Value {
    json!({
        "kind": "Scheduled",
        "properties": {
            "displayName": "conformance rule",
            "enabled": true,
            "query": "SigninLogs | take 1",
            "queryFrequency": "PT1H",
            "queryPeriod": "PT1H",
            "severity": "Medium",
            "triggerOperator": "GreaterThan",
            "triggerThreshold": 0,
            "suppressionDuration": "PT1H",
            "suppressionEnabled": false,
        },
    })
}

/// Resource Manager answers 201 to a PUT that creates and 200 to one that replaces; every row
/// here creates. A resource that is not there is a 404, which `monitor status` reports.
fn resource_manager_rows() -> Vec<Case> {
    vec![
        Case {
            operation: "GET {resourceGroup}/providers/Microsoft.Insights/scheduledQueryRules/{ruleName} (none there)",
            reference: "Azure/bicep-types-az generated/monitor/microsoft.insights/2023-12-01/types.md",
            path: log_alert_path,
            body: None,
            status: 404,
            required: &[],
            answers: &["error/code", "error/message"],
        },
        Case {
            // `severity`, `evaluationFrequency`, `windowSize` and `criteria` are required for
            // the LogAlert kind, the default.
            operation: "PUT {resourceGroup}/providers/Microsoft.Insights/scheduledQueryRules/{ruleName}",
            reference: "Azure/bicep-types-az generated/monitor/microsoft.insights/2023-12-01/types.md",
            path: log_alert_path,
            body: Some(log_alert),
            status: 201,
            required: &[
                "location",
                "properties",
                "properties/severity",
                "properties/evaluationFrequency",
                "properties/windowSize",
                "properties/criteria",
            ],
            answers: &["id", "name", "type", "location", "properties/enabled"],
        },
        Case {
            operation: "PUT {resourceGroup}/providers/Microsoft.Insights/actionGroups/{actionGroupName}",
            reference: "Azure/bicep-types-az generated/monitor/microsoft.insights/2023-01-01/types.md",
            path: action_group_path,
            body: Some(action_group),
            status: 201,
            required: &[
                "location",
                "properties",
                "properties/groupShortName",
                "properties/enabled",
            ],
            answers: &[
                "id",
                "name",
                "properties/groupShortName",
                "properties/enabled",
            ],
        },
        Case {
            // Only the four properties below are marked required for a scheduled rule.
            operation: "PUT {workspace}/providers/Microsoft.SecurityInsights/alertRules/{ruleId}",
            reference: "Azure/bicep-types-az generated/securityinsights/microsoft.securityinsights/2025-09-01/types.md",
            path: sentinel_rule_path,
            body: Some(sentinel_rule),
            status: 201,
            required: &[
                "kind",
                "properties/displayName",
                "properties/enabled",
                "properties/suppressionDuration",
                "properties/suppressionEnabled",
            ],
            answers: &["id", "name", "kind", "etag", "properties/enabled"],
        },
        Case {
            operation: "GET {workspace}/providers/Microsoft.SecurityInsights/alertRules/{ruleId}",
            reference: "Azure/bicep-types-az generated/securityinsights/microsoft.securityinsights/2025-09-01/types.md",
            path: sentinel_rule_path,
            body: None,
            status: 200,
            required: &[],
            answers: &["id", "kind", "properties/displayName", "properties/enabled"],
        },
    ]
}

#[test]
fn conformance_of_resource_manager_resources() {
    let h = harness();
    let (status, body) = post_form(
        &h,
        &token_path(&h),
        &[
            ("grant_type", "client_credentials".into()),
            ("client_id", h.operator.client_id.clone()),
            ("client_secret", h.operator.client_secret.clone()),
            ("scope", "https://management.azure.com/.default".into()),
        ],
    );
    assert_eq!(status, StatusCode::OK, "{body}");
    check_rows(
        &h,
        body["access_token"].as_str().unwrap(),
        &resource_manager_rows(),
    );
}
