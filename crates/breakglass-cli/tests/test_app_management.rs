//! App management policies through the real binary (issue 11, part 1): a tenant baseline that
//! forbids new client secrets and caps certificate lifetimes is named by `plan`, stops `apply`
//! and `credential rotate` before anything changes, and is an `audit` finding; the simulator
//! refuses what the policy forbids, as Entra does.

use serde_json::{Value, json};

use crate::common::{
    TenantGraph, TestEnv, edited_default_tenant, initialised, operator_permissions,
};

const KEEPASS_PASSWORD: &str = "correct horse battery staple";

/// A baseline as many tenants set it: no new secrets, certificates for a year at most.
fn baseline() -> Value {
    json!({
        "isEnabled": true,
        "applicationRestrictions": {
            "passwordCredentials": [
                {"restrictionType": "passwordAddition", "state": "enabled", "maxLifetime": null,
                 "restrictForAppsCreatedAfterDateTime": "2020-01-01T00:00:00Z"}
            ],
            "keyCredentials": [
                {"restrictionType": "asymmetricKeyLifetime", "state": "enabled", "maxLifetime": "P1Y",
                 "restrictForAppsCreatedAfterDateTime": null}
            ]
        }
    })
}

fn tenant(env: &TestEnv, policy: Option<Value>) -> std::path::PathBuf {
    edited_default_tenant(env, "tenant.json", |tenant| {
        operator_permissions(tenant).push(json!("Policy.ReadWrite.ApplicationConfiguration"));
        if let Some(policy) = policy {
            tenant["defaultAppManagementPolicy"] = policy;
        }
    })
}

#[test]
fn a_baseline_is_named_by_plan_and_stops_apply_before_any_change() {
    let env = TestEnv::new();
    let file = tenant(&env, Some(baseline()));
    let (env, simulator) = initialised(env, Some(&file), KEEPASS_PASSWORD);

    let plan = env.run(["plan", "--output", "json"]);
    plan.assert_success();
    let notices: Vec<String> = plan.json()["notices"]
        .as_array()
        .expect("notices")
        .iter()
        .map(|n| n["message"].as_str().unwrap_or_default().to_string())
        .collect();
    for label in ["rotating", "offline"] {
        assert!(
            notices
                .iter()
                .any(|n| n.starts_with(&format!("credential `{label}` cannot be added"))),
            "{label}: {notices:#?}"
        );
    }
    let human = env.run(["plan"]);
    assert!(
        human.stdout.contains("forbids new client secrets"),
        "{human}"
    );

    let apply = env.run(["apply", "--yes"]);
    apply.assert_code(3);
    assert!(
        apply
            .stderr
            .contains("the tenant would refuse credential `offline`"),
        "{apply}"
    );
    assert!(apply.stderr.contains("nothing was changed"), "{apply}");
    assert!(
        TenantGraph::new(&simulator).emergency_apps().is_empty(),
        "apply made nothing"
    );
}

#[test]
fn a_baseline_set_later_stops_rotation_is_an_audit_finding_and_the_simulator_refuses_it() {
    let env = TestEnv::new();
    let file = tenant(&env, None);
    let (env, simulator) = initialised(env, Some(&file), KEEPASS_PASSWORD);
    env.run(["apply", "--yes"]).assert_success();
    let probe = TenantGraph::new(&simulator);
    let before = probe.emergency_app()["passwordCredentials"].clone();

    probe.patch("policies/defaultAppManagementPolicy", baseline());
    let rotate = env.run(["credential", "rotate", "rotating"]);
    rotate.assert_code(3);
    assert!(
        rotate
            .stderr
            .contains("the tenant would refuse a new `rotating` credential"),
        "{rotate}"
    );
    assert_eq!(
        probe.emergency_app()["passwordCredentials"],
        before,
        "the rotation changed nothing"
    );

    let audit = env.run(["audit", "--output", "json", "--fail-on", "never"]);
    audit.assert_success();
    let findings = audit.json()["findings"].clone();
    let refused: Vec<&Value> = findings
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["check"] == "app-management-policy" && f["status"] == "finding")
        .collect();
    assert_eq!(refused.len(), 2, "{findings:#}");
    assert!(refused.iter().all(|f| f["severity"] == "high"));

    // Entra itself refuses the secret, whoever asks.
    let app_object = probe.emergency_app()["id"].as_str().unwrap().to_string();
    let refused = probe.try_post(
        &format!("applications/{app_object}/addPassword"),
        json!({"passwordCredential": {"displayName": "by hand"}}),
    );
    assert_eq!(refused.err(), Some(Some(400)));
}

