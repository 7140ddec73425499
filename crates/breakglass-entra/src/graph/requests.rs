//! Typed Graph requests breakglass needs. All use v1.0 unless the name says beta.

use breakglass_core::cloud::GraphVersion::{Beta, V1};
use futures::stream::BoxStream;
use serde_json::json;

use super::models::*;
use super::{GraphClient, Query, odata_string, path_segment};
use crate::error::EntraError;

type Items<T> = BoxStream<'static, Result<T, EntraError>>;

/// The kinds of object in `directory/deletedItems`, addressed by OData cast.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeletedItemKind {
    Application,
    ServicePrincipal,
    User,
    Group,
}

impl DeletedItemKind {
    pub fn cast(self) -> &'static str {
        match self {
            DeletedItemKind::Application => "microsoft.graph.application",
            DeletedItemKind::ServicePrincipal => "microsoft.graph.servicePrincipal",
            DeletedItemKind::User => "microsoft.graph.user",
            DeletedItemKind::Group => "microsoft.graph.group",
        }
    }
}

/// An object that has owners.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owned {
    Application,
    ServicePrincipal,
    Group,
}

impl Owned {
    fn collection(self) -> &'static str {
        match self {
            Owned::Application => "applications",
            Owned::ServicePrincipal => "servicePrincipals",
            Owned::Group => "groups",
        }
    }
}

fn seg(id: &str) -> String {
    path_segment(id)
}

impl GraphClient {
    // ----- organization and domains -----

    /// `GET /organization` (the tenant itself).
    pub async fn organization(&self) -> Result<Vec<Organization>, EntraError> {
        self.list_all(V1, "organization", &Query::new()).await
    }

    /// `GET /domains`.
    pub async fn domains(&self) -> Result<Vec<Domain>, EntraError> {
        self.list_all(V1, "domains", &Query::new()).await
    }

    /// `GET /domains`, with the answer's `Date` (the tenant's clock).
    pub async fn domains_dated(&self) -> Result<(Vec<Domain>, Option<String>), EntraError> {
        self.list_all_dated(V1, "domains", &Query::new()).await
    }

    // ----- users -----

    /// `GET /users` with the first answer's `Date` (the tenant's clock).
    pub async fn users_dated(
        &self,
        query: &Query,
    ) -> Result<(Vec<User>, Option<String>), EntraError> {
        self.list_all_dated(V1, "users", query).await
    }

    /// `GET /users/{id or userPrincipalName}` with the answer's `Date` (the tenant's clock).
    pub async fn user_dated(
        &self,
        id_or_upn: &str,
        query: &Query,
    ) -> Result<(User, Option<String>), EntraError> {
        self.get_json_dated(V1, &format!("users/{}", seg(id_or_upn)), query)
            .await
    }

    /// `POST /users/{id}/revokeSignInSessions`: refresh tokens and session cookies stop working.
    pub async fn revoke_sign_in_sessions(&self, id: &str) -> Result<(), EntraError> {
        self.post_no_content::<serde_json::Value>(
            V1,
            &format!("users/{}/revokeSignInSessions", seg(id)),
            None,
        )
        .await
    }

    /// `GET /users` with `$select`/`$filter` etc.
    pub fn users(&self, query: &Query) -> Items<User> {
        self.list_json(V1, "users", query)
    }

    /// `GET /users/{id or userPrincipalName}`.
    pub async fn user(&self, id_or_upn: &str, query: &Query) -> Result<User, EntraError> {
        self.get_json(V1, &format!("users/{}", seg(id_or_upn)), query)
            .await
    }

    /// `GET /users/{id}/memberOf`: the groups (and directory roles) it is a direct member of.
    pub async fn member_of(
        &self,
        id: &str,
        query: &Query,
    ) -> Result<Vec<DirectoryObject>, EntraError> {
        self.list_all(V1, &format!("users/{}/memberOf", seg(id)), query)
            .await
    }

    /// `GET /users/{id}/authentication/methods`.
    pub async fn authentication_methods(
        &self,
        id: &str,
    ) -> Result<Vec<AuthenticationMethod>, EntraError> {
        self.list_all(
            V1,
            &format!("users/{}/authentication/methods", seg(id)),
            &Query::new(),
        )
        .await
    }

    /// `POST /users`.
    pub async fn create_user(&self, user: &NewUser) -> Result<User, EntraError> {
        self.post_json(V1, "users", &user.to_body()).await
    }

