//! Reading the logs: user sign-ins (v1.0), the emergency app's sign-ins (beta, the only
//! place service principal sign-ins are), and directory audits touching the emergency
//! objects; and turning each matching record into a [`Notification`].

use breakglass_core::identities::EmergencyIdentities;
use breakglass_core::identities::Severity;
use breakglass_core::monitor::{
    CREDENTIAL_ACTIVITIES, FEDERATED_CREDENTIALS_PROPERTY, USER_AUTHENTICATION_ACTIVITIES,
    USER_LIFECYCLE_ACTIVITIES, names_temporary_admin, role_change,
};
use breakglass_entra::graph::filters::app_sign_ins_since;
use breakglass_entra::graph::log_record::LogRecord;
use breakglass_entra::{GraphClient, Query};
use breakglass_scan::{Event, EventKind, SourceLocation, match_record};
use jiff::Timestamp;
use serde_json::Value;

use super::{Notification, Subject};
use crate::error::Error;

/// The logs watched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    UserSignIns,
    ServicePrincipalSignIns,
    DirectoryAudits,
}

impl Source {
    pub const ALL: [Source; 3] = [
        Source::UserSignIns,
        Source::ServicePrincipalSignIns,
        Source::DirectoryAudits,
    ];

    /// The name in notifications and in the state file.
    pub fn name(self) -> &'static str {
        match self {
            Source::UserSignIns => "signIns",
            Source::ServicePrincipalSignIns => "servicePrincipalSignIns",
            Source::DirectoryAudits => "directoryAudits",
        }
    }
}

/// Audit activities the alert rules raise on besides credential and user authentication
/// changes and role changes ([`role_change`]): ownership, enabling, deleting and the exclusion
/// group.
const OTHER_AUDIT_ACTIVITIES: &[&str] = &[
    "Update application",
    "Delete application",
    "Hard delete application",
    "Add owner to application",
    "Remove owner from application",
    "Add policy to application",
    "Remove policy from application",
    "Update service principal",
    "Delete service principal",
    "Add owner to service principal",
    "Remove owner from service principal",
    "Add member to group",
    "Remove member from group",
    "Update group",
    "Delete group",
    "Add app role assignment to service principal",
    "Remove app role assignment from service principal",
];

/// Whether an audit activity is one the rules raise an alert on.
pub fn watched_activity(activity: &str) -> bool {
    let activity = activity.trim();
    role_change(activity).is_some()
        || CREDENTIAL_ACTIVITIES
            .iter()
            .chain(USER_AUTHENTICATION_ACTIVITIES)
            .chain(OTHER_AUDIT_ACTIVITIES)
            .any(|a| a.eq_ignore_ascii_case(activity))
}

