//! The emergency app and its service principal: creating and repairing them, their owners,
//! credentials, directory role and Microsoft Graph permissions.

use breakglass_core::plan::{APP_NOTES, APP_TAG, OwnedObject, Principal};
use breakglass_core::roles::MICROSOFT_GRAPH_APP_ID;
use breakglass_core::{graph_permissions, roles};
use breakglass_entra::graph::Owned;
use breakglass_entra::graph::app_management::{AppManagementConfiguration, AppManagementPolicy};
use breakglass_entra::graph::models::{
    ApplicationPatch, KeyCredential, LockConfiguration, NewAppRoleAssignment, NewApplication,
    NewRoleAssignment, NewServicePrincipal, RedirectUris, ServicePrincipalPatch,
};
use breakglass_entra::{GraphClient, retry_while_replicating};

use super::{Applier, Resolved, gone_is_done, holder, is_conflict, service_error, there_is_done};
use crate::error::Error;
use crate::provision::credentials;

/// The audience of the emergency app: this tenant only.
const SINGLE_TENANT: &str = "AzureADMyOrg";

impl Applier<'_> {
    pub(super) async fn delete_leftover_app(&self, id: &str) -> Result<Option<String>, Error> {
        gone_is_done(self.graph.delete_application(id).await)?;
        Ok(None)
    }

    pub(super) async fn create_app(
        &self,
        display_name: &str,
        resolved: &mut Resolved,
    ) -> Result<Option<String>, Error> {
        let app = self
            .graph
            .create_application(&NewApplication {
                display_name: display_name.to_string(),
                sign_in_audience: Some(SINGLE_TENANT.into()),
                tags: vec![APP_TAG.into()],
                notes: Some(APP_NOTES.into()),
                service_principal_lock_configuration: Some(LockConfiguration::all(
                    self.config.app.lock_credentials,
                )),
                ..NewApplication::default()
            })
            .await?;
        let app_id = app.app_id.clone().unwrap_or_default();
        resolved.app_id = Some(app_id.clone());
        resolved.app_object_id = Some(app.id.clone());
        // An app-only caller becomes the owner of what it creates; the emergency app has none.
        self.remove_all_owners(Owned::Application, &app.id).await?;
        Ok(Some(format!("app id {app_id}")))
    }

    pub(super) async fn update_app(&self, resolved: &Resolved) -> Result<Option<String>, Error> {
        let id = self.app_object_id(resolved)?;
        let none = || Some(RedirectUris::default());
        let patch = ApplicationPatch {
            display_name: Some(self.config.app.name.clone()),
            sign_in_audience: Some(SINGLE_TENANT.into()),
            notes: Some(APP_NOTES.into()),
            web: none(),
            spa: none(),
            public_client: none(),
            service_principal_lock_configuration: Some(LockConfiguration::all(
                self.config.app.lock_credentials,
            )),
            key_credentials: None,
        };
        let graph = self.graph;
        retry_while_replicating(self.replication, || graph.update_application(&id, &patch)).await?;
        Ok(None)
    }

    pub(super) async fn create_service_principal(
        &self,
        resolved: &mut Resolved,
    ) -> Result<Option<String>, Error> {
        let app_id = self.app_id(resolved)?;
        let new = NewServicePrincipal {
            app_id: app_id.clone(),
            tags: vec![APP_TAG.into()],
            notes: Some(APP_NOTES.into()),
        };
        let graph = self.graph;
        let created =
            retry_while_replicating(self.replication, || graph.create_service_principal(&new))
                .await;
        let id = match created {
            Ok(sp) => sp.id,
            Err(e) if is_conflict(&e) => {
                graph
                    .service_principal_by_app_id(&app_id)
                    .await?
                    .ok_or_else(|| {
                        service_error("the service principal exists but cannot be read")
                    })?
                    .id
            }
            Err(e) => return Err(e.into()),
        };
        resolved.service_principal_id = Some(id.clone());
        self.remove_all_owners(Owned::ServicePrincipal, &id).await?;
        Ok(Some(format!("object id {id}")))
    }

    pub(super) async fn enable_service_principal(
        &self,
        resolved: &Resolved,
    ) -> Result<Option<String>, Error> {
        let id = self.service_principal_id(resolved)?;
        let patch = ServicePrincipalPatch {
            account_enabled: Some(true),
        };
        self.graph.update_service_principal(&id, &patch).await?;
        Ok(None)
    }

    pub(super) async fn remove_owner(
        &self,
        object: &OwnedObject,
        owner_id: &str,
        resolved: &Resolved,
    ) -> Result<Option<String>, Error> {
        let id = self.holder_id(object, resolved)?;
        gone_is_done(self.graph.remove_owner(holder(object), &id, owner_id).await)?;
        Ok(None)
    }

    pub(super) async fn remove_credential(
        &mut self,
        on: &OwnedObject,
        key_id: &str,
        resolved: &Resolved,
    ) -> Result<Option<String>, Error> {
        let id = self.holder_id(on, resolved)?;
        remove_credential(self.graph, holder(on), &id, key_id).await?;
        self.vault.forget(key_id)?;
        Ok(None)
    }

    pub(super) async fn assign_role(
        &self,
        principal: &Principal,
        role: &str,
        resolved: &Resolved,
    ) -> Result<Option<String>, Error> {
        let principal_id = self.principal_id(principal, resolved)?;
        let template = roles::by_name(role)
            .ok_or_else(|| service_error(format!("unknown role {role}")))?
            .template_id
            .to_string();
        let assignment = NewRoleAssignment::new(template, principal_id, "/");
        let graph = self.graph;
        let result = retry_while_replicating(self.replication, || {
            graph.create_role_assignment(&assignment)
        })
        .await;
        there_is_done(result, "already assigned")
    }

    pub(super) async fn grant_permission(
        &self,
        permission: &str,
        resolved: &mut Resolved,
    ) -> Result<Option<String>, Error> {
        let principal_id = self.service_principal_id(resolved)?;
        let resource_id = self.graph_service_principal(resolved).await?;
        let role = graph_permissions::by_value(permission)
            .ok_or_else(|| service_error(format!("unknown permission {permission}")))?;
        let grant = NewAppRoleAssignment {
            principal_id,
            resource_id,
            app_role_id: role.id.to_string(),
        };
        let graph = self.graph;
        let result =
            retry_while_replicating(self.replication, || graph.grant_app_role(&grant)).await;
        there_is_done(result, "already granted")
    }

    pub(super) async fn revoke_permission(
        &self,
        grant_id: &str,
        resolved: &Resolved,
    ) -> Result<Option<String>, Error> {
        let sp = self.service_principal_id(resolved)?;
        gone_is_done(self.graph.revoke_app_role(&sp, grant_id).await)?;
        Ok(None)
    }

    pub(super) async fn add_declared_credential(
        &mut self,
        label: &str,
        resolved: &Resolved,
    ) -> Result<Option<String>, Error> {
        let app_object_id = self.app_object_id(resolved)?;
        let app_id = self.app_id(resolved)?;
        let key_id = self.add_credential(label, &app_object_id, &app_id).await?;
        Ok(Some(format!("key id {key_id}")))
    }

    /// Microsoft Graph's service principal in this tenant, the resource of Graph permissions.
    async fn graph_service_principal(&self, resolved: &mut Resolved) -> Result<String, Error> {
        if let Some(id) = &resolved.graph_service_principal_id {
            return Ok(id.clone());
        }
        let id = self
            .graph
            .service_principal_by_app_id(&MICROSOFT_GRAPH_APP_ID.to_string())
            .await?
            .ok_or_else(|| {
                service_error("Microsoft Graph has no service principal in this tenant")
            })?
            .id;
        resolved.graph_service_principal_id = Some(id.clone());
        Ok(id)
    }

    async fn remove_all_owners(&self, owned: Owned, id: &str) -> Result<(), Error> {
        if !self.config.drift.remove_owners {
            return Ok(());
        }
        let graph = self.graph;
        let owners = retry_while_replicating(self.replication, || graph.owners(owned, id)).await?;
        for owner in owners {
            gone_is_done(graph.remove_owner(owned, id, &owner.id).await)?;
        }
        Ok(())
    }

    /// Makes a credential for `label` and writes it to its store. Returns its key id.
    ///
    /// Certificates go on through `PATCH keyCredentials`; `breakglass credential` uses the
    /// steps in [`credentials`] directly to sign `addKey` proofs and prove the new credential
    /// before storing it.
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
            &self.vault.tokens(),
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

