//! Snapshots of what people read: the human output of `plan`, `apply`, `credential`, `audit`,
//! `drill`, `temp-user`, `monitor rules` and `demo`, and of a few errors, through the real
//! binary against the simulator. A change to any of them shows up as a snapshot to review
//! (`cargo insta review`, or the `.snap.new` file written next to the old one); with `CI` set,
//! insta fails on any difference instead of writing anything.
//!
//! Nothing here pins breakglass's randomness or clock. breakglass never seeds its random
//! generator from the environment, not even for tests, because a seam that made emergency
//! passwords or user names predictable would be a way in (see
//! `crates/breakglass-ops/src/random.rs`); the simulator's object ids, key ids and clock are
//! random and real too. What changes from run to run is redacted instead, by the filters of
//! [`redactions`], and everything else is compared as printed. No snapshot holds a secret: the
//! one command here that prints one (`temp-user`) has it cut out before the comparison, and
//! the test checks that it is gone.

use crate::common::{CommandOutput, TenantGraph, TestEnv, initialised};
use serde_json::json;

const KEEPASS_PASSWORD: &str = "snapshot test password";

/// Identities for `monitor rules`, fixed so that the generated rules are the same on every run
/// (their ids derive from the tenant id); a user name with a quote checks the KQL escaping.
const IDENTITIES: &str = r#"{
  "tenantId": "3f2504e0-4f89-41d3-9a0c-0305e82c3301",
  "appId": "8a1b2c3d-0000-4000-8000-000000000001",
  "applicationObjectId": "8a1b2c3d-0000-4000-8000-000000000002",
  "servicePrincipalId": "8a1b2c3d-0000-4000-8000-000000000003",
  "credentials": [
    {
      "keyId": "0b0b0b0b-1111-4111-8111-000000000001",
      "label": "offline",
      "kind": "certificate",
      "thumbprint": "ABABABABABABABABABABABABABABABABABABABAB",
      "severity": "critical"
    },
    {
      "keyId": "0b0b0b0b-1111-4111-8111-000000000002",
      "label": "rotating",
      "kind": "secret",
      "severity": "high"
    }
  ],
  "users": [
    {
      "id": "9c9c9c9c-2222-4222-8222-000000000001",
      "userPrincipalName": "breakglass-k3j9@contoso.onmicrosoft.com"
    },
    {
      "id": "9c9c9c9c-2222-4222-8222-000000000002",
      "userPrincipalName": "o'brien-x7q2@contoso.onmicrosoft.com"
    }
  ],
  "exclusionGroupId": "7d7d7d7d-3333-4333-8333-000000000001",
  "temporaryUserMarker": "breakglass:temporary:"
}"#;

