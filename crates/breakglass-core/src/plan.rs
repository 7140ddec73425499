//! The plan: what `apply` must do to make the tenant match `breakglass.toml`.
//!
//! [`Observed`] is what the tenant (and the local stores) hold now, gathered by the
//! caller; [`plan`] compares it with the [`Config`] and returns the [`Action`]s, in the
//! order they must run, plus notices a person should read. Nothing here does I/O, so
//! every drift rule is unit-tested.

use std::collections::BTreeSet;

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use crate::config::{Config, CredentialKind, CredentialPolicy};
use crate::roles;
use crate::tenant::{Application, Credential, ServicePrincipal, TenantView, User};

/// The tag that marks the emergency access app (and, copied by Entra, its service principal).
pub const APP_TAG: &str = "breakglass:emergency-access";
/// The `employeeType` that marks an emergency access user.
pub const USER_MARKER: &str = "breakglass:emergency-access";
/// Credential display names are this prefix plus the label.
pub const CREDENTIAL_PREFIX: &str = "breakglass:";
/// The note written on the app.
pub const APP_NOTES: &str = "Emergency access app managed by breakglass. Every sign-in and every change raises an alert. Change it only through breakglass.toml.";

/// The credential label a display name carries, if breakglass made it.
pub fn label_of(display_name: Option<&str>) -> Option<&str> {
    display_name?
        .strip_prefix(CREDENTIAL_PREFIX)
        .filter(|l| !l.is_empty())
}

/// The display name of a credential with this label.
pub fn credential_display_name(label: &str) -> String {
    format!("{CREDENTIAL_PREFIX}{label}")
}

/// What the tenant and the local stores hold now.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Observed {
    /// The tenant, as provisioning reads it: the role assignments and Graph permissions of
    /// the emergency identities only.
    pub tenant: TenantView,
    /// Key ids the local stores hold; `None` when they could not be read.
    pub held_key_ids: Option<BTreeSet<String>>,
    /// The emergency users' entries in KeePass; `None` when it could not be read.
    pub held_accounts: Option<Vec<HeldAccount>>,
}

fn contains_id(list: &[String], id: &str) -> bool {
    list.iter().any(|x| x.eq_ignore_ascii_case(id))
}

/// An emergency user's entry in KeePass, without its secrets.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HeldAccount {
    /// `None` while the user is being created: the entry is written before the user exists.
    pub user_id: Option<String>,
    pub user_principal_name: String,
    /// Whether the tenant took the password; a pending one may never have reached it.
    pub in_force: bool,
    pub has_temporary_access_pass: bool,
}

/// What KeePass holds of one emergency user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct UserSecrets {
    password: bool,
    temporary_access_pass: bool,
}

/// Finds a user's entry: by object id, or by user name when it was written for a user not yet
/// created. Such an entry is the user's password: the create request carried it, and the user
/// exists, so Entra took it.
fn secrets_of(accounts: &[HeldAccount], user: &User) -> UserSecrets {
    let entry = accounts
        .iter()
        .find(|a| {
            a.user_id
                .as_deref()
                .is_some_and(|id| id.eq_ignore_ascii_case(&user.id))
        })
        .or_else(|| {
            accounts.iter().find(|a| {
                a.user_id.is_none()
                    && a.user_principal_name
                        .eq_ignore_ascii_case(&user.user_principal_name)
            })
        });
    UserSecrets {
        password: entry.is_some_and(|a| a.in_force || a.user_id.is_none()),
        temporary_access_pass: entry.is_some_and(|a| a.has_temporary_access_pass),
    }
}

