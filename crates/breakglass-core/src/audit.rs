//! The rules of `breakglass audit`: the tenant's emergency access posture against
//! Microsoft's emergency access guidance, and every way someone could take the emergency
//! app over.
//!
//! The CLI reads the tenant into a [`Snapshot`]; [`audit`] turns it into [`Finding`]s
//! without I/O, so every rule is unit-tested here. A fact the operator could not read is a
//! [`Fact::Unreadable`] naming the permission it lacks, and every check that needs it comes
//! out [`Status::NotChecked`], never as a pass.

use jiff::Timestamp;
use serde::Serialize;

use crate::config::CredentialKind;
use crate::drill::{self, CaSubject, VALIDATION_INTERVAL_DAYS};
use crate::plan::label_of;
use crate::roles::{self, BuiltInRole};
use crate::tenant::{Application, Credential, Principal, RoleAssignment, TenantView, User, same};
pub use crate::tenant::{Fact, Missing};

/// How bad a finding is. Ordered from least to most severe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn label(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// Parses `critical`, `high`, `medium`, `low` or `info`, ignoring case.
    pub fn parse(text: &str) -> Option<Severity> {
        [
            Severity::Info,
            Severity::Low,
            Severity::Medium,
            Severity::High,
            Severity::Critical,
        ]
        .into_iter()
        .find(|s| s.label().eq_ignore_ascii_case(text.trim()))
    }
}

/// What came of one check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Status {
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
    SignInAudience,
    ServicePrincipalEnabled,
    AppRole,
    CredentialAdminRoles,
    OwnerAdminRoles,
    TierZeroRoles,
    GraphPermissions,
    UserTakeoverRoles,
    UserTakeoverPermissions,
    WorkloadConditionalAccess,
    EmergencyAccessPaths,
    UserCloudOnly,
    UserDomain,
    UserEnabled,
    UserRole,
    UserConditionalAccess,
    UserPhishingResistant,
    ExclusionGroup,
    GlobalAdminCount,
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
            CheckId::SignInAudience => "sign-in-audience",
            CheckId::ServicePrincipalEnabled => "service-principal-enabled",
            CheckId::AppRole => "app-role",
            CheckId::CredentialAdminRoles => "credential-admin-roles",
            CheckId::OwnerAdminRoles => "owner-admin-roles",
            CheckId::TierZeroRoles => "tier-zero-roles",
            CheckId::GraphPermissions => "graph-permissions",
            CheckId::UserTakeoverRoles => "user-takeover-roles",
            CheckId::UserTakeoverPermissions => "user-takeover-permissions",
            CheckId::WorkloadConditionalAccess => "workload-conditional-access",
            CheckId::EmergencyAccessPaths => "emergency-access-paths",
            CheckId::UserCloudOnly => "user-cloud-only",
            CheckId::UserDomain => "user-domain",
            CheckId::UserEnabled => "user-enabled",
            CheckId::UserRole => "user-role",
            CheckId::UserConditionalAccess => "user-conditional-access",
            CheckId::UserPhishingResistant => "user-phishing-resistant",
            CheckId::ExclusionGroup => "exclusion-group",
            CheckId::GlobalAdminCount => "global-admin-count",
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
    pub status: Status,
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
            status: Status::Pass,
            severity: None,
            summary: summary.into(),
            evidence: Vec::new(),
            hint: None,
        }
    }

    fn found(check: CheckId, severity: Severity, summary: impl Into<String>) -> Finding {
        Finding {
            check,
            status: Status::Finding,
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
            status: Status::NotChecked,
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
/// Pass) to any user, and so sign in as an emergency user.
pub const USER_TAKEOVER_PERMISSIONS: &[(&str, &str)] = &[(
    "UserAuthenticationMethod.ReadWrite.All",
    "can issue a Temporary Access Pass to an emergency user and sign in as it",
)];

/// Microsoft recommends fewer than this many Global Administrators.
pub const GLOBAL_ADMIN_LIMIT: usize = 5;

fn role_name(template_id: &str) -> String {
    template_id
        .parse()
        .ok()
        .and_then(roles::by_template_id)
        .map(|r| r.display_name.to_string())
        .unwrap_or_else(|| template_id.to_string())
}

fn is_role(grant: &RoleAssignment, role: &BuiltInRole) -> bool {
    same(&grant.role_template_id, &role.template_id.to_string())
}

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
            app_checks(snapshot, app, &mut out);
        }
    }
    role_checks(snapshot, &is_emergency, &mut out);
    permission_checks(snapshot, &is_emergency, &mut out);
    workload_ca_check(snapshot, &mut out);
    user_checks(snapshot, &mut out);
    exclusion_group(snapshot, &mut out);
    global_admin_count(snapshot, &mut out);
    last_drill(snapshot, &mut out);
    local_stores(snapshot, &mut out);
    out.sort_by_key(|f| f.check);
    out
}

fn owner_check(
    check: CheckId,
    object: &str,
    owners: &Fact<Vec<Principal>>,
    out: &mut Vec<Finding>,
) {
    match owners.get() {
        Err(missing) => out.push(Finding::not_checked(check, missing)),
        Ok(owners) if owners.is_empty() => {
            out.push(Finding::pass(check, format!("the {object} has no owners")));
        }
        Ok(owners) => {
            let mut finding = Finding::found(
                check,
                Severity::Critical,
                format!(
                    "the {object} has {} owner(s); any owner can add a credential and sign in as the emergency app",
                    owners.len()
                ),
            )
            .hinted("remove the owners (`breakglass apply` does, unless [drift] remove_owners = false)");
            for owner in owners {
                finding = finding.with(owner.evidence(Some(format!("owner of the {object}"))));
            }
            out.push(finding);
        }
    }
}

