//! `breakglass tenant show` and `breakglass admins list` against the simulator.

use crate::common::TestEnv;

#[test]
fn tenant_show_human() {
    let mut env = TestEnv::new();
    let _simulator = env.with_simulator();
    let output = env.run(["tenant", "show"]);
    output.assert_success();
    let created = output
        .stdout
        .lines()
        .find(|line| line.contains("created"))
        .and_then(|line| line.split('┆').nth(1))
        .map(|cell| cell.trim_end_matches('│').trim().to_string())
        .unwrap_or_default();
    let output = output.redact(&created, "[created]");
    insta::assert_snapshot!(output.to_string(), @r"
    ╭──────────────┬──────────────────────────────────────╮
    │ tenant id    ┆ 6f1b4c2e-8a3d-4e5f-9b7a-2c4d6e8f0a1b │
    │ display name ┆ Contoso (simulated)                  │
    │ tenant type  ┆ AAD                                  │
    │ created      ┆ [created]                 │
    ╰──────────────┴──────────────────────────────────────╯
    ╭────────────────────────────┬─────────┬─────────┬─────────╮
    │ verified domain            ┆ initial ┆ default ┆ type    │
    ╞════════════════════════════╪═════════╪═════════╪═════════╡
    │ contoso.example            ┆         ┆ yes     ┆ Managed │
    │ contososim.onmicrosoft.com ┆ yes     ┆         ┆ Managed │
    ╰────────────────────────────┴─────────┴─────────┴─────────╯
    ");
}

#[test]
fn tenant_show_json() {
    let mut env = TestEnv::new();
    let simulator = env.with_simulator();
    let output = env.run(["tenant", "show", "--output", "json"]);
    output.assert_success();
    let json = output.json();
    assert_eq!(json["id"], simulator.operator_env()["AZURE_TENANT_ID"]);
    assert_eq!(json["displayName"], "Contoso (simulated)");
    let domains = json["verifiedDomains"].as_array().expect("domains");
    let initial: Vec<&str> = domains
        .iter()
        .filter(|domain| domain["isInitial"] == true)
        .map(|domain| domain["name"].as_str().expect("name"))
        .collect();
    assert_eq!(initial, ["contososim.onmicrosoft.com"]);
    assert_eq!(
        domains
            .iter()
            .filter(|domain| domain["isDefault"] == true)
            .count(),
        1
    );
    assert!(output.stderr.is_empty(), "{output}");
}

#[test]
fn tenant_id_must_be_a_guid_or_domain() {
    let mut env = TestEnv::new();
    env.set_env("AZURE_CLIENT_ID", "00000000-0000-0000-0000-000000000001");
    env.set_env("AZURE_CLIENT_SECRET", "irrelevant");
    let output = env.run(["tenant", "show", "--tenant", "not a tenant"]);
    output.assert_code(3);
    assert_eq!(
        output.error_lines(),
        ["error: invalid tenant: `not a tenant` is neither a directory GUID nor a domain name"]
    );
    assert!(output.stderr.contains("hint:"), "{output}");

    env.set_env("AZURE_TENANT_ID", "common");
    let output = env.run(["tenant", "show"]);
    output.assert_code(3);
    assert!(output.stderr.contains("multi-tenant alias"), "{output}");
}

#[test]
fn admins_list_human() {
    let mut env = TestEnv::new();
    let _simulator = env.with_simulator();
    let output = env.run(["admins", "list"]);
    output.assert_success();
    let lines: Vec<&str> = output.stdout.lines().collect();
    assert!(
        lines[1].contains("role") && lines[1].contains("principal id"),
        "{output}"
    );
    // Global Administrator comes first.
    assert!(
        lines[3].contains("Global Administrator *") && lines[3].contains("Adele Vance"),
        "{output}"
    );
    assert!(
        output.stdout.contains("breakglass operator automation"),
        "{output}"
    );
    assert!(output.stdout.contains("servicePrincipal"), "{output}");
    assert!(
        output
            .stdout
            .trim_end()
            .ends_with("6 assignments, 6 of a privileged role (*)."),
        "{output}"
    );
}

#[test]
fn admins_list_json() {
    let mut env = TestEnv::new();
    let _simulator = env.with_simulator();
    let output = env.run(["admins", "list", "-o", "json"]);
    output.assert_success();
    let json = output.json();
    let records = json.as_array().expect("an array");
    assert!(!records.is_empty());
    for record in records {
        for field in [
            "role",
            "roleDefinitionId",
            "principalDisplayName",
            "principalType",
            "principalId",
            "directoryScopeId",
            "assignmentId",
        ] {
            assert!(record[field].is_string(), "{field} missing in {record}");
        }
    }
    let first = &records[0];
    assert_eq!(first["role"], "Global Administrator");
    assert_eq!(
        first["roleDefinitionId"],
        "62e90394-69f5-4237-9190-012177145e10"
    );
    assert_eq!(first["principalType"], "user");
    assert_eq!(first["userPrincipalName"], "adele@contoso.example");
    assert_eq!(first["directoryScopeId"], "/");
    let operator = records
        .iter()
        .find(|record| record["principalType"] == "servicePrincipal")
        .expect("the operator app holds a role");
    assert_eq!(operator["role"], "Privileged Role Administrator");
    assert!(operator["appId"].is_string());
}