/// Who an action applies to; objects made earlier in the same apply are resolved then.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Principal {
    EmergencyApp,
    User {
        id: String,
        user_principal_name: String,
    },
    NewUser {
        ordinal: u32,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum OwnedObject {
    Application,
    ServicePrincipal,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum RemovalReason {
    /// Made by breakglass, but no store holds it (an interrupted add or rotation).
    NotInAnyStore,
    /// Not made by breakglass: someone added it behind its back.
    NotDeclared,
    /// A credential on the service principal rather than on the app.
    OnServicePrincipal,
}

/// One change, in the order apply makes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "camelCase")]
pub enum Action {
    /// Delete an app that an interrupted apply left behind.
    DeleteLeftoverApplication {
        id: String,
        app_id: String,
    },
    CreateApplication {
        display_name: String,
    },
    /// Bring the app's properties back to the declaration.
    UpdateApplication {
        changes: Vec<PropertyChange>,
    },
    CreateServicePrincipal,
    EnableServicePrincipal,
    RemoveOwner {
        object: OwnedObject,
        owner_id: String,
        owner_name: String,
    },
    RemoveCredential {
        key_id: String,
        display_name: Option<String>,
        reason: RemovalReason,
        on: OwnedObject,
    },
    AssignRole {
        principal: Principal,
        role: String,
    },
    GrantGraphPermission {
        permission: String,
    },
    RevokeGraphPermission {
        grant_id: String,
        permission: String,
    },
    AddCredential {
        label: String,
        kind: CredentialKind,
    },
    CreateGroup {
        display_name: String,
        mail_nickname: String,
    },
    CreateUser {
        ordinal: u32,
    },
    EnableUser {
        id: String,
        user_principal_name: String,
    },
    /// Give an emergency user a new password, written to KeePass before the tenant gets
    /// it: no store holds the one it has.
    ResetUserPassword {
        id: String,
        user_principal_name: String,
    },
    AddGroupMember {
        principal: Principal,
    },
    CreateTemporaryAccessPass {
        principal: Principal,
    },
    /// Add the exclusion group to a Conditional Access policy's `excludeGroups`.
    ExcludeGroupFromPolicy {
        policy_id: String,
        policy_name: String,
        state: String,
    },
    /// Add the emergency app's service principal to the `excludeServicePrincipals` of a
    /// Conditional Access policy for workload identities.
    ExcludeAppFromPolicy {
        policy_id: String,
        policy_name: String,
        state: String,
    },
}

impl Action {
    /// Whether this action changes a Conditional Access policy.
    pub fn is_conditional_access(&self) -> bool {
        matches!(
            self,
            Action::ExcludeGroupFromPolicy { .. } | Action::ExcludeAppFromPolicy { .. }
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PropertyChange {
    pub property: String,
    pub from: String,
    pub to: String,
}

/// Something a person should know that apply will not change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Notice {
    pub severity: Severity,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub actions: Vec<Action>,
    pub notices: Vec<Notice>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }
}

/// Why no plan can be made without a person deciding.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PlanError {
    #[error(
        "{count} applications carry the breakglass marker and more than one is in use ({ids}); breakglass cannot tell which is the emergency app"
    )]
    AmbiguousApps { count: usize, ids: String },
}

impl PlanError {
    pub fn hint(&self) -> &'static str {
        match self {
            PlanError::AmbiguousApps { .. } => {
                "remove the tag `breakglass:emergency-access` from the app that is not the emergency app, then plan again"
            }
        }
    }
}

fn warn(notices: &mut Vec<Notice>, message: String) {
    notices.push(Notice {
        severity: Severity::Warning,
        message,
    });
}

fn info(notices: &mut Vec<Notice>, message: String) {
    notices.push(Notice {
        severity: Severity::Info,
        message,
    });
}

