//! `breakglass scan`: every export format, plain and gzip, damaged files, exit codes.

use std::io::Write;

use serde_json::{Value, json};

use crate::common::TestEnv;

const APP: &str = "3f2c9a51-7b1e-4d8a-9c3e-5a6b7c8d9e0f";
const SP: &str = "8a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
const APP_OBJ: &str = "11111111-2222-4333-8444-555555555555";
const OFFLINE: &str = "aaaaaaaa-0000-4000-8000-000000000001";
const ROTATING: &str = "aaaaaaaa-0000-4000-8000-000000000002";
const USER_ID: &str = "bbbbbbbb-0000-4000-8000-000000000001";
const UPN: &str = "bg-admin1@contoso.onmicrosoft.com";
const GROUP: &str = "cccccccc-0000-4000-8000-000000000001";
const OTHER: &str = "99999999-9999-4999-8999-999999999999";
const STRANGER_KEY: &str = "dddddddd-0000-4000-8000-000000000009";

fn identities() -> Value {
    json!({
        "tenantId": "72f988bf-86f1-41af-91ab-2d7cd011db47",
        "appId": APP,
        "applicationObjectId": APP_OBJ,
        "servicePrincipalId": SP,
        "credentials": [
            {"keyId": OFFLINE, "label": "offline", "kind": "certificate", "severity": "critical"},
            {"keyId": ROTATING, "label": "rotating", "kind": "secret", "severity": "high"}
        ],
        "users": [{"id": USER_ID, "userPrincipalName": UPN}],
        "exclusionGroupId": GROUP,
        "temporaryUserMarker": "breakglass:temporary:"
    })
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// A Graph beta sign-in page: one service principal sign-in with the offline key, noise.
fn graph_page() -> String {
    serde_json::to_string_pretty(&json!({
        "@odata.context": "https://graph.microsoft.com/beta/$metadata#auditLogs/signIns",
        "value": [
            {"id": "n1", "createdDateTime": "2026-11-20T09:00:00Z", "appId": OTHER,
             "userId": OTHER, "userPrincipalName": "someone@contoso.com",
             "status": {"errorCode": 0}},
            {"id": "g1", "createdDateTime": "2026-11-20T09:01:00Z", "appId": APP,
             "servicePrincipalId": SP, "servicePrincipalName": "breakglass",
             "servicePrincipalCredentialKeyId": OFFLINE, "ipAddress": "198.51.100.1",
             "signInEventTypes": ["servicePrincipal"], "status": {"errorCode": 0}}
        ],
        "@odata.nextLink": "https://graph.microsoft.com/beta/auditLogs/signIns?$skiptoken=x"
    }))
    .unwrap()
}

/// Event Hubs diagnostic records: a failed user sign-in and a credential added to the SP.
fn diagnostic_records() -> String {
    json!({"records": [
        {"time": "2026-11-20T08:00:00Z", "category": "SignInLogs", "operationName": "Sign-in activity",
         "resultType": "50126", "callerIpAddress": "192.0.2.10",
         "properties": {"createdDateTime": "2026-11-20T08:00:00Z", "userId": USER_ID,
           "userPrincipalName": UPN, "appId": OTHER, "ipAddress": "192.0.2.10",
           "status": {"errorCode": 50126, "failureReason": "Invalid username or password"}}},
        {"time": "2026-11-20T08:30:00Z", "category": "AuditLogs",
         "operationName": "Add service principal credentials",
         "properties": {"activityDisplayName": "Add service principal credentials",
           "activityDateTime": "2026-11-20T08:30:00Z", "result": "success",
           "targetResources": [{"id": SP, "type": "ServicePrincipal"}],
           "initiatedBy": {"user": {"id": OTHER, "ipAddress": "192.0.2.20"}}}},
        {"time": "2026-11-20T08:40:00Z", "category": "AuditLogs",
         "properties": {"activityDisplayName": "Update user", "targetResources": [{"id": OTHER}]}}
    ]})
    .to_string()
}

/// Log Analytics JSON lines: noise, a sign-in with an unknown key, one with the rotating key.
fn log_analytics_lines() -> String {
    let mut out = String::new();
    for i in 0..20 {
        out.push_str(
            &json!({"TimeGenerated": format!("2026-11-20T07:{i:02}:00Z"), "AppId": OTHER,
                    "UserId": OTHER, "Type": "SigninLogs", "ResultType": "0"})
            .to_string(),
        );
        out.push('\n');
    }
    for (time, key, result) in [
        ("2026-11-20T10:00:00.1234567Z", STRANGER_KEY, "0"),
        ("2026-11-20T10:05:00Z", ROTATING, "7000215"),
    ] {
        out.push_str(
            &json!({"TimeGenerated": time, "Type": "AADServicePrincipalSignInLogs",
                    "Category": "ServicePrincipalSignInLogs", "AppId": APP.to_uppercase(),
                    "ServicePrincipalId": SP, "ServicePrincipalCredentialKeyId": key,
                    "ResultType": result, "IPAddress": "203.0.113.5"})
            .to_string(),
        );
        out.push('\n');
    }
    out
}

fn scan_json(env: &TestEnv, files: &[&str]) -> (Value, crate::common::CommandOutput) {
    let mut args = vec!["scan", "--output", "json", "--identities", "ids.json"];
    args.extend_from_slice(files);
    let output = env.run(&args);
    let value: Value = serde_json::from_str(&output.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", output.stdout, output.stderr));
    (value, output)
}

/// (time, kind, identity, key id, severity, result, file) of each event.
fn summary(report: &Value) -> Vec<(String, String, String, String, String, String, String)> {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    report["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                s(&e["time"]),
                s(&e["kind"]),
                s(&e["identity"]),
                s(&e["credentialKeyId"]),
                s(&e["severity"]),
                s(&e["result"]),
                s(&e["source"]["file"]),
            )
        })
        .collect()
}

