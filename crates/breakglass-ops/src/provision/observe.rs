//! Reads the emergency access objects from the tenant into a [`Observed`] snapshot.
//!
//! Every object is found through a marker the tenant itself holds (the app's tag, the
//! users' `employeeType`, the group's mail nickname), so no local state is needed.

use std::collections::BTreeSet;

use breakglass_core::cloud::GraphVersion::V1;
use breakglass_core::config::{Config, CredentialKind};
use breakglass_core::graph_permissions;
use breakglass_core::plan::{
    APP_TAG, HeldAccount, Observed, ObservedApp, ObservedCredential, ObservedGrant, ObservedGroup,
    ObservedOwner, ObservedPolicy, ObservedRoleAssignment, ObservedServicePrincipal, ObservedUser,
    USER_MARKER,
};
use breakglass_core::roles::MICROSOFT_GRAPH_APP_ID;
use breakglass_entra::{EntraError, GraphClient, Query, odata_string};
use serde_json::Value;

use crate::error::Error;
use crate::json_fields::{object_name, strings, text, time};

fn array<'a>(value: &'a Value, key: &str) -> &'a [Value] {
    value
        .get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// The credentials of an application or service principal.
pub fn credentials_of(object: &Value) -> Vec<ObservedCredential> {
    let secrets = array(object, "passwordCredentials")
        .iter()
        .map(|c| (c, CredentialKind::Secret));
    let certificates = array(object, "keyCredentials")
        .iter()
        .map(|c| (c, CredentialKind::Certificate));
    secrets
        .chain(certificates)
        .map(|(credential, kind)| ObservedCredential {
            key_id: text(credential, "keyId"),
            kind,
            display_name: credential
                .get("displayName")
                .and_then(Value::as_str)
                .map(str::to_string),
            start: time(credential, "startDateTime"),
            end: time(credential, "endDateTime"),
        })
        .collect()
}

async fn owners(
    graph: &GraphClient,
    collection: &str,
    id: &str,
) -> Result<Vec<ObservedOwner>, Error> {
    let owners: Vec<Value> = graph
        .list_all(
            V1,
            &format!("{collection}/{id}/owners"),
            &Query::new().select(["id", "displayName", "userPrincipalName"]),
        )
        .await?;
    Ok(owners
        .iter()
        .map(|o| ObservedOwner {
            id: text(o, "id"),
            display_name: object_name(o),
        })
        .collect())
}

fn redirect_uris(app: &Value) -> usize {
    [
        "/web/redirectUris",
        "/spa/redirectUris",
        "/publicClient/redirectUris",
    ]
    .iter()
    .filter_map(|p| app.pointer(p).and_then(Value::as_array))
    .map(Vec::len)
    .sum()
}

fn locked(app: &Value) -> bool {
    let lock = app
        .get("servicePrincipalLockConfiguration")
        .cloned()
        .unwrap_or(Value::Null);
    let flag = |name: &str| lock.get(name).and_then(Value::as_bool).unwrap_or(false);
    flag("isEnabled") && (flag("allProperties") || flag("credentialsWithUsageVerify"))
}

