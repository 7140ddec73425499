//! `breakglass sweep`: remove every temporary administrator whose lease is over.

use std::collections::BTreeSet;

use breakglass_core::lease::{Marker, format_clock, format_timestamp};
use jiff::SignedDuration;
use serde::Serialize;

use crate::context::CommandHelper;
use crate::error::{CommandError, ErrorKind};
use crate::output::{Report, table};
use crate::session::OperatorArgs;
use crate::ui::Ui;
use breakglass_ops::lease::{self, Step, TemporaryUser};

/// Removes every temporary administrator whose lease has expired, as the tenant records
/// it, whoever made it and whether or not its countdown is still running.
///
/// Finds them by their lease marker (GET /users?$filter=startswith(employeeType,
/// 'breakglass:temporary:')), judges expiry by the tenant's clock, and removes each one
/// as `temp-user` does at the end of a lease: role assignments, sign-in sessions, the
/// user, and the user in deleted items. Temporary administrators already deleted but
/// still in deleted items are purged too, and local lease files of users that are gone
/// are removed. Each step is idempotent, so running it again, or alongside a countdown,
/// is safe.
///
/// Run it from cron or a scheduled pipeline with the operator's credentials in the
/// environment; see docs/temp-user.md.
#[derive(Debug, clap::Args)]
pub struct SweepArgs {
    /// Show what would be removed, and change nothing.
    #[arg(long)]
    pub dry_run: bool,

    #[command(flatten)]
    pub operator: OperatorArgs,
}

/// A temporary administrator sweep removed (or would remove).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Swept {
    pub user_id: String,
    pub user_principal_name: Option<String>,
    pub expires: Option<String>,
    /// `expired`, `markerUnreadable`, `alreadyDeleted` or `localLeaseExpired`.
    pub reason: &'static str,
    /// Empty with `--dry-run`.
    pub steps: Vec<Step>,
}

/// A temporary administrator whose lease runs on.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Kept {
    pub user_id: String,
    pub user_principal_name: Option<String>,
    pub expires: String,
    pub remaining_seconds: i64,
}

/// One that could not be removed.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Failed {
    pub user_id: String,
    pub user_principal_name: Option<String>,
    pub error: String,
}

/// What `sweep` reports.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SweepReport {
    pub tenant_time: String,
    pub dry_run: bool,
    pub removed: Vec<Swept>,
    pub kept: Vec<Kept>,
    pub failed: Vec<Failed>,
    /// Local lease files removed because their user is gone from the tenant.
    pub local_leases_removed: Vec<String>,
}

impl Report for SweepReport {
    fn human(&self, ui: &Ui) -> String {
        let mut text = String::new();
        let verb = if self.dry_run {
            "Would remove"
        } else {
            "Removed"
        };
        if self.removed.is_empty() {
            text.push_str("No expired temporary administrators.\n");
        } else {
            let mut table = table(ui, &["user", "expired", "why", "steps"]);
            for swept in &self.removed {
                let steps = if swept.steps.is_empty() {
                    "(dry run)".to_string()
                } else {
                    swept
                        .steps
                        .iter()
                        .map(Step::line)
                        .collect::<Vec<_>>()
                        .join("\n")
                };
                table.add_row(vec![
                    swept
                        .user_principal_name
                        .clone()
                        .unwrap_or_else(|| swept.user_id.clone()),
                    swept
                        .expires
                        .clone()
                        .unwrap_or_else(|| "unknown".to_string()),
                    swept.reason.to_string(),
                    steps,
                ]);
            }
            text.push_str(&format!(
                "{verb} {} temporary administrator{}:\n{table}\n",
                self.removed.len(),
                if self.removed.len() == 1 { "" } else { "s" }
            ));
        }
        for failed in &self.failed {
            text.push_str(&format!(
                "Could not remove {}: {}\n",
                failed
                    .user_principal_name
                    .as_deref()
                    .unwrap_or(&failed.user_id),
                failed.error
            ));
        }
        if !self.kept.is_empty() {
            let next = &self.kept[0];
            text.push_str(&format!(
                "{} lease{} still running; the next ends at {} ({} left).\n",
                self.kept.len(),
                if self.kept.len() == 1 { "" } else { "s" },
                next.expires,
                format_clock(SignedDuration::from_secs(next.remaining_seconds))
            ));
        }
        if !self.local_leases_removed.is_empty() {
            text.push_str(&format!(
                "{} {} stale local lease file(s).\n",
                if self.dry_run {
                    "Would remove"
                } else {
                    "Removed"
                },
                self.local_leases_removed.len()
            ));
        }
        text
    }
}