fn setup() -> TestEnv {
    let env = TestEnv::new();
    env.write_file("ids.json", &identities().to_string());
    env
}

fn expected(page: &str, records: &str, lines: &str) -> Vec<[&'static str; 6]> {
    let _ = (page, records, lines);
    vec![
        [
            "2026-11-20T08:00:00Z",
            "userSignIn",
            UPN,
            "",
            "critical",
            "failure",
        ],
        [
            "2026-11-20T08:30:00Z",
            "auditChange",
            "emergency app (service principal)",
            "",
            "critical",
            "success",
        ],
        [
            "2026-11-20T09:01:00Z",
            "servicePrincipalSignIn",
            "breakglass, credential offline",
            OFFLINE,
            "critical",
            "success",
        ],
        [
            "2026-11-20T10:00:00.1234567Z",
            "servicePrincipalSignIn",
            "emergency app, UNKNOWN credential dddddddd-0000-4000-8000-000000000009",
            STRANGER_KEY,
            "critical",
            "success",
        ],
        [
            "2026-11-20T10:05:00Z",
            "servicePrincipalSignIn",
            "emergency app, credential rotating",
            ROTATING,
            "high",
            "failure",
        ],
    ]
}

fn check(report: &Value, page: &str, records: &str, lines: &str) {
    let got = summary(report);
    let files = [records, records, page, lines, lines];
    let want = expected(page, records, lines);
    assert_eq!(got.len(), want.len(), "{report:#}");
    for ((g, w), file) in got.iter().zip(&want).zip(files) {
        assert_eq!(
            (
                g.0.as_str(),
                g.1.as_str(),
                g.2.as_str(),
                g.3.as_str(),
                g.4.as_str(),
                g.5.as_str()
            ),
            (w[0], w[1], w[2], w[3], w[4], w[5]),
            "{report:#}"
        );
        assert!(g.6.ends_with(file), "{} is not {file}", g.6);
    }
}

