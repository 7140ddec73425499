//! `init`, `plan` and `apply` against the simulator: convergence, drift, bad input,
//! faults mid-apply, and a kill at every change.

use breakglass_sim::FaultRule;
use serde_json::{Value, json};

use crate::common::{
    InProcessSimulator, TenantGraph, TestEnv, edited_default_tenant, emergency_user_secrets,
    initialised, kill_apply_at, operator_app,
};

const KEEPASS_PASSWORD: &str = "correct horse battery staple";

/// A workspace with `breakglass.toml` from `init`, pointed at an in-process simulator.
fn workspace() -> (TestEnv, InProcessSimulator) {
    initialised(TestEnv::new(), None, KEEPASS_PASSWORD)
}

fn plan_json(env: &TestEnv) -> Value {
    let output = env.run(["plan", "--output", "json"]);
    output.assert_success();
    output.json()
}

#[test]
fn init_writes_a_commented_configuration_once() {
    let env = TestEnv::new();
    let output = env.run(["init"]);
    output.assert_success();
    let text = std::fs::read_to_string(env.root().join("breakglass.toml")).expect("written");
    assert!(
        text.contains("[[app.credentials]]") && text.contains("# "),
        "commented"
    );
    let again = env.run(["init"]);
    again.assert_code(3);
    assert!(again.stderr.contains("already exists"), "{again}");
    assert_eq!(
        std::fs::read_to_string(env.root().join("breakglass.toml")).expect("kept"),
        text
    );
}

#[test]
fn plan_then_apply_converges_and_a_second_apply_does_nothing() {
    let (env, simulator) = workspace();
    env.run(["plan", "--detailed-exitcode"]).assert_code(2);
    let plan = plan_json(&env);
    assert_eq!(plan["changes"], 12, "{plan}");
    assert_eq!(plan["actions"][0]["action"], "createApplication");

    let applied = env.run(["apply", "--yes", "--output", "json"]);
    applied.assert_success();
    assert_eq!(applied.json()["applied"].as_array().map(Vec::len), Some(12));

    let output = env.run(["plan", "--detailed-exitcode"]);
    output.assert_code(0);
    assert!(output.stdout.contains("No changes"), "{output}");
    let again = env.run(["apply", "--yes"]);
    again.assert_success();
    assert!(again.stdout.contains("Nothing to do"), "{again}");

    // What Microsoft's guidance asks for, as the tenant now holds it.
    let probe = TenantGraph::new(&simulator);
    let apps = probe.emergency_apps();
    assert_eq!(apps.len(), 1);
    let app = &apps[0];
    assert_eq!(app["signInAudience"], "AzureADMyOrg");
    assert_eq!(app["servicePrincipalLockConfiguration"]["isEnabled"], true);
    assert_eq!(app["passwordCredentials"].as_array().map(Vec::len), Some(1));
    assert_eq!(app["keyCredentials"].as_array().map(Vec::len), Some(1));
    let owners = probe.list(
        &format!("applications/{}/owners", app["id"].as_str().unwrap()),
        "",
    );
    assert!(
        owners.is_empty(),
        "the emergency app has no owners: {owners:?}"
    );
    let users = probe.list("users", "employeeType eq 'breakglass:emergency-access'");
    assert_eq!(users.len(), 2);
    for user in &users {
        assert!(
            user["userPrincipalName"]
                .as_str()
                .unwrap()
                .ends_with("@contososim.onmicrosoft.com"),
            "initial domain"
        );
    }
    let groups = probe.list("groups", "mailNickname eq 'breakglass-emergency-access'");
    assert_eq!(groups[0]["isAssignableToRole"], true);

    // Secrets landed in their stores, with private files.
    let keepass = env.root().join("breakglass.kdbx");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&keepass).expect("kdbx").permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
    let shares: Vec<_> = std::fs::read_dir(env.root().join("recovery-sheets"))
        .expect("sheets")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".txt"))
        .collect();
    assert_eq!(shares.len(), 5, "3-of-5 shares");
}

