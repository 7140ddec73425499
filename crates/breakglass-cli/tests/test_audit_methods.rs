//! The audit's view of who could take an emergency user over through its authentication
//! methods (issue 12, part 1): an app that may register passkeys for anyone, an app and a role
//! that may change the methods policy for everyone, and Authentication Administrators, who
//! reach users without an administrator role only. And the negative case: the built-in tenant
//! holds none of these.

use serde_json::{Value, json};

use crate::common::{TestEnv, edited_default_tenant, initialised};

const KEEPASS_PASSWORD: &str = "correct horse battery staple";

fn audit_findings(env: &TestEnv) -> Vec<Value> {
    let output = env.run(["audit", "--output", "json", "--fail-on", "never"]);
    output.assert_success();
    output.json()["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["status"] == "finding")
        .cloned()
        .collect()
}

fn of_check<'a>(findings: &'a [Value], check: &str) -> Vec<&'a Value> {
    findings.iter().filter(|f| f["check"] == check).collect()
}

fn evidence_names(finding: &Value) -> Vec<&str> {
    finding["evidence"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["name"].as_str())
        .collect()
}

#[test]
fn every_way_to_an_emergency_users_methods_is_a_finding_with_its_holder() {
    let env = TestEnv::new();
    let tenant = edited_default_tenant(&env, "tenant.json", |tenant| {
        let users = tenant["users"].as_array_mut().unwrap();
        users.push(
            json!({"displayName": "Polly Policy", "userPrincipalName": "polly@contoso.example",
            "password": "Sim-Polly-Passw0rd!", "roles": ["Authentication Policy Administrator"]}),
        );
        users.push(
            json!({"displayName": "Hal Helpdesk", "userPrincipalName": "hal@contoso.example",
            "password": "Sim-Hal-Passw0rd!", "eligibleRoles": ["Authentication Administrator"]}),
        );
        let apps = tenant["applications"].as_array_mut().unwrap();
        apps.push(json!({"displayName": "Passkey onboarding",
            "applicationPermissions": ["UserAuthMethod-Passkey.ReadWrite.All"]}));
        apps.push(json!({"displayName": "Methods policy sync",
            "applicationPermissions": ["Policy.ReadWrite.AuthenticationMethod"]}));
    });
    let (env, _simulator) = initialised(env, Some(&tenant), KEEPASS_PASSWORD);
    env.run(["apply", "--yes"]).assert_success();
    let findings = audit_findings(&env);

    let permissions = of_check(&findings, "user-takeover-permissions");
    let critical = permissions
        .iter()
        .find(|f| f["severity"] == "critical")
        .expect("a critical finding");
    assert!(
        evidence_names(critical).contains(&"Passkey onboarding"),
        "{critical:#}"
    );
    let high = permissions
        .iter()
        .find(|f| f["severity"] == "high")
        .expect("a high finding for the methods policy");
    assert_eq!(evidence_names(high), ["Methods policy sync"], "{high:#}");

    let roles = of_check(&findings, "user-takeover-roles");
    let policy_admin = roles
        .iter()
        .find(|f| {
            f["summary"]
                .as_str()
                .unwrap()
                .contains("Authentication Policy Administrator")
        })
        .expect("the Authentication Policy Administrator");
    assert_eq!(policy_admin["severity"], "high");
    assert_eq!(evidence_names(policy_admin), ["polly@contoso.example"]);
    let helpdesk = roles
        .iter()
        .find(|f| {
            f["summary"]
                .as_str()
                .unwrap()
                .contains("of Authentication Administrator")
        })
        .expect("the eligible Authentication Administrator");
    assert_eq!(helpdesk["severity"], "info");
    assert_eq!(evidence_names(helpdesk), ["hal@contoso.example"]);
}

#[test]
fn the_built_in_tenant_has_no_such_holder_but_its_provisioning_operator() {
    let (env, _simulator) = initialised(TestEnv::new(), None, KEEPASS_PASSWORD);
    env.run(["apply", "--yes"]).assert_success();
    let findings = audit_findings(&env);
    let permissions = of_check(&findings, "user-takeover-permissions");
    assert_eq!(permissions.len(), 1, "{permissions:#?}");
    assert_eq!(
        evidence_names(permissions[0]),
        ["breakglass operator automation"],
        "only the operator, for UserAuthenticationMethod.ReadWrite.All"
    );
    assert!(
        of_check(&findings, "user-takeover-roles").is_empty(),
        "{findings:#?}"
    );
}
