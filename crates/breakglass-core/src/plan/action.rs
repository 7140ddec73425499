//! The actions a plan is made of, and the sentence each reads as.

use serde::Serialize;

use super::APP_TAG;
use crate::config::CredentialKind;

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
    /// Create breakglass's own app management policy, which restricts nothing.
    CreateAppManagementPolicy {
        display_name: String,
    },
    /// Assign that policy to the emergency app, which then follows it instead of the tenant
    /// default.
    AssignAppManagementPolicy,
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

/// A one-line description of an action, for plans and apply progress.
pub fn describe(action: &Action) -> String {
    match action {
        Action::DeleteLeftoverApplication { app_id, .. } => {
            format!("delete app {app_id}, left behind by an interrupted apply")
        }
        Action::CreateApplication { display_name } => format!(
            "create app registration \"{display_name}\" (single tenant, no redirect URIs, tagged {APP_TAG})"
        ),
        Action::UpdateApplication { changes } => {
            format!("update the app: {}", describe_changes(changes))
        }
        Action::CreateServicePrincipal => "create the app's service principal".into(),
        Action::EnableServicePrincipal => "enable the service principal".into(),
        Action::CreateAppManagementPolicy { display_name } => format!(
            "create app management policy \"{display_name}\", which restricts no credential"
        ),
        Action::AssignAppManagementPolicy => {
            "assign that app management policy to the app, exempting it from the tenant default"
                .into()
        }
        Action::RemoveOwner {
            object, owner_name, ..
        } => format!(
            "remove {owner_name} as owner of the {}",
            object_name(object)
        ),
        Action::RemoveCredential {
            key_id,
            display_name,
            reason,
            on,
        } => format!(
            "remove credential {key_id} ({}) from the {}: {}",
            display_name.as_deref().unwrap_or("no name"),
            object_name(on),
            removal_reason(*reason)
        ),
        Action::AssignRole { principal, role } => format!(
            "assign {role} to {} (permanent, active, tenant-wide)",
            principal_name(principal)
        ),
        Action::GrantGraphPermission { permission } => {
            format!("grant Microsoft Graph {permission} to the emergency app")
        }
        Action::RevokeGraphPermission { permission, .. } => {
            format!("revoke Microsoft Graph {permission}, which is not declared")
        }
        Action::AddCredential { label, kind } => {
            format!("add the `{label}` {} and store it", credential_kind(*kind))
        }
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
        Action::AddGroupMember { principal } => {
            format!("add {} to the exclusion group", principal_name(principal))
        }
        Action::CreateTemporaryAccessPass { principal } => {
            format!(
                "create a Temporary Access Pass for {}",
                principal_name(principal)
            )
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

pub(super) fn principal_name(principal: &Principal) -> String {
    match principal {
        Principal::EmergencyApp => "the emergency app".to_string(),
        Principal::User {
            user_principal_name,
            ..
        } => user_principal_name.clone(),
        Principal::NewUser { ordinal } => format!("new emergency user #{ordinal}"),
    }
}

fn object_name(object: &OwnedObject) -> &'static str {
    match object {
        OwnedObject::Application => "app",
        OwnedObject::ServicePrincipal => "service principal",
    }
}

fn removal_reason(reason: RemovalReason) -> &'static str {
    match reason {
        RemovalReason::NotInAnyStore => "no store holds it",
        RemovalReason::NotDeclared => "not made by breakglass",
        RemovalReason::OnServicePrincipal => "credentials belong on the app only",
    }
}

fn credential_kind(kind: CredentialKind) -> &'static str {
    match kind {
        CredentialKind::Secret => "client secret",
        CredentialKind::Certificate => "certificate",
    }
}

/// `property from -> to` for each change, `(none)` for an empty former value.
fn describe_changes(changes: &[PropertyChange]) -> String {
    changes
        .iter()
        .map(|c| {
            format!(
                "{} {} -> {}",
                c.property,
                if c.from.is_empty() { "(none)" } else { &c.from },
                c.to
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn policy_state(state: &str) -> &'static str {
    match state {
        "enabled" => "on",
        "disabled" => "off",
        "enabledForReportingButNotEnforced" => "report-only",
        _ => "state unknown",
    }
}
