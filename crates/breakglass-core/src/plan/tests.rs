use super::*;
use crate::config::{CredentialKind, STARTER};
use crate::roles;
use crate::tenant::{
    Application, Credential, Fact, Group, Policy, Principal as Member, RoleAssignment,
    ServicePrincipal, User,
};

fn config() -> Config {
    Config::parse(STARTER).unwrap()
}

fn now() -> Timestamp {
    "2026-11-24T12:00:00Z".parse().unwrap()
}

fn credential(key_id: &str, label: &str, kind: CredentialKind) -> Credential {
    Credential {
        key_id: key_id.into(),
        kind,
        display_name: Some(credential_display_name(label)),
        start: Some("2026-11-20T00:00:00Z".parse().unwrap()),
        end: Some("2027-11-20T00:00:00Z".parse().unwrap()),
    }
}

fn unnamed_secret(key_id: &str, display_name: Option<&str>) -> Credential {
    Credential {
        key_id: key_id.into(),
        kind: CredentialKind::Secret,
        display_name: display_name.map(str::to_string),
        start: None,
        end: None,
    }
}

fn principal(id: &str) -> Member {
    Member {
        id: id.into(),
        name: id.into(),
        kind: "user".into(),
    }
}

fn global_admin(id: &str) -> RoleAssignment {
    RoleAssignment {
        id: format!("ra-{id}"),
        principal: principal(id),
        role_template_id: roles::GLOBAL_ADMINISTRATOR.template_id.to_string(),
        directory_scope_id: "/".into(),
    }
}

fn user(id: &str, upn: &str) -> User {
    User {
        id: id.into(),
        user_principal_name: upn.into(),
        account_enabled: true,
        ..User::default()
    }
}

/// The known items of a fact the test set up as known.
fn known<T>(fact: &mut Fact<Vec<T>>) -> &mut Vec<T> {
    match fact {
        Fact::Known(items) => items,
        _ => panic!("the test set this fact up as known"),
    }
}

fn empty_tenant(initial_domain: &str) -> Observed {
    Observed {
        tenant: TenantView {
            initial_domain: initial_domain.into(),
            ..TenantView::default()
        },
        held_key_ids: Some(BTreeSet::new()),
        ..Observed::default()
    }
}

/// A tenant that matches the starter configuration exactly.
fn converged() -> Observed {
    Observed {
        tenant: TenantView {
            initial_domain: "contoso.onmicrosoft.com".into(),
            apps: vec![Application {
                id: "app-object".into(),
                app_id: "app-id".into(),
                display_name: "Emergency access (breakglass)".into(),
                sign_in_audience: "AzureADMyOrg".into(),
                tags: vec![APP_TAG.into()],
                notes: Some(APP_NOTES.into()),
                credentials_locked: true,
                owners: Fact::Known(vec![]),
                credentials: vec![
                    credential("k-offline", "offline", CredentialKind::Certificate),
                    credential("k-rotating", "rotating", CredentialKind::Secret),
                ],
                ..Application::default()
            }],
            service_principal: Some(ServicePrincipal {
                id: "sp".into(),
                account_enabled: true,
                owners: Fact::Known(vec![]),
                ..Default::default()
            }),
            role_assignments: Fact::Known(vec![
                global_admin("sp"),
                global_admin("u1"),
                global_admin("u2"),
            ]),
            graph_grants: Fact::Known(vec![]),
            users: vec![
                user("u1", "breakglass-a1@contoso.onmicrosoft.com"),
                user("u2", "breakglass-b2@contoso.onmicrosoft.com"),
            ],
            group: Some(Group {
                id: "g".into(),
                display_name: "Emergency access accounts".into(),
                is_assignable_to_role: true,
                owners: Fact::Known(vec![]),
                members: Fact::Known(vec![principal("u1"), principal("u2")]),
                nested_members: Fact::NotRead,
            }),
            ..TenantView::default()
        },
        held_key_ids: Some(["k-offline".to_string(), "k-rotating".to_string()].into()),
        held_accounts: Some(vec![held("u1"), held("u2")]),
    }
}

