//! The ways an interrupted or misdirected run could lose emergency access, each through the
//! binary: a user created before its password was stored, a store that went missing and
//! would read as empty, stores of another tenant, and a tenant named twice.

use serde_json::{Value, json};

use crate::common::{
    InProcessSimulator, TenantGraph, TestEnv, edited_default_tenant, emergency_user_secrets,
    initialised, kill_apply_at, operator_app,
};

const KEEPASS_PASSWORD: &str = "correct horse battery staple";

fn workspace_with(tenant: Option<&std::path::Path>, env: TestEnv) -> (TestEnv, InProcessSimulator) {
    initialised(env, tenant, KEEPASS_PASSWORD)
}

fn edit_config(env: &TestEnv, from: &str, to: &str) {
    let path = env.root().join("breakglass.toml");
    let text = std::fs::read_to_string(&path).expect("breakglass.toml");
    assert!(text.contains(from), "breakglass.toml has `{from}`");
    std::fs::write(&path, text.replacen(from, to, 1)).expect("write breakglass.toml");
}

/// The emergency users that hold a directory role.
fn users_with_a_role(simulator: &InProcessSimulator) -> Vec<String> {
    let probe = TenantGraph::new(simulator);
    probe
        .list("users", "employeeType eq 'breakglass:emergency-access'")
        .iter()
        .filter(|user| {
            !probe
                .list(
                    "roleManagement/directory/roleAssignments",
                    &format!("principalId eq '{}'", user["id"].as_str().unwrap()),
                )
                .is_empty()
        })
        .map(|user| user["userPrincipalName"].as_str().unwrap().to_string())
        .collect()
}

/// Every emergency user's password is in KeePass and signs it in; with `passes`, a Temporary
/// Access Pass is stored too.
fn assert_every_user_can_sign_in(
    env: &TestEnv,
    simulator: &InProcessSimulator,
    passes: bool,
    context: &str,
) {
    let users = emergency_user_secrets(env, simulator, KEEPASS_PASSWORD);
    assert!(!users.is_empty(), "{context}: no emergency user");
    for (upn, password, pass) in users {
        let password =
            password.unwrap_or_else(|| panic!("{context}: no password stored for {upn}"));
        assert!(
            simulator.password_works(&upn, &password),
            "{context}: the stored password of {upn} does not sign it in"
        );
        assert_eq!(
            pass.is_some(),
            passes,
            "{context}: Temporary Access Pass of {upn}"
        );
    }
}

#[test]
fn a_kill_at_every_change_of_user_creation_never_leaves_a_user_without_its_password() {
    let mut n = 1;
    loop {
        let (env, simulator) = workspace_with(None, TestEnv::new());
        edit_config(
            &env,
            "temporary_access_pass = false",
            "temporary_access_pass = true",
        );
        let killed = kill_apply_at(&env, &simulator, Some("POST"), "/v1.0/users", n);
        let context = format!("killed at user change {n}");
        if killed {
            // Nobody gained power before their secrets were stored.
            for upn in users_with_a_role(&simulator) {
                let stored = emergency_user_secrets(&env, &simulator, KEEPASS_PASSWORD)
                    .into_iter()
                    .find(|(u, _, _)| *u == upn)
                    .and_then(|(_, password, _)| password);
                assert!(
                    stored.is_some_and(|p| simulator.password_works(&upn, &p)),
                    "{context}: {upn} holds a role but KeePass has no working password for it"
                );
            }
            // The interrupted change is drift, never "no changes".
            env.run(["plan", "--detailed-exitcode"]).assert_code(2);
        }
        env.run(["apply", "--yes"]).assert_success();
        let plan = env.run(["plan", "--detailed-exitcode"]);
        assert_eq!(plan.code, Some(0), "{context}: not converged:\n{plan}");
        assert_every_user_can_sign_in(&env, &simulator, true, &context);
        assert_eq!(
            TenantGraph::new(&simulator)
                .list("users", "employeeType eq 'breakglass:emergency-access'")
                .len(),
            2,
            "{context}: no orphan user"
        );
        if !killed {
            // Two users and two passes.
            assert!(n > 4, "user creation makes at least four changes");
            break;
        }
        n += 1;
    }
}

