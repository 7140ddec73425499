//! Lockout paths through the real binary (issue 12, part 1): Conditional Access that would
//! leave no emergency identity able to sign in, now or once a report-only policy is enabled,
//! and the same tenant passing once the policy excludes the emergency group.

use serde_json::{Value, json};

use crate::common::{
    InProcessSimulator, TenantGraph, TestEnv, edited_default_tenant, initialised,
    operator_permissions, policy_list_patch,
};

const KEEPASS_PASSWORD: &str = "correct horse battery staple";
const POLICIES: &str = "identity/conditionalAccess/policies";
const DEVICE_POLICY: &str = "Require a compliant device for everyone";

fn audit_results(env: &TestEnv) -> Vec<Value> {
    let output = env.run(["audit", "--output", "json", "--fail-on", "never"]);
    output.assert_success();
    output.json()["findings"]
        .as_array()
        .expect("findings")
        .clone()
}

fn lockout(results: &[Value]) -> Vec<&Value> {
    results
        .iter()
        .filter(|f| f["check"] == "policy-lockout")
        .collect()
}

/// A tenant whose workload identity policy already blocks every app but the operator's,
/// and whose report-only policy would ask every user for a compliant device.
fn applied() -> (TestEnv, InProcessSimulator) {
    let env = TestEnv::new();
    let tenant = edited_default_tenant(&env, "tenant.json", |tenant| {
        operator_permissions(tenant).push(json!("Policy.ReadWrite.ConditionalAccess"));
        let policies = tenant["conditionalAccessPolicies"].as_array_mut().unwrap();
        policies.push(json!({
            "displayName": "Block workload identities",
            "state": "enabled",
            "includeServicePrincipals": ["ServicePrincipalsInMyTenant"],
            "excludeServicePrincipals": ["breakglass operator automation"],
            "grant": ["block"]
        }));
        policies.push(json!({
            "displayName": DEVICE_POLICY,
            "state": "enabledForReportingButNotEnforced",
            "includeUsers": ["All"],
            "grant": ["compliantDevice"]
        }));
    });
    let (env, simulator) = initialised(env, Some(&tenant), KEEPASS_PASSWORD);
    env.run(["apply", "--yes"]).assert_success();
    (env, simulator)
}

#[test]
fn a_report_only_policy_that_would_leave_no_way_in_is_named_until_it_excludes_the_group() {
    let (env, simulator) = applied();
    let results = audit_results(&env);
    let found = lockout(&results);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0]["status"], "finding");
    assert_eq!(found[0]["severity"], "high");
    let summary = found[0]["summary"].as_str().unwrap();
    assert!(
        summary.contains(DEVICE_POLICY) && summary.contains("report-only"),
        "{summary}"
    );
    let kinds: Vec<&str> = found[0]["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["conditionalAccessPolicy", "user", "user"]);

    // The negative case: the same policy, excluding the emergency group.
    let admin = TenantGraph::new(&simulator);
    let group = admin.list("groups", "mailNickname eq 'breakglass-emergency-access'")[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let policy = admin
        .list(POLICIES, "")
        .into_iter()
        .find(|p| p["displayName"] == DEVICE_POLICY)
        .expect("the seeded policy");
    let path = format!("{POLICIES}/{}", policy["id"].as_str().unwrap());
    admin.patch(
        &path,
        policy_list_patch(&policy, "users", "excludeGroups", json!([group])),
    );
    let results = audit_results(&env);
    let passed = lockout(&results);
    assert_eq!(passed.len(), 1, "{passed:#?}");
    assert_eq!(passed[0]["status"], "pass", "{passed:#?}");
    assert!(
        passed[0]["summary"].as_str().unwrap().starts_with("2 of 3"),
        "the emergency app is blocked, the users are not: {passed:#?}"
    );
}

#[test]
fn enforced_policies_that_stop_every_emergency_identity_are_critical() {
    let (env, simulator) = applied();
    let admin = TenantGraph::new(&simulator);
    let policy = admin
        .list(POLICIES, "")
        .into_iter()
        .find(|p| p["displayName"] == DEVICE_POLICY)
        .expect("the seeded policy");
    admin.patch(
        &format!("{POLICIES}/{}", policy["id"].as_str().unwrap()),
        json!({"state": "enabled"}),
    );
    let output = env.run(["audit", "--output", "json"]);
    output.assert_code(12);
    let report = output.json();
    let found = lockout(report["findings"].as_array().unwrap());
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0]["severity"], "critical");
    let details: Vec<&str> = found[0]["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["detail"].as_str().unwrap())
        .collect();
    assert_eq!(details.len(), 3, "two users and the app: {details:?}");
    assert!(
        details.iter().any(|d| d.contains(DEVICE_POLICY))
            && details
                .iter()
                .any(|d| d.contains("Block workload identities")),
        "{details:?}"
    );
}