fn credential_evidence(credential: &Credential, detail: String) -> Evidence {
    Evidence {
        id: credential.key_id.clone(),
        name: credential
            .display_name
            .clone()
            .unwrap_or_else(|| "(no display name)".into()),
        kind: format!("{} credential", kind_name(credential.kind)),
        detail: Some(detail),
    }
}

fn app_checks(snapshot: &Snapshot, app: &Application, out: &mut Vec<Finding>) {
    owner_check(CheckId::AppOwners, "application", &app.owners, out);

    // Credentials on the app: only those breakglass made for a declared label.
    let declared = |c: &Credential| {
        label_of(c.display_name.as_deref())
            .is_some_and(|l| snapshot.declared_labels.iter().any(|d| d == l))
    };
    let foreign: Vec<&Credential> = app
        .credentials
        .iter()
        .filter(|c| label_of(c.display_name.as_deref()).is_none())
        .collect();
    let stale: Vec<&Credential> = app
        .credentials
        .iter()
        .filter(|c| label_of(c.display_name.as_deref()).is_some() && !declared(c))
        .collect();
    // A display name is no proof: whoever adds a credential may name it `breakglass:rotating`.
    // Only a key id the stores hold is breakglass's own.
    let unheld: Vec<&Credential> = match &snapshot.held_key_ids {
        Ok(held) => app
            .credentials
            .iter()
            .filter(|c| declared(c) && !held.iter().any(|k| same(k, &c.key_id)))
            .collect(),
        Err(_) => Vec::new(),
    };
    if foreign.is_empty() && stale.is_empty() && unheld.is_empty() {
        out.push(Finding::pass(
            CheckId::AppCredentials,
            format!(
                "{} credential(s), each made by breakglass for a declared label{}",
                app.credentials.len(),
                if snapshot.held_key_ids.is_ok() {
                    ", each held by a local store"
                } else {
                    ""
                }
            ),
        ));
    }
    if !unheld.is_empty() {
        let mut finding = Finding::found(
            CheckId::AppCredentials,
            Severity::Critical,
            format!(
                "{} credential(s) carry a breakglass label but no local store holds their key id: someone may have named them to look like breakglass's, or an interrupted run left them",
                unheld.len()
            ),
        )
        .hinted("compare with `breakglass credential list`; `breakglass apply` removes credentials no store holds");
        for c in unheld {
            finding = finding.with(credential_evidence(c, "key id in no store".into()));
        }
        out.push(finding);
    }
    if let Err(why) = &snapshot.held_key_ids {
        out.push(
            Finding::found(
                CheckId::AppCredentials,
                Severity::Info,
                format!("key ids were not compared with the local stores: {why}"),
            )
            .hinted("run the audit where the stores are, with BREAKGLASS_KEEPASS_PASSWORD or `--keepass-password-file`"),
        );
    }
    if !foreign.is_empty() {
        let mut finding = Finding::found(
            CheckId::AppCredentials,
            Severity::Critical,
            format!(
                "{} credential(s) on the app that breakglass did not make: whoever holds them can sign in as the emergency app",
                foreign.len()
            ),
        )
        .hinted("find out who added them (audit log: \"Update application – Certificates and secrets management\"), then remove them with `breakglass apply`");
        for c in foreign {
            finding = finding.with(credential_evidence(c, "not made by breakglass".into()));
        }
        out.push(finding);
    }
    if !stale.is_empty() {
        let mut finding = Finding::found(
            CheckId::AppCredentials,
            Severity::Medium,
            format!(
                "{} breakglass credential(s) for a label breakglass.toml no longer declares",
                stale.len()
            ),
        )
        .hinted("remove them with `breakglass apply` (or `breakglass credential remove`), or declare the label again");
        for c in stale {
            finding = finding.with(credential_evidence(c, "label not declared".into()));
        }
        out.push(finding);
    }

    match app.federated_credentials.get() {
        Err(missing) => out.push(Finding::not_checked(CheckId::FederatedCredentials, missing)),
        Ok(list) if list.is_empty() => out.push(Finding::pass(
            CheckId::FederatedCredentials,
            "no federated identity credentials",
        )),
        Ok(list) => {
            let mut finding = Finding::found(
                CheckId::FederatedCredentials,
                Severity::Critical,
                format!(
                    "{} federated identity credential(s): a token from the named issuer and subject signs in as the emergency app, with no secret in any store",
                    list.len()
                ),
            )
            .hinted("delete them (breakglass never makes one): DELETE /applications/{id}/federatedIdentityCredentials/{id}");
            for c in list {
                finding = finding.with(Evidence {
                    id: c.id.clone(),
                    name: c.name.clone(),
                    kind: "federatedIdentityCredential".into(),
                    detail: Some(format!("issuer {}, subject {}", c.issuer, c.subject)),
                });
            }
            out.push(finding);
        }
    }

    match &snapshot.tenant.service_principal {
        None => out.push(
            Finding::found(
                CheckId::ServicePrincipalEnabled,
                Severity::High,
                "the emergency app has no service principal, so nothing can sign in as it",
            )
            .hinted("run `breakglass apply` to create it"),
        ),
        Some(sp) => {
            owner_check(
                CheckId::ServicePrincipalOwners,
                "service principal",
                &sp.owners,
                out,
            );
            if sp.credentials.is_empty() {
                out.push(Finding::pass(
                    CheckId::ServicePrincipalCredentials,
                    "no credentials on the service principal",
                ));
            } else {
                let mut finding = Finding::found(
                    CheckId::ServicePrincipalCredentials,
                    Severity::Critical,
                    format!(
                        "{} credential(s) on the service principal object; the portal's app registration blade does not show them, and each signs in as the emergency app",
                        sp.credentials.len()
                    ),
                )
                .hinted("remove them (`breakglass apply` does) and lock the service principal's credentials (`lock_credentials = true`)");
                for c in &sp.credentials {
                    finding =
                        finding.with(credential_evidence(c, "on the service principal".into()));
                }
                out.push(finding);
            }
            if sp.account_enabled {
                out.push(Finding::pass(
                    CheckId::ServicePrincipalEnabled,
                    "the service principal is enabled",
                ));
            } else {
                out.push(
                    Finding::found(
                        CheckId::ServicePrincipalEnabled,
                        Severity::Critical,
                        "the service principal is disabled: the emergency app cannot sign in",
                    )
                    .with(Evidence {
                        id: sp.id.clone(),
                        name: app.display_name.clone(),
                        kind: "servicePrincipal".into(),
                        detail: Some("accountEnabled false".into()),
                    })
                    .hinted("run `breakglass apply` to enable it"),
                );
            }
        }
    }

    if let (Some(role), Some(sp)) = (snapshot.app_role, &snapshot.tenant.service_principal) {
        let role_id = role.template_id.to_string();
        let holds = |list: &[RoleAssignment]| {
            list.iter().any(|g| {
                same(&g.principal.id, &sp.id)
                    && same(&g.role_template_id, &role_id)
                    && g.directory_scope_id == "/"
            })
        };
        match snapshot.tenant.role_assignments.get() {
            Err(missing) => out.push(Finding::not_checked(CheckId::AppRole, missing)),
            Ok(active) if holds(active) => out.push(Finding::pass(
                CheckId::AppRole,
                format!(
                    "the service principal holds {} permanently and actively at /",
                    role.display_name
                ),
            )),
            Ok(_) => {
                let eligible = snapshot
                    .tenant
                    .role_eligibilities
                    .get()
                    .is_ok_and(|list| holds(list));
                out.push(
                    Finding::found(
                        CheckId::AppRole,
                        Severity::High,
                        if eligible {
                            format!("the service principal is only PIM-eligible for {}: an app cannot activate it in an emergency", role.display_name)
                        } else {
                            format!("the service principal holds no active {} at /: the emergency app cannot do what it is for", role.display_name)
                        },
                    )
                    .with(Evidence {
                        id: sp.id.clone(),
                        name: app.display_name.clone(),
                        kind: "servicePrincipal".into(),
                        detail: Some(role.display_name.to_string()),
                    })
                    .hinted("run `breakglass apply` to assign the role permanently and actively"),
                );
            }
        }
    }

    if app.credentials_locked {
        out.push(Finding::pass(
            CheckId::CredentialLock,
            "servicePrincipalLockConfiguration locks the service principal's credentials",
        ));
    } else {
        out.push(
            Finding::found(
                CheckId::CredentialLock,
                Severity::High,
                "servicePrincipalLockConfiguration does not lock credentials: anyone who may write the service principal can add a credential there, out of the app blade's sight",
            )
            .with(Evidence {
                id: app.id.clone(),
                name: app.display_name.clone(),
                kind: "application".into(),
                detail: Some("servicePrincipalLockConfiguration".into()),
            })
            .hinted("set `lock_credentials = true` in breakglass.toml and run `breakglass apply`"),
        );
    }

    if app.sign_in_audience == "AzureADMyOrg" {
        out.push(Finding::pass(
            CheckId::SignInAudience,
            "single tenant (AzureADMyOrg)",
        ));
    } else {
        out.push(
            Finding::found(
                CheckId::SignInAudience,
                Severity::High,
                format!(
                    "signInAudience is {}: other tenants can create a service principal of the app, and Conditional Access for workload identities covers single-tenant apps only",
                    if app.sign_in_audience.is_empty() { "unset" } else { &app.sign_in_audience }
                ),
            )
            .with(Evidence {
                id: app.id.clone(),
                name: app.display_name.clone(),
                kind: "application".into(),
                detail: Some(format!("signInAudience {}", app.sign_in_audience)),
            })
            .hinted("run `breakglass apply` to set it back to AzureADMyOrg"),
        );
    }
}

