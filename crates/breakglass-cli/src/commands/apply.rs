//! `breakglass apply`: make the tenant match `breakglass.toml`.

use serde::Serialize;

use super::plan::{MissingStoresArgs, PlanReport, prepare};
use crate::context::CommandHelper;
use crate::error::{CommandError, usage_error};
use crate::output::Report;
use crate::provision::ConfigArgs;
use crate::session::OperatorArgs;
use crate::ui::Ui;
use breakglass_ops::provision::apply::ApplyReporter;
use breakglass_ops::provision::prepare::{Prepared, adopt_created_users, apply_plan};

/// Creates or repairs the emergency access identities so the tenant matches
/// `breakglass.toml`, then reports what it did. A second run does nothing.
///
/// Every step is idempotent: interrupt it at any point and run it again, and it
/// converges without leaving a credential no store holds. New credentials go to
/// their stores (KeePass, recovery sheet, Shamir share sheets) as they are made.
#[derive(Clone, Debug, clap::Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub operator: OperatorArgs,
    /// Apply without asking for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
    #[command(flatten)]
    pub stores: MissingStoresArgs,
}

/// What `apply` did.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Applied {
    pub tenant_id: String,
    pub applied: Vec<AppliedStep>,
}

#[derive(Serialize)]
pub struct AppliedStep {
    pub description: String,
    pub detail: Option<String>,
}

impl Report for Applied {
    fn human(&self, _ui: &Ui) -> String {
        if self.applied.is_empty() {
            return format!(
                "Nothing to do. Tenant {} matches breakglass.toml.",
                self.tenant_id
            );
        }
        let mut out = format!(
            "Applied {} change(s) to tenant {}:\n",
            self.applied.len(),
            self.tenant_id
        );
        for step in &self.applied {
            match &step.detail {
                Some(detail) => out.push_str(&format!("  ✓ {} ({detail})\n", step.description)),
                None => out.push_str(&format!("  ✓ {}\n", step.description)),
            }
        }
        out
    }
}

struct Progress<'a> {
    ui: &'a Ui,
    descriptions: Vec<String>,
    steps: Vec<AppliedStep>,
    /// Changes the tenant refused while the others went on.
    refused: usize,
}

impl ApplyReporter for Progress<'_> {
    fn started(&mut self, index: usize, total: usize, description: &str) {
        self.ui
            .status(format!("[{}/{total}] {description}…", index + 1));
        self.descriptions.push(description.to_string());
    }

    fn finished(&mut self, index: usize, detail: Option<String>) {
        self.steps.push(AppliedStep {
            description: self.descriptions[index].clone(),
            detail,
        });
    }

    fn refused(&mut self, index: usize, reason: &str) {
        self.refused += 1;
        self.ui.warn(format!(
            "refused: {}: {reason}; going on with the others",
            self.descriptions[index]
        ));
    }
}

pub async fn cmd_apply(helper: &CommandHelper, args: &ApplyArgs) -> Result<(), CommandError> {
    let prepared = prepare(helper, &args.config, &args.operator, true, args.stores).await?;
    let applied = apply_prepared(helper.ui(), prepared, args.yes).await?;
    helper.ui().emit(&applied)
}

/// Applies a prepared plan, asking first unless `yes`.
pub async fn apply_prepared(
    ui: &Ui,
    mut prepared: Prepared,
    yes: bool,
) -> Result<Applied, CommandError> {
    adopt_created_users(&mut prepared)?;
    if prepared.plan.is_empty() {
        for notice in &prepared.plan.notices {
            ui.warn(&notice.message);
        }
        return Ok(Applied {
            tenant_id: prepared.facts.tenant_id.clone(),
            applied: Vec::new(),
        });
    }
    if !yes {
        let report = PlanReport::new(prepared.facts.tenant_id.clone(), &prepared.plan);
        ui.status(report.human(ui));
        if !ui.confirm("Apply these changes?")? {
            return Err(usage_error("nothing was changed")
                .hinted("run `breakglass apply --yes` to apply without a question"));
        }
    }
    let mut progress = Progress {
        ui,
        descriptions: Vec::new(),
        steps: Vec::new(),
        refused: 0,
    };
    if let Err(error) = apply_plan(&mut prepared, &mut progress).await {
        let done = progress.steps.len();
        let total = prepared.plan.actions.len();
        // When every change but the refused ones was made, a rerun would only be refused again.
        if done + progress.refused == total {
            return Err(error.into());
        }
        return Err(CommandError::from(error).hinted(format!("{done} of {total} change(s) were made; run `breakglass apply` again to finish, it picks up where this run stopped")));
    }
    Ok(Applied {
        tenant_id: prepared.facts.tenant_id.clone(),
        applied: progress.steps,
    })
}
