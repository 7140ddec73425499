//! `breakglass sim serve`: starts, writes its files, stops cleanly.

use crate::common::{Simulator, TestEnv};

#[test]
fn serve_writes_profile_and_credentials_and_stops_on_sigterm() {
    let env = TestEnv::new();
    let simulator = env.start_simulator();
    assert!(
        simulator.url().starts_with("https://127.0.0.1:"),
        "{}",
        simulator.url()
    );

    let profile: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(simulator.cloud_profile()).expect("read cloud.json"),
    )
    .expect("cloud.json is JSON");
    assert_eq!(profile["authorityHost"], simulator.url());
    assert_eq!(profile["graphEndpoint"], simulator.url());
    assert!(simulator.ca_certificate().is_file());

    let operator = simulator.operator_env();
    for key in ["AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"] {
        assert!(
            operator.get(key).is_some_and(|value| !value.is_empty()),
            "{key} missing"
        );
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(simulator.state_dir().join("operator.env"))
            .expect("stat operator.env")
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o077,
            0,
            "operator.env must not be readable by others"
        );
    }

    let (code, stderr) = simulator.stop();
    assert_eq!(code, Some(0), "stderr:\n{stderr}");
    assert!(stderr.contains("simulator stopped"), "{stderr}");
}

#[test]
fn serve_reuses_its_state_across_restarts() {
    let env = TestEnv::new();
    let state = env.root().join("state");
    let first = Simulator::start(&env, &state, None);
    let secret = first.operator_env()["AZURE_CLIENT_SECRET"].clone();
    first.stop();
    let second = Simulator::start(&env, &state, None);
    assert_eq!(second.operator_env()["AZURE_CLIENT_SECRET"], secret);
}

#[test]
fn serve_refuses_a_bad_tenant_file() {
    let env = TestEnv::new();
    let tenant = env.write_file("tenant.json", "{ not json");
    let output = env.run([
        "sim",
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--state-dir",
        env.root().join("state").to_str().expect("utf-8"),
        "--tenant",
        tenant.to_str().expect("utf-8"),
    ]);
    output.assert_code(3);
    assert!(output.stderr.contains("tenant.json"), "{output}");
}

#[test]
fn serve_reports_a_taken_port() {
    let env = TestEnv::new();
    let simulator = env.start_simulator();
    let output = env.run([
        "sim",
        "serve",
        "--listen",
        simulator.address(),
        "--state-dir",
        env.root().join("other").to_str().expect("utf-8"),
    ]);
    output.assert_code(6);
    assert_eq!(output.error_lines().len(), 1, "{output}");
    assert!(output.stderr.contains("cannot listen on"), "{output}");
}

#[test]
fn serve_json_prints_one_line_and_quiet_hides_status() {
    let env = TestEnv::new();
    let mut child = std::process::Command::new(crate::common::breakglass_bin())
        .env_clear()
        .env("HOME", env.root().join("home"))
        .args([
            "sim",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--quiet",
            "--output",
            "json",
            "--state-dir",
        ])
        .arg(env.root().join("state"))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start the simulator");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line)
        .expect("read a line");
    let json: serde_json::Value = serde_json::from_str(&line).expect("one JSON line");
    assert!(
        json["url"]
            .as_str()
            .is_some_and(|url| url.starts_with("https://127.0.0.1:")),
        "{json}"
    );
    assert!(
        json["cloudProfile"]
            .as_str()
            .is_some_and(|path| path.ends_with("cloud.json")),
        "{json}"
    );
    assert!(json.get("clientSecret").is_none(), "{json}");
    let pid = child.id().to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    let output = child.wait_with_output().expect("wait");
    assert_eq!(output.status.code(), Some(0));
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
