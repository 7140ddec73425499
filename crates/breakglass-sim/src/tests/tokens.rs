//! The identity platform: client credentials, token errors, the device code flow and
//! Conditional Access for workload identities.

use http::{Method, StatusCode};
use serde_json::json;

use super::{claims, form, harness, request};

#[test]
fn client_secret_token_carries_roles_and_wids_and_is_logged() {
    let h = harness();
    let token = h.operator_token();
    let c = claims(&token);
    assert_eq!(c["tid"], h.operator.tenant_id);
    assert_eq!(c["appid"], h.operator.client_id);
    assert_eq!(c["idtyp"], "app");
    assert_eq!(c["appidacr"], "1");
    assert!(
        c["roles"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == "RoleManagement.ReadWrite.Directory")
    );
    assert_eq!(
        c["wids"],
        json!([breakglass_core::roles::PRIVILEGED_ROLE_ADMINISTRATOR
            .template_id
            .to_string()])
    );
    // The beta sign-in log has the service principal sign-in with the credential key id.
    let (status, body, _) = h.graph(&token, Method::GET, "/beta/auditLogs/signIns", None);
    assert_eq!(status, StatusCode::OK);
    let record = &body["value"][0];
    assert_eq!(record["appId"], h.operator.client_id);
    assert_eq!(record["clientCredentialType"], "clientSecret");
    assert!(
        record["servicePrincipalCredentialKeyId"]
            .as_str()
            .is_some_and(|k| !k.is_empty())
    );
    // v1.0 shows interactive user sign-ins only.
    let (_, v1, _) = h.graph(&token, Method::GET, "/v1.0/auditLogs/signIns", None);
    assert_eq!(v1["value"], json!([]));
}

#[test]
fn token_errors_follow_the_identity_platform() {
    let h = harness();
    let (status, body) = h.token_with(&[
        ("grant_type", "client_credentials"),
        ("client_id", &h.operator.client_id),
        ("client_secret", "not-the-secret"),
        ("scope", "https://127.0.0.1:9/.default"),
    ]);
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "invalid_client");
    assert_eq!(body["error_codes"], json!([7000215]));
    assert!(
        !body["error_description"]
            .as_str()
            .unwrap()
            .contains("not-the-secret")
    );
    assert!(body["timestamp"].as_str().unwrap().contains(' '));

    let (status, body) = h.token_with(&[
        ("grant_type", "client_credentials"),
        ("client_id", "00000000-0000-0000-0000-000000000001"),
        ("client_secret", "x"),
        ("scope", "https://127.0.0.1:9/.default"),
    ]);
    assert_eq!(
        (status, body["error_codes"].clone()),
        (StatusCode::BAD_REQUEST, json!([700016]))
    );

    let (status, body) = h.token_with(&[
        ("grant_type", "client_credentials"),
        ("client_id", &h.operator.client_id),
        ("scope", "https://127.0.0.1:9/.default"),
    ]);
    assert_eq!(
        (status, body["error_codes"].clone()),
        (StatusCode::UNAUTHORIZED, json!([7000218]))
    );

    let (status, body) = h.token_with(&[
        ("grant_type", "client_credentials"),
        ("client_id", &h.operator.client_id),
        ("client_secret", "x"),
        ("scope", "User.Read"),
    ]);
    assert_eq!(
        (status, body["error"].clone()),
        (StatusCode::BAD_REQUEST, json!("invalid_scope"))
    );

    let response = crate::graph::route(
        &h.sim,
        &request(
            Method::POST,
            "/nosuchtenant.example/oauth2/v2.0/token",
            &[],
            Some(form(&[("grant_type", "client_credentials")])),
        ),
    );
    assert_eq!(response.body_json().unwrap()["error_codes"], json!([90002]));
}

#[test]
fn expired_secret_is_told_apart_from_a_wrong_one() {
    let h = harness();
    let token = h.operator_token();
    let (_, app, _) = h.graph(
        &token,
        Method::POST,
        "/v1.0/applications",
        Some(json!({"displayName": "Short lived"})),
    );
    let (id, app_id) = (
        app["id"].as_str().unwrap().to_string(),
        app["appId"].as_str().unwrap().to_string(),
    );
    h.graph(
        &token,
        Method::POST,
        "/v1.0/servicePrincipals",
        Some(json!({"appId": app_id})),
    );
    let end = jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_secs(60))
        .unwrap();
    let (_, credential, _) = h.graph(
        &token,
        Method::POST,
        &format!("/v1.0/applications/{id}/addPassword"),
        Some(json!({"passwordCredential": {"endDateTime": end.to_string()}})),
    );
    h.sim.clock.advance(120);
    let (status, body) = h.token_with(&[
        ("grant_type", "client_credentials"),
        ("client_id", &app_id),
        ("client_secret", credential["secretText"].as_str().unwrap()),
        ("scope", "https://127.0.0.1:9/.default"),
    ]);
    assert_eq!(
        (status, body["error_codes"].clone()),
        (StatusCode::UNAUTHORIZED, json!([7000222]))
    );
}

