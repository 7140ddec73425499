//! The rules of `breakglass audit`: the tenant's emergency access posture against
//! Microsoft's emergency access guidance, and every way someone could take the emergency
//! app over.
//!
//! The CLI reads the tenant into a [`Snapshot`]; [`audit`] turns it into [`Finding`]s
//! without I/O, so every rule is unit-tested here. A fact the operator could not read is a
//! [`Fact::Unreadable`] naming the permission it lacks, and every check that needs it comes
//! out [`Outcome::NotChecked`], never as a pass.

mod activation;
mod admin_roles;
mod app;
mod azure;
mod exclusion_group;
mod local;
mod lockout;
mod permissions;
mod pim_groups;
mod rules;
mod scoped_roles;
pub use rules::RuleText;
pub mod html;
pub mod sarif;
mod users;
mod workload_ca;

use jiff::Timestamp;
use serde::Serialize;

use crate::config::CredentialKind;
use crate::roles::{self, BuiltInRole};
pub use crate::tenant::{Fact, Missing};
use crate::tenant::{Principal, TenantView, same};

pub use crate::severity::Severity;

/// What came of one check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    Pass,
    Finding,
    /// The operator may not read what the check needs; the finding names the permission.
    NotChecked,
}

/// The checks, in the order they are reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckId {
    EmergencyApp,
    AppOwners,
    ServicePrincipalOwners,
    AppCredentials,
    ServicePrincipalCredentials,
    FederatedCredentials,
    CredentialLock,
    AppManagementPolicy,
    SignInAudience,
    ServicePrincipalEnabled,
    AppRole,
    CredentialAdminRoles,
    OwnerAdminRoles,
    TierZeroRoles,
    GraphPermissions,
    UserTakeoverRoles,
    UserTakeoverPermissions,
    CustomRoles,
    AdministrativeUnits,
    WorkloadConditionalAccess,
    EmergencyAccessPaths,
    PolicyLockout,
    RoleActivationLockout,
    UserCloudOnly,
    UserDomain,
    UserEnabled,
    UserRole,
    UserConditionalAccess,
    UserPhishingResistant,
    UserDeviceBoundMethods,
    MandatoryMfa,
    ExclusionGroup,
    GlobalAdminCount,
    AzureElevation,
    AzureRootRole,
    LastDrill,
    LocalStores,
}

impl CheckId {
    pub fn name(self) -> &'static str {
        match self {
            CheckId::EmergencyApp => "emergency-app",
            CheckId::AppOwners => "app-owners",
            CheckId::ServicePrincipalOwners => "service-principal-owners",
            CheckId::AppCredentials => "app-credentials",
            CheckId::ServicePrincipalCredentials => "service-principal-credentials",
            CheckId::FederatedCredentials => "federated-credentials",
            CheckId::CredentialLock => "credential-lock",
            CheckId::AppManagementPolicy => "app-management-policy",
            CheckId::SignInAudience => "sign-in-audience",
            CheckId::ServicePrincipalEnabled => "service-principal-enabled",
            CheckId::AppRole => "app-role",
            CheckId::CredentialAdminRoles => "credential-admin-roles",
            CheckId::OwnerAdminRoles => "owner-admin-roles",
            CheckId::TierZeroRoles => "tier-zero-roles",
            CheckId::GraphPermissions => "graph-permissions",
            CheckId::UserTakeoverRoles => "user-takeover-roles",
            CheckId::UserTakeoverPermissions => "user-takeover-permissions",
            CheckId::CustomRoles => "custom-roles",
            CheckId::AdministrativeUnits => "administrative-units",
            CheckId::WorkloadConditionalAccess => "workload-conditional-access",
            CheckId::EmergencyAccessPaths => "emergency-access-paths",
            CheckId::PolicyLockout => "policy-lockout",
            CheckId::RoleActivationLockout => "role-activation-lockout",
            CheckId::UserCloudOnly => "user-cloud-only",
            CheckId::UserDomain => "user-domain",
            CheckId::UserEnabled => "user-enabled",
            CheckId::UserRole => "user-role",
            CheckId::UserConditionalAccess => "user-conditional-access",
            CheckId::UserPhishingResistant => "user-phishing-resistant",
            CheckId::UserDeviceBoundMethods => "user-device-bound-methods",
            CheckId::MandatoryMfa => "mandatory-mfa",
            CheckId::ExclusionGroup => "exclusion-group",
            CheckId::GlobalAdminCount => "global-admin-count",
            CheckId::AzureElevation => "azure-elevation",
            CheckId::AzureRootRole => "azure-root-role",
            CheckId::LastDrill => "last-drill",
            CheckId::LocalStores => "local-stores",
        }
    }
}

