//! `breakglass watch` against an in-process simulator and a webhook receiver in the test:
//! one signed notification per sign-in, nothing sent twice, retries, the cursor kept
//! across kill -9, change notifications (a Conditional Access policy losing the emergency
//! exclusion among them), and the Slack and Teams shapes. With several receivers: one that
//! hangs delays no other, the run ends at --run-timeout with a summary naming the failing
//! receiver's host, and each receiver gets again, after a failure or a kill -9, exactly
//! what it had not confirmed. Version 1 state files are read; bad durations are refused.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use breakglass_core::cloud::GraphVersion::V1;
use breakglass_entra::Query;
use serde_json::{Value, json};

use crate::common::{
    InProcessSimulator, TestEnv, breakglass_bin, edited_default_tenant, operator_permissions,
    policy_list_patch,
};

const KEEPASS_PASSWORD: &str = "correct horse battery staple";
const SECRET: &str = "a-test-webhook-secret-of-32-chars";

/// One request the receiver got.
#[derive(Clone, Debug)]
struct Received {
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

/// A request as it arrived, answered or not.
#[derive(Clone, Debug)]
struct Arrival {
    at: Instant,
    event_id: String,
}

/// What a receiver's connections share.
#[derive(Default)]
struct Log {
    /// The requests answered 200.
    received: Mutex<Vec<Received>>,
    /// Every request, in the order they arrived.
    arrivals: Mutex<Vec<Arrival>>,
    count: AtomicUsize,
    /// Generic webhook bodies that broke the documented schema, with why.
    invalid: Mutex<Vec<String>>,
}

/// A receiver on a loopback address: answers 500 to the first `fail_first` requests, never
/// answers requests after the first `hang_after`, and 200 to the rest.
struct Receiver {
    address: &'static str,
    port: u16,
    log: Arc<Log>,
}

impl Receiver {
    fn start(fail_first: usize, hang_after: Option<usize>) -> Receiver {
        Receiver::start_on("127.0.0.1", fail_first, hang_after)
    }

    /// On `address`: another loopback address than 127.0.0.1 tells two receivers apart in
    /// what breakglass prints, which is only ever the host.
    fn start_on(address: &'static str, fail_first: usize, hang_after: Option<usize>) -> Receiver {
        let listener = TcpListener::bind((address, 0)).expect("bind");
        let port = listener.local_addr().expect("address").port();
        let log = Arc::new(Log::default());
        let shared = log.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { break };
                let log = shared.clone();
                std::thread::spawn(move || serve(stream, &log, fail_first, hang_after));
            }
        });
        Receiver { address, port, log }
    }

    fn url(&self) -> String {
        format!("http://{}:{}/hook", self.address, self.port)
    }

    /// The requests answered 200; every generic webhook body among them met the schema.
    fn received(&self) -> Vec<Received> {
        let invalid = self.log.invalid.lock().unwrap().clone();
        assert!(invalid.is_empty(), "bodies off the schema: {invalid:#?}");
        self.log.received.lock().unwrap().clone()
    }

    fn arrivals(&self) -> Vec<Arrival> {
        self.log.arrivals.lock().unwrap().clone()
    }

    fn requests(&self) -> usize {
        self.log.count.load(Ordering::SeqCst)
    }

    /// The event ids of the requests answered 200, in order.
    fn confirmed_ids(&self) -> Vec<String> {
        self.received()
            .iter()
            .map(|r| r.headers["x-breakglass-event-id"].clone())
            .collect()
    }
}

fn serve(stream: TcpStream, log: &Log, fail_first: usize, hang_after: Option<usize>) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut headers = BTreeMap::new();
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    loop {
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            break;
        }
        if let Some((k, v)) = trimmed.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    log.arrivals.lock().unwrap().push(Arrival {
        at: Instant::now(),
        event_id: headers
            .get("x-breakglass-event-id")
            .cloned()
            .unwrap_or_default(),
    });
    // A receiver that checks the documented schema refuses what breaks it, as a strict one
    // in production would; the delivery then fails and so does the test.
    if headers.contains_key("x-breakglass-signature")
        && let Err(why) = meets_notification_schema(&body)
    {
        log.invalid.lock().unwrap().push(why);
        let mut stream = stream;
        let _ = write!(
            stream,
            "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        return;
    }
    let n = log.count.fetch_add(1, Ordering::SeqCst);
    if hang_after.is_some_and(|h| n >= h) {
        std::thread::sleep(Duration::from_secs(300));
        return;
    }
    let status = if n < fail_first {
        "500 Internal Server Error"
    } else {
        log.received
            .lock()
            .unwrap()
            .push(Received { headers, body });
        "200 OK"
    };
    let mut stream = stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
}

