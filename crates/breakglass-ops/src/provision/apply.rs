//! Carries out a plan against the tenant, one idempotent step at a time.
//!
//! Each action can be interrupted at any point and the next `apply` converges: objects are
//! created with their marker in the same request, a conflict on a role assignment means it
//! is already there, and a credential is written to its store before anything else depends
//! on it, so a crash leaves at worst a credential no store holds, which the next plan removes.

use std::collections::BTreeMap;
use std::time::Duration;

use breakglass_core::cloud::GraphVersion::V1;
use breakglass_core::config::Config;
use breakglass_core::plan::{
    APP_NOTES, APP_TAG, Action, OwnedObject, Principal, USER_MARKER, describe,
};
use breakglass_core::{graph_permissions, roles};
use breakglass_entra::{
    EntraError, GraphClient, Query, ReplicationPolicy, odata_string, retry_while_replicating,
};
use secrecy::{ExposeSecret as _, SecretString};
use serde_json::{Value, json};

use super::credentials;
use super::observe::microsoft_graph_service_principal;
use super::vault::Vault;
use crate::error::{Error, ErrorKind};
use crate::json_fields::text;

/// Reports each step as it starts and ends, so the CLI can show progress.
pub trait ApplyReporter {
    fn started(&mut self, index: usize, total: usize, description: &str);
    fn finished(&mut self, index: usize, detail: Option<String>);
    /// A step the tenant refused while the others go on (a Conditional Access policy that
    /// cannot be changed); apply fails at the end.
    fn refused(&mut self, _index: usize, _reason: &str) {}
}

/// How changing one Conditional Access policy failed.
enum PolicyFailure {
    /// This policy refused the change; the others are still tried.
    Refused(Error),
    /// Nothing else will work either (no permission, throttled, unreachable): stop.
    Fatal(Error),
}

/// A 4xx other than "not signed in", "not allowed" or "slow down" concerns this policy
/// only, e.g. a Microsoft-managed policy or one needing a licence the tenant lacks.
fn policy_failure(error: EntraError) -> PolicyFailure {
    let refused = error
        .graph()
        .is_some_and(|g| (400..500).contains(&g.status) && ![401, 403, 429].contains(&g.status));
    let denied = error.status() == Some(403);
    let error = Error::from(error);
    if refused {
        PolicyFailure::Refused(error)
    } else if denied {
        // The Graph hint names the permissions; say how to do without them.
        PolicyFailure::Fatal(error.hinted(
            "or set exclude_from_policies = false under [conditional_access] and have someone who may change Conditional Access exclude the group",
        ))
    } else {
        PolicyFailure::Fatal(error)
    }
}

/// The tenant facts apply needs beyond the plan.
#[derive(Clone, Debug)]
pub struct TenantFacts {
    pub tenant_id: String,
    pub initial_domain: String,
    pub authority_host: String,
    pub cloud_name: String,
}

/// Ids learned while applying, so later actions can refer to objects made earlier.
#[derive(Default)]
struct Resolved {
    app_object_id: Option<String>,
    app_id: Option<String>,
    service_principal_id: Option<String>,
    group_id: Option<String>,
    new_users: BTreeMap<u32, (String, String)>,
    graph_service_principal_id: Option<String>,
    /// User names of the emergency users the plan saw, which staged passwords must not claim.
    existing_user_names: Vec<String>,
}

pub struct Applier<'a> {
    pub graph: &'a GraphClient,
    pub config: &'a Config,
    pub facts: TenantFacts,
    pub vault: &'a mut dyn Vault,
    pub replication: ReplicationPolicy,
}

fn service_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Service, message)
}

/// A conflict on create means the object (or assignment) is already there.
fn is_conflict(error: &EntraError) -> bool {
    error.graph().is_some_and(|g| {
        g.status == 400
            && (g.message.contains("conflicting object") || g.message.contains("already exist"))
    })
}