#[test]
fn drift_shows_in_plan_and_apply_repairs_it() {
    let (env, simulator) = workspace();
    env.run(["apply", "--yes"]).assert_success();
    let probe = TenantGraph::new(&simulator);
    let app = probe.emergency_apps().remove(0);
    let app_object = app["id"].as_str().unwrap().to_string();
    let sp = probe
        .list(
            "servicePrincipals",
            &format!("appId eq '{}'", app["appId"].as_str().unwrap()),
        )
        .remove(0);
    let sp_id = sp["id"].as_str().unwrap().to_string();

    // Someone adds an owner, a secret of their own, and removes the app's role.
    let diego = probe
        .list("users", "userPrincipalName eq 'diego@contoso.example'")
        .remove(0);
    probe.post_no_content(&format!("applications/{app_object}/owners/$ref"), json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{}", diego["id"].as_str().unwrap())}));
    let backdoor = probe.post(
        &format!("applications/{app_object}/addPassword"),
        json!({"passwordCredential": {"displayName": "totally legit"}}),
    );
    let assignment = probe
        .list(
            "roleManagement/directory/roleAssignments",
            &format!("principalId eq '{sp_id}'"),
        )
        .remove(0);
    probe.delete(&format!(
        "roleManagement/directory/roleAssignments/{}",
        assignment["id"].as_str().unwrap()
    ));

    let plan = env.run(["plan"]);
    plan.assert_success();
    assert!(
        plan.stdout
            .contains("- remove diego@contoso.example as owner of the app"),
        "{plan}"
    );
    assert!(
        plan.stdout.contains(&format!(
            "- remove credential {} (totally legit) from the app: not made by breakglass",
            backdoor["keyId"].as_str().unwrap()
        )),
        "{plan}"
    );
    assert!(
        plan.stdout
            .contains("+ assign Global Administrator to the emergency app"),
        "{plan}"
    );
    env.run(["apply", "--yes"]).assert_success();
    env.run(["plan", "--detailed-exitcode"]).assert_code(0);
    let app = probe.emergency_apps().remove(0);
    assert_eq!(app["passwordCredentials"].as_array().map(Vec::len), Some(1));
}

#[test]
fn graph_permissions_instead_of_a_role_and_passes_for_the_users() {
    let (mut env, simulator) = workspace();
    let path = env.root().join("breakglass.toml");
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replacen("role = \"Global Administrator\"\n# ...", "# ...", 1)
        .replacen(
            "# graph_permissions = [\"Directory.ReadWrite.All\", \"RoleManagement.ReadWrite.Directory\"]",
            "graph_permissions = [\"Directory.ReadWrite.All\", \"RoleManagement.ReadWrite.Directory\"]",
            1,
        )
        .replacen("temporary_access_pass = false", "temporary_access_pass = true", 1);
    std::fs::write(&path, text).unwrap();
    // The KeePass password read from stdin this time.
    env.remove_env("BREAKGLASS_KEEPASS_PASSWORD");
    let output = env.run_with_stdin(
        ["apply", "--yes", "--keepass-password-file", "-"],
        &format!("{KEEPASS_PASSWORD}\n"),
    );
    output.assert_success();
    assert!(
        output
            .stdout
            .contains("grant Microsoft Graph RoleManagement.ReadWrite.Directory"),
        "{output}"
    );
    assert!(output.stdout.contains("Temporary Access Pass"), "{output}");

    let probe = TenantGraph::new(&simulator);
    let app = probe.emergency_apps().remove(0);
    let sp = probe
        .list(
            "servicePrincipals",
            &format!("appId eq '{}'", app["appId"].as_str().unwrap()),
        )
        .remove(0);
    let sp_id = sp["id"].as_str().unwrap();
    let grants = probe.list(&format!("servicePrincipals/{sp_id}/appRoleAssignments"), "");
    assert_eq!(grants.len(), 2, "{grants:?}");
    assert!(
        probe
            .list(
                "roleManagement/directory/roleAssignments",
                &format!("principalId eq '{sp_id}'")
            )
            .is_empty(),
        "no directory role"
    );
    for user in probe.list("users", "employeeType eq 'breakglass:emergency-access'") {
        let passes = probe.list(
            &format!(
                "users/{}/authentication/temporaryAccessPassMethods",
                user["id"].as_str().unwrap()
            ),
            "",
        );
        assert_eq!(passes.len(), 1);
        assert_eq!(passes[0]["isUsableOnce"], true);
    }
    env.set_env("BREAKGLASS_KEEPASS_PASSWORD", KEEPASS_PASSWORD);
    env.run(["plan", "--detailed-exitcode"]).assert_code(0);
}

#[test]
fn a_configuration_against_the_guidance_is_refused() {
    let env = TestEnv::new();
    env.run(["init"]).assert_success();
    let path = env.root().join("breakglass.toml");
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replacen("count = 2", "count = 1", 1);
    std::fs::write(&path, text).unwrap();
    let output = env.run(["plan"]);
    output.assert_code(3);
    assert!(
        output
            .stderr
            .contains("at least two emergency access accounts"),
        "{output}"
    );
    let missing = env.run(["plan", "--config", "nope.toml"]);
    missing.assert_code(3);
    assert!(missing.stderr.contains("breakglass init"), "{missing}");
}

#[test]
fn a_wrong_keepass_password_is_refused_and_the_database_unchanged() {
    let (mut env, _simulator) = workspace();
    env.run(["apply", "--yes"]).assert_success();
    let keepass = env.root().join("breakglass.kdbx");
    let before = std::fs::read(&keepass).unwrap();
    env.set_env("BREAKGLASS_KEEPASS_PASSWORD", "not the password");
    let output = env.run(["apply", "--yes"]);
    output.assert_code(3);
    assert!(
        output.stderr.to_lowercase().contains("password is wrong"),
        "{output}"
    );
    assert!(!output.stderr.contains("not the password"));
    assert_eq!(std::fs::read(&keepass).unwrap(), before);
}

#[test]
fn a_damaged_keepass_database_is_reported_and_left_alone() {
    let (env, _simulator) = workspace();
    env.run(["apply", "--yes"]).assert_success();
    let keepass = env.root().join("breakglass.kdbx");
    let mut bytes = std::fs::read(&keepass).unwrap();
    let middle = bytes.len() / 2;
    for byte in &mut bytes[middle..middle + 64] {
        *byte ^= 0x5a;
    }
    std::fs::write(&keepass, &bytes).unwrap();
    let output = env.run(["plan"]);
    output.assert_code(3);
    assert_eq!(output.error_lines().len(), 1, "{output}");
    assert!(
        output.stderr.contains("breakglass.kdbx")
            || output.stderr.to_lowercase().contains("keepass"),
        "{output}"
    );
    assert_eq!(
        std::fs::read(&keepass).unwrap(),
        bytes,
        "the damaged file is not touched"
    );
}

#[test]
fn an_operator_without_role_management_is_told_what_is_missing() {
    let env = TestEnv::new();
    let tenant = edited_default_tenant(&env, "weak.json", |tenant| {
        let operator = operator_app(tenant);
        operator["roles"] = json!([]);
        operator["applicationPermissions"] = json!([
            "Application.ReadWrite.All",
            "Directory.Read.All",
            "Group.ReadWrite.All",
            "User.ReadWrite.All"
        ]);
    });
    let (env, _simulator) = initialised(env, Some(&tenant), KEEPASS_PASSWORD);
    let output = env.run(["apply", "--yes"]);
    output.assert_code(5);
    assert!(
        output.stderr.contains("RoleManagement.ReadWrite.Directory")
            || output.stderr.contains("Privileged Role Administrator"),
        "{output}"
    );
    assert!(
        output.stderr.contains("run `breakglass apply` again"),
        "{output}"
    );
}

#[test]
fn throttling_and_replication_delay_mid_apply_are_ridden_out() {
    let (env, simulator) = workspace();
    simulator.set_faults(vec![
        FaultRule {
            method: Some("POST".into()),
            path_prefix: Some("/v1.0/servicePrincipals".into()),
            status: Some(429),
            retry_after_seconds: Some(1),
            times: Some(2),
            ..FaultRule::default()
        },
        FaultRule {
            replication_delay_ms: Some(1500),
            ..FaultRule::default()
        },
    ]);
    env.run(["apply", "--yes"]).assert_success();
    assert_eq!(
        simulator.fault_hits()[0],
        2,
        "both 429 answers were given and ridden out"
    );
    assert!(
        simulator.hidden_by_replication() > 0,
        "the replication delay hid a new object from at least one read"
    );
    simulator.set_faults(Vec::new());
    env.run(["plan", "--detailed-exitcode"]).assert_code(0);
}

#[test]
fn apply_killed_at_every_change_converges_without_orphans() {
    let mut n = 1;
    loop {
        let (env, simulator) = workspace();
        let killed = kill_apply_at(&env, &simulator, None, "/v1.0/", n);
        let output = env.run(["apply", "--yes"]);
        output.assert_success();
        let plan = env.run(["plan", "--detailed-exitcode"]);
        assert_eq!(
            plan.code,
            Some(0),
            "not converged after a kill at change {n}:\n{plan}"
        );
        let probe = TenantGraph::new(&simulator);
        let apps = probe.emergency_apps();
        assert_eq!(
            apps.len(),
            1,
            "one emergency app after a kill at change {n}"
        );
        let secrets = apps[0]["passwordCredentials"].as_array().map(Vec::len);
        let certificates = apps[0]["keyCredentials"].as_array().map(Vec::len);
        assert_eq!(
            (secrets, certificates),
            (Some(1), Some(1)),
            "no orphan credential after a kill at change {n}"
        );
        assert_eq!(
            probe
                .list("users", "employeeType eq 'breakglass:emergency-access'")
                .len(),
            2,
            "no orphan user after a kill at change {n}"
        );
        for (upn, password, _) in emergency_user_secrets(&env, &simulator, KEEPASS_PASSWORD) {
            assert!(
                password.is_some_and(|p| simulator.password_works(&upn, &p)),
                "KeePass holds a working password for {upn} after a kill at change {n}"
            );
        }
        if !killed {
            assert!(n > 10, "apply makes more than ten changes");
            break;
        }
        n += 1;
    }
}
