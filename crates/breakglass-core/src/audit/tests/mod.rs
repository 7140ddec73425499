use super::*;
use crate::app_policy::EffectivePolicy;
use crate::tenant::{
    Application, Credential, FederatedCredential, Group, PermissionGrant, Policy, RoleAssignment,
    ServicePrincipal, User,
};

const SP: &str = "5p000000-0000-0000-0000-000000000001";
const APP: &str = "a0000000-0000-0000-0000-000000000001";
const GA: &str = "62e90394-69f5-4237-9190-012177145e10";
const APP_ADMIN: &str = "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3";

fn now() -> Timestamp {
    "2026-11-25T12:00:00Z".parse().unwrap()
}

fn principal(id: &str, name: &str, kind: &str) -> Principal {
    Principal {
        id: id.into(),
        name: name.into(),
        kind: kind.into(),
    }
}

fn grant(id: &str, name: &str, role: &str, scope: &str) -> RoleAssignment {
    RoleAssignment {
        id: format!("ra-{id}-{role}"),
        principal: principal(id, name, "user"),
        role_template_id: role.into(),
        directory_scope_id: scope.into(),
    }
}

fn user(id: &str, upn: &str) -> User {
    User {
        id: id.into(),
        user_principal_name: upn.into(),
        account_enabled: true,
        group_ids: Fact::Known(vec!["group".into()]),
        method_types: Fact::Known(vec!["#microsoft.graph.fido2AuthenticationMethod".into()]),
        ..User::default()
    }
}

fn secret(key: &str, name: Option<&str>) -> Credential {
    Credential {
        key_id: key.into(),
        kind: CredentialKind::Secret,
        display_name: name.map(str::to_string),
        start: None,
        end: None,
    }
}

/// A tenant that passes every check.
fn clean() -> Snapshot {
    Snapshot {
        now: now(),
        declared_labels: vec!["offline".into(), "rotating".into()],
        declared_credentials: Vec::new(),
        exempt_from_app_management_policy: false,
        held_key_ids: Ok(vec!["k1".into(), "K2".into()]),
        user_role: roles::GLOBAL_ADMINISTRATOR,
        app_role: Some(roles::GLOBAL_ADMINISTRATOR),
        tenant: TenantView {
            initial_domain: "contoso.onmicrosoft.com".into(),
            apps: vec![Application {
                id: APP.into(),
                app_id: "appid".into(),
                display_name: "Emergency access".into(),
                sign_in_audience: "AzureADMyOrg".into(),
                credentials_locked: true,
                owners: Fact::Known(vec![]),
                credentials: vec![
                    secret("k1", Some("breakglass:offline")),
                    secret("k2", Some("breakglass:rotating")),
                ],
                federated_credentials: Fact::Known(vec![]),
                ..Application::default()
            }],
            service_principal: Some(ServicePrincipal {
                id: SP.into(),
                account_enabled: true,
                owners: Fact::Known(vec![]),
                credentials: vec![],
            }),
            role_assignments: Fact::Known(vec![
                grant(SP, "Emergency access", GA, "/"),
                grant("u1", "bg1@contoso.onmicrosoft.com", GA, "/"),
                grant("u2", "bg2@contoso.onmicrosoft.com", GA, "/"),
            ]),
            role_eligibilities: Fact::Known(vec![]),
            group_eligibilities: Fact::Known(vec![]),
            role_definitions: Fact::Known(vec![]),
            role_approvals: Fact::Known(vec![]),
            administrative_units: Fact::Known(vec![]),
            graph_grants: Fact::Known(vec![]),
            policies: Fact::Known(vec![]),
            users: vec![
                user("u1", "bg1@contoso.onmicrosoft.com"),
                user("u2", "bg2@contoso.onmicrosoft.com"),
            ],
            group: Some(Group {
                id: "group".into(),
                display_name: "Emergency access accounts".into(),
                is_assignable_to_role: true,
                owners: Fact::Known(vec![]),
                members: Fact::Known(vec![
                    principal("u1", "bg1@contoso.onmicrosoft.com", "user"),
                    principal("u2", "bg2@contoso.onmicrosoft.com", "user"),
                ]),
                nested_members: Fact::Known(vec![]),
            }),
            app_management: Fact::Known(EffectivePolicy::default()),
            own_app_policy: Fact::NotRead,
            pass_policy: Fact::NotRead,
        },
        last_drill: Some("2026-11-01T00:00:00Z".parse().unwrap()),
        store_problems: Vec::new(),
        azure: Some(crate::azure_rbac::AzureReach {
            root: Fact::Known(vec![]),
            root_management_group: Fact::Known(vec![]),
        }),
    }
}

