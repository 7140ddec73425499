//! `token` and `exec`: an emergency credential from KeePass, from k of n Shamir shares, from a
//! recovery sheet's scanned text, or from the Azure SDK environment, against the simulator.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::ExposeSecret as _;
use serde_json::Value;

use crate::common::{InProcessSimulator, TenantGraph, TestEnv, breakglass_bin, initialised};

const KEEPASS_PASSWORD: &str = "correct horse battery staple";
const GLOBAL_ADMINISTRATOR: &str = "62e90394-69f5-4237-9190-012177145e10";

/// `init` + `apply --yes` against an in-process simulator; returns the emergency app's id.
fn provisioned() -> (TestEnv, InProcessSimulator, String) {
    let (env, simulator) = initialised(TestEnv::new(), None, KEEPASS_PASSWORD);
    env.run(["apply", "--yes"]).assert_success();
    let app_id = emergency_app_id(&simulator);
    (env, simulator, app_id)
}

/// The emergency app's client id, read from the tenant as an operator would.
fn emergency_app_id(simulator: &InProcessSimulator) -> String {
    let apps = TenantGraph::new(simulator).list(
        "applications",
        "tags/any(t:t eq 'breakglass:emergency-access')",
    );
    assert_eq!(apps.len(), 1, "{apps:?}");
    apps[0]["appId"].as_str().expect("appId").to_string()
}

/// The claims of a JWT, decoded without checking the signature.
fn claims(token: &str) -> Value {
    let payload = token.trim().split('.').nth(1).expect("a JWT");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("JSON")
}

fn assert_emergency_token(token: &str, app_id: &str) {
    let claims = claims(token);
    assert_eq!(claims["appid"], app_id, "{claims}");
    let wids: Vec<&str> = claims["wids"]
        .as_array()
        .expect("wids")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(wids.contains(&GLOBAL_ADMINISTRATOR), "{claims}");
}

/// The five share files `apply` wrote, by index (1-based).
fn share_files(env: &TestEnv) -> Vec<PathBuf> {
    let folder = env.root().join("recovery-sheets");
    (1..=5)
        .map(|i| {
            let suffix = format!("-{i}-of-5.txt");
            std::fs::read_dir(&folder)
                .expect("recovery-sheets")
                .map(|entry| entry.expect("entry").path())
                .find(|path| path.to_string_lossy().ends_with(&suffix))
                .unwrap_or_else(|| panic!("share {i} missing"))
        })
        .collect()
}