/// What the tenant holds of the declared emergency access identities.
pub async fn observe(
    graph: &GraphClient,
    config: &Config,
    held_key_ids: Option<BTreeSet<String>>,
    held_accounts: Option<Vec<HeldAccount>>,
) -> Result<Observed, Error> {
    let domains = graph.domains().await?;
    let initial_domain = domains
        .iter()
        .find(|d| d.is_initial == Some(true))
        .map(|d| d.id.clone())
        .unwrap_or_default();

    let raw_apps: Vec<Value> = graph
        .list_all(
            V1,
            "applications",
            &Query::new().filter(format!("tags/any(t:t eq {})", odata_string(APP_TAG))),
        )
        .await?;
    let mut apps = Vec::new();
    for app in &raw_apps {
        let id = text(app, "id");
        apps.push(ObservedApp {
            owners: owners(graph, "applications", &id).await?,
            id,
            app_id: text(app, "appId"),
            display_name: text(app, "displayName"),
            created: time(app, "createdDateTime"),
            sign_in_audience: text(app, "signInAudience"),
            tags: strings(app, "/tags"),
            notes: app.get("notes").and_then(Value::as_str).map(str::to_string),
            redirect_uris: redirect_uris(app),
            credentials_locked: locked(app),
            credentials: credentials_of(app),
        });
    }
    // The same order the plan keeps: the app in use first, then the oldest.
    apps.sort_by_key(|a| (a.credentials.is_empty(), a.created));

    let mut observed = Observed {
        initial_domain,
        held_key_ids,
        held_accounts,
        ..Observed::default()
    };
    if let Some(app) = apps.first() {
        let sps: Vec<Value> = graph
            .list_all(
                V1,
                "servicePrincipals",
                &Query::new().filter(format!("appId eq {}", odata_string(&app.app_id))),
            )
            .await?;
        if let Some(sp) = sps.first() {
            let id = text(sp, "id");
            observed
                .role_assignments
                .extend(role_assignments_of(graph, &id).await?);
            observed.graph_grants = graph_grants(graph, &id).await?;
            observed.service_principal = Some(ObservedServicePrincipal {
                owners: owners(graph, "servicePrincipals", &id).await?,
                account_enabled: sp
                    .get("accountEnabled")
                    .and_then(Value::as_bool)
                    .unwrap_or(true),
                credentials: credentials_of(sp),
                id,
            });
        }
    }
    observed.apps = apps;

    let users: Vec<Value> = graph
        .list_all(
            V1,
            "users",
            &Query::new()
                .filter(format!("employeeType eq {}", odata_string(USER_MARKER)))
                .select([
                    "id",
                    "userPrincipalName",
                    "accountEnabled",
                    "createdDateTime",
                    "employeeType",
                    "onPremisesSyncEnabled",
                ])
                .count(),
        )
        .await?;
    for user in &users {
        let id = text(user, "id");
        observed
            .role_assignments
            .extend(role_assignments_of(graph, &id).await?);
        observed.users.push(ObservedUser {
            user_principal_name: text(user, "userPrincipalName"),
            account_enabled: user
                .get("accountEnabled")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            created: time(user, "createdDateTime"),
            synced: is_synced(user),
            id,
        });
    }

    if let Some(group) = exclusion_group(graph, config).await? {
        let id = text(&group, "id");
        let member_ids = member_ids(graph, &id).await?;
        observed.group = Some(ObservedGroup {
            display_name: text(&group, "displayName"),
            is_assignable_to_role: group
                .get("isAssignableToRole")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            member_ids,
            id,
        });
    }
    observed.conditional_access =
        conditional_access(graph, config.conditional_access.exclude_from_policies).await?;
    Ok(observed)
}