fn scope_reaches_app(scope: &str, tenant: &TenantView) -> bool {
    if scope == "/" {
        return true;
    }
    let id = scope.trim_start_matches('/');
    tenant.emergency_app().is_some_and(|a| same(id, &a.id))
        || tenant
            .service_principal
            .as_ref()
            .is_some_and(|sp| same(id, &sp.id))
}

type Grants<'a> = Result<&'a Vec<RoleAssignment>, Missing>;

fn grants(snapshot: &Snapshot) -> (Grants<'_>, Grants<'_>) {
    (
        snapshot.tenant.role_assignments.get(),
        snapshot.tenant.role_eligibilities.get(),
    )
}

/// Holders of `roles` at a scope that reaches the app, active then eligible, without the
/// emergency identities themselves.
fn holders<'a>(
    snapshot: &'a Snapshot,
    list: &'a [RoleAssignment],
    wanted: &[BuiltInRole],
    is_emergency: &dyn Fn(&str) -> bool,
) -> Vec<&'a RoleAssignment> {
    list.iter()
        .filter(|g| wanted.iter().any(|r| is_role(g, r)))
        .filter(|g| scope_reaches_app(&g.directory_scope_id, &snapshot.tenant))
        .filter(|g| !is_emergency(&g.principal.id))
        .collect()
}

