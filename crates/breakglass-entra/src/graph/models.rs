//! Microsoft Graph v1.0 resources, with the properties breakglass uses. Names follow the
//! Graph schema (camelCase); unknown properties are ignored. Secret values
//! (`secretText`, `temporaryAccessPass`) are [`SecretString`]s and never serialized.

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

/// `organization`
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Organization {
    pub id: String,
    pub display_name: Option<String>,
    pub tenant_type: Option<String>,
    pub verified_domains: Vec<VerifiedDomain>,
    pub created_date_time: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct VerifiedDomain {
    pub name: String,
    pub is_default: Option<bool>,
    pub is_initial: Option<bool>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// `domain`
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Domain {
    pub id: String,
    pub authentication_type: Option<String>,
    pub is_default: Option<bool>,
    pub is_initial: Option<bool>,
    pub is_verified: Option<bool>,
    pub is_root: Option<bool>,
}

/// `user`
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct User {
    pub id: String,
    pub display_name: Option<String>,
    pub user_principal_name: Option<String>,
    pub account_enabled: Option<bool>,
    pub mail: Option<String>,
    pub mail_nickname: Option<String>,
    pub user_type: Option<String>,
    pub created_date_time: Option<String>,
    pub deleted_date_time: Option<String>,
    pub on_premises_sync_enabled: Option<bool>,
    /// Only with `$select=signInActivity` (Microsoft Entra ID P1).
    pub sign_in_activity: Option<SignInActivity>,
    pub usage_location: Option<String>,
    pub employee_type: Option<String>,
    pub company_name: Option<String>,
}

/// `signInActivity` of a user.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SignInActivity {
    pub last_sign_in_date_time: Option<String>,
    pub last_successful_sign_in_date_time: Option<String>,
    pub last_non_interactive_sign_in_date_time: Option<String>,
}

/// `passwordProfile` for creating a user. The password is secret and serialized only
/// into the create request.
#[derive(Clone, Debug)]
pub struct PasswordProfile {
    pub password: SecretString,
    pub force_change_password_next_sign_in: bool,
}

/// The body of `POST /users`.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub account_enabled: bool,
    pub display_name: String,
    pub mail_nickname: String,
    pub user_principal_name: String,
    pub password_profile: PasswordProfile,
    pub usage_location: Option<String>,
    /// breakglass marks its users here (`breakglass:emergency-access`, a lease).
    pub employee_type: Option<String>,
    pub company_name: Option<String>,
}

impl NewUser {
    /// The JSON body (holds the password; never log it).
    pub(crate) fn to_body(&self) -> serde_json::Value {
        use secrecy::ExposeSecret;
        let mut body = serde_json::json!({
            "accountEnabled": self.account_enabled,
            "displayName": self.display_name,
            "mailNickname": self.mail_nickname,
            "userPrincipalName": self.user_principal_name,
            "passwordProfile": {
                "password": self.password_profile.password.expose_secret(),
                "forceChangePasswordNextSignIn": self.password_profile.force_change_password_next_sign_in,
            },
        });
        if let Some(location) = &self.usage_location {
            body["usageLocation"] = serde_json::Value::String(location.clone());
        }
        if let Some(employee_type) = &self.employee_type {
            body["employeeType"] = serde_json::Value::String(employee_type.clone());
        }
        if let Some(company) = &self.company_name {
            body["companyName"] = serde_json::Value::String(company.clone());
        }
        body
    }
}

/// The body of `PATCH /users/{id}`: only what is set is sent.
#[derive(Clone, Debug, Default)]
pub struct UserPatch {
    pub account_enabled: Option<bool>,
    pub employee_type: Option<String>,
    /// A new password, set without asking for a change at the next sign-in.
    pub password: Option<SecretString>,
}

