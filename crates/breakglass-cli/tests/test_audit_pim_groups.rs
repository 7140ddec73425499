//! PIM for Groups in the audit (issue 12, part 1): a principal eligible for membership of a
//! role-assignable group that holds a role is eligible for the role, and one eligible to own
//! or join the exclusion group can get past Conditional Access. Each with its negative case,
//! and the operator who may not read PIM for Groups gets "not checked", never a pass.

use serde_json::{Value, json};

use crate::common::{TestEnv, edited_default_tenant, initialised, operator_app};

const KEEPASS_PASSWORD: &str = "correct horse battery staple";
const EMERGENCY: [&str; 2] = [
    "bg-one@contososim.onmicrosoft.com",
    "bg-two@contososim.onmicrosoft.com",
];

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

/// Every piece of evidence of a check's findings, as "name | detail".
fn evidence(results: &[Value], check: &str) -> Vec<String> {
    of_check(results, check, "finding")
        .iter()
        .flat_map(|f| f["evidence"].as_array().cloned().unwrap_or_default())
        .map(|e| {
            format!(
                "{} | {}",
                e["name"].as_str().unwrap_or_default(),
                e["detail"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

/// The built-in tenant with two emergency users made by hand (the marker; no `apply`
/// needed), the exclusion group holding them as `exclusion` describes it, and `groups`.
fn tenant(env: &TestEnv, exclusion: Value, groups: Value) -> std::path::PathBuf {
    tenant_edited(env, exclusion, groups, |_| {})
}

fn tenant_edited(
    env: &TestEnv,
    exclusion: Value,
    groups: Value,
    edit: impl FnOnce(&mut Value),
) -> std::path::PathBuf {
    edited_default_tenant(env, "tenant.json", |tenant| {
        edit(tenant);
        let users = tenant["users"].as_array_mut().unwrap();
        for upn in EMERGENCY {
            let name = upn.split('@').next().unwrap();
            users.push(json!({"displayName": name, "userPrincipalName": upn,
                "password": format!("Sim-{name}-Passw0rd!"), "roles": ["Global Administrator"],
                "employeeType": "breakglass:emergency-access"}));
        }
        let mut group = json!({"displayName": "Emergency access accounts",
            "mailNickname": "breakglass-emergency-access", "isAssignableToRole": true,
            "members": EMERGENCY});
        group
            .as_object_mut()
            .unwrap()
            .extend(exclusion.as_object().unwrap().clone());
        let described = tenant["groups"].as_array_mut().unwrap();
        described.push(group);
        described.extend(groups.as_array().unwrap().iter().cloned());
    })
}

/// A role-assignable group holding Cloud Application Administrator: Adele a member, Ben
/// eligible for membership, Chloe eligible to own it; and Sales, holding no role, which
/// Emma is eligible to join.
fn role_groups() -> Value {
    json!([
        {"displayName": "Cloud app admins", "mailNickname": "cloudappadmins",
         "isAssignableToRole": true, "roles": ["Cloud Application Administrator"],
         "members": ["adele@contoso.example"],
         "eligibleMembers": ["ben@contoso.example"], "eligibleOwners": ["chloe@contoso.example"]},
        {"displayName": "Sales", "mailNickname": "sales",
         "eligibleMembers": ["emma@contoso.example"]}
    ])
}

#[test]
fn an_eligible_member_of_a_role_holding_group_is_eligible_for_its_role_and_no_one_else_is() {
    let env = TestEnv::new();
    let tenant = tenant(&env, json!({}), role_groups());
    let (env, _simulator) = initialised(env, Some(&tenant), KEEPASS_PASSWORD);
    let results = audit_results(&env);
    let found = evidence(&results, "credential-admin-roles");
    let ben: Vec<&String> = found.iter().filter(|e| e.contains("ben@")).collect();
    assert_eq!(ben.len(), 1, "{found:#?}");
    assert!(
        ben[0].contains("eligible member of group Cloud app admins (PIM for Groups)")
            && ben[0].contains("Cloud Application Administrator (eligible"),
        "{ben:?}"
    );
    let high = of_check(&results, "credential-admin-roles", "finding")
        .into_iter()
        .find(|f| f["summary"].as_str().unwrap().contains("PIM-eligible"))
        .expect("an eligible finding");
    assert_eq!(high["severity"], "high");
    // Adele holds the role through her standing membership; Chloe's eligible ownership and
    // Emma's eligibility for a group without a role give neither the role.
    assert!(found.iter().any(|e| e.starts_with("adele@")), "{found:#?}");
    assert!(
        !found
            .iter()
            .any(|e| e.contains("chloe@") || e.contains("emma@")),
        "{found:#?}"
    );
    assert!(of_check(&results, "credential-admin-roles", "notChecked").is_empty());
}

#[test]
fn principals_eligible_to_own_or_join_the_exclusion_group_are_findings() {
    let env = TestEnv::new();
    let tenant = tenant(
        &env,
        json!({"eligibleOwners": ["ben@contoso.example"],
               "eligibleMembers": ["emma@contoso.example", EMERGENCY[0]]}),
        json!([]),
    );
    let (env, _simulator) = initialised(env, Some(&tenant), KEEPASS_PASSWORD);
    let results = audit_results(&env);
    let found = evidence(&results, "exclusion-group");
    assert_eq!(
        found,
        [
            "ben@contoso.example | eligible owner of group Emergency access accounts (PIM for Groups)",
            "emma@contoso.example | eligible member of group Emergency access accounts (PIM for Groups)",
        ],
        "{results:#?}"
    );
    for finding in of_check(&results, "exclusion-group", "finding") {
        assert_eq!(finding["severity"], "high");
    }
    assert!(of_check(&results, "exclusion-group", "pass").is_empty());
}

#[test]
fn an_exclusion_group_nobody_else_may_join_or_own_passes() {
    let env = TestEnv::new();
    let tenant = tenant(&env, json!({}), role_groups());
    let (env, _simulator) = initialised(env, Some(&tenant), KEEPASS_PASSWORD);
    let results = audit_results(&env);
    assert!(
        of_check(&results, "exclusion-group", "finding").is_empty(),
        "{results:#?}"
    );
    let passes = of_check(&results, "exclusion-group", "pass");
    assert_eq!(passes.len(), 1, "{results:#?}");
    assert!(
        passes[0]["summary"]
            .as_str()
            .unwrap()
            .contains("nobody else is eligible")
    );
}

#[test]
fn an_operator_who_may_not_read_pim_for_groups_gets_not_checked_beside_what_it_could_read() {
    let env = TestEnv::new();
    // Privileged Role Administrator reads PIM for Groups of role-assignable groups; the
    // operator keeps Directory.Read.All and role management, which do not.
    let file = tenant_edited(
        &env,
        json!({"eligibleOwners": ["ben@contoso.example"]}),
        role_groups(),
        |tenant| operator_app(tenant)["roles"] = json!([]),
    );
    let (env, _simulator) = initialised(env, Some(&file), KEEPASS_PASSWORD);
    let results = audit_results(&env);
    for check in ["exclusion-group", "credential-admin-roles"] {
        let not_checked = of_check(&results, check, "notChecked");
        assert_eq!(not_checked.len(), 1, "{check}: {results:#?}");
        assert!(
            not_checked[0]["hint"]
                .as_str()
                .unwrap()
                .contains("PrivilegedEligibilitySchedule.Read.AzureADGroup"),
            "{check}"
        );
        assert!(of_check(&results, check, "pass").is_empty(), "{check}");
    }
    // What it could read is still reported: the standing member holds the role.
    let found = evidence(&results, "credential-admin-roles");
    assert!(found.iter().any(|e| e.starts_with("adele@")), "{found:#?}");
    // And checks PIM for Groups does not touch are made as before.
    assert_eq!(of_check(&results, "tier-zero-roles", "notChecked").len(), 0);
}
