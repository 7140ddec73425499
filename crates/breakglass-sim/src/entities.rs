//! Graph-shaped JSON for new directory objects, with the properties and defaults
//! Microsoft Graph v1.0 returns when such an object is created.

use serde_json::{Map, Value, json};
use uuid::Uuid;

fn verified_publisher() -> Value {
    json!({"displayName": null, "verifiedPublisherId": null, "addedDateTime": null})
}

fn info() -> Value {
    json!({"logoUrl": null, "marketingUrl": null, "privacyStatementUrl": null, "supportUrl": null, "termsOfServiceUrl": null})
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => unreachable!("entity templates are JSON objects"),
    }
}

pub(crate) fn application(
    id: Uuid,
    app_id: Uuid,
    display_name: &str,
    created: &str,
    publisher_domain: &str,
) -> Map<String, Value> {
    object(json!({
        "id": id.to_string(),
        "deletedDateTime": null,
        "appId": app_id.to_string(),
        "applicationTemplateId": null,
        "disabledByMicrosoftStatus": null,
        "createdDateTime": created,
        "displayName": display_name,
        "description": null,
        "groupMembershipClaims": null,
        "identifierUris": [],
        "isDeviceOnlyAuthSupported": null,
        "isFallbackPublicClient": null,
        "notes": null,
        "publisherDomain": publisher_domain,
        "serviceManagementReference": null,
        "signInAudience": "AzureADMyOrg",
        "tags": [],
        "tokenEncryptionKeyId": null,
        "samlMetadataUrl": null,
        "defaultRedirectUri": null,
        "certification": null,
        "optionalClaims": null,
        "servicePrincipalLockConfiguration": null,
        "requestSignatureVerification": null,
        "addIns": [],
        "api": {
            "acceptMappedClaims": null,
            "knownClientApplications": [],
            "requestedAccessTokenVersion": null,
            "oauth2PermissionScopes": [],
            "preAuthorizedApplications": []
        },
        "appRoles": [],
        "info": info(),
        "keyCredentials": [],
        "parentalControlSettings": {"countriesBlockedForMinors": [], "legalAgeGroupRule": "Allow"},
        "passwordCredentials": [],
        "publicClient": {"redirectUris": []},
        "requiredResourceAccess": [],
        "verifiedPublisher": verified_publisher(),
        "web": {
            "homePageUrl": null,
            "logoutUrl": null,
            "redirectUris": [],
            "implicitGrantSettings": {"enableAccessTokenIssuance": false, "enableIdTokenIssuance": false},
            "redirectUriSettings": []
        },
        "spa": {"redirectUris": []}
    }))
}

pub(crate) fn service_principal(
    id: Uuid,
    app: &Map<String, Value>,
    owner_tenant: Uuid,
) -> Map<String, Value> {
    let app_id = app.get("appId").cloned().unwrap_or(Value::Null);
    let display_name = app.get("displayName").cloned().unwrap_or(Value::Null);
    object(json!({
        "id": id.to_string(),
        "deletedDateTime": null,
        "accountEnabled": true,
        "alternativeNames": [],
        "appDisplayName": display_name,
        "appDescription": app.get("description").cloned().unwrap_or(Value::Null),
        "appId": app_id,
        "applicationTemplateId": null,
        "appOwnerOrganizationId": owner_tenant.to_string(),
        "appRoleAssignmentRequired": false,
        "description": null,
        "disabledByMicrosoftStatus": null,
        "displayName": display_name,
        "homepage": null,
        "loginUrl": null,
        "logoutUrl": null,
        "notes": null,
        "notificationEmailAddresses": [],
        "preferredSingleSignOnMode": null,
        "preferredTokenSigningKeyThumbprint": null,
        "replyUrls": [],
        "servicePrincipalNames": [app_id],
        "servicePrincipalType": "Application",
        "signInAudience": app.get("signInAudience").cloned().unwrap_or(json!("AzureADMyOrg")),
        "tags": app.get("tags").cloned().unwrap_or(json!([])),
        "tokenEncryptionKeyId": null,
        "samlSingleSignOnSettings": null,
        "addIns": [],
        "appRoles": app.get("appRoles").cloned().unwrap_or(json!([])),
        "info": info(),
        "keyCredentials": [],
        "oauth2PermissionScopes": [],
        "passwordCredentials": [],
        "resourceSpecificApplicationPermissions": [],
        "verifiedPublisher": verified_publisher()
    }))
}

