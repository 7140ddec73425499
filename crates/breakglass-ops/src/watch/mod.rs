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

/// One event to notify about; also the generic webhook's JSON body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    /// The Graph record id: stable across polls and restarts, for receivers to de-duplicate.
    pub id: String,
    /// When the event happened (Graph's `createdDateTime` or `activityDateTime`).
    pub time: String,
    pub severity: Severity,
    pub kind: EventKind,
    /// One line for people.
    pub title: String,
    pub identity: String,
    pub credential_key_id: Option<String>,
    pub credential_label: Option<String>,
    pub ip_address: Option<String>,
    /// `success`, `failure` or `unknown`.
    pub result: String,
    /// Which log it came from: `signIns`, `servicePrincipalSignIns` or `directoryAudits`.
    pub source: String,
}

/// The header carrying the event id, for receivers that de-duplicate without parsing.
pub const EVENT_ID_HEADER: &str = "X-Breakglass-Event-Id";

/// The facts every message shows besides its title: Slack's fields, Teams' FactSet, the
/// lines of an email.
pub(super) fn facts(n: &Notification) -> Vec<(&'static str, String)> {
    let mut facts = vec![
        ("Severity", severity_name(n.severity).to_string()),
        ("Identity", n.identity.clone()),
        ("Time", n.time.clone()),
        ("Result", n.result.clone()),
    ];
    if let Some(label) = &n.credential_label {
        facts.push(("Credential", label.clone()));
    }
    if let Some(key) = &n.credential_key_id {
        facts.push(("Key id", key.clone()));
    }
    if let Some(ip) = &n.ip_address {
        facts.push(("IP address", ip.clone()));
    }
    facts.push(("Source", n.source.clone()));
    facts.push(("Event id", n.id.clone()));
    facts
}
