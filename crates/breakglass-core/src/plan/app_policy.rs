//! The app management policy that binds the emergency app, against the credentials the plan
//! adds: a refused credential is named before anything changes, never met as a 400 halfway
//! through an apply.

use jiff::Timestamp;

use super::{Action, Notice, adds_credential, info, warn};
use crate::app_policy::{Blocked, PolicySource, blocked_credentials};
use crate::config::Config;
use crate::markers::APP_POLICY_NAME;
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
    for refused in blocked
        .iter()
        .filter(|b| adds_credential(actions, &b.label))
    {
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

/// With `[app] exempt_from_app_management_policy`, the emergency app follows breakglass's own
/// policy, which restricts nothing: it is created when missing and assigned when the app
/// follows the tenant default. An app that follows someone else's custom policy is left to
/// it, with a warning. Returns whether this plan puts the exemption in place, so that the
/// credentials it adds afterwards are not judged by the policy it replaces.
pub(super) fn plan_exemption(
    config: &Config,
    observed: &Observed,
    actions: &mut Vec<Action>,
    notices: &mut Vec<Notice>,
) -> bool {
    if !config.app.exempt_from_app_management_policy {
        return false;
    }
    let (effective, own) = match (
        observed.tenant.app_management.get(),
        observed.tenant.own_app_policy.get(),
    ) {
        (Ok(effective), Ok(own)) => (effective, own),
        (Err(missing), _) | (_, Err(missing)) => {
            warn(
                notices,
                format!(
                    "[app] exempt_from_app_management_policy is on, but the app management policies could not be read ({}); the exemption is not planned",
                    missing.permission
                ),
            );
            return false;
        }
    };
    match &effective.source {
        PolicySource::Assigned { display_name, .. } if display_name == APP_POLICY_NAME => false,
        PolicySource::Assigned { display_name, .. } => {
            warn(
                notices,
                format!(
                    "the emergency app follows the app management policy \"{display_name}\", which breakglass does not replace; remove that assignment for the exemption to take its place"
                ),
            );
            false
        }
        PolicySource::TenantDefault => {
            if own.is_none() {
                actions.push(Action::CreateAppManagementPolicy {
                    display_name: APP_POLICY_NAME.to_string(),
                });
            }
            actions.push(Action::AssignAppManagementPolicy);
            true
        }
    }
}
