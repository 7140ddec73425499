//! Graph's resources (as `breakglass_entra` types them) into the tenant view of
//! `breakglass_core::tenant`. Graph leaves out what it has no value for, so a missing
//! property reads as empty, never as an error.

use breakglass_core::app_policy::{EffectivePolicy, PolicySource, Restriction};
use breakglass_core::audit::permission_of;
use breakglass_core::config::CredentialKind;
use breakglass_core::tenant::{
    Application, Credential, FederatedCredential, GroupAccess, GroupEligibility, Policy, Principal,
    RoleAssignment, RoleDefinition,
};
use breakglass_entra::graph::app_management::{
    AppManagementConfiguration, AppManagementPolicy, CredentialRestriction,
    TenantAppManagementPolicy,
};
use breakglass_entra::graph::models::{
    self as graph, ConditionalAccessPolicy, DirectoryObject, KeyCredential, PasswordCredential,
};
use jiff::Timestamp;

fn time(value: Option<&str>) -> Option<Timestamp> {
    value.and_then(|t| t.parse().ok())
}

/// What a person knows a directory object by: a user's UPN, else its display name.
pub fn principal_of(object: &DirectoryObject) -> Principal {
    Principal {
        id: object.id.clone(),
        name: object
            .user_principal_name
            .clone()
            .or_else(|| object.display_name.clone())
            .unwrap_or_else(|| "unknown".into()),
        kind: object.kind().unwrap_or("unknown").to_string(),
    }
}

/// A principal known only by its id (a role assignment read without `$expand=principal`).
pub fn principal_by_id(id: &str) -> Principal {
    Principal {
        id: id.to_string(),
        name: id.to_string(),
        kind: "unknown".into(),
    }
}

/// The secrets, then the certificates, of an application or service principal.
pub fn credentials_of(secrets: &[PasswordCredential], keys: &[KeyCredential]) -> Vec<Credential> {
    let secrets = secrets.iter().map(|c| Credential {
        key_id: c.key_id.clone().unwrap_or_default(),
        kind: CredentialKind::Secret,
        display_name: c.display_name.clone(),
        start: time(c.start_date_time.as_deref()),
        end: time(c.end_date_time.as_deref()),
    });
    let keys = keys.iter().map(|c| Credential {
        key_id: c.key_id.clone().unwrap_or_default(),
        kind: CredentialKind::Certificate,
        display_name: c.display_name.clone(),
        start: time(c.start_date_time.as_deref()),
        end: time(c.end_date_time.as_deref()),
    });
    secrets.chain(keys).collect()
}

/// An application, without its owners and federated credentials (read separately).
pub fn application_of(app: &graph::Application) -> Application {
    let redirect_uris = [&app.web, &app.spa, &app.public_client]
        .into_iter()
        .flatten()
        .map(|uris| uris.redirect_uris.len())
        .sum();
    Application {
        id: app.id.clone(),
        app_id: app.app_id.clone().unwrap_or_default(),
        display_name: app.display_name.clone().unwrap_or_default(),
        created: time(app.created_date_time.as_deref()),
        sign_in_audience: app.sign_in_audience.clone().unwrap_or_default(),
        tags: app.tags.clone(),
        notes: app.notes.clone(),
        redirect_uris,
        credentials_locked: app
            .service_principal_lock_configuration
            .as_ref()
            .is_some_and(|lock| lock.locks_credentials()),
        credentials: credentials_of(&app.password_credentials, &app.key_credentials),
        ..Application::default()
    }
}

pub fn federated_credential_of(
    credential: &graph::FederatedIdentityCredential,
) -> FederatedCredential {
    FederatedCredential {
        id: credential.id.clone(),
        name: credential.name.clone(),
        issuer: credential.issuer.clone(),
        subject: credential.subject.clone(),
    }
}

/// A role assignment; built-in roles are addressed by their template id.
pub fn role_assignment_of(assignment: &graph::UnifiedRoleAssignment) -> RoleAssignment {
    RoleAssignment {
        id: assignment.id.clone(),
        principal: match &assignment.principal {
            Some(principal) => principal_of(principal),
            None => principal_by_id(&assignment.principal_id),
        },
        role_template_id: assignment.role_definition_id.clone(),
        directory_scope_id: assignment.directory_scope_id.clone().unwrap_or_default(),
    }
}

/// A role definition with every permission set's allowed actions together (a `condition`
/// narrows a set, but the audit rather over-reports a conditional permission than miss it).
pub fn role_definition_of(
    definition: &breakglass_entra::graph::delegation::RoleDefinitionPermissions,
) -> RoleDefinition {
    RoleDefinition {
        id: definition.id.clone(),
        display_name: definition
            .display_name
            .clone()
            .unwrap_or_else(|| definition.id.clone()),
        // A definition that does not say is the tenant's own: only custom ones can be made.
        is_built_in: definition.is_built_in.unwrap_or(false),
        allowed_actions: definition
            .role_permissions
            .iter()
            .flat_map(|p| p.allowed_resource_actions.iter().cloned())
            .collect(),
    }
}

