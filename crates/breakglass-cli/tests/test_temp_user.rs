//! `temp-user`, `temp-user list`, `temp-user extend` and `sweep` against the simulator:
//! leases on the user and on disk, sweeping after expiry by the tenant's clock, a killed
//! countdown, Ctrl-C, extension, a crash before the create's answer, bad input.

use std::io::{BufRead as _, BufReader, Read as _};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use breakglass_entra::Query;
use breakglass_sim::FaultRule;
use serde_json::Value;

use crate::common::{InProcessSimulator, TenantGraph, TestEnv, breakglass_bin};

/// An environment with its own state folder, pointed at an in-process simulator.
fn setup() -> (TestEnv, InProcessSimulator) {
    let mut env = TestEnv::new();
    let simulator = InProcessSimulator::start(&env.root().join("sim"), None);
    simulator.configure(&mut env);
    let state = env.root().join("state").display().to_string();
    env.set_env("BREAKGLASS_STATE_DIR", state);
    (env, simulator)
}

/// What these tests look up in the tenant.
trait Probe {
    fn temporary_users(&self) -> Vec<Value>;
    fn user_anywhere(&self, upn: &str) -> (bool, bool);
    fn role_assignments_of(&self, principal_id: &str) -> Vec<Value>;
    fn temporary_access_passes(&self, user_id: &str) -> Vec<Value>;
}

impl Probe for TenantGraph {
    /// Users carrying the temporary marker.
    fn temporary_users(&self) -> Vec<Value> {
        self.query(
            "users",
            Query::new()
                .filter("startswith(employeeType,'breakglass:temporary:')")
                .select(["id", "userPrincipalName", "employeeType", "companyName"]),
        )
    }

    /// Whether a user with this UPN exists, live or in deleted items.
    fn user_anywhere(&self, upn: &str) -> (bool, bool) {
        let live = self
            .query("users", Query::new().select(["id", "userPrincipalName"]))
            .iter()
            .any(|u| u["userPrincipalName"] == upn);
        let deleted = self
            .query(
                "directory/deletedItems/microsoft.graph.user",
                Query::new().select(["id", "userPrincipalName"]),
            )
            .iter()
            .any(|u| u["userPrincipalName"] == upn);
        (live, deleted)
    }

    fn role_assignments_of(&self, principal_id: &str) -> Vec<Value> {
        self.query(
            "roleManagement/directory/roleAssignments",
            Query::new().filter(format!("principalId eq '{principal_id}'")),
        )
    }

    fn temporary_access_passes(&self, user_id: &str) -> Vec<Value> {
        self.query(
            &format!("users/{user_id}/authentication/temporaryAccessPassMethods"),
            Query::new(),
        )
    }
}

/// A running `breakglass temp-user` countdown.
struct Countdown {
    child: Child,
    upn: String,
    stdout: mpsc::Receiver<String>,
    stderr: std::thread::JoinHandle<String>,
}

impl Countdown {
    /// Starts `breakglass ARGS` and waits for the sign-in details on stdout.
    fn start(env: &TestEnv, args: &[&str]) -> Countdown {
        let mut child = std::process::Command::new(breakglass_bin())
            .env_clear()
            .current_dir(env.root())
            .env("HOME", env.root().join("home"))
            .env("NO_COLOR", "1")
            .env("COLUMNS", "100")
            .envs(env.vars())
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start breakglass temp-user");
        let stdout = child.stdout.take().expect("stdout");
        let mut stderr_pipe = child.stderr.take().expect("stderr");
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr_pipe.read_to_string(&mut text);
            text
        });
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        let upn = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match receiver.recv_timeout(left) {
                Ok(line) => {
                    if let Some(upn) = line.trim().strip_prefix("user name") {
                        break upn.trim().to_string();
                    }
                }
                Err(_) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!(
                        "no sign-in details within 30s; stderr:\n{}",
                        stderr.join().unwrap_or_default()
                    );
                }
            }
        };
        Countdown {
            child,
            upn,
            stdout: receiver,
            stderr,
        }
    }

    fn signal(&self, name: &str) {
        let status = std::process::Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{name}");
    }

    /// Waits for the process to end; its exit code, the rest of stdout, and stderr.
    fn wait(mut self, within: Duration) -> (Option<i32>, String, String) {
        let deadline = Instant::now() + within;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "temp-user did not end within {within:?}; stderr:\n{}",
                    self.stderr.join().unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        let stderr = self.stderr.join().unwrap_or_default();
        let mut stdout = String::new();
        while let Ok(line) = self.stdout.recv_timeout(Duration::from_secs(2)) {
            stdout.push_str(&line);
            stdout.push('\n');
        }
        (status.code(), stdout, stderr)
    }
}

