//! The audit's view of delegated administration (issue 12, part 1): custom directory roles
//! whose permissions reach the emergency app or the emergency users' methods, roles scoped
//! to an administrative unit that holds an emergency user, restricted management units, and
//! Conditional Access exclusions through nested groups. Each with its negative case.

use serde_json::{Value, json};

use crate::common::{
    TenantGraph, TestEnv, edited_default_tenant, initialised, operator_app, operator_permissions,
    policy_list_patch,
};

const KEEPASS_PASSWORD: &str = "correct horse battery staple";

fn audit_results(env: &TestEnv) -> Vec<Value> {
    let output = env.run(["audit", "--output", "json", "--fail-on", "never"]);
    output.assert_success();
    output.json()["findings"]
        .as_array()
        .expect("findings")
        .clone()
}

fn of_check<'a>(results: &'a [Value], check: &str, status: &str) -> Vec<&'a Value> {
    results
        .iter()
        .filter(|f| f["check"] == check && f["status"] == status)
        .collect()
}

fn evidence_names(finding: &Value) -> Vec<&str> {
    finding["evidence"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["name"].as_str())
        .collect()
}

fn person(upn: &str, roles: &[&str], eligible: &[&str]) -> Value {
    let name = upn.split('@').next().unwrap();
    json!({"displayName": name, "userPrincipalName": upn,
        "password": format!("Sim-{name}-Passw0rd!"), "roles": roles, "eligibleRoles": eligible})
}

#[test]
fn custom_roles_that_reach_the_app_or_the_users_methods_are_findings_and_a_harmless_one_is_not() {
    let env = TestEnv::new();
    let tenant = edited_default_tenant(&env, "tenant.json", |tenant| {
        tenant["customRoles"] = json!([
            {"displayName": "App credential operators",
             "allowedResourceActions": ["microsoft.directory/applications/credentials/update"]},
            {"displayName": "Method helpers",
             "allowedResourceActions": ["microsoft.directory/users/authenticationMethods/standard/update"]},
            {"displayName": "Profile editors",
             "allowedResourceActions": ["microsoft.directory/users/basic/update"]}
        ]);
        let users = tenant["users"].as_array_mut().unwrap();
        users.push(person(
            "mallory@contoso.example",
            &["App credential operators"],
            &[],
        ));
        users.push(person("eve@contoso.example", &[], &["Method helpers"]));
        users.push(person("ron@contoso.example", &["Profile editors"], &[]));
    });
    let (env, _simulator) = initialised(env, Some(&tenant), KEEPASS_PASSWORD);
    env.run(["apply", "--yes"]).assert_success();
    let results = audit_results(&env);

    let found = of_check(&results, "custom-roles", "finding");
    let critical = found
        .iter()
        .find(|f| f["severity"] == "critical")
        .expect("the active credential operator");
    assert_eq!(evidence_names(critical), ["mallory@contoso.example"]);
    let detail = critical["evidence"][0]["detail"].as_str().unwrap();
    assert!(
        detail.contains("App credential operators") && detail.contains("credentials/update"),
        "{detail}"
    );
    let high = found
        .iter()
        .find(|f| f["severity"] == "high")
        .expect("the eligible method helper");
    assert_eq!(evidence_names(high), ["eve@contoso.example"]);
    let everyone: Vec<&str> = found.iter().flat_map(|f| evidence_names(f)).collect();
    assert!(!everyone.contains(&"ron@contoso.example"), "{found:#?}");
}

#[test]
fn the_built_in_tenant_has_no_custom_role_or_administrative_unit_finding() {
    let (env, _simulator) = initialised(TestEnv::new(), None, KEEPASS_PASSWORD);
    env.run(["apply", "--yes"]).assert_success();
    let results = audit_results(&env);
    for check in ["custom-roles", "administrative-units"] {
        assert!(
            of_check(&results, check, "finding").is_empty(),
            "{check}: {results:#?}"
        );
        assert_eq!(of_check(&results, check, "pass").len(), 1, "{check}");
    }
}

/// The built-in tenant with two emergency users made by hand (the marker, no `apply`
/// needed) and the administrative units `units`.
fn tenant_with_units(env: &TestEnv, units: Value) -> std::path::PathBuf {
    edited_default_tenant(env, "tenant.json", |tenant| {
        let users = tenant["users"].as_array_mut().unwrap();
        for name in ["bg-tier0", "bg-regional"] {
            let mut user = person(
                &format!("{name}@contososim.onmicrosoft.com"),
                &["Global Administrator"],
                &[],
            );
            user["employeeType"] = json!("breakglass:emergency-access");
            users.push(user);
        }
        tenant["administrativeUnits"] = units;
    })
}

