//! `breakglass whoami`: who the token says we are.

use crate::common::TestEnv;

#[test]
fn whoami_shows_tenant_app_and_roles() {
    let mut env = TestEnv::new();
    let simulator = env.with_simulator();
    let operator = simulator.operator_env();
    let output = env.run(["whoami"]);
    output.assert_success();
    assert!(
        output.stdout.contains(&operator["AZURE_TENANT_ID"]),
        "{output}"
    );
    assert!(
        output.stdout.contains(&operator["AZURE_CLIENT_ID"]),
        "{output}"
    );
    assert!(output.stdout.contains("application"), "{output}");
    assert!(
        output
            .stdout
            .contains("Privileged Role Administrator (privileged)"),
        "{output}"
    );
    assert!(
        output.stdout.contains("RoleManagement.ReadWrite.Directory"),
        "{output}"
    );
    assert!(
        !output.stdout.contains(&operator["AZURE_CLIENT_SECRET"]),
        "{output}"
    );
}

#[test]
fn whoami_json() {
    let mut env = TestEnv::new();
    let simulator = env.with_simulator();
    let operator = simulator.operator_env();
    let output = env.run(["whoami", "-o", "json"]);
    output.assert_success();
    let json = output.json();
    assert_eq!(json["tenantId"], operator["AZURE_TENANT_ID"]);
    assert_eq!(json["appId"], operator["AZURE_CLIENT_ID"]);
    assert_eq!(json["kind"], "application");
    assert_eq!(json["signIn"], "client secret");
    assert_eq!(
        json["directoryRoles"][0]["templateId"],
        "e8611ab8-c189-46e8-94e1-60213ab1f814"
    );
    assert_eq!(
        json["directoryRoles"][0]["displayName"],
        "Privileged Role Administrator"
    );
}

#[test]
fn whoami_with_a_token_from_stdin() {
    let mut env = TestEnv::new();
    let simulator = env.with_simulator();
    // Get a token the ordinary way, then hand it in on stdin with no secret in the environment.
    let token = fetch_token(&env, &simulator);
    env.remove_env("AZURE_CLIENT_SECRET");
    let output = env.run_with_stdin(["whoami", "--auth", "token-stdin", "-o", "json"], &token);
    output.assert_success();
    assert_eq!(output.json()["signIn"], "access token from stdin");

    let output = env.run_with_stdin(
        ["tenant", "show", "--auth", "token-stdin", "-o", "json"],
        &token,
    );
    output.assert_success();
    assert_eq!(output.json()["displayName"], "Contoso (simulated)");
}

#[test]
fn garbage_on_stdin_is_an_authentication_error() {
    let mut env = TestEnv::new();
    let _simulator = env.with_simulator();
    let output = env.run_with_stdin(["whoami", "--auth", "token-stdin"], "hunter2\n");
    output.assert_code(4);
    assert!(!output.stderr.contains("hunter2"), "{output}");
}

#[test]
fn missing_credentials_are_a_configuration_error() {
    let mut env = TestEnv::new();
    let _simulator = env.with_simulator();
    env.remove_env("AZURE_CLIENT_SECRET");
    let output = env.run(["whoami"]);
    output.assert_code(3);
    assert!(output.stderr.contains("AZURE_CLIENT_SECRET"), "{output}");
}

#[test]
fn secrets_are_not_accepted_on_the_command_line() {
    let env = TestEnv::new();
    let output = env.run(["whoami", "--client-secret", "s3cr3t"]);
    output.assert_code(2);
    assert_eq!(output.error_lines().len(), 1, "{output}");
    assert!(
        output.stderr.contains("--client-secret"),
        "the flag is named as unknown: {output}"
    );
    assert!(
        !output.stderr.contains("s3cr3t") && !output.stdout.contains("s3cr3t"),
        "the secret is never echoed: {output}"
    );
}

/// A Graph token for the simulator's operator, from its token endpoint.
fn fetch_token(env: &TestEnv, simulator: &crate::common::Simulator) -> String {
    crate::common::client_credentials_token(env, simulator)
}