fn held(id: &str) -> HeldAccount {
    HeldAccount {
        user_id: Some(id.into()),
        user_principal_name: format!("{id}@contoso.onmicrosoft.com"),
        in_force: true,
        has_temporary_access_pass: false,
    }
}

#[test]
fn a_user_whose_password_no_store_holds_gets_a_new_one_stored_first() {
    let mut observed = converged();
    observed.held_accounts = Some(vec![held("u1")]);
    let plan = super::plan(&config(), &observed, now()).unwrap();
    assert_eq!(
        plan.actions,
        vec![Action::ResetUserPassword {
            id: "u2".into(),
            user_principal_name: "breakglass-b2@contoso.onmicrosoft.com".into(),
        }]
    );
    assert!(describe(&plan.actions[0]).contains("KeePass first"));
}

#[test]
fn a_pending_password_is_not_held_but_one_staged_for_the_created_user_is() {
    let mut observed = converged();
    let mut pending = held("u1");
    pending.in_force = false;
    // Staged before the create request, which then went through: the user exists.
    let staged_for_creation = HeldAccount {
        user_id: None,
        user_principal_name: "BREAKGLASS-b2@contoso.onmicrosoft.com".into(),
        in_force: false,
        has_temporary_access_pass: false,
    };
    observed.held_accounts = Some(vec![pending, staged_for_creation]);
    let plan = super::plan(&config(), &observed, now()).unwrap();
    assert_eq!(
        plan.actions,
        vec![Action::ResetUserPassword {
            id: "u1".into(),
            user_principal_name: "breakglass-a1@contoso.onmicrosoft.com".into(),
        }]
    );
}

