//! `breakglass plan`: what `apply` would change, as a readable diff.

use breakglass_core::plan::{self, Action, Plan, Severity, describe};
use breakglass_core::stores::MadeInTenant;
use serde::Serialize;

use crate::context::CommandHelper;
use crate::error::{CommandError, ErrorKind};
use crate::output::Report;
use crate::provision::{ConfigArgs, keepass_password};
use crate::session::{OperatorArgs, Session};
use crate::ui::Ui;
use breakglass_ops::provision::Workspace;
use breakglass_ops::provision::apply::TenantFacts;
use breakglass_ops::provision::observe::observe;
use breakglass_ops::provision::vault::{KeePassPassword, LocalVault, Vault as _};

/// Shows what `breakglass apply` would create, change or remove so the tenant
/// matches `breakglass.toml`. Changes nothing.
///
/// Objects are found through markers in the tenant (the app's tag, the users'
/// employeeType, the group's mail nickname), so any operator machine with the same
/// configuration sees the same plan. With the KeePass password available, the plan also
/// finds credentials that no store holds.
#[derive(Debug, clap::Args)]
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
            let tag = match notice.severity {
                Severity::Warning => "warning",
                Severity::Info => "note",
            };
            out.push_str(&format!("\n{tag}: {}", notice.message));
        }
        out
    }
}

/// Everything `plan` and `apply` share: a session, the configuration, the stores, the plan.
pub struct Prepared {
    pub session: Session,
    pub workspace: Workspace,
    pub vault: LocalVault,
    pub observed: plan::Observed,
    pub plan: Plan,
    pub facts: TenantFacts,
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
    prepare_signed_in(helper.ui(), session, workspace, password, stores).await
}

/// Observes the tenant and plans, for a session that is already signed in (the demo's).
pub async fn prepare_signed_in(
    ui: &Ui,
    session: Session,
    workspace: Workspace,
    password: KeePassPassword,
    stores: MissingStoresArgs,
) -> Result<Prepared, CommandError> {
    let claims = session.token.claims()?;
    let tenant_id = claims.tid.clone().unwrap_or_default();
    let mut vault = LocalVault::new(&workspace.config, &workspace.base, password);
    let held = vault.held_key_ids()?;
    let held_accounts = vault.held_accounts()?;
    let observed = {
        let _spinner = ui.spinner("reading the emergency access objects from the tenant…");
        observe(&session.graph, &workspace.config, held, held_accounts).await?
    };
    vault.ensure_usable(
        &workspace.config,
        &made_in_tenant(&observed),
        &tenant_id,
        stores.replace_missing_stores,
    )?;
    let plan = plan::plan(&workspace.config, &observed, jiff::Timestamp::now())
        .map_err(|e| CommandError::new(ErrorKind::Config, e.to_string()).hinted(e.hint()))?;
    let facts = TenantFacts {
        tenant_id,
        initial_domain: observed.initial_domain.clone(),
        authority_host: session
            .cloud
            .profile
            .authority_host
            .as_str()
            .trim_end_matches('/')
            .to_string(),
        cloud_name: session.cloud.profile.name.clone(),
    };
    Ok(Prepared {
        session,
        workspace,
        vault,
        observed,
        plan,
        facts,
    })
}

/// What breakglass made in the tenant that the local stores should hold.
pub fn made_in_tenant(observed: &plan::Observed) -> MadeInTenant {
    MadeInTenant {
        credentials: observed
            .apps
            .iter()
            .flat_map(|app| &app.credentials)
            .filter_map(|c| {
                plan::label_of(c.display_name.as_deref())
                    .map(|label| (label.to_string(), c.key_id.clone()))
            })
            .collect(),
        // A synced user's password lives in Active Directory, never in KeePass.
        users: observed
            .users
            .iter()
            .filter(|u| !u.synced)
            .map(|u| u.user_principal_name.clone())
            .collect(),
    }
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
