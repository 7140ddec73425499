//! `breakglass temp-user extend <user> <duration>`: lengthen a running lease.

use breakglass_core::lease::{self as core_lease, format_duration};

use crate::context::CommandHelper;
use crate::error::{CommandError, usage_error};
use crate::output::{Report, key_value_table};
use crate::session::OperatorArgs;
use crate::ui::Ui;
use breakglass_ops::temp_admin::{self, Extended};

/// Extends the lease of a temporary administrator, up to 8 hours after it was created.
///
/// Writes the new expiry into the user's lease marker (employeeType) and the local lease
/// file, if this machine has one. A running `breakglass temp-user` countdown reads the
/// marker every 15 seconds and follows it. A Temporary Access Pass keeps its lifetime;
/// sessions already signed in go on until the lease ends.
#[derive(Debug, clap::Args)]
pub struct ExtendArgs {
    #[command(flatten)]
    pub operator: OperatorArgs,

    /// The temporary administrator: its user principal name or object id.
    #[arg(value_name = "UPN|ID")]
    pub user: String,

    /// How much longer, e.g. 15m, 1h or 1h30m.
    #[arg(value_name = "DURATION")]
    pub by: String,
}

impl Report for Extended {
    fn human(&self, ui: &Ui) -> String {
        let table = key_value_table(
            ui,
            [
                ("user", self.user_principal_name.clone()),
                ("was until", self.previous_expiry.clone()),
                ("now until", self.expires.clone()),
                (
                    "left",
                    format_duration(jiff::SignedDuration::from_secs(self.remaining_seconds)),
                ),
            ],
        );
        format!("Lease extended.\n{table}\n")
    }
}

pub async fn cmd_extend(helper: &CommandHelper, args: &ExtendArgs) -> Result<(), CommandError> {
    let by = core_lease::parse_duration(&args.by).map_err(|err| {
        usage_error(format!("invalid extension: {err}"))
            .hinted("write it as 15m, 1h or 1h30m (units s, m, h)")
    })?;
    let session = helper.sign_in(&args.operator).await?;
    let extended = temp_admin::extend(helper.ui(), &session.graph, args.user.trim(), by).await?;
    helper.ui().emit(&extended)
}