fn joined(paths: &[&PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(",")
}

#[test]
fn token_from_keepass_is_the_emergency_apps_and_json_looks_like_az() {
    let (env, _simulator, app_id) = provisioned();
    let output = env.run(["token", "--credential", "rotating"]);
    output.assert_success();
    assert_eq!(output.stdout.lines().count(), 1, "only the token: {output}");
    assert_emergency_token(&output.stdout, &app_id);

    let output = env.run(["token", "--credential", "rotating", "--output", "json"]);
    output.assert_success();
    let json = output.json();
    let token = json["accessToken"].as_str().expect("accessToken");
    assert_emergency_token(token, &app_id);
    assert_eq!(json["tokenType"], "Bearer");
    assert_eq!(json["tenant"], claims(token)["tid"]);
    assert!(json["subscription"].is_null(), "{json}");
    assert_eq!(json["expires_on"], claims(token)["exp"]);
    let expires_on = json["expiresOn"].as_str().expect("expiresOn");
    // "YYYY-MM-DD HH:MM:SS.ffffff", as az prints it.
    assert_eq!(expires_on.len(), 26, "{expires_on}");
    assert_eq!(&expires_on[10..11], " ");
    assert_eq!(&expires_on[19..20], ".");

    // Another resource.
    let output = env.run([
        "token",
        "--credential",
        "rotating",
        "--scope",
        "https://management.azure.com/.default",
    ]);
    output.assert_success();
    assert_eq!(
        claims(&output.stdout)["aud"],
        "https://management.azure.com"
    );
    let output = env.run(["token", "--scope", "https://management.azure.com/"]);
    output.assert_code(2);
    assert!(output.stderr.contains("/.default"), "{output}");

    // A label breakglass.toml does not declare.
    let output = env.run(["token", "--credential", "nope"]);
    output.assert_code(3);
    assert!(output.stderr.contains("rotating"), "{output}");
}

#[test]
fn token_from_the_environment_and_a_wrong_secret_explained() {
    let mut env = TestEnv::new();
    let simulator = InProcessSimulator::start(&env.root().join("sim"), None);
    simulator.configure(&mut env);
    let operator_id = simulator.operator().client_id.clone();

    let output = env.run(["token"]);
    output.assert_success();
    assert_eq!(claims(&output.stdout)["appid"], operator_id.as_str());
    assert!(output.stderr.is_empty(), "nothing else: {output}");

    let wrong = "Wr0ng~secret-value-that-must-not-leak";
    env.set_env("AZURE_CLIENT_SECRET", wrong);
    let output = env.run(["token"]);
    output.assert_code(4);
    assert!(output.stdout.is_empty(), "{output}");
    assert!(output.stderr.contains("AADSTS7000215"), "{output}");
    assert!(output.stderr.contains("hint:"), "{output}");
    assert!(!output.stderr.contains(wrong), "{output}");
    let verbose = env.run(["token", "--verbose"]);
    verbose.assert_code(4);
    assert!(!verbose.stderr.contains(wrong), "{verbose}");

    env.remove_env("AZURE_CLIENT_SECRET");
    let output = env.run(["token"]);
    output.assert_code(3);
    assert!(output.stderr.contains("AZURE_CLIENT_SECRET"), "{output}");
}

#[test]
fn token_from_any_three_of_five_shares_and_not_from_two() {
    let (env, _simulator, app_id) = provisioned();
    let shares = share_files(&env);
    for triple in [[0, 1, 2], [1, 3, 4], [4, 0, 2]] {
        let files: Vec<&PathBuf> = triple.iter().map(|&i| &shares[i]).collect();
        let output = env.run([
            "token",
            "--credential",
            "offline",
            "--shares",
            &joined(&files),
        ]);
        output.assert_success();
        assert_emergency_token(&output.stdout, &app_id);
    }
    // As a scanner reads a share sheet: a stray linear code read from the print comes first.
    let scanned: Vec<PathBuf> = [0, 2, 4]
        .iter()
        .map(|&i| {
            let share = std::fs::read_to_string(&shares[i]).expect("share");
            env.write_file(
                &format!("scanned-share-{i}.txt"),
                &format!("0171092210264363\n{share}"),
            )
        })
        .collect();
    let output = env.run([
        "token",
        "--shares",
        &joined(&scanned.iter().collect::<Vec<_>>()),
    ]);
    output.assert_success();
    assert_emergency_token(&output.stdout, &app_id);

    // Without `--credential` too: the shares say everything.
    let output = env.run([
        "token",
        "--shares",
        &joined(&[&shares[3], &shares[1], &shares[2]]),
    ]);
    output.assert_success();

    let output = env.run([
        "token",
        "--credential",
        "offline",
        "--shares",
        &joined(&[&shares[0], &shares[4]]),
    ]);
    output.assert_code(3);
    assert!(output.stdout.is_empty(), "{output}");
    assert!(
        output
            .stderr
            .contains("2 distinct share(s) given but 3 are needed"),
        "{output}"
    );

    // Asking for a shares credential without shares says what to pass.
    let output = env.run(["token", "--credential", "offline"]);
    output.assert_code(2);
    assert!(output.stderr.contains("--shares"), "{output}");
}

#[test]
fn token_from_a_recovery_sheets_scanned_qr_codes() {
    let (env, _simulator, app_id) = provisioned();
    let shares = share_files(&env);
    let parsed: Vec<breakglass_store::ShamirShare> = shares[..3]
        .iter()
        .map(|path| {
            breakglass_store::ShamirShare::from_scanned(
                &std::fs::read_to_string(path).expect("share"),
            )
            .expect("a share")
        })
        .collect();
    let payload = breakglass_store::combine(&parsed).expect("combined");
    // As zbarimg prints the codes of a sheet: prefixed, in scan order (here reversed).
    let mut lines: Vec<String> = payload
        .qr_texts()
        .iter()
        .map(|text| format!("QR-Code:{}", text.expose_secret()))
        .collect();
    assert!(lines.len() > 1, "a certificate takes several codes");
    lines.reverse();
    // zbarimg reads every symbology: a run of print may come back as a linear barcode.
    lines.insert(1, "I2/5:0171092210264363".to_string());
    let scanned = env.write_file("scanned.txt", &(lines.join("\n") + "\n"));
    let output = env.run(["token", "--sheet", &scanned.display().to_string()]);
    output.assert_success();
    assert_emergency_token(&output.stdout, &app_id);

    // Pasted on stdin.
    let output = env.run_with_stdin(["token", "--sheet", "-"], &lines.join("\n"));
    output.assert_success();
    assert_emergency_token(&output.stdout, &app_id);

    // A damaged payload is refused with a hint, and nothing of it is echoed.
    let mut damaged = payload.text().expose_secret().to_string();
    damaged.replace_range(40..41, if &damaged[40..41] == "A" { "B" } else { "A" });
    let file = env.write_file("damaged.txt", &damaged);
    let output = env.run(["token", "--sheet", &file.display().to_string()]);
    output.assert_code(3);
    assert!(output.stderr.contains("hint:"), "{output}");
    assert!(!output.stderr.contains(&damaged[20..60]), "{output}");
}

#[test]
fn exec_passes_the_credential_and_the_commands_status() {
    let (env, simulator, app_id) = provisioned();
    env.run([
        "exec",
        "--credential",
        "rotating",
        "--",
        "sh",
        "-c",
        "test -n \"$AZURE_CLIENT_ID\"",
    ])
    .assert_success();

    let script = r#"{
        printf 'tenant=%s\n' "$AZURE_TENANT_ID"
        printf 'client=%s\n' "$AZURE_CLIENT_ID"
        printf 'secret=%s\n' "${AZURE_CLIENT_SECRET:+set}"
        printf 'certificate=%s\n' "${AZURE_CLIENT_CERTIFICATE_PATH:-}"
        printf 'authority=%s\n' "${AZURE_AUTHORITY_HOST:-}"
        printf 'keepass=%s\n' "${BREAKGLASS_KEEPASS_PASSWORD:-}"
        printf 'label=%s\n' "${BREAKGLASS_CREDENTIAL:-}"
        printf 'token=%s\n' "$BREAKGLASS_ACCESS_TOKEN"
    } > env.txt; exit 7"#;
    let output = env.run(["exec", "--credential", "rotating", "--", "sh", "-c", script]);
    output.assert_code(7);
    assert!(output.error_lines().is_empty(), "{output}");
    let text = std::fs::read_to_string(env.root().join("env.txt")).expect("env.txt");
    let values: std::collections::BTreeMap<&str, &str> =
        text.lines().filter_map(|l| l.split_once('=')).collect();
    assert_eq!(values["tenant"], simulator.operator().tenant_id);
    assert_eq!(values["client"], app_id);
    assert_eq!(values["secret"], "set");
    assert_eq!(values["certificate"], "");
    assert!(
        values["authority"].starts_with("https://127.0.0.1:"),
        "{text}"
    );
    assert_eq!(values["keepass"], "", "the KeePass password stays behind");
    assert_eq!(values["label"], "rotating");
    assert_emergency_token(values["token"], &app_id);

    // Killed by a signal: 128 + 9.
    env.run([
        "exec",
        "--credential",
        "rotating",
        "--",
        "sh",
        "-c",
        "kill -KILL $$",
    ])
    .assert_code(137);

    let output = env.run([
        "exec",
        "--credential",
        "rotating",
        "--",
        "no-such-command-xyz",
    ]);
    output.assert_code(127);
    assert!(output.stderr.contains("no-such-command-xyz"), "{output}");
    assert!(output.stderr.contains("not found"), "{output}");
}

