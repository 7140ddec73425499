//! Failures: one `error:` line, a hint, the documented exit code, no secrets.

use crate::common::{Simulator, TestEnv};

#[test]
fn wrong_secret_explains_aadsts7000215_without_echoing_it() {
    let mut env = TestEnv::new();
    let _simulator = env.with_simulator();
    let wrong = "Wr0ng~Secret~Value~1234567890";
    env.set_env("AZURE_CLIENT_SECRET", wrong);
    let output = env.run(["whoami"]);
    output.assert_code(4);
    assert!(output.stdout.is_empty(), "{output}");
    let errors = output.error_lines();
    assert_eq!(errors.len(), 1, "{output}");
    assert!(errors[0].contains("AADSTS7000215"), "{output}");
    assert!(output.stderr.contains("hint: AADSTS7000215:"), "{output}");
    assert!(output.stderr.contains("Secret ID"), "{output}");
    assert!(
        !output.stderr.contains(wrong),
        "the secret leaked:\n{output}"
    );

    // Verbose output adds causes but still no secret.
    let output = env.run(["whoami", "--verbose"]);
    output.assert_code(4);
    assert!(
        !output.stderr.contains(wrong),
        "the secret leaked:\n{output}"
    );
}

#[test]
fn unknown_client_id_is_an_authentication_error() {
    let mut env = TestEnv::new();
    let _simulator = env.with_simulator();
    env.set_env("AZURE_CLIENT_ID", "11111111-2222-3333-4444-555555555555");
    let output = env.run(["tenant", "show"]);
    output.assert_code(4);
    assert!(output.stderr.contains("AADSTS700016"), "{output}");
}

#[test]
fn unreachable_endpoint_is_a_network_error_in_one_line() {
    let mut env = TestEnv::new();
    // Find a port that nobody listens on: bind, note it, close.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address").port()
    };
    let profile = env.write_file(
        "closed/cloud.json",
        &format!(
            r#"{{"name":"closed","authorityHost":"https://127.0.0.1:{port}","graphEndpoint":"https://127.0.0.1:{port}"}}"#
        ),
    );
    env.set_env("BREAKGLASS_CLOUD", profile.display().to_string());
    env.set_env("AZURE_TENANT_ID", "contoso.onmicrosoft.com");
    env.set_env("AZURE_CLIENT_ID", "00000000-0000-0000-0000-000000000001");
    env.set_env("AZURE_CLIENT_SECRET", "not-used-for-anything");
    let output = env.run(["whoami"]);
    output.assert_code(6);
    assert_eq!(
        output.error_lines(),
        [format!(
            "error: cannot reach https://127.0.0.1:{port}: Connection refused (os error 111)"
        )
        .as_str()],
        "{output}"
    );
}

#[test]
fn certificate_from_another_ca_is_a_network_error_naming_the_ca() {
    let mut env = TestEnv::new();
    let simulator = env.with_simulator();
    // A second simulator has its own CA; trust that one instead.
    let other = Simulator::start(&env, &env.root().join("other"), None);
    let profile = env.write_file(
        "mismatch.json",
        &format!(
            r#"{{"name":"mismatch","authorityHost":"{url}","graphEndpoint":"{url}","caCertificate":"{ca}"}}"#,
            url = simulator.url(),
            ca = other.ca_certificate().display()
        ),
    );
    env.set_env("BREAKGLASS_CLOUD", profile.display().to_string());
    let output = env.run(["whoami"]);
    output.assert_code(6);
    let errors = output.error_lines();
    assert_eq!(errors.len(), 1, "{output}");
    assert!(errors[0].contains("not issued by the CA"), "{output}");
    assert!(
        errors[0].contains(&other.ca_certificate().display().to_string()),
        "{output}"
    );
}

#[test]
fn malformed_profile_fails_before_any_sign_in() {
    let mut env = TestEnv::new();
    let profile = env.write_file(
        "cloud.json",
        r#"{"authorityHost": "https://a", "graphEndpoint": 7}"#,
    );
    env.set_env("BREAKGLASS_CLOUD", profile.display().to_string());
    env.set_env("AZURE_TENANT_ID", "contoso.onmicrosoft.com");
    env.set_env("AZURE_CLIENT_ID", "00000000-0000-0000-0000-000000000001");
    env.set_env("AZURE_CLIENT_SECRET", "not-used-for-anything");
    let output = env.run(["admins", "list"]);
    output.assert_code(3);
    assert!(
        output.error_lines()[0].contains(&profile.display().to_string()),
        "{output}"
    );
}
