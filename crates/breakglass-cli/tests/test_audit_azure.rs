//! `audit --azure` (issue 12, part 1, Azure reach): standing access administration at the root
//! of Azure, the Global Administrators who could elevate, and whether the emergency identities
//! keep a way onto the root management group. Each with its negative case, the report without
//! `--azure`, and an operator Resource Manager refuses.

use serde_json::{Value, json};

use crate::common::{TestEnv, edited_default_tenant, initialised};

const KEEPASS_PASSWORD: &str = "correct horse battery staple";
const OPERATOR: &str = "breakglass operator automation";

fn audit(env: &TestEnv, azure: bool) -> Vec<Value> {
    let mut args = vec!["audit", "--output", "json", "--fail-on", "never"];
    if azure {
        args.push("--azure");
    }
    let output = env.run(args);
    output.assert_success();
    output.json()["findings"]
        .as_array()
        .expect("findings")
        .clone()
}

fn of_check<'a>(results: &'a [Value], check: &str) -> Vec<&'a Value> {
    results.iter().filter(|f| f["check"] == check).collect()
}

fn evidence(finding: &Value) -> Vec<(String, String)> {
    finding["evidence"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            (
                e["name"].as_str().unwrap_or_default().to_string(),
                e["detail"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// The built-in tenant with two emergency users made by hand (the marker, no `apply`
/// needed), holding `emergency_roles`, Mallory, and `azure` at the root of Azure.
fn tenant(env: &TestEnv, emergency_roles: &[&str], azure: Value) -> std::path::PathBuf {
    edited_default_tenant(env, "tenant.json", |tenant| {
        let users = tenant["users"].as_array_mut().unwrap();
        for name in ["bg-one", "bg-two"] {
            users.push(json!({"displayName": name,
                "userPrincipalName": format!("{name}@contososim.onmicrosoft.com"),
                "password": "Sim-Emergency-Passw0rd!", "roles": emergency_roles,
                "employeeType": "breakglass:emergency-access"}));
        }
        users.push(
            json!({"displayName": "Mallory", "userPrincipalName": "mallory@contoso.example",
            "password": "Sim-Mallory-Passw0rd!", "roles": []}),
        );
        tenant["azureRoleAssignments"] = azure;
    })
}

fn operator_reader() -> Value {
    json!({"scope": "rootManagementGroup", "role": "Reader", "principal": OPERATOR})
}

#[test]
fn standing_access_administration_at_root_is_high_and_emergency_roles_are_listed() {
    let env = TestEnv::new();
    let tenant = tenant(
        &env,
        &["Global Administrator"],
        json!([
            operator_reader(),
            {"scope": "/", "role": "User Access Administrator", "principal": "mallory@contoso.example"},
            {"scope": "rootManagementGroup", "role": "Owner", "principal": "bg-one@contososim.onmicrosoft.com"}
        ]),
    );
    let (env, _simulator) = initialised(env, Some(&tenant), KEEPASS_PASSWORD);
    let results = audit(&env, true);

    let elevation = of_check(&results, "azure-elevation");
    let high: Vec<&&Value> = elevation
        .iter()
        .filter(|f| f["status"] == "finding")
        .collect();
    assert_eq!(high.len(), 1, "{elevation:#?}");
    assert_eq!(high[0]["severity"], "high");
    let (_, detail) = &evidence(high[0])[0];
    assert_eq!(detail, "User Access Administrator at / (root scope)");
    // Mallory holds no directory role, so the audit names her by object id.
    assert_eq!(high[0]["evidence"][0]["kind"], "user");
    let pass = elevation
        .iter()
        .find(|f| f["status"] == "pass")
        .expect("the list of who may elevate");
    let elevators: Vec<String> = evidence(pass).into_iter().map(|(n, _)| n).collect();
    for who in [
        "adele@contoso.example",
        "bg-one@contososim.onmicrosoft.com",
        "bg-two@contososim.onmicrosoft.com",
    ] {
        assert!(elevators.iter().any(|e| e == who), "{who}: {elevators:?}");
    }

    let root = of_check(&results, "azure-root-role");
    assert_eq!(root.len(), 1, "{root:#?}");
    assert_eq!(root[0]["status"], "pass");
    assert_eq!(
        evidence(root[0]),
        [(
            "bg-one@contososim.onmicrosoft.com".to_string(),
            "Owner at the root management group".to_string()
        )]
    );
}

#[test]
fn others_managing_root_access_while_no_emergency_identity_can_is_a_lockout_finding() {
    let env = TestEnv::new();
    // The emergency users are not Global Administrators, so none can elevate.
    let tenant = tenant(
        &env,
        &[],
        json!([
            operator_reader(),
            {"scope": "rootManagementGroup", "role": "Owner", "principal": "All Staff"}
        ]),
    );
    let (env, _simulator) = initialised(env, Some(&tenant), KEEPASS_PASSWORD);
    let results = audit(&env, true);
    let root = of_check(&results, "azure-root-role");
    assert_eq!(root.len(), 1, "{root:#?}");
    assert_eq!(root[0]["status"], "finding");
    assert_eq!(root[0]["severity"], "medium");
    assert_eq!(root[0]["evidence"][0]["kind"], "group");
    assert_eq!(
        root[0]["evidence"][0]["detail"],
        "Owner at the root management group"
    );
}

#[test]
fn a_root_with_no_standing_elevation_and_emergency_users_who_can_elevate_passes() {
    let env = TestEnv::new();
    let tenant = tenant(
        &env,
        &["Global Administrator"],
        json!([
            operator_reader(),
            {"scope": "rootManagementGroup", "role": "Owner", "principal": "All Staff"},
            {"scope": "/", "role": "Reader", "principal": "mallory@contoso.example"}
        ]),
    );
    let (env, _simulator) = initialised(env, Some(&tenant), KEEPASS_PASSWORD);
    let results = audit(&env, true);
    for check in ["azure-elevation", "azure-root-role"] {
        let all = of_check(&results, check);
        assert!(!all.is_empty(), "{check}");
        assert!(
            all.iter().all(|f| f["status"] == "pass"),
            "{check}: {all:#?}"
        );
    }
    let root = of_check(&results, "azure-root-role");
    assert!(
        root[0]["summary"]
            .as_str()
            .unwrap()
            .contains("bg-one@contososim.onmicrosoft.com"),
        "{root:#?}"
    );
}

#[test]
fn without_azure_the_azure_checks_are_not_in_the_report() {
    let env = TestEnv::new();
    let tenant = tenant(
        &env,
        &[],
        json!([
            operator_reader(),
            {"scope": "/", "role": "Owner", "principal": "mallory@contoso.example"}
        ]),
    );
    let (env, _simulator) = initialised(env, Some(&tenant), KEEPASS_PASSWORD);
    let results = audit(&env, false);
    assert!(!results.is_empty());
    assert!(
        results
            .iter()
            .all(|f| !f["check"].as_str().unwrap().starts_with("azure-")),
        "{results:#?}"
    );
}

#[test]
fn an_operator_without_an_azure_role_is_not_checked_naming_what_it_needs() {
    let env = TestEnv::new();
    let tenant = tenant(
        &env,
        &["Global Administrator"],
        json!([{"scope": "/", "role": "Owner", "principal": "mallory@contoso.example"}]),
    );
    let (env, _simulator) = initialised(env, Some(&tenant), KEEPASS_PASSWORD);
    let results = audit(&env, true);
    for check in ["azure-elevation", "azure-root-role"] {
        let all = of_check(&results, check);
        assert_eq!(all.len(), 1, "{check}: {all:#?}");
        assert_eq!(all[0]["status"], "notChecked");
        let hint = all[0]["hint"].as_str().unwrap();
        assert!(
            hint.contains("Reader") && hint.contains("root management group"),
            "{hint}"
        );
        assert!(all[0]["summary"].as_str().unwrap().contains("403"));
    }
    // A check not made fails the default threshold.
    env.run(["audit", "--azure"]).assert_code(12);
}

#[test]
fn an_elevation_on_a_later_page_is_found_through_next_link() {
    let env = TestEnv::new();
    // The simulator pages by 50: the standing elevation comes on the second page.
    let mut azure = vec![operator_reader()];
    for i in 0..60 {
        azure.push(json!({"scope": "rootManagementGroup", "role": "Reader",
            "principal": format!("00000000-0000-4000-8000-{i:012}")}));
    }
    azure.push(json!({"scope": "/", "role": "Owner", "principal": "mallory@contoso.example"}));
    let tenant = tenant(&env, &["Global Administrator"], Value::Array(azure));
    let (env, _simulator) = initialised(env, Some(&tenant), KEEPASS_PASSWORD);
    let results = audit(&env, true);
    let found: Vec<&Value> = of_check(&results, "azure-elevation")
        .into_iter()
        .filter(|f| f["status"] == "finding")
        .collect();
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0]["evidence"][0]["detail"], "Owner at / (root scope)");
}

#[test]
fn a_token_handed_in_is_refused_for_azure_before_anything_is_read() {
    let (env, _simulator) = initialised(TestEnv::new(), None, KEEPASS_PASSWORD);
    let output = env.run(["audit", "--azure", "--auth", "token-stdin"]);
    output.assert_code(2);
    assert!(
        output.stderr.contains("audit --azure") && output.stderr.contains("--auth device-code"),
        "{}",
        output.stderr
    );
}