pub fn role_eligibility_of(
    eligibility: &graph::UnifiedRoleEligibilityScheduleInstance,
) -> RoleAssignment {
    RoleAssignment {
        id: eligibility.id.clone(),
        principal: match &eligibility.principal {
            Some(principal) => principal_of(principal),
            None => principal_by_id(&eligibility.principal_id),
        },
        role_template_id: eligibility.role_definition_id.clone(),
        directory_scope_id: eligibility.directory_scope_id.clone().unwrap_or_default(),
    }
}

/// A PIM for Groups eligibility of the group named `group_name`.
pub fn group_eligibility_of(
    eligibility: &breakglass_entra::graph::delegation::GroupEligibilityInstance,
    group_name: &str,
) -> GroupEligibility {
    let access = match eligibility.access_id.as_deref() {
        Some(a) if a.eq_ignore_ascii_case("owner") => GroupAccess::Owner,
        _ => GroupAccess::Member,
    };
    GroupEligibility {
        group_id: eligibility.group_id.clone(),
        group_name: group_name.to_string(),
        principal: match &eligibility.principal {
            Some(principal) => principal_of(principal),
            None => principal_by_id(&eligibility.principal_id),
        },
        access,
    }
}

/// A Microsoft Graph application permission: its value when known, else its id.
pub fn permission_grant_of(
    grant: &graph::AppRoleAssignment,
) -> breakglass_core::tenant::PermissionGrant {
    // `principalType` is `ServicePrincipal`, `User` or `Group`; the view names kinds as
    // `@odata.type` does.
    let kind = grant.principal_type.as_deref().unwrap_or_default();
    let mut chars = kind.chars();
    let kind = match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => "unknown".into(),
    };
    breakglass_core::tenant::PermissionGrant {
        id: grant.id.clone(),
        principal: Principal {
            id: grant.principal_id.clone(),
            name: grant
                .principal_display_name
                .clone()
                .unwrap_or_else(|| grant.principal_id.clone()),
            kind,
        },
        permission: permission_of(&grant.app_role_id)
            .map(str::to_string)
            .unwrap_or_else(|| grant.app_role_id.clone()),
    }
}

/// The parts of a Conditional Access policy that decide whom it applies to and what it does.
pub fn policy_of(policy: &ConditionalAccessPolicy) -> Policy {
    let conditions = policy.conditions.clone().unwrap_or_default();
    let users = conditions.users.unwrap_or_default();
    let clients = conditions.client_applications.unwrap_or_default();
    Policy {
        id: policy.id.clone(),
        display_name: policy.display_name.clone().unwrap_or_default(),
        state: policy.state.clone().unwrap_or_default(),
        include_users: users.include_users,
        exclude_users: users.exclude_users,
        include_groups: users.include_groups,
        exclude_groups: users.exclude_groups,
        include_roles: users.include_roles,
        exclude_roles: users.exclude_roles,
        includes_guests: users
            .include_guests_or_external_users
            .is_some_and(|v| !v.is_null()),
        include_service_principals: clients.include_service_principals,
        exclude_service_principals: clients.exclude_service_principals,
        client_app_types: conditions.client_app_types,
        grant_controls: policy
            .grant_controls
            .as_ref()
            .map(|g| g.built_in_controls.clone())
            .unwrap_or_default(),
    }
}

fn restrictions_of(
    configuration: Option<&AppManagementConfiguration>,
) -> (Vec<Restriction>, Vec<Restriction>) {
    let one = |r: &CredentialRestriction| Restriction {
        restriction_type: r.restriction_type.clone(),
        state: r.state.clone(),
        max_lifetime: r.max_lifetime.clone(),
        restrict_for_apps_created_after: time(
            r.restrict_for_apps_created_after_date_time.as_deref(),
        ),
    };
    match configuration {
        Some(c) => (
            c.password_credentials.iter().map(one).collect(),
            c.key_credentials.iter().map(one).collect(),
        ),
        None => (Vec::new(), Vec::new()),
    }
}

/// The restrictions of a custom policy assigned to the app (enabled unless it says not).
pub fn assigned_policy_of(policy: &AppManagementPolicy) -> EffectivePolicy {
    let (password_credentials, key_credentials) = restrictions_of(policy.restrictions.as_ref());
    EffectivePolicy {
        source: PolicySource::Assigned {
            id: policy.id.clone(),
            display_name: policy.display_name.clone(),
        },
        enabled: policy.is_enabled.unwrap_or(true),
        password_credentials,
        key_credentials,
    }
}

/// The tenant default's restrictions on applications.
pub fn default_policy_of(policy: &TenantAppManagementPolicy) -> EffectivePolicy {
    let (password_credentials, key_credentials) =
        restrictions_of(policy.application_restrictions.as_ref());
    EffectivePolicy {
        source: PolicySource::TenantDefault,
        enabled: policy.is_enabled,
        password_credentials,
        key_credentials,
    }
}
