//! The tenant description a simulator is seeded from (`--tenant FILE`), and the
//! built-in default one.

use std::path::Path;

use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::SimError;
use crate::clock::graph_time;
use crate::entities::{self, NewUser};
use crate::permissions;
use crate::state::{DirObject, Kind, Private, Tenant, sha256_hex};
use breakglass_core::roles;

/// The description shipped with the simulator.
pub const DEFAULT_TENANT: &str = include_str!("../tenants/default.json");

#[derive(Debug, Deserialize)]
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
}

#[derive(Debug, Deserialize)]
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

#[derive(Debug, Deserialize)]
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
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct GroupDescription {
    pub display_name: String,
    pub mail_nickname: String,
    #[serde(default)]
    pub members: Vec<String>,
}

#[derive(Debug, Deserialize)]
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

#[derive(Debug, Deserialize)]
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
    let created = graph_time(now);
    let mut tenant = Tenant {
        tenant_id: description.tenant_id,
        display_name: description.display_name.clone(),
        initial_domain: description.initial_domain.to_ascii_lowercase(),
        created_at: now,
        domains: Vec::new(),
        objects: Default::default(),
        role_definitions: roles::ALL
            .iter()
            .map(|r| entities::role_definition(r.display_name, r.template_id))
            .collect(),
        role_assignments: Vec::new(),
        role_eligibilities: Vec::new(),
        conditional_access_policies: Vec::new(),
        directory_audits: Vec::new(),
        sign_ins: Vec::new(),
        arm: Default::default(),
    };
    for workspace in &description.workspaces {
        tenant.arm.workspaces.push(crate::state::ArmWorkspace {
            subscription_id: workspace.subscription_id.to_string(),
            resource_group: workspace.resource_group.clone(),
            name: workspace.name.clone(),
            location: workspace.location.clone(),
            customer_id: Uuid::new_v4(),
        });
    }
    if !tenant.initial_domain.ends_with(".onmicrosoft.com") {
        return Err(bad(
            origin,
            format!(
                "initialDomain `{}` must end with .onmicrosoft.com, as every tenant's initial domain does",
                tenant.initial_domain
            ),
        ));
    }
    tenant.domains.push(domain(
        &tenant.initial_domain,
        true,
        description.custom_domains.is_empty(),
    ));
    for (index, name) in description.custom_domains.iter().enumerate() {
        tenant
            .domains
            .push(domain(&name.to_ascii_lowercase(), false, index == 0));
    }

    let insert = |tenant: &mut Tenant,
                  kind: Kind,
                  data: serde_json::Map<String, Value>,
                  private: Private| {
        let id = data
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        tenant.objects.insert(
            id,
            DirObject {
                kind,
                data,
                created_at: now,
                deleted_at: None,
                private,
            },
        );
    };

    // Microsoft's first-party service principals that breakglass meets in a real tenant.
    let graph_app_roles: Vec<Value> = permissions::GRAPH_APP_ROLES
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
        .collect();
    let microsoft_tenant = uuid::uuid!("f8cdef31-a31e-4b4a-93e4-5f571e91255a");
    for (app_id, name, app_roles) in [
        (
            roles::MICROSOFT_GRAPH_APP_ID,
            "Microsoft Graph",
            graph_app_roles,
        ),
        (
            roles::GRAPH_COMMAND_LINE_TOOLS_APP_ID,
            "Microsoft Graph Command Line Tools",
            Vec::new(),
        ),
    ] {
        let mut app =
            entities::application(Uuid::new_v4(), app_id, name, &created, "microsoft.com");
        app.insert("appRoles".into(), Value::Array(app_roles));
        let sp = entities::service_principal(Uuid::new_v4(), &app, microsoft_tenant);
        insert(&mut tenant, Kind::ServicePrincipal, sp, Private::default());
    }
    let graph_sp_id = tenant
        .service_principal_by_app_id(&roles::MICROSOFT_GRAPH_APP_ID.to_string())
        .map(|sp| sp.id().to_string())
        .unwrap_or_default();

    let mut principal_roles: Vec<(String, Vec<String>)> = Vec::new();
    let mut principal_eligible: Vec<(String, Vec<String>)> = Vec::new();
    for user in &description.users {
        let upn = user.user_principal_name.to_ascii_lowercase();
        let domain_part = upn.split_once('@').map(|(_, d)| d).unwrap_or_default();
        if !tenant.has_domain(domain_part) {
            return Err(bad(
                origin,
                format!(
                    "user `{upn}` is on domain `{domain_part}`, which the tenant does not have"
                ),
            ));
        }
        let id = Uuid::new_v4();
        let nickname = upn.split('@').next().unwrap_or_default().to_string();
        let mut data = entities::user(NewUser {
            id,
            display_name: &user.display_name,
            user_principal_name: &upn,
            mail_nickname: &nickname,
            account_enabled: user.account_enabled,
            created: &created,
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
        let private = Private {
            password_sha256: Some(sha256_hex(&user.password)),
            ..Private::default()
        };
        insert(&mut tenant, Kind::User, data, private);
        principal_roles.push((id.to_string(), user.roles.clone()));
        principal_eligible.push((id.to_string(), user.eligible_roles.clone()));
    }

    for group in &description.groups {
        let id = Uuid::new_v4();
        let data = entities::group(
            id,
            &group.display_name,
            &group.mail_nickname,
            &created,
            None,
            None,
        );
        let mut members = Vec::new();
        for upn in &group.members {
            let user = tenant.user_by_upn(upn).ok_or_else(|| {
                bad(
                    origin,
                    format!(
                        "group `{}` lists member `{upn}`, who is not among the users",
                        group.display_name
                    ),
                )
            })?;
            members.push(user.id().to_string());
        }
        insert(
            &mut tenant,
            Kind::Group,
            data,
            Private {
                members,
                ..Private::default()
            },
        );
    }

    let mut operator = None;
    for app in &description.applications {
        let app_id = Uuid::new_v4();
        let app_object_id = Uuid::new_v4();
        let mut data = entities::application(
            app_object_id,
            app_id,
            &app.display_name,
            &created,
            &tenant.initial_domain,
        );
        let mut app_private = Private::default();
        if app.operator {
            if operator.is_some() {
                return Err(bad(
                    origin,
                    "more than one application is marked `operator`".into(),
                ));
            }
            let secret = crate::identity::new_client_secret();
            let key_id = Uuid::new_v4().to_string();
            let end = now
                .checked_add(jiff::SignedDuration::from_hours(24 * 365))
                .unwrap_or(now);
            data.insert(
                "passwordCredentials".into(),
                json!([{
                    "customKeyIdentifier": null,
                    "displayName": "operator.env",
                    "endDateTime": graph_time(end),
                    "hint": &secret[..3],
                    "keyId": key_id,
                    "secretText": null,
                    "startDateTime": created,
                }]),
            );
            app_private
                .secret_sha256
                .insert(key_id, sha256_hex(&secret));
            app_private.operator = true;
            operator = Some(SeededOperator {
                client_id: app_id.to_string(),
                client_secret: secret,
            });
        }
        let sp_id = Uuid::new_v4();
        if app.operator {
            // Azure RBAC, modeled minimally: Contributor on every workspace's subscription.
            let mut subscriptions: Vec<String> = description
                .workspaces
                .iter()
                .map(|w| w.subscription_id.to_string())
                .collect();
            subscriptions.dedup();
            for subscription in subscriptions {
                tenant
                    .arm
                    .contributors
                    .push((sp_id.to_string(), subscription));
            }
        }
        let sp_data = entities::service_principal(sp_id, &data, tenant.tenant_id);
        let mut sp_private = Private::default();
        for permission in &app.application_permissions {
            let known = permissions::by_value(permission).ok_or_else(|| {
                bad(
                    origin,
                    format!(
                        "application `{}` asks for unknown Graph permission `{permission}`",
                        app.display_name
                    ),
                )
            })?;
            sp_private.app_role_assignments.push(app_role_assignment(
                sp_id,
                &app.display_name,
                known.id,
                &graph_sp_id,
                &created,
            ));
        }
        insert(&mut tenant, Kind::Application, data, app_private);
        insert(&mut tenant, Kind::ServicePrincipal, sp_data, sp_private);
        principal_roles.push((sp_id.to_string(), app.roles.clone()));
        principal_eligible.push((sp_id.to_string(), app.eligible_roles.clone()));
    }

    for (principal, names) in principal_roles {
        for name in names {
            let role = roles::by_name(&name)
                .ok_or_else(|| bad(origin, format!("unknown directory role `{name}`")))?;
            let principal_id = Uuid::parse_str(&principal).unwrap_or_default();
            tenant
                .role_assignments
                .push(role_assignment(role.template_id, principal_id));
        }
    }

    for (principal, names) in principal_eligible {
        for name in names {
            let role = roles::by_name(&name)
                .ok_or_else(|| bad(origin, format!("unknown directory role `{name}`")))?;
            tenant.role_eligibilities.push(json!({
                "id": Uuid::new_v4().to_string(),
                "principalId": principal,
                "roleDefinitionId": role.template_id.to_string(),
                "directoryScopeId": "/",
                "appScopeId": null,
                "startDateTime": created,
                "endDateTime": null,
                "memberType": "Direct",
                "roleEligibilityScheduleId": Uuid::new_v4().to_string(),
            }));
        }
    }

    for policy in &description.conditional_access_policies {
        let mut include_roles = Vec::new();
        for name in &policy.include_roles {
            let role = roles::by_name(name).ok_or_else(|| {
                bad(
                    origin,
                    format!(
                        "policy `{}` names unknown role `{name}`",
                        policy.display_name
                    ),
                )
            })?;
            include_roles.push(role.template_id.to_string());
        }
        if !matches!(
            policy.state.as_str(),
            "enabled" | "disabled" | "enabledForReportingButNotEnforced"
        ) {
            return Err(bad(
                origin,
                format!(
                    "policy `{}` has state `{}`; use enabled, disabled or enabledForReportingButNotEnforced",
                    policy.display_name, policy.state
                ),
            ));
        }
        let include_users = if policy.include_users.is_empty()
            && include_roles.is_empty()
            && policy.include_service_principals.is_empty()
        {
            vec!["None".to_string()]
        } else {
            policy.include_users.clone()
        };
        // Service principals are named by object id, `ServicePrincipalsInMyTenant`, or (in
        // the description only) the display name of a seeded application.
        let resolve = |names: &[String]| -> Result<Vec<String>, SimError> {
            names
                .iter()
                .map(|name| {
                    if name == "ServicePrincipalsInMyTenant" || Uuid::parse_str(name).is_ok() {
                        return Ok(name.clone());
                    }
                    tenant
                        .objects
                        .values()
                        .find(|o| o.kind == Kind::ServicePrincipal && o.display_name() == name)
                        .map(|o| o.id().to_string())
                        .ok_or_else(|| {
                            bad(
                                origin,
                                format!(
                                    "policy `{}` names service principal `{name}`, which is not among the applications",
                                    policy.display_name
                                ),
                            )
                        })
                })
                .collect()
        };
        let client_applications = if policy.include_service_principals.is_empty() {
            Value::Null
        } else {
            json!({
                "includeServicePrincipals": resolve(&policy.include_service_principals)?,
                "excludeServicePrincipals": resolve(&policy.exclude_service_principals)?,
                "servicePrincipalFilter": null
            })
        };
        tenant.conditional_access_policies.push(json!({
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
                "clientApplications": client_applications,
                "applications": {
                    "includeApplications": ["All"],
                    "excludeApplications": [],
                    "includeUserActions": [],
                    "includeAuthenticationContextClassReferences": [],
                    "applicationFilter": null
                },
                "users": {
                    "includeUsers": include_users,
                    "excludeUsers": policy.exclude_users,
                    "includeGroups": [],
                    "excludeGroups": [],
                    "includeRoles": include_roles,
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
        }));
    }
    Ok((tenant, operator))
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