/// An object a finding is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Evidence {
    pub id: String,
    pub name: String,
    /// `user`, `servicePrincipal`, `group`, `application`, `credential`, `policy`…
    pub kind: String,
    /// What about the object: a role, a permission, a key id's display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// One result: a pass, a finding with its severity, or a check that could not be made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    pub check: CheckId,
    pub status: Outcome,
    /// Set for findings only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    pub summary: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<Evidence>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Finding {
    fn pass(check: CheckId, summary: impl Into<String>) -> Finding {
        Finding {
            check,
            status: Outcome::Pass,
            severity: None,
            summary: summary.into(),
            evidence: Vec::new(),
            hint: None,
        }
    }

    fn found(check: CheckId, severity: Severity, summary: impl Into<String>) -> Finding {
        Finding {
            check,
            status: Outcome::Finding,
            severity: Some(severity),
            summary: summary.into(),
            evidence: Vec::new(),
            hint: None,
        }
    }

    fn not_checked(check: CheckId, missing: impl std::borrow::Borrow<Missing>) -> Finding {
        let missing = missing.borrow();
        Finding {
            check,
            status: Outcome::NotChecked,
            severity: None,
            summary: format!("not checked: {}", missing.detail),
            evidence: Vec::new(),
            hint: Some(format!(
                "grant the operator {} (or run the audit as an operator who holds it)",
                missing.permission
            )),
        }
    }

    fn with(mut self, evidence: Evidence) -> Finding {
        self.evidence.push(evidence);
        self
    }

    fn hinted(mut self, hint: impl Into<String>) -> Finding {
        self.hint = Some(hint.into());
        self
    }
}

/// `secret` or `certificate`, as evidence names a credential.
fn kind_name(kind: CredentialKind) -> &'static str {
    match kind {
        CredentialKind::Secret => "secret",
        CredentialKind::Certificate => "certificate",
    }
}

impl Principal {
    fn evidence(&self, detail: Option<String>) -> Evidence {
        Evidence {
            id: self.id.clone(),
            name: self.name.clone(),
            kind: self.kind.clone(),
            detail,
        }
    }
}

/// Everything the audit looks at: the tenant, what breakglass.toml declares, and what this
/// machine holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    pub now: Timestamp,
    /// The credential labels `breakglass.toml` declares.
    pub declared_labels: Vec<String>,
    /// The credentials `breakglass.toml` declares (kind and lifetime).
    pub declared_credentials: Vec<crate::config::CredentialPolicy>,
    /// Whether `breakglass.toml` gives the app an app management policy of its own.
    pub exempt_from_app_management_policy: bool,
    /// Key ids the local stores (KeePass, the sheets' manifest) hold, or why they could not
    /// be compared (no KeePass password given, no stores on this machine).
    pub held_key_ids: Result<Vec<String>, String>,
    /// The declared role of the emergency users (Global Administrator by default).
    pub user_role: BuiltInRole,
    /// The declared role of the emergency app; `None` when it holds Graph permissions instead.
    pub app_role: Option<BuiltInRole>,
    /// The tenant, read tenant-wide: every role assignment and eligibility, every Graph
    /// permission grant, the policies, the users' methods and groups.
    pub tenant: TenantView,
    /// The newest drill record on this machine, if any was found.
    pub last_drill: Option<Timestamp>,
    /// Local stores missing though the tenant holds what they keep, or of another tenant,
    /// as sentences naming the file (`breakglass_core::stores`).
    pub store_problems: Vec<String>,
    /// Azure role assignments at the root, read with `audit --azure`; `None` leaves the Azure
    /// checks out of the report altogether.
    pub azure: Option<crate::azure_rbac::AzureReach>,
}

