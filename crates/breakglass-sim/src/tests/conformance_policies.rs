//! Conformance rows for Conditional Access, app management policies, the audit and sign-in
//! logs and JSON batching (see `conformance` for what a row states).

use http::Method;
use serde_json::json;

use super::conformance::{Case, check_rows, conformance_harness};
use super::conformance_identity::sign_in_interactively;

const POLICY_READ: &[&str] = &[
    "id",
    "displayName",
    "state",
    "createdDateTime",
    "conditions/users",
    "conditions/applications",
    "grantControls",
];
const APP_POLICY_READ: &[&str] = &["id", "displayName", "description", "isEnabled"];

fn conditional_access_rows() -> Vec<Case> {
    vec![
        Case {
            operation: "GET /identity/conditionalAccess/policies",
            reference: "api-reference/v1.0/api/conditionalaccessroot-list-policies.md",
            path: |_| "/v1.0/identity/conditionalAccess/policies".into(),
            body: None,
            status: 200,
            required: &[],
            answers: POLICY_READ,
        },
        Case {
            operation: "GET /identity/conditionalAccess/policies/{id}",
            reference: "api-reference/v1.0/api/conditionalaccesspolicy-get.md",
            path: |f| {
                format!(
                    "/v1.0/identity/conditionalAccess/policies/{}",
                    f.conditional_access_policy()
                )
            },
            body: None,
            status: 200,
            required: &[],
            answers: POLICY_READ,
        },
        Case {
            // The page names no required property: what is left out keeps its value.
            operation: "PATCH /identity/conditionalAccess/policies/{id}",
            reference: "api-reference/v1.0/api/conditionalaccesspolicy-update.md",
            path: |f| {
                format!(
                    "/v1.0/identity/conditionalAccess/policies/{}",
                    f.conditional_access_policy()
                )
            },
            body: Some(|f| {
                let path = format!(
                    "/v1.0/identity/conditionalAccess/policies/{}",
                    f.conditional_access_policy()
                );
                let mut users = f.must(Method::GET, &path, None)["conditions"]["users"].clone();
                users["excludeUsers"] = json!([f.user()]);
                json!({"conditions": {"users": users}})
            }),
            status: 204,
            required: &[],
            answers: &[],
        },
    ]
}

fn app_management_rows() -> Vec<Case> {
    vec![
        Case {
            operation: "GET /policies/defaultAppManagementPolicy",
            reference: "api-reference/v1.0/api/tenantappmanagementpolicy-get.md",
            path: |_| "/v1.0/policies/defaultAppManagementPolicy".into(),
            body: None,
            status: 200,
            required: &[],
            answers: &[
                "id",
                "isEnabled",
                "applicationRestrictions",
                "servicePrincipalRestrictions",
            ],
        },
        Case {
            operation: "GET /policies/appManagementPolicies",
            reference: "api-reference/v1.0/api/appmanagementpolicy-list.md",
            path: |f| {
                f.app_management_policy();
                "/v1.0/policies/appManagementPolicies".into()
            },
            body: None,
            status: 200,
            required: &[],
            answers: APP_POLICY_READ,
        },
        Case {
            // Neither the page nor appmanagementpolicy.md calls a property required, so no
            // refusal is asserted here.
            operation: "POST /policies/appManagementPolicies",
            reference: "api-reference/v1.0/api/appmanagementpolicy-post.md",
            path: |_| "/v1.0/policies/appManagementPolicies".into(),
            body: Some(|f| {
                json!({
                    "displayName": f.unique("conformance made "),
                    "description": "secrets of at most a year",
                    "isEnabled": true,
                    "restrictions": {"passwordCredentials": [{"restrictionType": "passwordLifetime", "maxLifetime": "P365D", "restrictForAppsCreatedAfterDateTime": null}]},
                })
            }),
            status: 201,
            required: &[],
            answers: &[
                "id",
                "displayName",
                "description",
                "isEnabled",
                "restrictions",
            ],
        },
        Case {
            // The body is the reference to one policy, which the page requires.
            operation: "POST /applications/{id}/appManagementPolicies/$ref",
            reference: "api-reference/v1.0/api/appmanagementpolicy-post-appliesto.md",
            path: |f| format!("/v1.0/applications/{}/appManagementPolicies/$ref", f.app()),
            body: Some(|f| {
                let policy = f.app_management_policy();
                f.reference_to(&format!("policies/appManagementPolicies/{policy}"))
            }),
            status: 204,
            required: &["@odata.id"],
            answers: &[],
        },
        Case {
            // No method page documents this read; the navigation property is on
            // api-reference/v1.0/resources/application.md, answered as a collection.
            operation: "GET /applications/{id}/appManagementPolicies",
            reference: "api-reference/v1.0/resources/application.md",
            path: |f| {
                let app = f.app();
                let policy = f.app_management_policy();
                let reference = f.reference_to(&format!("policies/appManagementPolicies/{policy}"));
                f.must(
                    Method::POST,
                    &format!("/v1.0/applications/{app}/appManagementPolicies/$ref"),
                    Some(reference),
                );
                format!("/v1.0/applications/{app}/appManagementPolicies")
            },
            body: None,
            status: 200,
            required: &[],
            answers: APP_POLICY_READ,
        },
    ]
}