/// The filters that make a run's output comparable with the last one, in the order they apply
/// (a timestamp must go before the date inside it, a GUID before the key-id prefix inside it).
/// A token of another width than what it replaces leaves a table's columns out of line; that
/// is stable, since what it replaces has a fixed width, except where a filter takes the cell's
/// padding with it.
fn redactions() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    for (pattern, replacement) in [
        // A token's expiry in a table cell, with nanoseconds whose trailing zeros are dropped:
        // the padding after it varies with it.
        (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z +│", "[TIMESTAMP] │"),
        (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "[TIMESTAMP]"),
        (
            r"\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d(\.\d+)?)?( UTC)?",
            "[DATETIME]",
        ),
        // The compact timestamp in a drill record's file name.
        (r"\d{8}T\d{6}Z", "[STAMP]"),
        (r"\d{4}-\d\d-\d\d", "[DATE]"),
        (
            r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
            "[GUID]",
        ),
        // The random part of user names (breakglass_ops::random's alphabet: no l, o, 0 or 1).
        (r"breakglass-[a-km-np-z2-9]{10}@", "breakglass-[RANDOM]@"),
        (r"bg-temp-[a-km-np-z2-9]{10}", "bg-temp-[RANDOM]"),
        // A key id's first eight digits, as tables and share file names abbreviate it.
        (r"\b[0-9a-f]{8}\b", "[KEYID]"),
        (r"\b[0-9A-F]{40}\b", "[THUMBPRINT]"),
        // A fresh SoftHSM2 token's serial number (the demo's step 17).
        (r"serial [0-9a-f]{16}\b", "serial [SERIAL]"),
        // A Shamir share set's random id.
        (r"\(set [A-Z2-7]{8},", "(set [SET],"),
        // A port in a table's last column, with its padding: not every port has five digits.
        (r"127\.0\.0\.1:\d+ +│", "127.0.0.1:[PORT] │"),
        (r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
        // The first three characters of a client secret, which Graph keeps as its hint.
        (r"┆ [A-Za-z0-9~._-]{3}… ", "┆ [HINT] "),
        // Counts of days and minutes left, taken from the clock; the table's DAYS LEFT column
        // keeps its width, and the lease's time left keeps its MM:SS shape.
        (r"(\[DATE\] ┆ \[DATE\] ┆ )\d+ +┆", "${1}[N]       ┆"),
        (r"\b\d+ days left", "[N] days left"),
        (r"due in \d+ days", "due in [N] days"),
        (r"\(in \d+[hms]( \d+[ms])?( \d+s)?\)", "(in [DURATION])"),
        (r"┆ \d+:\d\d ┆", "┆ MM:SS ┆"),
    ] {
        settings.add_filter(pattern, replacement);
    }
    settings
}

/// Compares what a command printed and how it exited with the snapshot `name`, after the
/// test's temporary folder and the filters of `settings` are taken out. `command` goes in the
/// snapshot's header so that a reviewer sees what printed it.
#[track_caller]
fn assert_snapshot(
    env: &TestEnv,
    name: &str,
    command: &str,
    output: CommandOutput,
    mut settings: insta::Settings,
) {
    let root = env.root().display().to_string();
    let output = output.redact(&root, "[ROOT]");
    settings.set_description(command);
    settings.bind(|| insta::assert_snapshot!(name, output.to_string()));
}

/// Runs `breakglass ARGS`, checks that it exits with `code`, and compares its output, with
/// [`redactions`], with the snapshot `name`.
#[track_caller]
fn check(env: &TestEnv, name: &str, args: &[&str], code: i32) {
    let output = env.run(args);
    output.assert_code(code);
    let command = format!("breakglass {}", args.join(" "));
    assert_snapshot(env, name, &command, output, redactions());
}

/// As [`check`], but for output that is the same on every run as printed: the GUIDs in it
/// are ids that must not change, so they are compared too.
#[track_caller]
fn check_verbatim(env: &TestEnv, name: &str, args: &[&str], code: i32) {
    let output = env.run(args);
    output.assert_code(code);
    let command = format!("breakglass {}", args.join(" "));
    assert_snapshot(
        env,
        name,
        &command,
        output,
        insta::Settings::clone_current(),
    );
}

/// `init` against a fresh in-process simulator; the simulator lives as long as the result.
fn workspace() -> (TestEnv, crate::common::InProcessSimulator) {
    initialised(TestEnv::new(), None, KEEPASS_PASSWORD)
}

#[test]
fn plan_apply_and_drift() {
    let (env, simulator) = workspace();
    check(&env, "plan_fresh_tenant", &["plan"], 0);
    check(&env, "apply", &["apply", "--yes"], 0);
    check(&env, "plan_no_changes", &["plan"], 0);

    // Someone adds an owner and a secret of their own, and removes the app's role.
    let probe = TenantGraph::new(&simulator);
    let app = probe.emergency_app();
    let app_object = app["id"].as_str().expect("id");
    let sp_id = probe.emergency_sp()["id"].as_str().expect("id").to_string();
    let diego = probe.one("users", "userPrincipalName eq 'diego@contoso.example'");
    probe.post_no_content(
        &format!("applications/{app_object}/owners/$ref"),
        json!({"@odata.id": format!(
            "https://graph.microsoft.com/v1.0/directoryObjects/{}",
            diego["id"].as_str().expect("id")
        )}),
    );
    probe.post(
        &format!("applications/{app_object}/addPassword"),
        json!({"passwordCredential": {"displayName": "totally legit"}}),
    );
    let assignment = probe.one(
        "roleManagement/directory/roleAssignments",
        &format!("principalId eq '{sp_id}'"),
    );
    probe.delete(&format!(
        "roleManagement/directory/roleAssignments/{}",
        assignment["id"].as_str().expect("id")
    ));
    check(&env, "plan_drift", &["plan"], 0);
}

#[test]
fn credentials_listed_rotated_and_their_store_missing() {
    let (env, _simulator) = workspace();
    env.run(["apply", "--yes", "--quiet"]).assert_success();
    check(&env, "credential_list", &["credential", "list"], 0);
    check(
        &env,
        "credential_rotate",
        &["credential", "rotate", "rotating"],
        0,
    );

    // The KeePass database moved away: plan refuses, the listing says which store is gone.
    let kdbx = env.root().join("breakglass.kdbx");
    let moved = env.root().join("moved.kdbx");
    std::fs::rename(&kdbx, &moved).expect("move the KeePass database away");
    check(&env, "plan_keepass_missing", &["plan"], 3);
    check(
        &env,
        "credential_list_keepass_missing",
        &["credential", "list"],
        0,
    );
    std::fs::rename(&moved, &kdbx).expect("put the KeePass database back");
}

#[test]
fn audit_table_and_findings() {
    let (env, _simulator) = workspace();
    env.run(["apply", "--yes", "--quiet"]).assert_success();
    // The seeded tenant has takeover paths on purpose, so the audit fails (exit 12).
    check(&env, "audit", &["audit"], 12);
    check(
        &env,
        "audit_findings_only",
        &["audit", "--findings-only"],
        12,
    );
}

#[test]
fn drill_and_its_history() {
    let (env, _simulator) = workspace();
    env.run(["apply", "--yes", "--quiet"]).assert_success();
    check(&env, "drill", &["drill", "--log-wait", "0"], 0);
    // The offline certificate was not proven (no shares were brought), so a drill is overdue.
    check(&env, "drill_history", &["drill", "--history"], 9);
}

#[test]
fn temporary_administrator_and_its_lease() {
    let (mut env, _simulator) = workspace();
    let state = env.root().join("state").display().to_string();
    env.set_env("BREAKGLASS_STATE_DIR", state);

    let args = ["temp-user", "--ttl", "30m", "--detach"];
    let mut created = env.run(args);
    created.assert_success();
    let password = created
        .stdout
        .lines()
        .find_map(|line| line.trim_start().strip_prefix("password"))
        .map(str::trim)
        .expect("a password line")
        .to_string();
    assert!(password.len() >= 32, "{created}");
    created = created.redact(&password, "[PASSWORD]");
    assert!(
        !created.to_string().contains(&password),
        "the password is cut out"
    );
    assert_snapshot(
        &env,
        "temp_user_detached",
        &format!("breakglass {}", args.join(" ")),
        created,
        redactions(),
    );
    check(&env, "temp_user_list", &["temp-user", "list"], 0);
}

#[test]
fn monitor_rules_from_an_identities_file() {
    // No tenant: the rules come from the file alone.
    let env = TestEnv::new();
    env.write_file("identities.json", IDENTITIES);
    check_verbatim(
        &env,
        "monitor_rules_kql",
        &[
            "monitor",
            "rules",
            "--format",
            "kql",
            "--identities",
            "identities.json",
        ],
        0,
    );

    check_verbatim(
        &env,
        "monitor_rules_sentinel_out",
        &[
            "monitor",
            "rules",
            "--format",
            "sentinel",
            "--identities",
            "identities.json",
            "--out",
            "sentinel",
        ],
        0,
    );
    let rule = std::fs::read_to_string(env.root().join("sentinel/app-sign-in-critical.yaml"))
        .expect("the Sentinel rule file");
    let file = CommandOutput {
        stdout: rule,
        stderr: String::new(),
        code: Some(0),
    };
    assert_snapshot(
        &env,
        "monitor_rules_sentinel_app_sign_in_critical",
        "breakglass monitor rules --format sentinel --identities identities.json --out sentinel \
         (the file sentinel/app-sign-in-critical.yaml)",
        file,
        insta::Settings::clone_current(),
    );
}

#[test]
fn demo_narrated() {
    let env = TestEnv::new();
    // A relative state folder keeps the temporary root out of the demo's tables.
    check(&env, "demo", &["demo", "--state-dir", "demo"], 0);
}

#[test]
fn errors_people_meet() {
    let mut env = TestEnv::new();
    env.run(["init"]).assert_success();
    let config = std::fs::read_to_string(env.root().join("breakglass.toml")).expect("config");

    env.write_file(
        "bad-count.toml",
        &config.replacen("count = 2", "count = \"two\"", 1),
    );
    check(
        &env,
        "error_bad_config",
        &["plan", "--config", "bad-count.toml"],
        3,
    );

    env.set_env("AZURE_TENANT_ID", "6f1b4c2e-8a3d-4e5f-9b7a-2c4d6e8f0a1b");
    env.write_file(
        "pinned.toml",
        &config.replacen(
            "# id = \"00000000-0000-0000-0000-000000000000\"",
            "id = \"11111111-2222-3333-4444-555555555555\"",
            1,
        ),
    );
    check(
        &env,
        "error_tenant_mismatch",
        &["plan", "--config", "pinned.toml"],
        3,
    );

    check(
        &env,
        "error_credential_remove_not_a_guid",
        &["credential", "remove", "not-a-guid"],
        2,
    );
    check(
        &env,
        "error_credential_without_subcommand",
        &["credential"],
        2,
    );
    // A global option from the environment counts as an argument to clap, which then reports
    // the missing subcommand in its own words.
    env.set_env("BREAKGLASS_CLOUD", "public");
    check(
        &env,
        "error_credential_without_subcommand_cloud_in_env",
        &["credential"],
        2,
    );
}
