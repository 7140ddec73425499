use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use breakglass_core::cloud::GraphVersion;
use futures::{StreamExt, TryStreamExt};
use serde_json::json;
use wiremock::matchers::{
    header, header_exists, method, path, query_param, query_param_is_missing,
};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use super::*;
use crate::graph::models::{Application, NewApplication, NewServicePrincipal, User};
use crate::{BatchRequest, EntraError, Query, ReplicationPolicy, retry_while_replicating};

fn graph_error_body(code: &str, message: &str) -> serde_json::Value {
    json!({"error": {"code": code, "message": message, "innerError": {
        "date": "2025-02-13T10:17:06", "request-id": "req-123", "client-request-id": "client-456"}}})
}

#[tokio::test]
async fn paging_follows_next_link_and_resends_consistency_level() {
    let server = MockServer::start().await;
    let base = format!("{}/v1.0/users", server.uri());
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .and(query_param("$count", "true"))
        .and(query_param("$filter", "endsWith(mail,'@contoso.com')"))
        .and(query_param_is_missing("$skiptoken"))
        .and(header("ConsistencyLevel", "eventual"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "@odata.count": 5,
            "@odata.nextLink": format!("{base}?$count=true&$filter=endsWith(mail,'@contoso.com')&$skiptoken=p2"),
            "value": [{"id": "1", "displayName": "One", "unknownProperty": 1}, {"id": "2"}]
        })))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .and(query_param("$skiptoken", "p2"))
        .and(header("ConsistencyLevel", "eventual"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "@odata.nextLink": format!("{base}?$count=true&$skiptoken=p3"),
            "value": [{"id": "3"}, {"id": "4"}]
        })))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .and(query_param("$skiptoken", "p3"))
        .and(header("ConsistencyLevel", "eventual"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": [{"id": "5"}]})))
        .expect(2)
        .mount(&server)
        .await;
    let graph = graph(&server);
    let query = Query::new()
        .filter("endsWith(mail,'@contoso.com')")
        .count()
        .select(["id", "displayName"]);
    let pages: Vec<crate::Page<User>> = graph
        .pages(GraphVersion::V1, "users", &query)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 3);
    assert_eq!(pages[0].count, Some(5));
    let users: Vec<User> = graph.users(&query).try_collect().await.unwrap();
    let ids: Vec<&str> = users.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(ids, ["1", "2", "3", "4", "5"]);
    assert_eq!(users[0].display_name.as_deref(), Some("One"));
    // Every Graph call carries a client-request-id, the token and the User-Agent.
    for request in server.received_requests().await.unwrap() {
        assert!(request.headers.get("client-request-id").is_some());
        assert_eq!(
            request.headers.get("authorization").unwrap(),
            "Bearer graph-token-value"
        );
        assert!(
            request
                .headers
                .get("user-agent")
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("breakglass/")
        );
    }
}

#[tokio::test]
async fn next_link_to_another_host_is_refused() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1.0/applications"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "@odata.nextLink": "https://evil.example/v1.0/applications?$skiptoken=x",
            "value": [{"id": "1"}]
        })))
        .mount(&server)
        .await;
    let mut stream = graph(&server).applications(&Query::new());
    assert!(stream.next().await.unwrap().is_ok());
    let err = stream.next().await.unwrap().unwrap_err();
    assert!(err.to_string().contains("evil.example"), "{err}");
}

/// Answers each `$batch` with one response per request, in reverse order; the request
/// with id "7" is throttled once.
struct BatchResponder {
    calls: Mutex<Vec<usize>>,
    throttled: AtomicUsize,
}

impl Respond for BatchResponder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
        let requests = body["requests"].as_array().unwrap();
        self.calls.lock().unwrap().push(requests.len());
        let mut responses: Vec<serde_json::Value> = requests
            .iter()
            .map(|r| {
                let id = r["id"].as_str().unwrap();
                if id == "7" && self.throttled.fetch_add(1, Ordering::SeqCst) == 0 {
                    json!({"id": id, "status": 429, "headers": {"Retry-After": "1"},
                           "body": {"error": {"code": "TooManyRequests", "message": "Too many requests"}}})
                } else {
                    json!({"id": id, "status": 200, "headers": {"Content-Type": "application/json"},
                           "body": {"id": format!("obj-{id}"), "url": r["url"]}})
                }
            })
            .collect();
        responses.reverse();
        ResponseTemplate::new(200).set_body_json(json!({ "responses": responses }))
    }
}