#[test]
fn scan_finds_every_event_in_every_format() {
    let env = setup();
    env.write_file("page.json", &graph_page());
    env.write_file("records.json", &diagnostic_records());
    env.write_file("signins.jsonl", &log_analytics_lines());
    let (report, output) = scan_json(&env, &["page.json", "records.json", "signins.jsonl"]);
    assert_eq!(output.code, Some(10), "{}", output.stderr);
    check(&report, "page.json", "records.json", "signins.jsonl");
    let events = report["events"].as_array().unwrap();
    // Where each was found: record index in documents, line in JSON lines.
    assert_eq!(events[0]["source"]["record"], 0);
    assert_eq!(events[2]["source"]["record"], 1);
    assert_eq!(events[3]["source"]["line"], 21);
    assert_eq!(events[4]["errorCode"], "7000215");
    assert_eq!(events[0]["errorCode"], "50126");
    assert_eq!(events[2]["ipAddress"], "198.51.100.1");
    assert_eq!(report["summary"]["events"], 5);
    assert_eq!(report["summary"]["malformed"], 0);
}

#[test]
fn scan_reads_gzip_of_each_format() {
    let env = setup();
    for (name, text) in [
        ("page.json.gz", graph_page()),
        ("records.json.gz", diagnostic_records()),
        ("signins.jsonl.gz", log_analytics_lines()),
    ] {
        std::fs::write(env.root().join(name), gzip(text.as_bytes())).unwrap();
    }
    let (report, output) = scan_json(
        &env,
        &["page.json.gz", "records.json.gz", "signins.jsonl.gz"],
    );
    assert_eq!(output.code, Some(10), "{}", output.stderr);
    check(
        &report,
        "page.json.gz",
        "records.json.gz",
        "signins.jsonl.gz",
    );
    for file in report["files"].as_array().unwrap() {
        assert_eq!(file["compression"], "gzip");
    }
}

#[test]
fn scan_survives_damaged_files_and_counts_malformed_lines() {
    let env = setup();
    // Malformed lines among good ones.
    let mut lines = log_analytics_lines();
    lines.insert_str(0, "{\"TimeGenerated\": \"2026-11-20T06:00:00Z\", \"AppId\n");
    lines.push_str("not json at all\n");
    lines.push_str(&format!(
        "{{\"AppId\":\"{APP}\",\"Type\":\"AADServicePrincipalSig\n"
    ));
    env.write_file("damaged.jsonl", &lines);
    // A gzip cut in the middle; the event before the cut is still reported.
    let mut big = String::new();
    for i in 0..3000 {
        big.push_str(
            &json!({"TimeGenerated": "2026-11-20T05:00:00Z", "AppId": OTHER, "n": i,
                    "UserAgent": format!("agent {}", i * 7919 % 10007)})
            .to_string(),
        );
        big.push('\n');
        if i == 10 {
            big.push_str(
                &json!({"TimeGenerated": "2026-11-20T05:30:00Z", "AppId": APP,
                        "ServicePrincipalCredentialKeyId": OFFLINE, "ResultType": "0",
                        "Type": "AADServicePrincipalSignInLogs"})
                .to_string(),
            );
            big.push('\n');
        }
    }
    let full = gzip(big.as_bytes());
    std::fs::write(env.root().join("cut.jsonl.gz"), &full[..full.len() / 2]).unwrap();
    std::fs::write(
        env.root().join("binary.dat"),
        [0x7f, b'E', b'L', b'F', 0, 0, 1, 2],
    )
    .unwrap();

    let (report, output) = scan_json(&env, &["damaged.jsonl", "cut.jsonl.gz", "binary.dat"]);
    assert_eq!(output.code, Some(10), "{}", output.stderr);
    let got = summary(&report);
    assert_eq!(got.len(), 3, "{report:#}");
    assert_eq!(got[0].0, "2026-11-20T05:30:00Z");
    assert!(got[0].6.ends_with("cut.jsonl.gz"));
    assert_eq!(got[0].4, "critical");
    let files = report["files"].as_array().unwrap();
    assert_eq!(files[0]["malformed"], 3, "{:#}", files[0]);
    assert_eq!(files[0]["malformedLines"], json!([1, 24, 25]));
    assert!(
        files[1]["problem"]
            .as_str()
            .unwrap()
            .contains("truncated gzip")
    );
    assert!(files[2]["problem"].as_str().unwrap().contains("binary"));
    assert_eq!(files[2]["readable"], false);
    assert!(
        output.stderr.contains("damaged.jsonl: 3 malformed line(s)"),
        "{}",
        output.stderr
    );
    assert!(
        output.stderr.contains("cut.jsonl.gz: truncated gzip"),
        "{}",
        output.stderr
    );
    assert!(
        output.stderr.contains("binary.dat: binary data"),
        "{}",
        output.stderr
    );
}

