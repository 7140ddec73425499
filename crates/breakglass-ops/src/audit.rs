//! Reading the tenant for `breakglass audit` (read-only, Graph v1.0) into a [`Snapshot`]; the
//! rules are in `breakglass_core::audit`. A read the operator may not make (403, or a feature
//! the tenant lacks) becomes a not-checked fact naming the permission, never a pass.

use breakglass_core::audit::{
    AppFacts, Credential, Fact, FederatedCredential, GroupFacts, PermissionGrant, Principal,
    RoleGrant, ServicePrincipalFacts, Snapshot, UserFacts, WorkloadPolicy,
};
use breakglass_core::cloud::GraphVersion::V1;
use breakglass_core::config::Config;
use breakglass_core::drill::CaPolicy;
use breakglass_core::plan::{APP_TAG, USER_MARKER, label_of};
use breakglass_core::roles;
use breakglass_core::stores::{self, MadeInTenant};
use breakglass_entra::{GraphClient, Query, odata_string};
use jiff::Timestamp;
use serde_json::Value;

use crate::Progress;
use crate::drill::ca_policy;
use crate::error::{Error, ErrorKind};
use crate::json_fields::{object_name, strings, text};
use crate::provision::vault::{LocalVault, Vault as _};

/// A read that may be refused: 403 (and other refusals of the request, such as a tenant
/// without the licence a feature needs) become an unreadable fact naming `permission`;
/// network failures and throttling still end the command.
async fn readable<T>(
    what: &str,
    permission: &str,
    read: impl std::future::Future<Output = Result<T, Error>>,
) -> Result<Fact<T>, Error> {
    match read.await {
        Ok(value) => Ok(Fact::Known(value)),
        Err(err) if matches!(err.kind(), ErrorKind::Authorization | ErrorKind::Service) => {
            // The request and correlation ids are for support, not for the report.
            let message = err.message();
            let message = message.split(" (request-id").next().unwrap_or(message);
            Ok(Fact::unreadable(permission, format!("{what}: {message}")))
        }
        Err(err) => Err(err),
    }
}

async fn list(graph: &GraphClient, path: &str, query: Query) -> Result<Vec<Value>, Error> {
    Ok(graph.list_all(V1, path, &query).await?)
}

fn principal_of(value: &Value) -> Principal {
    let kind = text(value, "@odata.type")
        .trim_start_matches("#microsoft.graph.")
        .to_string();
    Principal {
        id: text(value, "id"),
        name: object_name(value),
        kind: if kind.is_empty() {
            "unknown".into()
        } else {
            kind
        },
    }
}

async fn owners(
    graph: &GraphClient,
    collection: &str,
    id: &str,
) -> Result<Fact<Vec<Principal>>, Error> {
    readable(
        &format!("GET /{collection}/{{id}}/owners"),
        "Application.Read.All",
        async {
            let found = list(
                graph,
                &format!("{collection}/{id}/owners"),
                Query::new().select(["id", "displayName", "userPrincipalName"]),
            )
            .await?;
            Ok(found.iter().map(principal_of).collect())
        },
    )
    .await
}

fn credentials_of(object: &Value) -> Vec<Credential> {
    let of = |key: &str, kind: &str| -> Vec<Credential> {
        object
            .get(key)
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|c| Credential {
                key_id: text(c, "keyId"),
                kind: kind.into(),
                display_name: c
                    .get("displayName")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            })
            .collect()
    };
    let mut all = of("passwordCredentials", "secret");
    all.extend(of("keyCredentials", "certificate"));
    all
}

fn credentials_locked(app: &Value) -> bool {
    let flag = |name: &str| {
        app.pointer(&format!("/servicePrincipalLockConfiguration/{name}"))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    };
    flag("isEnabled") && (flag("allProperties") || flag("credentialsWithUsageVerify"))
}

