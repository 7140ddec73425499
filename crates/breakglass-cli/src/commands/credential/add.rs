//! `breakglass credential add LABEL`: add a declared credential and store it.

use serde::Serialize;

use super::rotate::describe_added;
use super::{ProofArgs, open};
use crate::context::CommandHelper;
use crate::error::CommandError;
use crate::output::Report;
use crate::provision::ConfigArgs;
use crate::session::OperatorArgs;
use crate::ui::Ui;
use breakglass_ops::provision::rotate::AddedForLabel;

/// Adds a credential for LABEL (declared in breakglass.toml) when the app has no usable
/// one: a client secret through addPassword, or a certificate made on this machine (RSA
/// 3072), added through addKey when a current certificate's key is in KeePass to sign the
/// proof of possession, else through PATCH keyCredentials. The new credential is proven
/// (a token and a Graph call) before it is written to its store.
#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// The credential's label in breakglass.toml, e.g. `offline`.
    pub label: String,
    /// Add another even when the label has a usable credential; the store then holds the
    /// new one, and `apply` removes the old one from the tenant.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub proof: ProofArgs,
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub operator: OperatorArgs,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AddReport {
    tenant_id: String,
    #[serde(flatten)]
    added: AddedForLabel,
}

impl Report for AddReport {
    fn human(&self, _ui: &Ui) -> String {
        let mut out = format!(
            "Added a `{}` credential in tenant {}:\n",
            self.added.label, self.tenant_id
        );
        out.push_str(&describe_added(&self.added.added));
        for old in &self.added.superseded {
            out.push_str(&format!(
                "  ! {old} is no longer held by any store; `breakglass apply` removes it from the tenant\n"
            ));
        }
        out
    }
}

pub async fn cmd_add(helper: &CommandHelper, args: &AddArgs) -> Result<(), CommandError> {
    let mut opened = open(helper, &args.config, &args.operator, true).await?;
    let ui = helper.ui();
    let mut progress = |message: String| ui.status(format!("{message}…"));
    let tenant_id = opened.facts.tenant_id.clone();
    let added = opened
        .ops(args.proof.budget(), &mut progress)
        .add(&args.label, args.force)
        .await?;
    ui.emit(&AddReport { tenant_id, added })
}
