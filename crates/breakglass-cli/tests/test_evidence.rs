//! `breakglass evidence --out DIR` through the binary (issue 12, part 2): the audit in three
//! forms, the last drill, the configuration, the identities and the rules' status, each file
//! private, and a SHA256SUMS that `sha256sum -c` (an independent implementation) accepts.

use std::process::Command;

use serde_json::Value;

use crate::common::{TestEnv, initialised};

const KEEPASS_PASSWORD: &str = "correct horse battery staple";
const WORKSPACE: &str = "/subscriptions/0b5e6c3a-7d2f-4b1e-9c8a-3f4e5d6c7b8a/resourceGroups/rg-security/providers/Microsoft.OperationalInsights/workspaces/law-contoso-security";

fn names(manifest: &Value) -> Vec<String> {
    manifest["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_pack_holds_every_file_with_its_hash_and_names_what_is_missing() {
    let (env, _simulator) = initialised(TestEnv::new(), None, KEEPASS_PASSWORD);
    env.run(["apply", "--yes"]).assert_success();
    let dir = env.root().join("evidence");

    // Before any drill: the pack says so.
    let first = env.run([
        "evidence",
        "--out",
        dir.to_str().unwrap(),
        "--output",
        "json",
    ]);
    first.assert_success();
    let manifest = first.json();
    assert!(!names(&manifest).contains(&"last-drill.json".to_string()));
    let missing = manifest["missing"].to_string();
    assert!(
        missing.contains("no drill record") && missing.contains("--workspace"),
        "{missing}"
    );

    env.run(["drill"]).assert_success();
    let second = env.run([
        "evidence",
        "--out",
        dir.to_str().unwrap(),
        "--workspace",
        WORKSPACE,
        "--output",
        "json",
    ]);
    second.assert_success();
    let manifest = second.json();
    let files = names(&manifest);
    for expected in [
        "audit.json",
        "audit.html",
        "audit.sarif",
        "breakglass.toml",
        "last-drill.json",
        "last-drill.md",
        "monitor-identities.json",
        "rules-status.json",
    ] {
        assert!(
            files.contains(&expected.to_string()),
            "{expected}: {files:?}"
        );
    }
    assert_eq!(manifest["missing"], serde_json::json!([]));

    let check = Command::new("sha256sum")
        .args(["-c", "SHA256SUMS"])
        .current_dir(&dir)
        .output()
        .expect("sha256sum");
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    assert_eq!(
        String::from_utf8_lossy(&check.stdout)
            .matches(": OK")
            .count(),
        files.len()
    );

    use std::os::unix::fs::PermissionsExt as _;
    for name in files
        .iter()
        .chain(["manifest.json".to_string(), "SHA256SUMS".to_string()].iter())
    {
        let mode = std::fs::metadata(dir.join(name))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{name}");
    }
    let audit: Value =
        serde_json::from_slice(&std::fs::read(dir.join("audit.json")).unwrap()).unwrap();
    let tenant = audit["tenantId"].as_str().unwrap();
    let html = std::fs::read_to_string(dir.join("audit.html")).unwrap();
    assert!(html.contains(tenant));
    let drill: Value =
        serde_json::from_slice(&std::fs::read(dir.join("last-drill.json")).unwrap()).unwrap();
    assert_eq!(drill["tenantId"], tenant);
    let config = std::fs::read_to_string(dir.join("breakglass.toml")).unwrap();
    assert_eq!(
        config,
        std::fs::read_to_string(env.root().join("breakglass.toml")).unwrap()
    );
    assert!(!config.contains(KEEPASS_PASSWORD));
}

#[test]
fn an_emergency_use_is_recorded_as_one_with_its_note_for_the_review() {
    let (env, _simulator) = initialised(TestEnv::new(), None, KEEPASS_PASSWORD);
    env.run(["apply", "--yes"]).assert_success();
    let used = env.run([
        "drill",
        "--log-wait",
        "0",
        "--kind",
        "emergency",
        "--note",
        "INC-4711: Conditional Access locked every admin out",
        "--output",
        "json",
    ]);
    used.assert_success();
    let dir = env.root().join("evidence");
    env.run(["evidence", "--out", dir.to_str().unwrap()])
        .assert_success();
    let record: Value =
        serde_json::from_slice(&std::fs::read(dir.join("last-drill.json")).unwrap()).unwrap();
    assert_eq!(record["kind"], "emergency");
    assert_eq!(
        record["note"],
        "INC-4711: Conditional Access locked every admin out"
    );
    let markdown = std::fs::read_to_string(dir.join("last-drill.md")).unwrap();
    assert!(
        markdown.starts_with("# Emergency use of the emergency access"),
        "{markdown}"
    );
    assert!(markdown.contains("| what | emergency use |"), "{markdown}");

    let wrong = env.run(["drill", "--kind", "holiday"]);
    wrong.assert_code(2);
}