    /// `PATCH /users/{id}`.
    pub async fn update_user(&self, id: &str, patch: &UserPatch) -> Result<(), EntraError> {
        self.patch_json(V1, &format!("users/{}", seg(id)), &patch.to_body())
            .await
    }

    /// `DELETE /users/{id}` (soft delete: restorable for 30 days).
    pub async fn delete_user(&self, id: &str) -> Result<(), EntraError> {
        self.delete(V1, &format!("users/{}", seg(id))).await
    }

    // ----- applications -----

    /// `GET /applications` with `$filter` etc.
    pub fn applications(&self, query: &Query) -> Items<Application> {
        self.list_json(V1, "applications", query)
    }

    /// `GET /applications/{object id}`.
    pub async fn application(&self, id: &str, query: &Query) -> Result<Application, EntraError> {
        self.get_json(V1, &format!("applications/{}", seg(id)), query)
            .await
    }

    /// `GET /applications?$filter=appId eq '…'`: the application with this client id.
    pub async fn application_by_app_id(
        &self,
        app_id: &str,
    ) -> Result<Option<Application>, EntraError> {
        let query = Query::new().filter(format!("appId eq {}", odata_string(app_id)));
        let mut apps: Vec<Application> = self.list_all(V1, "applications", &query).await?;
        Ok(apps.pop())
    }

    /// `POST /applications`.
    pub async fn create_application(
        &self,
        app: &NewApplication,
    ) -> Result<Application, EntraError> {
        self.post_json(V1, "applications", app).await
    }

    /// `PATCH /applications/{id}`.
    pub async fn update_application(
        &self,
        id: &str,
        patch: &ApplicationPatch,
    ) -> Result<(), EntraError> {
        self.patch_json(V1, &format!("applications/{}", seg(id)), patch)
            .await
    }

    /// `DELETE /applications/{id}`.
    pub async fn delete_application(&self, id: &str) -> Result<(), EntraError> {
        self.delete(V1, &format!("applications/{}", seg(id))).await
    }

    /// `GET /applications/{id}/federatedIdentityCredentials`.
    pub async fn federated_identity_credentials(
        &self,
        id: &str,
    ) -> Result<Vec<FederatedIdentityCredential>, EntraError> {
        self.list_all(
            V1,
            &format!("applications/{}/federatedIdentityCredentials", seg(id)),
            &Query::new(),
        )
        .await
    }

    /// `POST /applications/{id}/addPassword`; the answer's `secret_text` is shown only once.
    pub async fn add_password(
        &self,
        id: &str,
        password: &NewPassword,
    ) -> Result<PasswordCredential, EntraError> {
        self.post_json(
            V1,
            &format!("applications/{}/addPassword", seg(id)),
            &json!({ "passwordCredential": password }),
        )
        .await
    }

    /// `POST /applications/{id}/removePassword`.
    pub async fn remove_password(&self, id: &str, key_id: &str) -> Result<(), EntraError> {
        self.post_no_content(
            V1,
            &format!("applications/{}/removePassword", seg(id)),
            Some(&json!({ "keyId": key_id })),
        )
        .await
    }

    /// `POST /applications/{id}/addKey`. Graph requires `proof`, a JWT signed by a key
    /// already on the application; for an application without certificates use
    /// [`GraphClient::set_key_credentials`] instead.
    pub async fn add_key(
        &self,
        id: &str,
        key: &NewKeyCredential,
        proof: &str,
    ) -> Result<KeyCredential, EntraError> {
        self.post_json(
            V1,
            &format!("applications/{}/addKey", seg(id)),
            &json!({ "keyCredential": key, "passwordCredential": null, "proof": proof }),
        )
        .await
    }

    /// `POST /applications/{id}/removeKey` (with a `proof` JWT, as for `addKey`).
    pub async fn remove_key(&self, id: &str, key_id: &str, proof: &str) -> Result<(), EntraError> {
        self.post_no_content(
            V1,
            &format!("applications/{}/removeKey", seg(id)),
            Some(&json!({ "keyId": key_id, "proof": proof })),
        )
        .await
    }

