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