/// An emergency user made by hand (or by a run whose store is gone): cloud-only, on the
/// initial domain, with the marker, but no store holds its password.
fn add_user_no_store_holds(simulator: &InProcessSimulator) -> String {
    let probe = TenantGraph::new(simulator);
    let domain = probe
        .list("domains", "")
        .into_iter()
        .find(|d| d["isInitial"] == true)
        .expect("initial domain")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let upn = format!("breakglass-byhand@{domain}");
    probe.post(
        "users",
        json!({
            "accountEnabled": true,
            "displayName": "Emergency access by hand",
            "mailNickname": "breakglass-byhand",
            "userPrincipalName": upn,
            "employeeType": "breakglass:emergency-access",
            "passwordProfile": {"forceChangePasswordNextSignIn": false, "password": "Written-on-a-postit-1"}
        }),
    );
    upn
}

#[test]
fn a_user_whose_password_no_store_holds_is_drift_that_apply_resets_storing_first() {
    let (env, simulator) = workspace_with(None, TestEnv::new());
    edit_config(&env, "count = 2", "count = 3");
    env.run(["apply", "--yes"]).assert_success();
    // A third user appears whose password no store holds (say, a run killed by an older version).
    edit_config(&env, "count = 3", "count = 4");
    let upn = add_user_no_store_holds(&simulator);
    let plan = env.run(["plan"]);
    plan.assert_success();
    assert!(
        plan.stdout.contains(&format!(
            "~ reset the password of {upn}, storing the new one in KeePass first"
        )),
        "{plan}"
    );
    env.run(["plan", "--detailed-exitcode"]).assert_code(2);

    // Killed while the reset is held: the new password is in KeePass, pending, and the next
    // apply resets again.
    assert!(kill_apply_at(
        &env,
        &simulator,
        Some("PATCH"),
        "/v1.0/users",
        1
    ));
    env.run(["plan", "--detailed-exitcode"]).assert_code(2);
    env.run(["apply", "--yes"]).assert_success();
    env.run(["plan", "--detailed-exitcode"]).assert_code(0);
    assert_every_user_can_sign_in(&env, &simulator, false, "after the reset");
    assert!(
        !simulator.password_works(&upn, "Written-on-a-postit-1"),
        "the old password no longer works"
    );
    assert!(users_with_a_role(&simulator).contains(&upn));
}

#[test]
fn a_role_holder_without_a_stored_password_needs_a_higher_admin_and_says_so() {
    let env = TestEnv::new();
    let tenant = edited_default_tenant(&env, "tenant.json", |_| {});
    let (env, simulator) = workspace_with(Some(&tenant), env);
    env.run(["apply", "--yes"]).assert_success();
    let upn = add_user_no_store_holds(&simulator);
    edit_config(&env, "count = 2", "count = 3");
    let probe = TenantGraph::new(&simulator);
    let user = probe.one("users", &format!("userPrincipalName eq '{upn}'"));
    probe.post(
        "roleManagement/directory/roleAssignments",
        json!({"principalId": user["id"], "roleDefinitionId": "62e90394-69f5-4237-9190-012177145e10", "directoryScopeId": "/"}),
    );
    let output = env.run(["apply", "--yes"]);
    output.assert_code(5);
    assert_eq!(output.error_lines().len(), 1, "{output}");
    assert!(
        output
            .stderr
            .contains("Privileged Authentication Administrator"),
        "{output}"
    );
    // Nothing the tenant took: the pending entry is not counted as held.
    env.run(["plan", "--detailed-exitcode"]).assert_code(2);
}

#[test]
fn an_operator_who_may_reset_admins_repairs_a_role_holder() {
    let env = TestEnv::new();
    let tenant = edited_default_tenant(&env, "tenant.json", |tenant| {
        operator_app(tenant)["roles"] = json!([
            "Privileged Role Administrator",
            "Privileged Authentication Administrator"
        ]);
    });
    let (env, simulator) = workspace_with(Some(&tenant), env);
    env.run(["apply", "--yes"]).assert_success();
    edit_config(&env, "count = 2", "count = 3");
    let upn = add_user_no_store_holds(&simulator);
    env.run(["apply", "--yes"]).assert_success();
    env.run(["plan", "--detailed-exitcode"]).assert_code(0);
    assert!(users_with_a_role(&simulator).contains(&upn));
    assert_every_user_can_sign_in(&env, &simulator, false, "after the repair");
}