async fn read_app(graph: &GraphClient) -> Result<Option<AppFacts>, Error> {
    let mut apps = list(
        graph,
        "applications",
        Query::new().filter(format!("tags/any(t:t eq {})", odata_string(APP_TAG))),
    )
    .await?;
    // The app in use (with credentials) first, as `plan` picks it.
    apps.sort_by_key(|a| credentials_of(a).is_empty());
    let Some(app) = apps.first() else {
        return Ok(None);
    };
    let object_id = text(app, "id");
    let app_id = text(app, "appId");
    let sps = list(
        graph,
        "servicePrincipals",
        Query::new().filter(format!("appId eq {}", odata_string(&app_id))),
    )
    .await?;
    let service_principal = match sps.first() {
        Some(sp) => {
            let id = text(sp, "id");
            Some(ServicePrincipalFacts {
                owners: owners(graph, "servicePrincipals", &id).await?,
                account_enabled: sp
                    .get("accountEnabled")
                    .and_then(Value::as_bool)
                    .unwrap_or(true),
                credentials: credentials_of(sp),
                id,
            })
        }
        None => None,
    };
    let federated_credentials = readable(
        "GET /applications/{id}/federatedIdentityCredentials",
        "Application.Read.All",
        async {
            let found = list(
                graph,
                &format!("applications/{object_id}/federatedIdentityCredentials"),
                Query::new(),
            )
            .await?;
            Ok(found
                .iter()
                .map(|c| FederatedCredential {
                    id: text(c, "id"),
                    name: text(c, "name"),
                    issuer: text(c, "issuer"),
                    subject: text(c, "subject"),
                })
                .collect())
        },
    )
    .await?;
    Ok(Some(AppFacts {
        federated_credentials,
        owners: owners(graph, "applications", &object_id).await?,
        display_name: text(app, "displayName"),
        sign_in_audience: text(app, "signInAudience"),
        credentials_locked: credentials_locked(app),
        credentials: credentials_of(app),
        service_principal,
        object_id,
        app_id,
    }))
}

fn role_grants(items: &[Value]) -> Vec<RoleGrant> {
    items
        .iter()
        .map(|a| RoleGrant {
            principal: match a.get("principal").filter(|p| p.is_object()) {
                Some(p) => principal_of(p),
                None => Principal {
                    id: text(a, "principalId"),
                    name: text(a, "principalId"),
                    kind: "unknown".into(),
                },
            },
            role_template_id: text(a, "roleDefinitionId"),
            directory_scope_id: text(a, "directoryScopeId"),
        })
        .collect()
}

async fn graph_permissions(graph: &GraphClient) -> Result<Vec<PermissionGrant>, Error> {
    let graph_sp = list(
        graph,
        "servicePrincipals",
        Query::new()
            .filter(format!(
                "appId eq {}",
                odata_string(&roles::MICROSOFT_GRAPH_APP_ID.to_string())
            ))
            .select(["id"]),
    )
    .await?;
    let Some(graph_sp) = graph_sp.first().map(|sp| text(sp, "id")) else {
        return Ok(Vec::new());
    };
    let grants = list(
        graph,
        &format!("servicePrincipals/{graph_sp}/appRoleAssignedTo"),
        Query::new(),
    )
    .await?;
    Ok(grants
        .iter()
        .map(|g| {
            let role = text(g, "appRoleId");
            PermissionGrant {
                principal: Principal {
                    id: text(g, "principalId"),
                    name: text(g, "principalDisplayName"),
                    kind: {
                        let t = text(g, "principalType");
                        let mut chars = t.chars();
                        match chars.next() {
                            Some(first) => first.to_lowercase().chain(chars).collect(),
                            None => "unknown".into(),
                        }
                    },
                },
                permission: breakglass_core::audit::permission_of(&role)
                    .map(str::to_string)
                    .unwrap_or(role),
            }
        })
        .collect())
}

/// The policy as the drill reads it, plus the workload-identity conditions only the audit weighs.
fn policy_of(value: &Value) -> (CaPolicy, WorkloadPolicy) {
    let policy = ca_policy(value);
    let workload = WorkloadPolicy {
        id: policy.id.clone(),
        display_name: policy.display_name.clone(),
        state: policy.state.clone(),
        include_service_principals: strings(
            value,
            "/conditions/clientApplications/includeServicePrincipals",
        ),
        exclude_service_principals: strings(
            value,
            "/conditions/clientApplications/excludeServicePrincipals",
        ),
        grant_controls: policy.grant_controls.clone(),
    };
    (policy, workload)
}

