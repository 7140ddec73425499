//! `breakglass monitor …`: what to watch, and alert rules that watch it.

use crate::context::CommandHelper;
use crate::error::CommandError;
use crate::provision::ConfigArgs;
use crate::session::OperatorArgs;

pub mod deploy;
pub mod identities;
pub mod rules;

/// Monitoring of the emergency access identities: list every id an alert must match
/// (`identities`), generate alert rules for Microsoft Sentinel or Azure Monitor (`rules`),
/// put them in place through Azure Resource Manager (`deploy`) and check them (`status`).
///
/// Every sign-in of the emergency app or users and every change to them should raise an
/// alert; see docs/monitoring.md for the detections and how to deploy them.
#[derive(Debug, clap::Subcommand)]
pub enum MonitorCommand {
    Identities(identities::IdentitiesArgs),
    Rules(rules::RulesArgs),
    Deploy(deploy::DeployArgs),
    Status(deploy::StatusArgs),
}

pub async fn cmd_monitor(
    helper: &CommandHelper,
    command: &MonitorCommand,
) -> Result<(), CommandError> {
    match command {
        MonitorCommand::Identities(args) => identities::cmd_identities(helper, args).await,
        MonitorCommand::Rules(args) => rules::cmd_rules(helper, args).await,
        MonitorCommand::Deploy(args) => deploy::cmd_deploy(helper, args).await,
        MonitorCommand::Status(args) => deploy::cmd_status(helper, args).await,
    }
}

/// Signs in as `plan` does and gathers the identities, reporting notes as warnings.
pub async fn gather_signed_in(
    helper: &CommandHelper,
    config_args: &ConfigArgs,
    operator: &OperatorArgs,
) -> Result<breakglass_core::identities::EmergencyIdentities, CommandError> {
    let workspace = config_args.workspace()?;
    let session = helper.sign_in_for(operator, &workspace.config).await?;
    let gathered = {
        let _spinner = helper
            .ui()
            .spinner("reading the emergency access identities from the tenant…");
        breakglass_ops::monitor::identities::gather_with_notes(&session, &workspace.config).await?
    };
    for note in &gathered.notes {
        helper.ui().warn(note);
    }
    Ok(gathered.identities)
}
