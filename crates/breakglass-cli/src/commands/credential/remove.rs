//! `breakglass credential remove KEY_ID`: remove a credential from the tenant and its store.

use std::time::Duration;

use serde::Serialize;

use super::open;
use crate::context::CommandHelper;
use crate::error::CommandError;
use crate::output::Report;
use crate::provision::ConfigArgs;
use crate::session::OperatorArgs;
use crate::ui::Ui;
use breakglass_ops::provision::rotate::RemovedOne;

/// Removes the credential with KEY_ID from the emergency app (or its service principal)
/// and from the store that holds it.
///
/// Refuses to remove the app's last usable credential unless `--force`: the vault must
/// never be left without a working way to sign in as the emergency app.
#[derive(Debug, clap::Args)]
pub struct RemoveArgs {
    /// The credential's key id, as `breakglass credential list` shows it.
    #[arg(value_name = "KEY_ID", value_parser = key_id)]
    pub key_id: String,
    /// Remove it even when it is the app's last usable credential.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub operator: OperatorArgs,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RemoveReport {
    tenant_id: String,
    #[serde(flatten)]
    removed: RemovedOne,
}

impl Report for RemoveReport {
    fn human(&self, _ui: &Ui) -> String {
        let r = &self.removed;
        let mut out = String::new();
        if r.removed_from_tenant {
            out.push_str(&format!(
                "Removed {} from the emergency app in tenant {}.\n",
                r.key_id, self.tenant_id
            ));
        } else {
            out.push_str(&format!(
                "{} was not in tenant {}.\n",
                r.key_id, self.tenant_id
            ));
        }
        if let Some(store) = &r.removed_from_store {
            out.push_str(&format!("Forgot it in {store}.\n"));
        }
        for label in &r.labels_left_without_credential {
            out.push_str(&format!(
                "warning: `{label}` has no usable credential now; run `breakglass credential add {label}`\n"
            ));
        }
        out
    }
}

pub async fn cmd_remove(helper: &CommandHelper, args: &RemoveArgs) -> Result<(), CommandError> {
    let mut opened = open(helper, &args.config, &args.operator, true).await?;
    let ui = helper.ui();
    let mut progress = |message: String| ui.status(format!("{message}…"));
    let tenant_id = opened.facts.tenant_id.clone();
    let removed = opened
        .ops(Duration::ZERO, &mut progress)
        .remove(&args.key_id, args.force)
        .await?;
    ui.emit(&RemoveReport { tenant_id, removed })
}

/// A key id is a GUID; anything else is a typo, told before signing in.
fn key_id(text: &str) -> Result<String, String> {
    uuid::Uuid::parse_str(text.trim())
        .map(|id| id.hyphenated().to_string())
        .map_err(|_| {
            "a key id is a GUID such as 3f2c1a9e-8b7d-4c6e-9f0a-1b2c3d4e5f60; `breakglass credential list` shows them".to_string()
        })
}