fn role_evidence(grant: &RoleAssignment, how: &str) -> Evidence {
    let scope = if grant.directory_scope_id == "/" {
        "tenant-wide".to_string()
    } else {
        format!("scoped to {}", grant.directory_scope_id)
    };
    grant.principal.evidence(Some(format!(
        "{} ({how}, {scope})",
        role_name(&grant.role_template_id)
    )))
}

/// Who holding which roles can do what to the emergency app, and how bad that is
/// (active, eligible).
struct RoleRule<'a> {
    check: CheckId,
    wanted: &'a [BuiltInRole],
    what: &'a str,
    severities: (Severity, Severity),
    hint: &'a str,
}

fn role_check(
    snapshot: &Snapshot,
    is_emergency: &dyn Fn(&str) -> bool,
    rule: RoleRule<'_>,
    out: &mut Vec<Finding>,
) {
    let RoleRule {
        check,
        wanted,
        what,
        severities,
        hint,
    } = rule;
    let names: Vec<&str> = wanted.iter().map(|r| r.display_name).collect();
    let (active, eligible) = grants(snapshot);
    let active_holders = active
        .as_ref()
        .map(|l| holders(snapshot, l, wanted, is_emergency))
        .unwrap_or_default();
    let eligible_holders = eligible
        .as_ref()
        .map(|l| holders(snapshot, l, wanted, is_emergency))
        .unwrap_or_default();
    if let Err(missing) = &active {
        out.push(Finding::not_checked(check, missing));
    }
    if let Err(missing) = &eligible {
        let mut finding = Finding::not_checked(check, missing);
        finding.summary = format!("PIM-eligible assignments {}", finding.summary);
        out.push(finding);
    }
    if !active_holders.is_empty() {
        let mut finding = Finding::found(
            check,
            severities.0,
            format!(
                "{} active assignment(s) of {}: {what}",
                active_holders.len(),
                names.join(" / ")
            ),
        )
        .hinted(hint);
        for g in &active_holders {
            finding = finding.with(role_evidence(g, "active"));
        }
        out.push(finding);
    }
    if !eligible_holders.is_empty() {
        let mut finding = Finding::found(
            check,
            severities.1,
            format!(
                "{} PIM-eligible assignment(s) of {}: after activation, {what}",
                eligible_holders.len(),
                names.join(" / ")
            ),
        )
        .hinted(hint);
        for g in &eligible_holders {
            finding = finding.with(role_evidence(g, "eligible"));
        }
        out.push(finding);
    }
    if active.is_ok()
        && eligible.is_ok()
        && active_holders.is_empty()
        && eligible_holders.is_empty()
    {
        out.push(Finding::pass(
            check,
            format!(
                "nobody holds {} tenant-wide or on the emergency app, actively or eligibly",
                names.join(" / ")
            ),
        ));
    }
}

fn role_checks(snapshot: &Snapshot, is_emergency: &dyn Fn(&str) -> bool, out: &mut Vec<Finding>) {
    role_check(
        snapshot,
        is_emergency,
        RoleRule {
            check: CheckId::CredentialAdminRoles,
            wanted: CREDENTIAL_ADMIN_ROLES,
            what: "each can add a credential to the emergency app and so become Global Administrator",
            severities: (Severity::Critical, Severity::High),
            hint: "remove these assignments, or scope them to the apps each person looks after (an administrative unit, or another app's object id), never tenant-wide",
        },
        out,
    );
    role_check(
        snapshot,
        is_emergency,
        RoleRule {
            check: CheckId::OwnerAdminRoles,
            wanted: &[HYBRID_IDENTITY_ADMINISTRATOR],
            what: "each can make itself an owner of the emergency app, and an owner can add a credential",
            severities: (Severity::High, Severity::Medium),
            hint: "keep Hybrid Identity Administrator for the few who run Entra Connect, PIM-eligible with approval",
        },
        out,
    );
    role_check(
        snapshot,
        is_emergency,
        RoleRule {
            check: CheckId::TierZeroRoles,
            wanted: TIER_ZERO_ROLES,
            what: "each can take the emergency app over, as they can everything else (Privileged Role Administrator by granting itself any role)",
            severities: (Severity::Low, Severity::Info),
            hint: "keep these roles to very few people, PIM-eligible with approval, and watch the emergency app's audit log",
        },
        out,
    );
    if !snapshot.tenant.users.is_empty() {
        role_check(
            snapshot,
            is_emergency,
            RoleRule {
                check: CheckId::UserTakeoverRoles,
                wanted: USER_TAKEOVER_ROLES,
                what: "each can reset an emergency user's password and authentication methods, and sign in as it",
                severities: (Severity::Critical, Severity::High),
                hint: "keep Privileged Authentication Administrator PIM-eligible with approval for very few people",
            },
            out,
        );
    }
}