#[tokio::test]
async fn batch_chunks_maps_by_id_and_retries_throttled_items() {
    let server = MockServer::start().await;
    let responder = BatchResponder {
        calls: Mutex::new(Vec::new()),
        throttled: AtomicUsize::new(0),
    };
    Mock::given(method("POST"))
        .and(path("/v1.0/$batch"))
        .and(header("content-type", "application/json"))
        .respond_with(responder)
        .expect(4)
        .mount(&server)
        .await;
    let requests: Vec<BatchRequest> = (0..45)
        .map(|i| BatchRequest::get(i.to_string(), format!("users/u{i}?$select=id")))
        .collect();
    let started = Instant::now();
    let answers = graph(&server)
        .batch(GraphVersion::V1, requests)
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After honoured"
    );
    assert_eq!(answers.len(), 45);
    for (i, answer) in answers.iter().enumerate() {
        assert_eq!(answer.id, i.to_string());
        assert_eq!(answer.status, 200, "item {i}");
        let body: serde_json::Value = answer.json().unwrap();
        assert_eq!(body["id"], format!("obj-{i}"));
        assert_eq!(body["url"], format!("/users/u{i}?$select=id"));
    }
    let received = server.received_requests().await.unwrap();
    let sizes: Vec<usize> = received
        .iter()
        .map(|r| {
            serde_json::from_slice::<serde_json::Value>(&r.body).unwrap()["requests"]
                .as_array()
                .unwrap()
                .len()
        })
        .collect();
    assert_eq!(sizes, [20, 20, 5, 1]);
    let retried: serde_json::Value = serde_json::from_slice(&received[3].body).unwrap();
    assert_eq!(retried["requests"][0]["id"], "7");
}

#[tokio::test]
async fn batch_item_errors_and_duplicate_ids() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1.0/$batch"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"responses": [
            {"id": "a", "status": 403, "headers": {}, "body": graph_error_body("Authorization_RequestDenied", "Insufficient privileges to complete the operation.")}
        ]})))
        .mount(&server)
        .await;
    let graph = graph(&server);
    let answers = graph
        .batch(
            GraphVersion::V1,
            vec![
                BatchRequest::new("a", "POST", "/applications")
                    .with_body(json!({"displayName": "x"})),
            ],
        )
        .await
        .unwrap();
    let err: EntraError = answers[0].error().unwrap().into();
    assert_eq!(err.status(), Some(403));
    assert!(err.hint().unwrap().contains("Application.ReadWrite.All"));
    let dup = graph
        .batch(
            GraphVersion::V1,
            vec![
                BatchRequest::get("x", "/users"),
                BatchRequest::get("x", "/groups"),
            ],
        )
        .await
        .unwrap_err();
    assert!(dup.to_string().contains("used twice"));
}

#[tokio::test]
async fn throttled_429_honours_retry_after_then_succeeds() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1.0/organization"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "1")
                .set_body_json(graph_error_body("TooManyRequests", "Too many requests")),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/organization"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"value": [{"id": "tenant", "displayName": "Contoso"}]})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let started = Instant::now();
    let orgs = graph(&server).organization().await.unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(orgs[0].display_name.as_deref(), Some("Contoso"));
    // The retry reused the same client-request-id.
    let received = server.received_requests().await.unwrap();
    assert_eq!(
        received[0].headers.get("client-request-id"),
        received[1].headers.get("client-request-id")
    );
}

#[tokio::test]
async fn service_unavailable_then_success() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1.0/domains"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/domains"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"value": [{"id": "contoso.com", "isDefault": true, "isVerified": true}]}),
        ))
        .mount(&server)
        .await;
    let domains = graph(&server).domains().await.unwrap();
    assert_eq!(domains[0].id, "contoso.com");
    assert_eq!(domains[0].is_default, Some(true));
}