/// Checks a generic webhook body against `docs/schemas/notification.schema.json`, the
/// payload's documentation, with an independent JSON Schema implementation.
fn meets_notification_schema(body: &[u8]) -> Result<(), String> {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    let validator = VALIDATOR.get_or_init(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../docs/schemas/notification.schema.json");
        let schema: Value =
            serde_json::from_slice(&std::fs::read(&path).expect("the schema")).expect("JSON");
        jsonschema::draft202012::new(&schema).expect("a valid schema")
    });
    let body: Value = serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
    let errors: Vec<String> = validator
        .iter_errors(&body)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!("{body}\n{}", errors.join("\n")))
    }
}

fn hmac_hex(body: &[u8]) -> String {
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, SECRET.as_bytes());
    let tag = aws_lc_rs::hmac::sign(&key, body);
    tag.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// `init` and `apply` against a fresh simulator, the webhook secret in the environment.
fn applied() -> (TestEnv, InProcessSimulator) {
    applied_to(TestEnv::new(), None)
}

/// As [`applied`], the simulator seeded from `tenant_file`.
fn applied_to(mut env: TestEnv, tenant_file: Option<&Path>) -> (TestEnv, InProcessSimulator) {
    let simulator = InProcessSimulator::start(&env.root().join("sim"), tenant_file);
    simulator.configure(&mut env);
    env.set_env("BREAKGLASS_KEEPASS_PASSWORD", KEEPASS_PASSWORD);
    env.set_env("BREAKGLASS_WEBHOOK_SECRET", SECRET);
    env.run(["init"]).assert_success();
    env.run(["apply", "--yes"]).assert_success();
    (env, simulator)
}

fn state_file(env: &TestEnv) -> PathBuf {
    env.root().join("watch.json")
}

fn watch_once(env: &TestEnv, sink: &[&str]) -> crate::common::CommandOutput {
    let state = state_file(env).display().to_string();
    let mut args = vec!["watch", "--once", "--state", &state, "--output", "json"];
    args.extend_from_slice(sink);
    env.run(&args)
}

/// Runs `watch --once` to a throwaway receiver, so `apply`'s own changes are behind us.
fn baseline(env: &TestEnv) {
    let receiver = Receiver::start(0, None);
    watch_once(env, &["--webhook", &receiver.url()]).assert_success();
}

fn use_rotating(env: &TestEnv) {
    env.run(["token", "--credential", "rotating"])
        .assert_success();
}

/// One field of `monitor identities --output json`.
fn identity(env: &TestEnv, field: &str) -> String {
    let identities = env.run(["monitor", "identities", "--output", "json"]);
    identities.assert_success();
    identities.json()[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} in {}", identities.stdout))
        .to_string()
}

/// A runtime and the operator's Graph client, to change the tenant as an administrator would.
fn operator(
    simulator: &InProcessSimulator,
) -> (tokio::runtime::Runtime, breakglass_entra::GraphClient) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    (runtime, simulator.operator_graph().graph)
}

fn sign_in_notifications(receiver: &Receiver) -> Vec<Value> {
    receiver
        .received()
        .iter()
        .map(Received::json)
        .filter(|n| n["kind"] == "servicePrincipalSignIn")
        .collect()
}

#[test]
fn a_sign_in_is_notified_once_signed_and_labelled() {
    let (env, _simulator) = applied();
    baseline(&env);
    use_rotating(&env);

    let receiver = Receiver::start(0, None);
    let output = watch_once(&env, &["--webhook", &receiver.url()]);
    output.assert_success();
    let received = receiver.received();
    assert_eq!(received.len(), 1, "{output}\n{received:?}");
    let request = &received[0];
    let n = request.json();
    assert_eq!(n["kind"], "servicePrincipalSignIn", "{n:#}");
    assert_eq!(n["credentialLabel"], "rotating", "{n:#}");
    assert_eq!(n["severity"], "high", "{n:#}");
    assert_eq!(n["result"], "success", "{n:#}");
    assert_eq!(n["source"], "servicePrincipalSignIns");
    for field in [
        "id",
        "time",
        "title",
        "identity",
        "credentialKeyId",
        "ipAddress",
        "correlationId",
    ] {
        assert!(n[field].is_string(), "{field}: {n:#}");
    }
    // What a responder needs to go straight to the objects, as the tenant knows them.
    for field in ["tenantId", "appId", "servicePrincipalId"] {
        assert_eq!(n[field], identity(&env, field), "{field}: {n:#}");
    }
    assert_eq!(
        request.headers["x-breakglass-signature"],
        format!("sha256={}", hmac_hex(&request.body))
    );
    assert_eq!(
        request.headers["x-breakglass-event-id"],
        n["id"].as_str().unwrap()
    );
    assert_eq!(output.json()["delivered"].as_array().unwrap().len(), 1);
    assert!(!output.stdout.contains(SECRET) && !output.stderr.contains(SECRET));

    // The state file is private and remembers the delivery.
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(state_file(&env))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);

    // Again: nothing new.
    let again = watch_once(&env, &["--webhook", &receiver.url()]);
    again.assert_success();
    assert_eq!(receiver.received().len(), 1, "{again}");
    assert!(
        again.json()["alreadyDelivered"].as_u64().unwrap() >= 1,
        "{again}"
    );
}

