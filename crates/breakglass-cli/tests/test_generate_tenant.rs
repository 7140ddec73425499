//! `breakglass sim generate-tenant`: a generated tenant is the same for the same seed, loads in
//! the simulator, and breakglass provisions and audits it.

use crate::common::{Simulator, TestEnv};

fn generate(env: &TestEnv, name: &str, seed: &str) -> std::path::PathBuf {
    let path = env.root().join(name);
    env.run([
        "sim",
        "generate-tenant",
        "--users",
        "250",
        "--apps",
        "60",
        "--policies",
        "15",
        "--admins",
        "12",
        "--seed",
        seed,
        "--out",
        path.to_str().expect("utf-8"),
    ])
    .assert_success();
    path
}

#[test]
fn the_same_seed_gives_the_same_tenant() {
    let env = TestEnv::new();
    let first = std::fs::read(generate(&env, "a.json", "42")).expect("a.json");
    let again = std::fs::read(generate(&env, "b.json", "42")).expect("b.json");
    let other = std::fs::read(generate(&env, "c.json", "43")).expect("c.json");
    assert_eq!(first, again);
    assert_ne!(first, other);
    let tenant: serde_json::Value = serde_json::from_slice(&first).expect("JSON");
    assert_eq!(tenant["users"].as_array().map(Vec::len), Some(250));
    assert_eq!(tenant["applications"].as_array().map(Vec::len), Some(61));
    let states: std::collections::BTreeSet<&str> = tenant["conditionalAccessPolicies"]
        .as_array()
        .expect("policies")
        .iter()
        .filter_map(|p| p["state"].as_str())
        .collect();
    assert_eq!(
        states.into_iter().collect::<Vec<_>>(),
        ["disabled", "enabled", "enabledForReportingButNotEnforced"]
    );
}

#[test]
fn breakglass_provisions_and_audits_a_generated_tenant() {
    let mut env = TestEnv::new();
    let tenant = generate(&env, "tenant.json", "7");
    let simulator = Simulator::start(&env, &env.root().join("sim"), Some(&tenant));
    env.use_simulator(&simulator);
    env.set_env(
        "BREAKGLASS_KEEPASS_PASSWORD",
        "correct horse battery staple",
    );

    let admins = env.run(["admins", "list", "--output", "json"]);
    admins.assert_success();
    let global_admins = admins
        .json()
        .as_array()
        .expect("admins")
        .iter()
        .filter(|a| a.to_string().contains("Global Administrator"))
        .count();
    assert!(global_admins >= 4, "{admins}");

    env.run(["init"]).assert_success();
    env.run(["plan", "--detailed-exitcode"]).assert_code(2);
    env.run(["apply", "--yes"]).assert_success();
    env.run(["plan", "--detailed-exitcode"]).assert_code(0);
    let audit = env.run(["audit", "--output", "json"]);
    let code = audit.code.unwrap_or(-1);
    assert!(matches!(code, 0 | 12), "audit exited {code}:\n{audit}");
    let findings = audit.json()["findings"].as_array().map(Vec::len);
    assert!(findings.is_some_and(|n| n > 0), "{audit}");
    let (code, stderr) = simulator.stop();
    assert_eq!(code, Some(0), "stderr:\n{stderr}");
}
