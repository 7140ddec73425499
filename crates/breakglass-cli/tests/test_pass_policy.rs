//! The Temporary Access Pass method policy through the real binary (issue 11, part 2): a
//! temporary administrator's pass and the emergency users' passes are asked for on terms the
//! policy allows, and a policy that would refuse them stops `temp-user` and `apply` before
//! anything is made, with what to change.

use breakglass_entra::Query;
use serde_json::{Value, json};

use crate::common::{InProcessSimulator, TenantGraph, TestEnv, edited_default_tenant, initialised};

const KEEPASS_PASSWORD: &str = "correct horse battery staple";

/// The built-in tenant with `policy` as its Temporary Access Pass method policy.
fn tenant(env: &TestEnv, policy: Value) -> std::path::PathBuf {
    edited_default_tenant(env, "tenant.json", |tenant| {
        tenant["temporaryAccessPassPolicy"] = policy;
    })
}

/// An environment with its own state folder, pointed at a simulator of `policy`.
fn temp_user_setup(policy: Value) -> (TestEnv, InProcessSimulator) {
    let mut env = TestEnv::new();
    let file = tenant(&env, policy);
    let simulator = InProcessSimulator::start(&env.root().join("sim"), Some(&file));
    simulator.configure(&mut env);
    let state = env.root().join("state").display().to_string();
    env.set_env("BREAKGLASS_STATE_DIR", state);
    (env, simulator)
}

fn temporary_users(probe: &TenantGraph) -> Vec<Value> {
    probe.query(
        "users",
        Query::new()
            .filter("startswith(employeeType,'breakglass:temporary:')")
            .select(["id"]),
    )
}

fn passes_of(probe: &TenantGraph, user_id: &str) -> Vec<Value> {
    probe.query(
        &format!("users/{user_id}/authentication/temporaryAccessPassMethods"),
        Query::new(),
    )
}

#[test]
fn a_temporary_administrators_pass_fits_the_policy() {
    let (env, simulator) = temp_user_setup(json!({"state": "enabled",
        "maximumLifetimeInMinutes": 120, "isUsableOnce": true}));
    let made = env.run([
        "temp-user",
        "--ttl",
        "4h",
        "--tap",
        "--detach",
        "--output",
        "json",
    ]);
    made.assert_success();
    assert!(
        made.stderr
            .contains("the pass lasts 2 hours, the policy's maximum, instead of 4 hours"),
        "{made}"
    );
    assert!(made.stderr.contains("one sign-in only"), "{made}");
    let user_id = made.json()["userId"].as_str().unwrap().to_string();
    let passes = passes_of(&TenantGraph::new(&simulator), &user_id);
    assert_eq!(passes.len(), 1, "{passes:#?}");
    assert_eq!(passes[0]["lifetimeInMinutes"], 120);
    assert_eq!(passes[0]["isUsableOnce"], true);
}

#[test]
fn no_temporary_administrator_is_made_when_the_policy_would_refuse_its_pass() {
    for (policy, why) in [
        (
            json!({"state": "disabled"}),
            "the Temporary Access Pass method is disabled in this tenant",
        ),
        (
            json!({"state": "enabled", "includeTargets": ["Service Desk"]}),
            "a new temporary administrator is in none of them",
        ),
    ] {
        let (env, simulator) = temp_user_setup(policy);
        let refused = env.run(["temp-user", "--ttl", "1h", "--tap", "--detach"]);
        refused.assert_code(3);
        assert!(refused.stderr.contains(why), "{refused}");
        assert!(refused.stderr.contains("nothing was created"), "{refused}");
        assert!(refused.stderr.contains("leave out --tap"), "{refused}");
        assert!(
            temporary_users(&TenantGraph::new(&simulator)).is_empty(),
            "no user was made: {refused}"
        );
        // Without a pass, the same policy stands in nobody's way.
        env.run(["temp-user", "--ttl", "1h", "--detach"])
            .assert_success();
    }
}

/// An initialised workspace whose emergency users get passes, in a tenant of `policy`.
fn users_with_passes(policy: Value) -> (TestEnv, InProcessSimulator) {
    let env = TestEnv::new();
    let file = tenant(&env, policy);
    let (env, simulator) = initialised(env, Some(&file), KEEPASS_PASSWORD);
    let path = env.root().join("breakglass.toml");
    let text = std::fs::read_to_string(&path).unwrap().replacen(
        "temporary_access_pass = false",
        "temporary_access_pass = true",
        1,
    );
    std::fs::write(&path, text).unwrap();
    (env, simulator)
}