fn exempt(env: &TestEnv) {
    let path = env.root().join("breakglass.toml");
    let text = std::fs::read_to_string(&path).expect("breakglass.toml");
    let on = text.replace(
        "exempt_from_app_management_policy = false",
        "exempt_from_app_management_policy = true",
    );
    assert_ne!(on, text, "the starter declares the option");
    std::fs::write(&path, on).expect("write");
}

fn own_policies(probe: &TenantGraph) -> Vec<Value> {
    probe
        .list("policies/appManagementPolicies", "")
        .into_iter()
        .filter(|p| p["displayName"] == "breakglass: emergency access credentials")
        .collect()
}

#[test]
fn with_the_exemption_apply_gives_the_app_a_policy_of_its_own_once_even_when_killed() {
    let env = TestEnv::new();
    let file = tenant(&env, Some(baseline()));
    let (env, simulator) = initialised(env, Some(&file), KEEPASS_PASSWORD);
    exempt(&env);

    let plan = env.run(["plan", "--output", "json"]);
    plan.assert_success();
    let kinds: Vec<String> = plan.json()["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .map(|a| a["action"].as_str().unwrap_or_default().to_string())
        .collect();
    let at = |kind: &str| kinds.iter().position(|k| k == kind).expect(kind);
    assert!(at("createAppManagementPolicy") < at("assignAppManagementPolicy"));
    assert!(
        at("assignAppManagementPolicy") < at("addCredential"),
        "{kinds:?}"
    );
    assert!(!plan.stdout.contains("cannot be added"), "{plan}");

    // Killed once the policy exists but before apply learned its id: the next run finds it
    // by name and makes no second one.
    let probe = TenantGraph::new(&simulator);
    assert!(crate::common::kill_apply_at(
        &env,
        &simulator,
        Some("POST"),
        "/v1.0/policies/appManagementPolicies",
        1
    ));
    simulator.set_faults(Vec::new());
    env.run(["apply", "--yes"]).assert_success();
    assert_eq!(own_policies(&probe).len(), 1);
    let app_object = probe.emergency_app()["id"].as_str().unwrap().to_string();
    let assigned = probe.list(
        &format!("applications/{app_object}/appManagementPolicies"),
        "",
    );
    assert_eq!(assigned[0]["id"], own_policies(&probe)[0]["id"]);

    let again = env.run(["apply", "--yes"]);
    again.assert_success();
    assert!(again.stdout.contains("Nothing to do"), "{again}");
    env.run(["credential", "rotate", "rotating"])
        .assert_success();
    let audit = env.run(["audit", "--output", "json", "--fail-on", "never"]);
    let findings = audit.json()["findings"].clone();
    assert!(
        findings
            .as_array()
            .expect("findings")
            .iter()
            .any(|f| f["check"] == "app-management-policy" && f["status"] == "pass"),
        "{findings:#}"
    );
    let logged = probe.list(
        "auditLogs/directoryAudits",
        "activityDisplayName eq 'Add policy to application'",
    );
    assert_eq!(logged.len(), 1, "{logged:#?}");

    // Someone removes the exemption: the audit says so.
    let own_id = own_policies(&probe)[0]["id"].as_str().unwrap().to_string();
    probe.delete(&format!(
        "applications/{app_object}/appManagementPolicies/{own_id}/$ref"
    ));
    let audit = env.run(["audit", "--output", "json", "--fail-on", "never"]);
    let findings = audit.json()["findings"].clone();
    assert!(
        findings.as_array().expect("findings").iter().any(|f| {
            f["check"] == "app-management-policy"
                && f["severity"] == "high"
                && f["summary"]
                    .as_str()
                    .is_some_and(|s| s.contains("not breakglass's own policy"))
        }),
        "{findings:#}"
    );
}
