//! Lockout paths: Conditional Access that would leave no emergency identity able to sign in.

use super::*;

fn user_policy(id: &str, state: &str, grant: &[&str], exclude_groups: &[&str]) -> Policy {
    Policy {
        id: id.into(),
        display_name: format!("policy {id}"),
        state: state.into(),
        include_users: vec!["All".into()],
        exclude_groups: exclude_groups.iter().map(|g| g.to_string()).collect(),
        grant_controls: grant.iter().map(|g| g.to_string()).collect(),
        ..Policy::default()
    }
}

fn lockout_findings(snapshot: &Snapshot) -> Vec<Finding> {
    audit(snapshot)
        .into_iter()
        .filter(|f| f.check == CheckId::PolicyLockout)
        .collect()
}

#[test]
fn policies_that_leave_a_way_in_pass() {
    let mut snapshot = clean();
    snapshot.tenant.policies = Fact::Known(vec![
        // Blocks everyone but the exclusion group: the users stay in.
        user_policy("p1", "enabled", &["block"], &["group"]),
        // Would block the users, but the emergency app is untouched by user policies.
        user_policy("p2", "enabledForReportingButNotEnforced", &["block"], &[]),
        // Asks for MFA, which a passkey meets.
        user_policy("p3", "enabled", &["mfa"], &[]),
    ]);
    let found = lockout_findings(&snapshot);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].status, Outcome::Pass, "{found:#?}");
    assert!(
        found[0].summary.starts_with("3 of 3"),
        "{}",
        found[0].summary
    );
}

#[test]
fn a_report_only_policy_that_would_stop_every_way_in_is_named() {
    let mut snapshot = clean();
    let workload = workload_policy("enabled", &["ServicePrincipalsInMyTenant"], &[]);
    snapshot.tenant.policies = Fact::Known(vec![
        workload,
        user_policy(
            "p2",
            "enabledForReportingButNotEnforced",
            &["compliantDevice"],
            &[],
        ),
        user_policy("p3", "disabled", &["block"], &[]),
        user_policy("p4", "disabled", &["block"], &["group"]),
    ]);
    let found = lockout_findings(&snapshot);
    let named: Vec<(&str, Option<Severity>)> = found
        .iter()
        .map(|f| (f.evidence[0].id.as_str(), f.severity))
        .collect();
    assert_eq!(
        named,
        [("p2", Some(Severity::High)), ("p3", Some(Severity::Medium))],
        "{found:#?}"
    );
    assert!(
        found[0].summary.contains("\"policy p2\""),
        "{}",
        found[0].summary
    );
    let stopped: Vec<&str> = found[0].evidence[1..]
        .iter()
        .map(|e| e.id.as_str())
        .collect();
    assert_eq!(stopped, ["u1", "u2"]);
}

#[test]
fn enforced_policies_that_stop_every_way_in_are_critical() {
    let mut snapshot = clean();
    let workload = workload_policy("enabled", &[SP], &[]);
    snapshot.tenant.policies = Fact::Known(vec![
        workload,
        user_policy("p1", "enabled", &["domainJoinedDevice"], &[]),
    ]);
    let found = lockout_findings(&snapshot);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].severity, Some(Severity::Critical));
    let ids: Vec<&str> = found[0].evidence.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["u1", "u2", SP]);
    assert!(
        found[0].evidence[2]
            .detail
            .as_deref()
            .unwrap()
            .contains("Block workload")
    );
}

#[test]
fn a_block_for_legacy_clients_only_is_no_lockout() {
    let mut snapshot = clean();
    let mut legacy = user_policy("p1", "enabled", &["block"], &[]);
    legacy.client_app_types = vec!["exchangeActiveSync".into(), "other".into()];
    let workload = workload_policy("enabled", &[SP], &[]);
    snapshot.tenant.policies = Fact::Known(vec![legacy, workload]);
    let found = lockout_findings(&snapshot);
    assert_eq!(found[0].status, Outcome::Pass, "{found:#?}");
    assert!(
        found[0].summary.starts_with("2 of 3"),
        "{}",
        found[0].summary
    );
}

#[test]
fn unreadable_policies_or_groups_are_not_checked() {
    let mut snapshot = clean();
    snapshot.tenant.policies = Fact::unreadable("Policy.Read.All", "403");
    assert_eq!(lockout_findings(&snapshot)[0].status, Outcome::NotChecked);
    let mut snapshot = clean();
    snapshot.tenant.users[1].group_ids = Fact::unreadable("GroupMember.Read.All", "403");
    let found = lockout_findings(&snapshot);
    assert_eq!(found[0].status, Outcome::NotChecked);
    assert_eq!(found[0].evidence[0].id, "u2");
}

fn device_bound(snapshot: &Snapshot) -> Vec<Finding> {
    audit(snapshot)
        .into_iter()
        .filter(|f| f.check == CheckId::UserDeviceBoundMethods)
        .collect()
}

const HELLO: &str = "#microsoft.graph.windowsHelloForBusinessAuthenticationMethod";

#[test]
fn a_user_whose_only_strong_method_is_windows_hello_depends_on_one_device() {
    let mut snapshot = clean();
    let found = device_bound(&snapshot);
    assert_eq!(found[0].status, Outcome::Pass, "a security key: {found:#?}");

    snapshot.tenant.users[0].method_types = Fact::Known(vec![
        "#microsoft.graph.passwordAuthenticationMethod".into(),
        HELLO.into(),
    ]);
    let found = device_bound(&snapshot);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].severity, Some(Severity::Medium));
    assert_eq!(found[0].evidence[0].id, "u1");

    // A policy asking every user for a compliant device makes it a lockout path.
    snapshot.tenant.policies = Fact::Known(vec![user_policy(
        "p1",
        "enabled",
        &["compliantDevice"],
        &[],
    )]);
    let found = device_bound(&snapshot);
    assert_eq!(found[0].severity, Some(Severity::High));
    assert!(
        found[0].summary.contains("\"policy p1\""),
        "{}",
        found[0].summary
    );

    // The same user with a security key as well depends on no one device.
    snapshot.tenant.users[0].method_types = Fact::Known(vec![
        HELLO.into(),
        "#microsoft.graph.fido2AuthenticationMethod".into(),
    ]);
    assert_eq!(device_bound(&snapshot)[0].status, Outcome::Pass);
}

#[test]
fn unreadable_methods_are_not_checked() {
    let mut snapshot = clean();
    snapshot.tenant.users[1].method_types =
        Fact::unreadable("UserAuthenticationMethod.Read.All", "403");
    let found = device_bound(&snapshot);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].status, Outcome::NotChecked);
}