fn graph_time(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The records of `source` since `since`, oldest first.
pub async fn fetch(
    graph: &GraphClient,
    identities: &EmergencyIdentities,
    source: Source,
    since: Timestamp,
) -> Result<Vec<Value>, Error> {
    let since = graph_time(since);
    let mut records: Vec<Value> = Vec::new();
    match source {
        Source::UserSignIns => {
            for user in identities.users.iter().filter(|u| !u.id.is_empty()) {
                let query = Query::sign_ins_of_since(&user.id, &since);
                records.extend(graph.sign_in_records(&query).await?);
            }
        }
        Source::ServicePrincipalSignIns => {
            if !identities.app_id.is_empty() {
                let filter = app_sign_ins_since(&identities.app_id, &since);
                records = graph
                    .service_principal_sign_in_records_beta(&filter)
                    .await?;
            }
        }
        Source::DirectoryAudits => {
            let query = Query::audits_since(&since);
            records = graph.directory_audit_records(&query).await?;
        }
    }
    records.sort_by_cached_key(|r| (record_time(r), record_id(r)));
    records.dedup_by_key(|r| record_id(r));
    Ok(records)
}

/// The Graph record id.
pub fn record_id(record: &Value) -> String {
    LogRecord(record).id().to_string()
}

/// The record's time, if it has one Graph would write.
pub fn record_time(record: &Value) -> Option<Timestamp> {
    LogRecord(record).time()
}

/// The notification for a record, if an alert rule would raise one.
pub fn notification(
    record: &Value,
    identities: &EmergencyIdentities,
    source: Source,
) -> Option<Notification> {
    let id = record_id(record);
    if id.is_empty() {
        return None;
    }
    let location = SourceLocation {
        file: source.name().to_string(),
        line: None,
        record: None,
    };
    if source == Source::DirectoryAudits && is_policy_update(record) {
        return exclusion_removed(record, identities, &location);
    }
    if source == Source::DirectoryAudits
        && let Some(notification) = temporary_admin_change(record, identities, &location)
    {
        return Some(notification);
    }
    let event = match_record(record, identities, None, location)?;
    let expected = match source {
        Source::UserSignIns => EventKind::UserSignIn,
        Source::ServicePrincipalSignIns => EventKind::ServicePrincipalSignIn,
        Source::DirectoryAudits => EventKind::AuditChange,
    };
    if event.kind != expected {
        return None;
    }
    let failed = if event.result == "failure" {
        " (failed)"
    } else {
        ""
    };
    let mut severity = event.severity;
    let title = match event.kind {
        EventKind::ServicePrincipalSignIn => {
            match (&event.credential_label, &event.credential_key_id) {
                (Some(label), _) => {
                    format!("Emergency app signed in with its {label} credential{failed}")
                }
                (None, Some(key)) => {
                    format!("Emergency app signed in with an UNKNOWN credential {key}{failed}")
                }
                (None, None) => format!("Emergency app signed in{failed}"),
            }
        }
        EventKind::UserSignIn => format!("Emergency account {} signed in{failed}", event.identity),
        EventKind::AuditChange => {
            let activity = event.activity.clone().unwrap_or_default();
            if !watched_activity(&activity) {
                return None;
            }
            if federated_credentials_changed(record, &activity) {
                // As the federated-credential-change rule rates it.
                severity = Severity::Critical;
                format!(
                    "Federated identity credential of {} changed{failed}",
                    event.identity
                )
            } else {
                format!("{activity}: {}{failed}", event.identity)
            }
        }
    };
    let subject = match event.kind {
        EventKind::ServicePrincipalSignIn => app_subject(identities),
        EventKind::UserSignIn => sign_in_user_subject(record, identities),
        EventKind::AuditChange => audit_subject(record, identities),
    };
    let headline = Headline {
        severity,
        title,
        identity: event.identity.clone(),
    };
    Some(notify(record, identities, source, event, headline, subject))
}

/// What a notification says first: how bad, in one line, about whom.
struct Headline {
    severity: Severity,
    title: String,
    identity: String,
}

/// The notification of `record`, with what every one carries taken from the record and the
/// event the matcher read from it.
fn notify(
    record: &Value,
    identities: &EmergencyIdentities,
    source: Source,
    event: Event,
    headline: Headline,
    subject: Subject,
) -> Notification {
    let Headline {
        severity,
        title,
        identity,
    } = headline;
    let view = LogRecord(record);
    Notification {
        id: view.id().to_string(),
        correlation_id: view.correlation_id().map(str::to_string),
        tenant_id: identities.tenant_id.clone(),
        tenant_name: None,
        time: event.time,
        severity,
        kind: event.kind,
        title,
        identity,
        subject,
        credential_key_id: event.credential_key_id,
        credential_label: event.credential_label,
        ip_address: event.ip_address,
        result: event.result,
        error_code: event.error_code,
        failure_reason: event.failure_reason,
        activity: event.activity,
        initiated_by: view.initiated_by().map(str::to_string),
        source: source.name().to_string(),
    }
}

fn known(id: &str) -> Option<String> {
    (!id.is_empty()).then(|| id.to_string())
}

/// The emergency app, by its application id and its service principal's object id.
fn app_subject(identities: &EmergencyIdentities) -> Subject {
    Subject {
        app_id: known(&identities.app_id),
        service_principal_id: known(&identities.service_principal_id),
        ..Subject::default()
    }
}

/// Who signed in, and the emergency app when it was the one signed in to.
fn sign_in_user_subject(record: &Value, identities: &EmergencyIdentities) -> Subject {
    let view = LogRecord(record);
    let (user_id, upn) = view.signed_in_user();
    let emergency_user = identities.users.iter().find(|user| {
        user_id.is_some_and(|id| id.eq_ignore_ascii_case(&user.id))
            || upn.is_some_and(|upn| upn.eq_ignore_ascii_case(&user.user_principal_name))
    });
    let into_the_app = record
        .get("appId")
        .and_then(Value::as_str)
        .is_some_and(|app| !app.is_empty() && app.eq_ignore_ascii_case(&identities.app_id));
    let mut subject = if into_the_app {
        app_subject(identities)
    } else {
        Subject::default()
    };
    subject.user_id = user_id
        .map(str::to_string)
        .or_else(|| emergency_user.and_then(|u| known(&u.id)));
    subject.user_principal_name = upn
        .map(str::to_string)
        .or_else(|| emergency_user.and_then(|u| known(&u.user_principal_name)));
    subject
}

/// The emergency objects among an audit record's targets (or among `ids`, the exclusions a
/// policy change removed).
fn audit_subject(record: &Value, identities: &EmergencyIdentities) -> Subject {
    subject_of_ids(identities, LogRecord(record).targets())
}

fn subject_of_ids<'a>(
    identities: &EmergencyIdentities,
    ids: impl IntoIterator<Item = (&'a str, Option<&'a str>)>,
) -> Subject {
    let mut subject = Subject::default();
    let is =
        |id: &str, candidate: &str| !candidate.is_empty() && id.eq_ignore_ascii_case(candidate);
    for (id, upn) in ids {
        if [
            &identities.app_id,
            &identities.application_object_id,
            &identities.service_principal_id,
        ]
        .into_iter()
        .any(|candidate| is(id, candidate))
        {
            let app = app_subject(identities);
            subject.app_id = app.app_id;
            subject.service_principal_id = app.service_principal_id;
        } else if is(id, &identities.exclusion_group_id) {
            subject.group_id = Some(id.to_string());
        } else if let Some(user) = identities.users.iter().find(|user| {
            is(id, &user.id) || upn.is_some_and(|upn| is(upn, &user.user_principal_name))
        }) && subject.user_id.is_none()
        {
            subject.user_id = known(&user.id);
            subject.user_principal_name = known(&user.user_principal_name);
        }
    }
    subject
}

