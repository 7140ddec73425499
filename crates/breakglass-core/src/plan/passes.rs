//! The Temporary Access Passes a plan issues, held against the tenant's pass policy: the
//! terms that fit it, and the users it would refuse a pass to. `apply` stops on a refusal
//! before changing anything, as Entra would otherwise refuse halfway through.

use super::action::principal_name;
use super::{Action, Notice, Observed, Principal, info, warn};
use crate::pass_policy::{EMERGENCY_USER_PASS, PassTerms, RefusedPass, describe_minutes};

/// The passes of a plan: the terms to ask for, and the users who cannot have one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct PlannedPasses {
    pub terms: Option<PassTerms>,
    pub refused: Vec<RefusedPass>,
}

pub(super) fn plan_passes(
    observed: &Observed,
    actions: &[Action],
    notices: &mut Vec<Notice>,
) -> PlannedPasses {
    let receivers: Vec<&Principal> = actions
        .iter()
        .filter_map(|action| match action {
            Action::CreateTemporaryAccessPass { principal } => Some(principal),
            _ => None,
        })
        .collect();
    if receivers.is_empty() {
        return PlannedPasses::default();
    }
    let view = match observed.tenant.pass_policy.get() {
        Ok(view) => view,
        Err(missing) => {
            info(
                notices,
                format!(
                    "the Temporary Access Pass method policy could not be read ({} would allow it), so Entra decides whether it issues the passes when apply asks",
                    missing.permission
                ),
            );
            return PlannedPasses::default();
        }
    };
    let terms = view.policy.fit(EMERGENCY_USER_PASS);
    for adjustment in &terms.adjusted {
        warn(notices, format!("Temporary Access Pass: {adjustment}"));
    }
    let refused: Vec<RefusedPass> = receivers
        .into_iter()
        .filter_map(|principal| {
            // A new user is in no group yet when its pass is asked for.
            let groups = match principal {
                Principal::User { id, .. } => {
                    view.groups_of_user.get(id).cloned().unwrap_or_default()
                }
                _ => Vec::new(),
            };
            let user = principal_name(principal);
            let refusal = view.policy.admits(&user, &groups).err()?;
            Some(RefusedPass {
                user,
                why: refusal.to_string(),
                hint: refusal.hint(),
            })
        })
        .collect();
    for refusal in &refused {
        warn(
            notices,
            format!(
                "no Temporary Access Pass can be issued to {}: {} ({})",
                refusal.user, refusal.why, refusal.hint
            ),
        );
    }
    if terms.adjusted.is_empty() {
        info(
            notices,
            format!(
                "Temporary Access Passes last {}, {}",
                describe_minutes(terms.minutes),
                if terms.usable_once {
                    "for one sign-in"
                } else {
                    "reusable"
                }
            ),
        );
    }
    PlannedPasses {
        terms: Some(terms),
        refused,
    }
}
