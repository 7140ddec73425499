//! The Entra/Graph client against the tenant simulator over real HTTPS, with injected
//! faults: retries, paging, `$batch`, replication delay and error mapping, end to end.

use std::time::{Duration, Instant};

use breakglass_core::cloud::GraphVersion;
use breakglass_core::{CloudProfile, TenantId};
use breakglass_entra::graph::models::{Application, NewApplication, User};
use breakglass_entra::{
    BatchRequest, ClientCredential, ClientCredentialsFlow, EntraError, GraphClient, HttpClient,
    HttpOptions, Query, ReplicationPolicy, retry_while_replicating,
};
use breakglass_sim::{FaultRule, RunningSimulator, SimOptions};
use futures::StreamExt as _;

struct Setup {
    sim: RunningSimulator,
    profile: CloudProfile,
    _dir: tempfile::TempDir,
}

async fn start() -> Setup {
    let dir = tempfile::tempdir().expect("temp dir");
    let sim = RunningSimulator::start(SimOptions {
        listen: "127.0.0.1:0".parse().expect("address"),
        state_dir: dir.path().to_path_buf(),
        tenant_file: None,
    })
    .await
    .expect("simulator starts");
    let text = std::fs::read_to_string(sim.cloud_profile_path()).expect("cloud.json");
    let profile = CloudProfile::from_json(&text, sim.cloud_profile_path()).expect("profile");
    Setup {
        sim,
        profile,
        _dir: dir,
    }
}

impl Setup {
    fn http(&self, budget: Duration) -> HttpClient {
        HttpClient::new(
            &self.profile,
            HttpOptions::default().with_retry_budget(budget),
        )
        .expect("http client")
    }

    fn flow(&self, http: &HttpClient, secret: &str) -> ClientCredentialsFlow {
        let operator = self.sim.operator();
        let tenant: TenantId = operator.tenant_id.parse().expect("tenant id");
        ClientCredentialsFlow::new(
            http,
            &self.profile,
            &tenant,
            &operator.client_id,
            ClientCredential::secret(secret),
        )
    }

    fn graph(&self, budget: Duration) -> GraphClient {
        let http = self.http(budget);
        let provider = self
            .flow(&http, &self.sim.operator().client_secret.clone())
            .into_provider();
        GraphClient::new(http, &self.profile, provider)
    }
}

fn rule(path_prefix: &str) -> FaultRule {
    FaultRule {
        path_prefix: Some(path_prefix.to_string()),
        ..FaultRule::default()
    }
}

#[tokio::test]
async fn throttled_requests_are_retried_after_retry_after() {
    let setup = start().await;
    let graph = setup.graph(Duration::from_secs(30));
    graph
        .organization()
        .await
        .expect("warm up: token and first call");
    setup.sim.set_faults(vec![FaultRule {
        status: Some(429),
        retry_after_seconds: Some(1),
        times: Some(2),
        ..rule("/v1.0/organization")
    }]);
    let started = Instant::now();
    let organization = graph.organization().await.expect("succeeds after two 429s");
    assert_eq!(organization.len(), 1);
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "Retry-After of 1 s was honoured twice"
    );
    assert_eq!(setup.sim.fault_hits(), [2]);
    setup.sim.shutdown().await;
}

#[tokio::test]
async fn unavailable_and_dropped_connections_are_retried() {
    let setup = start().await;
    let graph = setup.graph(Duration::from_secs(30));
    setup.sim.set_faults(vec![
        FaultRule {
            status: Some(503),
            times: Some(1),
            ..rule("/v1.0/domains")
        },
        FaultRule {
            drop_connection: true,
            times: Some(1),
            ..rule("/v1.0/organization")
        },
    ]);
    assert!(!graph.domains().await.expect("503 then success").is_empty());
    assert_eq!(
        graph
            .organization()
            .await
            .expect("dropped then success")
            .len(),
        1
    );
    assert_eq!(
        setup.sim.fault_hits(),
        [1, 1],
        "the 503 was answered and the connection dropped, once each"
    );
    setup.sim.shutdown().await;
}

#[tokio::test]
async fn a_throttling_storm_ends_in_a_clear_error_within_the_budget() {
    let setup = start().await;
    let graph = setup.graph(Duration::from_secs(3));
    graph.organization().await.expect("warm up");
    setup.sim.set_faults(vec![FaultRule {
        status: Some(429),
        retry_after_seconds: Some(1),
        ..rule("/v1.0/organization")
    }]);
    let started = Instant::now();
    let error = graph.organization().await.expect_err("never succeeds");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "gave up within the budget"
    );
    assert!(
        matches!(error, EntraError::RetriesExhausted { .. }),
        "{error:?}"
    );
    assert_eq!(error.status(), Some(429));
    assert!(error.hint().is_some());
    setup.sim.shutdown().await;
}

