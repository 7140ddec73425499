//! `breakglass passkey list`: the passkeys a user has.

use crate::context::CommandHelper;
use crate::error::CommandError;
use crate::output::{Report, table};
use crate::session::OperatorArgs;
use crate::ui::Ui;
use breakglass_ops::passkey::{self, PasskeyList};

/// Lists the passkeys (FIDO2 methods) of a user: id, label, AAGUID, model, when registered.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// The user, by user principal name or object id.
    #[arg(long, value_name = "UPN")]
    pub user: String,

    #[command(flatten)]
    pub operator: OperatorArgs,
}

impl Report for PasskeyList {
    fn human(&self, ui: &Ui) -> String {
        if self.passkeys.is_empty() {
            return format!("{} has no passkey.\n", self.user_principal_name);
        }
        let mut table = table(ui, &["id", "label", "aaguid", "model", "registered"]);
        for key in &self.passkeys {
            let text = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".to_string());
            table.add_row(vec![
                key.id.clone(),
                text(&key.label),
                text(&key.aaguid),
                text(&key.model),
                text(&key.created),
            ]);
        }
        format!("Passkeys of {}:\n{table}\n", self.user_principal_name)
    }
}

pub async fn cmd_list(helper: &CommandHelper, args: &ListArgs) -> Result<(), CommandError> {
    let session = helper.sign_in(&args.operator).await?;
    let list = passkey::list(&session, &args.user).await?;
    helper.ui().emit(&list)
}
