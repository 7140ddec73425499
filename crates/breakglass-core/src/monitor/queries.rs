//! The detections and their KQL queries.
//!
//! Identity values only ever enter a query inside a `dynamic([...])` or `dynamic({...})`
//! literal, written as JSON, so a user principal name with a quote in it cannot change the
//! query. Every query ends in the same shape: one row per event, a `Criticality` column, and
//! the columns the Sentinel entity mappings and custom details name.

use std::collections::BTreeMap;

use crate::identities::{EmergencyIdentities, Severity};
use crate::lease::MARKER_PREFIX;

use super::{Detection, EntityMapping, RuleKind, severity_name};

/// The start of a temporary administrator's alias (`bg-temp-…`), as `breakglass temp-user`
/// names them. Audit records of deleted users carry the name but not the `employeeType`.
pub const TEMPORARY_USER_ALIAS_PREFIX: &str = "bg-temp-";

/// The activities that create or delete a user: the lifecycle of a temporary administrator.
pub const USER_LIFECYCLE_ACTIVITIES: &[&str] = &["Add user", "Delete user", "Hard Delete user"];

fn temporary_user_marker(identities: &EmergencyIdentities) -> &str {
    match identities.temporary_user_marker.trim() {
        "" => MARKER_PREFIX,
        marker => marker,
    }
}

/// Whether an audit record's target resources, as text, name a temporary administrator: its
/// `employeeType` marker or its alias (as the `temporary-admin-lifecycle` rule decides).
pub fn names_temporary_admin(identities: &EmergencyIdentities, target_resources: &str) -> bool {
    let text = target_resources.to_ascii_lowercase();
    [
        temporary_user_marker(identities),
        TEMPORARY_USER_ALIAS_PREFIX,
    ]
    .iter()
    .any(|needle| text.contains(&needle.to_ascii_lowercase()))
}

const SP_SIGN_INS: &[&str] = &["AADServicePrincipalSignInLogs"];
const USER_SIGN_INS: &[&str] = &["SigninLogs", "AADNonInteractiveUserSignInLogs"];
const AUDIT: &[&str] = &["AuditLogs"];

/// Audit rules run every five minutes over the last five, as Entra's own rules do.
const EVERY_5_MINUTES: RuleKind = RuleKind::Scheduled {
    frequency_minutes: 5,
    period_minutes: 5,
};

/// The activity names of credential changes on an application or service principal. Entra
/// writes the application one with an EN DASH; some tenants and exports show a hyphen.
pub const CREDENTIAL_ACTIVITIES: &[&str] = &[
    "Update application \u{2013} Certificates and secrets management",
    "Update application - Certificates and secrets management",
    "Add service principal credentials",
    "Remove service principal credentials",
];

/// The activity names of a directory role gained, directly or through Privileged Identity
/// Management (Entra's audit activity reference, RoleManagement category): the changes that
/// took effect, not the requests, approvals and cancellations before them.
pub const ROLE_ADDED_ACTIVITIES: &[&str] = &[
    "Add member to role",
    "Add eligible member to role",
    "Add member to role outside of PIM (permanent)",
    "Add member to role completed (PIM activation)",
    "Add member to role in PIM completed (permanent)",
    "Add member to role in PIM completed (timebound)",
    "Add eligible member to role in PIM completed (permanent)",
    "Add eligible member to role in PIM completed (timebound)",
    "Add permanent direct role assignment",
    "Restore member from role",
    "Restore member from role in PIM completed",
    "Restore eligible member from role in PIM completed",
    "Restore permanent direct role assignment",
    "Restore permanent eligible role assignment",
];

/// The activity names of a directory role lost, directly, through PIM, or by an activation
/// that ended.
pub const ROLE_REMOVED_ACTIVITIES: &[&str] = &[
    "Remove member from role",
    "Remove eligible member from role",
    "Remove member from role (PIM activation expired)",
    "Remove member from role completed (PIM deactivate)",
    "Remove member from role in PIM completed (permanent)",
    "Remove member from role in PIM completed (timebound)",
    "Remove eligible member from role in PIM completed (permanent)",
    "Remove eligible member from role in PIM completed (timebound)",
    "Remove permanent direct role assignment",
    "Remove permanent eligible role assignment",
];

/// How an audit activity changed someone's directory roles, if it did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoleChange {
    Added,
    Removed,
}