fn findings_of(findings: &[Finding], check: CheckId) -> Vec<&Finding> {
    findings
        .iter()
        .filter(|f| f.check == check && f.status == Outcome::Finding)
        .collect()
}

fn only(findings: &[Finding], check: CheckId) -> &Finding {
    let found = findings_of(findings, check);
    assert_eq!(found.len(), 1, "{check:?}: {findings:#?}");
    found[0]
}

#[test]
fn a_clean_tenant_passes_every_check() {
    let findings = audit(&clean());
    let not_passed: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.status != Outcome::Pass)
        .collect();
    assert!(not_passed.is_empty(), "{not_passed:#?}");
    for check in CheckId::ALL {
        assert!(
            findings.iter().any(|f| f.check == check),
            "{check:?} reported nothing"
        );
    }
    assert!(!fails(&findings, Severity::Info));
}

#[test]
fn owners_of_the_app_and_the_service_principal_are_critical() {
    let mut s = clean();
    s.tenant.apps[0].owners = Fact::Known(vec![principal("o1", "eve@contoso.com", "user")]);
    s.tenant.service_principal.as_mut().unwrap().owners =
        Fact::Known(vec![principal("o2", "Some App", "servicePrincipal")]);
    let findings = audit(&s);
    let f = only(&findings, CheckId::AppOwners);
    assert_eq!(f.severity, Some(Severity::Critical));
    assert_eq!(f.evidence[0].id, "o1");
    let f = only(&findings, CheckId::ServicePrincipalOwners);
    assert_eq!(f.evidence[0].name, "Some App");
    assert!(fails(&findings, Severity::Critical));
}

#[test]
fn unreadable_owners_are_not_checked_and_fail_the_audit() {
    let mut s = clean();
    s.tenant.apps[0].owners = Fact::unreadable(
        "Application.Read.All",
        "GET /applications/{id}/owners answered 403",
    );
    let findings = audit(&s);
    let f = findings
        .iter()
        .find(|f| f.check == CheckId::AppOwners)
        .unwrap();
    assert_eq!(f.status, Outcome::NotChecked);
    assert!(f.hint.as_deref().unwrap().contains("Application.Read.All"));
    assert!(fails(&findings, Severity::Critical));
}

#[test]
fn credentials_breakglass_did_not_make_are_critical_and_stale_labels_medium() {
    let mut s = clean();
    let app = &mut s.tenant.apps[0];
    app.credentials.push(secret("k3", Some("CI pipeline")));
    app.credentials.push(secret("k4", None));
    app.credentials.push(secret("k5", Some("breakglass:old")));
    let findings = audit(&s);
    let found = findings_of(&findings, CheckId::AppCredentials);
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].severity, Some(Severity::Critical));
    let ids: Vec<&str> = found[0].evidence.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["k3", "k4"]);
    assert_eq!(found[1].severity, Some(Severity::Medium));
    assert_eq!(found[1].evidence[0].id, "k5");
}

#[test]
fn any_credential_on_the_service_principal_is_critical() {
    let mut s = clean();
    s.tenant
        .service_principal
        .as_mut()
        .unwrap()
        .credentials
        .push(secret("sp-key", Some("breakglass:offline")));
    let findings = audit(&s);
    let f = only(&findings, CheckId::ServicePrincipalCredentials);
    assert_eq!(f.severity, Some(Severity::Critical));
    assert_eq!(f.evidence[0].id, "sp-key");
    assert!(f.summary.contains("does not show them"));
}

#[test]
fn unlocked_credentials_multi_tenant_audience_and_a_disabled_sp() {
    let mut s = clean();
    let app = &mut s.tenant.apps[0];
    app.credentials_locked = false;
    app.sign_in_audience = "AzureADMultipleOrgs".into();
    s.tenant.service_principal.as_mut().unwrap().account_enabled = false;
    let findings = audit(&s);
    assert_eq!(
        only(&findings, CheckId::CredentialLock).severity,
        Some(Severity::High)
    );
    assert!(
        only(&findings, CheckId::SignInAudience)
            .summary
            .contains("AzureADMultipleOrgs")
    );
    assert_eq!(
        only(&findings, CheckId::ServicePrincipalEnabled).severity,
        Some(Severity::Critical)
    );
}

