//! `breakglass cloud list|show` and how `--cloud` is resolved.

use crate::common::TestEnv;

#[test]
fn cloud_list_names_the_built_in_clouds() {
    let env = TestEnv::new();
    let output = env.run(["cloud", "list"]);
    output.assert_success();
    insta::assert_snapshot!(output.to_string(), @r"
    ╭────────┬───────────────────────────────────┬─────────────────────────────────────────┬──────────────────────────────────────╮
    │ name   ┆ authority host                    ┆ Microsoft Graph                         ┆ Resource Manager                     │
    ╞════════╪═══════════════════════════════════╪═════════════════════════════════════════╪══════════════════════════════════════╡
    │ public ┆ https://login.microsoftonline.com ┆ https://graph.microsoft.com             ┆ https://management.azure.com         │
    │ usgov  ┆ https://login.microsoftonline.us  ┆ https://graph.microsoft.us              ┆ https://management.usgovcloudapi.net │
    │ china  ┆ https://login.chinacloudapi.cn    ┆ https://microsoftgraph.chinacloudapi.cn ┆ https://management.chinacloudapi.cn  │
    ╰────────┴───────────────────────────────────┴─────────────────────────────────────────┴──────────────────────────────────────╯
    A custom cloud is a JSON profile: `--cloud path/to/cloud.json`.
    ");
}

#[test]
fn cloud_list_json() {
    let env = TestEnv::new();
    let output = env.run(["cloud", "list", "--output", "json"]);
    output.assert_success();
    let json = output.json();
    let names: Vec<&str> = json
        .as_array()
        .expect("an array")
        .iter()
        .map(|cloud| cloud["name"].as_str().expect("a name"))
        .collect();
    assert_eq!(names, ["public", "usgov", "china"]);
    assert_eq!(json[1]["graphScope"], "https://graph.microsoft.us/.default");
}

#[test]
fn cloud_show_applies_env_and_authority_host() {
    let mut env = TestEnv::new();
    env.set_env("BREAKGLASS_CLOUD", "usgov");
    env.set_env("AZURE_AUTHORITY_HOST", "https://login.example.test");
    let output = env.run(["cloud", "show", "-o", "json"]);
    output.assert_success();
    let json = output.json();
    assert_eq!(json["name"], "usgov");
    assert_eq!(json["authorityHost"], "https://login.example.test");
    assert_eq!(json["authorityHostOverride"], "https://login.example.test");
    assert_eq!(json["graphEndpoint"], "https://graph.microsoft.us");
}

#[test]
fn custom_profile_resolves_relative_ca() {
    let env = TestEnv::new();
    env.write_file("profiles/ca.pem", "not checked by cloud show\n");
    let profile = env.write_file(
        "profiles/cloud.json",
        r#"{"name":"lab","authorityHost":"https://127.0.0.1:9","graphEndpoint":"https://127.0.0.1:9","caCertificate":"ca.pem"}"#,
    );
    let output = env.run([
        "--cloud",
        profile.to_str().expect("utf-8 path"),
        "cloud",
        "show",
        "-o",
        "json",
    ]);
    output.assert_success();
    let json = output.json();
    assert_eq!(json["name"], "lab");
    assert_eq!(
        json["caCertificate"],
        env.root().join("profiles/ca.pem").display().to_string()
    );
}

#[test]
fn malformed_profile_is_a_configuration_error_naming_the_file() {
    let env = TestEnv::new();
    let profile = env.write_file("broken.json", "{\"authorityHost\": ");
    let output = env.run([
        "--cloud",
        profile.to_str().expect("utf-8 path"),
        "cloud",
        "show",
    ]);
    output.assert_code(3);
    assert!(output.stdout.is_empty());
    let errors = output.error_lines();
    assert_eq!(errors.len(), 1, "{output}");
    assert!(
        errors[0].contains(&profile.display().to_string()),
        "{output}"
    );
    assert!(output.stderr.contains("hint:"), "{output}");
}

#[test]
fn http_endpoint_in_profile_is_refused() {
    let env = TestEnv::new();
    let profile = env.write_file(
        "http.json",
        r#"{"authorityHost":"http://login.example","graphEndpoint":"https://graph.example"}"#,
    );
    let output = env.run([
        "--cloud",
        profile.to_str().expect("utf-8 path"),
        "cloud",
        "show",
    ]);
    output.assert_code(3);
    assert!(output.stderr.contains("not an https URL"), "{output}");
}

#[test]
fn missing_profile_file_and_unknown_cloud_are_configuration_errors() {
    let env = TestEnv::new();
    let output = env.run(["--cloud", "./nope.json", "cloud", "show"]);
    output.assert_code(3);
    assert!(output.stderr.contains("nope.json"), "{output}");

    let output = env.run(["--cloud", "moon", "cloud", "show"]);
    output.assert_code(3);
    assert!(output.stderr.contains("unknown cloud `moon`"), "{output}");
}

#[test]
fn profile_with_missing_ca_is_a_configuration_error() {
    let env = TestEnv::new();
    let profile = env.write_file(
        "cloud.json",
        r#"{"authorityHost":"https://127.0.0.1:9","graphEndpoint":"https://127.0.0.1:9","caCertificate":"missing-ca.pem"}"#,
    );
    let output = env.run([
        "--cloud",
        profile.to_str().expect("utf-8 path"),
        "cloud",
        "show",
    ]);
    output.assert_code(3);
    assert!(output.stderr.contains("missing-ca.pem"), "{output}");
}