#[test]
fn scan_with_nothing_found_exits_zero_and_unreadable_input_exits_three() {
    let env = setup();
    let quiet: String = log_analytics_lines()
        .lines()
        .filter(|l| !l.contains(SP))
        .map(|l| format!("{l}\n"))
        .collect();
    env.write_file("quiet.jsonl", &quiet);
    let (report, output) = scan_json(&env, &["quiet.jsonl"]);
    assert_eq!(output.code, Some(0), "{}", output.stderr);
    assert_eq!(report["events"], json!([]));
    assert_eq!(report["summary"]["records"], 20);

    let human = env.run(["scan", "--identities", "ids.json", "quiet.jsonl"]);
    assert_eq!(human.code, Some(0));
    assert!(
        human.stdout.contains("No sign-ins or changes"),
        "{}",
        human.stdout
    );

    std::fs::write(env.root().join("junk.bin"), [0u8, 159, 146, 150]).unwrap();
    let output = env.run([
        "scan",
        "--identities",
        "ids.json",
        "junk.bin",
        "missing.jsonl",
    ]);
    assert_eq!(output.code, Some(3), "{}", output.stderr);
    assert!(
        output.stderr.contains("error: no file could be read"),
        "{}",
        output.stderr
    );
}

#[test]
fn scan_needs_identities_and_takes_quick_flags() {
    let env = setup();
    env.write_file("signins.jsonl", &log_analytics_lines());
    // Without identities, scan reads them from the tenant, which needs breakglass.toml.
    let output = env.run(["scan", "signins.jsonl"]);
    assert_eq!(output.code, Some(3), "{}", output.stderr);
    assert!(
        output.stderr.contains("--identities FILE"),
        "{}",
        output.stderr
    );

    let output = env.run(["scan", "--app-id", "nope", "signins.jsonl"]);
    assert_eq!(output.code, Some(2));

    let output = env.run([
        "scan",
        "--output",
        "json",
        "--app-id",
        APP,
        "--key-id",
        &format!("{ROTATING}=rotating"),
        "signins.jsonl",
    ]);
    assert_eq!(output.code, Some(10), "{}", output.stderr);
    let report: Value = serde_json::from_str(&output.stdout).unwrap();
    let got = summary(&report);
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].4, "critical", "unknown key");
    assert_eq!(got[1].4, "high");
    assert!(got[1].2.ends_with("credential rotating"));
}

#[test]
fn a_folder_is_read_recursively_as_the_docs_show() {
    let env = setup();
    env.write_file("logs/graph/page.json", &graph_page());
    env.write_file("logs/eventhub/2026/11/records.json", &diagnostic_records());
    env.write_file("logs/README.txt", "exported on Monday\n");
    let (report, output) = scan_json(&env, &["logs/"]);
    output.assert_code(10);
    let files: Vec<String> = summary(&report).into_iter().map(|e| e.6).collect();
    assert!(
        files.iter().any(|f| f.ends_with("page.json"))
            && files.iter().any(|f| f.ends_with("records.json")),
        "{files:?}"
    );
    assert_eq!(report["summary"]["files"], 3, "{report}");
    assert!(
        output.stderr.contains("README.txt"),
        "the text file is a warning: {output}"
    );
}

#[test]
fn a_failed_scan_prints_no_result() {
    let env = setup();
    std::fs::create_dir_all(env.root().join("empty")).unwrap();
    for args in [
        vec!["scan", "--identities", "ids.json", "missing.json"],
        vec!["scan", "--identities", "ids.json", "empty"],
    ] {
        let output = env.run(&args);
        output.assert_code(3);
        assert!(output.stdout.is_empty(), "{args:?}: {output}");
        assert!(!output.stderr.contains("No sign-ins"), "{output}");
        assert_eq!(output.error_lines().len(), 1, "{output}");
    }
}