#[tokio::test]
async fn retry_budget_exhausted_is_a_clear_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .respond_with(
            ResponseTemplate::new(503)
                .set_body_json(graph_error_body("ServiceUnavailable", "Service is busy")),
        )
        .mount(&server)
        .await;
    let graph = graph_with(&server, Duration::from_millis(300));
    let started = Instant::now();
    let err = graph
        .list_all::<User>(GraphVersion::V1, "users", &Query::new())
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(3));
    let EntraError::RetriesExhausted { attempts, .. } = &err else {
        panic!("expected exhausted retries, got {err:?}");
    };
    assert!(*attempts > 1);
    let message = err.to_string();
    assert!(message.contains("gave up"), "{message}");
    assert!(message.contains("503"), "{message}");
    assert_eq!(err.status(), Some(503));
    assert!(err.hint().unwrap().contains("--retry-budget"));
}

#[tokio::test]
async fn post_is_not_retried_on_500() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1.0/applications"))
        .respond_with(
            ResponseTemplate::new(500)
                .set_body_json(graph_error_body("InternalServerError", "boom")),
        )
        .expect(1)
        .mount(&server)
        .await;
    let err = graph(&server)
        .create_application(&NewApplication {
            display_name: "x".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(500));
}

#[tokio::test]
async fn forbidden_hint_names_the_permission() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1.0/applications"))
        .and(header_exists("client-request-id"))
        .respond_with(
            ResponseTemplate::new(403)
                .insert_header("request-id", "header-request-id")
                .set_body_json(graph_error_body(
                    "Authorization_RequestDenied",
                    "Insufficient privileges to complete the operation.",
                )),
        )
        .mount(&server)
        .await;
    let err = graph(&server)
        .create_application(&NewApplication {
            display_name: "breakglass".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    let graph_error = err.graph().unwrap();
    assert_eq!(graph_error.status, 403);
    assert_eq!(graph_error.code, "Authorization_RequestDenied");
    assert_eq!(graph_error.request_id.as_deref(), Some("req-123"));
    assert_eq!(graph_error.client_request_id.as_deref(), Some("client-456"));
    assert_eq!(graph_error.date.as_deref(), Some("2025-02-13T10:17:06"));
    let hint = err.hint().unwrap();
    assert!(hint.contains("Application.ReadWrite.All"), "{hint}");
    assert!(hint.contains("Application.ReadWrite.OwnedBy"), "{hint}");
    let message = err.to_string();
    assert!(message.contains("POST"), "{message}");
    assert!(message.contains("req-123"), "{message}");
}

#[tokio::test]
async fn graph_html_answer_is_a_clear_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1.0/organization"))
        .respond_with(
            ResponseTemplate::new(404).set_body_raw("<html>Not Found</html>", "text/html"),
        )
        .mount(&server)
        .await;
    let err = graph(&server).organization().await.unwrap_err();
    assert!(err.to_string().contains("expected JSON"), "{err}");
    assert!(err.to_string().contains("text/html"), "{err}");
    assert!(err.hint().unwrap().contains("Graph endpoint"));
}

#[tokio::test]
async fn replication_delay_retry_succeeds_after_two_404s() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1.0/applications/new-app"))
        .respond_with(ResponseTemplate::new(404).set_body_json(graph_error_body(
            "Request_ResourceNotFound",
            "Resource 'new-app' does not exist or one of its queried reference-property objects are not present.",
        )))
        .up_to_n_times(2)
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/applications/new-app"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"id": "new-app", "appId": "client"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let graph = graph(&server);
    let policy = ReplicationPolicy {
        budget: Duration::from_secs(5),
        initial_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
    };
    let no_query = Query::new();
    let app: Application =
        retry_while_replicating(policy, || graph.application("new-app", &no_query))
            .await
            .unwrap();
    assert_eq!(app.app_id.as_deref(), Some("client"));
}