fn lease_files(env: &TestEnv) -> Vec<std::path::PathBuf> {
    match std::fs::read_dir(env.root().join("state").join("leases")) {
        Ok(entries) => entries.filter_map(|e| e.ok()).map(|e| e.path()).collect(),
        Err(_) => Vec::new(),
    }
}

fn sweep_json(env: &TestEnv) -> Value {
    let output = env.run(["sweep", "--output", "json"]);
    output.assert_success();
    output.json()
}

#[test]
fn a_detached_lease_is_listed_and_swept_only_after_it_expires() {
    let (env, simulator) = setup();
    let probe = TenantGraph::new(&simulator);
    let created = env.run(["temp-user", "--ttl", "10m", "--detach", "--output", "json"]);
    created.assert_success();
    let details = created.json();
    let upn = details["userPrincipalName"]
        .as_str()
        .expect("upn")
        .to_string();
    let id = details["userId"].as_str().expect("id").to_string();
    assert!(upn.starts_with("bg-temp-") && upn.ends_with("@contososim.onmicrosoft.com"));
    let password = details["password"]
        .as_str()
        .expect("a password")
        .to_string();
    assert!(password.len() >= 32);
    assert!(details.get("temporaryAccessPass").is_none());
    assert_eq!(details["role"], "Global Administrator");
    assert_eq!(details["ttlSeconds"], 600);

    // The lease on the user and on disk (private, no secret).
    let users = probe.temporary_users();
    assert_eq!(users.len(), 1);
    assert_eq!(
        users[0]["employeeType"],
        format!(
            "breakglass:temporary:{}",
            details["expires"].as_str().unwrap()
        )
    );
    assert!(
        users[0]["companyName"]
            .as_str()
            .is_some_and(|c| c.starts_with("breakglass:operator:app:"))
    );
    let files = lease_files(&env);
    assert_eq!(files.len(), 1);
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&files[0])
            .expect("lease file")
            .permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
    let text = std::fs::read_to_string(&files[0]).expect("lease");
    assert!(!text.contains(&password), "no secret in the lease file");
    assert!(text.contains(&id));
    let assignments = probe.role_assignments_of(&id);
    assert_eq!(assignments.len(), 1);
    assert_eq!(assignments[0]["directoryScopeId"], "/");

    let listed = env.run(["temp-user", "list", "--output", "json"]);
    listed.assert_success();
    let listed = listed.json();
    let leases = listed["leases"].as_array().expect("leases");
    assert_eq!(leases.len(), 1, "{listed}");
    assert_eq!(leases[0]["userPrincipalName"], upn.as_str());
    assert_eq!(leases[0]["expires"], details["expires"]);
    assert_eq!(leases[0]["expired"], false);
    assert_eq!(leases[0]["yours"], true);
    assert_eq!(leases[0]["role"], "Global Administrator");

    // Before expiry, sweep keeps it.
    let swept = sweep_json(&env);
    assert_eq!(
        swept["removed"].as_array().map(Vec::len),
        Some(0),
        "{swept}"
    );
    assert_eq!(swept["kept"].as_array().map(Vec::len), Some(1));
    assert_eq!(probe.user_anywhere(&upn), (true, false));

    // An extension beyond 8 hours since creation is refused; a sensible one is written.
    let refused = env.run(["temp-user", "extend", &upn, "8h"]);
    refused.assert_code(2);
    assert!(refused.stderr.contains("at the latest"), "{refused}");
    let extended = env.run(["temp-user", "extend", &upn, "15m", "--output", "json"]);
    extended.assert_success();
    let extended = extended.json();
    assert_eq!(extended["localLeaseUpdated"], true);
    let new_expiry = extended["expires"].as_str().unwrap().to_string();
    assert_eq!(
        probe.temporary_users()[0]["employeeType"],
        format!("breakglass:temporary:{new_expiry}")
    );
    assert!(
        std::fs::read_to_string(&files[0])
            .unwrap()
            .contains(&new_expiry)
    );

    // Past the original expiry but within the extension: still kept.
    simulator.advance_clock(11 * 60);
    let swept = sweep_json(&env);
    assert_eq!(
        swept["removed"].as_array().map(Vec::len),
        Some(0),
        "{swept}"
    );

    // Past the extension, by the tenant's clock: removed, step by step.
    simulator.advance_clock(15 * 60);
    let dry = env.run(["sweep", "--dry-run", "--output", "json"]);
    dry.assert_success();
    assert_eq!(dry.json()["removed"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        probe.user_anywhere(&upn),
        (true, false),
        "dry run changes nothing"
    );
    let swept = sweep_json(&env);
    let removed = swept["removed"].as_array().expect("removed");
    assert_eq!(removed.len(), 1, "{swept}");
    assert_eq!(removed[0]["reason"], "expired");
    let steps: Vec<&str> = removed[0]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        [
            "removeRoleAssignment",
            "revokeSignInSessions",
            "deleteUser",
            "purgeDeletedUser"
        ]
    );
    assert!(
        removed[0]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["outcome"] == "done")
    );
    assert_eq!(probe.user_anywhere(&upn), (false, false));
    assert!(probe.role_assignments_of(&id).is_empty());
    assert!(lease_files(&env).is_empty(), "the local lease is gone too");
    let listed = env.run(["temp-user", "list", "--output", "json"]);
    assert_eq!(listed.json()["leases"].as_array().map(Vec::len), Some(0));

    // Nothing left; a second sweep is a no-op.
    let again = env.run(["sweep"]);
    again.assert_success();
    assert!(
        again.stdout.contains("No expired temporary administrators"),
        "{again}"
    );
}