#[test]
fn application_administrators_active_eligible_and_scoped_to_the_app() {
    let mut s = clean();
    if let Fact::Known(list) = &mut s.tenant.role_assignments {
        list.push(grant("d1", "diego@contoso.com", APP_ADMIN, "/"));
        list.push(grant(
            "d2",
            "scoped@contoso.com",
            APP_ADMIN,
            &format!("/{APP}"),
        ));
        list.push(grant(
            "d3",
            "elsewhere@contoso.com",
            APP_ADMIN,
            "/other-app",
        ));
    }
    s.tenant.role_eligibilities = Fact::Known(vec![grant(
        "d4",
        "pim@contoso.com",
        "158c047a-c907-4556-b7ef-446551a6b5f7",
        "/",
    )]);
    let findings = audit(&s);
    let found = findings_of(&findings, CheckId::CredentialAdminRoles);
    assert_eq!(found.len(), 2, "{found:#?}");
    assert_eq!(found[0].severity, Some(Severity::Critical));
    let ids: Vec<&str> = found[0].evidence.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(
        ids,
        ["d1", "d2"],
        "an assignment scoped to another app does not reach ours"
    );
    assert!(
        found[0].evidence[1]
            .detail
            .as_deref()
            .unwrap()
            .contains(APP)
    );
    assert_eq!(found[1].severity, Some(Severity::High));
    assert!(
        found[1].evidence[0]
            .detail
            .as_deref()
            .unwrap()
            .contains("Cloud Application Administrator (eligible")
    );
}

#[test]
fn hybrid_identity_administrators_and_tier_zero_roles() {
    let mut s = clean();
    if let Fact::Known(list) = &mut s.tenant.role_assignments {
        list.push(grant(
            "h1",
            "hybrid@contoso.com",
            "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2",
            "/",
        ));
        list.push(grant(
            "p1",
            "ben@contoso.com",
            "e8611ab8-c189-46e8-94e1-60213ab1f814",
            "/",
        ));
    }
    let findings = audit(&s);
    assert_eq!(
        only(&findings, CheckId::OwnerAdminRoles).severity,
        Some(Severity::High)
    );
    let tier0 = only(&findings, CheckId::TierZeroRoles);
    assert_eq!(tier0.severity, Some(Severity::Low));
    // The emergency identities' own Global Administrator is not a finding.
    let ids: Vec<&str> = tier0.evidence.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["p1"]);
}

#[test]
fn unreadable_eligibility_is_not_checked_but_active_holders_still_reported() {
    let mut s = clean();
    if let Fact::Known(list) = &mut s.tenant.role_assignments {
        list.push(grant("d1", "diego@contoso.com", APP_ADMIN, "/"));
    }
    s.tenant.role_eligibilities = Fact::unreadable(
        "RoleEligibilitySchedule.Read.Directory",
        "GET /roleManagement/directory/roleEligibilityScheduleInstances answered 403",
    );
    let findings = audit(&s);
    let of_check: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.check == CheckId::CredentialAdminRoles)
        .collect();
    assert!(of_check.iter().any(|f| {
        f.status == Outcome::NotChecked
            && f.hint
                .as_deref()
                .unwrap()
                .contains("RoleEligibilitySchedule.Read.Directory")
    }));
    assert!(of_check.iter().any(|f| f.status == Outcome::Finding));
    assert!(of_check.iter().all(|f| f.status != Outcome::Pass));
}

#[test]
fn graph_permissions_that_reach_the_app() {
    let mut s = clean();
    let sp = |id: &str, name: &str| principal(id, name, "servicePrincipal");
    s.tenant.graph_grants = Fact::Known(vec![
        PermissionGrant {
            id: String::new(),
            principal: sp("x1", "CI deployer"),
            permission: "Application.ReadWrite.All".into(),
        },
        PermissionGrant {
            id: String::new(),
            principal: sp("x2", "Reader"),
            permission: "User.Read.All".into(),
        },
        PermissionGrant {
            id: String::new(),
            principal: sp("x3", "Owner app"),
            permission: "Application.ReadWrite.OwnedBy".into(),
        },
        PermissionGrant {
            id: String::new(),
            principal: sp("x4", "Not an owner"),
            permission: "Application.ReadWrite.OwnedBy".into(),
        },
        PermissionGrant {
            id: String::new(),
            principal: sp(SP, "Emergency access"),
            permission: "RoleManagement.ReadWrite.Directory".into(),
        },
    ]);
    s.tenant.apps[0].owners = Fact::Known(vec![sp("x3", "Owner app")]);
    let findings = audit(&s);
    let f = only(&findings, CheckId::GraphPermissions);
    assert_eq!(f.severity, Some(Severity::Critical));
    let ids: Vec<&str> = f.evidence.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["x1", "x3"]);
}

