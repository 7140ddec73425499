//! Injected faults: replication delay and throttling inside `$batch`.

use http::{Method, StatusCode};
use serde_json::{Value, json};

use super::harness;
use crate::FaultRule;

#[test]
fn replication_delay_hides_new_objects_for_a_while() {
    let h = harness();
    let token = h.operator_token();
    h.sim.faults.replace(vec![FaultRule {
        replication_delay_ms: Some(60_000),
        ..FaultRule::default()
    }]);
    let (_, app, _) = h.graph(
        &token,
        Method::POST,
        "/v1.0/applications",
        Some(json!({"displayName": "Fresh"})),
    );
    let app_id = app["appId"].as_str().unwrap().to_string();
    let (status, body, _) = h.graph(
        &token,
        Method::POST,
        "/v1.0/servicePrincipals",
        Some(json!({"appId": app_id})),
    );
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("does not reference a valid application object")
    );
    assert_eq!(
        h.graph(
            &token,
            Method::GET,
            &format!("/v1.0/applications/{}", app["id"].as_str().unwrap()),
            None
        )
        .0,
        StatusCode::NOT_FOUND
    );
    h.sim.clock.advance(61);
    assert_eq!(
        h.graph(
            &token,
            Method::POST,
            "/v1.0/servicePrincipals",
            Some(json!({"appId": app_id}))
        )
        .0,
        StatusCode::CREATED
    );
}

#[test]
fn batch_runs_items_in_order_and_throttles_them_one_by_one() {
    let h = harness();
    let token = h.operator_token();
    h.sim.faults.replace(vec![FaultRule {
        path_prefix: Some("/v1.0/domains".into()),
        status: Some(429),
        retry_after_seconds: Some(3),
        times: Some(1),
        ..FaultRule::default()
    }]);
    let body = json!({"requests": [
        {"id": "1", "method": "GET", "url": "/organization"},
        {"id": "2", "method": "GET", "url": "/domains"},
        {"id": "3", "method": "GET", "url": "/users?$top=1"},
        {"id": "4", "method": "GET", "url": "/domains", "dependsOn": ["2"]}
    ]});
    let (status, reply, _) = h.graph(&token, Method::POST, "/v1.0/$batch", Some(body));
    assert_eq!(status, StatusCode::OK);
    let by_id = |id: &str| {
        reply["responses"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .cloned()
            .unwrap()
    };
    assert_eq!(by_id("1")["status"], 200);
    assert_eq!(by_id("2")["status"], 429);
    assert_eq!(by_id("2")["headers"]["Retry-After"], "3");
    assert_eq!(by_id("3")["body"]["value"].as_array().unwrap().len(), 1);
    assert_eq!(by_id("4")["status"], 424);

    let too_many: Vec<Value> = (0..21)
        .map(|i| json!({"id": i.to_string(), "method": "GET", "url": "/organization"}))
        .collect();
    assert_eq!(
        h.graph(
            &token,
            Method::POST,
            "/v1.0/$batch",
            Some(json!({"requests": too_many}))
        )
        .0,
        StatusCode::BAD_REQUEST
    );
}