/// Whether `activity` is a role gained or lost (any case, surrounding space ignored).
pub fn role_change(activity: &str) -> Option<RoleChange> {
    let activity = activity.trim();
    let listed = |list: &[&str]| list.iter().any(|a| a.eq_ignore_ascii_case(activity));
    if listed(ROLE_ADDED_ACTIVITIES) {
        Some(RoleChange::Added)
    } else if listed(ROLE_REMOVED_ACTIVITIES) {
        Some(RoleChange::Removed)
    } else {
        None
    }
}

/// The activity names that change how an emergency user signs in, or whether it can.
pub const USER_AUTHENTICATION_ACTIVITIES: &[&str] = &[
    "Reset user password",
    "Change user password",
    "Reset password (by admin)",
    "Change password (self-service)",
    "Set force change user password",
    "Update user",
    "Disable account",
    "Delete user",
    "Hard Delete user",
    "User registered security info",
    "User changed default security info",
    "User deleted security info",
    "Admin registered security info",
    "Admin updated security info",
    "Admin deleted security info",
    "Update StsRefreshTokenValidFrom Timestamp",
];

/// A JSON string, which is also a valid string inside a KQL `dynamic(...)` literal.
fn json(value: &str) -> String {
    serde_json::Value::String(value.to_string()).to_string()
}

/// `dynamic(["a", "b"])`, sorted and without duplicates or empty values, so the query does
/// not depend on the order Graph listed things in.
fn dynamic_list<'a>(values: impl IntoIterator<Item = &'a str>) -> String {
    let mut values: Vec<String> = values
        .into_iter()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    values.sort();
    values.dedup();
    let items: Vec<String> = values.iter().map(|v| json(v)).collect();
    format!("dynamic([{}])", items.join(", "))
}

/// `dynamic({"k": "v"})`, keys sorted.
fn dynamic_bag(pairs: &BTreeMap<String, String>) -> String {
    let items: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}: {}", json(k), json(v)))
        .collect();
    format!("dynamic({{{}}})", items.join(", "))
}