fn permission_checks(
    snapshot: &Snapshot,
    is_emergency: &dyn Fn(&str) -> bool,
    out: &mut Vec<Finding>,
) {
    let check = CheckId::GraphPermissions;
    let grants = match snapshot.tenant.graph_grants.get() {
        Err(missing) => {
            out.push(Finding::not_checked(check, &missing));
            if !snapshot.tenant.users.is_empty() {
                out.push(Finding::not_checked(
                    CheckId::UserTakeoverPermissions,
                    missing,
                ));
            }
            return;
        }
        Ok(grants) => grants,
    };
    let owner_ids: Vec<String> = snapshot
        .tenant
        .emergency_app()
        .map(|a| a.owners.items())
        .unwrap_or_default()
        .iter()
        .chain(
            snapshot
                .tenant
                .service_principal
                .iter()
                .flat_map(|sp| sp.owners.items()),
        )
        .map(|p| p.id.clone())
        .collect();
    let mut finding = Finding::found(
        check,
        Severity::Critical,
        String::new(),
    )
    .hinted("remove these Microsoft Graph application permissions, or replace them with narrower ones (Application.ReadWrite.OwnedBy for apps the holder owns); the holders' own credentials are as powerful as the emergency app's");
    for grant in grants.iter().filter(|g| !is_emergency(&g.principal.id)) {
        if let Some((_, why)) = TAKEOVER_PERMISSIONS
            .iter()
            .find(|(p, _)| same(p, &grant.permission))
        {
            finding = finding.with(
                grant
                    .principal
                    .evidence(Some(format!("{} ({why})", grant.permission))),
            );
        } else if same(&grant.permission, OWNED_BY_PERMISSION)
            && owner_ids.iter().any(|o| same(o, &grant.principal.id))
        {
            finding = finding.with(grant.principal.evidence(Some(format!(
                "{OWNED_BY_PERMISSION} and owns the emergency app (can add a credential to it)"
            ))));
        }
    }
    if !snapshot.tenant.users.is_empty() {
        let mut users = Finding::found(
            CheckId::UserTakeoverPermissions,
            Severity::Critical,
            String::new(),
        )
        .hinted("remove the permission from apps that do not need it; the app that provisions emergency users needs it only while issuing their first pass");
        for grant in grants.iter().filter(|g| !is_emergency(&g.principal.id)) {
            if let Some((_, why)) = USER_TAKEOVER_PERMISSIONS
                .iter()
                .find(|(p, _)| same(p, &grant.permission))
            {
                users = users.with(
                    grant
                        .principal
                        .evidence(Some(format!("{} ({why})", grant.permission))),
                );
            }
        }
        if users.evidence.is_empty() {
            out.push(Finding::pass(
                CheckId::UserTakeoverPermissions,
                "no service principal holds a Microsoft Graph application permission that can add an authentication method to an emergency user",
            ));
        } else {
            users.summary = format!(
                "{} service principal(s) can add an authentication method to any user, the emergency users included",
                users.evidence.len()
            );
            out.push(users);
        }
    }
    if finding.evidence.is_empty() {
        out.push(Finding::pass(
            check,
            "no other service principal holds a Microsoft Graph application permission that reaches the emergency app",
        ));
    } else {
        finding.summary = format!(
            "{} grant(s) of Microsoft Graph application permissions reach the emergency app (invisible in the role assignment lists)",
            finding.evidence.len()
        );
        out.push(finding);
    }
}

fn workload_ca_check(snapshot: &Snapshot, out: &mut Vec<Finding>) {
    let check = CheckId::WorkloadConditionalAccess;
    let Some(sp) = &snapshot.tenant.service_principal else {
        return;
    };
    let policies = match snapshot.tenant.policies.get() {
        Err(missing) => {
            out.push(Finding::not_checked(check, missing));
            return;
        }
        Ok(policies) => policies,
    };
    let mut blocking = Vec::new();
    let mut reporting = Vec::new();
    for policy in policies {
        let targets = policy
            .include_service_principals
            .iter()
            .any(|i| same(i, "ServicePrincipalsInMyTenant") || same(i, &sp.id));
        let excluded = policy
            .exclude_service_principals
            .iter()
            .any(|e| same(e, &sp.id));
        if !targets || excluded {
            continue;
        }
        let how = if policy
            .include_service_principals
            .iter()
            .any(|i| same(i, &sp.id))
        {
            "includes the emergency service principal"
        } else {
            "includes ServicePrincipalsInMyTenant without excluding it"
        };
        let evidence = Evidence {
            id: policy.id.clone(),
            name: policy.display_name.clone(),
            kind: "conditionalAccessPolicy".into(),
            detail: Some(format!(
                "{} ({how}; grant {})",
                policy.state,
                policy.grant_controls.join(", ")
            )),
        };
        match policy.state.as_str() {
            "enabled" => blocking.push(evidence),
            "enabledForReportingButNotEnforced" => reporting.push(evidence),
            _ => {}
        }
    }
    let hint = "add the emergency service principal's object id to each policy's excluded service principals (Workload identities, Exclude)";
    if !blocking.is_empty() {
        let mut finding = Finding::found(
            check,
            Severity::Critical,
            format!(
                "{} enabled Conditional Access policy(ies) for workload identities apply to the emergency app: it can be blocked (AADSTS53003) when it is needed",
                blocking.len()
            ),
        )
        .hinted(hint);
        finding.evidence = blocking;
        out.push(finding);
    }
    if !reporting.is_empty() {
        let mut finding = Finding::found(
            check,
            Severity::Low,
            format!(
                "{} report-only policy(ies) for workload identities apply to the emergency app; they block nothing now, but would once enabled",
                reporting.len()
            ),
        )
        .hinted(hint);
        finding.evidence = reporting;
        out.push(finding);
    }
    if out
        .iter()
        .all(|f| f.check != check || f.status == Status::Pass)
    {
        out.push(Finding::pass(
            check,
            format!(
                "no enabled or report-only policy among {} targets the emergency service principal",
                policies.len()
            ),
        ));
    }
}