#[test]
fn a_failing_receiver_is_retried_and_the_cursor_waits_for_it() {
    let (env, _simulator) = applied();
    baseline(&env);
    use_rotating(&env);

    // A receiver that always fails: exit 6, nothing remembered as delivered.
    let down = Receiver::start(usize::MAX, None);
    let before: Value =
        serde_json::from_str(&std::fs::read_to_string(state_file(&env)).unwrap()).unwrap();
    let failed = watch_once(&env, &["--webhook", &down.url(), "--retries", "1"]);
    failed.assert_code(6);
    assert_eq!(down.requests(), 2, "{failed}");
    let after: Value =
        serde_json::from_str(&std::fs::read_to_string(state_file(&env)).unwrap()).unwrap();
    assert_eq!(
        after["delivered"].as_object().unwrap().len(),
        before["delivered"].as_object().unwrap().len(),
        "{after:#}"
    );

    // 500 twice, then 200: delivered in one run.
    let flaky = Receiver::start(2, None);
    let output = watch_once(&env, &["--webhook", &flaky.url()]);
    output.assert_success();
    assert_eq!(flaky.requests(), 3, "{output}");
    let got = sign_in_notifications(&flaky);
    assert_eq!(got.len(), 1, "{output}");
    let id = got[0]["id"].as_str().unwrap().to_string();
    // The failed run left the cursor at the event, not past it.
    let cursor: jiff::Timestamp = after["cursors"]["webhook"]["servicePrincipalSignIns"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let time: jiff::Timestamp = got[0]["time"].as_str().unwrap().parse().unwrap();
    assert!(cursor <= time, "{after:#}");
    let state: Value =
        serde_json::from_str(&std::fs::read_to_string(state_file(&env)).unwrap()).unwrap();
    assert!(
        state["delivered"].get(format!("webhook:{id}")).is_some(),
        "{state:#}"
    );
}

fn spawn_watch(env: &TestEnv, url: &str) -> Child {
    std::process::Command::new(breakglass_bin())
        .env_clear()
        .current_dir(env.root())
        .env("HOME", env.root().join("home"))
        .env("NO_COLOR", "1")
        .envs(env.vars())
        .args([
            "watch",
            "--once",
            "--timeout",
            "60s",
            "--webhook",
            url,
            "--state",
        ])
        .arg(state_file(env))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start breakglass watch")
}

#[test]
fn kill_9_during_delivery_loses_nothing_and_repeats_nothing_confirmed() {
    let (env, _simulator) = applied();
    baseline(&env);
    use_rotating(&env);
    std::thread::sleep(Duration::from_millis(1100));
    use_rotating(&env);

    // The first event is confirmed; the receiver then holds the second one.
    let holding = Receiver::start(0, Some(1));
    let mut child = spawn_watch(&env, &holding.url());
    let started = Instant::now();
    while holding.requests() < 2 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no second request"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().expect("kill -9");
    child.wait().expect("wait");
    let first = sign_in_notifications(&holding);
    assert_eq!(first.len(), 1);

    // After a restart the held event is delivered, the confirmed one is not sent again.
    let receiver = Receiver::start(0, None);
    watch_once(&env, &["--webhook", &receiver.url()]).assert_success();
    let second = sign_in_notifications(&receiver);
    assert_eq!(second.len(), 1, "{second:#?}");
    assert_ne!(second[0]["id"], first[0]["id"]);
}

#[test]
fn a_password_added_to_the_emergency_app_is_a_change_notification() {
    let (env, simulator) = applied();
    baseline(&env);
    let object_id = identity(&env, "applicationObjectId");
    let (runtime, graph) = operator(&simulator);
    let _: Value = runtime
        .block_on(graph.post_json(
            V1,
            &format!("applications/{object_id}/addPassword"),
            &json!({"passwordCredential": {"displayName": "not breakglass"}}),
        ))
        .expect("addPassword");

    let receiver = Receiver::start(0, None);
    watch_once(&env, &["--webhook", &receiver.url()]).assert_success();
    let changes: Vec<Value> = receiver
        .received()
        .iter()
        .map(Received::json)
        .filter(|n| n["kind"] == "auditChange")
        .collect();
    assert_eq!(changes.len(), 1, "{changes:#?}");
    let change = &changes[0];
    assert_eq!(change["severity"], "critical");
    assert_eq!(change["source"], "directoryAudits");
    assert!(
        change["title"]
            .as_str()
            .unwrap()
            .contains("Certificates and secrets management"),
        "{change:#}"
    );
    assert_eq!(change["appId"], identity(&env, "appId"), "{change:#}");
    assert!(
        change["activity"]
            .as_str()
            .unwrap()
            .starts_with("Update application")
    );
    assert!(
        change["initiatedBy"].is_string(),
        "who added it: {change:#}"
    );
    assert!(change["correlationId"].is_string(), "{change:#}");
}

#[test]
fn a_conditional_access_policy_losing_the_emergency_exclusion_is_notified() {
    let env = TestEnv::new();
    // Changing policies takes Policy.ReadWrite.ConditionalAccess, which the seeded
    // operator lacks: breakglass itself only reads them.
    let tenant = edited_default_tenant(&env, "tenant.json", |tenant| {
        operator_permissions(tenant).push(json!("Policy.ReadWrite.ConditionalAccess"));
    });
    let (env, simulator) = applied_to(env, Some(&tenant));
    let group = identity(&env, "exclusionGroupId");
    let (runtime, graph) = operator(&simulator);
    let policies: Vec<Value> = runtime
        .block_on(graph.list_all(V1, "identity/conditionalAccess/policies", &Query::new()))
        .expect("list policies");
    let policy = policies.first().expect("the seeded tenant has a policy");
    let path = format!(
        "identity/conditionalAccess/policies/{}",
        policy["id"].as_str().expect("id")
    );
    let name = policy["displayName"].as_str().expect("displayName");
    let exclude = |groups: Value| {
        runtime
            .block_on(graph.patch_json(
                V1,
                &path,
                &policy_list_patch(policy, "users", "excludeGroups", groups),
            ))
            .expect("update the policy");
    };

    exclude(json!([group]));
    let receiver = Receiver::start(0, None);
    watch_once(&env, &["--webhook", &receiver.url()]).assert_success();
    let policy_notifications = |receiver: &Receiver| -> Vec<Value> {
        receiver
            .received()
            .iter()
            .map(Received::json)
            .filter(|n| {
                n["title"]
                    .as_str()
                    .unwrap_or("")
                    .contains("Conditional Access")
            })
            .collect()
    };
    assert!(
        policy_notifications(&receiver).is_empty(),
        "adding the exclusion is not an alert: {:#?}",
        receiver.received()
    );

    exclude(json!([]));
    let receiver = Receiver::start(0, None);
    watch_once(&env, &["--webhook", &receiver.url()]).assert_success();
    let raised = policy_notifications(&receiver);
    assert_eq!(raised.len(), 1, "{raised:#?}");
    assert_eq!(
        raised[0]["title"],
        format!("Conditional Access policy {name} no longer excludes exclusion group")
    );
    assert_eq!(raised[0]["kind"], "auditChange");
    assert_eq!(raised[0]["source"], "directoryAudits");
    assert_eq!(raised[0]["groupId"], group, "{:#}", raised[0]);
    assert_eq!(raised[0]["activity"], "Update Conditional Access policy");
}

#[test]
fn a_temporary_administrator_is_notified_when_created_and_when_deleted() {
    let (mut env, simulator) = applied();
    let state = env.root().join("state").display().to_string();
    env.set_env("BREAKGLASS_STATE_DIR", state);
    baseline(&env);
    let lifecycle = |receiver: &Receiver| -> Vec<String> {
        receiver
            .received()
            .iter()
            .map(Received::json)
            .filter_map(|n| n["title"].as_str().map(str::to_string))
            .filter(|title| title.starts_with("Temporary administrator"))
            .collect()
    };

    let created = env.run(["temp-user", "--ttl", "10m", "--detach", "--output", "json"]);
    created.assert_success();
    let upn = created.json()["userPrincipalName"]
        .as_str()
        .expect("userPrincipalName")
        .to_string();
    let receiver = Receiver::start(0, None);
    watch_once(&env, &["--webhook", &receiver.url()]).assert_success();
    assert_eq!(
        lifecycle(&receiver),
        [format!("Temporary administrator {upn} created")]
    );
    let notified = receiver
        .received()
        .iter()
        .map(Received::json)
        .find(|n| n["activity"] == "Add user")
        .expect("the creation");
    assert_eq!(notified["userPrincipalName"], upn.as_str(), "{notified:#}");
    assert!(notified["userId"].is_string(), "{notified:#}");

    simulator.advance_clock(11 * 60);
    env.run(["sweep"]).assert_success();
    let receiver = Receiver::start(0, None);
    watch_once(&env, &["--webhook", &receiver.url()]).assert_success();
    let mut deleted = lifecycle(&receiver);
    deleted.sort();
    assert_eq!(
        deleted,
        [
            format!("Temporary administrator {upn} deleted"),
            format!("Temporary administrator {upn} permanently deleted")
        ]
    );
}

#[test]
fn slack_and_teams_get_their_own_shapes() {
    let (env, _simulator) = applied();
    baseline(&env);
    use_rotating(&env);
    let slack = Receiver::start(0, None);
    let teams = Receiver::start(0, None);
    let mut env = env;
    env.set_env("BREAKGLASS_TEAMS_WEBHOOK_URL", teams.url());
    watch_once(&env, &["--slack", &slack.url()]).assert_success();
    // A new receiver also gets what was delivered elsewhere before (the last --overlap):
    // apply's changes, and the sign-in.
    let s: Vec<Value> = slack.received().iter().map(Received::json).collect();
    let sign_in = s
        .iter()
        .find(|m| m["text"].as_str().unwrap().contains("rotating credential"))
        .unwrap_or_else(|| panic!("{s:#?}"));
    assert!(
        sign_in["text"].as_str().unwrap().starts_with("[HIGH]"),
        "{sign_in:#}"
    );
    assert!(
        sign_in["blocks"].as_array().unwrap().len() >= 2,
        "{sign_in:#}"
    );
    let slack_facts: BTreeMap<String, String> = sign_in["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|block| block["fields"].as_array())
        .flatten()
        .filter_map(|field| {
            let text = field["text"].as_str()?;
            let (key, value) = text.split_once('\n')?;
            Some((key.trim_matches('*').to_string(), value.to_string()))
        })
        .collect();
    let t: Vec<Value> = teams.received().iter().map(Received::json).collect();
    assert_eq!(t.len(), s.len());
    let teams_sign_in = t
        .iter()
        .find(|m| {
            m["attachments"][0]["content"]["body"][0]["text"]
                .as_str()
                .unwrap()
                .contains("rotating credential")
        })
        .unwrap_or_else(|| panic!("{t:#?}"));
    let teams_facts: BTreeMap<String, String> = teams_sign_in["attachments"][0]["content"]["body"]
        [1]["facts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|fact| {
            let text = |key: &str| fact[key].as_str().unwrap().to_string();
            (text("title"), text("value"))
        })
        .collect();
    // Both carry what a responder acts on, with the tenant's own ids.
    for facts in [&slack_facts, &teams_facts] {
        assert_eq!(facts["Tenant id"], identity(&env, "tenantId"), "{facts:#?}");
        assert_eq!(facts["App id"], identity(&env, "appId"), "{facts:#?}");
        assert_eq!(
            facts["Service principal id"],
            identity(&env, "servicePrincipalId"),
            "{facts:#?}"
        );
        for key in [
            "Key id",
            "Event id",
            "Correlation id",
            "IP address",
            "Result",
        ] {
            assert!(facts.contains_key(key), "{key}: {facts:#?}");
        }
    }
    for message in &t {
        assert_eq!(message["type"], "message");
        let card = &message["attachments"][0];
        assert_eq!(
            card["contentType"],
            "application/vnd.microsoft.card.adaptive"
        );
        assert_eq!(card["content"]["type"], "AdaptiveCard");
        assert!(
            card["content"]["body"][1]["facts"].is_array(),
            "{message:#}"
        );
    }
    assert!(
        t.iter()
            .any(|m| m["attachments"][0]["content"]["body"][0]["text"]
                .as_str()
                .unwrap()
                .contains("rotating credential")),
        "{t:#?}"
    );
}

#[test]
fn receivers_and_secrets_are_checked() {
    let env = TestEnv::new();
    let plain = env.run(["watch", "--once", "--webhook", "http://example.com/hook"]);
    plain.assert_code(2);
    assert!(plain.stderr.contains("loopback"), "{plain}");
    let none = env.run(["watch", "--once"]);
    none.assert_code(2);
    let no_secret = env.run(["watch", "--once", "--webhook", "https://example.com/hook"]);
    no_secret.assert_code(3);
    assert!(
        no_secret.stderr.contains("BREAKGLASS_WEBHOOK_SECRET"),
        "{no_secret}"
    );
    let fast = env.run([
        "watch",
        "--poll-interval",
        "1s",
        "--slack",
        "https://example.com/x",
    ]);
    fast.assert_code(2);
}

/// The path of the hanging receiver's URL: it stands for the token an incoming-webhook URL
/// carries, which must never be printed.
const URL_TOKEN: &str = "T0KEN-in-the-url-never-printed";

fn state(env: &TestEnv) -> Value {
    serde_json::from_str(&std::fs::read_to_string(state_file(env)).expect("the state file"))
        .expect("state JSON")
}

/// The event ids the state file records as confirmed by `receiver`.
fn confirmed_in_state(state: &Value, receiver: &str) -> BTreeSet<String> {
    state["delivered"]
        .as_object()
        .expect("delivered")
        .keys()
        .filter_map(|key| key.strip_prefix(&format!("{receiver}:")))
        .map(str::to_string)
        .collect()
}

/// The ids, checked to hold no repeat.
#[track_caller]
fn without_repeats(ids: Vec<String>) -> BTreeSet<String> {
    let set: BTreeSet<String> = ids.iter().cloned().collect();
    assert_eq!(set.len(), ids.len(), "an event was sent twice: {ids:#?}");
    set
}

/// The summary line of one receiver in `--output json`.
#[track_caller]
fn summary<'a>(report: &'a Value, receiver: &str) -> &'a Value {
    report["receivers"]
        .as_array()
        .expect("receivers")
        .iter()
        .find(|r| r["receiver"] == receiver)
        .unwrap_or_else(|| panic!("no {receiver} in {report:#}"))
}

