//! `breakglass monitor deploy` and `monitor status`: the alert rules through Azure Resource
//! Manager.

use std::path::PathBuf;

use crate::context::CommandHelper;
use crate::error::{CommandError, ErrorKind};
use crate::output::{Report, table};
use crate::provision::ConfigArgs;
use crate::session::OperatorArgs;
use crate::ui::Ui;
use breakglass_ops::monitor::arm::{self, ActionGroup, Deployed, Statuses, WorkspaceId};

/// Deploys the alert rules of `monitor rules` into Azure: one Azure Monitor log alert per
/// detection on the Log Analytics workspace, notifying an action group, and with `--sentinel`
/// one Microsoft Sentinel analytic rule per detection.
///
/// Each rule is read first and written only when it differs, so deploying again reports every
/// rule "unchanged". The operator needs a Resource Manager role that may write alert rules in
/// the workspace's resource group (e.g. Contributor); the Resource Manager token is asked for
/// the same way as the Graph token (`--auth env`, `device-code` or `az`).
#[derive(Debug, clap::Args)]
pub struct DeployArgs {
    /// The Log Analytics workspace's resource id:
    /// /subscriptions/{guid}/resourceGroups/{rg}/providers/Microsoft.OperationalInsights/workspaces/{name}.
    #[arg(long, value_name = "RESOURCE_ID")]
    pub workspace: String,
    /// An existing action group the alerts notify (its resource id).
    #[arg(long, value_name = "RESOURCE_ID", conflicts_with = "email")]
    pub action_group: Option<String>,
    /// Create (or update) the action group `breakglass-emergency-access` in the workspace's
    /// resource group, e-mailing this address.
    #[arg(long, value_name = "ADDRESS")]
    pub email: Option<String>,
    /// Also deploy the Microsoft Sentinel analytic rules (the workspace must have Sentinel).
    #[arg(long)]
    pub sentinel: bool,
    /// Read the identities from this JSON file instead of the tenant.
    #[arg(long, value_name = "FILE")]
    pub identities: Option<PathBuf>,
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub operator: OperatorArgs,
}

/// Shows which of the rules `monitor deploy` puts in place are deployed, as generated, and
/// enabled. Exits 11 when one is missing, differs or is disabled, for scheduled checks.
#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// The Log Analytics workspace's resource id:
    /// /subscriptions/{guid}/resourceGroups/{rg}/providers/Microsoft.OperationalInsights/workspaces/{name}.
    #[arg(long, value_name = "RESOURCE_ID")]
    pub workspace: String,
    /// Also check the Microsoft Sentinel analytic rules.
    #[arg(long)]
    pub sentinel: bool,
    /// Read the identities from this JSON file instead of the tenant.
    #[arg(long, value_name = "FILE")]
    pub identities: Option<PathBuf>,
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub operator: OperatorArgs,
}

impl Report for Deployed {
    fn human(&self, ui: &Ui) -> String {
        let mut rows = table(ui, &["rule", "kind", "result"]);
        for rule in &self.rules {
            rows.add_row(vec![
                rule.name.trim_start_matches("breakglass: ").to_string(),
                rule.kind.to_string(),
                rule.result.to_string(),
            ]);
        }
        let count = |result: &str| self.rules.iter().filter(|r| r.result == result).count();
        format!(
            "{rows}\n\n{} created, {} updated, {} unchanged on {}",
            count("created"),
            count("updated"),
            count("unchanged"),
            self.workspace
        )
    }
}

impl Report for Statuses {
    fn human(&self, ui: &Ui) -> String {
        let mut rows = table(ui, &["rule", "kind", "deployed", "enabled"]);
        for rule in &self.rules {
            rows.add_row(vec![
                rule.name.trim_start_matches("breakglass: ").to_string(),
                rule.kind.to_string(),
                rule.deployed.to_string(),
                match rule.enabled {
                    Some(true) => "yes",
                    Some(false) => "no",
                    None => "-",
                }
                .to_string(),
            ]);
        }
        let missing = self.rules.iter().filter(|r| r.deployed != "yes").count();
        let disabled = self
            .rules
            .iter()
            .filter(|r| r.enabled == Some(false))
            .count();
        let summary = if self.ok {
            format!(
                "all {} rules deployed and enabled on {}",
                self.rules.len(),
                self.workspace
            )
        } else {
            format!(
                "{missing} rule(s) missing or changed, {disabled} disabled on {}; run `breakglass monitor deploy` again",
                self.workspace
            )
        };
        format!("{rows}\n\n{summary}")
    }
}

async fn identities_for(
    helper: &CommandHelper,
    file: &Option<PathBuf>,
    config: &ConfigArgs,
    operator: &OperatorArgs,
) -> Result<breakglass_core::identities::EmergencyIdentities, CommandError> {
    let identities = match file {
        Some(path) => breakglass_ops::monitor::identities::load(path)?,
        None => super::gather_signed_in(helper, config, operator).await?,
    };
    // The same checks as `monitor rules`: a tenant and an app to derive the rules from.
    breakglass_core::monitor::generate(&identities, breakglass_core::monitor::RuleFormat::Kql)
        .map_err(|e| crate::error::config_error(e.to_string()).hinted(e.hint()))?;
    Ok(identities)
}

/// The operator for Resource Manager, in the tenant of `breakglass.toml` when there is one.
fn operator_with_tenant(
    args: &OperatorArgs,
    config: &ConfigArgs,
) -> Result<OperatorArgs, CommandError> {
    match config.workspace() {
        Ok(workspace) => crate::context::operator_for(args, &workspace.config),
        Err(_) => Ok(args.clone()),
    }
}

pub async fn cmd_deploy(helper: &CommandHelper, args: &DeployArgs) -> Result<(), CommandError> {
    let workspace = WorkspaceId::parse(&args.workspace)?;
    let action_group =
        ActionGroup::from_flags(args.action_group.as_deref(), args.email.as_deref())?;
    let identities = identities_for(helper, &args.identities, &args.config, &args.operator).await?;
    let arm =
        crate::monitor::arm_sign_in(helper, &operator_with_tenant(&args.operator, &args.config)?)
            .await?;
    let deployed = {
        let _spinner = helper
            .ui()
            .spinner("deploying the alert rules through Azure Resource Manager…");
        arm::deploy(&arm, &workspace, &identities, action_group, args.sentinel).await?
    };
    helper.ui().emit(&deployed)
}

pub async fn cmd_status(helper: &CommandHelper, args: &StatusArgs) -> Result<(), CommandError> {
    let workspace = WorkspaceId::parse(&args.workspace)?;
    let identities = identities_for(helper, &args.identities, &args.config, &args.operator).await?;
    let arm =
        crate::monitor::arm_sign_in(helper, &operator_with_tenant(&args.operator, &args.config)?)
            .await?;
    let statuses = {
        let _spinner = helper.ui().spinner("reading the alert rules…");
        arm::status(&arm, &workspace, &identities, args.sentinel).await?
    };
    helper.ui().emit(&statuses)?;
    if statuses.ok {
        Ok(())
    } else {
        Err(CommandError::new(
            ErrorKind::MonitoringIncomplete,
            "some alert rules are missing, changed or disabled",
        ))
    }
}
