//! The tenant description a simulator is seeded from (`--tenant FILE`), and the
//! built-in default one.

use std::collections::HashMap;
use std::path::Path;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::SimError;
use crate::clock::graph_time;
use crate::entities::{self, NewUser};
use crate::permissions;
use crate::state::{DirObject, Kind, Private, Tenant, sha256_hex};
use breakglass_core::roles;

mod activation;
mod azure;
mod delegation;
mod methods;
mod pim_groups;
mod policies;

use activation::ActivationPolicyDescription;
use delegation::{AdministrativeUnitDescription, CustomRoleDescription};

/// The description shipped with the simulator.
pub const DEFAULT_TENANT: &str = include_str!("../tenants/default.json");

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct TenantDescription {
    pub tenant_id: Uuid,
    pub display_name: String,
    pub initial_domain: String,
    #[serde(default)]
    pub custom_domains: Vec<String>,
    #[serde(default)]
    pub users: Vec<UserDescription>,
    #[serde(default)]
    pub groups: Vec<GroupDescription>,
    #[serde(default)]
    pub applications: Vec<ApplicationDescription>,
    #[serde(default)]
    pub conditional_access_policies: Vec<PolicyDescription>,
    /// Log Analytics workspaces on the simulated Resource Manager; the operator app holds
    /// Contributor on their subscriptions.
    #[serde(default)]
    pub workspaces: Vec<WorkspaceDescription>,
    /// Properties of the tenant's default app management policy (`isEnabled`,
    /// `applicationRestrictions`, `servicePrincipalRestrictions`), over the built-in one,
    /// which is disabled and restricts nothing.
    #[serde(default)]
    pub default_app_management_policy: Option<Value>,
    /// Custom app management policies: `appManagementPolicy` bodies, each with `appliesTo`, the
    /// display names of seeded applications it is assigned to.
    #[serde(default)]
    pub app_management_policies: Vec<Value>,
    /// Properties of the Temporary Access Pass method policy over Entra's built-in one
    /// (disabled); `includeTargets` and `excludeTargets` name groups by display name, or
    /// `all_users`.
    #[serde(default)]
    pub temporary_access_pass_policy: Option<Value>,
    /// Properties of the Passkey (FIDO2) method policy over Entra's built-in one (disabled,
    /// attestation enforced); `includeTargets` and `excludeTargets` name groups by display
    /// name, or `all_users`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passkey_policy: Option<Value>,
    /// Custom directory roles, which principals' `roles` and `eligibleRoles` may name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub custom_roles: Vec<CustomRoleDescription>,
    /// Administrative units, their members and the roles assigned over them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub administrative_units: Vec<AdministrativeUnitDescription>,
    /// PIM activation rules of directory roles (approval and approvers).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub role_activation_policies: Vec<ActivationPolicyDescription>,
    /// Azure role assignments at `/` and on the tenant root management group.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub azure_role_assignments: Vec<azure::AzureRoleAssignmentDescription>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct WorkspaceDescription {
    pub subscription_id: Uuid,
    pub resource_group: String,
    pub name: String,
    #[serde(default = "default_location")]
    pub location: String,
}