    /// `PATCH /applications/{id}` with `keyCredentials` (replaces all certificates).
    pub async fn set_key_credentials(
        &self,
        id: &str,
        keys: &[NewKeyCredential],
    ) -> Result<(), EntraError> {
        self.patch_json(
            V1,
            &format!("applications/{}", seg(id)),
            &json!({ "keyCredentials": keys }),
        )
        .await
    }

    /// The secrets and certificates of an application or service principal, certificates
    /// with their public `key` (Graph returns it only for one object asked by `$select`).
    pub async fn credentials_of(
        &self,
        holder: Owned,
        id: &str,
    ) -> Result<(Vec<PasswordCredential>, Vec<KeyCredential>), EntraError> {
        #[derive(serde::Deserialize, Default)]
        #[serde(rename_all = "camelCase", default)]
        struct Held {
            password_credentials: Vec<PasswordCredential>,
            key_credentials: Vec<KeyCredential>,
        }
        let held: Held = self
            .get_json(
                V1,
                &format!("{}/{}", holder.collection(), seg(id)),
                &Query::new().select(["passwordCredentials", "keyCredentials"]),
            )
            .await?;
        Ok((held.password_credentials, held.key_credentials))
    }

    /// `POST /{applications|servicePrincipals}/{id}/removePassword`.
    pub async fn remove_password_of(
        &self,
        holder: Owned,
        id: &str,
        key_id: &str,
    ) -> Result<(), EntraError> {
        self.post_no_content(
            V1,
            &format!("{}/{}/removePassword", holder.collection(), seg(id)),
            Some(&json!({ "keyId": key_id })),
        )
        .await
    }

    /// `PATCH /{applications|servicePrincipals}/{id}` with `keyCredentials`: the certificates
    /// listed are all that remain (each named by key id with its `key`), new ones included.
    pub async fn replace_key_credentials(
        &self,
        holder: Owned,
        id: &str,
        keys: &[KeyCredential],
    ) -> Result<(), EntraError> {
        self.patch_json(
            V1,
            &format!("{}/{}", holder.collection(), seg(id)),
            &json!({ "keyCredentials": keys }),
        )
        .await
    }

    // ----- service principals -----

    /// `GET /servicePrincipals`.
    pub fn service_principals(&self, query: &Query) -> Items<ServicePrincipal> {
        self.list_json(V1, "servicePrincipals", query)
    }

    /// `GET /servicePrincipals/{id}`.
    pub async fn service_principal(
        &self,
        id: &str,
        query: &Query,
    ) -> Result<ServicePrincipal, EntraError> {
        self.get_json(V1, &format!("servicePrincipals/{}", seg(id)), query)
            .await
    }

    /// The service principal of the app with this client id, if any.
    pub async fn service_principal_by_app_id(
        &self,
        app_id: &str,
    ) -> Result<Option<ServicePrincipal>, EntraError> {
        let query = Query::new().filter(format!("appId eq {}", odata_string(app_id)));
        let mut sps: Vec<ServicePrincipal> = self.list_all(V1, "servicePrincipals", &query).await?;
        Ok(sps.pop())
    }

    /// `POST /servicePrincipals` for an application's client id. Right after creating the
    /// application this can fail with replication delay; wrap it in
    /// [`super::retry_while_replicating`].
    pub async fn create_service_principal(
        &self,
        service_principal: &NewServicePrincipal,
    ) -> Result<ServicePrincipal, EntraError> {
        self.post_json(V1, "servicePrincipals", service_principal)
            .await
    }

    /// `PATCH /servicePrincipals/{id}`.
    pub async fn update_service_principal(
        &self,
        id: &str,
        patch: &ServicePrincipalPatch,
    ) -> Result<(), EntraError> {
        self.patch_json(V1, &format!("servicePrincipals/{}", seg(id)), patch)
            .await
    }

    /// `GET /servicePrincipals/{id}/appRoleAssignments`: the application permissions it holds.
    pub async fn app_role_assignments(
        &self,
        service_principal_id: &str,
    ) -> Result<Vec<AppRoleAssignment>, EntraError> {
        self.list_all(
            V1,
            &format!(
                "servicePrincipals/{}/appRoleAssignments",
                seg(service_principal_id)
            ),
            &Query::new(),
        )
        .await
    }

