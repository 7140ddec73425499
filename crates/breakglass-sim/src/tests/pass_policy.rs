//! The Temporary Access Pass method policy and who may issue passes to whom
//! (microsoft-graph-docs-contrib `api-reference/v1.0/api/temporaryaccesspassauthenticationmethodconfiguration-get.md`,
//! `api/authentication-post-temporaryaccesspassmethods.md`; entra-docs
//! `identity/authentication/howto-authentication-temporary-access-pass.md`).

use http::{Method, StatusCode};
use serde_json::{Value, json};

use super::{Harness, form, harness_of, request};

const POLICY: &str = "/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass";

/// The built-in tenant with `policy` as its pass policy, a nested group, and Frank, an
/// Authentication Administrator.
fn tenant_with(policy: Value) -> Harness {
    let mut tenant: Value = serde_json::from_str(crate::seed::DEFAULT_TENANT).unwrap();
    tenant["temporaryAccessPassPolicy"] = policy;
    tenant["users"].as_array_mut().unwrap().push(json!({
        "displayName": "Frank Auth", "userPrincipalName": "frank@contoso.example",
        "password": "Sim-Frank-Passw0rd!", "roles": ["Authentication Administrator"]
    }));
    let groups = tenant["groups"].as_array_mut().unwrap();
    groups.push(
        json!({"displayName": "Onboarding", "mailNickname": "onboarding",
        "members": ["Service Desk"]}),
    );
    harness_of(&tenant)
}

fn pass_for(h: &Harness, token: &str, upn: &str, body: Value) -> (StatusCode, Value) {
    let (status, answer, _) = h.graph(
        token,
        Method::POST,
        &format!("/v1.0/users/{upn}/authentication/temporaryAccessPassMethods"),
        Some(body),
    );
    (status, answer)
}

fn message(answer: &Value) -> String {
    answer["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn the_policy_reads_as_graph_has_it_with_entra_defaults_underneath() {
    let h = tenant_with(json!({"state": "enabled", "maximumLifetimeInMinutes": 120}));
    let token = h.operator_token();
    let (status, policy, _) = h.graph(&token, Method::GET, POLICY, None);
    assert_eq!(status, StatusCode::OK, "{policy}");
    assert_eq!(policy["id"], "TemporaryAccessPass");
    assert_eq!(policy["state"], "enabled");
    assert_eq!(policy["maximumLifetimeInMinutes"], 120);
    assert_eq!(policy["minimumLifetimeInMinutes"], 60, "Entra's default");
    assert_eq!(policy["includeTargets"][0]["id"], "all_users");

    let reader = super::harness_with(&[]);
    let (status, _, _) = reader.graph(&reader.operator_token(), Method::GET, POLICY, None);
    assert_eq!(status, StatusCode::FORBIDDEN, "no Policy.* permission");
}

#[test]
fn a_pass_is_refused_unless_the_policy_enables_and_targets_the_user() {
    let disabled = tenant_with(json!({"state": "disabled"}));
    let (status, answer) = pass_for(
        &disabled,
        &disabled.operator_token(),
        "emma@contoso.example",
        json!({}),
    );
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message(&answer).contains("not enabled"), "{answer}");

    // Onboarding contains Service Desk, which contains Chloe: targeted through nesting.
    let by_group = tenant_with(json!({"state": "enabled", "includeTargets": ["Onboarding"],
        "excludeTargets": ["All Staff"]}));
    let token = by_group.operator_token();
    let (status, answer) = pass_for(&by_group, &token, "chloe@contoso.example", json!({}));
    assert_eq!(status, StatusCode::BAD_REQUEST, "Chloe is in All Staff too");
    assert!(message(&answer).contains("excludes"), "{answer}");
    let nested_only = tenant_with(json!({"state": "enabled", "includeTargets": ["Onboarding"]}));
    let token = nested_only.operator_token();
    let (status, groups, _) = nested_only.graph(
        &token,
        Method::GET,
        "/v1.0/users/chloe@contoso.example/transitiveMemberOf/microsoft.graph.group",
        None,
    );
    assert_eq!(status, StatusCode::OK);
    let mut names: Vec<&str> = groups["value"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|g| g["displayName"].as_str())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["All Staff", "Onboarding", "Service Desk"]);
    let (status, answer) = pass_for(&nested_only, &token, "chloe@contoso.example", json!({}));
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let (status, answer) = pass_for(&nested_only, &token, "emma@contoso.example", json!({}));
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message(&answer).contains("does not target"), "{answer}");
}

