//! Carries out a plan against the tenant, one idempotent step at a time.
//!
//! Each action can be interrupted at any point and the next `apply` converges: objects are
//! created with their marker in the same request, a conflict on a role assignment means it
//! is already there, and a secret is written to its store before anything depends on it, so
//! a crash leaves at worst a credential no store holds, which the next plan removes. One
//! function per action: [`app`] for the emergency app and its service principal, [`users`]
//! for the emergency users and the exclusion group, [`policies`] for Conditional Access.

mod app;
mod policies;
mod users;

use std::collections::BTreeMap;
use std::time::Duration;

use breakglass_core::CloudProfile;
use breakglass_core::config::Config;
use breakglass_core::pass_policy::PassTerms;
use breakglass_core::plan::{Action, OwnedObject, Principal, describe};
use breakglass_entra::graph::Owned;
use breakglass_entra::{EntraError, GraphClient, ReplicationPolicy};

pub use app::remove_credential;
use policies::PolicyFailure;

use super::vault::Vault;
use crate::error::{Error, ErrorKind};

/// Reports each step as it starts and ends, so the CLI can show progress.
pub trait ApplyReporter {
    fn started(&mut self, index: usize, total: usize, description: &str);
    fn finished(&mut self, index: usize, detail: Option<String>);
    /// A step the tenant refused while the others go on (a Conditional Access policy that
    /// cannot be changed); apply fails at the end.
    fn refused(&mut self, _index: usize, _reason: &str) {}
}

/// The tenant facts apply needs beyond the plan.
#[derive(Clone, Debug)]
pub struct TenantFacts {
    pub tenant_id: String,
    pub initial_domain: String,
    pub authority_host: String,
    pub cloud_name: String,
}

impl TenantFacts {
    /// The facts of tenant `tenant_id` in the cloud of `profile`; `initial_domain` is needed
    /// only where users are made.
    pub fn new(tenant_id: String, initial_domain: String, profile: &CloudProfile) -> TenantFacts {
        TenantFacts {
            tenant_id,
            initial_domain,
            authority_host: profile
                .authority_host
                .as_str()
                .trim_end_matches('/')
                .to_string(),
            cloud_name: profile.name.clone(),
        }
    }
}