fn workload_policy(state: &str, include: &[&str], exclude: &[&str]) -> Policy {
    Policy {
        id: "pol".into(),
        display_name: "Block workload identities outside trusted locations".into(),
        state: state.into(),
        include_users: vec!["None".into()],
        include_service_principals: include.iter().map(|s| s.to_string()).collect(),
        exclude_service_principals: exclude.iter().map(|s| s.to_string()).collect(),
        grant_controls: vec!["block".into()],
        ..Policy::default()
    }
}

#[test]
fn workload_identity_policies_that_can_block_the_emergency_app() {
    let mut s = clean();
    s.tenant.policies = Fact::Known(vec![workload_policy(
        "enabled",
        &["ServicePrincipalsInMyTenant"],
        &[],
    )]);
    let findings = audit(&s);
    let f = only(&findings, CheckId::WorkloadConditionalAccess);
    assert_eq!(f.severity, Some(Severity::Critical));
    assert_eq!(f.evidence[0].id, "pol");

    s.tenant.policies = Fact::Known(vec![workload_policy("enabled", &[SP], &[])]);
    assert!(
        only(&audit(&s), CheckId::WorkloadConditionalAccess).evidence[0]
            .detail
            .as_deref()
            .unwrap()
            .contains("includes the emergency service principal")
    );

    s.tenant.policies = Fact::Known(vec![workload_policy(
        "enabledForReportingButNotEnforced",
        &["ServicePrincipalsInMyTenant"],
        &[],
    )]);
    assert_eq!(
        only(&audit(&s), CheckId::WorkloadConditionalAccess).severity,
        Some(Severity::Low)
    );

    for excluded in [
        workload_policy("enabled", &["ServicePrincipalsInMyTenant"], &[SP]),
        workload_policy("disabled", &["ServicePrincipalsInMyTenant"], &[]),
    ] {
        s.tenant.policies = Fact::Known(vec![excluded]);
        assert!(findings_of(&audit(&s), CheckId::WorkloadConditionalAccess).is_empty());
    }
}

#[test]
fn emergency_users_synced_on_a_custom_domain_disabled_or_eligible_only() {
    let mut s = clean();
    s.tenant.users[0].on_premises_sync_enabled = Some(true);
    s.tenant.users[0].user_principal_name = "bg1@contoso.com".into();
    s.tenant.users[1].account_enabled = false;
    if let Fact::Known(list) = &mut s.tenant.role_assignments {
        list.retain(|g| g.principal.id != "u2");
    }
    s.tenant.role_eligibilities = Fact::Known(vec![grant("u2", "bg2", GA, "/")]);
    let findings = audit(&s);
    assert_eq!(only(&findings, CheckId::UserCloudOnly).evidence[0].id, "u1");
    let domain = only(&findings, CheckId::UserDomain);
    assert!(
        domain.evidence[0]
            .detail
            .as_deref()
            .unwrap()
            .contains("contoso.com")
    );
    assert_eq!(only(&findings, CheckId::UserEnabled).evidence[0].id, "u2");
    let role = only(&findings, CheckId::UserRole);
    assert!(
        role.evidence[0]
            .detail
            .as_deref()
            .unwrap()
            .contains("PIM-eligible")
    );
}

#[test]
fn user_conditional_access_and_methods_reuse_the_drill_rules() {
    let mut s = clean();
    s.tenant.policies = Fact::Known(vec![Policy {
        id: "block".into(),
        display_name: "Block all".into(),
        state: "enabled".into(),
        include_users: vec!["All".into()],
        grant_controls: vec!["block".into()],
        ..Policy::default()
    }]);
    s.tenant.users[1].group_ids = Fact::Known(vec![]);
    s.tenant.users[1].method_types =
        Fact::Known(vec!["#microsoft.graph.passwordAuthenticationMethod".into()]);
    s.tenant.users[0].method_types = Fact::unreadable(
        "UserAuthenticationMethod.Read.All",
        "GET /users/{id}/authentication/methods answered 403",
    );
    let findings = audit(&s);
    let ca = only(&findings, CheckId::UserConditionalAccess);
    assert_eq!(ca.severity, Some(Severity::Critical));
    assert_eq!(ca.evidence.len(), 2, "neither user is excluded");
    let methods = only(&findings, CheckId::UserPhishingResistant);
    assert_eq!(methods.evidence[0].id, "u2");
    assert!(
        findings
            .iter()
            .any(|f| f.check == CheckId::UserPhishingResistant
                && f.status == Outcome::NotChecked
                && f.evidence[0].id == "u1")
    );
}

