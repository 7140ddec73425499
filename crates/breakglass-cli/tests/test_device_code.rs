//! `--auth device-code`: a person signs in in a browser with the code shown on stderr.

use std::io::{BufRead as _, BufReader};
use std::process::Stdio;
use std::time::Duration;

use crate::common::{Simulator, TestEnv, breakglass_bin};

/// Approves (or declines) a device code on the simulator's sign-in page, as a browser would.
fn answer_device_code(
    simulator: &Simulator,
    user_code: &str,
    login: &str,
    password: &str,
    action: &str,
) -> u16 {
    let ca = std::fs::read(simulator.ca_certificate()).expect("read ca.pem");
    let ca = reqwest::Certificate::from_pem(&ca).expect("a PEM certificate");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let client = reqwest::Client::builder()
            .tls_certs_only([ca])
            .build()
            .expect("an HTTP client");
        client
            .post(format!("{}/devicelogin", simulator.url()))
            .form(&[
                ("user_code", user_code),
                ("login", login),
                ("password", password),
                ("action", action),
            ])
            .send()
            .await
            .expect("post the sign-in form")
            .status()
            .as_u16()
    })
}

/// Starts `breakglass ARGS --auth device-code`, waits for the prompt, returns the child
/// and the user code it showed, the prompt line, and a handle yielding all of stderr.
fn start_device_code(
    env: &TestEnv,
    args: &[&str],
) -> (
    std::process::Child,
    String,
    String,
    std::thread::JoinHandle<String>,
) {
    let mut cmd = std::process::Command::new(breakglass_bin());
    cmd.env_clear()
        .env("HOME", env.root().join("home"))
        .env("NO_COLOR", "1")
        .envs(env.vars())
        .args(args)
        .args(["--auth", "device-code"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("start breakglass");
    let stderr = child.stderr.take().expect("piped stderr");
    let (sender, receiver) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut seen = String::new();
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            seen.push_str(&line);
            seen.push('\n');
            if let Some(rest) = line.split("enter the code ").nth(1) {
                let code = rest
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_string();
                let _ = sender.send((code, line.clone()));
            }
        }
        seen
    });
    let (code, prompt) = receiver
        .recv_timeout(Duration::from_secs(30))
        .expect("breakglass showed a device code prompt on stderr");
    (child, code, prompt, reader)
}

#[test]
fn device_code_sign_in_as_a_global_administrator() {
    let mut env = TestEnv::new();
    let simulator = env.with_simulator();
    env.remove_env("AZURE_CLIENT_ID");
    env.remove_env("AZURE_CLIENT_SECRET");
    let (child, code, prompt, _stderr) = start_device_code(&env, &["whoami", "--output", "json"]);
    assert!(prompt.contains("/devicelogin"), "{prompt}");
    let status = answer_device_code(
        &simulator,
        &code,
        "adele@contoso.example",
        "Sim-Adele-Passw0rd!",
        "approve",
    );
    assert_eq!(status, 200);
    let output = child.wait_with_output().expect("wait for breakglass");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(json["kind"], "user");
    assert_eq!(json["user"], "adele@contoso.example");
    assert_eq!(json["signIn"], "device code");
    let roles: Vec<&str> = json["directoryRoles"]
        .as_array()
        .expect("roles")
        .iter()
        .filter_map(|role| role["displayName"].as_str())
        .collect();
    assert!(roles.contains(&"Global Administrator"), "{json}");
}

#[test]
fn declined_device_code_is_an_authentication_error() {
    let mut env = TestEnv::new();
    let simulator = env.with_simulator();
    env.remove_env("AZURE_CLIENT_ID");
    env.remove_env("AZURE_CLIENT_SECRET");
    let (child, code, _, stderr) = start_device_code(&env, &["tenant", "show"]);
    let status = answer_device_code(
        &simulator,
        &code,
        "adele@contoso.example",
        "Sim-Adele-Passw0rd!",
        "decline",
    );
    assert_eq!(status, 200);
    let output = child.wait_with_output().expect("wait for breakglass");
    let stderr = stderr.join().expect("the stderr reader");
    assert_eq!(output.status.code(), Some(4), "{stderr}");
    assert!(output.stdout.is_empty());
    assert_eq!(
        stderr
            .lines()
            .filter(|line| line.starts_with("error:"))
            .count(),
        1,
        "{stderr}"
    );
}