/// Directory roles whose holders can add a credential to any application and service principal
/// (`microsoft.directory/applications/credentials/update`, `…/servicePrincipals/credentials/update`).
pub const CREDENTIAL_ADMIN_ROLES: &[BuiltInRole] = &[
    roles::APPLICATION_ADMINISTRATOR,
    roles::CLOUD_APPLICATION_ADMINISTRATOR,
];

/// Hybrid Identity Administrator: its published permissions hold
/// `microsoft.directory/applications/owners/update` and `…/servicePrincipals/owners/update`
/// but not `…/credentials/update`; it can make itself an owner, and an owner can add a credential.
pub const HYBRID_IDENTITY_ADMINISTRATOR: BuiltInRole = roles::HYBRID_IDENTITY_ADMINISTRATOR;

/// Roles that hold, or can grant themselves, everything.
pub const TIER_ZERO_ROLES: &[BuiltInRole] = &[
    roles::GLOBAL_ADMINISTRATOR,
    roles::PRIVILEGED_ROLE_ADMINISTRATOR,
];

/// Graph application permissions that reach any app: add a credential
/// (`Application.ReadWrite.All`), grant oneself that permission
/// (`AppRoleAssignment.ReadWrite.All`), or assign oneself a role that can
/// (`RoleManagement.ReadWrite.Directory`).
pub const TAKEOVER_PERMISSIONS: &[(&str, &str)] = &[
    (
        "Application.ReadWrite.All",
        "can add a credential to any app and service principal",
    ),
    (
        "AppRoleAssignment.ReadWrite.All",
        "can grant itself Application.ReadWrite.All",
    ),
    (
        "RoleManagement.ReadWrite.Directory",
        "can assign itself Global Administrator or Application Administrator",
    ),
];

/// Reaches the app only when the holder owns it.
pub const OWNED_BY_PERMISSION: &str = "Application.ReadWrite.OwnedBy";

/// The Microsoft Graph app role ids of the permissions above, the same in every tenant, for
/// naming the grants `appRoleAssignedTo` lists by id.
pub const PERMISSION_IDS: &[(&str, &str)] = &[
    (
        "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9",
        "Application.ReadWrite.All",
    ),
    (
        "06b708a9-e830-4db3-a914-8e69da51d44f",
        "AppRoleAssignment.ReadWrite.All",
    ),
    (
        "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8",
        "RoleManagement.ReadWrite.Directory",
    ),
    (
        "18a4783c-866b-4cc7-a460-3d5e5662c884",
        "Application.ReadWrite.OwnedBy",
    ),
    (
        "50483e42-d915-4231-9639-7fdb7fd190e5",
        "UserAuthenticationMethod.ReadWrite.All",
    ),
];

/// The permission value of a Microsoft Graph app role id, if it is one the audit knows.
pub fn permission_of(app_role_id: &str) -> Option<&'static str> {
    PERMISSION_IDS
        .iter()
        .find(|(id, _)| same(id, app_role_id))
        .map(|(_, value)| *value)
        .or_else(|| {
            crate::graph_permissions::KNOWN
                .iter()
                .find(|p| same(&p.id.to_string(), app_role_id))
                .map(|p| p.value)
        })
}

/// Roles that may reset the password and the authentication methods of any user, Global
/// Administrators included: a way to take an emergency user over.
pub const USER_TAKEOVER_ROLES: &[BuiltInRole] = &[roles::PRIVILEGED_AUTHENTICATION_ADMINISTRATOR];

/// Graph application permissions that may add an authentication method (a Temporary Access
/// Pass, a passkey) to any user, and so sign in as an emergency user.
pub const USER_TAKEOVER_PERMISSIONS: &[(&str, &str)] = &[
    (
        "UserAuthenticationMethod.ReadWrite.All",
        "can issue a Temporary Access Pass to an emergency user and sign in as it",
    ),
    (
        "UserAuthMethod-Passkey.ReadWrite.All",
        "can register a passkey it holds for an emergency user and sign in as it",
    ),
];