fn notices(plan: &crate::common::CommandOutput) -> Vec<String> {
    plan.json()["notices"]
        .as_array()
        .expect("notices")
        .iter()
        .map(|n| n["message"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn apply_stops_before_any_change_when_the_policy_would_refuse_a_users_pass() {
    let (env, simulator) =
        users_with_passes(json!({"state": "enabled", "includeTargets": ["Service Desk"]}));
    let plan = env.run(["plan", "--output", "json"]);
    plan.assert_success();
    let refused = &plan.json()["refusedPasses"];
    assert_eq!(refused.as_array().map(Vec::len), Some(2), "{plan}");
    assert!(
        notices(&plan)
            .iter()
            .any(|n| n
                .starts_with("no Temporary Access Pass can be issued to new emergency user #1")),
        "{plan}"
    );

    let apply = env.run(["apply", "--yes"]);
    apply.assert_code(3);
    assert!(
        apply.stderr.contains(
            "the tenant would refuse the Temporary Access Pass for new emergency user #1"
        ),
        "{apply}"
    );
    assert!(apply.stderr.contains("nothing was changed"), "{apply}");
    assert!(apply.stderr.contains("target all users"), "{apply}");
    assert!(
        TenantGraph::new(&simulator).emergency_apps().is_empty(),
        "apply made nothing"
    );
}

#[test]
fn apply_asks_for_passes_on_the_policys_terms() {
    let (env, simulator) = users_with_passes(json!({"state": "enabled",
        "maximumLifetimeInMinutes": 240}));
    let plan = env.run(["plan", "--output", "json"]);
    plan.assert_success();
    assert_eq!(plan.json()["passTerms"]["minutes"], 240, "{plan}");
    assert!(
        notices(&plan).iter().any(|n| n
            == "Temporary Access Pass: the pass lasts 4 hours, the policy's maximum, instead of 8 hours"),
        "{plan}"
    );
    let apply = env.run(["apply", "--yes"]);
    apply.assert_success();
    assert!(
        apply.stdout.contains("valid for 4 hours, usable once"),
        "{apply}"
    );
    let probe = TenantGraph::new(&simulator);
    let users = probe.query(
        "users",
        Query::new()
            .filter("employeeType eq 'breakglass:emergency-access'")
            .select(["id"]),
    );
    assert!(!users.is_empty());
    for user in &users {
        let passes = passes_of(&probe, user["id"].as_str().unwrap());
        assert_eq!(passes.len(), 1, "{passes:#?}");
        assert_eq!(passes[0]["lifetimeInMinutes"], 240);
        assert_eq!(passes[0]["isUsableOnce"], true);
    }
}

#[test]
fn a_policy_the_operator_may_not_read_is_named_and_entra_decides() {
    let mut env = TestEnv::new();
    let file = edited_default_tenant(&env, "tenant.json", |tenant| {
        crate::common::operator_permissions(tenant)
            .retain(|p| !p.as_str().unwrap_or_default().starts_with("Policy."));
    });
    let simulator = InProcessSimulator::start(&env.root().join("sim"), Some(&file));
    simulator.configure(&mut env);
    let state = env.root().join("state").display().to_string();
    env.set_env("BREAKGLASS_STATE_DIR", state);
    let made = env.run(["temp-user", "--ttl", "2h", "--tap", "--detach"]);
    made.assert_success();
    assert!(
        made.stderr.contains("could not be read")
            && made.stderr.contains("Policy.Read.AuthenticationMethod"),
        "{made}"
    );

    env.set_env("BREAKGLASS_KEEPASS_PASSWORD", KEEPASS_PASSWORD);
    env.run(["init"]).assert_success();
    let path = env.root().join("breakglass.toml");
    let text = std::fs::read_to_string(&path).unwrap().replacen(
        "temporary_access_pass = false",
        "temporary_access_pass = true",
        1,
    );
    std::fs::write(&path, text).unwrap();
    let plan = env.run(["plan", "--output", "json"]);
    plan.assert_success();
    assert!(
        notices(&plan).iter().any(|n| n.starts_with(
            "the Temporary Access Pass method policy could not be read (Policy.Read.AuthenticationMethod"
        )),
        "{plan}"
    );
    assert!(plan.json().get("passTerms").is_none(), "{plan}");
}
