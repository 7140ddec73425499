//! The public entry points the fuzz targets use: `filter_matches` and `InProcessSimulator`.

use serde_json::json;

#[test]
fn filter_matches_parses_and_evaluates_a_filter() {
    let item = json!({"userPrincipalName": "adele@contoso.example", "tags": ["a", "b"], "n": 3});
    assert_eq!(
        crate::filter_matches("startswith(userPrincipalName,'adele') and n ge 3", &item),
        Ok(true)
    );
    assert_eq!(
        crate::filter_matches("tags/any(t:t eq 'c')", &item),
        Ok(false)
    );
    assert!(crate::filter_matches("n eq", &item).is_err());
    assert!(crate::filter_matches("n eq 3 )", &item).is_err());
}

#[test]
fn in_process_answers_start_from_the_tenant_as_opened() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sim = crate::InProcessSimulator::open(dir.path()).expect("open");
    let user = json!({"accountEnabled": true, "displayName": "Temp", "mailNickname": "temp", "userPrincipalName": "temp-1@contososim.onmicrosoft.com", "passwordProfile": {"password": "Xy7!long-enough-pass"}}).to_string();
    // Created twice: the first creation is gone when the second request comes.
    assert_eq!(sim.answer("POST", "/v1.0/users", user.as_bytes()), 201);
    assert_eq!(sim.answer("POST", "/v1.0/users", user.as_bytes()), 201);
    assert_eq!(
        sim.answer("GET", "/v1.0/users/temp-1@contososim.onmicrosoft.com", b""),
        404
    );
    assert_eq!(sim.answer("GET", "/v1.0/users?$top=1", b""), 200);
    assert_eq!(sim.answer("POST", "/v1.0/users", b"{not json"), 400);
    // Test controls would outlive the answer.
    assert_eq!(sim.answer("PUT", "/_sim/faults", b"[]"), 404);
    assert_eq!(sim.answer("NOT A METHOD", "/v1.0/users", b""), 405);
}
