//! `breakglass temp-user list`: the temporary administrators and their leases.

use breakglass_core::lease::format_clock;
use jiff::SignedDuration;

use crate::context::CommandHelper;
use crate::error::CommandError;
use crate::output::{Report, table};
use crate::session::OperatorArgs;
use crate::ui::Ui;
use breakglass_ops::temp_admin::{self, LeaseList};

/// Lists temporary administrators with their lease: who, until when, whose.
///
/// The tenant's own markers (users whose employeeType starts with
/// breakglass:temporary:) are the list; local lease files on this machine add the role
/// and show which leases are yours. Expired leases are listed until `breakglass sweep`
/// removes them.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub operator: OperatorArgs,
}

impl Report for LeaseList {
    fn human(&self, ui: &Ui) -> String {
        let mut text = String::new();
        if self.leases.is_empty() {
            text.push_str("No temporary administrators.\n");
        } else {
            let mut table = table(ui, &["user", "expires", "left", "operator", "local lease"]);
            for lease in &self.leases {
                let left = if lease.expired {
                    "expired".to_string()
                } else {
                    format_clock(SignedDuration::from_secs(lease.remaining_seconds))
                };
                let operator = match (&lease.operator, lease.yours) {
                    (Some(operator), true) => format!("{operator} (you)"),
                    (Some(operator), false) => operator.clone(),
                    (None, _) => "unknown".to_string(),
                };
                table.add_row(vec![
                    lease
                        .user_principal_name
                        .clone()
                        .unwrap_or_else(|| lease.user_id.clone()),
                    lease
                        .expires
                        .clone()
                        .unwrap_or_else(|| "unreadable".to_string()),
                    left,
                    operator,
                    if lease.local_lease.is_some() {
                        "yes"
                    } else {
                        "no"
                    }
                    .to_string(),
                ]);
            }
            text.push_str(&format!("{table}\n"));
            let expired = self.leases.iter().filter(|l| l.expired).count();
            if expired > 0 {
                text.push_str(&format!(
                    "{expired} expired; `breakglass sweep` removes {}.\n",
                    if expired == 1 { "it" } else { "them" }
                ));
            }
        }
        if !self.stale_local_leases.is_empty() {
            text.push_str(&format!(
                "{} local lease file(s) name users the tenant no longer holds; `breakglass sweep` removes them.\n",
                self.stale_local_leases.len()
            ));
        }
        text
    }
}

pub async fn cmd_list(helper: &CommandHelper, args: &ListArgs) -> Result<(), CommandError> {
    let session = helper.sign_in(&args.operator).await?;
    let list = temp_admin::list(helper.ui(), &session).await?;
    helper.ui().emit(&list)
}
