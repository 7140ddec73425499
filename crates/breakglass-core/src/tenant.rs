//! One typed view of what a tenant holds of its emergency access: the emergency app and its
//! service principal, the emergency users, the exclusion group, who holds which directory role
//! and Graph permission, and the Conditional Access policies.
//!
//! `breakglass_ops` reads it (through typed Graph requests) and `plan`, `audit` and `drill`
//! decide from it. A read the operator may not make is a [`Fact::Unreadable`] naming the
//! permission it needs; a reading that did not ask for something (provisioning does not read
//! authentication methods, for one) leaves it [`Fact::NotRead`].

use jiff::Timestamp;
use serde::Serialize;

use crate::config::CredentialKind;
use crate::markers::APP_TAG;

/// Why a fact could not be read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Missing {
    /// The Graph permission or directory role that would allow the read.
    pub permission: String,
    /// What could not be read, e.g. `GET /roleManagement/directory/roleEligibilityScheduleInstances answered 403`.
    pub detail: String,
}

/// A fact from the tenant, why it could not be read, or that this reading did not ask.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "fact", content = "value")]
pub enum Fact<T> {
    Known(T),
    Unreadable(Missing),
    #[default]
    NotRead,
}

impl<T> Fact<T> {
    pub fn unreadable(permission: impl Into<String>, detail: impl Into<String>) -> Fact<T> {
        Fact::Unreadable(Missing {
            permission: permission.into(),
            detail: detail.into(),
        })
    }

    /// The value, or why there is none. A fact not read counts as unreadable for lack of a
    /// reading, so a check never passes on it.
    pub fn get(&self) -> Result<&T, Missing> {
        match self {
            Fact::Known(value) => Ok(value),
            Fact::Unreadable(missing) => Err(missing.clone()),
            Fact::NotRead => Err(Missing {
                permission: "a reading that asks for it".into(),
                detail: "not read".into(),
            }),
        }
    }

    /// The value when known.
    pub fn known(&self) -> Option<&T> {
        match self {
            Fact::Known(value) => Some(value),
            _ => None,
        }
    }
}

impl<T> Fact<Vec<T>> {
    /// The items when known, else none: for rules that only act on what they can see.
    pub fn items(&self) -> &[T] {
        self.known().map(Vec::as_slice).unwrap_or_default()
    }
}

/// A directory object that holds something: a role, a permission, ownership, membership.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Principal {
    pub id: String,
    /// The user principal name, or the display name.
    pub name: String,
    /// `user`, `servicePrincipal`, `group` (from `@odata.type`), or `unknown`.
    pub kind: String,
}

/// A secret or certificate of the app or its service principal (never its value).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Credential {
    pub key_id: String,
    pub kind: CredentialKind,
    pub display_name: Option<String>,
    pub start: Option<Timestamp>,
    pub end: Option<Timestamp>,
}

/// A federated identity credential: tokens of another identity provider that sign in as the
/// app.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FederatedCredential {
    pub id: String,
    pub name: String,
    pub issuer: String,
    pub subject: String,
}

/// An application carrying the emergency-access tag.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Application {
    /// The object id.
    pub id: String,
    pub app_id: String,
    pub display_name: String,
    pub created: Option<Timestamp>,
    pub sign_in_audience: String,
    pub tags: Vec<String>,
    pub notes: Option<String>,
    /// How many redirect URIs it has (web, SPA and public client together).
    pub redirect_uris: usize,
    /// `servicePrincipalLockConfiguration` is enabled and covers credentials.
    pub credentials_locked: bool,
    pub owners: Fact<Vec<Principal>>,
    pub credentials: Vec<Credential>,
    pub federated_credentials: Fact<Vec<FederatedCredential>>,
}

impl Application {
    /// An app with credentials is in use; one without was left by an interrupted apply.
    pub fn in_use(&self) -> bool {
        !self.credentials.is_empty()
    }
}

/// The emergency app's service principal.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServicePrincipal {
    pub id: String,
    pub account_enabled: bool,
    pub owners: Fact<Vec<Principal>>,
    /// Credentials on the service principal itself: a takeover path, never wanted.
    pub credentials: Vec<Credential>,
}

/// A directory role held by a principal, active or PIM-eligible.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleAssignment {
    pub id: String,
    pub principal: Principal,
    pub role_template_id: String,
    /// `/` for the whole tenant, `/{object id}` for one object.
    pub directory_scope_id: String,
}

/// A Microsoft Graph application permission held by a service principal.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PermissionGrant {
    /// The app role assignment's id.
    pub id: String,
    pub principal: Principal,
    /// The permission's value, e.g. `Application.ReadWrite.All` (its id when unknown).
    pub permission: String,
}