pub async fn cmd_sweep(helper: &CommandHelper, args: &SweepArgs) -> Result<(), CommandError> {
    let ui = helper.ui();
    let session = helper.sign_in(&args.operator).await?;
    let graph = &session.graph;
    let operator = lease::operator_identity(&session)?;
    let ((live, now), deleted) = {
        let _spinner = ui.spinner("reading temporary administrators…");
        let live = lease::temporary_users(graph).await?;
        let deleted = lease::deleted_temporary_users(graph).await?;
        (live, deleted)
    };

    // What to remove, and why.
    let mut candidates: Vec<(TemporaryUser, &'static str)> = Vec::new();
    let mut kept = Vec::new();
    let mut known: BTreeSet<String> = BTreeSet::new();
    for user in live {
        known.insert(user.id.to_ascii_lowercase());
        match user.marker {
            Marker::Expires(at) if at > now => kept.push(Kept {
                user_id: user.id.clone(),
                user_principal_name: user.user_principal_name.clone(),
                expires: format_timestamp(at),
                remaining_seconds: at.duration_since(now).as_secs(),
            }),
            Marker::Expires(_) => candidates.push((user, "expired")),
            _ => candidates.push((user, "markerUnreadable")),
        }
    }
    for user in deleted {
        if known.insert(user.id.to_ascii_lowercase()) {
            candidates.push((user, "alreadyDeleted"));
        }
    }
    // Local leases whose user the tenant no longer marks: a marker edited away, or gone.
    let local = lease::read_leases()?;
    let mut stale = Vec::new();
    for (path, local_lease) in local {
        let same_tenant = local_lease.tenant_id.is_empty()
            || operator.tenant_id.is_empty()
            || local_lease
                .tenant_id
                .eq_ignore_ascii_case(&operator.tenant_id);
        if !same_tenant || known.contains(&local_lease.user_id.to_ascii_lowercase()) {
            continue;
        }
        match lease::user_by_key(graph, &local_lease.user_id).await? {
            (None, _) => stale.push((path, local_lease.user_id)),
            (Some(_), _) if local_lease.expires <= now => candidates.push((
                TemporaryUser {
                    id: local_lease.user_id.clone(),
                    user_principal_name: Some(local_lease.user_principal_name.clone()),
                    marker: Marker::Expires(local_lease.expires),
                    operator: Some(local_lease.operator.clone()),
                    created: Some(local_lease.created),
                    deleted: None,
                },
                "localLeaseExpired",
            )),
            (Some(_), _) => kept.push(Kept {
                user_id: local_lease.user_id.clone(),
                user_principal_name: Some(local_lease.user_principal_name.clone()),
                expires: format_timestamp(local_lease.expires),
                remaining_seconds: local_lease.expires.duration_since(now).as_secs(),
            }),
        }
    }
    kept.sort_by_key(|k| k.remaining_seconds);

    let mut removed = Vec::new();
    let mut failed = Vec::new();
    let mut first_error: Option<CommandError> = None;
    for (user, reason) in candidates {
        let expires = user.marker.expires().map(format_timestamp);
        if args.dry_run {
            removed.push(Swept {
                user_id: user.id.clone(),
                user_principal_name: user.user_principal_name.clone(),
                expires,
                reason,
                steps: Vec::new(),
            });
            continue;
        }
        ui.status(format!(
            "removing {} ({})",
            user.label(),
            match user.marker.expires() {
                Some(at) => format!("lease ended {}", format_timestamp(at)),
                None => "lease unreadable".to_string(),
            }
        ));
        match lease::remove_user(ui, graph, &user.id, user.label()).await {
            Ok(steps) => {
                if let Err(err) = lease::remove_lease(&user.id) {
                    ui.warn(format!("the local lease file was not removed: {err}"));
                }
                removed.push(Swept {
                    user_id: user.id.clone(),
                    user_principal_name: user.user_principal_name.clone(),
                    expires,
                    reason,
                    steps,
                });
            }
            Err(err) => {
                failed.push(Failed {
                    user_id: user.id.clone(),
                    user_principal_name: user.user_principal_name.clone(),
                    error: err.to_string(),
                });
                first_error.get_or_insert(err.into());
            }
        }
    }
    let mut local_leases_removed = Vec::new();
    for (path, user_id) in stale {
        if !args.dry_run
            && let Err(err) = lease::remove_lease(&user_id)
        {
            ui.warn(format!("could not remove {}: {err}", path.display()));
            continue;
        }
        local_leases_removed.push(path.display().to_string());
    }
    let failures = failed.len();
    ui.emit(&SweepReport {
        tenant_time: format_timestamp(now),
        dry_run: args.dry_run,
        removed,
        kept,
        failed,
        local_leases_removed,
    })?;
    match first_error {
        None => Ok(()),
        Some(err) if failures == 1 => Err(err),
        Some(err) => Err(CommandError::new(
            ErrorKind::Service,
            format!("could not remove {failures} temporary administrators; the first: {err}"),
        )
        .hinted("run `breakglass sweep` again; each step is idempotent")),
    }
}
