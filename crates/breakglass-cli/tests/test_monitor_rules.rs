//! `breakglass monitor identities` and `monitor rules` against the simulator: the ids after
//! `apply`, one file per detection with the real ids, stable ids and files, and bad formats.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::common::{InProcessSimulator, TestEnv, initialised};

const KEEPASS_PASSWORD: &str = "monitor test password";

/// A workspace after `init` and `apply`, pointed at an in-process simulator.
fn applied() -> (TestEnv, InProcessSimulator) {
    let (env, simulator) = initialised(TestEnv::new(), None, KEEPASS_PASSWORD);
    env.run(["apply", "--yes", "--quiet"]).assert_success();
    (env, simulator)
}

fn identities(env: &TestEnv) -> Value {
    let output = env.run(["monitor", "identities", "--output", "json"]);
    output.assert_success();
    output.json()
}

fn files(dir: &Path) -> BTreeMap<String, String> {
    std::fs::read_dir(dir)
        .expect("read the rules folder")
        .map(|entry| {
            let path = entry.expect("entry").path();
            let name = path
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            (name, std::fs::read_to_string(&path).expect("read rule"))
        })
        .collect()
}

const DETECTIONS: usize = 12;

#[test]
fn identities_after_apply_list_the_app_its_credentials_the_users_and_the_group() {
    let (env, _simulator) = applied();
    let ids = identities(&env);
    let text = |key: &str| ids[key].as_str().unwrap_or_default().to_string();
    for key in [
        "tenantId",
        "appId",
        "applicationObjectId",
        "servicePrincipalId",
        "exclusionGroupId",
    ] {
        assert!(!text(key).is_empty(), "{key}: {ids}");
    }
    assert_eq!(ids["temporaryUserMarker"], "breakglass:temporary:");

    // The same credentials as `credential list` shows, with labels and severities by store.
    let listed = env.run(["credential", "list", "--output", "json"]);
    listed.assert_success();
    let listed = listed.json();
    let credentials = ids["credentials"].as_array().expect("credentials");
    assert_eq!(credentials.len(), 2, "{ids}");
    let by_label: BTreeMap<&str, &Value> = credentials
        .iter()
        .map(|c| (c["label"].as_str().expect("label"), c))
        .collect();
    assert_eq!(by_label["offline"]["severity"], "critical");
    assert_eq!(by_label["offline"]["kind"], "certificate");
    assert!(
        by_label["offline"]["thumbprint"]
            .as_str()
            .is_some_and(|t| t.len() == 40)
    );
    assert_eq!(by_label["rotating"]["severity"], "high");
    assert_eq!(by_label["rotating"]["kind"], "secret");
    for credential in credentials {
        let key_id = credential["keyId"].as_str().expect("keyId");
        let row = listed["credentials"]
            .as_array()
            .expect("listed")
            .iter()
            .find(|r| r["keyId"] == key_id)
            .unwrap_or_else(|| panic!("{key_id} in credential list: {listed}"));
        assert_eq!(row["label"], credential["label"]);
    }

    let users = ids["users"].as_array().expect("users");
    assert_eq!(users.len(), 2, "{ids}");
    for user in users {
        assert!(user["id"].as_str().is_some_and(|id| id.len() == 36));
        assert!(
            user["userPrincipalName"]
                .as_str()
                .is_some_and(|upn| upn.starts_with("breakglass")),
            "{user}"
        );
    }

    // The table names the same things.
    let human = env.run(["monitor", "identities"]);
    human.assert_success();
    for needle in [
        text("appId"),
        text("servicePrincipalId"),
        text("exclusionGroupId"),
    ] {
        assert!(human.stdout.contains(&needle), "{human}");
    }
    assert!(human.stdout.contains("offline") && human.stdout.contains("critical"));
}

#[test]
fn identities_out_writes_a_private_file_that_rules_read_without_signing_in() {
    let (mut env, _simulator) = applied();
    let path = env.root().join("identities.json");
    env.run([
        "monitor",
        "identities",
        "--out",
        path.to_str().expect("utf-8"),
    ])
    .assert_success();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path)
            .expect("written")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("JSON");
    assert_eq!(saved, identities(&env));

    // Offline: no sign-in possible, the file is enough.
    let out = env.root().join("offline-rules");
    for key in ["AZURE_CLIENT_SECRET", "AZURE_CLIENT_ID", "AZURE_TENANT_ID"] {
        env.remove_env(key);
    }
    env.run([
        "monitor",
        "rules",
        "--format",
        "kql",
        "--identities",
        path.to_str().expect("utf-8"),
        "--out",
        out.to_str().expect("utf-8"),
    ])
    .assert_success();
    assert_eq!(files(&out).len(), DETECTIONS);
}