async fn read_users(
    graph: &GraphClient,
    active: &Fact<Vec<RoleGrant>>,
) -> Result<Vec<UserFacts>, Error> {
    let users = list(
        graph,
        "users",
        Query::new()
            .filter(format!("employeeType eq {}", odata_string(USER_MARKER)))
            .select([
                "id",
                "userPrincipalName",
                "accountEnabled",
                "onPremisesSyncEnabled",
                "employeeType",
            ])
            .count(),
    )
    .await?;
    let mut out = Vec::new();
    for user in &users {
        let id = text(user, "id");
        let active_roles = match active {
            Fact::Known(list) => list
                .iter()
                .filter(|g| g.principal.id.eq_ignore_ascii_case(&id) && g.directory_scope_id == "/")
                .map(|g| g.role_template_id.clone())
                .collect(),
            Fact::Unreadable(_) => Vec::new(),
        };
        let group_ids = readable(
            "GET /users/{id}/memberOf",
            "GroupMember.Read.All (or Directory.Read.All)",
            async {
                let groups = list(
                    graph,
                    &format!("users/{id}/memberOf"),
                    Query::new().select(["id"]),
                )
                .await?;
                Ok(groups.iter().map(|g| text(g, "id")).collect())
            },
        )
        .await?;
        let method_types = readable(
            "GET /users/{id}/authentication/methods",
            "UserAuthenticationMethod.Read.All",
            async {
                let methods = list(
                    graph,
                    &format!("users/{id}/authentication/methods"),
                    Query::new(),
                )
                .await?;
                Ok(methods.iter().map(|m| text(m, "@odata.type")).collect())
            },
        )
        .await?;
        out.push(UserFacts {
            user_principal_name: text(user, "userPrincipalName"),
            account_enabled: user
                .get("accountEnabled")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            on_premises_sync_enabled: user.get("onPremisesSyncEnabled").and_then(Value::as_bool),
            active_roles,
            group_ids,
            method_types,
            id,
        });
    }
    Ok(out)
}

async fn read_group(graph: &GraphClient, config: &Config) -> Result<Option<GroupFacts>, Error> {
    let groups = list(
        graph,
        "groups",
        Query::new().filter(format!(
            "mailNickname eq {}",
            odata_string(&config.group.mail_nickname)
        )),
    )
    .await?;
    let Some(group) = groups.first() else {
        return Ok(None);
    };
    let id = text(group, "id");
    let principals = |relation: &'static str| {
        let path = format!("groups/{id}/{relation}");
        async move {
            readable(
                &format!("GET /groups/{{id}}/{relation}"),
                "GroupMember.Read.All (or Directory.Read.All)",
                async {
                    let found = list(
                        graph,
                        &path,
                        Query::new().select(["id", "displayName", "userPrincipalName"]),
                    )
                    .await?;
                    Ok(found.iter().map(principal_of).collect())
                },
            )
            .await
        }
    };
    Ok(Some(GroupFacts {
        display_name: text(group, "displayName"),
        is_assignable_to_role: group
            .get("isAssignableToRole")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        owners: principals("owners").await?,
        members: principals("members").await?,
        id,
    }))
}

/// Key ids the local stores hold, or why they cannot be compared.
pub fn held_key_ids(vault: &mut LocalVault) -> Result<Result<Vec<String>, String>, Error> {
    if !vault.keepass_path().exists() {
        return Ok(Err(format!(
            "no KeePass database at {} on this machine",
            vault.keepass_path().display()
        )));
    }
    Ok(match vault.held_key_ids()? {
        Some(held) => Ok(held.into_iter().collect()),
        None => Err(
            "no KeePass password given (BREAKGLASS_KEEPASS_PASSWORD or --keepass-password-file)"
                .to_string(),
        ),
    })
}

/// Stores that are missing though the tenant holds what they keep, or that belong to another
/// tenant, each as a sentence naming the file.
pub fn store_problems(
    vault: &mut LocalVault,
    config: &Config,
    snapshot: &Snapshot,
    tenant_id: &str,
) -> Result<Vec<String>, Error> {
    let made = MadeInTenant {
        credentials: snapshot
            .app
            .iter()
            .flat_map(|app| &app.credentials)
            .filter_map(|c| {
                label_of(c.display_name.as_deref()).map(|l| (l.to_string(), c.key_id.clone()))
            })
            .collect(),
        users: snapshot
            .users
            .iter()
            .filter(|u| u.on_premises_sync_enabled != Some(true))
            .map(|u| u.user_principal_name.clone())
            .collect(),
    };
    let found = vault.local_stores()?;
    Ok(stores::store_problems(config, &found, &made, tenant_id)
        .iter()
        .map(|p| vault.describe_problem(p).0)
        .collect())
}