/// Properties a plain `GET /users` returns when no `$select` is given.
pub(crate) const USER_DEFAULT_PROPERTIES: &[&str] = &[
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
    "id",
];

pub(crate) struct NewUser<'a> {
    pub id: Uuid,
    pub display_name: &'a str,
    pub user_principal_name: &'a str,
    pub mail_nickname: &'a str,
    pub account_enabled: bool,
    pub created: &'a str,
    pub job_title: Option<&'a str>,
}

pub(crate) fn user(new: NewUser<'_>) -> Map<String, Value> {
    let (given, surname) = match new.display_name.split_once(' ') {
        Some((g, s)) => (Value::from(g), Value::from(s)),
        None => (Value::Null, Value::Null),
    };
    object(json!({
        "id": new.id.to_string(),
        "deletedDateTime": null,
        "accountEnabled": new.account_enabled,
        "businessPhones": [],
        "createdDateTime": new.created,
        "creationType": null,
        "displayName": new.display_name,
        "givenName": given,
        "jobTitle": new.job_title,
        "mail": null,
        "mailNickname": new.mail_nickname,
        "mobilePhone": null,
        "officeLocation": null,
        "onPremisesSyncEnabled": null,
        "onPremisesImmutableId": null,
        "preferredLanguage": null,
        "surname": surname,
        "usageLocation": null,
        "userPrincipalName": new.user_principal_name,
        "userType": "Member",
        "identities": [],
        "otherMails": [],
        "proxyAddresses": [],
        "passwordPolicies": null,
        "employeeId": null,
        "employeeType": null
    }))
}

pub(crate) fn group(
    id: Uuid,
    display_name: &str,
    mail_nickname: &str,
    created: &str,
    is_assignable_to_role: Option<bool>,
    description: Option<&str>,
) -> Map<String, Value> {
    object(json!({
        "id": id.to_string(),
        "deletedDateTime": null,
        "classification": null,
        "createdDateTime": created,
        "description": description,
        "displayName": display_name,
        "expirationDateTime": null,
        "groupTypes": [],
        "isAssignableToRole": is_assignable_to_role,
        "mail": null,
        "mailEnabled": false,
        "mailNickname": mail_nickname,
        "membershipRule": null,
        "membershipRuleProcessingState": null,
        "onPremisesSyncEnabled": null,
        "preferredDataLocation": null,
        "preferredLanguage": null,
        "proxyAddresses": [],
        "renewedDateTime": created,
        "resourceBehaviorOptions": [],
        "resourceProvisioningOptions": [],
        "securityEnabled": true,
        "securityIdentifier": format!("S-1-12-1-{}", id.as_u128() % 4_000_000_000),
        "theme": null,
        "visibility": null,
        "onPremisesProvisioningErrors": [],
        "serviceProvisioningErrors": []
    }))
}

pub(crate) fn role_definition(display_name: &str, template_id: Uuid) -> Value {
    json!({
        "id": template_id.to_string(),
        "description": format!("Built-in role: {display_name}."),
        "displayName": display_name,
        "isBuiltIn": true,
        "isEnabled": true,
        "resourceScopes": ["/"],
        "templateId": template_id.to_string(),
        "version": "1",
        "rolePermissions": [{"allowedResourceActions": [], "condition": null}],
        "inheritsPermissionsFrom": []
    })
}