#[tokio::test]
async fn replication_retry_gives_up_and_ignores_other_errors() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1.0/servicePrincipals"))
        .respond_with(ResponseTemplate::new(400).set_body_json(graph_error_body(
            "Request_BadRequest",
            "The appId 'abc' of the service principal does not reference a valid application object.",
        )))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v1.0/users/u1"))
        .respond_with(ResponseTemplate::new(403).set_body_json(graph_error_body(
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        )))
        .expect(1)
        .mount(&server)
        .await;
    let graph = graph(&server);
    let policy = ReplicationPolicy {
        budget: Duration::from_millis(200),
        initial_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(50),
    };
    let new = NewServicePrincipal {
        app_id: "abc".into(),
        ..NewServicePrincipal::default()
    };
    let err = retry_while_replicating(policy, || graph.create_service_principal(&new))
        .await
        .unwrap_err();
    assert!(err.graph().unwrap().is_replication_delay());
    assert!(server.received_requests().await.unwrap().len() > 2);
    let err = retry_while_replicating(policy, || graph.delete_user("u1"))
        .await
        .unwrap_err();
    assert!(
        err.hint()
            .unwrap()
            .contains("Privileged Authentication Administrator")
    );
}

#[tokio::test]
async fn typed_requests_use_the_right_paths() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1.0/applications/obj/addPassword"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "keyId": "k1", "hint": "abc", "secretText": "abc~supersecret", "displayName": "bg"
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1.0/applications/obj/removePassword"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/roleManagement/directory/roleAssignments"))
        .and(query_param("$expand", "principal"))
        .and(query_param(
            "$filter",
            "roleDefinitionId eq '62e90394-69f5-4237-9190-012177145e10'",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": [{
            "id": "ra", "roleDefinitionId": "62e90394-69f5-4237-9190-012177145e10", "principalId": "p",
            "directoryScopeId": "/", "principal": {"@odata.type": "#microsoft.graph.user", "id": "p", "userPrincipalName": "bg@contoso.com"}
        }]})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(
            "/v1.0/directory/deletedItems/microsoft.graph.application",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": [{"id": "d"}]})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/beta/auditLogs/signIns"))
        .and(query_param(
            "$filter",
            "signInEventTypes/any(t: t eq 'servicePrincipal') and appId eq 'x'",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": [{
            "id": "s", "signInEventTypes": ["servicePrincipal"], "status": {"errorCode": 0}
        }]})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users/alice_fabrikam.com%23EXT%23@contoso.com"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "guest"})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1.0/users/u/authentication/temporaryAccessPassMethods"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "id": "tap", "temporaryAccessPass": "TAP-SECRET", "lifetimeInMinutes": 60, "isUsableOnce": true
        })))
        .mount(&server)
        .await;

    let graph = graph(&server);
    let password = graph
        .add_password(
            "obj",
            &crate::graph::models::NewPassword {
                display_name: "bg".into(),
                end_date_time: None,
            },
        )
        .await
        .unwrap();
    use secrecy::ExposeSecret;
    assert_eq!(
        password.secret_text.as_ref().unwrap().expose_secret(),
        "abc~supersecret"
    );
    assert!(!format!("{password:?}").contains("supersecret"));
    assert!(
        !serde_json::to_string(&password)
            .unwrap()
            .contains("supersecret")
    );
    graph.remove_password("obj", "k1").await.unwrap();

    let assignments: Vec<_> = graph
        .role_assignments(
            &Query::new()
                .filter("roleDefinitionId eq '62e90394-69f5-4237-9190-012177145e10'")
                .expand("principal"),
        )
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        assignments[0].principal.as_ref().unwrap().kind(),
        Some("user")
    );

    let deleted = graph
        .deleted_items(crate::graph::DeletedItemKind::Application, &Query::new())
        .await
        .unwrap();
    assert_eq!(deleted[0].id, "d");

    let sign_ins: Vec<_> = graph
        .service_principal_sign_ins_beta(Some("appId eq 'x'"), None)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(sign_ins[0].sign_in_event_types, ["servicePrincipal"]);

    let guest = graph
        .user("alice_fabrikam.com#EXT#@contoso.com", &Query::new())
        .await
        .unwrap();
    assert_eq!(guest.id, "guest");

    let tap = graph
        .create_temporary_access_pass(
            "u",
            &crate::graph::models::NewTemporaryAccessPass {
                lifetime_in_minutes: Some(60),
                is_usable_once: Some(true),
                start_date_time: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        tap.temporary_access_pass.as_ref().unwrap().expose_secret(),
        "TAP-SECRET"
    );
    assert!(!format!("{tap:?}").contains("TAP-SECRET"));
}