#[test]
fn a_killed_countdown_is_cleaned_up_by_sweep() {
    let (env, simulator) = setup();
    let probe = TenantGraph::new(&simulator);
    let mut countdown = Countdown::start(&env, &["temp-user", "--ttl", "5m"]);
    let upn = countdown.upn.clone();
    countdown.child.kill().expect("SIGKILL");
    let _ = countdown.child.wait();
    assert_eq!(probe.user_anywhere(&upn), (true, false));
    assert_eq!(lease_files(&env).len(), 1, "the local lease stays behind");

    let swept = sweep_json(&env);
    assert_eq!(
        swept["removed"].as_array().map(Vec::len),
        Some(0),
        "{swept}"
    );
    simulator.advance_clock(5 * 60 + 1);
    let swept = sweep_json(&env);
    assert_eq!(
        swept["removed"][0]["userPrincipalName"],
        upn.as_str(),
        "{swept}"
    );
    assert_eq!(probe.user_anywhere(&upn), (false, false));
    assert!(lease_files(&env).is_empty());
}

#[test]
fn ctrl_c_ends_the_lease_and_confirms_each_step() {
    let (env, simulator) = setup();
    let probe = TenantGraph::new(&simulator);
    let countdown = Countdown::start(&env, &["temp-user", "--ttl", "5m", "--yes"]);
    let upn = countdown.upn.clone();
    let id = probe.temporary_users()[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(probe.role_assignments_of(&id).len(), 1);
    countdown.signal("INT");
    let (code, stdout, stderr) = countdown.wait(Duration::from_secs(30));
    assert_eq!(code, Some(0), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stderr.contains("ended on request (Ctrl-C)"), "{stderr}");
    for step in [
        "✓ removed the Global Administrator role assignment (done)",
        "✓ revoked the sign-in sessions (done)",
        &format!("✓ deleted {upn} (done)"),
        "✓ purged it from deleted items (done)",
    ] {
        assert!(stderr.contains(step), "missing `{step}` in:\n{stderr}");
    }
    assert!(
        stdout.contains(&format!("Removed temporary administrator {upn}")),
        "{stdout}"
    );
    assert_eq!(probe.user_anywhere(&upn), (false, false));
    assert!(probe.role_assignments_of(&id).is_empty());
    assert!(lease_files(&env).is_empty());
}

#[test]
fn the_countdown_follows_an_extension_and_ends_when_the_tenant_clock_passes_expiry() {
    let (env, simulator) = setup();
    let probe = TenantGraph::new(&simulator);
    let countdown = Countdown::start(&env, &["temp-user", "--ttl", "5m", "--yes"]);
    let upn = countdown.upn.clone();
    env.run(["temp-user", "extend", &upn, "10m"])
        .assert_success();
    // Past the extended expiry: the next poll (every 15 s) sees both and ends the lease.
    simulator.advance_clock(16 * 60);
    let (code, stdout, stderr) = countdown.wait(Duration::from_secs(45));
    assert_eq!(code, Some(0), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stderr.contains("the lease was extended"), "{stderr}");
    assert!(stderr.contains("the lease expired: removing"), "{stderr}");
    assert!(stdout.contains("(lease expired)"), "{stdout}");
    assert_eq!(probe.user_anywhere(&upn), (false, false));
}

#[test]
fn ttl_bounds_and_unknown_roles_are_usage_errors() {
    let env = TestEnv::new();
    for (ttl, expected) in [
        ("2m", "shorter than the minimum of 5m"),
        ("9h", "longer than the maximum of 8h"),
        ("abc", "`abc` is not a duration"),
    ] {
        let output = env.run(["temp-user", "--ttl", ttl]);
        output.assert_code(2);
        assert_eq!(output.error_lines().len(), 1, "{output}");
        assert!(output.stderr.contains(expected), "{output}");
        assert!(output.stderr.contains("a lease lasts 5m to 8h"), "{output}");
        assert!(output.stdout.is_empty());
    }
    let output = env.run(["temp-user", "--role", "Chief Everything Officer"]);
    output.assert_code(2);
    assert!(output.stderr.contains("Global Administrator"), "{output}");
}

#[test]
fn one_temporary_admin_per_operator_unless_several_are_allowed() {
    let (env, simulator) = setup();
    let probe = TenantGraph::new(&simulator);
    env.run(["temp-user", "--ttl", "5m", "--detach"])
        .assert_success();
    let refused = env.run(["temp-user", "--ttl", "5m", "--detach"]);
    refused.assert_code(2);
    assert!(
        refused
            .stderr
            .contains("already has a temporary administrator"),
        "{refused}"
    );
    assert!(refused.stderr.contains("--allow-several"), "{refused}");
    assert!(refused.stdout.is_empty(), "no sign-in details: {refused}");
    assert_eq!(probe.temporary_users().len(), 1);
    env.run(["temp-user", "--ttl", "5m", "--detach", "--allow-several"])
        .assert_success();
    assert_eq!(probe.temporary_users().len(), 2);
    let listed = env.run(["temp-user", "list"]);
    listed.assert_success();
    assert_eq!(listed.stdout.matches("bg-temp-").count(), 2, "{listed}");

    // Extending a user that is not temporary is refused.
    let output = env.run(["temp-user", "extend", "adele@contoso.example", "15m"]);
    output.assert_code(2);
    assert!(
        output.stderr.contains("not a temporary administrator"),
        "{output}"
    );
}

#[test]
fn the_tap_variant_prints_a_pass_and_no_password() {
    let (env, simulator) = setup();
    let probe = TenantGraph::new(&simulator);
    let output = env.run(["temp-user", "--ttl", "5m", "--tap", "--detach"]);
    output.assert_success();
    assert!(output.stdout.contains("access pass"), "{output}");
    assert!(!output.stdout.contains("password"), "{output}");
    let users = probe.temporary_users();
    let id = users[0]["id"].as_str().unwrap();
    let passes = probe.temporary_access_passes(id);
    assert_eq!(passes.len(), 1);
    // The tenant's pass policy (Entra's default) starts at one hour, longer than this
    // 5-minute lease: the pass is asked for at the minimum, and the person told.
    assert_eq!(passes[0]["lifetimeInMinutes"], 60);
    assert!(output.stderr.contains("the policy's minimum"), "{output}");
    assert_eq!(passes[0]["isUsableOnce"], false);

    let json = env.run([
        "temp-user",
        "--ttl",
        "90m",
        "--tap",
        "--detach",
        "--allow-several",
        "-o",
        "json",
    ]);
    json.assert_success();
    let details = json.json();
    assert_eq!(
        details["temporaryAccessPass"].as_str().map(str::len),
        Some(8)
    );
    assert!(details.get("password").is_none());
    let id = details["userId"].as_str().unwrap();
    assert_eq!(
        probe.temporary_access_passes(id)[0]["lifetimeInMinutes"],
        90
    );
}

#[test]
fn a_failed_role_assignment_removes_the_user_again() {
    let (env, simulator) = setup();
    let probe = TenantGraph::new(&simulator);
    simulator.set_faults(vec![FaultRule {
        method: Some("POST".into()),
        path_prefix: Some("/v1.0/roleManagement/directory/roleAssignments".into()),
        status: Some(403),
        times: Some(1),
        ..FaultRule::default()
    }]);
    let output = env.run(["temp-user", "--ttl", "5m", "--detach"]);
    output.assert_code(5);
    assert!(output.stdout.is_empty(), "no sign-in details: {output}");
    assert!(output.stderr.contains("removing it again"), "{output}");
    assert!(probe.temporary_users().is_empty());
    let deleted = probe.query(
        "directory/deletedItems/microsoft.graph.user",
        Query::new().select(["id", "employeeType"]),
    );
    assert!(
        deleted.iter().all(|u| !u["employeeType"]
            .as_str()
            .unwrap_or_default()
            .starts_with("breakglass:temporary:")),
        "purged too: {deleted:?}"
    );
    assert!(lease_files(&env).is_empty());
}

#[test]
fn a_crash_before_the_create_is_answered_leaves_a_lease_that_sweep_finds() {
    let (env, simulator) = setup();
    let probe = TenantGraph::new(&simulator);
    // The user is created, but the answer never comes back; then the process dies.
    simulator.set_faults(vec![FaultRule {
        method: Some("POST".into()),
        path_prefix: Some("/v1.0/users".into()),
        hold_nth_change: Some(1),
        ..FaultRule::default()
    }]);
    let mut child = std::process::Command::new(breakglass_bin())
        .env_clear()
        .current_dir(env.root())
        .env("HOME", env.root().join("home"))
        .env("NO_COLOR", "1")
        .envs(env.vars())
        .args(["temp-user", "--ttl", "5m"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start");
    let deadline = Instant::now() + Duration::from_secs(30);
    while simulator.held_answers() == 0 {
        assert!(Instant::now() < deadline, "the create never arrived");
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    simulator.set_faults(Vec::new());

    let users = probe.temporary_users();
    assert_eq!(users.len(), 1, "the user exists, with its lease");
    assert!(lease_files(&env).is_empty(), "no local lease was written");
    let listed = env.run(["temp-user", "list", "--output", "json"]);
    assert_eq!(listed.json()["leases"].as_array().map(Vec::len), Some(1));
    simulator.advance_clock(5 * 60 + 1);
    let swept = sweep_json(&env);
    assert_eq!(
        swept["removed"].as_array().map(Vec::len),
        Some(1),
        "{swept}"
    );
    assert!(probe.temporary_users().is_empty());
}