#[test]
fn device_code_flow_with_approval_by_a_seeded_user() {
    let h = harness();
    let client = breakglass_core::roles::GRAPH_COMMAND_LINE_TOOLS_APP_ID.to_string();
    let path = format!("/{}/oauth2/v2.0/devicecode", h.operator.tenant_id);
    let started = crate::graph::route(
        &h.sim,
        &request(
            Method::POST,
            &path,
            &[],
            Some(form(&[
                ("client_id", &client),
                (
                    "scope",
                    "https://127.0.0.1:9/.default openid profile offline_access",
                ),
            ])),
        ),
    )
    .body_json()
    .unwrap();
    let device_code = started["device_code"].as_str().unwrap().to_string();
    let poll = || {
        h.token_with(&[
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("client_id", &client),
            ("device_code", &device_code),
        ])
    };
    let (status, pending) = poll();
    assert_eq!(
        (status, pending["error"].clone()),
        (StatusCode::BAD_REQUEST, json!("authorization_pending"))
    );
    let wrong = crate::graph::route(
        &h.sim,
        &request(
            Method::POST,
            "/devicelogin",
            &[],
            Some(form(&[
                ("user_code", started["user_code"].as_str().unwrap()),
                ("login", "adele@contoso.example"),
                ("password", "wrong"),
            ])),
        ),
    );
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let approve = crate::graph::route(
        &h.sim,
        &request(
            Method::POST,
            "/devicelogin",
            &[],
            Some(form(&[
                ("user_code", started["user_code"].as_str().unwrap()),
                ("login", "adele@contoso.example"),
                ("password", "Sim-Adele-Passw0rd!"),
            ])),
        ),
    );
    assert_eq!(approve.status, StatusCode::OK);
    let (status, body) = poll();
    assert_eq!(status, StatusCode::OK, "{body}");
    let c = claims(body["access_token"].as_str().unwrap());
    assert_eq!(c["idtyp"], "user");
    assert_eq!(c["upn"], "adele@contoso.example");
    assert_eq!(
        c["wids"],
        json!([breakglass_core::roles::GLOBAL_ADMINISTRATOR
            .template_id
            .to_string()])
    );
    assert!(body["id_token"].is_string() && body["client_info"].is_string());
    let refresh = body["refresh_token"].as_str().unwrap().to_string();
    let (status, renewed) = h.token_with(&[
        ("grant_type", "refresh_token"),
        ("client_id", &client),
        ("refresh_token", &refresh),
    ]);
    assert_eq!(status, StatusCode::OK, "{renewed}");
    assert_ne!(
        renewed["refresh_token"], body["refresh_token"],
        "refresh tokens rotate"
    );
    let (status, _) = h.token_with(&[
        ("grant_type", "refresh_token"),
        ("client_id", &client),
        ("refresh_token", &refresh),
    ]);
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a used refresh token is spent"
    );
    // The interactive sign-in shows on v1.0.
    let (_, signins, _) = h.graph(
        body["access_token"].as_str().unwrap(),
        Method::GET,
        "/v1.0/auditLogs/signIns",
        None,
    );
    assert_eq!(
        signins["value"][0]["userPrincipalName"],
        "adele@contoso.example"
    );
    assert!(signins["value"][0].get("signInEventTypes").is_none());
}

#[test]
fn workload_identity_conditional_access_blocks_the_service_principal() {
    let h = harness();
    let token = h.operator_token();
    let sp_id = claims(&token)["oid"].as_str().unwrap().to_string();
    {
        let mut tenant = h.sim.tenant();
        tenant.conditional_access_policies.push(json!({
            "id": "11111111-2222-3333-4444-555555555555", "displayName": "Block workload identities", "state": "enabled",
            "conditions": {"clientApplications": {"includeServicePrincipals": [sp_id], "excludeServicePrincipals": []}},
            "grantControls": {"operator": "OR", "builtInControls": ["block"]}
        }));
    }
    let (status, body) = h.token_with(&[
        ("grant_type", "client_credentials"),
        ("client_id", &h.operator.client_id),
        ("client_secret", &h.operator.client_secret),
        ("scope", "https://127.0.0.1:9/.default"),
    ]);
    assert_eq!(
        (status, body["error_codes"].clone()),
        (StatusCode::BAD_REQUEST, json!([53003]))
    );
}
