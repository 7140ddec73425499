//! `breakglass drill` against an in-process simulator: the KeePass credential proven, the
//! offline one reported until three custodians' shares come, the sign-ins found in the
//! logs, the records, the history and its due dates, an expired credential, and the
//! Conditional Access policy of the seeded tenant that does not exclude the emergency users.

use std::os::unix::fs::PermissionsExt as _;
use std::path::PathBuf;

use serde_json::Value;

use crate::common::{InProcessSimulator, TestEnv, initialised};

const KEEPASS_PASSWORD: &str = "correct horse battery staple";

/// `init` and `apply` against a fresh simulator.
fn applied() -> (TestEnv, InProcessSimulator) {
    let (env, simulator) = initialised(TestEnv::new(), None, KEEPASS_PASSWORD);
    env.run(["apply", "--yes"]).assert_success();
    (env, simulator)
}

fn credential<'a>(report: &'a Value, label: &str) -> &'a Value {
    report["credentials"]
        .as_array()
        .expect("credentials")
        .iter()
        .find(|c| c["label"] == label)
        .unwrap_or_else(|| panic!("no `{label}` in {report:#}"))
}

fn check<'a>(subject: &'a Value, kind: &str) -> &'a Value {
    subject["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["check"] == kind)
        .unwrap_or_else(|| panic!("no `{kind}` check in {subject:#}"))
}

/// Three of the five share files `apply` wrote for `offline`.
fn three_shares(env: &TestEnv) -> String {
    let mut files: Vec<PathBuf> = std::fs::read_dir(env.root().join("recovery-sheets"))
        .expect("sheets folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with("share-offline") && name.ends_with(".txt")
        })
        .collect();
    files.sort();
    assert_eq!(files.len(), 5, "{files:?}");
    [&files[0], &files[2], &files[4]]
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(",")
}