#[test]
fn roles_scoped_to_a_unit_holding_an_emergency_user_are_findings() {
    let env = TestEnv::new();
    let tenant = tenant_with_units(
        &env,
        json!([
            {"displayName": "Tier 0", "isMemberManagementRestricted": true,
             "members": ["bg-tier0@contososim.onmicrosoft.com"]},
            {"displayName": "Regional", "members": ["bg-regional@contososim.onmicrosoft.com"],
             "scopedRoles": [
                {"role": "Helpdesk Administrator", "principal": "chloe@contoso.example"},
                {"role": "User Administrator", "principal": "diego@contoso.example", "eligible": true}
             ]},
            {"displayName": "Sales", "members": ["emma@contoso.example"],
             "scopedRoles": [{"role": "User Administrator", "principal": "ben@contoso.example"}]}
        ]),
    );
    let (env, _simulator) = initialised(env, Some(&tenant), KEEPASS_PASSWORD);
    let results = audit_results(&env);
    let found = of_check(&results, "administrative-units", "finding");
    assert_eq!(found.len(), 2, "{found:#?}");
    assert_eq!(found[0]["severity"], "high");
    assert_eq!(evidence_names(found[0]), ["chloe@contoso.example"]);
    let detail = found[0]["evidence"][0]["detail"].as_str().unwrap();
    assert!(
        detail.contains("Helpdesk Administrator")
            && detail.contains("\"Regional\"")
            && detail.contains("bg-regional@"),
        "{detail}"
    );
    assert_eq!(found[1]["severity"], "medium");
    assert_eq!(evidence_names(found[1]), ["diego@contoso.example"]);
    // The unit holding only Emma is none of the audit's business; Tier 0 is a pass.
    let passes = of_check(&results, "administrative-units", "pass");
    assert_eq!(passes.len(), 1, "{passes:#?}");
    assert!(passes[0]["summary"].as_str().unwrap().contains("Tier 0"));
}

#[test]
fn a_restricted_unit_with_no_scoped_role_is_a_pass_that_says_so() {
    let env = TestEnv::new();
    let tenant = tenant_with_units(
        &env,
        json!([{"displayName": "Tier 0", "isMemberManagementRestricted": true,
            "members": ["bg-tier0@contososim.onmicrosoft.com", "bg-regional@contososim.onmicrosoft.com"]}]),
    );
    let (env, _simulator) = initialised(env, Some(&tenant), KEEPASS_PASSWORD);
    let results = audit_results(&env);
    assert!(of_check(&results, "administrative-units", "finding").is_empty());
    let passes = of_check(&results, "administrative-units", "pass");
    assert_eq!(passes.len(), 1, "{passes:#?}");
    let summary = passes[0]["summary"].as_str().unwrap();
    assert!(
        summary.contains("restricted management") && summary.contains("bg-tier0@"),
        "{summary}"
    );
}

#[test]
fn units_the_operator_may_not_read_are_not_checked_naming_the_permission() {
    let env = TestEnv::new();
    // Privileged Role Administrator reads the whole directory, so the operator loses it too.
    let tenant = edited_default_tenant(&env, "tenant.json", |tenant| {
        operator_permissions(tenant).retain(|p| p != "Directory.Read.All");
        operator_app(tenant)["roles"] = json!([]);
    });
    let (env, _simulator) = initialised(env, Some(&tenant), KEEPASS_PASSWORD);
    let results = audit_results(&env);
    let not_checked = of_check(&results, "administrative-units", "notChecked");
    assert_eq!(not_checked.len(), 1, "{results:#?}");
    assert!(
        not_checked[0]["hint"]
            .as_str()
            .unwrap()
            .contains("AdministrativeUnit.Read.All")
    );
    assert!(of_check(&results, "administrative-units", "pass").is_empty());
}

#[test]
fn an_emergency_user_excluded_only_through_a_nested_group_counts_as_excluded() {
    let env = TestEnv::new();
    // The test changes the policies through the operator, as an administrator would.
    let tenant = edited_default_tenant(&env, "tenant.json", |tenant| {
        operator_permissions(tenant).push(json!("Policy.ReadWrite.ConditionalAccess"));
    });
    let (env, simulator) = initialised(env, Some(&tenant), KEEPASS_PASSWORD);
    env.run(["apply", "--yes"]).assert_success();
    let admin = TenantGraph::new(&simulator);
    let mut users: Vec<String> = admin
        .list("users", "employeeType eq 'breakglass:emergency-access'")
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_string())
        .collect();
    users.sort();
    let reference = |id: &str| json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{id}")});
    let group = |name: &str| {
        let made = admin.post(
            "groups",
            json!({"displayName": name, "mailNickname": name, "mailEnabled": false, "securityEnabled": true}),
        );
        made["id"].as_str().unwrap().to_string()
    };
    // The first emergency user is in Inner, Inner in Outer, and every policy excludes Outer.
    let (inner, outer) = (group("inner"), group("outer"));
    admin.post_no_content(
        &format!("groups/{inner}/members/$ref"),
        reference(&users[0]),
    );
    admin.post_no_content(&format!("groups/{outer}/members/$ref"), reference(&inner));
    for policy in admin.list("identity/conditionalAccess/policies", "") {
        let id = policy["id"].as_str().unwrap();
        admin.patch(
            &format!("identity/conditionalAccess/policies/{id}"),
            policy_list_patch(&policy, "users", "excludeGroups", json!([outer])),
        );
    }
    let results = audit_results(&env);
    let flagged: Vec<&str> = of_check(&results, "user-conditional-access", "finding")
        .iter()
        .flat_map(|f| f["evidence"].as_array().unwrap())
        .filter_map(|e| e["id"].as_str())
        .collect();
    assert!(!flagged.contains(&users[0].as_str()), "{results:#?}");
    assert!(flagged.contains(&users[1].as_str()), "{results:#?}");
}