/// Compares the tenant with the declaration.
pub fn plan(config: &Config, observed: &Observed, now: Timestamp) -> Result<Plan, PlanError> {
    let mut actions = Vec::new();
    let mut notices = Vec::new();

    // --- the app: exactly one, found by its tag ---
    let apps = observed.tenant.apps_in_order();
    let used = apps.iter().filter(|a| a.in_use()).count();
    if used > 1 {
        return Err(PlanError::AmbiguousApps {
            count: apps.len(),
            ids: apps
                .iter()
                .map(|a| a.app_id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    let app = apps.first().copied();
    for leftover in apps.iter().skip(1) {
        actions.push(Action::DeleteLeftoverApplication {
            id: leftover.id.clone(),
            app_id: leftover.app_id.clone(),
        });
    }

    match app {
        None => actions.push(Action::CreateApplication {
            display_name: config.app.name.clone(),
        }),
        Some(app) => {
            let mut changes = Vec::new();
            if app.display_name != config.app.name {
                changes.push(PropertyChange {
                    property: "displayName".into(),
                    from: app.display_name.clone(),
                    to: config.app.name.clone(),
                });
            }
            if app.sign_in_audience != "AzureADMyOrg" {
                changes.push(PropertyChange {
                    property: "signInAudience".into(),
                    from: app.sign_in_audience.clone(),
                    to: "AzureADMyOrg".into(),
                });
            }
            if app.redirect_uris > 0 {
                changes.push(PropertyChange {
                    property: "redirectUris".into(),
                    from: format!("{} URIs", app.redirect_uris),
                    to: "none".into(),
                });
            }
            if app.credentials_locked != config.app.lock_credentials {
                changes.push(PropertyChange {
                    property: "servicePrincipalLockConfiguration".into(),
                    from: if app.credentials_locked {
                        "locked"
                    } else {
                        "unlocked"
                    }
                    .into(),
                    to: if config.app.lock_credentials {
                        "locked"
                    } else {
                        "unlocked"
                    }
                    .into(),
                });
            }
            if app.notes.as_deref() != Some(APP_NOTES) {
                changes.push(PropertyChange {
                    property: "notes".into(),
                    from: app.notes.clone().unwrap_or_default(),
                    to: APP_NOTES.into(),
                });
            }
            if !changes.is_empty() {
                actions.push(Action::UpdateApplication { changes });
            }
        }
    }

    // --- its service principal ---
    let sp = if app.is_some() {
        observed.tenant.service_principal.as_ref()
    } else {
        None
    };
    match sp {
        None => actions.push(Action::CreateServicePrincipal),
        Some(sp) if !sp.account_enabled => actions.push(Action::EnableServicePrincipal),
        Some(_) => {}
    }

    // --- owners: the emergency app has none ---
    if let Some(app) = app {
        for owner in app.owners.items() {
            if config.drift.remove_owners {
                actions.push(Action::RemoveOwner {
                    object: OwnedObject::Application,
                    owner_id: owner.id.clone(),
                    owner_name: owner.name.clone(),
                });
            } else {
                warn(
                    &mut notices,
                    format!(
                        "{} owns the emergency app and can add credentials to it",
                        owner.name
                    ),
                );
            }
        }
    }
    if let Some(sp) = sp {
        for owner in sp.owners.items() {
            if config.drift.remove_owners {
                actions.push(Action::RemoveOwner {
                    object: OwnedObject::ServicePrincipal,
                    owner_id: owner.id.clone(),
                    owner_name: owner.name.clone(),
                });
            } else {
                warn(
                    &mut notices,
                    format!("{} owns the emergency service principal", owner.name),
                );
            }
        }
        for credential in &sp.credentials {
            actions.push(Action::RemoveCredential {
                key_id: credential.key_id.clone(),
                display_name: credential.display_name.clone(),
                reason: RemovalReason::OnServicePrincipal,
                on: OwnedObject::ServicePrincipal,
            });
        }
    }

    // --- authority: a permanent active role, or Graph permissions ---
    let sp_id = sp.map(|s| s.id.as_str());
    if let Some(role_name) = &config.app.role {
        let role = roles::by_name(role_name)
            .map(|r| r.template_id.to_string())
            .unwrap_or_default();
        let held = sp_id.is_some_and(|id| holds_role(observed, id, &role));
        if !held {
            if sp_id.is_some() && !config.drift.restore_roles {
                warn(
                    &mut notices,
                    format!("the emergency app no longer holds {role_name}"),
                );
            } else {
                actions.push(Action::AssignRole {
                    principal: Principal::EmergencyApp,
                    role: role_name.clone(),
                });
            }
        }
    }
    let granted: BTreeSet<String> = observed
        .tenant
        .graph_grants
        .items()
        .iter()
        .map(|g| g.permission.to_ascii_lowercase())
        .collect();
    for permission in &config.app.graph_permissions {
        if sp_id.is_none() || !granted.contains(&permission.to_ascii_lowercase()) {
            actions.push(Action::GrantGraphPermission {
                permission: permission.clone(),
            });
        }
    }
    if sp_id.is_some() {
        for grant in observed.tenant.graph_grants.items() {
            let declared = config
                .app
                .graph_permissions
                .iter()
                .any(|p| p.eq_ignore_ascii_case(&grant.permission));
            if !declared {
                actions.push(Action::RevokeGraphPermission {
                    grant_id: grant.id.clone(),
                    permission: grant.permission.clone(),
                });
            }
        }
    }

    // --- credentials ---
    plan_credentials(config, observed, app, now, &mut actions, &mut notices);

    // --- the exclusion group, then the users ---
    let group = observed.tenant.group.as_ref();
    match group {
        None => actions.push(Action::CreateGroup {
            display_name: config.group.name.clone(),
            mail_nickname: config.group.mail_nickname.clone(),
        }),
        Some(group) if !group.is_assignable_to_role => warn(
            &mut notices,
            format!(
                "the group `{}` is not role-assignable, so Groups Administrators can add themselves to it and escape Conditional Access; recreate it as role-assignable",
                group.display_name
            ),
        ),
        Some(_) => {}
    }
    plan_users(config, observed, &mut actions, &mut notices);

    // --- Conditional Access, last: the group has its members and the app its service
    // principal before any policy refers to them ---
    plan_conditional_access(config, observed, sp, &mut actions, &mut notices);

    if observed.held_key_ids.is_none() {
        info(&mut notices, "the local stores could not be read, so credentials that no store holds cannot be found".into());
    }
    Ok(Plan { actions, notices })
}

fn holds_role(observed: &Observed, principal_id: &str, role_template_id: &str) -> bool {
    observed.tenant.holds_role(principal_id, role_template_id)
}

fn plan_credentials(
    config: &Config,
    observed: &Observed,
    app: Option<&Application>,
    now: Timestamp,
    actions: &mut Vec<Action>,
    notices: &mut Vec<Notice>,
) {
    let present: &[Credential] = app.map(|a| a.credentials.as_slice()).unwrap_or_default();
    let held = observed.held_key_ids.as_ref();
    for credential in present {
        let label = label_of(credential.display_name.as_deref());
        let declared = label.and_then(|l| config.credential(l));
        let reason = match (declared, held) {
            (None, _) => Some(RemovalReason::NotDeclared),
            (Some(_), Some(held)) if !held.contains(&credential.key_id) => {
                Some(RemovalReason::NotInAnyStore)
            }
            _ => None,
        };
        match reason {
            Some(RemovalReason::NotDeclared) if !config.drift.remove_unknown_credentials => warn(
                notices,
                format!(
                    "credential {} ({}) was not made by breakglass; anyone holding it can act as the emergency app",
                    credential.key_id,
                    credential.display_name.as_deref().unwrap_or("no name")
                ),
            ),
            Some(reason) => actions.push(Action::RemoveCredential {
                key_id: credential.key_id.clone(),
                display_name: credential.display_name.clone(),
                reason,
                on: OwnedObject::Application,
            }),
            None => {}
        }
    }
    for policy in &config.app.credentials {
        let usable: Vec<&Credential> = present
            .iter()
            .filter(|c| label_of(c.display_name.as_deref()) == Some(policy.label.as_str()))
            .filter(|c| held.is_none_or(|h| h.contains(&c.key_id)))
            .filter(|c| c.end.is_none_or(|end| end > now))
            .collect();
        if usable.is_empty() {
            actions.push(Action::AddCredential {
                label: policy.label.clone(),
                kind: policy.kind,
            });
            continue;
        }
        if let Some(newest) = usable.iter().filter_map(|c| c.start).max() {
            rotation_notice(policy, newest, now, notices);
        }
        for credential in &usable {
            if credential.kind != policy.kind {
                warn(
                    notices,
                    format!(
                        "credential `{}` is a {:?} but the declaration says {:?}; rotate it to change its kind",
                        policy.label, credential.kind, policy.kind
                    ),
                );
            }
            if let Some(end) = credential.end
                && end.duration_since(now) < SignedDuration::from_hours(24 * 14)
            {
                warn(
                    notices,
                    format!(
                        "credential `{}` ({}) expires on {}; rotate it now",
                        policy.label,
                        credential.key_id,
                        end.strftime("%Y-%m-%d")
                    ),
                );
            }
        }
    }
}

fn rotation_notice(
    policy: &CredentialPolicy,
    newest: Timestamp,
    now: Timestamp,
    notices: &mut Vec<Notice>,
) {
    if let Some(days) = policy.rotate_after_days {
        let age = now.duration_since(newest);
        if age >= SignedDuration::from_hours(24 * i64::from(days)) {
            warn(
                notices,
                format!(
                    "credential `{}` is {} days old and due for rotation: run `breakglass credential rotate {}`",
                    policy.label,
                    age.as_hours() / 24,
                    policy.label
                ),
            );
        }
    }
}

fn plan_users(
    config: &Config,
    observed: &Observed,
    actions: &mut Vec<Action>,
    notices: &mut Vec<Notice>,
) {
    let role_name = &config.users.role;
    let role = roles::by_name(role_name)
        .map(|r| r.template_id.to_string())
        .unwrap_or_default();
    let members: BTreeSet<&str> = observed
        .tenant
        .group
        .iter()
        .flat_map(|g| g.members.items().iter().map(|m| m.id.as_str()))
        .collect();
    let wanted = config.users.count as usize;
    let mut users: Vec<&User> = observed.tenant.users.iter().collect();
    users.sort_by_key(|u| u.created);
    for user in &users {
        let principal = Principal::User {
            id: user.id.clone(),
            user_principal_name: user.user_principal_name.clone(),
        };
        let domain = user
            .user_principal_name
            .rsplit_once('@')
            .map(|(_, d)| d)
            .unwrap_or_default();
        if !domain.eq_ignore_ascii_case(&observed.tenant.initial_domain) {
            warn(
                notices,
                format!(
                    "emergency user {} is not on the initial domain {}; a federation or custom-domain outage would lock it out",
                    user.user_principal_name, observed.tenant.initial_domain
                ),
            );
        }
        if !user.account_enabled {
            actions.push(Action::EnableUser {
                id: user.id.clone(),
                user_principal_name: user.user_principal_name.clone(),
            });
        }
        if user.synced() {
            warn(
                notices,
                format!(
                    "emergency user {} is synchronised from on-premises Active Directory: its password lives there, not in breakglass's store, and a sync or federation outage can lock it out; Microsoft's guidance asks for cloud-only accounts",
                    user.user_principal_name
                ),
            );
        }
        // Its secrets are stored before it gains any power, as for a new user.
        if let Some(accounts) = &observed.held_accounts {
            let secrets = secrets_of(accounts, user);
            if !secrets.password && !user.synced() {
                actions.push(Action::ResetUserPassword {
                    id: user.id.clone(),
                    user_principal_name: user.user_principal_name.clone(),
                });
            }
            if config.users.temporary_access_pass && !secrets.temporary_access_pass {
                actions.push(Action::CreateTemporaryAccessPass {
                    principal: principal.clone(),
                });
            }
        }
        if !holds_role(observed, &user.id, &role) {
            if config.drift.restore_roles {
                actions.push(Action::AssignRole {
                    principal: principal.clone(),
                    role: role_name.clone(),
                });
            } else {
                warn(
                    notices,
                    format!(
                        "emergency user {} does not hold {role_name}",
                        user.user_principal_name
                    ),
                );
            }
        }
        if !members.contains(user.id.as_str()) {
            actions.push(Action::AddGroupMember { principal });
        }
    }
    if users.len() > wanted {
        warn(
            notices,
            format!(
                "{} users carry the emergency access marker but {wanted} are declared; breakglass never deletes emergency users, review them by hand",
                users.len()
            ),
        );
    }
    for ordinal in users.len()..wanted {
        let ordinal = ordinal as u32 + 1;
        actions.push(Action::CreateUser { ordinal });
        if config.users.temporary_access_pass {
            actions.push(Action::CreateTemporaryAccessPass {
                principal: Principal::NewUser { ordinal },
            });
        }
        actions.push(Action::AssignRole {
            principal: Principal::NewUser { ordinal },
            role: role_name.clone(),
        });
        actions.push(Action::AddGroupMember {
            principal: Principal::NewUser { ordinal },
        });
    }
    if observed.held_accounts.is_none() && !users.is_empty() {
        info(
            notices,
            "without the KeePass password, breakglass cannot tell whether it holds each emergency user's password".into(),
        );
    }
}

fn policy_state(state: &str) -> &'static str {
    match state {
        "enabled" => "on",
        "disabled" => "off",
        "enabledForReportingButNotEnforced" => "report-only",
        _ => "state unknown",
    }
}

fn plan_conditional_access(
    config: &Config,
    observed: &Observed,
    sp: Option<&ServicePrincipal>,
    actions: &mut Vec<Action>,
    notices: &mut Vec<Notice>,
) {
    let wanted = config.conditional_access.exclude_from_policies;
    let Some(policies) = observed.tenant.policies.known() else {
        if wanted {
            warn(
                notices,
                "the Conditional Access policies could not be read, so none is changed; the operator needs Policy.Read.All".into(),
            );
        }
        return;
    };
    let group = observed.tenant.group.as_ref().map(|g| g.id.as_str());
    let user_ids: Vec<String> = observed.tenant.users.iter().map(|u| u.id.clone()).collect();
    let mut lacking = 0usize;
    for policy in policies {
        if contains_id(&config.conditional_access.skip_policies, &policy.id) {
            continue;
        }
        let excluded_group = group.is_some_and(|g| contains_id(&policy.exclude_groups, g));
        if policy.targets_users() && !excluded_group {
            // A policy aimed at the emergency accounts themselves (say, one requiring
            // phishing-resistant authentication of them) would mean nothing once excluded.
            let aimed_at_them = group.is_some_and(|g| contains_id(&policy.include_groups, g))
                || user_ids
                    .iter()
                    .any(|u| contains_id(&policy.include_users, u));
            if aimed_at_them {
                if wanted {
                    info(
                        notices,
                        format!(
                            "Conditional Access policy \"{}\" names the emergency accounts in its assignments, so it is left as it is; list {} in skip_policies to say so",
                            policy.display_name, policy.id
                        ),
                    );
                }
            } else if wanted {
                actions.push(Action::ExcludeGroupFromPolicy {
                    policy_id: policy.id.clone(),
                    policy_name: policy.display_name.clone(),
                    state: policy.state.clone(),
                });
            } else {
                lacking += 1;
            }
        }
        let excluded_app =
            sp.is_some_and(|sp| contains_id(&policy.exclude_service_principals, &sp.id));
        if policy.targets_workload_identities() && !excluded_app {
            if wanted {
                actions.push(Action::ExcludeAppFromPolicy {
                    policy_id: policy.id.clone(),
                    policy_name: policy.display_name.clone(),
                    state: policy.state.clone(),
                });
            } else {
                lacking += 1;
            }
        }
    }
    if lacking > 0 {
        info(
            notices,
            format!(
                "{lacking} Conditional Access {} not exclude the emergency access group (or, for workload identities, the emergency app); set exclude_from_policies = true under [conditional_access] to have apply exclude them",
                if lacking == 1 {
                    "policy does"
                } else {
                    "policies do"
                }
            ),
        );
    }
}

/// A one-line description of an action, for plans and apply progress.
pub fn describe(action: &Action) -> String {
    let principal = |p: &Principal| match p {
        Principal::EmergencyApp => "the emergency app".to_string(),
        Principal::User {
            user_principal_name,
            ..
        } => user_principal_name.clone(),
        Principal::NewUser { ordinal } => format!("new emergency user #{ordinal}"),
    };
    let object = |o: &OwnedObject| match o {
        OwnedObject::Application => "app",
        OwnedObject::ServicePrincipal => "service principal",
    };
    match action {
        Action::DeleteLeftoverApplication { app_id, .. } => {
            format!("delete app {app_id}, left behind by an interrupted apply")
        }
        Action::CreateApplication { display_name } => format!(
            "create app registration \"{display_name}\" (single tenant, no redirect URIs, tagged {APP_TAG})"
        ),
        Action::UpdateApplication { changes } => format!(
            "update the app: {}",
            changes
                .iter()
                .map(|c| format!(
                    "{} {} -> {}",
                    c.property,
                    if c.from.is_empty() { "(none)" } else { &c.from },
                    c.to
                ))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        Action::CreateServicePrincipal => "create the app's service principal".into(),
        Action::EnableServicePrincipal => "enable the service principal".into(),
        Action::RemoveOwner {
            object: o,
            owner_name,
            ..
        } => format!("remove {owner_name} as owner of the {}", object(o)),
        Action::RemoveCredential {
            key_id,
            display_name,
            reason,
            on,
        } => format!(
            "remove credential {key_id} ({}) from the {}: {}",
            display_name.as_deref().unwrap_or("no name"),
            object(on),
            match reason {
                RemovalReason::NotInAnyStore => "no store holds it",
                RemovalReason::NotDeclared => "not made by breakglass",
                RemovalReason::OnServicePrincipal => "credentials belong on the app only",
            }
        ),
        Action::AssignRole { principal: p, role } => format!(
            "assign {role} to {} (permanent, active, tenant-wide)",
            principal(p)
        ),
        Action::GrantGraphPermission { permission } => {
            format!("grant Microsoft Graph {permission} to the emergency app")
        }
        Action::RevokeGraphPermission { permission, .. } => {
            format!("revoke Microsoft Graph {permission}, which is not declared")
        }
        Action::AddCredential { label, kind } => format!(
            "add the `{label}` {} and store it",
            match kind {
                CredentialKind::Secret => "client secret",
                CredentialKind::Certificate => "certificate",
            }
        ),
        Action::CreateGroup { display_name, .. } => format!(
            "create role-assignable security group \"{display_name}\" for Conditional Access exclusions"
        ),
        Action::CreateUser { ordinal } => format!(
            "create emergency user #{ordinal} (cloud-only, initial domain, random name and password)"
        ),
        Action::EnableUser {
            user_principal_name,
            ..
        } => format!("enable {user_principal_name}"),
        Action::ResetUserPassword {
            user_principal_name,
            ..
        } => format!(
            "reset the password of {user_principal_name}, storing the new one in KeePass first: no store holds its password"
        ),
        Action::AddGroupMember { principal: p } => {
            format!("add {} to the exclusion group", principal(p))
        }
        Action::CreateTemporaryAccessPass { principal: p } => {
            format!("create a Temporary Access Pass for {}", principal(p))
        }
        Action::ExcludeGroupFromPolicy {
            policy_name, state, ..
        } => format!(
            "exclude the emergency access group from Conditional Access policy \"{policy_name}\" ({})",
            policy_state(state)
        ),
        Action::ExcludeAppFromPolicy {
            policy_name, state, ..
        } => format!(
            "exclude the emergency app from workload identity Conditional Access policy \"{policy_name}\" ({})",
            policy_state(state)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::STARTER;
    use crate::tenant::{Fact, Group, Policy, Principal as Member, RoleAssignment};

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
        observed.tenant.policies =
            Fact::Known(vec![policy("p1", "enabled"), workload_policy("p2")]);
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
}
