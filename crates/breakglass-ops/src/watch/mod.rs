//! `breakglass watch`: poll the sign-in and audit logs for the emergency identities and
//! send a notification for every event an alert rule would raise.
//!
//! [`poll`] reads Graph and turns records into [`Notification`]s (the detection itself is
//! `breakglass_scan::match_record`, shared with `scan`), [`sinks`] delivers them (email
//! through [`email`]), [`queue`] gives every receiver its own queue so that none waits for
//! another, and [`cursor`] remembers, durably, how far each receiver has confirmed each
//! source and which events it has confirmed.

pub mod cursor;
pub mod email;
pub mod poll;
pub mod queue;
pub mod receivers;
pub mod sinks;
pub mod timing;
pub mod watcher;

use breakglass_core::identities::Severity;
pub use breakglass_core::monitor::severity_name;
use breakglass_scan::EventKind;
use serde::Serialize;

/// One event to notify about; also the generic webhook's JSON body, whose shape
/// `docs/notification.schema.json` documents. It carries what a responder needs to act
/// without opening the portal: which tenant and object, which credential, which record (and
/// its correlation id, to find the rest of the request in the logs), from where, and how
/// it ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    /// The Graph record id: stable across polls and restarts, for receivers to de-duplicate.
    pub id: String,
    pub correlation_id: Option<String>,
    pub tenant_id: String,
    /// The tenant's name in the tenants file, when one watch serves several tenants.
    pub tenant_name: Option<String>,
    /// When the event happened (Graph's `createdDateTime` or `activityDateTime`).
    pub time: String,
    pub severity: Severity,
    pub kind: EventKind,
    /// One line for people.
    pub title: String,
    pub identity: String,
    #[serde(flatten)]
    pub subject: Subject,
    pub credential_key_id: Option<String>,
    pub credential_label: Option<String>,
    pub ip_address: Option<String>,
    /// `success`, `failure` or `unknown`.
    pub result: String,
    /// A failed sign-in's error code (an AADSTS number) or nothing.
    pub error_code: Option<String>,
    pub failure_reason: Option<String>,
    /// A directory audit's activity, as Entra names it.
    pub activity: Option<String>,
    /// Who made an audited change: a UPN, an app's name or an id.
    pub initiated_by: Option<String>,
    /// Which log it came from: `signIns`, `servicePrincipalSignIns` or `directoryAudits`.
    pub source: String,
}

/// The emergency objects (or the temporary administrator) an event is about, by id, so a
/// responder can go straight to them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Subject {
    /// The emergency app's application (client) id, when the event concerns the app.
    pub app_id: Option<String>,
    pub service_principal_id: Option<String>,
    pub user_id: Option<String>,
    pub user_principal_name: Option<String>,
    /// The Conditional Access exclusion group, when the event concerns it.
    pub group_id: Option<String>,
}

/// The header carrying the event id, for receivers that de-duplicate without parsing.
pub const EVENT_ID_HEADER: &str = "X-Breakglass-Event-Id";

/// The facts every message shows besides its title: Slack's fields, Teams' FactSet, the
/// lines of an email.
pub(super) fn facts(n: &Notification) -> Vec<(&'static str, String)> {
    let optional = [
        ("Activity", &n.activity),
        ("Initiated by", &n.initiated_by),
        ("Failure", &n.failure_reason),
        ("Error code", &n.error_code),
        ("Credential", &n.credential_label),
        ("Key id", &n.credential_key_id),
        ("IP address", &n.ip_address),
        ("App id", &n.subject.app_id),
        ("Service principal id", &n.subject.service_principal_id),
        ("User", &n.subject.user_principal_name),
        ("User id", &n.subject.user_id),
        ("Group id", &n.subject.group_id),
    ];
    let mut facts = vec![
        ("Severity", severity_name(n.severity).to_string()),
        ("Identity", n.identity.clone()),
        ("Time", n.time.clone()),
        ("Result", n.result.clone()),
    ];
    facts.extend(
        optional
            .into_iter()
            .filter_map(|(name, value)| value.clone().map(|value| (name, value))),
    );
    if let Some(name) = &n.tenant_name {
        facts.push(("Tenant", name.clone()));
    }
    facts.push(("Tenant id", n.tenant_id.clone()));
    facts.push(("Source", n.source.clone()));
    facts.push(("Event id", n.id.clone()));
    if let Some(correlation) = &n.correlation_id {
        facts.push(("Correlation id", correlation.clone()));
    }
    facts
}