/// An "Update application" whose modified properties name federated identity credentials (as
/// the `federated-credential-change` rule decides; Entra has no activity of their own).
fn federated_credentials_changed(record: &Value, activity: &str) -> bool {
    activity.eq_ignore_ascii_case("Update application")
        && LogRecord(record).targets_text().is_some_and(|text| {
            text.to_ascii_lowercase()
                .contains(&FEDERATED_CREDENTIALS_PROPERTY.to_ascii_lowercase())
        })
}

/// The audit record's activity, trimmed.
fn activity(record: &Value) -> Option<&str> {
    LogRecord(record).activity()
}

/// A temporary administrator created or deleted (as the `temporary-admin-lifecycle` rule
/// decides): the user is not a watched object, its marker or alias in the target names it.
fn temporary_admin_change(
    record: &Value,
    identities: &EmergencyIdentities,
    location: &SourceLocation,
) -> Option<Notification> {
    let activity = activity(record)?;
    if !USER_LIFECYCLE_ACTIVITIES
        .iter()
        .any(|a| a.eq_ignore_ascii_case(activity))
    {
        return None;
    }
    let view = LogRecord(record);
    if !names_temporary_admin(identities, &view.targets_text()?) {
        return None;
    }
    let user = view.first_target_name().unwrap_or("(unnamed)").to_string();
    let change = if activity.eq_ignore_ascii_case("Add user") {
        "created"
    } else if activity.eq_ignore_ascii_case("Hard Delete user") {
        "permanently deleted"
    } else {
        "deleted"
    };
    let event = match_record(record, identities, Some(&user), location.clone())?;
    let title = format!("Temporary administrator {user} {change}");
    // The temporary administrator is no watched object: the record's own target names it.
    let (user_id, upn) = view.targets().first().copied().unzip();
    let subject = Subject {
        user_id: user_id.map(str::to_string),
        user_principal_name: upn.flatten().map(str::to_string),
        ..Subject::default()
    };
    Some(notify(
        record,
        identities,
        Source::DirectoryAudits,
        event,
        Headline {
            severity: Severity::High,
            title,
            identity: user,
        },
        subject,
    ))
}

