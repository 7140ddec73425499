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

/// Each entry of a zip archive: its name, its contents' SHA-256 and its Unix mode, read with
/// Python's zipfile (an independent reader that also checks every entry's CRC).
fn zip_entries(path: &std::path::Path) -> Vec<(String, String, u32)> {
    let script = "import hashlib, json, sys, zipfile\n\
z = zipfile.ZipFile(sys.argv[1])\n\
assert z.testzip() is None\n\
print(json.dumps([[i.filename, hashlib.sha256(z.read(i)).hexdigest(), i.external_attr >> 16] for i in z.infolist()]))\n";
    let output = Command::new("python3")
        .args(["-c", script])
        .arg(path)
        .output()
        .expect("python3");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON from the script")
}

fn zip_member(path: &std::path::Path, name: &str) -> String {
    let output = Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile; sys.stdout.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]).decode())",
        ])
        .arg(path)
        .arg(name)
        .output()
        .expect("python3");
    assert!(output.status.success());
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn a_zip_out_holds_the_same_files_with_matching_sums_and_is_private() {
    let (env, _simulator) = initialised(TestEnv::new(), None, KEEPASS_PASSWORD);
    env.run(["apply", "--yes"]).assert_success();
    env.run(["drill"]).assert_success();
    let zip = env.root().join("pack.zip");
    let run = env.run([
        "evidence",
        "--out",
        zip.to_str().unwrap(),
        "--output",
        "json",
    ]);
    run.assert_success();
    let listed = names(&run.json());

    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(&zip).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let entries = zip_entries(&zip);
    let in_zip: Vec<&str> = entries.iter().map(|(n, _, _)| n.as_str()).collect();
    let mut expected: Vec<&str> = listed.iter().map(String::as_str).collect();
    expected.extend(["SHA256SUMS", "manifest.json"]);
    assert_eq!(in_zip, expected);
    for required in ["audit.json", "audit.html", "audit.sarif", "last-drill.json"] {
        assert!(in_zip.contains(&required), "{required}: {in_zip:?}");
    }
    assert!(
        entries.iter().all(|(_, _, mode)| mode & 0o777 == 0o600),
        "{entries:?}"
    );

    // SHA256SUMS names every file but itself and the manifest, each with its entry's hash.
    let sums = zip_member(&zip, "SHA256SUMS");
    assert_eq!(sums.lines().count(), listed.len());
    for line in sums.lines() {
        let (hash, name) = line.split_once("  ").expect("sha256sum format");
        let entry = entries.iter().find(|(n, _, _)| n == name).expect(name);
        assert_eq!(entry.1, hash, "{name}");
    }
    let manifest: Value = serde_json::from_str(&zip_member(&zip, "manifest.json")).unwrap();
    assert_eq!(names(&manifest), listed);
    // Nothing is left beside the archive: no folder of loose files, no temporary file.
    let beside: Vec<String> = std::fs::read_dir(env.root())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("pack"))
        .collect();
    assert_eq!(beside, ["pack.zip"]);
}

#[test]
fn a_zip_out_replaces_an_archive_as_the_folder_form_replaces_files_and_refuses_a_folder() {
    let (env, _simulator) = initialised(TestEnv::new(), None, KEEPASS_PASSWORD);
    env.run(["apply", "--yes"]).assert_success();
    let zip = env.root().join("pack.zip");
    std::fs::write(&zip, b"an older pack").unwrap();
    env.run(["evidence", "--out", zip.to_str().unwrap()])
        .assert_success();
    assert!(
        zip_entries(&zip)
            .iter()
            .any(|(n, _, _)| n == "manifest.json")
    );

    let folder = env.root().join("folder.zip");
    std::fs::create_dir(&folder).unwrap();
    let refused = env.run(["evidence", "--out", folder.to_str().unwrap()]);
    assert_ne!(refused.code, Some(0));
    assert!(
        refused.stderr.contains("is a folder, not an archive"),
        "{}",
        refused.stderr
    );
    assert_eq!(std::fs::read_dir(&folder).unwrap().count(), 0);
}