#[test]
fn too_few_paths_too_many_global_admins_and_no_drill() {
    let mut s = clean();
    s.tenant.users.truncate(1);
    s.last_drill = None;
    if let Fact::Known(list) = &mut s.tenant.role_assignments {
        for i in 0..4 {
            list.push(grant(&format!("ga{i}"), "someone", GA, "/"));
        }
    }
    let findings = audit(&s);
    assert_eq!(
        only(&findings, CheckId::EmergencyAccessPaths).severity,
        Some(Severity::Medium)
    );
    let count = only(&findings, CheckId::GlobalAdminCount);
    assert!(
        count.summary.starts_with("7 Global Administrators"),
        "{count:?}"
    );
    assert_eq!(
        only(&findings, CheckId::LastDrill).severity,
        Some(Severity::Medium)
    );

    s.tenant.apps.clear();
    s.tenant.service_principal = None;
    s.last_drill = Some("2026-01-01T00:00:00Z".parse().unwrap());
    let findings = audit(&s);
    assert_eq!(
        only(&findings, CheckId::EmergencyAccessPaths).severity,
        Some(Severity::High)
    );
    assert!(
        only(&findings, CheckId::LastDrill)
            .summary
            .contains("days ago")
    );
    assert_eq!(
        only(&findings, CheckId::EmergencyApp).severity,
        Some(Severity::High)
    );
}

#[test]
fn thresholds() {
    assert_eq!(Severity::parse("HIGH"), Some(Severity::High));
    assert_eq!(Severity::parse("urgent"), None);
    let mut s = clean();
    s.last_drill = None;
    let findings = audit(&s);
    assert!(fails(&findings, Severity::Medium));
    assert!(!fails(&findings, Severity::High));
}

#[test]
fn unreadable_role_assignments_leave_the_users_role_not_checked() {
    let mut s = clean();
    s.tenant.role_assignments = Fact::unreadable(
        "RoleManagement.Read.Directory",
        "GET /roleManagement/directory/roleAssignments answered 403",
    );
    let findings = audit(&s);
    for check in [
        CheckId::UserRole,
        CheckId::CredentialAdminRoles,
        CheckId::GlobalAdminCount,
    ] {
        let of: Vec<&Finding> = findings.iter().filter(|f| f.check == check).collect();
        assert!(!of.is_empty(), "{check:?}");
        assert!(
            of.iter().any(|f| f.status == Outcome::NotChecked)
                && of.iter().all(|f| f.status != Outcome::Pass),
            "{check:?}: {of:#?}"
        );
    }
    assert_eq!(
        permission_of("18A4783C-866B-4CC7-A460-3D5E5662C884"),
        Some("Application.ReadWrite.OwnedBy")
    );
    assert_eq!(
        permission_of("741f803b-c850-494e-b5df-cde7c675a1ca"),
        Some("User.ReadWrite.All")
    );
}

#[test]
fn a_breakglass_label_is_no_proof_without_a_key_id_the_stores_hold() {
    let mut s = clean();
    s.tenant
        .apps
        .first_mut()
        .unwrap()
        .credentials
        .push(secret("k9", Some("breakglass:rotating")));
    let findings = audit(&s);
    let f = only(&findings, CheckId::AppCredentials);
    assert_eq!(f.severity, Some(Severity::Critical));
    assert_eq!(f.evidence[0].id, "k9");

    // Without the stores the label is all there is: an info finding says so.
    s.held_key_ids = Err("no KeePass password given".into());
    let findings = audit(&s);
    let f = only(&findings, CheckId::AppCredentials);
    assert_eq!(f.severity, Some(Severity::Info));
    assert!(f.summary.contains("no KeePass password given"));
    assert!(!fails(&findings, Severity::Low));
    assert!(fails(&findings, Severity::Info));
}

