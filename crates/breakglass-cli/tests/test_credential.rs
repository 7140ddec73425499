//! `breakglass credential …` against the simulator: list, rotate (also killed at every
//! change), remove, add, recover from shares, and a wrong KeePass password.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use breakglass_core::cloud::GraphVersion::V1;
use breakglass_entra::{ClientCredential, ClientCredentialsFlow, GraphClient, HttpClient, Query};
use breakglass_sim::FaultRule;
use breakglass_store::KeePassStore;
use breakglass_store::secrecy::SecretString;
use serde_json::{Value, json};

use crate::common::{InProcessSimulator, TestEnv, initialised};

const KEEPASS_PASSWORD: &str = "credential test password";

/// A workspace after `init` and `apply`, pointed at an in-process simulator.
fn applied(extra_config: &str) -> (TestEnv, InProcessSimulator) {
    let (env, simulator) = initialised(TestEnv::new(), None, KEEPASS_PASSWORD);
    if !extra_config.is_empty() {
        let path = env.root().join("breakglass.toml");
        let text = std::fs::read_to_string(&path).expect("read breakglass.toml");
        let text = text.replacen("\n[users]", &format!("{extra_config}\n[users]"), 1);
        std::fs::write(&path, text).expect("write breakglass.toml");
    }
    env.run(["apply", "--yes", "--quiet"]).assert_success();
    (env, simulator)
}

/// The tenant seen directly through Graph, and the identity platform.
struct Tenant {
    runtime: tokio::runtime::Runtime,
    http: HttpClient,
    profile: breakglass_core::CloudProfile,
    tenant: breakglass_core::TenantId,
    graph: GraphClient,
}

impl Tenant {
    fn new(simulator: &InProcessSimulator) -> Tenant {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let crate::common::OperatorGraph {
            profile,
            tenant,
            http,
            graph,
        } = simulator.operator_graph();
        Tenant {
            runtime,
            http,
            profile,
            tenant,
            graph,
        }
    }

    /// The emergency app, with its credentials.
    fn app(&self) -> Value {
        let apps: Vec<Value> = self
            .runtime
            .block_on(self.graph.list_all(
                V1,
                "applications",
                &Query::new().filter("tags/any(t:t eq 'breakglass:emergency-access')"),
            ))
            .expect("list apps");
        assert_eq!(apps.len(), 1, "one emergency app");
        apps.into_iter().next().expect("the app")
    }

    /// Key ids of the app's secrets and certificates.
    fn key_ids(&self) -> Vec<String> {
        let app = self.app();
        ["passwordCredentials", "keyCredentials"]
            .iter()
            .flat_map(|k| app[*k].as_array().cloned().unwrap_or_default())
            .map(|c| c["keyId"].as_str().expect("keyId").to_string())
            .collect()
    }

    /// Whether `credential` gets a token for the app and the token reads the organization.
    fn works(&self, app_id: &str, credential: ClientCredential) -> bool {
        self.runtime.block_on(async {
            let flow = ClientCredentialsFlow::new(
                &self.http,
                &self.profile,
                &self.tenant,
                app_id,
                credential,
            );
            let Ok(token) = flow.acquire().await else {
                return false;
            };
            let graph = GraphClient::new(self.http.clone(), &self.profile, Arc::new(token));
            graph.organization().await.is_ok_and(|o| !o.is_empty())
        })
    }
}

fn list(env: &TestEnv) -> Value {
    let output = env.run(["credential", "list", "--output", "json"]);
    output.assert_success();
    output.json()
}

fn credentials(list: &Value) -> Vec<Value> {
    list["credentials"].as_array().cloned().unwrap_or_default()
}

fn with_label(list: &Value, label: &str) -> Vec<Value> {
    credentials(list)
        .into_iter()
        .filter(|c| c["label"] == label)
        .collect()
}

fn keepass(env: &TestEnv) -> KeePassStore {
    KeePassStore::open(
        &env.root().join("breakglass.kdbx"),
        &SecretString::from(KEEPASS_PASSWORD.to_string()),
    )
    .expect("open the KeePass database")
}

/// The KeePass-held `rotating` secret works, and it is the only one of its label.
fn assert_keepass_secret_works(env: &TestEnv, tenant: &Tenant, app_id: &str, context: &str) {
    let store = keepass(env);
    let entries: Vec<_> = store
        .list()
        .into_iter()
        .filter(|e| e.label == "rotating")
        .collect();
    assert_eq!(
        entries.len(),
        1,
        "one KeePass entry for `rotating` {context}"
    );
    let key_id = entries[0].key_id.expect("key id");
    let stored = store.get(key_id).expect("read").expect("the entry");
    let breakglass_store::CredentialKind::Secret { value, .. } = &stored.kind else {
        panic!("`rotating` is a secret");
    };
    assert!(
        tenant.works(app_id, ClientCredential::Secret(value.clone())),
        "the KeePass secret gets a token and reads the organization {context}"
    );
}