/// A KQL string literal.
fn kql_string(value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn kql_strings(values: &[&str]) -> String {
    values
        .iter()
        .map(|v| kql_string(v))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Who did it and to what, for every AuditLogs detection; then the criticality.
fn audit_tail(severity: Severity, extra_columns: &str) -> String {
    format!(
        r#"| extend Actor = coalesce(tostring(InitiatedBy.user.userPrincipalName), tostring(InitiatedBy.app.displayName))
| extend ActorId = coalesce(tostring(InitiatedBy.user.id), tostring(InitiatedBy.app.servicePrincipalId))
| extend ActorIpAddress = tostring(InitiatedBy.user.ipAddress)
| extend TargetName = coalesce(tostring(TargetResources[0].userPrincipalName), tostring(TargetResources[0].displayName))
| extend TargetId = tostring(TargetResources[0].id), TargetType = tostring(TargetResources[0].type)
| extend Criticality = "{}"
| project TimeGenerated, Criticality, OperationName, Result, Actor, ActorId, ActorIpAddress, TargetName, TargetId, TargetType{}, CorrelationId"#,
        severity_name(severity),
        extra_columns
    )
}

fn actor_entities() -> Vec<EntityMapping> {
    vec![
        EntityMapping {
            entity_type: "Account",
            fields: vec![("FullName", "Actor"), ("AadUserId", "ActorId")],
        },
        EntityMapping {
            entity_type: "IP",
            fields: vec![("Address", "ActorIpAddress")],
        },
    ]
}

fn target_account() -> EntityMapping {
    EntityMapping {
        entity_type: "Account",
        fields: vec![("FullName", "TargetName"), ("AadUserId", "TargetId")],
    }
}

const AUDIT_DETAILS: &[(&str, &str)] = &[
    ("Criticality", "Criticality"),
    ("Operation", "OperationName"),
    ("Target", "TargetName"),
    ("TargetId", "TargetId"),
    ("Result", "Result"),
];

fn app_sign_in(identities: &EmergencyIdentities, critical: bool) -> Detection {
    let mut labels = BTreeMap::new();
    let mut severities = BTreeMap::new();
    for credential in &identities.credentials {
        let key = credential.key_id.trim().to_ascii_lowercase();
        if key.is_empty() {
            continue;
        }
        labels.insert(key.clone(), credential.label.clone());
        severities.insert(key, severity_name(credential.severity).to_string());
    }
    let filter = if critical {
        r#"| where Criticality == "critical""#
    } else {
        r#"| where Criticality != "critical""#
    };
    let query = format!(
        r#"let EmergencyAppIds = {app};
let EmergencyServicePrincipalIds = {sp};
let LabelByKeyId = {labels};
let CriticalityByKeyId = {severities};
AADServicePrincipalSignInLogs
| where AppId in~ (EmergencyAppIds) or ServicePrincipalId in~ (EmergencyServicePrincipalIds)
| extend KeyId = tolower(ServicePrincipalCredentialKeyId)
| extend CredentialLabel = coalesce(tostring(LabelByKeyId[KeyId]), "unknown")
| extend Criticality = coalesce(tostring(CriticalityByKeyId[KeyId]), "critical")
{filter}
| extend Outcome = iff(ResultType == "0", "success", "failure")
| project TimeGenerated, Criticality, CredentialLabel, Outcome, AppId, ServicePrincipalId, ServicePrincipalName, ServicePrincipalCredentialKeyId, ServicePrincipalCredentialThumbprint, IPAddress, Location, ResourceDisplayName, ResultType, ResultDescription, ConditionalAccessStatus, CorrelationId"#,
        app = dynamic_list([identities.app_id.as_str()]),
        sp = dynamic_list([identities.service_principal_id.as_str()]),
        labels = dynamic_bag(&labels),
        severities = dynamic_bag(&severities),
    );
    let entities = vec![
        EntityMapping {
            entity_type: "Account",
            fields: vec![
                ("AadUserId", "ServicePrincipalId"),
                ("Name", "ServicePrincipalName"),
            ],
        },
        EntityMapping {
            entity_type: "IP",
            fields: vec![("Address", "IPAddress")],
        },
        EntityMapping {
            entity_type: "CloudApplication",
            fields: vec![("Name", "ServicePrincipalName")],
        },
    ];
    let custom_details = vec![
        ("Criticality", "Criticality"),
        ("CredentialLabel", "CredentialLabel"),
        ("CredentialKeyId", "ServicePrincipalCredentialKeyId"),
        ("Outcome", "Outcome"),
        ("ResultType", "ResultType"),
    ];
    if critical {
        Detection {
            slug: "app-sign-in-critical",
            name: "breakglass: emergency app signed in with an offline or unknown credential",
            description: "A sign-in (successful or failed) of the emergency access app with a credential kept offline (recovery sheet or Shamir shares), or with a key id breakglass did not make. The CredentialLabel column names the credential from its key id; unknown means nobody should hold it.".to_string(),
            why: "The offline credential is only taken out of the safe in a real emergency or an announced drill, and an unknown credential means someone added one behind breakglass's back: both mean a Global Administrator session nobody planned.",
            severity: Severity::Critical,
            tables: SP_SIGN_INS,
            kind: RuleKind::Nrt,
            tactics: &["InitialAccess", "Persistence", "PrivilegeEscalation", "DefenseEvasion"],
            techniques: &["T1078.004"],
            query,
            entities,
            custom_details,
            alert_name: "[{{Criticality}}] Emergency app sign-in with the {{CredentialLabel}} credential ({{Outcome}})",
            alert_description: "The emergency access app signed in with its {{CredentialLabel}} credential. Offline and unknown credentials are critical: confirm a declared emergency or drill at once, otherwise treat the tenant as compromised.",
            dimensions: &["CredentialLabel", "Outcome"],
        }
    } else {
        Detection {
            slug: "app-sign-in-rotating",
            name: "breakglass: emergency app signed in with a rotating credential",
            description: "A sign-in (successful or failed) of the emergency access app with a credential kept in KeePass and rotated. breakglass itself signs in once with each new credential when it rotates, so a rotation shows here too.".to_string(),
            why: "The rotating credential is the one people can reach most easily; every use of it should match a rotation, a drill or a declared emergency.",
            severity: Severity::High,
            tables: SP_SIGN_INS,
            kind: RuleKind::Nrt,
            tactics: &["InitialAccess", "Persistence", "PrivilegeEscalation", "DefenseEvasion"],
            techniques: &["T1078.004"],
            query,
            entities,
            custom_details,
            alert_name: "[{{Criticality}}] Emergency app sign-in with the {{CredentialLabel}} credential ({{Outcome}})",
            alert_description: "The emergency access app signed in with its {{CredentialLabel}} credential. Check it against the rotation schedule, a drill, or a declared emergency.",
            dimensions: &["CredentialLabel", "Outcome"],
        }
    }
}

fn user_sign_in(identities: &EmergencyIdentities, successful: bool) -> Detection {
    let ids = dynamic_list(identities.users.iter().map(|u| u.id.as_str()));
    let names = dynamic_list(
        identities
            .users
            .iter()
            .map(|u| u.user_principal_name.as_str()),
    );
    let (filter, severity, outcome) = if successful {
        (
            r#"| where ResultType == "0""#,
            Severity::Critical,
            "success",
        )
    } else {
        (r#"| where ResultType != "0""#, Severity::High, "failure")
    };
    let query = format!(
        r#"let EmergencyUserIds = {ids};
let EmergencyUserNames = {names};
union SigninLogs, AADNonInteractiveUserSignInLogs
| where UserId in~ (EmergencyUserIds) or UserPrincipalName in~ (EmergencyUserNames)
{filter}
| extend Criticality = "{criticality}", Outcome = "{outcome}", SignInTable = Type
| project TimeGenerated, Criticality, Outcome, SignInTable, UserPrincipalName, UserId, IPAddress, Location, AppDisplayName, AppId, ResourceDisplayName, ClientAppUsed, AuthenticationRequirement, ConditionalAccessStatus, ResultType, ResultDescription, CorrelationId"#,
        criticality = severity_name(severity),
    );
    let entities = vec![
        EntityMapping {
            entity_type: "Account",
            fields: vec![("FullName", "UserPrincipalName"), ("AadUserId", "UserId")],
        },
        EntityMapping {
            entity_type: "IP",
            fields: vec![("Address", "IPAddress")],
        },
        EntityMapping {
            entity_type: "CloudApplication",
            fields: vec![("Name", "AppDisplayName")],
        },
    ];
    let custom_details = vec![
        ("Criticality", "Criticality"),
        ("Outcome", "Outcome"),
        ("SignInTable", "SignInTable"),
        ("ResultType", "ResultType"),
        ("ResultDescription", "ResultDescription"),
    ];
    if successful {
        Detection {
            slug: "user-sign-in",
            name: "breakglass: emergency access user signed in",
            description: "A successful interactive or non-interactive sign-in of an emergency access user account (SigninLogs and AADNonInteractiveUserSignInLogs, matched by object id and user principal name).".to_string(),
            why: "Microsoft's guidance for emergency access accounts: alert on every sign-in, at the highest severity, because they are only used when everything else failed.",
            severity,
            tables: USER_SIGN_INS,
            kind: RuleKind::Nrt,
            tactics: &["InitialAccess", "Persistence", "PrivilegeEscalation", "DefenseEvasion"],
            techniques: &["T1078.004"],
            query,
            entities,
            custom_details,
            alert_name: "[{{Criticality}}] Emergency access user {{UserPrincipalName}} signed in",
            alert_description: "The emergency access account {{UserPrincipalName}} signed in from {{IPAddress}}. Confirm a declared emergency or drill at once.",
            dimensions: &["UserPrincipalName"],
        }
    } else {
        Detection {
            slug: "user-sign-in-failure",
            name: "breakglass: emergency access user sign-in failed",
            description: "A failed or interrupted sign-in of an emergency access user account (any ResultType other than 0), interactive or not.".to_string(),
            why: "The names of emergency access users are random, so failures mean someone knows them and is guessing, or that a Conditional Access policy now blocks the way back in.",
            severity,
            tables: USER_SIGN_INS,
            kind: RuleKind::Nrt,
            tactics: &["InitialAccess", "Persistence", "PrivilegeEscalation", "DefenseEvasion", "CredentialAccess"],
            techniques: &["T1078.004", "T1110"],
            query,
            entities,
            custom_details,
            alert_name: "[{{Criticality}}] Emergency access user {{UserPrincipalName}} failed to sign in ({{ResultType}})",
            alert_description: "A sign-in of the emergency access account {{UserPrincipalName}} from {{IPAddress}} failed. Check whether someone is guessing its password or a Conditional Access policy blocks it.",
            dimensions: &["UserPrincipalName"],
        }
    }
}

fn app_credential_change(identities: &EmergencyIdentities) -> Detection {
    let severity = Severity::High;
    let query = format!(
        r#"let EmergencyAppObjects = {objects};
AuditLogs
| where OperationName in~ ({activities})
| where tostring(TargetResources) has_any (EmergencyAppObjects)
{tail}"#,
        objects = dynamic_list([
            identities.application_object_id.as_str(),
            identities.service_principal_id.as_str(),
        ]),
        activities = kql_strings(CREDENTIAL_ACTIVITIES),
        tail = audit_tail(severity, ""),
    );
    Detection {
        slug: "app-credential-change",
        name: "breakglass: credential added to or removed from the emergency app",
        description: "A client secret or certificate was added to or removed from the emergency access application or its service principal (\"Update application \u{2013} Certificates and secrets management\", also with a hyphen, and \"Add/Remove service principal credentials\").".to_string(),
        why: "A credential added to the emergency app is a Global Administrator backdoor; a removed one may take the way back in away. Only `breakglass credential rotate` and `apply` should ever do this.",
        severity,
        tables: AUDIT,
        kind: EVERY_5_MINUTES,
        tactics: &["Persistence", "PrivilegeEscalation"],
        techniques: &["T1098.001"],
        query,
        entities: actor_entities(),
        custom_details: AUDIT_DETAILS.to_vec(),
        alert_name: "[{{Criticality}}] Emergency app credential change: {{OperationName}} by {{Actor}}",
        alert_description: "{{Actor}} changed the credentials of the emergency access app ({{OperationName}}). Compare it with `breakglass credential list` and the rotation log.",
        dimensions: &["OperationName"],
    }
}

/// The modified property an "Update application" names when federated identity credentials
/// change. Entra's audit reference lists no activity of their own, so this is how they show.
pub const FEDERATED_CREDENTIALS_PROPERTY: &str = "FederatedIdentityCredential";

fn federated_credential_change(identities: &EmergencyIdentities) -> Detection {
    let severity = Severity::Critical;
    let query = format!(
        r#"let EmergencyAppObjects = {objects};
AuditLogs
| where OperationName =~ "Update application"
| where tostring(TargetResources) has_any (EmergencyAppObjects)
| where tostring(TargetResources[0].modifiedProperties) has "{property}"
{tail}"#,
        objects = dynamic_list([identities.application_object_id.as_str()]),
        property = FEDERATED_CREDENTIALS_PROPERTY,
        tail = audit_tail(severity, ""),
    );
    Detection {
        slug: "federated-credential-change",
        name: "breakglass: federated identity credential of the emergency app changed",
        description: "A federated identity credential was added to, changed on or removed from the emergency access application: an \"Update application\" whose modified properties name FederatedIdentityCredentials (Entra records no activity of its own for them).".to_string(),
        why: "A federated credential lets tokens from another identity provider (a CI system, another tenant) sign in as the emergency app with no secret at all: a Global Administrator backdoor that no credential list shows.",
        severity,
        tables: AUDIT,
        kind: EVERY_5_MINUTES,
        tactics: &["Persistence", "PrivilegeEscalation"],
        techniques: &["T1098.001"],
        query,
        entities: actor_entities(),
        custom_details: AUDIT_DETAILS.to_vec(),
        alert_name: "[{{Criticality}}] Emergency app federated credential changed by {{Actor}}",
        alert_description: "{{Actor}} changed the federated identity credentials of the emergency access app. `breakglass audit` lists them; remove any you did not make.",
        dimensions: &["OperationName"],
    }
}

fn app_protection_change(identities: &EmergencyIdentities) -> Detection {
    let severity = Severity::High;
    let query = format!(
        r#"let EmergencyAppObjects = {objects};
AuditLogs
| where tostring(TargetResources) has_any (EmergencyAppObjects)
| where OperationName in~ ("Add owner to application", "Add owner to service principal", "Delete application", "Hard delete application", "Delete service principal", "Remove policy from application")
    or (OperationName =~ "Update application" and tostring(TargetResources) has "ServicePrincipalLockConfiguration")
    or (OperationName =~ "Update service principal" and tostring(TargetResources) has "AccountEnabled")
| extend Change = case(OperationName startswith "Add owner", "owner added",
    OperationName =~ "Update application", "credential lock configuration changed",
    OperationName =~ "Update service principal", "service principal enabled or disabled",
    OperationName =~ "Remove policy from application", "app management policy removed",
    "deleted")
{tail}"#,
        objects = dynamic_list([
            identities.application_object_id.as_str(),
            identities.service_principal_id.as_str(),
        ]),
        tail = audit_tail(severity, ", Change"),
    );
    let mut custom_details = AUDIT_DETAILS.to_vec();
    custom_details.push(("Change", "Change"));
    Detection {
        slug: "app-protection-change",
        name: "breakglass: emergency app owner added, credential lock changed, disabled or deleted",
        description: "An owner was added to the emergency access application or its service principal, the application's service principal lock configuration (servicePrincipalLockConfiguration) changed, an app management policy was removed from the application (the exemption breakglass gives it with exempt_from_app_management_policy), the service principal was enabled or disabled, or either object was deleted.".to_string(),
        why: "An owner can add credentials without any admin role, and an unlocked service principal accepts credentials of its own: both are quiet takeover paths. A disabled or deleted app is a lost way back in.",
        severity,
        tables: AUDIT,
        kind: EVERY_5_MINUTES,
        tactics: &["Persistence", "PrivilegeEscalation", "DefenseEvasion", "Impact"],
        techniques: &["T1098", "T1562", "T1531"],
        query,
        entities: actor_entities(),
        custom_details,
        alert_name: "[{{Criticality}}] Emergency app {{Change}} by {{Actor}}",
        alert_description: "{{Actor}} changed the protection of the emergency access app: {{Change}} ({{OperationName}}). Run `breakglass plan` to see the drift and `breakglass apply` to repair it.",
        dimensions: &["Change"],
    }
}

fn role_assignment_change(identities: &EmergencyIdentities) -> Detection {
    let severity = Severity::High;
    let mut principals: Vec<&str> = vec![
        identities.service_principal_id.as_str(),
        identities.exclusion_group_id.as_str(),
    ];
    principals.extend(identities.users.iter().map(|u| u.id.as_str()));
    let query = format!(
        r#"let EmergencyPrincipals = {principals};
AuditLogs
| where OperationName in~ ({removed}) or OperationName in~ ({added})
| where tostring(TargetResources) has_any (EmergencyPrincipals)
| mv-apply Property = TargetResources[0].modifiedProperties on (
    where tostring(Property.displayName) == "Role.DisplayName"
    | summarize RoleName = take_any(trim("\"", coalesce(tostring(Property.newValue), tostring(Property.oldValue)))))
| extend Change = iff(OperationName in~ ({removed}), "role removed", "role added")
{tail}"#,
        principals = dynamic_list(principals),
        removed = kql_strings(ROLE_REMOVED_ACTIVITIES),
        added = kql_strings(ROLE_ADDED_ACTIVITIES),
        tail = audit_tail(severity, ", Change, RoleName"),
    );
    let mut entities = actor_entities();
    entities.push(target_account());
    let mut custom_details = AUDIT_DETAILS.to_vec();
    custom_details.push(("Change", "Change"));
    custom_details.push(("Role", "RoleName"));
    Detection {
        slug: "role-assignment-change",
        name: "breakglass: directory role of an emergency identity added or removed",
        description: "A directory role was assigned to or removed from the emergency app's service principal, an emergency access user or the exclusion group, directly, through Privileged Identity Management or by an activation that ended (\"Add member to role\", \"Remove permanent direct role assignment\", \"Remove member from role (PIM activation expired)\" and every other activity Entra's audit reference lists for a role gained or lost).".to_string(),
        why: "Emergency access needs a permanent, active Global Administrator assignment; a removed or PIM-eligible-only role means the way back in no longer works, and an added role widens what the identity can do.",
        severity,
        tables: AUDIT,
        kind: EVERY_5_MINUTES,
        tactics: &["Persistence", "PrivilegeEscalation", "Impact"],
        techniques: &["T1098.003", "T1531"],
        query,
        entities,
        custom_details,
        alert_name: "[{{Criticality}}] Emergency identity {{Change}}: {{RoleName}} for {{TargetName}}",
        alert_description: "{{Actor}} changed a directory role of an emergency identity ({{OperationName}}). Run `breakglass plan`; `breakglass apply` restores a removed role.",
        dimensions: &["Change"],
    }
}

fn user_authentication_change(identities: &EmergencyIdentities) -> Detection {
    let severity = Severity::High;
    let query = format!(
        r#"let EmergencyUserIds = {users};
AuditLogs
| where OperationName in~ ({activities})
| where tostring(TargetResources) has_any (EmergencyUserIds)
{tail}"#,
        users = dynamic_list(identities.users.iter().map(|u| u.id.as_str())),
        activities = kql_strings(USER_AUTHENTICATION_ACTIVITIES),
        tail = audit_tail(severity, ""),
    );
    let mut entities = actor_entities();
    entities.push(target_account());
    Detection {
        slug: "user-authentication-change",
        name: "breakglass: emergency access user's password, methods or account changed",
        description: "An emergency access user's password was reset or changed, a security info (authentication method) was registered, changed or deleted, its refresh tokens were revoked, or the account was updated, disabled or deleted.".to_string(),
        why: "Whoever changes an emergency account's password or methods can sign in with it; a disabled or deleted account is a lost way back in. Nobody should touch these accounts outside a drill.",
        severity,
        tables: AUDIT,
        kind: EVERY_5_MINUTES,
        tactics: &["Persistence", "PrivilegeEscalation", "DefenseEvasion", "CredentialAccess"],
        techniques: &["T1098", "T1556"],
        query,
        entities,
        custom_details: AUDIT_DETAILS.to_vec(),
        alert_name: "[{{Criticality}}] Emergency access user {{TargetName}} changed: {{OperationName}}",
        alert_description: "{{Actor}} changed the emergency access account {{TargetName}} ({{OperationName}}). Confirm it was a drill or planned maintenance.",
        dimensions: &["OperationName"],
    }
}

fn group_membership_change(identities: &EmergencyIdentities) -> Detection {
    let severity = Severity::High;
    let query = format!(
        r#"let ExclusionGroupIds = {group};
AuditLogs
| where OperationName in~ ("Add member to group", "Remove member from group", "Add owner to group", "Remove owner from group", "Delete group", "Hard Delete group")
| where tostring(TargetResources) has_any (ExclusionGroupIds)
{tail}"#,
        group = dynamic_list([identities.exclusion_group_id.as_str()]),
        tail = audit_tail(severity, ""),
    );
    let mut entities = actor_entities();
    entities.push(target_account());
    Detection {
        slug: "exclusion-group-change",
        name: "breakglass: Conditional Access exclusion group membership or owners changed",
        description: "A member or owner was added to or removed from the emergency access group that Conditional Access policies exclude, or the group was deleted.".to_string(),
        why: "A member added to the exclusion group escapes every Conditional Access policy; a member removed, or the group deleted, can lock the emergency accounts out.",
        severity,
        tables: AUDIT,
        kind: EVERY_5_MINUTES,
        tactics: &["Persistence", "PrivilegeEscalation", "DefenseEvasion", "CredentialAccess", "Impact"],
        techniques: &["T1098", "T1556.009", "T1531"],
        query,
        entities,
        custom_details: AUDIT_DETAILS.to_vec(),
        alert_name: "[{{Criticality}}] Emergency access group changed: {{OperationName}} ({{TargetName}})",
        alert_description: "{{Actor}} changed the Conditional Access exclusion group ({{OperationName}}, {{TargetName}}). Run `breakglass plan` to compare it with breakglass.toml.",
        dimensions: &["OperationName"],
    }
}

fn ca_exclusion_removed(identities: &EmergencyIdentities) -> Detection {
    let severity = Severity::High;
    let excluded = identities.conditional_access_exclusions();
    let query = format!(
        r#"let EmergencyExclusions = {excluded};
AuditLogs
| where OperationName =~ "Update conditional access policy"
| mv-apply Property = TargetResources[0].modifiedProperties on (
    summarize OldValues = strcat_array(make_list(tostring(Property.oldValue)), " "), NewValues = strcat_array(make_list(tostring(Property.newValue)), " "))
| extend Exclusions = EmergencyExclusions
| mv-apply ExcludedId = Exclusions to typeof(string) on (
    where OldValues contains ExcludedId and not(NewValues contains ExcludedId)
    | summarize RemovedIds = make_list(ExcludedId))
| where array_length(RemovedIds) > 0
| extend PolicyName = tostring(TargetResources[0].displayName), PolicyId = tostring(TargetResources[0].id), RemovedExclusions = strcat_array(RemovedIds, ", ")
{tail}"#,
        excluded = dynamic_list(excluded),
        tail = audit_tail(severity, ", PolicyName, PolicyId, RemovedExclusions"),
    );
    let mut custom_details = AUDIT_DETAILS.to_vec();
    custom_details.push(("Policy", "PolicyName"));
    custom_details.push(("RemovedExclusions", "RemovedExclusions"));
    Detection {
        slug: "ca-exclusion-removed",
        name: "breakglass: Conditional Access policy no longer excludes an emergency identity",
        description: "A Conditional Access policy was updated so that the id of the exclusion group, an emergency access user or the emergency app's service principal, present in its old value, is missing from its new value.".to_string(),
        why: "Emergency access must be excluded from every policy that blocks or restricts sign-in; a policy that loses the exclusion may lock the tenant out exactly when the way back in is needed.",
        severity,
        tables: AUDIT,
        kind: EVERY_5_MINUTES,
        tactics: &["Persistence", "PrivilegeEscalation", "DefenseEvasion", "CredentialAccess", "Impact"],
        techniques: &["T1556.009", "T1484", "T1531"],
        query,
        entities: actor_entities(),
        custom_details,
        alert_name: "[{{Criticality}}] Conditional Access policy {{PolicyName}} lost an emergency exclusion",
        alert_description: "{{Actor}} updated the Conditional Access policy {{PolicyName}} and removed the exclusion of {{RemovedExclusions}}. Restore the exclusion unless the policy is report-only.",
        dimensions: &["PolicyName"],
    }
}

fn temporary_admin(identities: &EmergencyIdentities) -> Detection {
    let severity = Severity::High;
    let marker = temporary_user_marker(identities);
    let query = format!(
        r#"let TemporaryMarker = {marker};
let TemporaryAlias = {alias};
AuditLogs
| where OperationName in~ ({lifecycle})
| where tostring(TargetResources) contains TemporaryMarker or tostring(TargetResources) contains TemporaryAlias
| extend Change = iff(OperationName =~ "Add user", "created", "deleted")
{tail}"#,
        marker = kql_string(marker),
        alias = kql_string(TEMPORARY_USER_ALIAS_PREFIX),
        lifecycle = kql_strings(USER_LIFECYCLE_ACTIVITIES),
        tail = audit_tail(severity, ", Change"),
    );
    let mut entities = actor_entities();
    entities.push(target_account());
    let mut custom_details = AUDIT_DETAILS.to_vec();
    custom_details.push(("Change", "Change"));
    Detection {
        slug: "temporary-admin-lifecycle",
        name: "breakglass: temporary administrator created or deleted",
        description: format!(
            "A user marked as a breakglass temporary administrator (employeeType starting with {marker}, or a name starting with {TEMPORARY_USER_ALIAS_PREFIX}) was created or deleted."
        ),
        why: "`breakglass temp-user` creates a short-lived Global Administrator during an emergency and removes it when its lease ends; each one should match a declared emergency, and its deletion closes the record.",
        severity,
        tables: AUDIT,
        kind: EVERY_5_MINUTES,
        tactics: &["Persistence"],
        techniques: &["T1136.003"],
        query,
        entities,
        custom_details,
        alert_name: "[{{Criticality}}] Temporary administrator {{TargetName}} {{Change}}",
        alert_description: "{{Actor}} {{Change}} the temporary administrator {{TargetName}}. Check that it belongs to a declared emergency and that it is removed when its lease ends.",
        dimensions: &["Change"],
    }
}

/// Every detection, in a fixed order.
pub fn all(identities: &EmergencyIdentities) -> Vec<Detection> {
    vec![
        app_sign_in(identities, true),
        app_sign_in(identities, false),
        user_sign_in(identities, true),
        user_sign_in(identities, false),
        app_credential_change(identities),
        federated_credential_change(identities),
        app_protection_change(identities),
        role_assignment_change(identities),
        user_authentication_change(identities),
        group_membership_change(identities),
        ca_exclusion_removed(identities),
        temporary_admin(identities),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_values_are_json_inside_dynamic_literals() {
        assert_eq!(
            dynamic_list(["B", "a", "", "b"]),
            r#"dynamic(["a", "b"])"#,
            "sorted, lower case, without duplicates or empty values"
        );
        assert_eq!(dynamic_list([]), "dynamic([])");
        assert_eq!(
            dynamic_list([r#"o"brien\x@contoso.com"#]),
            r#"dynamic(["o\"brien\\x@contoso.com"])"#
        );
        assert_eq!(kql_string("a\"b\\c\nd"), r#""a\"b\\c\nd""#);
    }
}
