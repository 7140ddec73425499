//! `breakglass watch`: poll the sign-in and audit logs for the emergency identities and
//! send a notification for every event an alert rule would raise.
//!
//! [`poll`] reads Graph and turns records into [`Notification`]s (the detection itself is
//! `breakglass_scan::match_record`, shared with `scan`), [`sinks`] delivers them (email
//! through [`email`]), and
//! [`cursor`] remembers, durably, how far each source has been read and which events each
//! receiver has confirmed.

pub mod cursor;
pub mod email;
pub mod poll;
pub mod sinks;

use breakglass_core::identities::Severity;
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

/// The name of a severity, as the rules spell it.
pub fn severity_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Informational => "informational",
        Severity::Low => "low",
        Severity::Medium => "medium",
        Severity::High => "high",
        Severity::Critical => "critical",
    }
}