#[tokio::test]
async fn paging_follows_next_links_and_keeps_the_query() {
    let setup = start().await;
    let graph = setup.graph(Duration::from_secs(10));
    let users: Vec<User> = graph
        .users(
            &Query::new()
                .top(2)
                .select(["id", "displayName", "userPrincipalName"]),
        )
        .map(|item| item.expect("page"))
        .collect()
        .await;
    assert_eq!(users.len(), 5, "five seeded users over three pages");
    let counted: Vec<User> = graph
        .users(
            &Query::new()
                .top(1)
                .count()
                .filter("jobTitle ne 'Accountant'"),
        )
        .map(|item| item.expect("advanced query page"))
        .collect()
        .await;
    assert_eq!(counted.len(), 4, "ConsistencyLevel is resent on every page");
    setup.sim.shutdown().await;
}

#[tokio::test]
async fn batch_splits_into_twenties_and_retries_throttled_items() {
    let setup = start().await;
    let graph = setup.graph(Duration::from_secs(30));
    setup.sim.set_faults(vec![FaultRule {
        status: Some(429),
        retry_after_seconds: Some(1),
        times: Some(3),
        ..rule("/v1.0/domains")
    }]);
    let requests: Vec<BatchRequest> = (0..45)
        .map(|i| {
            BatchRequest::get(
                i.to_string(),
                if i % 9 == 0 {
                    "/domains"
                } else {
                    "/organization"
                },
            )
        })
        .collect();
    let answers = graph
        .batch(GraphVersion::V1, requests)
        .await
        .expect("batch");
    assert_eq!(answers.len(), 45);
    for (index, answer) in answers.iter().enumerate() {
        assert_eq!(
            answer.id,
            index.to_string(),
            "answers come back in request order"
        );
        assert!(answer.is_success(), "item {index} ended {}", answer.status);
    }
    assert_eq!(setup.sim.fault_hits(), [3], "three items were throttled");
    setup.sim.shutdown().await;
}

#[tokio::test]
async fn replication_delay_after_create_is_waited_out() {
    let setup = start().await;
    let graph = setup.graph(Duration::from_secs(10));
    setup.sim.set_faults(vec![FaultRule {
        replication_delay_ms: Some(1500),
        ..FaultRule::default()
    }]);
    let app: Application = graph
        .create_application(&NewApplication {
            display_name: "Replication test".into(),
            ..NewApplication::default()
        })
        .await
        .expect("create app");
    let app_id = app.app_id.clone().expect("appId");
    let started = Instant::now();
    let policy = ReplicationPolicy {
        budget: Duration::from_secs(20),
        initial_delay: Duration::from_millis(200),
        max_delay: Duration::from_secs(1),
    };
    let new = breakglass_entra::graph::models::NewServicePrincipal {
        app_id: app_id.clone(),
        ..Default::default()
    };
    let sp = retry_while_replicating(policy, || graph.create_service_principal(&new))
        .await
        .expect("service principal created once the app replicated");
    assert!(started.elapsed() >= Duration::from_millis(1000));
    assert!(
        setup.sim.hidden_by_replication() > 0,
        "the new app was invisible at first"
    );
    assert_eq!(sp.app_id.as_deref(), Some(app_id.as_str()));
    setup.sim.shutdown().await;
}

#[tokio::test]
async fn errors_carry_what_a_person_needs() {
    let setup = start().await;
    let graph = setup.graph(Duration::from_secs(10));
    let adele = graph
        .user("adele@contoso.example", &Query::new())
        .await
        .expect("read the Global Administrator");
    let error = graph
        .delete_user(&adele.id)
        .await
        .expect_err("operator may not delete a GA");
    let graph_error = error.graph().expect("a Graph error");
    assert_eq!(graph_error.status, 403);
    assert_eq!(graph_error.code, "Authorization_RequestDenied");
    assert!(
        graph_error
            .request_id
            .as_deref()
            .is_some_and(|id| !id.is_empty())
    );
    let hint = error.hint().expect("a hint");
    assert!(
        hint.contains("Administrator") || hint.contains("User.ReadWrite.All"),
        "{hint}"
    );

    let http = setup.http(Duration::from_secs(5));
    let wrong = setup
        .flow(&http, "this-is-not-the-secret")
        .acquire()
        .await
        .expect_err("wrong secret");
    let token_error = wrong.token().expect("a token error");
    assert_eq!(token_error.code(), Some(7000215));
    let rendered = format!("{wrong} {:?} {}", wrong, wrong.hint().unwrap_or_default());
    assert!(
        !rendered.contains("this-is-not-the-secret"),
        "the secret never appears: {rendered}"
    );
    setup.sim.shutdown().await;
}