#[test]
fn lifetime_and_one_time_use_follow_the_policy() {
    let h = tenant_with(json!({"state": "enabled", "minimumLifetimeInMinutes": 30,
        "maximumLifetimeInMinutes": 120, "defaultLifetimeInMinutes": 45, "isUsableOnce": true}));
    let token = h.operator_token();
    let emma = "emma@contoso.example";
    let (status, pass) = pass_for(&h, &token, emma, json!({}));
    assert_eq!(status, StatusCode::CREATED, "{pass}");
    assert_eq!(pass["lifetimeInMinutes"], 45, "the policy's default");
    assert_eq!(pass["isUsableOnce"], true, "the policy's rule");
    for too_long_or_short in [20, 121] {
        let (status, answer) = pass_for(
            &h,
            &token,
            emma,
            json!({"lifetimeInMinutes": too_long_or_short}),
        );
        assert_eq!(status, StatusCode::BAD_REQUEST, "{too_long_or_short}");
        assert!(message(&answer).contains("between 30 and 120"), "{answer}");
    }
    let (status, answer) = pass_for(&h, &token, emma, json!({"isUsableOnce": false}));
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message(&answer).contains("one-time"), "{answer}");
}

/// A delegated Graph token for a seeded user, through the device code flow.
fn user_token(h: &Harness, upn: &str, password: &str) -> String {
    let client = breakglass_core::roles::GRAPH_COMMAND_LINE_TOOLS_APP_ID.to_string();
    let path = format!("/{}/oauth2/v2.0/devicecode", h.operator.tenant_id);
    let scope = "https://127.0.0.1:9/.default openid profile offline_access";
    let started = crate::graph::route(
        &h.sim,
        &request(
            Method::POST,
            &path,
            &[],
            Some(form(&[("client_id", &client), ("scope", scope)])),
        ),
    )
    .body_json()
    .unwrap();
    let approve = crate::graph::route(
        &h.sim,
        &request(
            Method::POST,
            "/devicelogin",
            &[],
            Some(form(&[
                ("user_code", started["user_code"].as_str().unwrap()),
                ("login", upn),
                ("password", password),
            ])),
        ),
    );
    assert_eq!(approve.status, StatusCode::OK);
    let (status, body) = h.token_with(&[
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("client_id", &client),
        ("device_code", started["device_code"].as_str().unwrap()),
    ]);
    assert_eq!(status, StatusCode::OK, "{body}");
    body["access_token"].as_str().unwrap().to_string()
}

#[test]
fn an_authentication_administrator_issues_passes_to_non_admins_only() {
    let h = tenant_with(json!({"state": "enabled"}));
    let frank = user_token(&h, "frank@contoso.example", "Sim-Frank-Passw0rd!");
    let (status, answer) = pass_for(&h, &frank, "emma@contoso.example", json!({}));
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let (status, answer) = pass_for(&h, &frank, "ben@contoso.example", json!({}));
    assert_eq!(status, StatusCode::FORBIDDEN, "Ben is an admin: {answer}");

    let adele = user_token(&h, "adele@contoso.example", "Sim-Adele-Passw0rd!");
    let (status, answer) = pass_for(&h, &adele, "ben@contoso.example", json!({}));
    assert_eq!(
        status,
        StatusCode::CREATED,
        "a Global Administrator may: {answer}"
    );
    let (status, answer) = pass_for(&h, &h.operator_token(), "ben@contoso.example", json!({}));
    assert_eq!(
        status,
        StatusCode::CREATED,
        "so may an app with the permission: {answer}"
    );
}