fn user_evidence(user: &User, detail: impl Into<String>) -> Evidence {
    Evidence {
        id: user.id.clone(),
        name: user.user_principal_name.clone(),
        kind: "user".into(),
        detail: Some(detail.into()),
    }
}

/// Adds a pass when no user failed `check`, or one finding per severity with every user.
fn per_user(
    check: CheckId,
    users: &[User],
    pass: &str,
    judge: impl Fn(&User) -> Option<(Severity, String)>,
    summary: impl Fn(usize) -> String,
    hint: &str,
    out: &mut Vec<Finding>,
) {
    let mut by_severity: Vec<(Severity, Vec<Evidence>)> = Vec::new();
    for user in users {
        if let Some((severity, detail)) = judge(user) {
            match by_severity.iter_mut().find(|(s, _)| *s == severity) {
                Some((_, list)) => list.push(user_evidence(user, detail)),
                None => by_severity.push((severity, vec![user_evidence(user, detail)])),
            }
        }
    }
    if by_severity.is_empty() {
        if !users.is_empty() {
            out.push(Finding::pass(check, pass));
        }
        return;
    }
    by_severity.sort_by_key(|(s, _)| std::cmp::Reverse(*s));
    for (severity, evidence) in by_severity {
        let mut finding = Finding::found(check, severity, summary(evidence.len())).hinted(hint);
        finding.evidence = evidence;
        out.push(finding);
    }
}

