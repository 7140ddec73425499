//! The emergency app and its service principal: exactly one app, its declared properties, no
//! owners, no credentials on the service principal, and its authority (a role, or Graph
//! permissions).

use std::collections::BTreeSet;

use super::{
    APP_NOTES, Action, Notice, Observed, OwnedObject, PlanError, Principal, PropertyChange,
    RemovalReason, holds_role, warn,
};
use crate::config::Config;
use crate::roles;
use crate::tenant::{Application, ServicePrincipal};

/// The app is found by its tag. Apps beyond the first are left over from an interrupted apply
/// and deleted, unless more than one is in use: then only a person can tell which is the
/// emergency app.
pub(super) fn plan_app<'a>(
    config: &Config,
    observed: &'a Observed,
    actions: &mut Vec<Action>,
) -> Result<Option<&'a Application>, PlanError> {
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
            let changes = property_changes(config, app);
            if !changes.is_empty() {
                actions.push(Action::UpdateApplication { changes });
            }
        }
    }
    Ok(app)
}

fn locked(locked: bool) -> &'static str {
    if locked { "locked" } else { "unlocked" }
}

/// The app's properties that differ from the declaration.
fn property_changes(config: &Config, app: &Application) -> Vec<PropertyChange> {
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
            from: locked(app.credentials_locked).into(),
            to: locked(config.app.lock_credentials).into(),
        });
    }
    if app.notes.as_deref() != Some(APP_NOTES) {
        changes.push(PropertyChange {
            property: "notes".into(),
            from: app.notes.clone().unwrap_or_default(),
            to: APP_NOTES.into(),
        });
    }
    changes
}

/// The app's service principal, created or enabled when needed. A new app has none yet,
/// whatever the tenant view holds.
pub(super) fn plan_service_principal<'a>(
    observed: &'a Observed,
    app: Option<&Application>,
    actions: &mut Vec<Action>,
) -> Option<&'a ServicePrincipal> {
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
    sp
}

/// The emergency app has no owners: any owner could add a credential to it.
pub(super) fn plan_owners(
    config: &Config,
    app: Option<&Application>,
    sp: Option<&ServicePrincipal>,
    actions: &mut Vec<Action>,
    notices: &mut Vec<Notice>,
) {
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
                    notices,
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
                    notices,
                    format!("{} owns the emergency service principal", owner.name),
                );
            }
        }
    }
}

/// Credentials belong on the app, where they can be seen; any on the service principal go.
pub(super) fn remove_service_principal_credentials(
    sp: Option<&ServicePrincipal>,
    actions: &mut Vec<Action>,
) {
    for credential in sp.iter().flat_map(|sp| &sp.credentials) {
        actions.push(Action::RemoveCredential {
            key_id: credential.key_id.clone(),
            display_name: credential.display_name.clone(),
            reason: RemovalReason::OnServicePrincipal,
            on: OwnedObject::ServicePrincipal,
        });
    }
}

/// The app's authority: a permanent active role, or the declared Graph permissions and no
/// others.
pub(super) fn plan_authority(
    config: &Config,
    observed: &Observed,
    sp: Option<&ServicePrincipal>,
    actions: &mut Vec<Action>,
    notices: &mut Vec<Notice>,
) {
    let sp_id = sp.map(|s| s.id.as_str());
    if let Some(role_name) = &config.app.role {
        let role = roles::by_name(role_name)
            .map(|r| r.template_id.to_string())
            .unwrap_or_default();
        let held = sp_id.is_some_and(|id| holds_role(observed, id, &role));
        if !held {
            if sp_id.is_some() && !config.drift.restore_roles {
                warn(
                    notices,
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
    plan_graph_permissions(config, observed, sp_id.is_some(), actions);
}

fn plan_graph_permissions(
    config: &Config,
    observed: &Observed,
    has_service_principal: bool,
    actions: &mut Vec<Action>,
) {
    let granted: BTreeSet<String> = observed
        .tenant
        .graph_grants
        .items()
        .iter()
        .map(|g| g.permission.to_ascii_lowercase())
        .collect();
    for permission in &config.app.graph_permissions {
        if !has_service_principal || !granted.contains(&permission.to_ascii_lowercase()) {
            actions.push(Action::GrantGraphPermission {
                permission: permission.clone(),
            });
        }
    }
    if has_service_principal {
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
}