fn person(upn: &str, eligible: &[&str], enabled: bool) -> Value {
    let name = upn.split('@').next().unwrap();
    json!({"displayName": name, "userPrincipalName": upn, "accountEnabled": enabled,
        "password": format!("Sim-{name}-Passw0rd!"), "eligibleRoles": eligible})
}

/// Every Global and Privileged Role Administrator eligible only; activating Global
/// Administrator needs the approval of bob, who is disabled, and Privileged Role
/// Administrator that of the default approvers. The operator's own Privileged Role
/// Administrator, which `apply` needed, is taken away afterwards.
fn only_eligible_administrators() -> (TestEnv, InProcessSimulator) {
    let env = TestEnv::new();
    let tenant = edited_default_tenant(&env, "tenant.json", |tenant| {
        let users = tenant["users"].as_array_mut().unwrap();
        users.retain(|u| {
            u["userPrincipalName"] != "adele@contoso.example"
                && u["userPrincipalName"] != "ben@contoso.example"
        });
        users.push(person(
            "adele@contoso.example",
            &["Global Administrator"],
            true,
        ));
        users.push(person(
            "ben@contoso.example",
            &["Privileged Role Administrator"],
            true,
        ));
        users.push(person("bob@contoso.example", &[], false));
        tenant["roleActivationPolicies"] = json!([
            {"role": "Global Administrator", "approvalRequired": true,
             "approvers": [{"user": "bob@contoso.example"}]},
            {"role": "Privileged Role Administrator", "approvalRequired": true}
        ]);
    });
    let (env, simulator) = initialised(env, Some(&tenant), KEEPASS_PASSWORD);
    env.run(["apply", "--yes"]).assert_success();
    let admin = TenantGraph::new(&simulator);
    let operator = admin.list(
        "servicePrincipals",
        "displayName eq 'breakglass operator automation'",
    )[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    for assignment in admin.list(
        "roleManagement/directory/roleAssignments",
        &format!("principalId eq '{operator}'"),
    ) {
        admin.delete(&format!(
            "roleManagement/directory/roleAssignments/{}",
            assignment["id"].as_str().unwrap()
        ));
    }
    (env, simulator)
}

fn activation(results: &[Value]) -> Vec<&Value> {
    results
        .iter()
        .filter(|f| f["check"] == "role-activation-lockout")
        .collect()
}

#[test]
fn eligible_only_administrators_whose_approver_is_disabled_are_a_lockout_until_one_can_approve() {
    let (env, simulator) = only_eligible_administrators();
    let results = audit_results(&env);
    let found = activation(&results);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0]["status"], "finding", "{found:#?}");
    // The emergency identities still hold Global Administrator: not critical, but every
    // change now needs the break glass.
    assert_eq!(found[0]["severity"], "high");
    let evidence: Vec<(&str, &str)> = found[0]["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["name"].as_str().unwrap(), e["detail"].as_str().unwrap()))
        .collect();
    assert!(
        evidence
            .iter()
            .any(|(name, detail)| *name == "bob@contoso.example" && detail.contains("disabled")),
        "{evidence:?}"
    );
    for who in ["adele@contoso.example", "ben@contoso.example"] {
        assert!(
            evidence.iter().any(|(name, _)| *name == who),
            "{who}: {evidence:?}"
        );
    }

    // The negative case: bob may sign in again, so adele's activation can be approved.
    let admin = TenantGraph::new(&simulator);
    admin.patch("users/bob@contoso.example", json!({"accountEnabled": true}));
    let results = audit_results(&env);
    let passed = activation(&results);
    assert_eq!(passed.len(), 1, "{passed:#?}");
    assert_eq!(passed[0]["status"], "pass", "{passed:#?}");
}

