//! Conditional Access: every policy excludes the emergency access group (for users) and the
//! emergency app (for workload identities), when the declaration asks apply to see to it.

use super::{Action, Notice, Observed, contains_id, info, warn};
use crate::config::Config;
use crate::tenant::ServicePrincipal;

pub(super) fn plan_conditional_access(
    config: &Config,
    observed: &Observed,
    sp: Option<&ServicePrincipal>,
    actions: &mut Vec<Action>,
    notices: &mut Vec<Notice>,
) {
    let wanted = config.conditional_access.exclude_from_policies;
    let Some(policies) = observed.tenant.policies.known() else {
        if wanted {
            warn(
                notices,
                "the Conditional Access policies could not be read, so none is changed; the operator needs Policy.Read.All".into(),
            );
        }
        return;
    };
    let group = observed.tenant.group.as_ref().map(|g| g.id.as_str());
    let user_ids: Vec<String> = observed.tenant.users.iter().map(|u| u.id.clone()).collect();
    let mut lacking = 0usize;
    for policy in policies {
        if contains_id(&config.conditional_access.skip_policies, &policy.id) {
            continue;
        }
        let excluded_group = group.is_some_and(|g| contains_id(&policy.exclude_groups, g));
        if policy.targets_users() && !excluded_group {
            // A policy aimed at the emergency accounts themselves (say, one requiring
            // phishing-resistant authentication of them) would mean nothing once excluded.
            let aimed_at_them = group.is_some_and(|g| contains_id(&policy.include_groups, g))
                || user_ids
                    .iter()
                    .any(|u| contains_id(&policy.include_users, u));
            if aimed_at_them {
                if wanted {
                    info(
                        notices,
                        format!(
                            "Conditional Access policy \"{}\" names the emergency accounts in its assignments, so it is left as it is; list {} in skip_policies to say so",
                            policy.display_name, policy.id
                        ),
                    );
                }
            } else if wanted {
                actions.push(Action::ExcludeGroupFromPolicy {
                    policy_id: policy.id.clone(),
                    policy_name: policy.display_name.clone(),
                    state: policy.state.clone(),
                });
            } else {
                lacking += 1;
            }
        }
        let excluded_app =
            sp.is_some_and(|sp| contains_id(&policy.exclude_service_principals, &sp.id));
        if policy.targets_workload_identities() && !excluded_app {
            if wanted {
                actions.push(Action::ExcludeAppFromPolicy {
                    policy_id: policy.id.clone(),
                    policy_name: policy.display_name.clone(),
                    state: policy.state.clone(),
                });
            } else {
                lacking += 1;
            }
        }
    }
    if lacking > 0 {
        info(
            notices,
            format!(
                "{lacking} Conditional Access {} not exclude the emergency access group (or, for workload identities, the emergency app); set exclude_from_policies = true under [conditional_access] to have apply exclude them",
                if lacking == 1 {
                    "policy does"
                } else {
                    "policies do"
                }
            ),
        );
    }
}