impl UserPatch {
    /// The JSON body (may hold a password; never log it).
    pub(crate) fn to_body(&self) -> serde_json::Value {
        use secrecy::ExposeSecret;
        let mut body = serde_json::Map::new();
        if let Some(enabled) = self.account_enabled {
            body.insert("accountEnabled".into(), enabled.into());
        }
        if let Some(employee_type) = &self.employee_type {
            body.insert("employeeType".into(), employee_type.clone().into());
        }
        if let Some(password) = &self.password {
            body.insert(
                "passwordProfile".into(),
                serde_json::json!({
                    "forceChangePasswordNextSignIn": false,
                    "password": password.expose_secret(),
                }),
            );
        }
        serde_json::Value::Object(body)
    }
}

/// `passwordCredential`
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PasswordCredential {
    pub key_id: Option<String>,
    pub display_name: Option<String>,
    pub hint: Option<String>,
    pub start_date_time: Option<String>,
    pub end_date_time: Option<String>,
    /// Only in the `addPassword` answer.
    #[serde(skip_serializing)]
    pub secret_text: Option<SecretString>,
}

/// `keyCredential`
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct KeyCredential {
    pub key_id: Option<String>,
    pub display_name: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub usage: Option<String>,
    /// Base64 certificate; returned only with `$select=keyCredentials` on one object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    pub custom_key_identifier: Option<String>,
    pub start_date_time: Option<String>,
    pub end_date_time: Option<String>,
}

/// `application`
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Application {
    pub id: String,
    pub app_id: Option<String>,
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub notes: Option<String>,
    pub sign_in_audience: Option<String>,
    pub created_date_time: Option<String>,
    pub deleted_date_time: Option<String>,
    pub tags: Vec<String>,
    pub password_credentials: Vec<PasswordCredential>,
    pub key_credentials: Vec<KeyCredential>,
    pub required_resource_access: Vec<RequiredResourceAccess>,
    pub is_fallback_public_client: Option<bool>,
    pub service_principal_lock_configuration: Option<LockConfiguration>,
    pub web: Option<RedirectUris>,
    pub spa: Option<RedirectUris>,
    pub public_client: Option<RedirectUris>,
}

/// `servicePrincipalLockConfiguration`: which properties of the app's service principals
/// cannot be changed, the credentials above all.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", default)]
pub struct LockConfiguration {
    pub is_enabled: bool,
    pub all_properties: bool,
    pub credentials_with_usage_verify: bool,
    pub credentials_with_usage_sign: bool,
    pub token_encryption_key_id: bool,
}

impl LockConfiguration {
    /// Everything locked, or nothing.
    pub fn all(locked: bool) -> LockConfiguration {
        LockConfiguration {
            is_enabled: locked,
            all_properties: locked,
            credentials_with_usage_verify: locked,
            credentials_with_usage_sign: locked,
            token_encryption_key_id: locked,
        }
    }

    /// Whether the credentials of the app's service principals are locked.
    pub fn locks_credentials(&self) -> bool {
        self.is_enabled && (self.all_properties || self.credentials_with_usage_verify)
    }
}

/// The redirect URIs of `web`, `spa` or `publicClient`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", default)]
pub struct RedirectUris {
    pub redirect_uris: Vec<String>,
}

/// The body of `PATCH /applications/{id}`: only what is set is sent.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationPatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sign_in_audience: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub web: Option<RedirectUris>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spa: Option<RedirectUris>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_client: Option<RedirectUris>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_principal_lock_configuration: Option<LockConfiguration>,
    /// Replaces every certificate: those to keep are named by key id with their `key`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_credentials: Option<Vec<KeyCredential>>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", default)]
pub struct RequiredResourceAccess {
    pub resource_app_id: String,
    pub resource_access: Vec<ResourceAccess>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", default)]
pub struct ResourceAccess {
    pub id: String,
    /// `Role` (application permission) or `Scope` (delegated).
    #[serde(rename = "type")]
    pub kind: String,
}

/// The body of `POST /applications` (other properties can go in `extra`).
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewApplication {
    pub display_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sign_in_audience: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub required_resource_access: Vec<RequiredResourceAccess>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_principal_lock_configuration: Option<LockConfiguration>,
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// The body of `addPassword`.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewPassword {
    pub display_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_date_time: Option<String>,
}

/// The `keyCredential` of `addKey`/`PATCH keyCredentials`: a certificate's public part.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewKeyCredential {
    pub display_name: String,
    /// `AsymmetricX509Cert`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `Verify`.
    pub usage: String,
    /// Base64 of the certificate DER.
    pub key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_date_time: Option<String>,
}