/// Every credential in the tenant is held by a store, and each label has one.
fn assert_converged(env: &TestEnv, tenant: &Tenant, context: &str) {
    let plan = env.run(["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, Some(0), "plan is empty {context}:\n{plan}");
    let listed = list(env);
    for credential in credentials(&listed) {
        assert_eq!(credential["status"], "ok", "{credential} {context}");
        assert!(credential["store"].is_string(), "{credential} {context}");
    }
    let mut in_tenant = tenant.key_ids();
    in_tenant.sort();
    let mut listed_ids: Vec<String> = credentials(&listed)
        .iter()
        .map(|c| c["keyId"].as_str().expect("keyId").to_string())
        .collect();
    listed_ids.sort();
    assert_eq!(
        in_tenant, listed_ids,
        "list shows the tenant's credentials {context}"
    );
    assert_eq!(in_tenant.len(), 2, "one credential per label {context}");
    let app_id = listed["appId"].as_str().expect("appId");
    assert_keepass_secret_works(env, tenant, app_id, context);
}

#[test]
fn list_after_apply_shows_both_credentials_and_their_stores() {
    let (env, simulator) = applied("");
    let listed = list(&env);
    let offline = with_label(&listed, "offline");
    let rotating = with_label(&listed, "rotating");
    assert_eq!((offline.len(), rotating.len()), (1, 1), "{listed}");
    assert_eq!(offline[0]["kind"], "certificate");
    assert_eq!(offline[0]["store"], "shares 3-of-5");
    assert_eq!(offline[0]["thumbprint"].as_str().map(str::len), Some(40));
    assert_eq!(rotating[0]["kind"], "secret");
    assert_eq!(rotating[0]["store"], "keepass");
    assert_eq!(rotating[0]["hint"].as_str().map(str::len), Some(3));
    assert!(rotating[0]["daysLeft"].as_i64().is_some_and(|d| d >= 88));
    for credential in credentials(&listed) {
        assert_eq!(credential["status"], "ok");
    }

    // A secret added behind breakglass's back shows up with no store.
    let tenant = Tenant::new(&simulator);
    let app = tenant.app();
    let path = format!("applications/{}/addPassword", app["id"].as_str().unwrap());
    let added: Value = tenant
        .runtime
        .block_on(tenant.graph.post_json(
            V1,
            &path,
            &json!({"passwordCredential": {"displayName": "my way in"}}),
        ))
        .expect("addPassword");
    let listed = list(&env);
    let rogue: Vec<Value> = credentials(&listed)
        .into_iter()
        .filter(|c| c["keyId"] == added["keyId"])
        .collect();
    assert_eq!(rogue.len(), 1);
    assert_eq!(rogue[0]["status"], "notMadeByBreakglass");
    assert!(rogue[0]["store"].is_null());
    let human = env.run(["credential", "list"]);
    human.assert_success();
    assert!(human.stdout.contains("NONE"), "{human}");
    assert!(human.stdout.contains("shares 3-of-5"), "{human}");
    assert!(
        human.stdout.contains("was not made by breakglass"),
        "{human}"
    );
    assert!(!human.stdout.contains(KEEPASS_PASSWORD));
}

#[test]
fn rotate_replaces_the_rotating_secret() {
    let (env, simulator) = applied("");
    let tenant = Tenant::new(&simulator);
    let before = list(&env);
    let old = with_label(&before, "rotating")[0]["keyId"]
        .as_str()
        .unwrap()
        .to_string();

    let output = env.run(["credential", "rotate", "rotating", "--output", "json"]);
    output.assert_success();
    let rotated = output.json();
    let new = rotated["added"]["keyId"].as_str().unwrap().to_string();
    assert_ne!(new, old);
    assert_eq!(rotated["added"]["method"], "addPassword");
    assert_eq!(rotated["added"]["proof"]["attempts"], 1);
    assert_eq!(rotated["removed"][0]["keyId"], old.as_str());
    assert!(!output.stdout.contains(KEEPASS_PASSWORD));

    let key_ids = tenant.key_ids();
    assert!(
        !key_ids.contains(&old),
        "the old secret is gone from the tenant"
    );
    assert!(key_ids.contains(&new));
    let in_keepass: Vec<String> = keepass(&env)
        .list()
        .into_iter()
        .filter_map(|e| e.key_id.map(|k| k.to_string()))
        .collect();
    assert!(
        !in_keepass.contains(&old),
        "the old secret is gone from KeePass"
    );
    assert!(in_keepass.contains(&new));
    assert_converged(&env, &tenant, "after a rotation");
}

/// Runs `credential rotate LABEL` and SIGKILLs it once the simulator holds the answer to
/// the n-th change. Returns false when the rotation finished before the n-th change.
fn kill_rotate_at_change(
    env: &TestEnv,
    simulator: &InProcessSimulator,
    label: &str,
    n: u32,
) -> bool {
    // A held answer whose client was killed may stay counted, so count from here.
    let baseline = simulator.held_answers();
    simulator.set_faults(vec![FaultRule {
        path_prefix: Some("/v1.0/".into()),
        hold_nth_change: Some(n),
        ..FaultRule::default()
    }]);
    let mut child = env.spawn_quiet(["credential", "rotate", label, "--quiet"]);
    let started = Instant::now();
    let killed = loop {
        if simulator.held_answers() > baseline {
            child.kill().expect("SIGKILL");
            let _ = child.wait();
            break true;
        }
        if let Some(status) = child.try_wait().expect("poll") {
            assert!(
                status.success(),
                "rotate {label} failed on its own at change {n}"
            );
            break false;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "rotate {label} neither finished nor reached change {n}"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    simulator.set_faults(Vec::new());
    killed
}

#[test]
fn rotate_killed_at_every_change_converges() {
    let (env, simulator) = applied("");
    let tenant = Tenant::new(&simulator);
    for label in ["rotating", "offline"] {
        let mut n = 1;
        loop {
            let killed = kill_rotate_at_change(&env, &simulator, label, n);
            let context = format!("after `rotate {label}` was killed at change {n}");
            if killed {
                // In between, the store still holds a working secret.
                let app_id = list(&env)["appId"].as_str().unwrap().to_string();
                assert_keepass_secret_works(&env, &tenant, &app_id, &context);
                let again = env.run(["credential", "rotate", label, "--output", "json"]);
                again.assert_success();
            }
            assert_converged(&env, &tenant, &context);
            if !killed {
                assert!(n > 2, "rotate {label} makes at least two changes");
                break;
            }
            n += 1;
        }
    }
}

#[test]
fn removing_the_last_usable_credential_is_refused() {
    let (env, simulator) = applied("");
    let tenant = Tenant::new(&simulator);
    let listed = list(&env);
    let offline = with_label(&listed, "offline")[0]["keyId"]
        .as_str()
        .unwrap()
        .to_string();
    let rotating = with_label(&listed, "rotating")[0]["keyId"]
        .as_str()
        .unwrap()
        .to_string();

    let removed = env.run(["credential", "remove", &offline, "--output", "json"]);
    removed.assert_success();
    let removed = removed.json();
    assert_eq!(removed["removedFromTenant"], true);
    assert_eq!(removed["removedFromStore"], "shares 3-of-5");
    assert_eq!(removed["labelsLeftWithoutCredential"], json!(["offline"]));
    assert!(!tenant.key_ids().contains(&offline));

    let refused = env.run(["credential", "remove", &rotating]);
    refused.assert_code(2);
    assert!(
        refused.stderr.contains("last usable credential")
            && refused
                .stderr
                .contains("never be left without a working credential"),
        "{refused}"
    );
    assert!(tenant.key_ids().contains(&rotating), "nothing was removed");

    // `add` brings the offline certificate back; a second `add` is refused.
    let added = env.run(["credential", "add", "offline", "--output", "json"]);
    added.assert_success();
    assert_eq!(added.json()["added"]["method"], "patchKeyCredentials");
    env.run(["credential", "add", "offline"]).assert_code(2);
    assert_converged(&env, &tenant, "after remove and add");
}

#[test]
fn a_keepass_certificate_is_rotated_through_add_key() {
    let extra = "\n[[app.credentials]]\nlabel = \"rolling-cert\"\nkind = \"certificate\"\nstore = \"keepass\"\nlifetime_days = 90\nrotate_after_days = 30\n";
    let (env, _simulator) = applied(extra);
    let output = env.run(["credential", "rotate", "rolling-cert", "--output", "json"]);
    output.assert_success();
    let rotated = output.json();
    assert_eq!(rotated["added"]["method"], "addKey", "{rotated}");
    assert_eq!(rotated["removed"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        rotated["added"]["proofSignedBy"], rotated["removed"][0]["keyId"],
        "the old certificate signed the proof"
    );
    env.run(["plan", "--detailed-exitcode"]).assert_code(0);
}

fn share_files(env: &TestEnv) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(env.root().join("recovery-sheets"))
        .expect("sheets folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    files
}

fn joined(files: &[&Path]) -> String {
    files
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(",")
}

#[test]
fn recover_combines_three_of_five_shares_into_the_certificate() {
    let (env, simulator) = applied("");
    let tenant = Tenant::new(&simulator);
    let listed = list(&env);
    let offline = &with_label(&listed, "offline")[0];
    let shares = share_files(&env);
    assert_eq!(shares.len(), 5);

    // Two shares are not enough, and say so.
    let out = env.root().join("offline.pem");
    let two = env.run([
        "credential",
        "recover",
        "--shares",
        &joined(&[&shares[0], &shares[3]]),
        "--out",
        out.to_str().unwrap(),
    ]);
    two.assert_code(3);
    assert!(
        two.stderr.contains("3 are needed: 1 more") && two.stderr.contains("reveal nothing"),
        "{two}"
    );
    assert!(!out.exists());

    let three = env.run([
        "credential",
        "recover",
        "--shares",
        &joined(&[&shares[0], &shares[2], &shares[4]]),
        "--out",
        out.to_str().unwrap(),
        "--output",
        "json",
    ]);
    three.assert_success();
    assert!(!three.stdout.contains("PRIVATE KEY"), "never on stdout");
    let report = three.json();
    assert_eq!(report["keyId"], offline["keyId"]);
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(&out)
        .expect("written")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let pem = std::fs::read_to_string(&out).expect("read the PEM");
    let certificate =
        breakglass_entra::CertificateCredential::from_pem(&pem, "recovered").expect("a PEM");
    assert_eq!(
        Some(certificate.thumbprint_sha1_hex().as_str()),
        offline["thumbprint"].as_str(),
        "the tenant's certificate"
    );
    let app_id = listed["appId"].as_str().unwrap();
    assert!(tenant.works(app_id, ClientCredential::certificate(certificate)));

    // Never overwritten; pasted shares on stdin work too.
    let again = env.run([
        "credential",
        "recover",
        "--shares",
        &joined(&[&shares[1], &shares[2], &shares[3]]),
        "--out",
        out.to_str().unwrap(),
    ]);
    again.assert_code(3);
    assert!(again.stderr.contains("already exists"), "{again}");
    let pasted: String = [&shares[1], &shares[3], &shares[4]]
        .iter()
        .map(|p| std::fs::read_to_string(p).expect("share"))
        .collect();
    let stdin = env.run_with_stdin(["credential", "recover", "--stdin", "--stdout"], &pasted);
    stdin.assert_success();
    assert_eq!(stdin.stdout.trim_end(), pem.trim_end());
}

#[test]
fn a_wrong_keepass_password_is_refused_and_nothing_changes() {
    let (mut env, simulator) = applied("");
    let tenant = Tenant::new(&simulator);
    let database = env.root().join("breakglass.kdbx");
    let before = std::fs::read(&database).expect("read the database");
    let mut keys_before = tenant.key_ids();
    keys_before.sort();
    env.set_env("BREAKGLASS_KEEPASS_PASSWORD", "not the password");
    for args in [
        vec!["credential", "rotate", "rotating"],
        vec!["credential", "list"],
        vec!["credential", "add", "rotating", "--force"],
    ] {
        let output = env.run(&args);
        output.assert_code(3);
        assert!(
            output.stderr.contains("KeePass password is wrong"),
            "{args:?}: {output}"
        );
        assert!(!output.stderr.contains("not the password"));
    }
    assert_eq!(std::fs::read(&database).expect("read"), before, "unchanged");
    let mut keys_after = tenant.key_ids();
    keys_after.sort();
    assert_eq!(keys_before, keys_after, "the tenant is unchanged");
}

#[test]
fn a_refused_keepass_password_claims_no_clean_up() {
    let (mut env, _simulator) = applied("");
    let before = std::fs::read(env.root().join("breakglass.kdbx")).unwrap();
    env.set_env("BREAKGLASS_KEEPASS_PASSWORD", "not the password");
    let output = env.run(["credential", "rotate", "rotating"]);
    output.assert_code(3);
    assert!(output.stderr.contains("password is wrong"), "{output}");
    assert!(
        !output.stderr.contains("cleans up") && !output.stderr.contains("again is safe"),
        "nothing was changed, so nothing is left to clean up: {output}"
    );
    assert_eq!(
        std::fs::read(env.root().join("breakglass.kdbx")).unwrap(),
        before
    );
}
