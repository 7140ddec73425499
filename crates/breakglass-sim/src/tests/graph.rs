//! Graph conventions every collection shares: paging and query limits, authorization,
//! the simulated clock in answers, and Entra's length limits on names.

use http::{HeaderMap, Method, StatusCode};
use serde_json::json;

use super::harness;

#[test]
fn paging_top_limits_and_advanced_queries() {
    let h = harness();
    let token = h.operator_token();
    let (status, first, _) = h.graph(
        &token,
        Method::GET,
        "/v1.0/users?$top=2&$select=displayName",
        None,
    );
    assert_eq!(status, StatusCode::OK);
    assert_eq!(first["value"].as_array().unwrap().len(), 2);
    let next = first["@odata.nextLink"].as_str().unwrap();
    assert!(
        next.contains("$top=2") && next.contains("$skiptoken="),
        "{next}"
    );
    let mut seen = first["value"].as_array().unwrap().len();
    let mut link = Some(next.trim_start_matches("https://127.0.0.1:9").to_string());
    while let Some(current) = link.take() {
        let (_, page, _) = h.graph(&token, Method::GET, &current, None);
        seen += page["value"].as_array().unwrap().len();
        assert!(
            page["value"][0].get("jobTitle").is_none(),
            "$select is kept across pages"
        );
        link = page["@odata.nextLink"]
            .as_str()
            .map(|l| l.trim_start_matches("https://127.0.0.1:9").to_string());
    }
    assert_eq!(seen, 5);

    let (status, body, _) = h.graph(&token, Method::GET, "/v1.0/users?$top=1000", None);
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("between 1 and 999")
    );

    let (status, _, _) = h.graph(
        &token,
        Method::GET,
        "/v1.0/users?$filter=jobTitle ne 'Developer'",
        None,
    );
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body, _) = h.graph_with(
        &token,
        Method::GET,
        "/v1.0/users?$filter=jobTitle ne 'Developer'&$count=true",
        None,
        &[("consistencylevel", "eventual")],
    );
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["@odata.count"], 4);
}

#[test]
fn authorization_as_entra_enforces_it() {
    let h = harness();
    let token = h.operator_token();
    // The operator may not delete a Global Administrator: that needs a higher admin role.
    let (_, admins, _) = h.graph(
        &token,
        Method::GET,
        "/v1.0/users?$filter=userPrincipalName eq 'adele@contoso.example'",
        None,
    );
    let adele = admins["value"][0]["id"].as_str().unwrap().to_string();
    let (status, body, headers) = h.graph(
        &token,
        Method::DELETE,
        &format!("/v1.0/users/{adele}"),
        None,
    );
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], "Authorization_RequestDenied");
    assert!(headers.get("request-id").is_some());
    assert!(body["error"]["innerError"]["request-id"].is_string());

    // An app without permissions cannot read users.
    let (_, app, _) = h.graph(
        &token,
        Method::POST,
        "/v1.0/applications",
        Some(json!({"displayName": "No rights"})),
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
    let (_, credential, _) = h.graph(
        &token,
        Method::POST,
        &format!("/v1.0/applications/{id}/addPassword"),
        Some(json!({})),
    );
    let (_, body) = h.token_with(&[
        ("grant_type", "client_credentials"),
        ("client_id", &app_id),
        ("client_secret", credential["secretText"].as_str().unwrap()),
        ("scope", "https://127.0.0.1:9/.default"),
    ]);
    let weak = body["access_token"].as_str().unwrap();
    let (status, _, _) = h.graph(weak, Method::GET, "/v1.0/users", None);
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, headers) = h.graph("garbage", Method::GET, "/v1.0/users", None);
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(headers.get("www-authenticate").is_some());
}