/// An emergency user (`employeeType` marker).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: String,
    pub user_principal_name: String,
    pub account_enabled: bool,
    pub created: Option<Timestamp>,
    /// `onPremisesSyncEnabled`: `Some(true)` for an account synchronised from Active Directory.
    pub on_premises_sync_enabled: Option<bool>,
    /// Group ids the user is a direct member of.
    pub group_ids: Fact<Vec<String>>,
    /// `@odata.type`s of the user's registered authentication methods.
    pub method_types: Fact<Vec<String>>,
}

impl User {
    /// Synchronised from on-premises Active Directory: its password is kept there, and Entra
    /// refuses to change it.
    pub fn synced(&self) -> bool {
        self.on_premises_sync_enabled == Some(true)
    }
}

/// The group Conditional Access policies exclude (`[group]` in breakglass.toml).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    pub id: String,
    pub display_name: String,
    pub is_assignable_to_role: bool,
    pub owners: Fact<Vec<Principal>>,
    pub members: Fact<Vec<Principal>>,
    /// Members reached only through nested groups (audits only): Entra counts them as
    /// members wherever the group is used, Conditional Access exclusions included.
    pub nested_members: Fact<Vec<Principal>>,
}

impl Group {
    /// Whether `id` is a direct member (false when the members could not be read).
    pub fn has_member(&self, id: &str) -> bool {
        self.members.items().iter().any(|m| same(&m.id, id))
    }
}

/// What a PIM for Groups eligibility lets its principal become once activated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum GroupAccess {
    #[default]
    Member,
    Owner,
}

/// A PIM for Groups eligibility (`privilegedAccessGroupEligibilityScheduleInstance`): the
/// principal may activate membership or ownership of the group whenever it likes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupEligibility {
    pub group_id: String,
    pub group_name: String,
    pub principal: Principal,
    pub access: GroupAccess,
}

/// A directory role definition: a built-in role, or a custom role the tenant made.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleDefinition {
    /// The id role assignments name in `roleDefinitionId` (the template id of a built-in role).
    pub id: String,
    pub display_name: String,
    pub is_built_in: bool,
    /// `rolePermissions[].allowedResourceActions`, every permission set together.
    pub allowed_actions: Vec<String>,
}

/// An administrative unit and the objects in it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdministrativeUnit {
    pub id: String,
    pub display_name: String,
    /// `isMemberManagementRestricted`: only administrators assigned at the unit's scope may
    /// change its members' properties.
    pub restricted: bool,
    /// Object ids of its members (users, groups, devices).
    pub member_ids: Vec<String>,
}

impl AdministrativeUnit {
    /// The `directoryScopeId` of a role assigned over this unit.
    pub fn scope(&self) -> String {
        format!("/administrativeUnits/{}", self.id)
    }

    pub fn has_member(&self, id: &str) -> bool {
        self.member_ids.iter().any(|m| same(m, id))
    }
}

/// The parts of a Conditional Access policy that decide whom it applies to and what it does.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Policy {
    pub id: String,
    pub display_name: String,
    /// `enabled`, `disabled` or `enabledForReportingButNotEnforced`.
    pub state: String,
    /// `conditions.users`: object ids, or `All`, `None`, `GuestsOrExternalUsers`.
    pub include_users: Vec<String>,
    pub exclude_users: Vec<String>,
    pub include_groups: Vec<String>,
    pub exclude_groups: Vec<String>,
    /// Role template ids.
    pub include_roles: Vec<String>,
    pub exclude_roles: Vec<String>,
    /// Whether `includeGuestsOrExternalUsers` is set.
    pub includes_guests: bool,
    /// `conditions.clientApplications`: service principal ids or `ServicePrincipalsInMyTenant`.
    pub include_service_principals: Vec<String>,
    pub exclude_service_principals: Vec<String>,
    pub client_app_types: Vec<String>,
    pub grant_controls: Vec<String>,
}

impl Policy {
    /// Whether the policy applies to any user at all (`None` alone applies to nobody; a
    /// policy for workload identities has only that).
    pub fn targets_users(&self) -> bool {
        self.include_users
            .iter()
            .any(|u| !u.eq_ignore_ascii_case("None"))
            || !self.include_groups.is_empty()
            || !self.include_roles.is_empty()
            || self.includes_guests
    }

    /// Whether the policy applies to service principals (Conditional Access for workload
    /// identities).
    pub fn targets_workload_identities(&self) -> bool {
        !self.include_service_principals.is_empty()
    }
}

/// Someone a role's activation policy names as an approver.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Approver {
    pub principal: Principal,
    /// Whether the user exists and may sign in: a deleted or disabled approver approves
    /// nothing.
    pub usable: bool,
}

