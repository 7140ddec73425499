//! The temporary administrators of a tenant with their leases, as the tenant marks them and
//! as this machine's lease files add to them.

use std::collections::BTreeMap;

use breakglass_core::lease::{Marker, format_timestamp};
use serde::Serialize;

use crate::Progress;
use crate::error::Error;
use crate::lease::{self, LeaseFile};
use crate::session::Session;

/// One temporary administrator.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LeaseRecord {
    pub user_id: String,
    pub user_principal_name: Option<String>,
    /// RFC 3339 UTC; `null` when the marker cannot be read (sweep treats it as expired).
    pub expires: Option<String>,
    pub remaining_seconds: i64,
    pub expired: bool,
    pub created: Option<String>,
    /// `app:<client id>` or `user:<object id>`, from companyName.
    pub operator: Option<String>,
    /// Whether the signed-in operator holds this lease.
    pub yours: bool,
    /// The role, from the local lease file when this machine has one.
    pub role: Option<String>,
    /// The local lease file, when this machine has one.
    pub local_lease: Option<String>,
}

/// What `temp-user list` reports.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LeaseList {
    /// The tenant's time the leases were judged by.
    pub tenant_time: String,
    pub leases: Vec<LeaseRecord>,
    /// Local lease files whose user the tenant no longer has as a temporary administrator.
    pub stale_local_leases: Vec<String>,
}

/// Every temporary administrator of the tenant `session` signed in to, soonest to expire
/// first (unreadable markers first of all), and the local lease files of users the tenant no
/// longer holds.
pub async fn list(progress: &dyn Progress, session: &Session) -> Result<LeaseList, Error> {
    let operator = lease::operator_identity(session)?;
    let (users, now) = {
        let _busy = progress.busy("reading temporary administrators…");
        lease::temporary_users(&session.graph).await?
    };
    let mut local: BTreeMap<String, (String, LeaseFile)> = lease::read_leases()?
        .into_iter()
        .filter(|(_, lease)| {
            lease.tenant_id.is_empty()
                || operator.tenant_id.is_empty()
                || lease.tenant_id.eq_ignore_ascii_case(&operator.tenant_id)
        })
        .map(|(path, lease)| {
            (
                lease.user_id.to_ascii_lowercase(),
                (path.display().to_string(), lease),
            )
        })
        .collect();
    let mut leases: Vec<LeaseRecord> = users
        .into_iter()
        .map(|user| {
            let own = local.remove(&user.id.to_ascii_lowercase());
            let remaining = match user.marker {
                Marker::Expires(at) => at.duration_since(now).as_secs().max(0),
                _ => 0,
            };
            LeaseRecord {
                expires: user.marker.expires().map(format_timestamp),
                remaining_seconds: remaining,
                expired: user.marker.is_expired(now),
                created: user.created.map(format_timestamp),
                yours: user.operator.as_deref() == Some(operator.id.as_str()),
                operator: user.operator,
                role: own.as_ref().map(|(_, lease)| lease.role.clone()),
                local_lease: own.map(|(path, _)| path),
                user_id: user.id,
                user_principal_name: user.user_principal_name,
            }
        })
        .collect();
    leases
        .sort_by(|a, b| (a.expires.is_some(), &a.expires).cmp(&(b.expires.is_some(), &b.expires)));
    Ok(LeaseList {
        tenant_time: format_timestamp(now),
        leases,
        stale_local_leases: local.into_values().map(|(path, _)| path).collect(),
    })
}