#[test]
fn answers_carry_the_simulated_clock_and_temporary_users_are_found_by_their_marker() {
    let h = harness();
    let token = h.operator_token();
    let date = |headers: &HeaderMap| -> jiff::Timestamp {
        let text = headers
            .get("date")
            .and_then(|v| v.to_str().ok())
            .expect("a Date header");
        jiff::fmt::rfc2822::parse(text)
            .expect("an HTTP date")
            .timestamp()
    };
    let (status, _, headers) = h.graph(&token, Method::GET, "/v1.0/domains", None);
    assert_eq!(status, StatusCode::OK);
    let before = date(&headers);
    assert!((before.as_second() - jiff::Timestamp::now().as_second()).abs() <= 2);

    let create = json!({"accountEnabled": true, "displayName": "Temporary admin", "mailNickname": "bg-temp-x1",
        "userPrincipalName": "bg-temp-x1@contososim.onmicrosoft.com",
        "employeeType": "breakglass:temporary:2030-01-01T00:00:00Z", "companyName": "breakglass:operator:app:1",
        "passwordProfile": {"forceChangePasswordNextSignIn": false, "password": "Xy7!long-enough-pass"}});
    let (status, user, _) = h.graph(&token, Method::POST, "/v1.0/users", Some(create));
    assert_eq!(status, StatusCode::CREATED, "{user}");
    let id = user["id"].as_str().unwrap().to_string();
    let (status, list, _) = h.graph(
        &token,
        Method::GET,
        "/v1.0/users?$filter=startswith(employeeType,'breakglass:temporary:')&$select=id,employeeType,companyName",
        None,
    );
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["value"].as_array().map(Vec::len), Some(1), "{list}");
    assert_eq!(list["value"][0]["companyName"], "breakglass:operator:app:1");

    // A deleted user keeps its marker in deleted items.
    h.graph(&token, Method::DELETE, &format!("/v1.0/users/{id}"), None);
    let (_, deleted, _) = h.graph(
        &token,
        Method::GET,
        "/v1.0/directory/deletedItems/microsoft.graph.user?$select=id,employeeType",
        None,
    );
    assert_eq!(
        deleted["value"][0]["employeeType"],
        "breakglass:temporary:2030-01-01T00:00:00Z"
    );

    h.sim.clock.advance(3600);
    let token = h.operator_token();
    let (_, _, headers) = h.graph(&token, Method::GET, "/v1.0/domains", None);
    let after = date(&headers);
    assert!((after.as_second() - before.as_second() - 3600).abs() <= 2);
    // Failures carry it too.
    let (status, _, headers) = h.graph(&token, Method::GET, "/v1.0/users/nobody", None);
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!((date(&headers).as_second() - after.as_second()).abs() <= 2);
}

#[test]
fn names_longer_than_entra_allows_are_refused() {
    let h = harness();
    let token = h.operator_token();
    let long = "n".repeat(257);
    let (status, body, _) = h.graph(
        &token,
        Method::POST,
        "/v1.0/applications",
        Some(json!({"displayName": long})),
    );
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, app, _) = h.graph(
        &token,
        Method::POST,
        "/v1.0/applications",
        Some(json!({"displayName": "é".repeat(256)})),
    );
    assert_eq!(status, StatusCode::CREATED, "256 characters fit: {app}");
    let (status, _, _) = h.graph(
        &token,
        Method::PATCH,
        &format!("/v1.0/applications/{}", app["id"].as_str().unwrap()),
        Some(json!({"displayName": long})),
    );
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let group = |name: &str, nickname: &str| {
        h.graph(
            &token,
            Method::POST,
            "/v1.0/groups",
            Some(json!({"displayName": name, "mailNickname": nickname, "mailEnabled": false, "securityEnabled": true})),
        )
        .0
    };
    assert_eq!(group(&long, "ok"), StatusCode::BAD_REQUEST);
    assert_eq!(group("ok", &"m".repeat(65)), StatusCode::BAD_REQUEST);
    assert_eq!(group("ok", "with space"), StatusCode::BAD_REQUEST);
    assert_eq!(group("ok", "a@b"), StatusCode::BAD_REQUEST);
    assert_eq!(group("ok", "fine-nickname_1"), StatusCode::CREATED);
}