fn emergency_user(upn: &str, methods: &[&str]) -> Value {
    let name = upn.split('@').next().unwrap();
    json!({"displayName": name, "userPrincipalName": upn,
        "password": format!("Sim-{name}-Passw0rd!"), "roles": ["Global Administrator"],
        "employeeType": "breakglass:emergency-access", "authenticationMethods": methods})
}

fn for_user<'a>(results: &'a [Value], check: &str, upn: &str) -> Vec<&'a Value> {
    results
        .iter()
        .filter(|f| f["check"] == check)
        .filter(|f| {
            f["evidence"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|e| e["name"] == upn)
        })
        .collect()
}

/// Two emergency accounts made by hand: one signs in with Windows Hello for Business only,
/// the other with a security key; a Conditional Access policy asks everyone for a compliant
/// device.
#[test]
fn an_emergency_user_bound_to_one_device_is_a_lockout_path_and_one_with_a_security_key_is_not() {
    let hello = "bg-hello@contososim.onmicrosoft.com";
    let key = "bg-key@contososim.onmicrosoft.com";
    let env = TestEnv::new();
    let tenant = edited_default_tenant(&env, "tenant.json", |tenant| {
        let users = tenant["users"].as_array_mut().unwrap();
        users.push(emergency_user(
            hello,
            &["windowsHelloForBusiness", "microsoftAuthenticator"],
        ));
        users.push(emergency_user(key, &["fido2"]));
        tenant["conditionalAccessPolicies"]
            .as_array_mut()
            .unwrap()
            .push(json!({
                "displayName": DEVICE_POLICY,
                "state": "enabled",
                "includeUsers": ["All"],
                "grant": ["compliantDevice"]
            }));
    });
    let (env, _simulator) = initialised(env, Some(&tenant), KEEPASS_PASSWORD);
    let results = audit_results(&env);

    let found = for_user(&results, "user-device-bound-methods", hello);
    assert_eq!(found.len(), 1, "{results:#?}");
    assert_eq!(found[0]["severity"], "high", "the device policy applies");
    let summary = found[0]["summary"].as_str().unwrap();
    assert!(
        summary.contains("windowsHelloForBusiness") && summary.contains(DEVICE_POLICY),
        "{summary}"
    );
    assert!(
        for_user(&results, "user-device-bound-methods", key).is_empty(),
        "a security key is bound to no device: {results:#?}"
    );
    // Microsoft asks emergency accounts to meet mandatory MFA with a passkey or a certificate,
    // so the key passes and Hello, tied to one machine, does not.
    assert!(
        for_user(&results, "mandatory-mfa", key).is_empty(),
        "{results:#?}"
    );
    assert_eq!(for_user(&results, "mandatory-mfa", hello).len(), 1);
}

#[test]
fn an_emergency_user_with_only_a_phone_app_is_not_ready_for_mandatory_mfa() {
    let phone = "bg-phone@contososim.onmicrosoft.com";
    let env = TestEnv::new();
    let tenant = edited_default_tenant(&env, "tenant.json", |tenant| {
        tenant["users"]
            .as_array_mut()
            .unwrap()
            .push(emergency_user(phone, &["microsoftAuthenticator"]));
    });
    let (env, _simulator) = initialised(env, Some(&tenant), KEEPASS_PASSWORD);
    let results = audit_results(&env);
    let found = for_user(&results, "mandatory-mfa", phone);
    assert_eq!(found.len(), 1, "{results:#?}");
    assert_eq!(found[0]["status"], "finding");
    assert!(
        for_user(&results, "user-device-bound-methods", phone).is_empty(),
        "no phishing-resistant method at all is user-phishing-resistant's finding"
    );
}