#[test]
fn who_can_take_an_emergency_user_over() {
    let mut s = clean();
    if let Fact::Known(list) = &mut s.tenant.role_assignments {
        list.push(grant(
            "paa",
            "helpdesk-lead@contoso.com",
            "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",
            "/",
        ));
    }
    s.tenant.graph_grants = Fact::Known(vec![PermissionGrant {
        id: String::new(),
        principal: principal("x1", "HR onboarding", "servicePrincipal"),
        permission: "UserAuthenticationMethod.ReadWrite.All".into(),
    }]);
    let findings = audit(&s);
    let roles = only(&findings, CheckId::UserTakeoverRoles);
    assert_eq!(roles.severity, Some(Severity::Critical));
    assert_eq!(roles.evidence[0].id, "paa");
    let permissions = only(&findings, CheckId::UserTakeoverPermissions);
    assert_eq!(permissions.evidence[0].name, "HR onboarding");
    // It does not reach the app: no graph-permissions finding.
    assert!(findings_of(&findings, CheckId::GraphPermissions).is_empty());

    // Without emergency users there is nobody to take over.
    s.tenant.users.clear();
    let findings = audit(&s);
    assert!(
        findings
            .iter()
            .all(|f| f.check != CheckId::UserTakeoverRoles
                && f.check != CheckId::UserTakeoverPermissions)
    );
}

#[test]
fn the_exclusion_group_must_be_role_assignable_ownerless_and_hold_only_emergency_users() {
    let mut s = clean();
    let group = s.tenant.group.as_mut().unwrap();
    group.is_assignable_to_role = false;
    group.owners = Fact::Known(vec![principal("o1", "owner@contoso.com", "user")]);
    if let Fact::Known(members) = &mut group.members {
        members.push(principal("m1", "eve@contoso.com", "user"));
    }
    let findings = audit(&s);
    let found = findings_of(&findings, CheckId::ExclusionGroup);
    assert_eq!(found.len(), 3, "{found:#?}");
    assert!(found.iter().all(|f| f.severity == Some(Severity::High)));
    assert!(
        found
            .iter()
            .any(|f| f.evidence.iter().any(|e| e.id == "m1"))
    );
    assert!(
        found
            .iter()
            .any(|f| f.evidence.iter().any(|e| e.id == "o1"))
    );

    s.tenant.group = None;
    assert_eq!(
        only(&audit(&s), CheckId::ExclusionGroup).severity,
        Some(Severity::Medium)
    );
}

#[test]
fn the_emergency_app_must_hold_its_role_actively() {
    let mut s = clean();
    if let Fact::Known(list) = &mut s.tenant.role_assignments {
        list.retain(|g| g.principal.id != SP);
    }
    let f = audit(&s);
    assert!(
        only(&f, CheckId::AppRole)
            .summary
            .contains("no active Global Administrator")
    );
    s.tenant.role_eligibilities = Fact::Known(vec![grant(SP, "Emergency access", GA, "/")]);
    let f = audit(&s);
    assert!(
        only(&f, CheckId::AppRole)
            .summary
            .contains("only PIM-eligible")
    );
    // With Graph permissions instead of a role there is nothing to check.
    s.app_role = None;
    assert!(audit(&s).iter().all(|f| f.check != CheckId::AppRole));
}

#[test]
fn a_federated_identity_credential_is_a_way_in_without_a_secret() {
    let mut s = clean();
    s.tenant.apps[0].federated_credentials = Fact::Known(vec![FederatedCredential {
        id: "fic".into(),
        name: "deploy".into(),
        issuer: "https://token.actions.githubusercontent.com".into(),
        subject: "repo:someone/something:ref:refs/heads/main".into(),
    }]);
    let f = audit(&s);
    let found = only(&f, CheckId::FederatedCredentials);
    assert_eq!(found.severity, Some(Severity::Critical));
    assert!(
        found.evidence[0]
            .detail
            .as_deref()
            .unwrap()
            .contains("githubusercontent")
    );
}

#[test]
fn a_store_missing_though_the_tenant_needs_it_is_high() {
    let mut s = clean();
    assert!(findings_of(&audit(&s), CheckId::LocalStores).is_empty());
    s.store_problems = vec!["the KeePass database ./breakglass.kdbx is missing".into()];
    let f = audit(&s);
    let found = only(&f, CheckId::LocalStores);
    assert_eq!(found.severity, Some(Severity::High));
    assert!(found.summary.contains("breakglass.kdbx"));
    assert!(fails(&f, Severity::High));
}

mod activation;
mod app_management;
mod azure;
mod lockout;
mod mfa;
mod pim_groups;
mod scoped;
