//! `breakglass credential rotate LABEL`: replace a credential without ever leaving the
//! store without a working one.

use serde::Serialize;

use super::{ProofArgs, open};
use crate::context::CommandHelper;
use crate::error::CommandError;
use crate::output::Report;
use crate::provision::ConfigArgs;
use crate::session::OperatorArgs;
use crate::ui::Ui;
use breakglass_ops::provision::rotate::{Added, Removed, Rotated, kind_name};

/// Replaces the credential labelled LABEL: adds a new one, proves it works (a token with
/// it and a Microsoft Graph call), writes it to its store, and only then removes the old
/// one(s) from the tenant.
///
/// Safe to interrupt at any point: the store always holds a working credential, and the
/// next `rotate` (or `apply`) first removes what an interrupted run left in the tenant.
#[derive(Debug, clap::Args)]
pub struct RotateArgs {
    /// The credential's label in breakglass.toml, e.g. `rotating`.
    pub label: String,
    #[command(flatten)]
    pub proof: ProofArgs,
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub operator: OperatorArgs,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RotateReport {
    tenant_id: String,
    #[serde(flatten)]
    rotated: Rotated,
}

/// The lines describing a new, proven, stored credential.
pub fn describe_added(added: &Added) -> String {
    let mut out = format!(
        "  + added {} {} ({})\n  ✓ proved it: a token and GET /organization ({}) after {} attempt(s)\n  ✓ stored in {}",
        kind_name(added.kind),
        added.key_id,
        added.method.describe(),
        added.proof.organization,
        added.proof.attempts,
        added.stored_in.store,
    );
    for file in &added.stored_in.files {
        out.push_str(&format!("\n      {}", file.display()));
    }
    out.push('\n');
    if added.stored_in.store != "keepass" {
        out.push_str(
            "  ! print the new sheets, hand them to their custodians, and destroy the old ones\n",
        );
    }
    out
}

pub fn describe_removed(prefix: &str, removed: &[Removed]) -> String {
    removed
        .iter()
        .map(|r| {
            format!(
                "  - {prefix} {} {}: {}\n",
                kind_name(r.kind),
                r.key_id,
                r.why
            )
        })
        .collect()
}

impl Report for RotateReport {
    fn human(&self, _ui: &Ui) -> String {
        let r = &self.rotated;
        let mut out = format!("Rotated `{}` in tenant {}:\n", r.label, self.tenant_id);
        out.push_str(&describe_removed("removed leftover", &r.cleaned_up));
        out.push_str(&describe_added(&r.added));
        out.push_str(&describe_removed("removed old", &r.removed));
        out
    }
}

pub async fn cmd_rotate(helper: &CommandHelper, args: &RotateArgs) -> Result<(), CommandError> {
    let mut opened = open(helper, &args.config, &args.operator, true).await?;
    let ui = helper.ui();
    let mut progress = |message: String| ui.status(format!("{message}…"));
    let tenant_id = opened.facts.tenant_id.clone();
    let rotated = opened
        .ops(args.proof.budget(), &mut progress)
        .rotate(&args.label)
        .await?;
    ui.emit(&RotateReport { tenant_id, rotated })
}