fn log_and_batch_rows() -> Vec<Case> {
    vec![
        Case {
            operation: "GET /auditLogs/directoryAudits",
            reference: "api-reference/v1.0/api/directoryaudit-list.md",
            path: |f| {
                f.app();
                "/v1.0/auditLogs/directoryAudits".into()
            },
            body: None,
            status: 200,
            required: &[],
            answers: &[
                "id",
                "category",
                "correlationId",
                "result",
                "activityDisplayName",
                "activityDateTime",
                "loggedByService",
                "operationType",
                "initiatedBy",
                "targetResources",
            ],
        },
        Case {
            // v1.0 holds interactive user sign-ins only.
            operation: "GET /auditLogs/signIns",
            reference: "api-reference/v1.0/api/signin-list.md",
            path: |f| {
                sign_in_interactively(f.harness());
                "/v1.0/auditLogs/signIns".into()
            },
            body: None,
            status: 200,
            required: &[],
            answers: &[
                "id",
                "createdDateTime",
                "userPrincipalName",
                "userId",
                "appId",
                "ipAddress",
                "status/errorCode",
                "conditionalAccessStatus",
            ],
        },
        Case {
            // The operator's own token request is a service principal sign-in.
            operation: "GET /beta/auditLogs/signIns?$filter=signInEventTypes/any(t: t eq 'servicePrincipal')",
            reference: "api-reference/beta/api/signin-list.md",
            path: |_| {
                "/beta/auditLogs/signIns?$filter=signInEventTypes/any(t:%20t%20eq%20'servicePrincipal')".into()
            },
            body: None,
            status: 200,
            required: &[],
            answers: &[
                "id",
                "createdDateTime",
                "appId",
                "servicePrincipalId",
                "servicePrincipalCredentialKeyId",
                "signInEventTypes",
                "status/errorCode",
            ],
        },
        Case {
            // Each request of a batch needs its id, method and url.
            operation: "POST /$batch",
            reference: "concepts/json-batching.md",
            path: |_| "/v1.0/$batch".into(),
            body: Some(
                |_| json!({"requests": [{"id": "first", "method": "GET", "url": "/organization"}]}),
            ),
            status: 200,
            required: &[
                "requests",
                "requests/0/id",
                "requests/0/method",
                "requests/0/url",
            ],
            answers: &["responses/0/id", "responses/0/status", "responses/0/body"],
        },
    ]
}

/// The Temporary Access Pass method policy and the user's groups its targets are judged by.
fn pass_policy_rows() -> Vec<Case> {
    vec![
        Case {
            operation: "GET /policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass",
            reference: "api-reference/v1.0/api/temporaryaccesspassauthenticationmethodconfiguration-get.md",
            path: |_| {
                "/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass".into()
            },
            body: None,
            status: 200,
            required: &[],
            // The resource page (`temporaryaccesspassauthenticationmethodconfiguration.md`).
            answers: &[
                "id",
                "state",
                "minimumLifetimeInMinutes",
                "maximumLifetimeInMinutes",
                "defaultLifetimeInMinutes",
                "isUsableOnce",
                "includeTargets/0/id",
                "excludeTargets",
            ],
        },
        Case {
            // Every seeded user is in the built-in tenant's All Staff group.
            operation: "GET /users/{id | userPrincipalName}/transitiveMemberOf/microsoft.graph.group",
            reference: "api-reference/v1.0/api/user-list-transitivememberof.md",
            path: |_| {
                "/v1.0/users/emma@contoso.example/transitiveMemberOf/microsoft.graph.group".into()
            },
            body: None,
            status: 200,
            required: &[],
            answers: &["id", "displayName"],
        },
    ]
}

#[test]
fn conformance_of_conditional_access_and_app_management_policies() {
    let h = conformance_harness();
    let token = h.operator_token();
    check_rows(&h, &token, &conditional_access_rows());
    check_rows(&h, &token, &app_management_rows());
    check_rows(&h, &token, &pass_policy_rows());
}

#[test]
fn conformance_of_logs_and_batches() {
    let h = conformance_harness();
    let token = h.operator_token();
    check_rows(&h, &token, &log_and_batch_rows());
}
