//! Listings answered from the index give what reading every object gives, as objects are
//! created, renamed and deleted.

use http::Method;
use serde_json::{Value, json};

use super::{Harness, harness};

fn names(h: &Harness, token: &str, query: &str) -> Vec<String> {
    let (status, body, _) = h.graph_with(
        token,
        Method::GET,
        &format!("/v1.0/users?{query}"),
        None,
        &[("consistencylevel", "eventual")],
    );
    assert!(status.is_success(), "{query}: {body}");
    body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["displayName"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn count(h: &Harness, token: &str, filter: &str) -> u64 {
    let (_, body, _) = h.graph_with(
        token,
        Method::GET,
        &format!("/v1.0/users?$count=true&$filter={filter}"),
        None,
        &[("consistencylevel", "eventual")],
    );
    body["@odata.count"].as_u64().unwrap()
}

fn create(h: &Harness, token: &str, name: &str) -> Value {
    let nickname = name.to_ascii_lowercase().replace(' ', ".");
    let body = json!({"accountEnabled": true, "displayName": name, "mailNickname": nickname, "userPrincipalName": format!("{nickname}@contososim.onmicrosoft.com"), "passwordProfile": {"forceChangePasswordNextSignIn": false, "password": "Xy7!long-enough-pass"}});
    let (status, user, _) = h.graph(token, Method::POST, "/v1.0/users", Some(body));
    assert_eq!(status, http::StatusCode::CREATED, "{user}");
    user
}

#[test]
fn indexed_filters_follow_creation_renaming_and_deletion() {
    let h = harness();
    let token = h.operator_token();
    let zed = create(&h, &token, "Zed Index");
    create(&h, &token, "Zoe Index");
    // In id order, which is random; as a set here.
    let mut found = names(&h, &token, "$filter=startswith(displayName,'z')");
    found.sort();
    assert_eq!(found, ["Zed Index", "Zoe Index"]);
    let id = zed["id"].as_str().unwrap();
    assert_eq!(count(&h, &token, "displayName eq 'ZED INDEX'"), 1);
    let (status, _, _) = h.graph(
        &token,
        Method::PATCH,
        &format!("/v1.0/users/{id}"),
        Some(json!({"displayName": "Ada Index"})),
    );
    assert_eq!(status, http::StatusCode::NO_CONTENT);
    assert_eq!(count(&h, &token, "displayName eq 'Zed Index'"), 0);
    assert_eq!(
        names(&h, &token, "$filter=displayName eq 'ada index'"),
        ["Ada Index"]
    );
    assert_eq!(
        count(
            &h,
            &token,
            "displayName in ('Ada Index', 'Zoe Index') and accountEnabled eq true"
        ),
        2
    );
    assert_eq!(
        count(
            &h,
            &token,
            "startswith(displayName,'Ada') or userPrincipalName eq 'zoe.index@contososim.onmicrosoft.com'"
        ),
        2
    );
    let (status, _, _) = h.graph(&token, Method::DELETE, &format!("/v1.0/users/{id}"), None);
    assert_eq!(status, http::StatusCode::NO_CONTENT);
    assert_eq!(count(&h, &token, "startswith(displayName,'ada')"), 0);
    // Every user, through the index or not, in the same order a scan gives.
    let all = names(&h, &token, "$top=999");
    let by_index = names(
        &h,
        &token,
        "$filter=startswith(userPrincipalName,'')&$count=true",
    );
    assert_eq!(all, by_index);
    assert_eq!(
        count(&h, &token, "startswith(displayName,'')"),
        all.len() as u64
    );
}
