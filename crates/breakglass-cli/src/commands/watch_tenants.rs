//! `breakglass --tenants FILE watch`: one process watches every tenant of a tenants file, each
//! with its own durable cursors (a state file per tenant id), and every notification names its
//! tenant. A tenant whose poll fails is warned about and polled again at the next interval; it
//! never holds up the others.

use std::path::{Path, PathBuf};

use breakglass_ops::tenants::TenantTarget;
use breakglass_ops::watch::cursor::{WatchState, default_state_path, ensure_parent};
use breakglass_ops::watch::sinks::Delivery;
use breakglass_ops::watch::timing::Timing;
use breakglass_ops::watch::watcher::{PollReport, Watcher};
use tokio::time::Instant;

use crate::commands::tenants::{AcrossTenants, across, run_across};
use crate::commands::watch::{WatchArgs, sinks};
use crate::context::CommandHelper;
use crate::error::{CommandError, usage_error};

impl AcrossTenants for PollReport {
    const TITLE: &'static str = "Watch";
    const COLUMNS: &'static [&'static str] = &["DELIVERED", "ALREADY", "NOT YET DELIVERED"];

    /// A tenant passes when every receiver has every event of the poll.
    fn passed(&self) -> bool {
        self.missed_error().is_none()
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.delivered.len().to_string(),
            self.already_delivered.to_string(),
            self.missed.to_string(),
        ]
    }
}

/// The folder of the per-tenant state files: `--state DIR`, or `tenants/` beside the
/// default state file.
fn state_folder(args: &WatchArgs) -> Result<PathBuf, CommandError> {
    Ok(match &args.state {
        Some(dir) => dir.clone(),
        None => default_state_path()?
            .parent()
            .map_or_else(|| PathBuf::from("tenants"), |p| p.join("tenants")),
    })
}

/// One poll of one tenant, ending within `--run-timeout` of its start.
async fn poll_tenant(
    tenant_helper: CommandHelper,
    target: TenantTarget,
    args: &WatchArgs,
    timing: &Timing,
    folder: &Path,
) -> Result<PollReport, CommandError> {
    let started = Instant::now();
    // Named by the tenant id: renaming a tenant in the file keeps its cursors.
    let state_path = folder.join(format!(
        "{}.json",
        target.tenant_id.to_string().to_ascii_lowercase()
    ));
    ensure_parent(&state_path)?;
    WatchState::load(&state_path)?;
    let watcher = Watcher {
        progress: tenant_helper.ui(),
        sinks: sinks(args, timing.timeout)?,
        delivery: Delivery::new(timing.timeout, args.retries)?,
        overlap: timing.overlap,
        state_path,
        run_timeout: args.run_timeout.trim().to_string(),
        tenant_name: Some(target.name.clone()),
    };
    let deadline = started + timing.run_timeout;
    let operator = crate::session::OperatorArgs {
        tenant: Some(target.tenant_id.to_string()),
        ..args.operator.clone()
    };
    let session = watcher
        .within(
            deadline,
            "signing in",
            tenant_helper.sign_in_for(&operator, &target.config),
        )
        .await?;
    let identities = watcher
        .within(
            deadline,
            "reading the emergency identities",
            breakglass_ops::monitor::identities::gather(&session, &target.config),
        )
        .await?;
    Ok(watcher.poll(&session.graph, &identities, deadline).await?)
}

/// Watches every tenant: `--once` polls each once and prints the summary; otherwise polls them
/// all every `--poll-interval`, warning about a tenant whose poll failed.
pub async fn cmd_watch_tenants(
    helper: &CommandHelper,
    args: &WatchArgs,
    tenants_file: &Path,
) -> Result<(), CommandError> {
    if args.identities.is_some() {
        return Err(usage_error("`--identities` holds one tenant's identities")
            .hinted("with --tenants each tenant's identities are read from the tenant"));
    }
    let timing = args.timing()?;
    // Receivers are checked once, before any tenant is read.
    sinks(args, timing.timeout)?;
    let folder = state_folder(args)?;
    let job = |tenant_helper: CommandHelper, target: TenantTarget| {
        poll_tenant(tenant_helper, target, args, &timing, &folder)
    };
    if args.once {
        return run_across(helper, tenants_file, job).await;
    }
    let ui = helper.ui();
    ui.status(format!(
        "Watching every tenant of {} every {}; state in {}.",
        tenants_file.display(),
        breakglass_core::flag_duration::show(timing.poll_interval),
        folder.display()
    ));
    let concurrency = usize::from(helper.global().concurrency);
    loop {
        let outcomes = across(helper, tenants_file, job, PollReport::passed, concurrency).await?;
        for outcome in &outcomes {
            match (&outcome.report, &outcome.error) {
                (Some(report), _) => {
                    for missing in report.receivers_missing() {
                        ui.warn(format!(
                            "[{}] {missing} notification(s) in this poll; they are sent again at the next poll",
                            outcome.name
                        ));
                    }
                }
                (None, Some(error)) => ui.warn(format!(
                    "[{}] poll failed: {}; retrying at the next poll",
                    outcome.name, error.message
                )),
                (None, None) => {}
            }
        }
        tokio::time::sleep(timing.poll_interval).await;
    }
}
