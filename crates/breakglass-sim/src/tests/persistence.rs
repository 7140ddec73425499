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

fn reopened(dir: &std::path::Path) -> Harness {
    let (sim, operator) = open_in(dir);
    Harness {
        sim,
        operator,
        _dir: tempfile::tempdir().unwrap(),
    }
}

fn saved(h: &Harness) -> serde_json::Value {
    serde_json::to_value(&*h.sim.tenant()).unwrap()
}

/// One change of each kind the log records: directory objects created, changed and deleted,
/// a role assignment, sign-ins and directory audits.
fn change_everything(h: &Harness) {
    let token = h.operator_token();
    let (status, app, _) = h.graph(
        &token,
        Method::POST,
        "/v1.0/applications",
        Some(json!({"displayName": "Logged"})),
    );
    assert_eq!(status, http::StatusCode::CREATED);
    let create = json!({"accountEnabled": true, "displayName": "Logged user", "mailNickname": "logged", "userPrincipalName": "logged@contososim.onmicrosoft.com", "passwordProfile": {"forceChangePasswordNextSignIn": false, "password": "Xy7!long-enough-pass"}});
    let (status, user, _) = h.graph(&token, Method::POST, "/v1.0/users", Some(create));
    assert_eq!(status, http::StatusCode::CREATED);
    let user_id = user["id"].as_str().unwrap();
    let (status, _, _) = h.graph(
        &token,
        Method::PATCH,
        &format!("/v1.0/users/{user_id}"),
        Some(json!({"jobTitle": "Logger"})),
    );
    assert_eq!(status, http::StatusCode::NO_CONTENT);
    let body = json!({"roleDefinitionId": "62e90394-69f5-4237-9190-012177145e10", "principalId": user_id, "directoryScopeId": "/"});
    let (status, _, _) = h.graph(
        &token,
        Method::POST,
        "/v1.0/roleManagement/directory/roleAssignments",
        Some(body),
    );
    assert_eq!(status, http::StatusCode::CREATED);
    let app_id = app["id"].as_str().unwrap();
    let (status, _, _) = h.graph(
        &token,
        Method::DELETE,
        &format!("/v1.0/applications/{app_id}"),
        None,
    );
    assert_eq!(status, http::StatusCode::NO_CONTENT);
}

#[test]
fn every_change_survives_a_stop_that_writes_no_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let before = {
        let h = reopened(dir.path());
        change_everything(&h);
        saved(&h)
        // Dropped without a clean stop: the changes are only in the log.
    };
    assert!(
        std::fs::metadata(dir.path().join("tenant-changes.log"))
            .unwrap()
            .len()
            > 0
    );
    let h = reopened(dir.path());
    assert_eq!(saved(&h), before);
    assert!(!before["signIns"].as_array().unwrap().is_empty());
    assert!(before["directoryAudits"].as_array().unwrap().len() >= 4);
}

#[test]
fn a_torn_last_change_is_dropped_and_the_rest_loads() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("tenant-changes.log");
    let whole = {
        let h = reopened(dir.path());
        change_everything(&h);
        let whole = saved(&h);
        h.sim.changes.flush();
        let length = std::fs::metadata(&log).unwrap().len();
        let token = h.operator_token();
        h.graph(
            &token,
            Method::POST,
            "/v1.0/applications",
            Some(json!({"displayName": "Torn"})),
        );
        h.sim.changes.flush();
        (whole, length)
    };
    // Killed mid-write: the last frames are cut short.
    let file = std::fs::OpenOptions::new().write(true).open(&log).unwrap();
    file.set_len(whole.1 + 40).unwrap();
    drop(file);
    let h = reopened(dir.path());
    assert_eq!(saved(&h), whole.0);
    // The next change follows the last whole one, and survives.
    let token = h.operator_token();
    let (_, app, _) = h.graph(
        &token,
        Method::POST,
        "/v1.0/applications",
        Some(json!({"displayName": "After the tear"})),
    );
    let after = saved(&h);
    drop(h);
    let h = reopened(dir.path());
    assert_eq!(saved(&h), after);
    assert!(h.sim.tenant().object(app["id"].as_str().unwrap()).is_some());
}

#[test]
fn a_log_replayed_over_the_snapshot_that_holds_it_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("tenant-changes.log");
    drop({
        let h = reopened(dir.path());
        change_everything(&h);
        h
    });
    let logged = std::fs::read(&log).unwrap();
    let folded = {
        let h = reopened(dir.path());
        h.sim.close();
        saved(&h)
    };
    assert_eq!(std::fs::metadata(&log).unwrap().len(), 0);
    // Killed after the snapshot was written but before the log was emptied.
    std::fs::write(&log, logged).unwrap();
    let h = reopened(dir.path());
    assert_eq!(saved(&h), folded);
}

#[test]
fn a_token_costs_a_record_of_its_sign_in_not_a_copy_of_the_tenant() {
    let dir = tempfile::tempdir().unwrap();
    let h = reopened(dir.path());
    let snapshot = dir.path().join("tenant-state.json");
    let before = std::fs::read(&snapshot).unwrap();
    h.operator_token();
    h.sim.changes.flush();
    let logged = std::fs::metadata(dir.path().join("tenant-changes.log"))
        .unwrap()
        .len();
    assert!(logged > 0 && logged < 8192, "{logged} bytes logged");
    assert_eq!(std::fs::read(&snapshot).unwrap(), before);
}