#[test]
fn rules_in_every_format_hold_the_real_ids_and_stay_the_same() {
    let (env, _simulator) = applied();
    let ids = identities(&env);
    let id = |key: &str| ids[key].as_str().expect(key).to_ascii_lowercase();
    let root = env.root().to_path_buf();
    let run = |format: &str, dir: &str| {
        let out = root.join(dir);
        let output = env.run([
            "monitor",
            "rules",
            "--format",
            format,
            "--out",
            out.to_str().expect("utf-8"),
        ]);
        output.assert_success();
        (files(&out), output)
    };

    let (kql, output) = run("kql", "kql");
    assert_eq!(kql.len(), DETECTIONS, "{kql:?}");
    assert!(kql.keys().all(|name| name.ends_with(".kql")));
    assert!(
        output.stdout.contains("12 kql rule file(s) for tenant"),
        "{output}"
    );
    let all: String = kql.values().cloned().collect();
    for key in [
        "appId",
        "servicePrincipalId",
        "applicationObjectId",
        "exclusionGroupId",
    ] {
        assert!(all.contains(&id(key)), "{key}");
    }
    for credential in ids["credentials"].as_array().expect("credentials") {
        let key = credential["keyId"]
            .as_str()
            .expect("keyId")
            .to_ascii_lowercase();
        let label = credential["label"].as_str().expect("label");
        assert!(
            kql["app-sign-in-critical.kql"].contains(&format!("\"{key}\": \"{label}\"")),
            "{key} → {label}"
        );
    }
    for user in ids["users"].as_array().expect("users") {
        let user_id = user["id"].as_str().expect("id").to_ascii_lowercase();
        assert!(kql["user-sign-in.kql"].contains(&user_id));
        assert!(kql["user-authentication-change.kql"].contains(&user_id));
    }
    assert!(kql["app-sign-in-critical.kql"].starts_with("// breakglass: "));

    let (sentinel, _) = run("sentinel", "sentinel");
    assert_eq!(sentinel.len(), DETECTIONS);
    let (again, _) = run("sentinel", "sentinel-again");
    assert_eq!(sentinel, again, "generating twice gives identical files");
    let mut rule_ids = std::collections::BTreeSet::new();
    for (name, text) in &sentinel {
        assert!(name.ends_with(".yaml"));
        let first = text.lines().next().unwrap_or_default();
        let rule_id = first
            .strip_prefix("id: ")
            .unwrap_or_else(|| panic!("{name}: {first}"))
            .trim_matches('"');
        assert_eq!(rule_id.len(), 36);
        assert!(
            rule_ids.insert(rule_id.to_string()),
            "{name}: ids are unique"
        );
        assert!(text.contains("\nkind: NRT\n") || text.contains("\nkind: Scheduled\n"));
    }
    assert!(sentinel["app-sign-in-critical.yaml"].contains("\nseverity: High\n"));

    let (arm, _) = run("arm", "arm");
    assert_eq!(arm.len(), 1);
    let template: Value =
        serde_json::from_str(&arm["breakglass-alert-rules.json"]).expect("ARM JSON");
    let resources = template["resources"].as_array().expect("resources");
    assert_eq!(resources.len(), DETECTIONS + 1);
    assert!(arm["breakglass-alert-rules.json"].contains(&id("servicePrincipalId")));
    // Azure Monitor has a Critical severity (0).
    assert_eq!(resources[1]["properties"]["severity"], 0);

    let (bicep, _) = run("bicep", "bicep");
    assert_eq!(bicep.len(), 1);
    let text = &bicep["breakglass-alert-rules.bicep"];
    assert_eq!(
        text.matches("resource rule").count(),
        DETECTIONS,
        "one log alert per detection"
    );
    assert!(text.contains(&id("appId")));
    assert_bicep_parses(text, DETECTIONS + 1);
}

/// Parses a Bicep file with the tree-sitter Bicep grammar, an implementation independent of
/// ours (no Bicep compiler can be installed here), and checks it has no syntax error and
/// declares `resources` resources. The same file with one brace removed must fail, so the
/// check is known to bite.
fn assert_bicep_parses(text: &str, resources: usize) {
    let (problems, declared) = bicep_syntax(text);
    assert!(
        problems.is_empty(),
        "Bicep syntax errors:\n{}",
        problems.join("\n")
    );
    assert_eq!(declared, resources, "resource declarations");
    let broken = text.replacen('}', "", 1);
    assert!(
        !bicep_syntax(&broken).0.is_empty(),
        "a broken file is caught"
    );
}

/// The syntax errors in a Bicep text, and how many resources it declares.
fn bicep_syntax(text: &str) -> (Vec<String>, usize) {
    let mut parser = tree_sitter::Parser::new();
    parser
        .set_language(&tree_sitter_bicep::LANGUAGE.into())
        .expect("the Bicep grammar loads");
    let tree = parser.parse(text, None).expect("a parse tree");
    let mut problems = Vec::new();
    let mut declared = 0;
    let mut cursor = tree.walk();
    let mut stack = vec![tree.root_node()];
    while let Some(node) = stack.pop() {
        if node.is_error() || node.is_missing() {
            let at = node.start_position();
            let line = text.lines().nth(at.row).unwrap_or_default();
            problems.push(format!(
                "{}:{}: {} near `{}`",
                at.row + 1,
                at.column + 1,
                if node.is_missing() {
                    "missing"
                } else {
                    "error"
                },
                line.trim()
            ));
        }
        if node.kind() == "resource_declaration" {
            declared += 1;
        }
        stack.extend(node.children(&mut cursor));
    }
    (problems, declared)
}
