//! The tenant saved in the state folder.

use http::Method;
use serde_json::json;

use super::{Harness, open_in};

#[test]
fn state_survives_a_restart_from_the_same_folder() {
    let dir = tempfile::tempdir().unwrap();
    let app_id = {
        let (sim, operator) = open_in(dir.path());
        let h = Harness {
            sim,
            operator,
            _dir: tempfile::tempdir().unwrap(),
        };
        let token = h.operator_token();
        let (_, app, _) = h.graph(
            &token,
            Method::POST,
            "/v1.0/applications",
            Some(json!({"displayName": "Survivor"})),
        );
        app["appId"].as_str().unwrap().to_string()
    };
    let (sim, operator) = open_in(dir.path());
    let h = Harness {
        sim,
        operator,
        _dir: tempfile::tempdir().unwrap(),
    };
    let token = h.operator_token();
    let (_, found, _) = h.graph(
        &token,
        Method::GET,
        &format!("/v1.0/applications?$filter=appId eq '{app_id}'"),
        None,
    );
    assert_eq!(found["value"][0]["displayName"], "Survivor");
    let mode = std::fs::metadata(dir.path().join("operator.env")).unwrap();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o777,
        0o600
    );
}