fn user_checks(snapshot: &Snapshot, out: &mut Vec<Finding>) {
    let users = &snapshot.tenant.users;
    let app_path = snapshot.tenant.service_principal.is_some()
        && snapshot
            .tenant
            .emergency_app()
            .is_some_and(Application::in_use);
    let paths = users.len() + usize::from(app_path);
    let summary = format!(
        "{} emergency user(s){}",
        users.len(),
        if app_path {
            " and the emergency app"
        } else {
            ", no usable emergency app"
        }
    );
    if paths < 2 {
        out.push(
            Finding::found(
                CheckId::EmergencyAccessPaths,
                Severity::High,
                format!("{summary}: fewer than two independent ways in"),
            )
            .hinted("declare two emergency users ([users] count = 2) and run `breakglass apply`"),
        );
    } else if users.len() < 2 {
        out.push(
            Finding::found(
                CheckId::EmergencyAccessPaths,
                Severity::Medium,
                format!("{summary}: Microsoft asks for at least two emergency access accounts"),
            )
            .hinted("declare two emergency users ([users] count = 2) and run `breakglass apply`"),
        );
    } else {
        out.push(Finding::pass(CheckId::EmergencyAccessPaths, summary));
    }

    per_user(
        CheckId::UserCloudOnly,
        users,
        "every emergency user is cloud-only",
        |u| {
            (u.on_premises_sync_enabled == Some(true)).then(|| {
                (
                    Severity::High,
                    "synchronised from on-premises Active Directory".to_string(),
                )
            })
        },
        |n| {
            format!(
                "{n} emergency user(s) synchronised from on-premises: an on-premises compromise or outage reaches them"
            )
        },
        "use cloud-only accounts created in Entra ID (`breakglass apply` creates them)",
        out,
    );
    let initial = snapshot.tenant.initial_domain.to_ascii_lowercase();
    per_user(
        CheckId::UserDomain,
        users,
        "every emergency user is on the initial *.onmicrosoft.com domain",
        |u| {
            let domain = u
                .user_principal_name
                .rsplit_once('@')
                .map(|(_, d)| d.to_ascii_lowercase())
                .unwrap_or_default();
            (domain != initial).then(|| (Severity::High, format!("on {domain}, not {initial}")))
        },
        |n| {
            format!(
                "{n} emergency user(s) not on the initial *.onmicrosoft.com domain: a federation or DNS problem of a custom domain can lock them out"
            )
        },
        "create emergency users on the initial domain (`breakglass apply` does)",
        out,
    );
    per_user(
        CheckId::UserEnabled,
        users,
        "every emergency user is enabled",
        |u| (!u.account_enabled).then(|| (Severity::High, "accountEnabled false".to_string())),
        |n| format!("{n} emergency user(s) disabled"),
        "run `breakglass apply` to enable them",
        out,
    );
    let role = snapshot.user_role;
    let role_id = role.template_id.to_string();
    let eligible_ids: Vec<&str> = match snapshot.tenant.role_eligibilities.get() {
        Ok(list) => list
            .iter()
            .filter(|g| same(&g.role_template_id, &role_id) && g.directory_scope_id == "/")
            .map(|g| g.principal.id.as_str())
            .collect(),
        Err(_) => Vec::new(),
    };
    if let Err(missing) = snapshot.tenant.role_assignments.get() {
        if !users.is_empty() {
            out.push(Finding::not_checked(CheckId::UserRole, missing));
        }
    } else {
        per_user(
            CheckId::UserRole,
            users,
            &format!(
                "every emergency user holds {} permanently and actively at /",
                role.display_name
            ),
            |u| {
                if snapshot
                    .tenant
                    .roles_at_root(&u.id)
                    .iter()
                    .any(|r| same(r, &role_id))
                {
                    None
                } else if eligible_ids.iter().any(|e| same(e, &u.id)) {
                    Some((
                        Severity::High,
                        format!(
                            "{} only PIM-eligible: activation can fail in the emergency",
                            role.display_name
                        ),
                    ))
                } else {
                    Some((Severity::High, format!("no active {}", role.display_name)))
                }
            },
            |n| {
                format!(
                    "{n} emergency user(s) without a permanent active {}",
                    role.display_name
                )
            },
            "run `breakglass apply` to assign the role permanently and actively",
            out,
        );
    }

    // Conditional Access for users, as the drill judges it.
    match snapshot.tenant.policies.get() {
        Err(missing) => {
            if !users.is_empty() {
                out.push(Finding::not_checked(
                    CheckId::UserConditionalAccess,
                    missing,
                ));
            }
        }
        Ok(policies) => {
            let user_policies: &[crate::tenant::Policy] = policies;
            let unreadable: Vec<&User> = users
                .iter()
                .filter(|u| u.group_ids.get().is_err())
                .collect();
            for user in &unreadable {
                if let Err(missing) = user.group_ids.get() {
                    let mut finding = Finding::not_checked(CheckId::UserConditionalAccess, missing);
                    finding
                        .evidence
                        .push(user_evidence(user, "group memberships unreadable"));
                    out.push(finding);
                }
            }
            let readable: Vec<User> = users
                .iter()
                .filter(|u| u.group_ids.get().is_ok())
                .cloned()
                .collect();
            per_user(
                CheckId::UserConditionalAccess,
                &readable,
                "every emergency user is excluded from, or not targeted by, every enabled Conditional Access policy",
                |u| {
                    let subject = CaSubject {
                        user_id: u.id.clone(),
                        group_ids: u.group_ids.get().cloned().unwrap_or_default(),
                        role_ids: snapshot.tenant.roles_at_root(&u.id),
                    };
                    let (_, found) = drill::conditional_access(user_policies, &subject);
                    let worst = found.iter().map(|f| f.status).max()?;
                    let names: Vec<String> = found
                        .iter()
                        .map(|f| format!("\"{}\" ({})", f.display_name, f.effect))
                        .collect();
                    let severity = if worst == drill::Status::Failure {
                        Severity::Critical
                    } else {
                        Severity::Medium
                    };
                    Some((severity, format!("not excluded from {}", names.join(", "))))
                },
                |n| {
                    format!(
                        "{n} emergency user(s) not excluded from enabled Conditional Access policies (a block locks them out; report-only policies do not count)"
                    )
                },
                "add the exclusion group to each policy's excluded users and groups",
                out,
            );
        }
    }

    let unreadable: Vec<&User> = users
        .iter()
        .filter(|u| u.method_types.get().is_err())
        .collect();
    for user in &unreadable {
        if let Err(missing) = user.method_types.get() {
            let mut finding = Finding::not_checked(CheckId::UserPhishingResistant, missing);
            finding
                .evidence
                .push(user_evidence(user, "authentication methods unreadable"));
            out.push(finding);
        }
    }
    let readable: Vec<User> = users
        .iter()
        .filter(|u| u.method_types.get().is_ok())
        .cloned()
        .collect();
    per_user(
        CheckId::UserPhishingResistant,
        &readable,
        "every emergency user has a phishing-resistant method (FIDO2 key, passkey or certificate)",
        |u| {
            let check = drill::phishing_resistant(
                u.method_types.get().map(Vec::as_slice).unwrap_or_default(),
            );
            (check.status != drill::Status::Pass).then_some((Severity::Medium, check.detail))
        },
        |n| {
            format!(
                "{n} emergency user(s) without a phishing-resistant method; mandatory MFA for admin portals applies to emergency accounts too"
            )
        },
        "the owner registers a FIDO2 security key or passkey (`[users] temporary_access_pass = true` issues a pass to do it)",
        out,
    );
}