#[test]
fn a_hanging_webhook_holds_up_no_other_receiver_and_later_gets_only_what_it_missed() {
    let (env, _simulator) = applied();
    use_rotating(&env);
    // The webhook takes the request and never answers; Slack answers at once.
    let hanging = Receiver::start_on("127.0.0.2", 0, Some(0));
    let slack = Receiver::start(0, None);
    let hanging_url = format!("http://127.0.0.2:{}/hooks/{URL_TOKEN}", hanging.port);
    let run = watch_once(
        &env,
        &[
            "--webhook",
            &hanging_url,
            "--slack",
            &slack.url(),
            "--timeout",
            "8s",
            "--retries",
            "1",
            "--run-timeout",
            "30s",
        ],
    );
    run.assert_code(6);
    let events = without_repeats(slack.confirmed_ids());
    assert!(
        slack.received().iter().any(|r| r.json()["text"]
            .as_str()
            .unwrap()
            .contains("rotating credential")),
        "{run}"
    );
    assert!(events.len() > 2, "apply's changes and the sign-in: {run}");

    // Slack got every event while the webhook still held its first request: its retry
    // comes only after the first attempt's 8 s --timeout.
    let webhook_arrivals = hanging.arrivals();
    assert!(webhook_arrivals.len() >= 2, "{webhook_arrivals:?}\n{run}");
    let retry = webhook_arrivals[1].at;
    assert!(
        slack.arrivals().iter().all(|a| a.at < retry),
        "a Slack delivery waited for the webhook\n{run}"
    );

    // The run ended at its bound, not after every event timed out at the webhook; the
    // summary says which receiver failed, by its host only.
    let report = run.json();
    assert_eq!(report["runTimeoutReached"], true, "{run}");
    let ok = summary(&report, "slack");
    assert_eq!(ok["delivered"], events.len(), "{run}");
    assert_eq!(
        (ok["failed"].as_u64(), ok["undelivered"].as_u64()),
        (Some(0), Some(0))
    );
    assert!(ok["lastError"].is_null(), "{run}");
    let failing = summary(&report, "webhook");
    assert_eq!(failing["host"], "127.0.0.2");
    assert_eq!(failing["delivered"], 0);
    assert!(failing["undelivered"].as_u64().unwrap() > 0, "{run}");
    assert_eq!(
        failing["failed"].as_u64().unwrap() + failing["undelivered"].as_u64().unwrap(),
        events.len() as u64,
        "{run}"
    );
    let last_error = failing["lastError"].as_str().unwrap();
    assert!(
        last_error.contains("webhook receiver 127.0.0.2")
            && last_error.contains("did not answer in time"),
        "{run}"
    );
    assert_eq!(report["missed"], events.len(), "{run}");
    let errors = run.error_lines();
    assert_eq!(errors.len(), 1, "{run}");
    assert!(
        errors[0].contains("webhook receiver 127.0.0.2 missed"),
        "{run}"
    );
    assert!(!errors[0].contains("slack"), "{run}");
    assert!(run.stderr.contains("hint:"), "{run}");
    assert!(
        !run.stdout.contains(URL_TOKEN) && !run.stderr.contains(URL_TOKEN),
        "{run}"
    );

    // Human output names the failing receiver too.
    let human = env.run([
        "watch",
        "--once",
        "--state",
        &state_file(&env).display().to_string(),
        "--webhook",
        &hanging_url,
        "--slack",
        &slack.url(),
        "--timeout",
        "1s",
        "--retries",
        "0",
        "--run-timeout",
        "10s",
    ]);
    human.assert_code(6);
    assert!(human.stdout.contains("127.0.0.2"), "{human}");
    assert!(!human.stdout.contains(URL_TOKEN) && !human.stderr.contains(URL_TOKEN));
    assert_eq!(
        slack.confirmed_ids().len(),
        events.len(),
        "nothing twice to Slack: {human}"
    );

    // The webhook answers again: it gets what it missed, Slack nothing twice.
    let webhook = Receiver::start_on("127.0.0.2", 0, None);
    let slack_again = Receiver::start(0, None);
    let fixed = watch_once(
        &env,
        &["--webhook", &webhook.url(), "--slack", &slack_again.url()],
    );
    fixed.assert_success();
    assert_eq!(without_repeats(webhook.confirmed_ids()), events, "{fixed}");
    assert!(slack_again.arrivals().is_empty(), "{fixed}");
    let report = fixed.json();
    assert_eq!(summary(&report, "webhook")["delivered"], events.len());
    assert_eq!(summary(&report, "slack")["alreadyDelivered"], events.len());
    assert_eq!(report["runTimeoutReached"], false);
}