/// `servicePrincipal`
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ServicePrincipal {
    pub id: String,
    pub app_id: Option<String>,
    pub display_name: Option<String>,
    pub account_enabled: Option<bool>,
    pub service_principal_type: Option<String>,
    pub app_owner_organization_id: Option<String>,
    pub tags: Vec<String>,
    pub password_credentials: Vec<PasswordCredential>,
    pub key_credentials: Vec<KeyCredential>,
    pub app_roles: Vec<AppRole>,
}

/// The body of `POST /servicePrincipals`.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewServicePrincipal {
    pub app_id: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

/// The body of `PATCH /servicePrincipals/{id}`.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServicePrincipalPatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_enabled: Option<bool>,
}

/// `appRoleAssignment`: an application permission (an app role of `resource_id`) held by
/// `principal_id`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AppRoleAssignment {
    pub id: String,
    pub app_role_id: String,
    pub principal_id: String,
    pub principal_display_name: Option<String>,
    pub principal_type: Option<String>,
    pub resource_id: String,
    pub resource_display_name: Option<String>,
}

/// The body of `POST /servicePrincipals/{id}/appRoleAssignments`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewAppRoleAssignment {
    pub principal_id: String,
    pub resource_id: String,
    pub app_role_id: String,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AppRole {
    pub id: String,
    pub value: Option<String>,
    pub display_name: Option<String>,
    pub allowed_member_types: Vec<String>,
    pub is_enabled: Option<bool>,
}

/// Any directory object (owners, members, role assignment principals, deleted items).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DirectoryObject {
    #[serde(rename = "@odata.type", skip_serializing_if = "Option::is_none")]
    pub odata_type: Option<String>,
    pub id: String,
    pub display_name: Option<String>,
    pub user_principal_name: Option<String>,
    pub app_id: Option<String>,
    pub deleted_date_time: Option<String>,
}

impl DirectoryObject {
    /// `user`, `servicePrincipal`, `group`, … from `@odata.type`.
    pub fn kind(&self) -> Option<&str> {
        self.odata_type
            .as_deref()
            .map(|t| t.trim_start_matches("#microsoft.graph."))
    }
}

/// `federatedIdentityCredential`: tokens of another identity provider that sign in as the app.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FederatedIdentityCredential {
    pub id: String,
    pub name: String,
    pub issuer: String,
    pub subject: String,
    pub audiences: Vec<String>,
    pub description: Option<String>,
}

/// `authenticationMethod`: only its kind (`@odata.type`) and id.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct AuthenticationMethod {
    #[serde(rename = "@odata.type")]
    pub odata_type: String,
    pub id: String,
}

/// `unifiedRoleEligibilityScheduleInstance`: a PIM-eligible role assignment.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UnifiedRoleEligibilityScheduleInstance {
    pub id: String,
    pub role_definition_id: String,
    pub principal_id: String,
    pub directory_scope_id: Option<String>,
    pub start_date_time: Option<String>,
    pub end_date_time: Option<String>,
    /// With `$expand=principal`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<DirectoryObject>,
}

/// `unifiedRoleDefinition`
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UnifiedRoleDefinition {
    pub id: String,
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub template_id: Option<String>,
    pub is_built_in: Option<bool>,
    pub is_enabled: Option<bool>,
}

/// `unifiedRoleAssignment`
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UnifiedRoleAssignment {
    pub id: String,
    pub role_definition_id: String,
    pub principal_id: String,
    pub directory_scope_id: Option<String>,
    pub app_scope_id: Option<String>,
    /// With `$expand=principal`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<DirectoryObject>,
}

