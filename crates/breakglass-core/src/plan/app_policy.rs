//! The app management policy that binds the emergency app, against the credentials the plan
//! adds: a refused credential is named before anything changes, never met as a 400 halfway
//! through an apply.

use jiff::Timestamp;

use super::{Action, Notice, info, warn};
use crate::app_policy::{Blocked, blocked_credentials};
use crate::config::Config;
use crate::plan::Observed;
use crate::tenant::Application;

/// The declared credentials the policy would refuse, with a warning for each one this plan
/// adds; a note when the policy could not be read and the plan adds a credential.
pub(super) fn plan_app_policy(
    config: &Config,
    observed: &Observed,
    app: Option<&Application>,
    now: Timestamp,
    actions: &[Action],
    notices: &mut Vec<Notice>,
) -> Vec<Blocked> {
    let adds = |label: &str| {
        actions
            .iter()
            .any(|a| matches!(a, Action::AddCredential { label: l, .. } if l == label))
    };
    let adds_any = actions
        .iter()
        .any(|a| matches!(a, Action::AddCredential { .. }));
    let policy = match observed.tenant.app_management.get() {
        Ok(policy) => policy,
        Err(missing) => {
            if adds_any {
                info(
                    notices,
                    format!(
                        "the app management policy that binds the emergency app could not be read ({}); if it restricts credentials, apply stops at the first credential it refuses",
                        missing.permission
                    ),
                );
            }
            return Vec::new();
        }
    };
    let blocked = blocked_credentials(
        policy,
        app.and_then(|a| a.created),
        &config.app.credentials,
        now,
    );
    for refused in blocked.iter().filter(|b| adds(&b.label)) {
        warn(
            notices,
            format!(
                "credential `{}` cannot be added: {} ({})",
                refused.label, refused.why, refused.restriction
            ),
        );
    }
    blocked
}