#[test]
fn drill_proves_credentials_reports_findings_and_keeps_a_history() {
    let (env, _simulator) = applied();

    // KeePass's `rotating` is proven; `offline` waits for its custodians.
    let first = env.run(["drill", "--log-wait", "2s", "--output", "json"]);
    first.assert_success();
    let report = first.json();
    let rotating = credential(&report, "rotating");
    assert_eq!(rotating["proven"], true, "{rotating:#}");
    for kind in ["token", "graphRead", "role", "expiry", "signInLog"] {
        assert_eq!(
            check(rotating, kind)["status"],
            "pass",
            "{kind}: {rotating:#}"
        );
    }
    assert!(
        check(rotating, "role")["detail"]
            .as_str()
            .unwrap()
            .contains("Global Administrator"),
        "{rotating:#}"
    );
    let offline = credential(&report, "offline");
    assert_eq!(offline["proven"], false);
    let source = check(offline, "source");
    assert_eq!(source["status"], "warning");
    assert!(
        source["detail"]
            .as_str()
            .unwrap()
            .contains("not proven: needs 3 custodians"),
        "{source:#}"
    );
    // The seeded tenant's "Require MFA for administrators" targets Global Administrators and
    // does not exclude the group: a finding for each emergency user.
    let users = report["users"].as_array().expect("users");
    assert_eq!(users.len(), 2, "{report:#}");
    for user in users {
        let ca = check(user, "conditionalAccess");
        assert_eq!(ca["status"], "warning", "{user:#}");
        assert!(
            user["conditionalAccessFindings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["displayName"] == "Require MFA for administrators"),
            "{user:#}"
        );
        assert_eq!(check(user, "phishingResistantMethod")["status"], "warning");
        assert_eq!(check(user, "role")["status"], "pass");
        assert_eq!(check(user, "accountEnabled")["status"], "pass");
        assert_eq!(check(user, "exclusionGroup")["status"], "pass");
    }
    assert_eq!(report["verdict"], "passedWithWarnings");
    assert_eq!(report["operator"]["kind"], "app");

    // With three of the five shares, `offline` is proven too, and both sign-ins are found.
    let shares = format!("offline={}", three_shares(&env));
    let second = env.run([
        "drill",
        "--log-wait",
        "2s",
        "--shares",
        &shares,
        "--output",
        "json",
    ]);
    second.assert_success();
    let report = second.json();
    let mut key_ids = Vec::new();
    for label in ["offline", "rotating"] {
        let c = credential(&report, label);
        assert_eq!(c["proven"], true, "{c:#}");
        let log = check(c, "signInLog");
        assert_eq!(log["status"], "pass", "{c:#}");
        let key = c["keyId"].as_str().unwrap().to_string();
        assert!(
            log["detail"].as_str().unwrap().contains(&key[..8]),
            "{log:#}"
        );
        assert!(log["detail"].as_str().unwrap().contains("beta"), "{log:#}");
        key_ids.push(key);
    }

    // The records: JSON that parses, Markdown naming the key ids, both 0600.
    let files = &report["recordFiles"];
    let json_path = env.root().join(files["json"].as_str().unwrap());
    let md_path = env.root().join(files["markdown"].as_str().unwrap());
    assert!(
        json_path.starts_with(env.root().join("drills")),
        "{json_path:?}"
    );
    let record: Value =
        serde_json::from_str(&std::fs::read_to_string(&json_path).expect("json record"))
            .expect("the record is JSON");
    assert_eq!(record["credentials"].as_array().unwrap().len(), 2);
    let markdown = std::fs::read_to_string(&md_path).expect("markdown record");
    for key in &key_ids {
        assert!(markdown.contains(key.as_str()), "{markdown}");
    }
    assert!(!markdown.contains(KEEPASS_PASSWORD));
    for path in [&json_path, &md_path] {
        let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{path:?}");
    }
    let records = std::fs::read_dir(env.root().join("drills"))
        .unwrap()
        .count();
    assert_eq!(records, 4, "two drills, two files each");

    // The history: both proven now, due 90 days later.
    let history = env.run(["drill", "--history", "--output", "json"]);
    history.assert_success();
    let history = history.json();
    assert_eq!(history["drills"], 2);
    assert_eq!(history["overdue"], false);
    for label in ["offline", "rotating"] {
        let standing = history["credentials"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == label)
            .expect("standing");
        let last: jiff::Timestamp = standing["lastProven"].as_str().unwrap().parse().unwrap();
        let due: jiff::Timestamp = standing["nextDue"].as_str().unwrap().parse().unwrap();
        assert_eq!(due.duration_since(last).as_hours(), 90 * 24, "{standing:#}");
        assert!(key_ids.contains(&standing["id"].as_str().unwrap().to_string()));
    }
    let human = env.run(["drill", "--history"]);
    human.assert_success();
    assert!(human.stdout.contains("Next drill due by"), "{human}");

    // Warnings fail with --strict.
    let strict = env.run(["drill", "--log-wait", "2s", "--strict"]);
    strict.assert_code(8);
    assert!(strict.error_lines()[0].contains("--strict"), "{strict}");
}

#[test]
fn an_expired_credential_fails_the_drill_and_the_history_is_overdue() {
    let (env, simulator) = applied();
    // `rotating` lives 90 days; move the tenant's clock past its end.
    simulator.advance_clock(91 * 24 * 3600);
    let output = env.run(["drill", "--log-wait", "0", "--output", "json"]);
    output.assert_code(8);
    let report = output.json();
    let rotating = credential(&report, "rotating");
    assert_eq!(rotating["proven"], false);
    let token = check(rotating, "token");
    assert_eq!(token["status"], "failure", "{rotating:#}");
    let detail = token["detail"].as_str().unwrap();
    assert!(detail.contains("7000222"), "{token:#}");
    assert!(
        token["hint"]
            .as_str()
            .unwrap_or_default()
            .contains("expired"),
        "{token:#}"
    );
    assert_eq!(check(rotating, "expiry")["status"], "failure");
    assert_eq!(check(rotating, "signInLog")["status"], "skipped");
    assert_eq!(report["verdict"], "failed");
    assert!(output.error_lines()[0].contains("did not pass"), "{output}");

    // No credential has been proven by a drill: the history says it is overdue (exit 9).
    let history = env.run(["drill", "--history"]);
    history.assert_code(9);
    assert!(history.stdout.contains("OVERDUE"), "{history}");
}