/// The body of `POST roleAssignments`.
#[derive(Clone, Debug)]
pub struct NewRoleAssignment {
    pub role_definition_id: String,
    pub principal_id: String,
    /// `/` for the whole directory.
    pub directory_scope_id: String,
}

impl NewRoleAssignment {
    pub fn new(
        role_definition_id: impl Into<String>,
        principal_id: impl Into<String>,
        directory_scope_id: impl Into<String>,
    ) -> NewRoleAssignment {
        NewRoleAssignment {
            role_definition_id: role_definition_id.into(),
            principal_id: principal_id.into(),
            directory_scope_id: directory_scope_id.into(),
        }
    }
}

/// Sent with its `@odata.type`, as Graph's reference sends it.
impl Serialize for NewRoleAssignment {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct as _;
        let mut body = serializer.serialize_struct("NewRoleAssignment", 4)?;
        body.serialize_field("@odata.type", "#microsoft.graph.unifiedRoleAssignment")?;
        body.serialize_field("roleDefinitionId", &self.role_definition_id)?;
        body.serialize_field("principalId", &self.principal_id)?;
        body.serialize_field("directoryScopeId", &self.directory_scope_id)?;
        body.end()
    }
}

/// `group`
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Group {
    pub id: String,
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub mail_nickname: Option<String>,
    pub mail_enabled: Option<bool>,
    pub security_enabled: Option<bool>,
    pub is_assignable_to_role: Option<bool>,
    pub group_types: Vec<String>,
    pub created_date_time: Option<String>,
}

/// The body of `POST /groups` (a security group).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewGroup {
    pub display_name: String,
    pub mail_nickname: String,
    pub mail_enabled: bool,
    pub security_enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_assignable_to_role: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `temporaryAccessPassAuthenticationMethod`
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TemporaryAccessPass {
    pub id: String,
    /// Only in the create answer.
    #[serde(skip_serializing)]
    pub temporary_access_pass: Option<SecretString>,
    pub created_date_time: Option<String>,
    pub start_date_time: Option<String>,
    pub lifetime_in_minutes: Option<u32>,
    pub is_usable_once: Option<bool>,
    pub is_usable: Option<bool>,
    pub method_usability_reason: Option<String>,
}

/// The body of `POST temporaryAccessPassMethods`.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewTemporaryAccessPass {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_date_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifetime_in_minutes: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_usable_once: Option<bool>,
}