/// Removes a secret or certificate by key id from an app or service principal; one that is
/// already gone is removed.
pub async fn remove_credential(
    graph: &GraphClient,
    on: Owned,
    object_id: &str,
    key_id: &str,
) -> Result<(), Error> {
    let (secrets, certificates) = graph.credentials_of(on, object_id).await?;
    let is = |id: &Option<String>| {
        id.as_deref()
            .is_some_and(|id| id.eq_ignore_ascii_case(key_id))
    };
    if secrets.iter().any(|c| is(&c.key_id)) {
        return gone_is_done(graph.remove_password_of(on, object_id, key_id).await);
    }
    if !certificates.iter().any(|c| is(&c.key_id)) {
        return Ok(());
    }
    let kept: Vec<KeyCredential> = certificates
        .into_iter()
        .filter(|c| !is(&c.key_id))
        .collect();
    graph.replace_key_credentials(on, object_id, &kept).await?;
    Ok(())
}

impl Applier<'_> {
    /// Creates breakglass's own app management policy: enabled, restricting no credential.
    pub(super) async fn create_app_policy(
        &self,
        display_name: &str,
        resolved: &mut Resolved,
    ) -> Result<Option<String>, Error> {
        let policy = AppManagementPolicy {
            display_name: display_name.to_string(),
            description: "Lets the emergency access app keep the credentials breakglass.toml declares. Managed by breakglass.".to_string(),
            is_enabled: Some(true),
            restrictions: Some(AppManagementConfiguration::default()),
            ..AppManagementPolicy::default()
        };
        let created = self.graph.create_app_management_policy(&policy).await?;
        resolved.app_policy_id = Some(created.id.clone());
        Ok(Some(format!("policy id {}", created.id)))
    }

    /// Assigns breakglass's own policy to the emergency app.
    pub(super) async fn assign_app_policy(
        &self,
        resolved: &mut Resolved,
    ) -> Result<Option<String>, Error> {
        let app = self.app_object_id(resolved)?;
        let policy = resolved.app_policy_id.clone().ok_or_else(|| {
            service_error("breakglass's app management policy is missing; plan again")
        })?;
        let graph = self.graph;
        retry_while_replicating(self.replication, || {
            graph.assign_app_management_policy(&app, &policy)
        })
        .await?;
        Ok(None)
    }
}