    /// `GET /servicePrincipals/{id}/appRoleAssignedTo`: who holds the app roles of a resource.
    /// Pages of 999, Graph's largest: Microsoft Graph's grants in a tenant of 20,000 apps are
    /// 200 pages of the default 100, each a round trip the audit waits for.
    pub async fn app_role_assigned_to(
        &self,
        resource_id: &str,
    ) -> Result<Vec<AppRoleAssignment>, EntraError> {
        self.list_all(
            V1,
            &format!("servicePrincipals/{}/appRoleAssignedTo", seg(resource_id)),
            &Query::new().top(999),
        )
        .await
    }

    /// `POST /servicePrincipals/{id}/appRoleAssignments`: grant an application permission.
    pub async fn grant_app_role(
        &self,
        grant: &NewAppRoleAssignment,
    ) -> Result<AppRoleAssignment, EntraError> {
        self.post_json(
            V1,
            &format!(
                "servicePrincipals/{}/appRoleAssignments",
                seg(&grant.principal_id)
            ),
            grant,
        )
        .await
    }

    /// `DELETE /servicePrincipals/{id}/appRoleAssignments/{assignment id}`.
    pub async fn revoke_app_role(
        &self,
        service_principal_id: &str,
        assignment_id: &str,
    ) -> Result<(), EntraError> {
        self.delete(
            V1,
            &format!(
                "servicePrincipals/{}/appRoleAssignments/{}",
                seg(service_principal_id),
                seg(assignment_id)
            ),
        )
        .await
    }

    /// `DELETE /servicePrincipals/{id}`.
    pub async fn delete_service_principal(&self, id: &str) -> Result<(), EntraError> {
        self.delete(V1, &format!("servicePrincipals/{}", seg(id)))
            .await
    }

    // ----- owners -----

    /// `GET /{applications|servicePrincipals|groups}/{id}/owners`.
    pub async fn owners(&self, owned: Owned, id: &str) -> Result<Vec<DirectoryObject>, EntraError> {
        self.list_all(
            V1,
            &format!("{}/{}/owners", owned.collection(), seg(id)),
            &Query::new().select(["id", "displayName", "userPrincipalName", "appId"]),
        )
        .await
    }

    /// `POST /{collection}/{id}/owners/$ref` adding the directory object `owner_id`.
    pub async fn add_owner(
        &self,
        owned: Owned,
        id: &str,
        owner_id: &str,
    ) -> Result<(), EntraError> {
        let reference = format!("{}directoryObjects/{}", self.base(V1), seg(owner_id));
        self.post_no_content(
            V1,
            &format!("{}/{}/owners/$ref", owned.collection(), seg(id)),
            Some(&json!({ "@odata.id": reference })),
        )
        .await
    }

    /// `DELETE /{collection}/{id}/owners/{owner id}/$ref`.
    pub async fn remove_owner(
        &self,
        owned: Owned,
        id: &str,
        owner_id: &str,
    ) -> Result<(), EntraError> {
        self.delete(
            V1,
            &format!(
                "{}/{}/owners/{}/$ref",
                owned.collection(),
                seg(id),
                seg(owner_id)
            ),
        )
        .await
    }

    // ----- directory roles -----

    /// `GET /roleManagement/directory/roleDefinitions`.
    pub async fn role_definitions(
        &self,
        query: &Query,
    ) -> Result<Vec<UnifiedRoleDefinition>, EntraError> {
        self.list_all(V1, "roleManagement/directory/roleDefinitions", query)
            .await
    }

    /// `GET /roleManagement/directory/roleAssignments`, e.g. with
    /// `$filter=roleDefinitionId eq '…'` and `$expand=principal`.
    pub fn role_assignments(&self, query: &Query) -> Items<UnifiedRoleAssignment> {
        self.list_json(V1, "roleManagement/directory/roleAssignments", query)
    }

    /// `GET /roleManagement/directory/roleEligibilityScheduleInstances` (PIM, Microsoft Entra
    /// ID P2), e.g. with `$expand=principal`.
    pub async fn role_eligibilities(
        &self,
        query: &Query,
    ) -> Result<Vec<UnifiedRoleEligibilityScheduleInstance>, EntraError> {
        self.list_all(
            V1,
            "roleManagement/directory/roleEligibilityScheduleInstances",
            query,
        )
        .await
    }

    /// `POST /roleManagement/directory/roleAssignments`.
    pub async fn create_role_assignment(
        &self,
        assignment: &NewRoleAssignment,
    ) -> Result<UnifiedRoleAssignment, EntraError> {
        self.post_json(V1, "roleManagement/directory/roleAssignments", assignment)
            .await
    }