#[test]
fn exec_with_a_certificate_removes_its_temporary_file() {
    let (env, _simulator, app_id) = provisioned();
    let shares = share_files(&env);
    let files = joined(&[&shares[0], &shares[2], &shares[4]]);
    let script = r#"p="$AZURE_CLIENT_CERTIFICATE_PATH"
        echo "$p" > path.txt
        stat -c %a "$p" > mode.txt
        grep -q 'BEGIN PRIVATE KEY' "$p" && grep -q 'BEGIN CERTIFICATE' "$p" || exit 9
        test -z "${AZURE_CLIENT_SECRET:-}" || exit 10
        printf '%s' "$BREAKGLASS_ACCESS_TOKEN" > token.txt"#;
    let output = env.run([
        "exec",
        "--credential",
        "offline",
        "--shares",
        &files,
        "--",
        "sh",
        "-c",
        script,
    ]);
    output.assert_success();
    let path = std::fs::read_to_string(env.root().join("path.txt")).expect("path.txt");
    let path = Path::new(path.trim());
    assert!(path.is_absolute(), "{}", path.display());
    assert_eq!(
        std::fs::read_to_string(env.root().join("mode.txt"))
            .expect("mode")
            .trim(),
        "600"
    );
    assert!(!path.exists(), "{} was left behind", path.display());
    assert_emergency_token(
        &std::fs::read_to_string(env.root().join("token.txt")).expect("token"),
        &app_id,
    );
}

#[test]
fn exec_terminated_passes_the_signal_on_and_still_removes_the_certificate() {
    let (env, _simulator, _app_id) = provisioned();
    let shares = share_files(&env);
    let files = joined(&[&shares[1], &shares[2], &shares[3]]);
    let path_file = env.root().join("path.txt");
    let mut child = std::process::Command::new(breakglass_bin())
        .env_clear()
        .current_dir(env.root())
        .env("HOME", env.root().join("home"))
        .env("NO_COLOR", "1")
        .env("PATH", "/usr/bin:/bin")
        .envs(env.vars())
        .args(["exec", "--credential", "offline", "--shares", &files, "--"])
        .args([
            "sh",
            "-c",
            "echo \"$AZURE_CLIENT_CERTIFICATE_PATH\" > path.tmp && mv path.tmp path.txt && exec sleep 30",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start breakglass exec");
    let started = Instant::now();
    while !path_file.exists() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the command never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let path = PathBuf::from(
        std::fs::read_to_string(&path_file)
            .expect("path.txt")
            .trim(),
    );
    assert!(
        path.exists(),
        "the certificate file exists while the command runs"
    );
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(sent.success());
    let waited = Instant::now();
    let output = loop {
        if child.try_wait().expect("try_wait").is_some() {
            break child.wait_with_output().expect("output");
        }
        assert!(
            waited.elapsed() < Duration::from_secs(20),
            "breakglass did not end after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    // sleep died of the forwarded SIGTERM: 128 + 15.
    assert_eq!(
        output.status.code(),
        Some(143),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!path.exists(), "{} was left behind", path.display());
}
