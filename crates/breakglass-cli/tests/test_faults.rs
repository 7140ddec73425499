//! Service failures map to their exit codes: throttling (7), authorization (5), service (1).

use breakglass_sim::FaultRule;

use crate::common::{InProcessSimulator, Simulator, TestEnv, edited_default_tenant};

#[test]
fn throttling_beyond_the_retry_budget_exits_7() {
    let mut env = TestEnv::new();
    let simulator = InProcessSimulator::start(&env.root().join("sim"), None);
    simulator.configure(&mut env);
    simulator.set_faults(vec![FaultRule {
        path_prefix: Some("/v1.0/roleManagement".to_string()),
        status: Some(429),
        retry_after_seconds: Some(1),
        ..FaultRule::default()
    }]);
    let output = env.run(["admins", "list", "--retry-budget", "2"]);
    output.assert_code(7);
    assert!(
        simulator.fault_hits()[0] > 1,
        "retried while the budget lasted"
    );
    assert!(output.stdout.is_empty(), "{output}");
    assert_eq!(output.error_lines().len(), 1, "{output}");
    assert!(output.stderr.contains("429"), "{output}");
    assert!(output.stderr.contains("--retry-budget"), "{output}");
}

#[test]
fn a_passing_throttle_is_retried_transparently() {
    let mut env = TestEnv::new();
    let simulator = InProcessSimulator::start(&env.root().join("sim"), None);
    simulator.configure(&mut env);
    simulator.set_faults(vec![FaultRule {
        path_prefix: Some("/v1.0/organization".to_string()),
        status: Some(429),
        retry_after_seconds: Some(0),
        times: Some(1),
        ..FaultRule::default()
    }]);
    let output = env.run(["tenant", "show", "-o", "json"]);
    output.assert_success();
    assert_eq!(output.json()["displayName"], "Contoso (simulated)");
    assert_eq!(simulator.fault_hits(), [1], "the 429 was answered once");
}

#[test]
fn persistent_server_errors_exit_1() {
    let mut env = TestEnv::new();
    let simulator = InProcessSimulator::start(&env.root().join("sim"), None);
    simulator.configure(&mut env);
    simulator.set_faults(vec![FaultRule {
        path_prefix: Some("/v1.0/organization".to_string()),
        status: Some(500),
        ..FaultRule::default()
    }]);
    let output = env.run(["tenant", "show", "--retry-budget", "1"]);
    output.assert_code(1);
    assert_eq!(output.error_lines().len(), 1, "{output}");
    assert!(output.stderr.contains("500"), "{output}");
    assert!(output.stderr.contains("hint: "), "{output}");
    assert!(
        simulator.fault_hits()[0] > 1,
        "a 500 is retried before giving up: {:?}",
        simulator.fault_hits()
    );
}

#[test]
fn missing_permissions_exit_5_with_a_hint() {
    let env_for_file = TestEnv::new();
    // The operator app without application permissions or directory roles.
    let tenant = edited_default_tenant(&env_for_file, "powerless.json", |tenant| {
        for app in tenant["applications"].as_array_mut().expect("applications") {
            if app["operator"] == true {
                app["applicationPermissions"] = serde_json::json!([]);
                app["roles"] = serde_json::json!([]);
            }
        }
    });
    let mut env = env_for_file;
    let simulator = Simulator::start(&env, &env.root().join("sim"), Some(&tenant));
    env.use_simulator(&simulator);

    let output = env.run(["whoami"]);
    output.assert_success();
    assert!(output.stderr.contains("warning:"), "{output}");

    let output = env.run(["admins", "list"]);
    output.assert_code(5);
    assert_eq!(output.error_lines().len(), 1, "{output}");
    assert!(output.stderr.contains("403"), "{output}");
    assert!(
        output.stderr.contains("RoleManagement.Read.Directory"),
        "{output}"
    );
}