/// `conditionalAccessPolicy`
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConditionalAccessPolicy {
    pub id: String,
    pub display_name: Option<String>,
    /// `enabled`, `disabled`, `enabledForReportingButNotEnforced`.
    pub state: Option<String>,
    pub created_date_time: Option<String>,
    pub modified_date_time: Option<String>,
    pub conditions: Option<ConditionalAccessConditionSet>,
    pub grant_controls: Option<ConditionalAccessGrantControls>,
    pub session_controls: Option<serde_json::Value>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConditionalAccessConditionSet {
    pub users: Option<ConditionalAccessUsers>,
    pub applications: Option<ConditionalAccessApplications>,
    pub client_app_types: Vec<String>,
    pub platforms: Option<serde_json::Value>,
    pub locations: Option<serde_json::Value>,
    pub sign_in_risk_levels: Vec<String>,
    pub user_risk_levels: Vec<String>,
    pub client_applications: Option<ConditionalAccessClientApplications>,
}

/// `conditions.clientApplications`: the workload identities a policy applies to.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConditionalAccessClientApplications {
    /// Service principal object ids, or `ServicePrincipalsInMyTenant`.
    pub include_service_principals: Vec<String>,
    pub exclude_service_principals: Vec<String>,
    /// Every other property as Graph returned it (`servicePrincipalFilter`, and whatever
    /// Microsoft adds), so that the object sent back in a PATCH loses none of it.
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

/// A `PATCH` of a Conditional Access policy that changes one exclusion list. It sends the
/// whole `conditions.users` (or `conditions.clientApplications`) object as just read, with
/// only that list changed: Graph keeps the properties and conditions a PATCH leaves out, but
/// whether it merges a partial object below `conditions` is not documented, so nothing here
/// relies on it.
#[derive(Clone, Debug)]
pub enum ExclusionPatch {
    /// `conditions.users`, with `excludeGroups` changed.
    Users(ConditionalAccessUsers),
    /// `conditions.clientApplications`, with `excludeServicePrincipals` changed.
    ClientApplications(ConditionalAccessClientApplications),
}

impl ExclusionPatch {
    pub(crate) fn to_body(&self) -> serde_json::Value {
        match self {
            ExclusionPatch::Users(users) => serde_json::json!({"conditions": {"users": users}}),
            ExclusionPatch::ClientApplications(applications) => {
                serde_json::json!({"conditions": {"clientApplications": applications}})
            }
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConditionalAccessUsers {
    pub include_users: Vec<String>,
    pub exclude_users: Vec<String>,
    pub include_groups: Vec<String>,
    pub exclude_groups: Vec<String>,
    /// Role template ids.
    pub include_roles: Vec<String>,
    pub exclude_roles: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub include_guests_or_external_users: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exclude_guests_or_external_users: Option<serde_json::Value>,
    /// Every other property as Graph returned it, kept for the same reason.
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConditionalAccessApplications {
    pub include_applications: Vec<String>,
    pub exclude_applications: Vec<String>,
    pub include_user_actions: Vec<String>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConditionalAccessGrantControls {
    pub operator: Option<String>,
    pub built_in_controls: Vec<String>,
    pub custom_authentication_factors: Vec<String>,
    pub authentication_strength: Option<serde_json::Value>,
}

/// `directoryAudit`
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DirectoryAudit {
    pub id: String,
    pub category: Option<String>,
    pub correlation_id: Option<String>,
    pub activity_date_time: Option<String>,
    pub activity_display_name: Option<String>,
    pub logged_by_service: Option<String>,
    pub operation_type: Option<String>,
    pub result: Option<String>,
    pub result_reason: Option<String>,
    pub initiated_by: Option<AuditActivityInitiator>,
    pub target_resources: Vec<TargetResource>,
    pub additional_details: Vec<KeyValue>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AuditActivityInitiator {
    pub user: Option<UserIdentity>,
    pub app: Option<AppIdentity>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UserIdentity {
    pub id: Option<String>,
    pub display_name: Option<String>,
    pub user_principal_name: Option<String>,
    pub ip_address: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AppIdentity {
    pub app_id: Option<String>,
    pub display_name: Option<String>,
    pub service_principal_id: Option<String>,
    pub service_principal_name: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TargetResource {
    pub id: Option<String>,
    pub display_name: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub user_principal_name: Option<String>,
    pub modified_properties: Vec<ModifiedProperty>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ModifiedProperty {
    pub display_name: Option<String>,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct KeyValue {
    pub key: Option<String>,
    pub value: Option<String>,
}

/// `signIn` (v1.0 and beta; `signInEventTypes` is beta only).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SignIn {
    pub id: String,
    pub created_date_time: Option<String>,
    pub user_id: Option<String>,
    pub user_display_name: Option<String>,
    pub user_principal_name: Option<String>,
    pub app_id: Option<String>,
    pub app_display_name: Option<String>,
    pub ip_address: Option<String>,
    pub client_app_used: Option<String>,
    pub correlation_id: Option<String>,
    pub conditional_access_status: Option<String>,
    pub is_interactive: Option<bool>,
    pub resource_display_name: Option<String>,
    pub resource_id: Option<String>,
    pub service_principal_id: Option<String>,
    pub service_principal_name: Option<String>,
    pub status: Option<SignInStatus>,
    pub location: Option<serde_json::Value>,
    pub applied_conditional_access_policies: Vec<serde_json::Value>,
    /// Beta only.
    pub sign_in_event_types: Vec<String>,
    /// Beta only: the key id of the secret or certificate a service principal signed in with.
    pub service_principal_credential_key_id: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SignInStatus {
    pub error_code: Option<i64>,
    pub failure_reason: Option<String>,
    pub additional_details: Option<String>,
}