fn is_synced(user: &Value) -> bool {
    user.get("onPremisesSyncEnabled")
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

/// The user names of the cloud-only emergency users (found by their marker), whose
/// passwords KeePass keeps.
pub async fn emergency_user_names(graph: &GraphClient) -> Result<Vec<String>, EntraError> {
    let users: Vec<Value> = graph
        .list_all(
            V1,
            "users",
            &Query::new()
                .filter(format!("employeeType eq {}", odata_string(USER_MARKER)))
                .select(["id", "userPrincipalName", "onPremisesSyncEnabled"])
                .count(),
        )
        .await?;
    Ok(users
        .iter()
        .filter(|u| !is_synced(u))
        .map(|u| text(u, "userPrincipalName"))
        .collect())
}

/// The exclusion group: the group with the mail nickname breakglass.toml names.
pub async fn exclusion_group(
    graph: &GraphClient,
    config: &Config,
) -> Result<Option<Value>, EntraError> {
    let groups: Vec<Value> = graph
        .list_all(
            V1,
            "groups",
            &Query::new().filter(format!(
                "mailNickname eq {}",
                odata_string(&config.group.mail_nickname)
            )),
        )
        .await?;
    Ok(groups.into_iter().next())
}

/// The object ids of a group's direct members.
pub async fn member_ids(graph: &GraphClient, group_id: &str) -> Result<Vec<String>, EntraError> {
    let members: Vec<Value> = graph
        .list_all(
            V1,
            &format!("groups/{group_id}/members"),
            &Query::new().select(["id"]),
        )
        .await?;
    Ok(members.iter().map(|m| text(m, "id")).collect())
}

/// Every Conditional Access policy (`Policy.Read.All`). When `required` is false the
/// policies only feed a note, so an operator who may not read them sees no difference.
async fn conditional_access(
    graph: &GraphClient,
    required: bool,
) -> Result<Option<Vec<ObservedPolicy>>, Error> {
    let listed: Result<Vec<Value>, _> = graph
        .list_all(V1, "identity/conditionalAccess/policies", &Query::new())
        .await;
    match listed {
        Ok(policies) => Ok(Some(policies.iter().map(policy_of).collect())),
        Err(_) if !required => Ok(None),
        Err(e) => Err(Error::from(e).hinted(
            "[conditional_access] exclude_from_policies = true needs the Conditional Access policies: grant Policy.Read.All (and Policy.ReadWrite.ConditionalAccess to apply), or set it to false",
        )),
    }
}

/// The assignments of one policy, as the plan needs them.
pub fn policy_of(policy: &Value) -> ObservedPolicy {
    ObservedPolicy {
        id: text(policy, "id"),
        display_name: text(policy, "displayName"),
        state: text(policy, "state"),
        include_users: strings(policy, "/conditions/users/includeUsers"),
        include_groups: strings(policy, "/conditions/users/includeGroups"),
        include_roles: strings(policy, "/conditions/users/includeRoles"),
        includes_guests: policy
            .pointer("/conditions/users/includeGuestsOrExternalUsers")
            .is_some_and(|v| !v.is_null()),
        exclude_groups: strings(policy, "/conditions/users/excludeGroups"),
        include_service_principals: strings(
            policy,
            "/conditions/clientApplications/includeServicePrincipals",
        ),
        exclude_service_principals: strings(
            policy,
            "/conditions/clientApplications/excludeServicePrincipals",
        ),
    }
}

async fn role_assignments_of(
    graph: &GraphClient,
    principal_id: &str,
) -> Result<Vec<ObservedRoleAssignment>, Error> {
    let assignments: Vec<Value> = graph
        .list_all(
            V1,
            "roleManagement/directory/roleAssignments",
            &Query::new().filter(format!("principalId eq {}", odata_string(principal_id))),
        )
        .await?;
    Ok(assignments
        .iter()
        .map(|a| ObservedRoleAssignment {
            id: text(a, "id"),
            principal_id: text(a, "principalId"),
            // Built-in roles are addressed by their template id.
            role_template_id: text(a, "roleDefinitionId"),
            directory_scope_id: text(a, "directoryScopeId"),
        })
        .collect())
}

async fn graph_grants(
    graph: &GraphClient,
    service_principal_id: &str,
) -> Result<Vec<ObservedGrant>, Error> {
    let graph_sp = microsoft_graph_service_principal(graph).await?;
    let grants: Vec<Value> = graph
        .list_all(
            V1,
            &format!("servicePrincipals/{service_principal_id}/appRoleAssignments"),
            &Query::new(),
        )
        .await?;
    Ok(grants
        .iter()
        .filter(|g| {
            graph_sp
                .as_deref()
                .is_some_and(|id| text(g, "resourceId") == id)
        })
        .map(|g| {
            let role = text(g, "appRoleId");
            let permission = graph_permissions::KNOWN
                .iter()
                .find(|p| p.id.to_string().eq_ignore_ascii_case(&role))
                .map(|p| p.value.to_string())
                .unwrap_or(role);
            ObservedGrant {
                id: text(g, "id"),
                permission,
            }
        })
        .collect())
}

/// The object id of Microsoft Graph's service principal in this tenant.
pub async fn microsoft_graph_service_principal(
    graph: &GraphClient,
) -> Result<Option<String>, Error> {
    let found: Vec<Value> = graph
        .list_all(
            V1,
            "servicePrincipals",
            &Query::new()
                .filter(format!(
                    "appId eq {}",
                    odata_string(&MICROSOFT_GRAPH_APP_ID.to_string())
                ))
                .select(["id"]),
        )
        .await?;
    Ok(found.first().map(|sp| text(sp, "id")))
}