fn default_location() -> String {
    "westeurope".to_string()
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct UserDescription {
    pub display_name: String,
    pub user_principal_name: String,
    pub password: String,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub job_title: Option<String>,
    #[serde(default = "yes")]
    pub account_enabled: bool,
    /// Directory roles the user is PIM-eligible for (not active).
    #[serde(default)]
    pub eligible_roles: Vec<String>,
    /// E.g. `breakglass:emergency-access`, to seed an emergency user breakglass did not make.
    #[serde(default)]
    pub employee_type: Option<String>,
    /// A user synchronised from on-premises Active Directory (Entra Connect).
    #[serde(default)]
    pub on_premises_sync_enabled: bool,
    /// Authentication methods the user has registered besides its password: `fido2`,
    /// `windowsHelloForBusiness`, `microsoftAuthenticator`, `softwareOath`, `phone`, `email`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authentication_methods: Vec<String>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct GroupDescription {
    pub display_name: String,
    pub mail_nickname: String,
    #[serde(default)]
    pub members: Vec<String>,
    /// Made role-assignable: it may hold directory roles, and no group may be its member.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub is_assignable_to_role: bool,
    /// Directory roles the group holds, active and PIM-eligible (role-assignable groups only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub eligible_roles: Vec<String>,
    /// Users (by principal name) PIM for Groups lets activate membership of the group.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub eligible_members: Vec<String>,
    /// Users PIM for Groups lets activate ownership of the group.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub eligible_owners: Vec<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ApplicationDescription {
    pub display_name: String,
    /// The automation app whose credentials go to operator.env.
    #[serde(default)]
    pub operator: bool,
    #[serde(default)]
    pub application_permissions: Vec<String>,
    #[serde(default)]
    pub roles: Vec<String>,
    /// Directory roles the app's service principal is PIM-eligible for.
    #[serde(default)]
    pub eligible_roles: Vec<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct PolicyDescription {
    pub display_name: String,
    pub state: String,
    #[serde(default)]
    pub include_users: Vec<String>,
    #[serde(default)]
    pub include_roles: Vec<String>,
    #[serde(default)]
    pub exclude_users: Vec<String>,
    #[serde(default)]
    pub include_service_principals: Vec<String>,
    #[serde(default)]
    pub exclude_service_principals: Vec<String>,
    #[serde(default = "all_client_apps")]
    pub client_app_types: Vec<String>,
    pub grant: Vec<String>,
}

fn all_client_apps() -> Vec<String> {
    vec!["all".to_string()]
}

pub(crate) fn parse(text: &str, origin: &Path) -> Result<TenantDescription, SimError> {
    serde_json::from_str(text).map_err(|err| SimError::TenantDescription {
        path: origin.to_path_buf(),
        reason: err.to_string(),
    })
}

fn bad(origin: &Path, reason: String) -> SimError {
    SimError::TenantDescription {
        path: origin.to_path_buf(),
        reason,
    }
}

/// The operator secret minted while seeding; written once to operator.env.
pub(crate) struct SeededOperator {
    pub client_id: String,
    pub client_secret: String,
}

/// Builds a tenant from its description.
pub(crate) fn build(
    description: &TenantDescription,
    origin: &Path,
    now: Timestamp,
) -> Result<(Tenant, Option<SeededOperator>), SimError> {
    let mut seeding = Seeding {
        tenant: empty_tenant(description, now),
        origin,
        now,
        created: graph_time(now),
        user_ids: HashMap::new(),
        service_principal_ids: HashMap::new(),
    };
    seeding.add_workspaces(&description.workspaces);
    seeding.add_domains(&description.custom_domains)?;
    seeding.add_microsoft_service_principals();
    let mut holders = Vec::new();
    for user in &description.users {
        holders.push(seeding.add_user(user)?);
    }
    for group in &description.groups {
        holders.extend(seeding.add_group(group)?);
    }
    let operator = seeding.add_applications(description, &mut holders)?;
    seeding.add_custom_roles(&description.custom_roles)?;
    // Roles are granted once every principal they name exists.
    for holder in &holders {
        seeding.assign_roles(holder)?;
    }
    for holder in &holders {
        seeding.add_eligibilities(holder)?;
    }
    seeding.add_administrative_units(&description.administrative_units)?;
    seeding.add_activation_policies(&description.role_activation_policies)?;
    seeding.add_azure_role_assignments(&description.azure_role_assignments)?;
    for policy in &description.conditional_access_policies {
        seeding.add_policy(policy)?;
    }
    seeding.add_app_management(description)?;
    seeding.set_pass_policy(description)?;
    seeding.set_passkey_policy(description)?;
    Ok((seeding.tenant, operator))
}

fn empty_tenant(description: &TenantDescription, now: Timestamp) -> Tenant {
    Tenant {
        tenant_id: description.tenant_id,
        display_name: description.display_name.clone(),
        initial_domain: description.initial_domain.to_ascii_lowercase(),
        created_at: now,
        domains: Default::default(),
        objects: Default::default(),
        role_definitions: roles::ALL
            .iter()
            .map(|r| entities::role_definition(r.display_name, r.template_id))
            .collect(),
        role_assignments: Default::default(),
        role_eligibilities: Default::default(),
        conditional_access_policies: Default::default(),
        directory_audits: Default::default(),
        sign_ins: Default::default(),
        arm: Default::default(),
        app_management: Default::default(),
        temporary_access_pass_policy: crate::pass_policy::default_policy(),
        passkey_policy: crate::passkey_policy::default_policy(),
        administrative_units: Vec::new(),
        role_activations: Vec::new(),
        group_pim: Default::default(),
    }
}

/// A tenant being built from its description, with what every step needs to date the
/// objects it adds and to name the description in its errors.
struct Seeding<'a> {
    tenant: Tenant,
    origin: &'a Path,
    now: Timestamp,
    created: String,
    /// Lower-case user principal name → object id, so naming a member costs no scan of
    /// a large directory.
    user_ids: HashMap<String, String>,
    /// Display name → object id of the first seeded service principal of that name.
    service_principal_ids: HashMap<String, String>,
}

/// The directory roles a seeded principal holds, active and PIM-eligible, by name.
struct RoleHolder {
    principal_id: String,
    active: Vec<String>,
    eligible: Vec<String>,
}

impl Seeding<'_> {
    fn fail(&self, reason: String) -> SimError {
        bad(self.origin, reason)
    }

    fn insert(&mut self, kind: Kind, data: Map<String, Value>, private: Private) {
        let id = data
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        self.tenant
            .objects
            .insert(id, DirObject::new(kind, &data, self.now, private));
    }

    fn add_workspaces(&mut self, workspaces: &[WorkspaceDescription]) {
        for workspace in workspaces {
            self.tenant.arm.workspaces.push(crate::state::ArmWorkspace {
                subscription_id: workspace.subscription_id.to_string(),
                resource_group: workspace.resource_group.clone(),
                name: workspace.name.clone(),
                location: workspace.location.clone(),
                customer_id: Uuid::new_v4(),
            });
        }
    }

    /// The initial domain, the default unless custom domains are named; then the first
    /// custom domain is the default.
    fn add_domains(&mut self, custom_domains: &[String]) -> Result<(), SimError> {
        if !self.tenant.initial_domain.ends_with(".onmicrosoft.com") {
            return Err(self.fail(format!(
                "initialDomain `{}` must end with .onmicrosoft.com, as every tenant's initial domain does",
                self.tenant.initial_domain
            )));
        }
        let initial = domain(&self.tenant.initial_domain, true, custom_domains.is_empty());
        self.tenant.domains.push(initial);
        for (index, name) in custom_domains.iter().enumerate() {
            self.tenant
                .domains
                .push(domain(&name.to_ascii_lowercase(), false, index == 0));
        }
        Ok(())
    }

    /// Microsoft's first-party service principals that breakglass meets in a real tenant.
    fn add_microsoft_service_principals(&mut self) {
        let microsoft_tenant = uuid::uuid!("f8cdef31-a31e-4b4a-93e4-5f571e91255a");
        for (app_id, name, app_roles) in [
            (
                roles::MICROSOFT_GRAPH_APP_ID,
                "Microsoft Graph",
                graph_app_roles(),
            ),
            (
                roles::GRAPH_COMMAND_LINE_TOOLS_APP_ID,
                "Microsoft Graph Command Line Tools",
                Vec::new(),
            ),
        ] {
            let mut app =
                entities::application(Uuid::new_v4(), app_id, name, &self.created, "microsoft.com");
            app.insert("appRoles".into(), Value::Array(app_roles));
            let sp_id = Uuid::new_v4();
            let sp = entities::service_principal(sp_id, &app, microsoft_tenant);
            self.insert(Kind::ServicePrincipal, sp, Private::default());
            self.service_principal_ids
                .insert(name.to_string(), sp_id.to_string());
        }
    }

    fn add_user(&mut self, user: &UserDescription) -> Result<RoleHolder, SimError> {
        let upn = user.user_principal_name.to_ascii_lowercase();
        let domain_part = upn.split_once('@').map(|(_, d)| d).unwrap_or_default();
        if !self.tenant.has_domain(domain_part) {
            return Err(self.fail(format!(
                "user `{upn}` is on domain `{domain_part}`, which the tenant does not have"
            )));
        }
        let id = Uuid::new_v4();
        let nickname = upn.split('@').next().unwrap_or_default().to_string();
        let mut data = entities::user(NewUser {
            id,
            display_name: &user.display_name,
            user_principal_name: &upn,
            mail_nickname: &nickname,
            account_enabled: user.account_enabled,
            created: &self.created,
            job_title: user.job_title.as_deref(),
        });
        if let Some(employee_type) = &user.employee_type {
            data.insert("employeeType".into(), json!(employee_type));
        }
        if user.on_premises_sync_enabled {
            // Entra Connect writes the source anchor (the AD objectGUID, base64) with the sync flag.
            use base64::Engine as _;
            let anchor =
                base64::engine::general_purpose::STANDARD.encode(Uuid::new_v4().as_bytes());
            data.insert("onPremisesSyncEnabled".into(), json!(true));
            data.insert("onPremisesImmutableId".into(), json!(anchor));
        }
        let registered_methods = user
            .authentication_methods
            .iter()
            .map(|kind| {
                methods::registered_method(kind, &self.created).ok_or_else(|| {
                    self.fail(format!(
                        "user `{}` lists authentication method `{kind}`; known ones: {}",
                        user.user_principal_name,
                        methods::KINDS.join(", ")
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let private = Private {
            password_sha256: Some(sha256_hex(&user.password)),
            registered_methods,
            ..Private::default()
        };
        self.insert(Kind::User, data, private);
        self.user_ids.insert(upn, id.to_string());
        Ok(RoleHolder {
            principal_id: id.to_string(),
            active: user.roles.clone(),
            eligible: user.eligible_roles.clone(),
        })
    }

    /// The group, and the roles it holds when it holds any.
    fn add_group(&mut self, group: &GroupDescription) -> Result<Option<RoleHolder>, SimError> {
        let id = Uuid::new_v4();
        let data = entities::group(
            id,
            &group.display_name,
            &group.mail_nickname,
            &self.created,
            group.is_assignable_to_role.then_some(true),
            None,
        );
        let mut members = Vec::new();
        // A member is a user by UPN, or a group described before this one by its name.
        for name in &group.members {
            let id = match self.user_ids.get(&name.to_ascii_lowercase()) {
                Some(id) => id.clone(),
                None => self
                    .tenant
                    .live(Kind::Group)
                    .find(|g| g.display_name() == **name)
                    .map(|g| g.id().to_string())
                    .ok_or_else(|| {
                        self.fail(format!(
                            "group `{}` lists member `{name}`, which is neither a user nor a group described before it",
                            group.display_name
                        ))
                    })?,
            };
            members.push(id);
        }
        self.check_role_assignable(group, &members)?;
        let private = Private {
            members,
            ..Private::default()
        };
        self.insert(Kind::Group, data, private);
        self.add_group_pim(group, &id.to_string())?;
        let holds_roles = !group.roles.is_empty() || !group.eligible_roles.is_empty();
        Ok(holds_roles.then(|| RoleHolder {
            principal_id: id.to_string(),
            active: group.roles.clone(),
            eligible: group.eligible_roles.clone(),
        }))
    }

    /// Every application with its service principal; returns the operator app's secret.
    fn add_applications(
        &mut self,
        description: &TenantDescription,
        holders: &mut Vec<RoleHolder>,
    ) -> Result<Option<SeededOperator>, SimError> {
        let graph_sp_id = self
            .tenant
            .service_principal_by_app_id(&roles::MICROSOFT_GRAPH_APP_ID.to_string())
            .map(|sp| sp.id().to_string())
            .unwrap_or_default();
        let mut operator = None;
        for app in &description.applications {
            if app.operator && operator.is_some() {
                return Err(self.fail("more than one application is marked `operator`".into()));
            }
            let (holder, seeded) =
                self.add_application(app, &graph_sp_id, &description.workspaces)?;
            holders.push(holder);
            if seeded.is_some() {
                operator = seeded;
            }
        }
        Ok(operator)
    }

    fn add_application(
        &mut self,
        app: &ApplicationDescription,
        graph_sp_id: &str,
        workspaces: &[WorkspaceDescription],
    ) -> Result<(RoleHolder, Option<SeededOperator>), SimError> {
        let app_id = Uuid::new_v4();
        let mut data = entities::application(
            Uuid::new_v4(),
            app_id,
            &app.display_name,
            &self.created,
            &self.tenant.initial_domain,
        );
        let mut app_private = Private::default();
        let sp_id = Uuid::new_v4();
        let operator = if app.operator {
            let seeded = self.operator_secret(&mut data, &mut app_private, app_id);
            self.grant_contributor(sp_id, workspaces);
            Some(seeded)
        } else {
            None
        };
        let sp_data = entities::service_principal(sp_id, &data, self.tenant.tenant_id);
        let sp_private = Private {
            app_role_assignments: self.graph_grants(app, sp_id, graph_sp_id)?,
            ..Private::default()
        };
        self.insert(Kind::Application, data, app_private);
        self.insert(Kind::ServicePrincipal, sp_data, sp_private);
        self.service_principal_ids
            .entry(app.display_name.clone())
            .or_insert_with(|| sp_id.to_string());
        let holder = RoleHolder {
            principal_id: sp_id.to_string(),
            active: app.roles.clone(),
            eligible: app.eligible_roles.clone(),
        };
        Ok((holder, operator))
    }

    /// The operator app's client secret, valid for a year; it is shown once, in operator.env.
    fn operator_secret(
        &self,
        data: &mut Map<String, Value>,
        private: &mut Private,
        app_id: Uuid,
    ) -> SeededOperator {
        let secret = crate::identity::new_client_secret();
        let key_id = Uuid::new_v4().to_string();
        let end = self
            .now
            .checked_add(jiff::SignedDuration::from_hours(24 * 365))
            .unwrap_or(self.now);
        data.insert(
            "passwordCredentials".into(),
            json!([{
                "customKeyIdentifier": null,
                "displayName": "operator.env",
                "endDateTime": graph_time(end),
                "hint": &secret[..3],
                "keyId": key_id,
                "secretText": null,
                "startDateTime": self.created,
            }]),
        );
        private.secret_sha256.insert(key_id, sha256_hex(&secret));
        private.operator = true;
        SeededOperator {
            client_id: app_id.to_string(),
            client_secret: secret,
        }
    }

    /// Azure RBAC, modeled minimally: Contributor on every workspace's subscription.
    fn grant_contributor(
        &mut self,
        service_principal_id: Uuid,
        workspaces: &[WorkspaceDescription],
    ) {
        let mut subscriptions: Vec<String> = workspaces
            .iter()
            .map(|w| w.subscription_id.to_string())
            .collect();
        subscriptions.dedup();
        for subscription in subscriptions {
            self.tenant
                .arm
                .contributors
                .push((service_principal_id.to_string(), subscription));
        }
    }

    /// The Microsoft Graph application permissions the description grants an app.
    fn graph_grants(
        &self,
        app: &ApplicationDescription,
        service_principal_id: Uuid,
        graph_sp_id: &str,
    ) -> Result<Vec<Value>, SimError> {
        app.application_permissions
            .iter()
            .map(|permission| {
                let known = permissions::by_value(permission).ok_or_else(|| {
                    self.fail(format!(
                        "application `{}` asks for unknown Graph permission `{permission}`",
                        app.display_name
                    ))
                })?;
                Ok(app_role_assignment(
                    service_principal_id,
                    &app.display_name,
                    known.id,
                    graph_sp_id,
                    &self.created,
                ))
            })
            .collect()
    }

    fn assign_roles(&mut self, holder: &RoleHolder) -> Result<(), SimError> {
        for name in &holder.active {
            let role_id = self.role_id(name)?;
            let principal_id = Uuid::parse_str(&holder.principal_id).unwrap_or_default();
            self.tenant
                .role_assignments
                .push(role_assignment(role_id, principal_id));
        }
        Ok(())
    }

    fn add_eligibilities(&mut self, holder: &RoleHolder) -> Result<(), SimError> {
        for name in &holder.eligible {
            let role_id = self.role_id(name)?;
            self.tenant.role_eligibilities.push(json!({
                "id": Uuid::new_v4().to_string(),
                "principalId": holder.principal_id,
                "roleDefinitionId": role_id.to_string(),
                "directoryScopeId": "/",
                "appScopeId": null,
                "startDateTime": self.created,
                "endDateTime": null,
                "memberType": "Direct",
                "roleEligibilityScheduleId": Uuid::new_v4().to_string(),
            }));
        }
        Ok(())
    }
}

/// Microsoft Graph's application permissions, as app roles of its service principal.
fn graph_app_roles() -> Vec<Value> {
    permissions::GRAPH_APP_ROLES
        .iter()
        .map(|p| json!({
            "allowedMemberTypes": ["Application"],
            "description": format!("Allows the app to {} without a signed-in user.", p.display_name.to_lowercase()),
            "displayName": p.display_name,
            "id": p.id.to_string(),
            "isEnabled": true,
            "origin": "Application",
            "value": p.value,
        }))
        .collect()
}

/// Whom a seeded policy applies to, resolved from the description's names.
struct PolicyAssignments {
    include_users: Vec<String>,
    include_roles: Vec<String>,
    client_applications: Value,
}

fn policy_json(policy: &PolicyDescription, created: &str, assignments: PolicyAssignments) -> Value {
    json!({
        "id": Uuid::new_v4().to_string(),
        "templateId": null,
        "displayName": policy.display_name,
        "createdDateTime": created,
        "modifiedDateTime": null,
        "state": policy.state,
        "sessionControls": null,
        "conditions": {
            "userRiskLevels": [],
            "signInRiskLevels": [],
            "clientAppTypes": policy.client_app_types,
            "platforms": null,
            "locations": null,
            "devices": null,
            "clientApplications": assignments.client_applications,
            "applications": {
                "includeApplications": ["All"],
                "excludeApplications": [],
                "includeUserActions": [],
                "includeAuthenticationContextClassReferences": [],
                "applicationFilter": null
            },
            "users": {
                "includeUsers": assignments.include_users,
                "excludeUsers": policy.exclude_users,
                "includeGroups": [],
                "excludeGroups": [],
                "includeRoles": assignments.include_roles,
                "excludeRoles": [],
                "includeGuestsOrExternalUsers": null,
                "excludeGuestsOrExternalUsers": null
            }
        },
        "grantControls": {
            "operator": "OR",
            "builtInControls": policy.grant,
            "customAuthenticationFactors": [],
            "termsOfUse": [],
            "authenticationStrength": null
        }
    })
}

fn domain(name: &str, initial: bool, default: bool) -> Value {
    json!({
        "id": name,
        "authenticationType": "Managed",
        "availabilityStatus": null,
        "isAdminManaged": true,
        "isDefault": default,
        "isInitial": initial,
        "isRoot": true,
        "isVerified": true,
        "passwordNotificationWindowInDays": 14,
        "passwordValidityPeriodInDays": 2147483647,
        "state": null,
        "supportedServices": if initial { json!(["Email", "OfficeCommunicationsOnline"]) } else { json!(["Email"]) },
    })
}

pub(crate) fn role_assignment(role_template_id: Uuid, principal_id: Uuid) -> Value {
    json!({
        "id": breakglass_core::ids::role_assignment_id(role_template_id, principal_id),
        "principalId": principal_id.to_string(),
        "roleDefinitionId": role_template_id.to_string(),
        "directoryScopeId": "/",
        "appScopeId": null,
        "condition": null,
        "principalOrganizationId": null,
    })
}

pub(crate) fn app_role_assignment(
    principal_id: Uuid,
    principal_name: &str,
    app_role_id: Uuid,
    resource_id: &str,
    created: &str,
) -> Value {
    json!({
        "id": Uuid::new_v4().to_string(),
        "deletedDateTime": null,
        "appRoleId": app_role_id.to_string(),
        "createdDateTime": created,
        "principalDisplayName": principal_name,
        "principalId": principal_id.to_string(),
        "principalType": "ServicePrincipal",
        "resourceDisplayName": "Microsoft Graph",
        "resourceId": resource_id,
    })
}