fn secrets_on_the_app(simulator: &InProcessSimulator) -> Vec<String> {
    TenantGraph::new(simulator).emergency_app()["passwordCredentials"]
        .as_array()
        .expect("passwordCredentials")
        .iter()
        .map(|c| c["keyId"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_missing_keepass_database_stops_every_change_and_is_never_read_as_empty() {
    let (env, simulator) = workspace_with(None, TestEnv::new());
    env.run(["apply", "--yes"]).assert_success();
    let keepass = env.root().join("breakglass.kdbx");
    let moved = env.root().join("elsewhere.kdbx");
    std::fs::rename(&keepass, &moved).expect("move the database away");
    let secrets = secrets_on_the_app(&simulator);

    for args in [
        vec!["plan"],
        vec!["plan", "--detailed-exitcode"],
        vec!["apply", "--yes"],
        vec!["credential", "rotate", "rotating"],
        vec!["credential", "add", "rotating", "--force"],
        vec!["credential", "remove", secrets[0].as_str()],
    ] {
        let output = env.run(&args);
        output.assert_code(3);
        assert_eq!(output.error_lines().len(), 1, "{args:?}: {output}");
        assert!(
            output.stderr.contains("breakglass.kdbx is missing")
                && output.stderr.contains("`rotating`")
                && output.stderr.contains("nothing was changed")
                && output.stderr.contains("hint: "),
            "{args:?}: {output}"
        );
        assert!(!keepass.exists(), "{args:?} created a new database");
    }
    assert_eq!(
        secrets_on_the_app(&simulator),
        secrets,
        "no secret was revoked"
    );

    // Listing still works, and says the store is missing rather than that nothing holds the
    // secret (which would invite removing it).
    let list = env.run(["credential", "list"]);
    list.assert_success();
    assert!(
        list.stdout.contains("MISSING")
            && list.stdout.contains("which is missing from this machine")
            && !list.stdout.contains("no store holds it")
            && !list.stdout.contains("has no usable credential"),
        "{list}"
    );
    let listed = env.run(["credential", "list", "--output", "json"]);
    listed.assert_success();
    let rotating: Vec<Value> = listed.json()["credentials"]
        .as_array()
        .expect("credentials")
        .iter()
        .filter(|c| c["label"] == "rotating")
        .cloned()
        .collect();
    assert!(!rotating.is_empty(), "{listed}");
    assert!(
        rotating.iter().all(|c| c["status"] == "storeMissing"),
        "{listed}"
    );

    let audit = env.run(["audit", "--output", "json"]);
    audit.assert_code(12);
    let findings = audit.json()["findings"].clone();
    let stores: Vec<&Value> = findings
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check"] == "local-stores" && f["status"] == "finding")
        .collect();
    assert_eq!(stores.len(), 1, "{findings:#}");
    assert_eq!(stores[0]["severity"], "high");
    assert!(
        stores[0]["summary"]
            .as_str()
            .unwrap()
            .contains("breakglass.kdbx")
    );

    // Put back, everything is as it was.
    std::fs::rename(&moved, &keepass).expect("move it back");
    env.run(["plan", "--detailed-exitcode"]).assert_code(0);
}

#[test]
fn a_keepass_database_lost_for_good_is_replaced_only_when_asked() {
    // Resetting the emergency users' passwords (they hold Global Administrator) takes a
    // Privileged Authentication Administrator.
    let env = TestEnv::new();
    let tenant = edited_default_tenant(&env, "tenant.json", |tenant| {
        operator_app(tenant)["roles"] = json!([
            "Privileged Role Administrator",
            "Privileged Authentication Administrator"
        ]);
    });
    let (env, simulator) = workspace_with(Some(&tenant), env);
    env.run(["apply", "--yes"]).assert_success();
    let old_secrets = secrets_on_the_app(&simulator);
    std::fs::remove_file(env.root().join("breakglass.kdbx")).expect("lose the database");

    let plan = env.run(["plan", "--replace-missing-stores"]);
    plan.assert_success();
    assert!(plan.stdout.contains("no store holds it"), "{plan}");
    assert!(plan.stdout.contains("reset the password of"), "{plan}");

    env.run(["apply", "--yes", "--replace-missing-stores"])
        .assert_success();
    env.run(["plan", "--detailed-exitcode"]).assert_code(0);
    let new_secrets = secrets_on_the_app(&simulator);
    assert_eq!(new_secrets.len(), 1);
    assert!(
        !old_secrets.contains(&new_secrets[0]),
        "the lost secret is revoked and replaced"
    );
    assert_every_user_can_sign_in(&env, &simulator, false, "after replacing the database");
    env.run(["token", "--credential", "rotating"])
        .assert_success();
}

#[test]
fn a_missing_sheet_manifest_keeps_the_offline_certificate() {
    let (env, simulator) = workspace_with(None, TestEnv::new());
    env.run(["apply", "--yes"]).assert_success();
    let manifest = env.root().join("recovery-sheets/manifest.json");
    let kept = std::fs::read(&manifest).expect("manifest");
    std::fs::remove_file(&manifest).expect("lose the manifest");
    let certificates = TenantGraph::new(&simulator).emergency_app()["keyCredentials"].clone();

    for args in [
        vec!["apply", "--yes"],
        vec!["credential", "rotate", "offline"],
    ] {
        let output = env.run(&args);
        output.assert_code(3);
        assert!(
            output.stderr.contains("manifest.json is missing")
                && output.stderr.contains("`offline`"),
            "{args:?}: {output}"
        );
    }
    assert_eq!(
        TenantGraph::new(&simulator).emergency_app()["keyCredentials"],
        certificates,
        "the offline certificate was not revoked"
    );
    std::fs::write(&manifest, kept).expect("restore the manifest");
    env.run(["plan", "--detailed-exitcode"]).assert_code(0);
}

#[test]
fn stores_of_another_tenant_are_refused() {
    let (env, _first) = workspace_with(None, TestEnv::new());
    env.run(["apply", "--yes"]).assert_success();
    let before = std::fs::read(env.root().join("breakglass.kdbx")).unwrap();

    // The same folder, pointed at another tenant.
    let mut env = env;
    let other = edited_default_tenant(&env, "other-tenant.json", |tenant| {
        tenant["tenantId"] = json!("0b5e1f0e-3c1d-4c8e-9d5a-7f2b3c4d5e6f");
        tenant["initialDomain"] = json!("fabrikamsim.onmicrosoft.com");
    });
    let second = InProcessSimulator::start(&env.root().join("sim-other"), Some(&other));
    second.configure(&mut env);
    for args in [
        vec!["plan"],
        vec!["apply", "--yes"],
        vec!["credential", "rotate", "rotating"],
    ] {
        let output = env.run(&args);
        output.assert_code(3);
        assert!(
            output
                .stderr
                .contains("tenant 6f1b4c2e-8a3d-4e5f-9b7a-2c4d6e8f0a1b")
                && output
                    .stderr
                    .contains("0b5e1f0e-3c1d-4c8e-9d5a-7f2b3c4d5e6f"),
            "{args:?}: {output}"
        );
    }
    assert_eq!(
        std::fs::read(env.root().join("breakglass.kdbx")).unwrap(),
        before
    );
}

#[test]
fn a_tenant_named_twice_differently_stops_with_both_named() {
    let (mut env, simulator) = workspace_with(None, TestEnv::new());
    let tenant = simulator.operator().tenant_id.clone();
    edit_config(
        &env,
        "# id = \"00000000-0000-0000-0000-000000000000\"",
        &format!("id = \"{tenant}\""),
    );
    env.run(["plan"]).assert_success();

    for stray in [
        "not a tenant at all",
        "contoso-other.onmicrosoft.com",
        "11111111-2222-3333-4444-555555555555",
    ] {
        env.set_env("AZURE_TENANT_ID", stray);
        for args in [
            vec!["plan"],
            vec!["apply", "--yes"],
            vec!["audit"],
            vec!["credential", "list"],
        ] {
            let output = env.run(&args);
            output.assert_code(3);
            assert_eq!(output.error_lines().len(), 1, "{args:?}: {output}");
            assert!(
                output.stderr.contains(stray)
                    && output.stderr.contains(&tenant)
                    && output.stderr.contains("AZURE_TENANT_ID"),
                "{args:?}: {output}"
            );
            assert!(!output.stderr.contains("matches"), "{output}");
        }
    }
    // The same tenant in another spelling is the same tenant.
    env.set_env("AZURE_TENANT_ID", tenant.to_uppercase());
    env.run(["plan"]).assert_success();
    // And --tenant on the command line is named as such.
    env.remove_env("AZURE_TENANT_ID");
    let output = env.run(["plan", "--tenant", "11111111-2222-3333-4444-555555555555"]);
    output.assert_code(3);
    assert!(output.stderr.contains("--tenant"), "{output}");
}