impl Applier<'_> {
    /// Runs every action in order; stops at the first failure.
    pub async fn apply(
        &mut self,
        existing: ExistingIds,
        actions: &[Action],
        reporter: &mut dyn ApplyReporter,
    ) -> Result<(), Error> {
        let mut resolved = Resolved {
            app_object_id: existing.app_object_id,
            app_id: existing.app_id,
            service_principal_id: existing.service_principal_id,
            group_id: existing.group_id,
            existing_user_names: existing.user_names,
            ..Resolved::default()
        };
        let mut refused: Vec<(String, Error)> = Vec::new();
        for (index, action) in actions.iter().enumerate() {
            reporter.started(index, actions.len(), &describe(action));
            if action.is_conditional_access() {
                match self.exclude_from_policy(action, &resolved).await {
                    Ok(detail) => reporter.finished(index, detail),
                    Err(PolicyFailure::Refused(error)) => {
                        reporter.refused(index, &error.to_string());
                        let id = match action {
                            Action::ExcludeGroupFromPolicy { policy_id, .. }
                            | Action::ExcludeAppFromPolicy { policy_id, .. } => policy_id.as_str(),
                            _ => "",
                        };
                        refused.push((format!("{} (policy id {id})", describe(action)), error));
                    }
                    Err(PolicyFailure::Fatal(error)) => return Err(error),
                }
                continue;
            }
            let detail = self.run(action, &mut resolved).await?;
            reporter.finished(index, detail);
        }
        match refused.len() {
            0 => Ok(()),
            count => {
                let (first, error) = &refused[0];
                let mut summary = Error::new(
                    ErrorKind::Service,
                    format!(
                        "{count} Conditional Access change(s) were refused; the first: {first}: {error}"
                    ),
                );
                for (_, error) in &refused {
                    for hint in error.hints() {
                        summary = summary.hinted(hint.clone());
                    }
                }
                Err(summary.hinted(
                    "exclude the emergency access group (or app) from the refused policies by hand in the Microsoft Entra admin center, or list their ids in skip_policies under [conditional_access]",
                ))
            }
        }
    }

    /// Adds the exclusion group (or the emergency service principal) to one policy's
    /// exclusions. The policy is read just before the PATCH and the PATCH carries only that
    /// one list, so an exclusion someone else added meanwhile is kept; a policy that already
    /// excludes it is left alone, so an interrupted apply converges.
    async fn exclude_from_policy(
        &self,
        action: &Action,
        resolved: &Resolved,
    ) -> Result<Option<String>, PolicyFailure> {
        let (policy_id, part, list, member) = match action {
            Action::ExcludeGroupFromPolicy { policy_id, .. } => (
                policy_id,
                "users",
                "excludeGroups",
                resolved.group_id.clone().ok_or_else(|| {
                    PolicyFailure::Fatal(service_error(
                        "the exclusion group is missing; plan again",
                    ))
                })?,
            ),
            Action::ExcludeAppFromPolicy { policy_id, .. } => (
                policy_id,
                "clientApplications",
                "excludeServicePrincipals",
                self.service_principal_id(resolved)
                    .map_err(PolicyFailure::Fatal)?,
            ),
            _ => return Ok(None),
        };
        let graph = self.graph;
        let path = format!("identity/conditionalAccess/policies/{policy_id}");
        let policy: Value = match graph.get_json(V1, &path, &Query::new()).await {
            Ok(policy) => policy,
            Err(e) if e.status() == Some(404) => {
                return Ok(Some("the policy no longer exists".into()));
            }
            Err(e) => return Err(policy_failure(e)),
        };
        let mut excluded: Vec<Value> = policy
            .pointer(&format!("/conditions/{part}/{list}"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if excluded
            .iter()
            .filter_map(Value::as_str)
            .any(|id| id.eq_ignore_ascii_case(&member))
        {
            return Ok(Some("already excluded".into()));
        }
        excluded.push(Value::String(member));
        let body = json!({"conditions": {part: {list: excluded}}});
        match graph.patch_json(V1, &path, &body).await {
            Ok(()) => Ok(None),
            Err(e) if e.status() == Some(404) => Ok(Some("the policy no longer exists".into())),
            Err(e) => Err(policy_failure(e)),
        }
    }

    async fn run(
        &mut self,
        action: &Action,
        resolved: &mut Resolved,
    ) -> Result<Option<String>, Error> {
        let graph = self.graph;
        match action {
            Action::DeleteLeftoverApplication { id, .. } => {
                match graph.delete_application(id).await {
                    Ok(()) => {}
                    Err(e) if e.status() == Some(404) => {}
                    Err(e) => return Err(e.into()),
                }
                Ok(None)
            }
            Action::CreateApplication { display_name } => {
                let body = json!({
                    "displayName": display_name,
                    "signInAudience": "AzureADMyOrg",
                    "tags": [APP_TAG],
                    "notes": APP_NOTES,
                    "servicePrincipalLockConfiguration": lock(self.config.app.lock_credentials),
                });
                let app: Value = graph.post_json(V1, "applications", &body).await?;
                let id = text(&app, "id");
                resolved.app_id = Some(text(&app, "appId"));
                resolved.app_object_id = Some(id.clone());
                // An app-only caller becomes the owner of what it creates; the emergency app has none.
                self.remove_all_owners("applications", &id).await?;
                Ok(Some(format!("app id {}", text(&app, "appId"))))
            }
            Action::UpdateApplication { .. } => {
                let id = self.app_object_id(resolved)?;
                let body = json!({
                    "displayName": self.config.app.name,
                    "signInAudience": "AzureADMyOrg",
                    "notes": APP_NOTES,
                    "web": {"redirectUris": []},
                    "spa": {"redirectUris": []},
                    "publicClient": {"redirectUris": []},
                    "servicePrincipalLockConfiguration": lock(self.config.app.lock_credentials),
                });
                retry_while_replicating(self.replication, || graph.update_application(&id, &body))
                    .await?;
                Ok(None)
            }
            Action::CreateServicePrincipal => {
                let app_id = resolved
                    .app_id
                    .clone()
                    .ok_or_else(|| service_error("the emergency app is missing; plan again"))?;
                let body = json!({"appId": app_id, "tags": [APP_TAG], "notes": APP_NOTES});
                let created: Result<Value, EntraError> =
                    retry_while_replicating(self.replication, || {
                        graph.post_json(V1, "servicePrincipals", &body)
                    })
                    .await;
                let sp = match created {
                    Ok(sp) => sp,
                    Err(e) if is_conflict(&e) => {
                        let found: Vec<Value> = graph
                            .list_all(
                                V1,
                                "servicePrincipals",
                                &Query::new().filter(format!("appId eq {}", odata_string(&app_id))),
                            )
                            .await?;
                        found.into_iter().next().ok_or_else(|| {
                            service_error("the service principal exists but cannot be read")
                        })?
                    }
                    Err(e) => return Err(e.into()),
                };
                let id = text(&sp, "id");
                resolved.service_principal_id = Some(id.clone());
                self.remove_all_owners("servicePrincipals", &id).await?;
                Ok(Some(format!("object id {id}")))
            }
            Action::EnableServicePrincipal => {
                let id = self.service_principal_id(resolved)?;
                graph
                    .patch_json(
                        V1,
                        &format!("servicePrincipals/{id}"),
                        &json!({"accountEnabled": true}),
                    )
                    .await?;
                Ok(None)
            }
            Action::RemoveOwner {
                object, owner_id, ..
            } => {
                let (collection, id) = match object {
                    OwnedObject::Application => ("applications", self.app_object_id(resolved)?),
                    OwnedObject::ServicePrincipal => {
                        ("servicePrincipals", self.service_principal_id(resolved)?)
                    }
                };
                match graph
                    .delete(V1, &format!("{collection}/{id}/owners/{owner_id}/$ref"))
                    .await
                {
                    Ok(()) => Ok(None),
                    Err(e) if e.status() == Some(404) => Ok(None),
                    Err(e) => Err(e.into()),
                }
            }
            Action::RemoveCredential { key_id, on, .. } => {
                let (collection, id) = match on {
                    OwnedObject::Application => ("applications", self.app_object_id(resolved)?),
                    OwnedObject::ServicePrincipal => {
                        ("servicePrincipals", self.service_principal_id(resolved)?)
                    }
                };
                remove_credential(graph, collection, &id, key_id).await?;
                self.vault.forget(key_id)?;
                Ok(None)
            }
            Action::AssignRole { principal, role } => {
                let principal_id = self.principal_id(principal, resolved)?;
                let template = roles::by_name(role)
                    .ok_or_else(|| service_error(format!("unknown role {role}")))?
                    .template_id
                    .to_string();
                let body = json!({
                    "@odata.type": "#microsoft.graph.unifiedRoleAssignment",
                    "roleDefinitionId": template,
                    "principalId": principal_id,
                    "directoryScopeId": "/",
                });
                let result: Result<Value, EntraError> =
                    retry_while_replicating(self.replication, || {
                        graph.post_json(V1, "roleManagement/directory/roleAssignments", &body)
                    })
                    .await;
                match result {
                    Ok(_) => Ok(None),
                    Err(e) if is_conflict(&e) => Ok(Some("already assigned".into())),
                    Err(e) => Err(e.into()),
                }
            }
            Action::GrantGraphPermission { permission } => {
                let sp = self.service_principal_id(resolved)?;
                let graph_sp = self.graph_service_principal(resolved).await?;
                let role = graph_permissions::by_value(permission)
                    .ok_or_else(|| service_error(format!("unknown permission {permission}")))?;
                let body = json!({"principalId": sp, "resourceId": graph_sp, "appRoleId": role.id.to_string()});
                let path = format!("servicePrincipals/{sp}/appRoleAssignments");
                let result: Result<Value, EntraError> =
                    retry_while_replicating(self.replication, || graph.post_json(V1, &path, &body))
                        .await;
                match result {
                    Ok(_) => Ok(None),
                    Err(e) if is_conflict(&e) => Ok(Some("already granted".into())),
                    Err(e) => Err(e.into()),
                }
            }
            Action::RevokeGraphPermission { grant_id, .. } => {
                let sp = self.service_principal_id(resolved)?;
                match graph
                    .delete(
                        V1,
                        &format!("servicePrincipals/{sp}/appRoleAssignments/{grant_id}"),
                    )
                    .await
                {
                    Ok(()) => Ok(None),
                    Err(e) if e.status() == Some(404) => Ok(None),
                    Err(e) => Err(e.into()),
                }
            }
            Action::AddCredential { label, .. } => {
                let app_object_id = self.app_object_id(resolved)?;
                let app_id = resolved
                    .app_id
                    .clone()
                    .ok_or_else(|| service_error("the emergency app is missing; plan again"))?;
                let key_id = self.add_credential(label, &app_object_id, &app_id).await?;
                Ok(Some(format!("key id {key_id}")))
            }
            Action::CreateGroup {
                display_name,
                mail_nickname,
            } => {
                let body = json!({
                    "displayName": display_name,
                    "mailNickname": mail_nickname,
                    "description": "Emergency access accounts managed by breakglass. Every Conditional Access policy must exclude this group.",
                    "mailEnabled": false,
                    "securityEnabled": true,
                    "isAssignableToRole": true,
                });
                let group: Value = graph.post_json(V1, "groups", &body).await?;
                let id = text(&group, "id");
                resolved.group_id = Some(id.clone());
                Ok(Some(format!("object id {id}")))
            }
            Action::CreateUser { ordinal } => {
                let (id, upn) = self.create_user(resolved).await?;
                resolved.new_users.insert(*ordinal, (id, upn.clone()));
                Ok(Some(upn))
            }
            Action::ResetUserPassword {
                id,
                user_principal_name,
            } => {
                let password = crate::random::password();
                // Stored (pending) before Entra has it: killed after this, the next plan sees a
                // pending password and resets again; never a password no store holds.
                self.vault.stage_account_password(
                    Some(id),
                    user_principal_name,
                    &self.facts.tenant_id,
                    &password,
                )?;
                let body = json!({"passwordProfile": {"forceChangePasswordNextSignIn": false, "password": password.expose_secret()}});
                let path = format!("users/{id}");
                let result = retry_while_replicating(self.replication, || {
                    graph.patch_json(V1, &path, &body)
                })
                .await;
                match result {
                    Ok(()) => {}
                    Err(e) if e.status() == Some(403) => {
                        return Err(Error::from(e).hinted(format!(
                            "only a Privileged Authentication Administrator or a Global Administrator may reset the password of a user who holds an admin role, such as {user_principal_name}: run `breakglass apply` again signed in as one (`--auth device-code`)"
                        )));
                    }
                    Err(e) => return Err(e.into()),
                }
                self.vault
                    .confirm_account_password(user_principal_name, id)?;
                Ok(Some("the new password is in KeePass".into()))
            }
            Action::EnableUser { id, .. } => {
                graph
                    .patch_json(V1, &format!("users/{id}"), &json!({"accountEnabled": true}))
                    .await?;
                Ok(None)
            }
            Action::AddGroupMember { principal } => {
                let member = self.principal_id(principal, resolved)?;
                let group = resolved
                    .group_id
                    .clone()
                    .ok_or_else(|| service_error("the exclusion group is missing; plan again"))?;
                let reference = format!("{}directoryObjects/{member}", graph.base(V1));
                let body = json!({"@odata.id": reference});
                let path = format!("groups/{group}/members/$ref");
                let result = retry_while_replicating(self.replication, || {
                    graph.post_no_content(V1, &path, Some(&body))
                })
                .await;
                match result {
                    Ok(()) => Ok(None),
                    Err(e) if is_conflict(&e) => Ok(Some("already a member".into())),
                    Err(e) => Err(e.into()),
                }
            }
            Action::ExcludeGroupFromPolicy { .. } | Action::ExcludeAppFromPolicy { .. } => {
                match self.exclude_from_policy(action, resolved).await {
                    Ok(detail) => Ok(detail),
                    Err(PolicyFailure::Refused(error) | PolicyFailure::Fatal(error)) => Err(error),
                }
            }
            Action::CreateTemporaryAccessPass { principal } => {
                let user = self.principal_id(principal, resolved)?;
                let body = json!({"lifetimeInMinutes": 480, "isUsableOnce": true});
                let path = format!("users/{user}/authentication/temporaryAccessPassMethods");
                let pass: Value =
                    retry_while_replicating(self.replication, || graph.post_json(V1, &path, &body))
                        .await?;
                let secret = SecretString::from(text(&pass, "temporaryAccessPass"));
                if secret.expose_secret().is_empty() {
                    return Err(service_error(
                        "Graph created a Temporary Access Pass but did not return it",
                    )
                    .hinted("run `breakglass apply` again: a new pass replaces that one"));
                }
                self.vault.store_temporary_access_pass(&user, &secret)?;
                Ok(Some(
                    "valid for 8 hours, usable once, to register a passkey".into(),
                ))
            }
        }
    }

    /// Creates an emergency user whose password is in KeePass before the user exists. A
    /// password staged by a run that died before its create request is used again, so a crash
    /// leaves nothing behind; a create that went through but whose answer was lost shows as
    /// a conflict on the user name and is adopted when the user carries the marker.
    async fn create_user(&mut self, resolved: &Resolved) -> Result<(String, String), Error> {
        let domain = self.facts.initial_domain.clone();
        let prefix = format!("{}-", self.config.users.prefix);
        let mut reusable: Vec<(String, SecretString)> = self
            .vault
            .unclaimed_account_passwords()?
            .into_iter()
            .filter(|(upn, _)| {
                upn.rsplit_once('@').is_some_and(|(alias, d)| {
                    alias.starts_with(&prefix) && d.eq_ignore_ascii_case(&domain)
                }) && !resolved
                    .existing_user_names
                    .iter()
                    .chain(resolved.new_users.values().map(|(_, upn)| upn))
                    .any(|taken| taken.eq_ignore_ascii_case(upn))
            })
            .collect();
        // A handful of tries: a clash with a user who is not ours means another random name.
        for _ in 0..3 {
            let (upn, password) = match reusable.pop() {
                Some(staged) => staged,
                None => {
                    let alias = format!("{prefix}{}", crate::random::name_suffix());
                    (format!("{alias}@{domain}"), crate::random::password())
                }
            };
            let alias = upn.split('@').next().unwrap_or_default().to_string();
            let suffix = alias.strip_prefix(&prefix).unwrap_or(&alias).to_string();
            self.vault
                .stage_account_password(None, &upn, &self.facts.tenant_id, &password)?;
            let body = json!({
                "accountEnabled": true,
                "displayName": format!("Emergency access {suffix}"),
                "mailNickname": alias,
                "userPrincipalName": upn,
                "employeeType": USER_MARKER,
                "passwordProfile": {"forceChangePasswordNextSignIn": false, "password": password.expose_secret()},
            });
            let id = match self.graph.post_json::<_, Value>(V1, "users", &body).await {
                Ok(user) => text(&user, "id"),
                Err(e) if is_conflict(&e) => match self.emergency_user_named(&upn).await? {
                    Some(id) => id,
                    None => {
                        self.vault.forget_unclaimed_account(&upn)?;
                        continue;
                    }
                },
                Err(e) => return Err(e.into()),
            };
            self.vault.confirm_account_password(&upn, &id)?;
            return Ok((id, upn));
        }
        Err(service_error(
            "three random emergency user names in a row were already taken",
        )
        .hinted("run `breakglass apply` again; if it keeps happening, change `prefix` under [users]"))
    }

    /// The object id of the user with this name, if it carries the emergency-user marker.
    async fn emergency_user_named(&self, upn: &str) -> Result<Option<String>, Error> {
        let found: Vec<Value> = self
            .graph
            .list_all(
                V1,
                "users",
                &Query::new()
                    .filter(format!("userPrincipalName eq {}", odata_string(upn)))
                    .select(["id", "employeeType"]),
            )
            .await?;
        Ok(found
            .iter()
            .find(|u| text(u, "employeeType") == USER_MARKER)
            .map(|u| text(u, "id")))
    }

    fn app_object_id(&self, resolved: &Resolved) -> Result<String, Error> {
        resolved
            .app_object_id
            .clone()
            .ok_or_else(|| service_error("the emergency app is missing; plan again"))
    }

    fn service_principal_id(&self, resolved: &Resolved) -> Result<String, Error> {
        resolved
            .service_principal_id
            .clone()
            .ok_or_else(|| service_error("the emergency service principal is missing; plan again"))
    }

    fn principal_id(&self, principal: &Principal, resolved: &Resolved) -> Result<String, Error> {
        match principal {
            Principal::EmergencyApp => self.service_principal_id(resolved),
            Principal::User { id, .. } => Ok(id.clone()),
            Principal::NewUser { ordinal } => resolved
                .new_users
                .get(ordinal)
                .map(|(id, _)| id.clone())
                .ok_or_else(|| {
                    service_error(format!("new emergency user #{ordinal} was not created"))
                }),
        }
    }

    async fn graph_service_principal(&self, resolved: &mut Resolved) -> Result<String, Error> {
        if let Some(id) = &resolved.graph_service_principal_id {
            return Ok(id.clone());
        }
        let id = microsoft_graph_service_principal(self.graph)
            .await?
            .ok_or_else(|| {
                service_error("Microsoft Graph has no service principal in this tenant")
            })?;
        resolved.graph_service_principal_id = Some(id.clone());
        Ok(id)
    }

    async fn remove_all_owners(&self, collection: &str, id: &str) -> Result<(), Error> {
        if !self.config.drift.remove_owners {
            return Ok(());
        }
        let graph = self.graph;
        let path = format!("{collection}/{id}/owners");
        let query = Query::new().select(["id"]);
        let owners: Vec<Value> =
            retry_while_replicating(self.replication, || graph.list_all(V1, &path, &query)).await?;
        for owner in owners {
            let owner_id = text(&owner, "id");
            match graph
                .delete(V1, &format!("{collection}/{id}/owners/{owner_id}/$ref"))
                .await
            {
                Ok(()) => {}
                Err(e) if e.status() == Some(404) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Makes a credential for `label` and writes it to its store. Returns its key id.
    ///
    /// Certificates go on through `PATCH keyCredentials`; `breakglass credential` uses the
    /// steps in [`super::credentials`] directly to sign `addKey` proofs and prove the new
    /// credential before storing it.
    pub async fn add_credential(
        &mut self,
        label: &str,
        app_object_id: &str,
        app_id: &str,
    ) -> Result<String, Error> {
        let policy = self
            .config
            .credential(label)
            .ok_or_else(|| service_error(format!("credential `{label}` is not declared")))?
            .clone();
        let created = credentials::create_credential(
            self.graph,
            self.replication,
            &policy,
            app_object_id,
            app_id,
            None,
        )
        .await?;
        let key_id = created.key_id().to_string();
        credentials::store_credential(self.vault, &policy, &self.facts, app_id, created.material)?;
        Ok(key_id)
    }
}

/// The ids of objects that already exist, from the observation the plan was made from.
#[derive(Clone, Debug, Default)]
pub struct ExistingIds {
    pub app_object_id: Option<String>,
    pub app_id: Option<String>,
    pub service_principal_id: Option<String>,
    pub group_id: Option<String>,
    pub user_names: Vec<String>,
}

impl ExistingIds {
    pub fn from_observed(observed: &breakglass_core::plan::Observed) -> ExistingIds {
        let app = observed.apps.first();
        ExistingIds {
            app_object_id: app.map(|a| a.id.clone()),
            app_id: app.map(|a| a.app_id.clone()),
            service_principal_id: observed.service_principal.as_ref().map(|s| s.id.clone()),
            group_id: observed.group.as_ref().map(|g| g.id.clone()),
            user_names: observed
                .users
                .iter()
                .map(|u| u.user_principal_name.clone())
                .collect(),
        }
    }
}

fn lock(enabled: bool) -> Value {
    if enabled {
        json!({"isEnabled": true, "allProperties": true, "credentialsWithUsageVerify": true, "credentialsWithUsageSign": true, "tokenEncryptionKeyId": true})
    } else {
        json!({"isEnabled": false, "allProperties": false, "credentialsWithUsageVerify": false, "credentialsWithUsageSign": false, "tokenEncryptionKeyId": false})
    }
}

/// The app's certificates with their public keys, so a PATCH keeps them.
pub(crate) async fn current_certificates(
    graph: &GraphClient,
    app_object_id: &str,
) -> Result<Vec<Value>, Error> {
    let app: Value = graph
        .get_json(
            V1,
            &format!("applications/{app_object_id}"),
            &Query::new().select(["keyCredentials"]),
        )
        .await?;
    Ok(app
        .get("keyCredentials")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|c| {
            json!({
                "keyId": c.get("keyId"),
                "type": c.get("type"),
                "usage": c.get("usage"),
                "key": c.get("key"),
                "displayName": c.get("displayName"),
                "startDateTime": c.get("startDateTime"),
                "endDateTime": c.get("endDateTime"),
                "customKeyIdentifier": c.get("customKeyIdentifier"),
            })
        })
        .collect())
}

/// Removes a secret or certificate by key id from an app or service principal.
pub async fn remove_credential(
    graph: &GraphClient,
    collection: &str,
    object_id: &str,
    key_id: &str,
) -> Result<(), Error> {
    let object: Value = graph
        .get_json(
            V1,
            &format!("{collection}/{object_id}"),
            &Query::new().select(["passwordCredentials", "keyCredentials"]),
        )
        .await?;
    let is_secret = object
        .get("passwordCredentials")
        .and_then(Value::as_array)
        .is_some_and(|list| {
            list.iter()
                .any(|c| c.get("keyId").and_then(Value::as_str) == Some(key_id))
        });
    if is_secret {
        return match graph
            .post_no_content(
                V1,
                &format!("{collection}/{object_id}/removePassword"),
                Some(&json!({"keyId": key_id})),
            )
            .await
        {
            Ok(()) => Ok(()),
            Err(e) if e.status() == Some(404) => Ok(()),
            Err(e) => Err(e.into()),
        };
    }
    let certificates = current_certificates_of(&object);
    if !certificates
        .iter()
        .any(|c| c.get("keyId").and_then(Value::as_str) == Some(key_id))
    {
        return Ok(());
    }
    let kept: Vec<Value> = certificates
        .into_iter()
        .filter(|c| c.get("keyId").and_then(Value::as_str) != Some(key_id))
        .collect();
    graph
        .patch_json(
            V1,
            &format!("{collection}/{object_id}"),
            &json!({"keyCredentials": kept}),
        )
        .await?;
    Ok(())
}

fn current_certificates_of(object: &Value) -> Vec<Value> {
    object
        .get("keyCredentials")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|c| json!({"keyId": c.get("keyId"), "type": c.get("type"), "usage": c.get("usage"), "key": c.get("key"), "displayName": c.get("displayName"), "startDateTime": c.get("startDateTime"), "endDateTime": c.get("endDateTime"), "customKeyIdentifier": c.get("customKeyIdentifier")}))
        .collect()
}

/// How long to wait for a fresh object to replicate before giving up.
pub fn default_replication() -> ReplicationPolicy {
    ReplicationPolicy {
        budget: Duration::from_secs(120),
        initial_delay: Duration::from_millis(500),
        max_delay: Duration::from_secs(10),
    }
}
