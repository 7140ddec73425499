//! `breakglass demo`: runs to completion, readable and as JSON.

use crate::common::TestEnv;

#[test]
fn demo_runs_to_completion() {
    let env = TestEnv::new();
    let output = env.run(["demo"]);
    output.assert_success();
    for step in 1..=5 {
        assert!(
            output.stdout.contains(&format!("Step {step}/5")),
            "{output}"
        );
    }
    assert!(
        output
            .stdout
            .contains("Sign in as the emergency-access app"),
        "{output}"
    );
    assert!(output.stdout.contains("Contoso (simulated)"), "{output}");
    assert!(output.stdout.contains("Global Administrator *"), "{output}");
    assert!(output.stdout.contains("Done:"), "{output}");
}

#[test]
fn demo_json_records_the_steps() {
    let env = TestEnv::new();
    let state = env.root().join("demo-state");
    let output = env.run([
        "demo",
        "--output",
        "json",
        "--state-dir",
        state.to_str().expect("utf-8"),
    ]);
    output.assert_success();
    let json = output.json();
    assert_eq!(json["ok"], true);
    let steps = json["steps"].as_array().expect("steps");
    assert_eq!(steps.len(), 5);
    assert_eq!(steps[2]["title"], "Sign in as the emergency-access app");
    assert_eq!(steps[2]["result"]["kind"], "application");
    assert_eq!(steps[3]["result"]["displayName"], "Contoso (simulated)");
    assert!(
        steps[4]["result"]
            .as_array()
            .is_some_and(|admins| !admins.is_empty())
    );
    // The demo never prints the operator's secret.
    let secret = std::fs::read_to_string(state.join("operator.env"))
        .expect("operator.env is kept with --state-dir")
        .lines()
        .find_map(|line| line.strip_prefix("AZURE_CLIENT_SECRET="))
        .expect("a secret line")
        .to_string();
    assert!(!output.stdout.contains(&secret) && !output.stderr.contains(&secret));
}