/// Ids learned while applying, so later actions can refer to objects made earlier.
#[derive(Default)]
struct Resolved {
    app_object_id: Option<String>,
    app_id: Option<String>,
    service_principal_id: Option<String>,
    group_id: Option<String>,
    app_policy_id: Option<String>,
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
    /// What the plan's Temporary Access Passes are asked for, fitted to the tenant's policy;
    /// breakglass's own terms when the policy could not be read.
    pub pass_terms: Option<PassTerms>,
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

/// A removal whose object is already gone is done.
fn gone_is_done(result: Result<(), EntraError>) -> Result<(), Error> {
    match result {
        Err(e) if e.status() != Some(404) => Err(e.into()),
        _ => Ok(()),
    }
}

/// A creation that conflicts with what is there is done, and says so.
fn there_is_done<T>(result: Result<T, EntraError>, already: &str) -> Result<Option<String>, Error> {
    match result {
        Ok(_) => Ok(None),
        Err(e) if is_conflict(&e) => Ok(Some(already.to_string())),
        Err(e) => Err(e.into()),
    }
}

/// Where a credential or an owner is: the app or its service principal.
fn holder(object: &OwnedObject) -> Owned {
    match object {
        OwnedObject::Application => Owned::Application,
        OwnedObject::ServicePrincipal => Owned::ServicePrincipal,
    }
}

impl Applier<'_> {
    /// Runs every action in order; stops at the first failure. Conditional Access policies
    /// that refuse their change are reported and skipped, and fail the apply at the end.
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
            app_policy_id: existing.app_policy_id,
            existing_user_names: existing.user_names,
            ..Resolved::default()
        };
        let mut refused: Vec<(String, Error)> = Vec::new();
        for (index, action) in actions.iter().enumerate() {
            reporter.started(index, actions.len(), &describe(action));
            if let Action::ExcludeGroupFromPolicy { policy_id, .. }
            | Action::ExcludeAppFromPolicy { policy_id, .. } = action
            {
                match self.exclude_from_policy(action, &resolved).await {
                    Ok(detail) => reporter.finished(index, detail),
                    Err(PolicyFailure::Refused(error)) => {
                        reporter.refused(index, &error.to_string());
                        refused.push((
                            format!("{} (policy id {policy_id})", describe(action)),
                            error,
                        ));
                    }
                    Err(PolicyFailure::Fatal(error)) => return Err(error),
                }
                continue;
            }
            let detail = self.run(action, &mut resolved).await?;
            reporter.finished(index, detail);
        }
        match refused.first() {
            None => Ok(()),
            Some((first, error)) => Err(policies::refused_summary(first, error, &refused)),
        }
    }

    /// One action, by the function that carries it out.
    async fn run(
        &mut self,
        action: &Action,
        resolved: &mut Resolved,
    ) -> Result<Option<String>, Error> {
        match action {
            Action::DeleteLeftoverApplication { id, .. } => self.delete_leftover_app(id).await,
            Action::CreateApplication { display_name } => {
                self.create_app(display_name, resolved).await
            }
            Action::UpdateApplication { .. } => self.update_app(resolved).await,
            Action::CreateServicePrincipal => self.create_service_principal(resolved).await,
            Action::EnableServicePrincipal => self.enable_service_principal(resolved).await,
            Action::CreateAppManagementPolicy { display_name } => {
                self.create_app_policy(display_name, resolved).await
            }
            Action::AssignAppManagementPolicy => self.assign_app_policy(resolved).await,
            Action::RemoveOwner {
                object, owner_id, ..
            } => self.remove_owner(object, owner_id, resolved).await,
            Action::RemoveCredential { key_id, on, .. } => {
                self.remove_credential(on, key_id, resolved).await
            }
            Action::AssignRole { principal, role } => {
                self.assign_role(principal, role, resolved).await
            }
            Action::GrantGraphPermission { permission } => {
                self.grant_permission(permission, resolved).await
            }
            Action::RevokeGraphPermission { grant_id, .. } => {
                self.revoke_permission(grant_id, resolved).await
            }
            Action::AddCredential { label, .. } => {
                self.add_declared_credential(label, resolved).await
            }
            Action::CreateGroup {
                display_name,
                mail_nickname,
            } => {
                self.create_group(display_name, mail_nickname, resolved)
                    .await
            }
            Action::CreateUser { ordinal } => {
                let (id, upn) = self.create_user(resolved).await?;
                resolved.new_users.insert(*ordinal, (id, upn.clone()));
                Ok(Some(upn))
            }
            Action::ResetUserPassword {
                id,
                user_principal_name,
            } => self.reset_password(id, user_principal_name).await,
            Action::EnableUser { id, .. } => self.enable_user(id).await,
            Action::AddGroupMember { principal } => self.add_member(principal, resolved).await,
            Action::ExcludeGroupFromPolicy { .. } | Action::ExcludeAppFromPolicy { .. } => {
                match self.exclude_from_policy(action, resolved).await {
                    Ok(detail) => Ok(detail),
                    Err(PolicyFailure::Refused(error) | PolicyFailure::Fatal(error)) => Err(error),
                }
            }
            Action::CreateTemporaryAccessPass { principal } => {
                self.create_pass(principal, resolved).await
            }
        }
    }

    fn app_object_id(&self, resolved: &Resolved) -> Result<String, Error> {
        resolved
            .app_object_id
            .clone()
            .ok_or_else(|| service_error("the emergency app is missing; plan again"))
    }

    fn app_id(&self, resolved: &Resolved) -> Result<String, Error> {
        resolved
            .app_id
            .clone()
            .ok_or_else(|| service_error("the emergency app is missing; plan again"))
    }

    fn service_principal_id(&self, resolved: &Resolved) -> Result<String, Error> {
        resolved
            .service_principal_id
            .clone()
            .ok_or_else(|| service_error("the emergency service principal is missing; plan again"))
    }

    /// The object id of the app or its service principal.
    fn holder_id(&self, object: &OwnedObject, resolved: &Resolved) -> Result<String, Error> {
        match object {
            OwnedObject::Application => self.app_object_id(resolved),
            OwnedObject::ServicePrincipal => self.service_principal_id(resolved),
        }
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
}

/// The ids of objects that already exist, from the observation the plan was made from.
#[derive(Clone, Debug, Default)]
pub struct ExistingIds {
    pub app_object_id: Option<String>,
    pub app_id: Option<String>,
    pub service_principal_id: Option<String>,
    pub group_id: Option<String>,
    pub user_names: Vec<String>,
    /// breakglass's own app management policy, when one was found.
    pub app_policy_id: Option<String>,
}

impl ExistingIds {
    pub fn from_observed(observed: &breakglass_core::plan::Observed) -> ExistingIds {
        let tenant = &observed.tenant;
        let app = tenant.emergency_app();
        ExistingIds {
            app_object_id: app.map(|a| a.id.clone()),
            app_id: app.map(|a| a.app_id.clone()),
            service_principal_id: tenant.service_principal.as_ref().map(|s| s.id.clone()),
            group_id: tenant.group.as_ref().map(|g| g.id.clone()),
            user_names: tenant
                .users
                .iter()
                .map(|u| u.user_principal_name.clone())
                .collect(),
            app_policy_id: tenant.own_app_policy.get().ok().cloned().flatten(),
        }
    }
}

/// How long to wait for a fresh object to replicate before giving up.
pub fn default_replication() -> ReplicationPolicy {
    ReplicationPolicy {
        budget: Duration::from_secs(120),
        initial_delay: Duration::from_millis(500),
        max_delay: Duration::from_secs(10),
    }
}