#[test]
fn kill_9_with_one_receiver_held_sends_each_receiver_again_exactly_what_it_had_not_confirmed() {
    let (env, _simulator) = applied();
    use_rotating(&env);

    // The webhook confirms the first event and holds the second; Slack answers at once.
    let holding = Receiver::start(0, Some(1));
    let slack = Receiver::start(0, None);
    let state_path = state_file(&env).display().to_string();
    let (holding_url, slack_url) = (holding.url(), slack.url());
    let mut child = env.spawn_quiet([
        "watch",
        "--once",
        "--timeout",
        "60s",
        "--webhook",
        &holding_url,
        "--slack",
        &slack_url,
        "--state",
        &state_path,
    ]);
    let waiting = Instant::now();
    let slack_confirmed_some = || {
        std::fs::read_to_string(state_file(&env))
            .ok()
            .and_then(|text| serde_json::from_str::<Value>(&text).ok())
            .is_some_and(|s| !confirmed_in_state(&s, "slack").is_empty())
    };
    while holding.requests() < 2 || !slack_confirmed_some() {
        assert!(
            waiting.elapsed() < Duration::from_secs(60),
            "the webhook got {} request(s)",
            holding.requests()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("kill -9");
    child.wait().expect("wait");
    let at_kill = state(&env);
    let held = holding.arrivals()[1].event_id.clone();
    let webhook_before = confirmed_in_state(&at_kill, "webhook");
    let slack_before = confirmed_in_state(&at_kill, "slack");
    assert_eq!(webhook_before, without_repeats(holding.confirmed_ids()));
    assert!(!webhook_before.contains(&held));

    let webhook = Receiver::start(0, None);
    let slack_again = Receiver::start(0, None);
    let restarted = watch_once(
        &env,
        &["--webhook", &webhook.url(), "--slack", &slack_again.url()],
    );
    restarted.assert_success();
    let after = state(&env);
    for (receiver, before, again) in [
        ("webhook", &webhook_before, &webhook),
        ("slack", &slack_before, &slack_again),
    ] {
        let resent = without_repeats(again.confirmed_ids());
        assert!(
            resent.is_disjoint(before),
            "{receiver} got again what it had confirmed: {:?}",
            resent.intersection(before).collect::<Vec<_>>()
        );
        let all: BTreeSet<String> = before.union(&resent).cloned().collect();
        assert_eq!(all, confirmed_in_state(&after, receiver), "{restarted}");
    }
    assert!(webhook.confirmed_ids().contains(&held), "{restarted}");
    // Slack's unconfirmed events (received before the kill or not) came after the restart.
    let slack_first = without_repeats(slack.confirmed_ids());
    let slack_all: BTreeSet<String> = slack_first
        .union(&without_repeats(slack_again.confirmed_ids()))
        .cloned()
        .collect();
    assert_eq!(
        slack_all,
        confirmed_in_state(&after, "slack"),
        "{restarted}"
    );
    // Both receivers end with every event.
    assert_eq!(
        confirmed_in_state(&after, "webhook"),
        confirmed_in_state(&after, "slack")
    );
}

#[test]
fn a_version_1_state_file_is_read_and_rewritten_without_sending_again() {
    let (env, _simulator) = applied();
    use_rotating(&env);
    let first = Receiver::start(0, None);
    watch_once(&env, &["--webhook", &first.url()]).assert_success();
    let sent = without_repeats(first.confirmed_ids());
    assert!(!sent.is_empty());

    // The same progress as version 1 wrote it: one cursor per source for every receiver.
    let current = state(&env);
    let version_1 = json!({
        "version": 1,
        "sources": current["cursors"]["webhook"],
        "delivered": current["delivered"],
    });
    std::fs::write(state_file(&env), version_1.to_string()).unwrap();

    let receiver = Receiver::start(0, None);
    let output = watch_once(&env, &["--webhook", &receiver.url()]);
    output.assert_success();
    assert!(receiver.arrivals().is_empty(), "{output}");
    assert_eq!(
        output.json()["receivers"][0]["alreadyDelivered"],
        sent.len(),
        "{output}"
    );
    let rewritten = state(&env);
    assert_eq!(rewritten["version"], 2, "{rewritten:#}");
    assert!(rewritten.get("sources").is_none(), "{rewritten:#}");
    assert_eq!(confirmed_in_state(&rewritten, "webhook"), sent);
    for source in ["signIns", "servicePrincipalSignIns", "directoryAudits"] {
        assert!(
            rewritten["cursors"]["webhook"][source].is_string(),
            "{rewritten:#}"
        );
    }
}

#[test]
fn zero_and_absurd_durations_are_refused_before_anything_is_read() {
    let env = TestEnv::new();
    for flags in [
        &["--timeout", "0s"][..],
        &["--timeout", "0"],
        &["--timeout", "2h"],
        &["--run-timeout", "0s"],
        &["--run-timeout", "2s"],
        &["--run-timeout", "30d"],
        &["--run-timeout", "30s", "--timeout", "1m"],
        &["--overlap", "0m"],
        &["--overlap", "400d"],
        &["--poll-interval", "0s"],
        &["--poll-interval", "7d"],
        &["--timeout", "99999999999999999999h"],
        &["--timeout", "18446744073709551615h"],
        &["--timeout", "5 minutes"],
    ] {
        let mut args = vec!["watch", "--once", "--slack", "https://hooks.example.com/x"];
        args.extend_from_slice(flags);
        let refused = env.run(&args);
        refused.assert_code(2);
        assert_eq!(refused.error_lines().len(), 1, "{flags:?}: {refused}");
        assert!(refused.error_lines()[0].contains(flags[0]), "{refused}");
        assert!(
            refused.stderr.lines().any(|l| l.starts_with("hint: ")),
            "{flags:?}: {refused}"
        );
        assert!(refused.stdout.is_empty(), "{refused}");
    }
    let zero = env.run([
        "watch",
        "--once",
        "--slack",
        "https://hooks.example.com/x",
        "--timeout",
        "0s",
    ]);
    assert!(
        zero.stderr.contains(
            "error: --timeout 0s is shorter than 1s\nhint: give --timeout between 1s and 5m"
        ),
        "{zero}"
    );
}

/// One watch serves two tenants: each keeps its own cursors in a state file named by its
/// tenant id, and a sign-in in one is notified once, naming that tenant.
#[test]
fn one_watch_serves_several_tenants_and_names_each_in_its_notifications() {
    use crate::test_tenants::{Simulated, tenants_env};
    let east = Simulated::new("east", "1a2b3c4d-0000-4000-8000-0000000000e1", |_| {});
    let west = Simulated::new("west", "1a2b3c4d-0000-4000-8000-0000000000e2", |_| {});
    for tenant in [&east, &west] {
        tenant.env.run(["apply", "--yes"]).assert_success();
    }
    let (mut env, file) = tenants_env(&[&east, &west]);
    env.set_env("BREAKGLASS_WEBHOOK_SECRET", SECRET);
    let file = file.display().to_string();
    let states = env.root().join("watch-states");
    let state_arg = states.display().to_string();
    let watch = |url: &str| {
        env.run([
            "--tenants",
            file.as_str(),
            "watch",
            "--once",
            "--state",
            state_arg.as_str(),
            "--webhook",
            url,
            "--output",
            "json",
        ])
    };
    // Past apply's own changes in both tenants.
    let baseline = Receiver::start(0, None);
    watch(&baseline.url()).assert_success();

    east.env
        .run(["token", "--credential", "rotating"])
        .assert_success();
    let receiver = Receiver::start(0, None);
    let output = watch(&receiver.url());
    output.assert_success();
    let signed_in = sign_in_notifications(&receiver);
    assert_eq!(signed_in.len(), 1, "{output}\n{signed_in:#?}");
    let n = &signed_in[0];
    assert_eq!(n["tenantName"], "east", "{n:#}");
    assert_eq!(n["tenantId"], east.tenant_id, "{n:#}");
    assert!(n["title"].as_str().unwrap().starts_with("[east] "), "{n:#}");
    let report = output.json();
    assert_eq!(report["overall"], "all-passed");
    assert_eq!(
        report["tenants"][0]["report"]["delivered"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        report["tenants"][1]["report"]["delivered"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    // One private state file per tenant id.
    use std::os::unix::fs::PermissionsExt as _;
    for tenant in [&east, &west] {
        let state = states.join(format!("{}.json", tenant.tenant_id));
        let mode = std::fs::metadata(&state)
            .unwrap_or_else(|e| panic!("{}: {e}", state.display()))
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // Again: nothing new anywhere.
    let again = watch(&receiver.url());
    again.assert_success();
    assert_eq!(sign_in_notifications(&receiver).len(), 1, "{again}");
}
