//! `breakglass temp-user list`: the temporary administrators and their leases.

use std::collections::BTreeMap;

use breakglass_core::lease::{Marker, format_clock, format_timestamp};
use jiff::SignedDuration;
use serde::Serialize;

use crate::context::CommandHelper;
use crate::error::CommandError;
use crate::output::{Report, table};
use crate::session::OperatorArgs;
use crate::ui::Ui;
use breakglass_ops::lease::{self, LeaseFile};

/// Lists temporary administrators with their lease: who, until when, whose.
///
/// The tenant's own markers (users whose employeeType starts with
/// breakglass:temporary:) are the list; local lease files on this machine add the role
/// and show which leases are yours. Expired leases are listed until `breakglass sweep`
/// removes them.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub operator: OperatorArgs,
}

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

impl Report for LeaseList {
    fn human(&self, ui: &Ui) -> String {
        let mut text = String::new();
        if self.leases.is_empty() {
            text.push_str("No temporary administrators.\n");
        } else {
            let mut table = table(ui, &["user", "expires", "left", "operator", "local lease"]);
            for lease in &self.leases {
                let left = if lease.expired {
                    "expired".to_string()
                } else {
                    format_clock(SignedDuration::from_secs(lease.remaining_seconds))
                };
                let operator = match (&lease.operator, lease.yours) {
                    (Some(operator), true) => format!("{operator} (you)"),
                    (Some(operator), false) => operator.clone(),
                    (None, _) => "unknown".to_string(),
                };
                table.add_row(vec![
                    lease
                        .user_principal_name
                        .clone()
                        .unwrap_or_else(|| lease.user_id.clone()),
                    lease
                        .expires
                        .clone()
                        .unwrap_or_else(|| "unreadable".to_string()),
                    left,
                    operator,
                    if lease.local_lease.is_some() {
                        "yes"
                    } else {
                        "no"
                    }
                    .to_string(),
                ]);
            }
            text.push_str(&format!("{table}\n"));
            let expired = self.leases.iter().filter(|l| l.expired).count();
            if expired > 0 {
                text.push_str(&format!(
                    "{expired} expired; `breakglass sweep` removes {}.\n",
                    if expired == 1 { "it" } else { "them" }
                ));
            }
        }
        if !self.stale_local_leases.is_empty() {
            text.push_str(&format!(
                "{} local lease file(s) name users the tenant no longer holds; `breakglass sweep` removes them.\n",
                self.stale_local_leases.len()
            ));
        }
        text
    }
}

pub async fn cmd_list(helper: &CommandHelper, args: &ListArgs) -> Result<(), CommandError> {
    let session = helper.sign_in(&args.operator).await?;
    let operator = lease::operator_identity(&session)?;
    let (users, now) = {
        let _spinner = helper.ui().spinner("reading temporary administrators…");
        lease::temporary_users(&session.graph).await?
    };
    let local = lease::read_leases()?;
    let mut local: BTreeMap<String, (String, LeaseFile)> = local
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
    helper.ui().emit(&LeaseList {
        tenant_time: format_timestamp(now),
        leases,
        stale_local_leases: local.into_values().map(|(path, _)| path).collect(),
    })
}