const POLICY_UPDATE: &str = "Update conditional access policy";

fn is_policy_update(record: &Value) -> bool {
    activity(record).is_some_and(|a| a.eq_ignore_ascii_case(POLICY_UPDATE))
}

/// A Conditional Access policy update that dropped an emergency exclusion: the policy is not
/// a watched object, so the ids are looked for in its old and new values, as the
/// `ca-exclusion-removed` rule does.
fn exclusion_removed(
    record: &Value,
    identities: &EmergencyIdentities,
    location: &SourceLocation,
) -> Option<Notification> {
    let view = LogRecord(record);
    let (old_values, new_values) = view.first_target_changes()?;
    let removed = identities.exclusions_removed(&old_values, &new_values);
    let first = removed.first()?;
    let event = match_record(record, identities, Some(first), location.clone())?;
    let names = removed
        .iter()
        .map(|id| identities.describe(id).unwrap_or_else(|| id.to_string()))
        .collect::<Vec<_>>()
        .join(", ");
    let policy_name = view.first_target_label().unwrap_or("(unnamed)");
    let title = format!("Conditional Access policy {policy_name} no longer excludes {names}");
    let severity = event.severity;
    let subject = subject_of_ids(identities, removed.iter().map(|id| (*id, None)));
    Some(notify(
        record,
        identities,
        Source::DirectoryAudits,
        event,
        Headline {
            severity,
            title,
            identity: names,
        },
        subject,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use breakglass_core::identities::{MonitoredCredential, MonitoredUser, Severity};
    use serde_json::json;

    fn identities() -> EmergencyIdentities {
        EmergencyIdentities {
            tenant_id: "t".into(),
            app_id: "11111111-1111-1111-1111-111111111111".into(),
            application_object_id: "22222222-2222-2222-2222-222222222222".into(),
            service_principal_id: "33333333-3333-3333-3333-333333333333".into(),
            credentials: vec![MonitoredCredential {
                key_id: "44444444-4444-4444-4444-444444444444".into(),
                label: "rotating".into(),
                kind: "secret".into(),
                thumbprint: None,
                severity: Severity::High,
            }],
            users: vec![MonitoredUser {
                id: "55555555-5555-5555-5555-555555555555".into(),
                user_principal_name: "bg-a@contoso.onmicrosoft.com".into(),
            }],
            ..EmergencyIdentities::default()
        }
    }

    #[test]
    fn a_sign_in_with_a_known_key_carries_its_label_and_severity() {
        let record = json!({
            "id": "s1", "createdDateTime": "2026-01-01T00:00:00Z",
            "appId": "11111111-1111-1111-1111-111111111111",
            "servicePrincipalCredentialKeyId": "44444444-4444-4444-4444-444444444444",
            "signInEventTypes": ["servicePrincipal"], "ipAddress": "10.0.0.1",
            "status": {"errorCode": 0}
        });
        let n = notification(&record, &identities(), Source::ServicePrincipalSignIns).unwrap();
        assert_eq!(n.id, "s1");
        assert_eq!(n.severity, Severity::High);
        assert_eq!(n.credential_label.as_deref(), Some("rotating"));
        assert_eq!(n.result, "success");
        assert!(n.title.contains("rotating"), "{}", n.title);

        let unknown = json!({
            "id": "s2", "createdDateTime": "2026-01-01T00:00:00Z",
            "appId": "11111111-1111-1111-1111-111111111111",
            "servicePrincipalCredentialKeyId": "99999999-4444-4444-4444-444444444444",
            "signInEventTypes": ["servicePrincipal"], "status": {"errorCode": 0}
        });
        let n = notification(&unknown, &identities(), Source::ServicePrincipalSignIns).unwrap();
        assert_eq!(n.severity, Severity::Critical);
        assert!(n.title.contains("UNKNOWN"));
    }

    #[test]
    fn a_notification_names_the_tenant_objects_record_and_outcome() {
        let mut ids = identities();
        ids.exclusion_group_id = "66666666-6666-6666-6666-666666666666".into();
        let failed = json!({
            "id": "s3", "correlationId": "corr-1", "createdDateTime": "2026-01-01T00:00:00Z",
            "appId": "11111111-1111-1111-1111-111111111111",
            "servicePrincipalId": "33333333-3333-3333-3333-333333333333",
            "servicePrincipalCredentialKeyId": "44444444-4444-4444-4444-444444444444",
            "signInEventTypes": ["servicePrincipal"], "ipAddress": "198.51.100.4",
            "status": {"errorCode": 7000215, "failureReason": "Invalid client secret provided."}
        });
        let n = notification(&failed, &ids, Source::ServicePrincipalSignIns).unwrap();
        assert_eq!(n.tenant_id, "t");
        assert_eq!(n.correlation_id.as_deref(), Some("corr-1"));
        assert_eq!(n.subject.app_id.as_deref(), Some(ids.app_id.as_str()));
        assert_eq!(
            n.subject.service_principal_id.as_deref(),
            Some(ids.service_principal_id.as_str())
        );
        assert_eq!(n.subject.user_id, None);
        assert_eq!(n.result, "failure");
        assert_eq!(n.error_code.as_deref(), Some("7000215"));
        assert_eq!(
            n.failure_reason.as_deref(),
            Some("Invalid client secret provided.")
        );

        let user_sign_in = json!({
            "id": "s4", "createdDateTime": "2026-01-01T00:00:00Z", "appId": "portal",
            "userId": "55555555-5555-5555-5555-555555555555", "status": {"errorCode": 0}
        });
        let n = notification(&user_sign_in, &ids, Source::UserSignIns).unwrap();
        assert_eq!(
            n.subject.user_principal_name.as_deref(),
            Some("bg-a@contoso.onmicrosoft.com"),
            "the UPN comes from the identities when the record lacks it"
        );
        assert_eq!(n.subject.app_id, None, "signed in to another app");

        let group_change = json!({
            "id": "a5", "correlationId": "corr-5", "activityDateTime": "2026-01-01T00:00:00Z",
            "activityDisplayName": "Remove member from group", "result": "failure",
            "resultReason": "Insufficient privileges",
            "initiatedBy": {"user": {"userPrincipalName": "mallory@contoso.com", "ipAddress": "203.0.113.9"}},
            "targetResources": [
                {"id": "55555555-5555-5555-5555-555555555555", "type": "User"},
                {"id": "66666666-6666-6666-6666-666666666666", "type": "Group"}
            ]
        });
        let n = notification(&group_change, &ids, Source::DirectoryAudits).unwrap();
        assert_eq!(n.activity.as_deref(), Some("Remove member from group"));
        assert_eq!(n.initiated_by.as_deref(), Some("mallory@contoso.com"));
        assert_eq!(n.ip_address.as_deref(), Some("203.0.113.9"));
        assert_eq!(
            n.subject.user_id.as_deref(),
            Some("55555555-5555-5555-5555-555555555555")
        );
        assert_eq!(
            n.subject.group_id.as_deref(),
            Some("66666666-6666-6666-6666-666666666666")
        );
        assert_eq!(n.failure_reason.as_deref(), Some("Insufficient privileges"));
    }

    #[test]
    fn audits_need_a_watched_object_and_a_watched_activity() {
        let audit = |activity: &str, target: &str| {
            json!({
                "id": "a1", "activityDateTime": "2026-01-01T00:00:00Z",
                "activityDisplayName": activity, "result": "success",
                "targetResources": [{"id": target, "type": "Application"}]
            })
        };
        let ids = identities();
        let change = audit(
            "Update application \u{2013} Certificates and secrets management",
            "22222222-2222-2222-2222-222222222222",
        );
        let n = notification(&change, &ids, Source::DirectoryAudits).unwrap();
        assert_eq!(n.severity, Severity::Critical);
        assert_eq!(n.kind, EventKind::AuditChange);
        assert!(
            notification(
                &audit("Update application", "00000000-0000-0000-0000-000000000000"),
                &ids,
                Source::DirectoryAudits
            )
            .is_none()
        );
        assert!(
            notification(
                &audit("Add tag", "22222222-2222-2222-2222-222222222222"),
                &ids,
                Source::DirectoryAudits
            )
            .is_none()
        );
    }

    #[test]
    fn a_policy_update_is_raised_only_when_it_drops_an_exclusion() {
        let mut ids = identities();
        ids.exclusion_group_id = "66666666-6666-6666-6666-666666666666".into();
        let update = |old: &str, new: &str| {
            json!({
                "id": "p1", "activityDateTime": "2026-01-01T00:00:00Z",
                "activityDisplayName": "Update conditional access policy", "result": "success",
                "initiatedBy": {"user": {"id": "x", "ipAddress": "192.0.2.7"}},
                "targetResources": [{"id": "pol", "displayName": "Require MFA", "type": "Policy",
                    "modifiedProperties": [{"displayName": "ConditionalAccessPolicy",
                        "oldValue": old, "newValue": new}]}]
            })
        };
        let with = r#"{"excludeGroups":["66666666-6666-6666-6666-666666666666"]}"#;
        let without = r#"{"excludeGroups":[]}"#;
        let n = notification(&update(with, without), &ids, Source::DirectoryAudits).unwrap();
        assert_eq!(
            n.title,
            "Conditional Access policy Require MFA no longer excludes exclusion group"
        );
        assert_eq!(n.ip_address.as_deref(), Some("192.0.2.7"));
        assert!(notification(&update(without, with), &ids, Source::DirectoryAudits).is_none());
        assert!(notification(&update(with, with), &ids, Source::DirectoryAudits).is_none());
    }

    #[test]
    fn every_role_change_and_a_federated_credential_are_raised() {
        let ids = identities();
        let audit = |activity: &str, target: Value| {
            json!({
                "id": "r1", "activityDateTime": "2026-01-01T00:00:00Z",
                "activityDisplayName": activity, "result": "success",
                "targetResources": [target]
            })
        };
        let user = json!({"id": "55555555-5555-5555-5555-555555555555", "type": "User",
            "userPrincipalName": "bg-a@contoso.onmicrosoft.com"});
        for (activity, severity) in [
            (
                "Remove permanent direct role assignment",
                Severity::Critical,
            ),
            (
                "Remove member from role (PIM activation expired)",
                Severity::Critical,
            ),
            (
                "Add member to role outside of PIM (permanent)",
                Severity::High,
            ),
            (
                "Add eligible member to role in PIM completed (permanent)",
                Severity::High,
            ),
        ] {
            let n = notification(
                &audit(activity, user.clone()),
                &ids,
                Source::DirectoryAudits,
            )
            .unwrap_or_else(|| panic!("{activity}"));
            assert_eq!(n.severity, severity, "{activity}");
        }
        assert!(
            notification(
                &audit("Add member to role requested (PIM activation)", user),
                &ids,
                Source::DirectoryAudits
            )
            .is_none(),
            "a request changes nothing yet"
        );

        let app = json!({"id": "22222222-2222-2222-2222-222222222222", "type": "Application",
            "displayName": "breakglass emergency access",
            "modifiedProperties": [{"displayName": "FederatedIdentityCredentials",
                "oldValue": null, "newValue": "\"deploy: https://token.actions.githubusercontent.com\""}]});
        let policy_removed =
            json!({"id": "22222222-2222-2222-2222-222222222222", "type": "Application"});
        assert!(
            notification(
                &audit("Remove policy from application", policy_removed),
                &ids,
                Source::DirectoryAudits
            )
            .is_some(),
            "an exemption removed from the app"
        );
        let n = notification(
            &audit("Update application", app),
            &ids,
            Source::DirectoryAudits,
        )
        .unwrap();
        assert_eq!(n.severity, Severity::Critical);
        assert!(
            n.title.starts_with("Federated identity credential of"),
            "{}",
            n.title
        );
    }
}