fn exclusion_group(snapshot: &Snapshot, out: &mut Vec<Finding>) {
    let check = CheckId::ExclusionGroup;
    if snapshot.tenant.users.is_empty() {
        return;
    }
    let Some(group) = &snapshot.tenant.group else {
        out.push(
            Finding::found(
                check,
                Severity::Medium,
                "no exclusion group: each Conditional Access policy must name the emergency users one by one",
            )
            .hinted("run `breakglass apply` to create it"),
        );
        return;
    };
    let evidence = Evidence {
        id: group.id.clone(),
        name: group.display_name.clone(),
        kind: "group".into(),
        detail: None,
    };
    let mut clean = true;
    if !group.is_assignable_to_role {
        clean = false;
        out.push(
            Finding::found(
                check,
                Severity::High,
                "the exclusion group is not role-assignable: User and Groups Administrators, and apps with Group.ReadWrite.All or GroupMember.ReadWrite.All, can add anyone to it, and every member escapes Conditional Access",
            )
            .with(evidence.clone())
            .hinted("recreate it role-assignable (isAssignableToRole cannot be changed later); only Privileged Role and Global Administrators can change its members then"),
        );
    }
    match group.owners.get() {
        Err(missing) => {
            clean = false;
            out.push(Finding::not_checked(check, missing));
        }
        Ok(owners) if !owners.is_empty() => {
            clean = false;
            let mut finding = Finding::found(
                check,
                Severity::High,
                format!(
                    "the exclusion group has {} owner(s), who can add members that then escape Conditional Access",
                    owners.len()
                ),
            )
            .hinted("remove the owners");
            for owner in owners {
                finding = finding.with(owner.evidence(Some("owner of the exclusion group".into())));
            }
            out.push(finding);
        }
        Ok(_) => {}
    }
    match group.members.get() {
        Err(missing) => {
            clean = false;
            out.push(Finding::not_checked(check, missing));
        }
        Ok(members) => {
            let others: Vec<&Principal> = members
                .iter()
                .filter(|m| !snapshot.tenant.users.iter().any(|u| same(&u.id, &m.id)))
                .collect();
            if !others.is_empty() {
                clean = false;
                let mut finding = Finding::found(
                    check,
                    Severity::High,
                    format!(
                        "{} member(s) of the exclusion group are not emergency users: they escape every policy that excludes the group",
                        others.len()
                    ),
                )
                .hinted("remove them from the group");
                for m in others {
                    finding =
                        finding.with(m.evidence(Some("member of the exclusion group".into())));
                }
                out.push(finding);
            }
        }
    }
    if clean {
        out.push(
            Finding::pass(
                check,
                format!(
                    "\"{}\" is role-assignable, has no owners, and holds only emergency users",
                    group.display_name
                ),
            )
            .with(evidence),
        );
    }
}

fn global_admin_count(snapshot: &Snapshot, out: &mut Vec<Finding>) {
    let check = CheckId::GlobalAdminCount;
    let (active, eligible) = grants(snapshot);
    let Ok(active) = active else {
        if let Err(missing) = active {
            out.push(Finding::not_checked(check, missing));
        }
        return;
    };
    let mut principals: Vec<&Principal> = Vec::new();
    let eligible_list: &[RoleAssignment] =
        eligible.as_ref().map(|l| l.as_slice()).unwrap_or_default();
    for grant in active.iter().chain(eligible_list) {
        // A group holding the role counts through its members (the CLI lists them).
        if is_role(grant, &roles::GLOBAL_ADMINISTRATOR)
            && grant.directory_scope_id == "/"
            && grant.principal.kind != "group"
            && !principals.iter().any(|p| same(&p.id, &grant.principal.id))
        {
            principals.push(&grant.principal);
        }
    }
    let note = if eligible.is_ok() {
        "active or eligible"
    } else {
        "active; eligible ones unreadable"
    };
    if principals.len() < GLOBAL_ADMIN_LIMIT {
        out.push(Finding::pass(
            check,
            format!(
                "{} Global Administrator(s) ({note}), fewer than {GLOBAL_ADMIN_LIMIT}",
                principals.len()
            ),
        ));
    } else {
        let mut finding = Finding::found(
            check,
            Severity::Medium,
            format!(
                "{} Global Administrators ({note}); Microsoft recommends fewer than {GLOBAL_ADMIN_LIMIT}",
                principals.len()
            ),
        )
        .hinted("move day-to-day work to narrower roles and keep Global Administrator for the emergency identities and very few people");
        for p in principals {
            finding = finding.with(p.evidence(Some("Global Administrator".into())));
        }
        out.push(finding);
    }
}

fn last_drill(snapshot: &Snapshot, out: &mut Vec<Finding>) {
    let check = CheckId::LastDrill;
    match snapshot.last_drill {
        None => out.push(
            Finding::found(
                check,
                Severity::Medium,
                "no drill record found on this machine: nothing shows that emergency access was tried",
            )
            .hinted("run `breakglass drill` (Microsoft asks for validation at least every 90 days)"),
        ),
        Some(at) => {
            let ago = drill::days_between(at, snapshot.now);
            if ago > VALIDATION_INTERVAL_DAYS {
                out.push(
                    Finding::found(
                        check,
                        Severity::Medium,
                        format!("the last drill was {ago} days ago, more than {VALIDATION_INTERVAL_DAYS}"),
                    )
                    .hinted("run `breakglass drill`"),
                );
            } else {
                out.push(Finding::pass(
                    check,
                    format!("the last drill was {ago} day(s) ago"),
                ));
            }
        }
    }
}

/// A missing store reads as empty to every tool that trusts it: the next rotation or apply
/// would revoke what the missing file holds.
fn local_stores(snapshot: &Snapshot, out: &mut Vec<Finding>) {
    let check = CheckId::LocalStores;
    if snapshot.store_problems.is_empty() {
        out.push(Finding::pass(
            check,
            "the stores breakglass.toml names hold what the tenant says they should (or are not needed yet)",
        ));
    }
    for problem in &snapshot.store_problems {
        out.push(
            Finding::found(check, Severity::High, problem.clone())
                .hinted("restore the store from its backup before anyone runs `breakglass apply` or `credential rotate` (they refuse to run until then); `breakglass plan` says what it should hold"),
        );
    }
}

/// Whether any finding is at or above `threshold`, or a check could not be made.
pub fn fails(findings: &[Finding], threshold: Severity) -> bool {
    findings.iter().any(|f| {
        f.status == Status::NotChecked
            || (f.status == Status::Finding && f.severity.is_some_and(|s| s >= threshold))
    })
}

#[cfg(test)]
mod tests;
