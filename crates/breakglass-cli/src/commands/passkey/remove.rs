//! `breakglass passkey remove`: removes one passkey of a user.

use serde::Serialize;

use crate::context::CommandHelper;
use crate::error::{CommandError, ErrorKind};
use crate::output::Report;
use crate::session::OperatorArgs;
use crate::ui::Ui;
use breakglass_ops::passkey::{self, PasskeyRecord};

/// Removes one passkey (FIDO2 method) of a user, by the id `passkey list` shows.
///
/// An emergency user without a phishing-resistant method fails mandatory MFA for the admin
/// portals; enrol its replacement first. Asks before removing unless `--yes`.
#[derive(Debug, clap::Args)]
pub struct RemoveArgs {
    /// The user, by user principal name or object id.
    #[arg(long, value_name = "UPN")]
    pub user: String,

    /// The passkey's id, as `breakglass passkey list` shows it.
    #[arg(long, value_name = "ID")]
    pub id: String,

    /// Remove without asking.
    #[arg(long)]
    pub yes: bool,

    #[command(flatten)]
    pub operator: OperatorArgs,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Removed {
    user: String,
    removed: PasskeyRecord,
}

impl Report for Removed {
    fn human(&self, _ui: &Ui) -> String {
        format!(
            "Removed passkey {} ({}) of {}.\n",
            self.removed.id,
            self.removed.label.as_deref().unwrap_or("no label"),
            self.user
        )
    }
}

pub async fn cmd_remove(helper: &CommandHelper, args: &RemoveArgs) -> Result<(), CommandError> {
    if !args.yes
        && !helper
            .ui()
            .confirm(&format!("Remove passkey {} of {}?", args.id, args.user))?
    {
        return Err(CommandError::new(
            ErrorKind::Interrupted,
            "nothing was removed",
        ));
    }
    let session = helper.sign_in(&args.operator).await?;
    let removed = passkey::remove(&session, &args.user, &args.id).await?;
    helper.ui().emit(&Removed {
        user: args.user.clone(),
        removed,
    })
}
