//! `breakglass temp-user extend <user> <duration>`: lengthen a running lease.

use breakglass_core::lease::{self as core_lease, Marker, format_duration, format_timestamp};
use serde::Serialize;

use crate::context::CommandHelper;
use crate::error::{CommandError, ErrorKind, usage_error};
use crate::output::{Report, key_value_table};
use crate::session::OperatorArgs;
use crate::ui::Ui;
use breakglass_entra::graph::models::UserPatch;
use breakglass_ops::lease;

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

/// What `temp-user extend` reports.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Extended {
    pub user_id: String,
    pub user_principal_name: String,
    pub previous_expiry: String,
    pub expires: String,
    pub remaining_seconds: i64,
    pub local_lease_updated: bool,
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
    let graph = &session.graph;
    let (user, now) = lease::user_by_key(graph, args.user.trim()).await?;
    let Some(user) = user else {
        return Err(CommandError::new(
            ErrorKind::Service,
            format!("the tenant has no user `{}`", args.user.trim()),
        )
        .hinted("`breakglass temp-user list` shows the temporary administrators"));
    };
    let id = user.id.clone();
    let upn = user
        .user_principal_name
        .clone()
        .unwrap_or_else(|| id.clone());
    let expires = match Marker::parse(user.employee_type.as_deref()) {
        Marker::Expires(at) => at,
        Marker::None => {
            return Err(usage_error(format!(
                "{upn} is not a temporary administrator (its employeeType is not breakglass:temporary:…)"
            ))
            .hinted("`breakglass temp-user list` shows the temporary administrators"));
        }
        Marker::Unreadable => {
            return Err(CommandError::new(
                ErrorKind::Service,
                format!("the lease marker of {upn} cannot be read"),
            )
            .hinted("`breakglass sweep` treats it as expired and removes the user"));
        }
    };
    let created = user
        .created_date_time
        .as_deref()
        .and_then(|t| t.parse().ok())
        .unwrap_or(now);
    let new_expiry = core_lease::extended_expiry(created, expires, by, now).map_err(|err| {
        let error = usage_error(format!("cannot extend the lease of {upn}: {err}"));
        match err {
            core_lease::ExtendError::Expired { .. } => error.hinted(
                "an expired lease is not extended; `breakglass sweep` removes the user, and `breakglass temp-user` makes a new one",
            ),
            _ => error.hinted(format!(
                "a temporary administrator lives at most {} in all",
                format_duration(core_lease::MAX_TTL)
            )),
        }
    })?;
    graph
        .update_user(
            &id,
            &UserPatch {
                employee_type: Some(core_lease::marker(new_expiry)),
                ..UserPatch::default()
            },
        )
        .await?;
    let mut local_lease_updated = false;
    if let Some((_, mut local)) = lease::read_lease(&id)? {
        local.expires = new_expiry;
        match lease::write_lease(&local) {
            Ok(_) => local_lease_updated = true,
            Err(err) => helper
                .ui()
                .warn(format!("the local lease file was not updated: {err}")),
        }
    }
    helper.ui().emit(&Extended {
        user_id: id,
        user_principal_name: upn,
        previous_expiry: format_timestamp(expires),
        expires: format_timestamp(new_expiry),
        remaining_seconds: new_expiry.duration_since(now).as_secs(),
        local_lease_updated,
    })
}