    /// `DELETE /roleManagement/directory/roleAssignments/{id}`.
    pub async fn delete_role_assignment(&self, id: &str) -> Result<(), EntraError> {
        self.delete(
            V1,
            &format!("roleManagement/directory/roleAssignments/{}", seg(id)),
        )
        .await
    }

    // ----- groups -----

    /// `GET /groups`.
    pub fn groups(&self, query: &Query) -> Items<Group> {
        self.list_json(V1, "groups", query)
    }

    /// `GET /groups/{id}`.
    pub async fn group(&self, id: &str, query: &Query) -> Result<Group, EntraError> {
        self.get_json(V1, &format!("groups/{}", seg(id)), query)
            .await
    }

    /// `POST /groups`.
    pub async fn create_group(&self, group: &NewGroup) -> Result<Group, EntraError> {
        self.post_json(V1, "groups", group).await
    }

    /// `DELETE /groups/{id}`.
    pub async fn delete_group(&self, id: &str) -> Result<(), EntraError> {
        self.delete(V1, &format!("groups/{}", seg(id))).await
    }

    /// `GET /groups/{id}/members`.
    pub fn group_members(&self, id: &str, query: &Query) -> Items<DirectoryObject> {
        self.list_json(V1, &format!("groups/{}/members", seg(id)), query)
    }

    /// `POST /groups/{id}/members/$ref`.
    pub async fn add_group_member(&self, id: &str, member_id: &str) -> Result<(), EntraError> {
        let reference = format!("{}directoryObjects/{}", self.base(V1), seg(member_id));
        self.post_no_content(
            V1,
            &format!("groups/{}/members/$ref", seg(id)),
            Some(&json!({ "@odata.id": reference })),
        )
        .await
    }

    /// `DELETE /groups/{id}/members/{member id}/$ref`.
    pub async fn remove_group_member(&self, id: &str, member_id: &str) -> Result<(), EntraError> {
        self.delete(
            V1,
            &format!("groups/{}/members/{}/$ref", seg(id), seg(member_id)),
        )
        .await
    }

    // ----- deleted items -----

    /// `GET /directory/deletedItems/{cast}`.
    pub async fn deleted_items(
        &self,
        kind: DeletedItemKind,
        query: &Query,
    ) -> Result<Vec<DirectoryObject>, EntraError> {
        self.list_all(
            V1,
            &format!("directory/deletedItems/{}", kind.cast()),
            query,
        )
        .await
    }

    /// `GET /directory/deletedItems/microsoft.graph.user`: deleted users, not yet purged.
    pub async fn deleted_users(&self, query: &Query) -> Result<Vec<User>, EntraError> {
        self.list_all(
            V1,
            &format!("directory/deletedItems/{}", DeletedItemKind::User.cast()),
            query,
        )
        .await
    }

    /// `POST /directory/deletedItems/{id}/restore`.
    pub async fn restore_deleted_item(&self, id: &str) -> Result<DirectoryObject, EntraError> {
        self.post_json(
            V1,
            &format!("directory/deletedItems/{}/restore", seg(id)),
            &json!({}),
        )
        .await
    }

    /// `DELETE /directory/deletedItems/{id}` (permanent).
    pub async fn permanently_delete_item(&self, id: &str) -> Result<(), EntraError> {
        self.delete(V1, &format!("directory/deletedItems/{}", seg(id)))
            .await
    }

    // ----- Temporary Access Pass -----

    /// `GET /users/{id}/authentication/temporaryAccessPassMethods`.
    pub async fn temporary_access_passes(
        &self,
        user: &str,
    ) -> Result<Vec<TemporaryAccessPass>, EntraError> {
        self.list_all(
            V1,
            &format!(
                "users/{}/authentication/temporaryAccessPassMethods",
                seg(user)
            ),
            &Query::new(),
        )
        .await
    }

    /// `POST /users/{id}/authentication/temporaryAccessPassMethods`; the pass is in the answer only.
    pub async fn create_temporary_access_pass(
        &self,
        user: &str,
        pass: &NewTemporaryAccessPass,
    ) -> Result<TemporaryAccessPass, EntraError> {
        self.post_json(
            V1,
            &format!(
                "users/{}/authentication/temporaryAccessPassMethods",
                seg(user)
            ),
            pass,
        )
        .await
    }