/// A role held by a (role-assignable) group is held by its members: each becomes a grant of
/// its own, named with the group, next to the group's.
async fn expand_groups(
    graph: &GraphClient,
    grants: Fact<Vec<RoleGrant>>,
) -> Result<Fact<Vec<RoleGrant>>, Error> {
    let Fact::Known(grants) = grants else {
        return Ok(grants);
    };
    let mut out = Vec::new();
    for grant in grants {
        if grant.principal.kind == "group" {
            let members = readable(
                "GET /groups/{id}/members",
                "GroupMember.Read.All (or Directory.Read.All)",
                list(
                    graph,
                    &format!("groups/{}/members", grant.principal.id),
                    Query::new().select(["id", "displayName", "userPrincipalName"]),
                ),
            )
            .await?;
            match members {
                Fact::Known(members) => {
                    for member in &members {
                        let mut principal = principal_of(member);
                        principal.name =
                            format!("{} (member of {})", principal.name, grant.principal.name);
                        out.push(RoleGrant {
                            principal,
                            ..grant.clone()
                        });
                    }
                }
                Fact::Unreadable(missing) => return Ok(Fact::Unreadable(missing)),
            }
        }
        out.push(grant);
    }
    Ok(Fact::Known(out))
}

/// Reads everything the audit looks at.
pub async fn snapshot(
    progress: &dyn Progress,
    graph: &GraphClient,
    config: &Config,
    held_key_ids: Result<Vec<String>, String>,
    last_drill: Option<Timestamp>,
) -> Result<Snapshot, Error> {
    let _busy = progress.busy("reading the tenant…");
    let domains = graph.domains().await?;
    let initial_domain = domains
        .iter()
        .find(|d| d.is_initial == Some(true))
        .map(|d| d.id.clone())
        .unwrap_or_default();
    let app = read_app(graph).await?;
    let active_roles = readable(
        "GET /roleManagement/directory/roleAssignments",
        "RoleManagement.Read.Directory",
        async {
            let items = list(
                graph,
                "roleManagement/directory/roleAssignments",
                Query::new().expand("principal"),
            )
            .await?;
            Ok(role_grants(&items))
        },
    )
    .await?;
    // PIM-eligible assignments: v1.0 has them (Microsoft Entra ID P2 tenants).
    let eligible_roles = readable(
        "GET /roleManagement/directory/roleEligibilityScheduleInstances",
        "RoleEligibilitySchedule.Read.Directory (and Microsoft Entra ID P2 for PIM)",
        async {
            let items = list(
                graph,
                "roleManagement/directory/roleEligibilityScheduleInstances",
                Query::new().expand("principal"),
            )
            .await?;
            Ok(role_grants(&items))
        },
    )
    .await?;
    let active_roles = expand_groups(graph, active_roles).await?;
    let eligible_roles = expand_groups(graph, eligible_roles).await?;
    let graph_permissions = readable(
        "GET /servicePrincipals/{Microsoft Graph}/appRoleAssignedTo",
        "Application.Read.All",
        graph_permissions(graph),
    )
    .await?;
    let policies = readable(
        "GET /identity/conditionalAccess/policies",
        "Policy.Read.All",
        async {
            let items = list(graph, "identity/conditionalAccess/policies", Query::new()).await?;
            Ok(items.iter().map(policy_of).collect())
        },
    )
    .await?;
    let users = read_users(graph, &active_roles).await?;
    let exclusion_group = read_group(graph, config).await?;
    Ok(Snapshot {
        now: Timestamp::now(),
        initial_domain,
        declared_labels: config
            .app
            .credentials
            .iter()
            .map(|c| c.label.clone())
            .collect(),
        held_key_ids,
        user_role: roles::by_name(&config.users.role).unwrap_or(roles::GLOBAL_ADMINISTRATOR),
        app_role: config
            .app
            .role
            .as_deref()
            .map(|r| roles::by_name(r).unwrap_or(roles::GLOBAL_ADMINISTRATOR)),
        app,
        active_roles,
        eligible_roles,
        graph_permissions,
        policies,
        users,
        exclusion_group,
        last_drill,
        store_problems: Vec::new(),
    })
}