/// Graph application permissions that may change which authentication methods every user may
/// use: not a way in alone, but the step that makes a method the holder controls usable.
pub const METHOD_POLICY_PERMISSIONS: &[(&str, &str)] = &[(
    "Policy.ReadWrite.AuthenticationMethod",
    "can enable an authentication method it controls for every user, emergency users included",
)];

/// Microsoft recommends fewer than this many Global Administrators.
pub const GLOBAL_ADMIN_LIMIT: usize = 5;

/// Runs every check. Findings come in [`CheckId`] order, passes included.
pub fn audit(snapshot: &Snapshot) -> Vec<Finding> {
    let mut out = Vec::new();
    let emergency_ids = snapshot.tenant.emergency_ids();
    let is_emergency = |id: &str| emergency_ids.iter().any(|e| same(e, id));

    match snapshot.tenant.emergency_app() {
        None => out.push(
            Finding::found(
                CheckId::EmergencyApp,
                Severity::High,
                "no application carries the tag breakglass:emergency-access",
            )
            .hinted("run `breakglass plan` and `breakglass apply` to create the emergency app"),
        ),
        Some(app) => {
            out.push(
                Finding::pass(
                    CheckId::EmergencyApp,
                    format!("\"{}\" (app id {})", app.display_name, app.app_id),
                )
                .with(Evidence {
                    id: app.id.clone(),
                    name: app.display_name.clone(),
                    kind: "application".into(),
                    detail: Some(format!("appId {}", app.app_id)),
                }),
            );
            app::app_checks(snapshot, app, &mut out);
        }
    }
    admin_roles::role_checks(snapshot, &is_emergency, &mut out);
    permissions::permission_checks(snapshot, &is_emergency, &mut out);
    scoped_roles::custom_roles(snapshot, &is_emergency, &mut out);
    scoped_roles::administrative_units(snapshot, &is_emergency, &mut out);
    workload_ca::workload_ca_check(snapshot, &mut out);
    users::user_checks(snapshot, &mut out);
    lockout::policy_lockout(snapshot, &mut out);
    lockout::device_bound_methods(snapshot, &mut out);
    activation::activation_lockout(snapshot, &is_emergency, &mut out);
    exclusion_group::exclusion_group(snapshot, &mut out);
    admin_roles::global_admin_count(snapshot, &mut out);
    if let Some(azure) = &snapshot.azure {
        azure::azure_checks(snapshot, azure, &is_emergency, &mut out);
    }
    local::last_drill(snapshot, &mut out);
    local::local_stores(snapshot, &mut out);
    out.sort_by_key(|f| f.check);
    out
}

/// Whether any finding is at or above `threshold`, or a check could not be made.
pub fn fails(findings: &[Finding], threshold: Severity) -> bool {
    findings.iter().any(|f| {
        f.status == Outcome::NotChecked
            || (f.status == Outcome::Finding && f.severity.is_some_and(|s| s >= threshold))
    })
}

#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
/// How many findings of each severity an audit made, how many checks passed and how many
/// could not be made.
pub struct Counts {
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    pub info: usize,
    pub not_checked: usize,
    pub passed: usize,
}

impl Counts {
    pub fn of(findings: &[Finding]) -> Counts {
        let mut c = Counts::default();
        for f in findings {
            match (f.status, f.severity) {
                (Outcome::Pass, _) => c.passed += 1,
                (Outcome::NotChecked, _) => c.not_checked += 1,
                (Outcome::Finding, Some(Severity::Critical)) => c.critical += 1,
                (Outcome::Finding, Some(Severity::High)) => c.high += 1,
                (Outcome::Finding, Some(Severity::Medium)) => c.medium += 1,
                (Outcome::Finding, Some(Severity::Low)) => c.low += 1,
                (Outcome::Finding, _) => c.info += 1,
            }
        }
        c
    }
}

#[cfg(test)]
mod tests;