/// What PIM asks before an eligible member of a directory role may use it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleApproval {
    pub role_template_id: String,
    pub approval_required: bool,
    /// Whether the policy names approvers; when it names none, Entra asks the Privileged
    /// Role Administrators and Global Administrators.
    pub names_approvers: bool,
    /// The named approvers: the users, and the users in the named groups.
    pub approvers: Vec<Approver>,
    /// Approver sets the audit cannot count (a requestor's manager, say), by `@odata.type`.
    pub uncounted: Vec<String>,
}

/// What the tenant holds of its emergency access, as one reading found it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantView {
    /// The tenant's initial `*.onmicrosoft.com` domain.
    pub initial_domain: String,
    /// Every application carrying [`APP_TAG`]: the emergency app, and any an interrupted
    /// apply left behind.
    pub apps: Vec<Application>,
    /// The service principal of the emergency app, if any.
    pub service_principal: Option<ServicePrincipal>,
    /// Active directory role assignments: of the emergency principals when provisioning,
    /// of everyone when auditing.
    pub role_assignments: Fact<Vec<RoleAssignment>>,
    /// PIM-eligible role assignments (audits only).
    pub role_eligibilities: Fact<Vec<RoleAssignment>>,
    /// PIM for Groups eligibilities of the groups that hold a directory role and of the
    /// exclusion group (audits only): kept apart from `role_eligibilities` so a tenant
    /// without PIM for Groups loses only what they add.
    pub group_eligibilities: Fact<Vec<GroupEligibility>>,
    /// Every directory role definition, built-in and custom (audits only).
    pub role_definitions: Fact<Vec<RoleDefinition>>,
    /// The PIM activation policies of Global Administrator and Privileged Role Administrator
    /// (audits only).
    pub role_approvals: Fact<Vec<RoleApproval>>,
    /// Every administrative unit with its members (audits only).
    pub administrative_units: Fact<Vec<AdministrativeUnit>>,
    /// Microsoft Graph application permissions: the emergency app's when provisioning, every
    /// service principal's when auditing.
    pub graph_grants: Fact<Vec<PermissionGrant>>,
    /// Users carrying the emergency-access marker.
    pub users: Vec<User>,
    /// The exclusion group, if it exists.
    pub group: Option<Group>,
    pub policies: Fact<Vec<Policy>>,
    /// The app management policy that binds the emergency app (the one assigned to it, else
    /// the tenant default).
    pub app_management: Fact<crate::app_policy::EffectivePolicy>,
    /// The id of breakglass's own app management policy, found by its name, when
    /// `[app] exempt_from_app_management_policy` asks for it (not read otherwise).
    pub own_app_policy: Fact<Option<String>>,
    /// The Temporary Access Pass method policy, read when `[users] temporary_access_pass`
    /// asks for passes.
    pub pass_policy: Fact<crate::pass_policy::PassPolicyView>,
}

impl TenantView {
    /// The emergency app: the one in use, else the oldest (the others are leftovers).
    pub fn emergency_app(&self) -> Option<&Application> {
        self.apps_in_order().into_iter().next()
    }

    /// The tagged apps, the one in use first, then by age.
    pub fn apps_in_order(&self) -> Vec<&Application> {
        let mut apps: Vec<&Application> = self.apps.iter().collect();
        apps.sort_by_key(|a| (!a.in_use(), a.created));
        apps
    }

    /// Whether `principal_id` holds the role with this template id actively at `/`.
    pub fn holds_role(&self, principal_id: &str, role_template_id: &str) -> bool {
        self.role_assignments.items().iter().any(|a| {
            same(&a.principal.id, principal_id)
                && same(&a.role_template_id, role_template_id)
                && a.directory_scope_id == "/"
        })
    }

    /// The role template ids `principal_id` holds actively at `/`.
    pub fn roles_at_root(&self, principal_id: &str) -> Vec<String> {
        self.role_assignments
            .items()
            .iter()
            .filter(|a| same(&a.principal.id, principal_id) && a.directory_scope_id == "/")
            .map(|a| a.role_template_id.clone())
            .collect()
    }

    /// The object ids of the emergency identities: the service principal and the users.
    pub fn emergency_ids(&self) -> Vec<String> {
        self.service_principal
            .iter()
            .map(|sp| sp.id.clone())
            .chain(self.users.iter().map(|u| u.id.clone()))
            .collect()
    }
}

/// Directory ids compare without regard to case.
pub fn same(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// Whether an app carries the emergency-access tag.
pub fn is_emergency_app(tags: &[String]) -> bool {
    tags.iter().any(|t| t == APP_TAG)
}
