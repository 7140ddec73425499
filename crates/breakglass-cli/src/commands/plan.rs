//! `breakglass plan`: what `apply` would change, as a readable diff.

use breakglass_core::pass_policy::{PassTerms, RefusedPass};
use breakglass_core::plan::{self, Action, Plan, Severity, describe};
use breakglass_ops::provision::prepare::Prepared;
use serde::Serialize;

use crate::context::CommandHelper;
use crate::error::{CommandError, ErrorKind};
use crate::output::Report;
use crate::provision::{ConfigArgs, keepass_password};
use crate::session::OperatorArgs;
use crate::ui::Ui;

/// Shows what `breakglass apply` would create, change or remove so the tenant
/// matches `breakglass.toml`. Changes nothing.
///
/// Objects are found through markers in the tenant (the app's tag, the users'
/// employeeType, the group's mail nickname), so any operator machine with the same
/// configuration sees the same plan. With the KeePass password available, the plan also
/// finds credentials that no store holds.
#[derive(Clone, Debug, clap::Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub operator: OperatorArgs,
    /// Exit 2 when changes are pending and 0 when there are none, as Terraform does.
    #[arg(long)]
    pub detailed_exitcode: bool,
    #[command(flatten)]
    pub stores: MissingStoresArgs,
}

/// What to do when a store the tenant's credentials live in is missing.
#[derive(Clone, Copy, Debug, Default, clap::Args)]
pub struct MissingStoresArgs {
    /// The KeePass database or the sheet manifest is lost for good: start new ones. The
    /// credentials the lost stores held are then revoked and replaced, and the emergency
    /// users' passwords reset. Without it, a missing store stops the command.
    #[arg(long)]
    pub replace_missing_stores: bool,
}

/// A plan as reported.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanReport {
    pub tenant_id: String,
    pub changes: usize,
    pub actions: Vec<PlannedAction>,
    pub notices: Vec<plan::Notice>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pass_terms: Option<PassTerms>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub refused_passes: Vec<RefusedPass>,
}

#[derive(Serialize)]
pub struct PlannedAction {
    pub description: String,
    #[serde(flatten)]
    pub action: Action,
}

fn symbol(action: &Action) -> &'static str {
    match action {
        Action::DeleteLeftoverApplication { .. }
        | Action::RemoveOwner { .. }
        | Action::RemoveCredential { .. }
        | Action::RevokeGraphPermission { .. } => "-",
        Action::UpdateApplication { .. }
        | Action::EnableServicePrincipal
        | Action::EnableUser { .. }
        | Action::ResetUserPassword { .. }
        | Action::ExcludeGroupFromPolicy { .. }
        | Action::ExcludeAppFromPolicy { .. } => "~",
        _ => "+",
    }
}

impl PlanReport {
    pub fn new(tenant_id: String, plan: &Plan) -> PlanReport {
        PlanReport {
            tenant_id,
            changes: plan.actions.len(),
            actions: plan
                .actions
                .iter()
                .map(|a| PlannedAction {
                    description: describe(a),
                    action: a.clone(),
                })
                .collect(),
            notices: plan.notices.clone(),
            pass_terms: plan.pass_terms.clone(),
            refused_passes: plan.refused_passes.clone(),
        }
    }
}

impl Report for PlanReport {
    fn human(&self, _ui: &Ui) -> String {
        let mut out = String::new();
        if self.actions.is_empty() {
            out.push_str(&format!(
                "No changes. Tenant {} matches breakglass.toml.\n",
                self.tenant_id
            ));
        } else {
            out.push_str(&format!(
                "Plan for tenant {}: {} change(s)\n\n",
                self.tenant_id, self.changes
            ));
            for planned in &self.actions {
                out.push_str(&format!(
                    "  {} {}\n",
                    symbol(&planned.action),
                    planned.description
                ));
            }
        }
        for notice in &self.notices {
            let tag = if notice.severity == Severity::Info {
                "note"
            } else {
                "warning"
            };
            out.push_str(&format!("\n{tag}: {}", notice.message));
        }
        out
    }
}

pub async fn prepare(
    helper: &CommandHelper,
    config_args: &ConfigArgs,
    operator: &OperatorArgs,
    for_apply: bool,
    stores: MissingStoresArgs,
) -> Result<Prepared, CommandError> {
    let workspace = config_args.workspace()?;
    let session = helper.sign_in_for(operator, &workspace.config).await?;
    let keepass_path = workspace.base.join(&workspace.config.stores.keepass);
    let password = keepass_password(config_args, &keepass_path, for_apply)?;
    let mut prepared = breakglass_ops::provision::prepare::prepare(
        helper.ui(),
        session,
        workspace,
        password,
        stores.replace_missing_stores,
    )
    .await?;
    prepared.vault.tokens = config_args.tokens();
    Ok(prepared)
}

pub async fn cmd_plan(helper: &CommandHelper, args: &PlanArgs) -> Result<(), CommandError> {
    let prepared = prepare(helper, &args.config, &args.operator, false, args.stores).await?;
    let report = PlanReport::new(prepared.facts.tenant_id.clone(), &prepared.plan);
    helper.ui().emit(&report)?;
    if args.detailed_exitcode && !prepared.plan.is_empty() {
        return Err(CommandError::new(
            ErrorKind::ChangesPending,
            format!("{} change(s) pending", prepared.plan.actions.len()),
        ));
    }
    Ok(())
}
