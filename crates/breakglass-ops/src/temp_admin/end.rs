//! The end of a lease: why it ended, and the user removed with every step confirmed.

use breakglass_entra::GraphClient;
use serde::Serialize;

use crate::Progress;
use crate::error::Error;
use crate::lease::{self, LeaseFile, Step};

/// Why a lease ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum EndReason {
    Expired,
    /// Ctrl-C, answered or pressed twice.
    Interrupted,
    /// SIGTERM.
    Terminated,
    /// The user disappeared from the tenant (removed by `sweep` or by hand).
    Gone,
}

impl EndReason {
    /// The reason as a clause before "removing …".
    pub fn describe(self) -> &'static str {
        match self {
            EndReason::Expired => "the lease expired",
            EndReason::Interrupted => "ended on request (Ctrl-C)",
            EndReason::Terminated => "ended by SIGTERM",
            EndReason::Gone => "the user was removed from the tenant elsewhere",
        }
    }

    /// The reason as a short note after the user's name.
    pub fn summary(self) -> &'static str {
        match self {
            EndReason::Expired => "lease expired",
            EndReason::Interrupted => "ended early on request",
            EndReason::Terminated => "ended by SIGTERM",
            EndReason::Gone => "already removed elsewhere",
        }
    }
}

/// A temporary administrator removed at the end of its lease.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Ended {
    pub user_id: String,
    pub user_principal_name: String,
    pub reason: EndReason,
    pub removed: bool,
    pub steps: Vec<Step>,
}

/// Removes the user of `lease`, then its local lease file. A lease file that cannot be
/// removed is only warned about: the user is gone, and `sweep` clears lease files of users
/// gone from the tenant.
pub async fn end(
    progress: &dyn Progress,
    graph: &GraphClient,
    lease: &LeaseFile,
    reason: EndReason,
) -> Result<Ended, Error> {
    let upn = &lease.user_principal_name;
    progress.status(&format!("{}: removing {upn}", reason.describe()));
    let steps = lease::remove_user(progress, graph, &lease.user_id, upn).await?;
    if let Err(err) = lease::remove_lease(&lease.user_id) {
        progress.warn(&format!("the local lease file was not removed: {err}"));
    }
    Ok(Ended {
        user_id: lease.user_id.clone(),
        user_principal_name: upn.clone(),
        reason,
        removed: true,
        steps,
    })
}

/// Removes a temporary administrator whose sign-in details nobody saw: such an account is of
/// no use to anyone but whoever finds its password later. What cannot be removed keeps its
/// lease marker and local lease file for `sweep`.
pub async fn discard(progress: &dyn Progress, graph: &GraphClient, lease: &LeaseFile) {
    let upn = &lease.user_principal_name;
    progress.warn(&format!(
        "the sign-in details could not be shown; removing {upn}"
    ));
    if lease::remove_user(progress, graph, &lease.user_id, upn)
        .await
        .is_ok()
    {
        let _ = lease::remove_lease(&lease.user_id);
    }
}