#[test]
fn a_user_without_its_password_gets_it_before_the_role_and_the_group() {
    let mut observed = converged();
    observed.held_accounts = Some(vec![held("u1")]);
    known(&mut observed.tenant.role_assignments).retain(|a| a.principal.id != "u2");
    observed.tenant.group.as_mut().unwrap().members = Fact::Known(vec![principal("u1")]);
    let plan = super::plan(&config(), &observed, now()).unwrap();
    let kinds: Vec<&str> = plan
        .actions
        .iter()
        .map(|a| match a {
            Action::ResetUserPassword { .. } => "reset",
            Action::AssignRole { .. } => "role",
            Action::AddGroupMember { .. } => "group",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["reset", "role", "group"]);
}

#[test]
fn a_missing_temporary_access_pass_is_issued_when_declared() {
    let mut config = config();
    config.users.temporary_access_pass = true;
    let mut observed = converged();
    let mut with_pass = held("u1");
    with_pass.has_temporary_access_pass = true;
    observed.held_accounts = Some(vec![with_pass, held("u2")]);
    let plan = super::plan(&config, &observed, now()).unwrap();
    assert_eq!(
        plan.actions,
        vec![Action::CreateTemporaryAccessPass {
            principal: Principal::User {
                id: "u2".into(),
                user_principal_name: "breakglass-b2@contoso.onmicrosoft.com".into(),
            }
        }]
    );
}

#[test]
fn without_the_keepass_password_users_are_not_reset_but_a_note_says_why() {
    let mut observed = converged();
    observed.held_accounts = None;
    let plan = super::plan(&config(), &observed, now()).unwrap();
    assert!(plan.actions.is_empty());
    assert!(
        plan.notices
            .iter()
            .any(|n| n.message.contains("each emergency user's password"))
    );
}

#[test]
fn an_empty_tenant_gets_everything_in_order() {
    let observed = empty_tenant("contoso.onmicrosoft.com");
    let plan = super::plan(&config(), &observed, now()).unwrap();
    let kinds: Vec<String> = plan
        .actions
        .iter()
        .map(|a| {
            serde_json::to_value(a).unwrap()["action"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "createApplication",
            "createServicePrincipal",
            "assignRole",
            "addCredential",
            "addCredential",
            "createGroup",
            "createUser",
            "assignRole",
            "addGroupMember",
            "createUser",
            "assignRole",
            "addGroupMember"
        ]
    );
}

#[test]
fn a_converged_tenant_needs_nothing() {
    let plan = super::plan(&config(), &converged(), now()).unwrap();
    assert_eq!(plan.actions, vec![]);
    assert!(plan.notices.is_empty(), "{:?}", plan.notices);
}

#[test]
fn drift_is_repaired() {
    let mut observed = converged();
    known(&mut observed.tenant.role_assignments).retain(|a| a.principal.id != "sp");
    known(&mut observed.tenant.apps[0].owners).push(Member {
        name: "Mallory".into(),
        ..principal("mallory")
    });
    observed.tenant.apps[0]
        .credentials
        .push(unnamed_secret("k-extra", Some("my backdoor")));
    observed
        .tenant
        .service_principal
        .as_mut()
        .unwrap()
        .credentials
        .push(unnamed_secret("k-sp", None));
    observed.tenant.apps[0].credentials_locked = false;
    let plan = super::plan(&config(), &observed, now()).unwrap();
    assert!(plan.actions.contains(&Action::AssignRole {
        principal: Principal::EmergencyApp,
        role: "Global Administrator".into()
    }));
    assert!(plan.actions.contains(&Action::RemoveOwner {
        object: OwnedObject::Application,
        owner_id: "mallory".into(),
        owner_name: "Mallory".into()
    }));
    assert!(plan.actions.iter().any(|a| matches!(a, Action::RemoveCredential { key_id, reason: RemovalReason::NotDeclared, .. } if key_id == "k-extra")));
    assert!(plan.actions.iter().any(|a| matches!(a, Action::RemoveCredential { key_id, reason: RemovalReason::OnServicePrincipal, .. } if key_id == "k-sp")));
    assert!(
        plan.actions
            .iter()
            .any(|a| matches!(a, Action::UpdateApplication { .. }))
    );
}

#[test]
fn drift_can_be_left_alone_when_the_config_says_so() {
    let mut config = config();
    config.drift.remove_owners = false;
    config.drift.remove_unknown_credentials = false;
    let mut observed = converged();
    known(&mut observed.tenant.apps[0].owners).push(Member {
        name: "Olive".into(),
        ..principal("o")
    });
    observed.tenant.apps[0]
        .credentials
        .push(unnamed_secret("k-extra", None));
    let plan = super::plan(&config, &observed, now()).unwrap();
    assert_eq!(plan.actions, vec![]);
    assert_eq!(plan.notices.len(), 2);
}

#[test]
fn an_interrupted_rotation_converges() {
    // A new rotating secret was added, but the store still holds the old one.
    let mut observed = converged();
    observed.tenant.apps[0].credentials.push(credential(
        "k-new",
        "rotating",
        CredentialKind::Secret,
    ));
    let plan = super::plan(&config(), &observed, now()).unwrap();
    assert_eq!(
        plan.actions,
        vec![Action::RemoveCredential {
            key_id: "k-new".into(),
            display_name: Some("breakglass:rotating".into()),
            reason: RemovalReason::NotInAnyStore,
            on: OwnedObject::Application
        }]
    );
    // The store was written but the old one not yet removed.
    let mut observed = converged();
    observed.tenant.apps[0].credentials.push(credential(
        "k-new",
        "rotating",
        CredentialKind::Secret,
    ));
    observed.held_key_ids = Some(["k-offline".to_string(), "k-new".to_string()].into());
    let plan = super::plan(&config(), &observed, now()).unwrap();
    assert_eq!(plan.actions.len(), 1);
    assert!(
        matches!(&plan.actions[0], Action::RemoveCredential { key_id, .. } if key_id == "k-rotating")
    );
}

#[test]
fn unreadable_stores_never_remove_credentials() {
    let mut observed = converged();
    observed.held_key_ids = None;
    observed.tenant.apps[0].credentials.push(credential(
        "k-new",
        "rotating",
        CredentialKind::Secret,
    ));
    let plan = super::plan(&config(), &observed, now()).unwrap();
    assert_eq!(plan.actions, vec![]);
    assert_eq!(plan.notices[0].severity, Severity::Info);
}

#[test]
fn leftover_apps_are_deleted_and_two_used_apps_are_refused() {
    let mut observed = converged();
    let mut leftover = observed.tenant.apps[0].clone();
    leftover.id = "leftover".into();
    leftover.app_id = "leftover-app".into();
    leftover.credentials.clear();
    observed.tenant.apps.push(leftover.clone());
    let plan = super::plan(&config(), &observed, now()).unwrap();
    assert_eq!(
        plan.actions,
        vec![Action::DeleteLeftoverApplication {
            id: "leftover".into(),
            app_id: "leftover-app".into()
        }]
    );

    let mut twin = observed.tenant.apps[0].clone();
    twin.app_id = "twin".into();
    observed.tenant.apps.push(twin);
    assert!(matches!(
        super::plan(&config(), &observed, now()),
        Err(PlanError::AmbiguousApps { count: 3, .. })
    ));
}

#[test]
fn missing_users_are_created_and_extra_ones_only_reported() {
    let mut observed = converged();
    observed.tenant.users.truncate(1);
    let plan = super::plan(&config(), &observed, now()).unwrap();
    assert_eq!(plan.actions[0], Action::CreateUser { ordinal: 2 });

    let mut observed = converged();
    observed
        .tenant
        .users
        .push(user("u3", "x@contoso.onmicrosoft.com"));
    known(&mut observed.tenant.role_assignments).push(global_admin("u3"));
    known(&mut observed.tenant.group.as_mut().unwrap().members).push(principal("u3"));
    observed.held_accounts.as_mut().unwrap().push(held("u3"));
    let plan = super::plan(&config(), &observed, now()).unwrap();
    assert!(plan.actions.is_empty());
    assert!(
        plan.notices
            .iter()
            .any(|n| n.message.contains("never deletes emergency users"))
    );
}

#[test]
fn rotation_and_expiry_are_noticed() {
    let observed = converged();
    let later: Timestamp = "2027-11-10T00:00:00Z".parse().unwrap();
    let plan = super::plan(&config(), &observed, later).unwrap();
    assert!(
        plan.notices
            .iter()
            .any(|n| n.message.contains("due for rotation"))
    );
    assert!(
        plan.notices
            .iter()
            .any(|n| n.message.contains("expires on 2027-11-20"))
    );
}

fn policy(id: &str, state: &str) -> Policy {
    Policy {
        id: id.into(),
        display_name: format!("Policy {id}"),
        state: state.into(),
        include_users: vec!["All".into()],
        ..Policy::default()
    }
}

fn workload_policy(id: &str) -> Policy {
    Policy {
        include_users: vec!["None".into()],
        include_service_principals: vec!["ServicePrincipalsInMyTenant".into()],
        ..policy(id, "enabled")
    }
}

fn excluding() -> Config {
    let mut config = config();
    config.conditional_access.exclude_from_policies = true;
    config
}

fn kinds(plan: &Plan) -> Vec<String> {
    plan.actions
        .iter()
        .map(|a| {
            serde_json::to_value(a).unwrap()["action"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[test]
fn conditional_access_left_alone_by_default_but_noted() {
    let mut observed = converged();
    observed.tenant.policies = Fact::Known(vec![
        policy("p1", "enabled"),
        policy("p2", "disabled"),
        workload_policy("p3"),
    ]);
    let plan = super::plan(&config(), &observed, now()).unwrap();
    assert_eq!(plan.actions, vec![]);
    assert_eq!(plan.notices.len(), 1, "{:?}", plan.notices);
    assert_eq!(plan.notices[0].severity, Severity::Info);
    assert!(
        plan.notices[0]
            .message
            .starts_with("3 Conditional Access policies")
            && plan.notices[0].message.contains("exclude_from_policies"),
        "{:?}",
        plan.notices
    );
    // Unreadable policies say nothing when the option is off.
    observed.tenant.policies = Fact::unreadable("Policy.Read.All", "403");
    assert!(
        super::plan(&config(), &observed, now())
            .unwrap()
            .notices
            .is_empty()
    );
}

#[test]
fn every_policy_whatever_its_state_gets_the_group_excluded() {
    let mut observed = converged();
    let mut done = policy("p4", "enabled");
    done.exclude_groups = vec!["G".into()]; // ids compare without case
    observed.tenant.policies = Fact::Known(vec![
        policy("p1", "enabled"),
        policy("p2", "enabledForReportingButNotEnforced"),
        policy("p3", "disabled"),
        done,
    ]);
    let plan = super::plan(&excluding(), &observed, now()).unwrap();
    let ids: Vec<&str> = plan
        .actions
        .iter()
        .map(|a| match a {
            Action::ExcludeGroupFromPolicy { policy_id, .. } => policy_id.as_str(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(ids, ["p1", "p2", "p3"]);
    assert!(describe(&plan.actions[1]).contains("\"Policy p2\" (report-only)"));
    assert!(describe(&plan.actions[2]).contains("(off)"));
}

#[test]
fn workload_identity_policies_get_the_app_excluded() {
    let mut observed = converged();
    let mut done = workload_policy("p2");
    done.exclude_service_principals = vec!["sp".into()];
    observed.tenant.policies = Fact::Known(vec![workload_policy("p1"), done]);
    let plan = super::plan(&excluding(), &observed, now()).unwrap();
    assert_eq!(
        plan.actions,
        vec![Action::ExcludeAppFromPolicy {
            policy_id: "p1".into(),
            policy_name: "Policy p1".into(),
            state: "enabled".into()
        }]
    );
    assert!(describe(&plan.actions[0]).contains("workload identity"));
}

#[test]
fn policies_come_after_the_group_its_members_and_the_app() {
    let mut observed = empty_tenant("contoso.onmicrosoft.com");
    observed.tenant.policies = Fact::Known(vec![policy("p1", "enabled"), workload_policy("p2")]);
    let plan = super::plan(&excluding(), &observed, now()).unwrap();
    let kinds = kinds(&plan);
    let last_member = kinds.iter().rposition(|k| k == "addGroupMember").unwrap();
    let created_sp = kinds
        .iter()
        .position(|k| k == "createServicePrincipal")
        .unwrap();
    let first_policy = kinds.iter().position(|k| k.starts_with("exclude")).unwrap();
    assert!(
        created_sp < first_policy && last_member < first_policy,
        "{kinds:?}"
    );
    assert_eq!(
        &kinds[first_policy..],
        ["excludeGroupFromPolicy", "excludeAppFromPolicy"]
    );
}

#[test]
fn skipped_policies_and_policies_aimed_at_the_emergency_accounts_are_left_alone() {
    let mut config = excluding();
    config.conditional_access.skip_policies = vec!["P1".into()];
    let mut observed = converged();
    let mut aimed = policy("p2", "enabled");
    aimed.include_users = vec![];
    aimed.include_groups = vec!["g".into()];
    let mut nobody = policy("p3", "enabled");
    nobody.include_users = vec!["None".into()];
    observed.tenant.policies = Fact::Known(vec![policy("p1", "enabled"), aimed, nobody]);
    let plan = super::plan(&config, &observed, now()).unwrap();
    assert_eq!(plan.actions, vec![]);
    assert_eq!(plan.notices.len(), 1, "{:?}", plan.notices);
    assert!(
        plan.notices[0]
            .message
            .contains("\"Policy p2\" names the emergency accounts")
    );
}

#[test]
fn unreadable_policies_are_a_warning_when_the_option_is_on() {
    let plan = super::plan(&excluding(), &converged(), now()).unwrap();
    assert_eq!(plan.actions, vec![]);
    assert!(plan.notices[0].message.contains("Policy.Read.All"));
}

#[test]
fn every_action_reads_as_a_sentence() {
    let observed = empty_tenant("x.onmicrosoft.com");
    for action in plan(&config(), &observed, now()).unwrap().actions {
        let text = describe(&action);
        assert!(text.len() > 10 && !text.contains("{"), "{text}");
    }
}