    /// `DELETE /users/{id}/authentication/temporaryAccessPassMethods/{method id}`.
    pub async fn delete_temporary_access_pass(
        &self,
        user: &str,
        method_id: &str,
    ) -> Result<(), EntraError> {
        self.delete(
            V1,
            &format!(
                "users/{}/authentication/temporaryAccessPassMethods/{}",
                seg(user),
                seg(method_id)
            ),
        )
        .await
    }

    // ----- Conditional Access -----

    /// `GET /identity/conditionalAccess/policies`.
    pub async fn conditional_access_policies(
        &self,
    ) -> Result<Vec<ConditionalAccessPolicy>, EntraError> {
        self.list_all(V1, "identity/conditionalAccess/policies", &Query::new())
            .await
    }

    // ----- audit logs -----

    /// `GET /auditLogs/directoryAudits` with `$filter`.
    /// `GET /identity/conditionalAccess/policies/{id}`.
    pub async fn conditional_access_policy(
        &self,
        id: &str,
    ) -> Result<ConditionalAccessPolicy, EntraError> {
        self.get_json(
            V1,
            &format!("identity/conditionalAccess/policies/{}", seg(id)),
            &Query::new(),
        )
        .await
    }

    /// `PATCH /identity/conditionalAccess/policies/{id}` setting one exclusion list only.
    pub async fn set_policy_exclusions(
        &self,
        id: &str,
        patch: &ExclusionPatch,
    ) -> Result<(), EntraError> {
        self.patch_json(
            V1,
            &format!("identity/conditionalAccess/policies/{}", seg(id)),
            &patch.to_body(),
        )
        .await
    }

    pub fn directory_audits(&self, query: &Query) -> Items<DirectoryAudit> {
        self.list_json(V1, "auditLogs/directoryAudits", query)
    }

    /// `GET /auditLogs/signIns` (v1.0: interactive user sign-ins) with `$filter`.
    pub fn sign_ins(&self, query: &Query) -> Items<SignIn> {
        self.list_json(V1, "auditLogs/signIns", query)
    }

    /// `GET /auditLogs/signIns` (v1.0) as Graph sent the records, every property kept: the
    /// watcher matches them with the rules `scan` applies to exported logs.
    pub async fn sign_in_records(
        &self,
        query: &Query,
    ) -> Result<Vec<serde_json::Value>, EntraError> {
        self.list_all(V1, "auditLogs/signIns", query).await
    }

    /// `GET /auditLogs/directoryAudits` as Graph sent the records, every property kept.
    pub async fn directory_audit_records(
        &self,
        query: &Query,
    ) -> Result<Vec<serde_json::Value>, EntraError> {
        self.list_all(V1, "auditLogs/directoryAudits", query).await
    }

    /// Service principal sign-ins (Graph beta; v1.0 has none) as Graph sent the records,
    /// filtered as [`GraphClient::service_principal_sign_ins_beta`].
    pub async fn service_principal_sign_in_records_beta(
        &self,
        extra_filter: &str,
    ) -> Result<Vec<serde_json::Value>, EntraError> {
        let query = Query::new().filter(format!(
            "signInEventTypes/any(t: t eq 'servicePrincipal') and {extra_filter}"
        ));
        self.list_all(Beta, "auditLogs/signIns", &query).await
    }

    /// `GET /organization` with the answer's `Date` (the tenant's clock).
    pub async fn organization_dated(
        &self,
    ) -> Result<(Vec<Organization>, Option<String>), EntraError> {
        self.list_all_dated(V1, "organization", &Query::new()).await
    }

    /// `GET /beta/auditLogs/signIns?$filter=signInEventTypes/any(t: t eq 'servicePrincipal')`,
    /// combined with `extra_filter` (e.g. `appId eq '…'`) when given.
    pub fn service_principal_sign_ins_beta(
        &self,
        extra_filter: Option<&str>,
        top: Option<u32>,
    ) -> Items<SignIn> {
        let mut filter = "signInEventTypes/any(t: t eq 'servicePrincipal')".to_string();
        if let Some(extra) = extra_filter {
            filter = format!("{filter} and {extra}");
        }
        let mut query = Query::new().filter(filter);
        if let Some(top) = top {
            query = query.top(top);
        }
        self.list_json(Beta, "auditLogs/signIns", &query)
    }
}
