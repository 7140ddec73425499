//! `breakglass sweep`: remove every temporary administrator whose lease is over.

use breakglass_core::lease::format_clock;
use jiff::SignedDuration;

use crate::context::CommandHelper;
use crate::error::CommandError;
use crate::output::{Report, table};
use crate::session::OperatorArgs;
use crate::ui::Ui;
use breakglass_ops::temp_admin::sweep::{SweepReport, sweep};

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
                        .map(breakglass_ops::lease::Step::line)
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
    let (report, error) = sweep(ui, &session, args.dry_run).await?;
    ui.emit(&report)?;
    match error {
        None => Ok(()),
        Some(error) => Err(error.into()),
    }
}
