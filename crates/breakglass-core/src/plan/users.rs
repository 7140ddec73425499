//! The exclusion group and the emergency users: each existing user enabled, on the initial
//! domain, with its secrets stored, its role and its group membership; missing users created.

use std::collections::BTreeSet;

use super::{Action, HeldAccount, Notice, Observed, Principal, holds_role, info, warn};
use crate::config::Config;
use crate::roles;
use crate::tenant::User;

/// What KeePass holds of one emergency user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct UserSecrets {
    password: bool,
    temporary_access_pass: bool,
}

/// Finds a user's entry: by object id, or by user name when it was written for a user not yet
/// created. Such an entry is the user's password: the create request carried it, and the user
/// exists, so Entra took it.
fn secrets_of(accounts: &[HeldAccount], user: &User) -> UserSecrets {
    let entry = accounts
        .iter()
        .find(|a| {
            a.user_id
                .as_deref()
                .is_some_and(|id| id.eq_ignore_ascii_case(&user.id))
        })
        .or_else(|| {
            accounts.iter().find(|a| {
                a.user_id.is_none()
                    && a.user_principal_name
                        .eq_ignore_ascii_case(&user.user_principal_name)
            })
        });
    UserSecrets {
        password: entry.is_some_and(|a| a.in_force || a.user_id.is_none()),
        temporary_access_pass: entry.is_some_and(|a| a.has_temporary_access_pass),
    }
}

/// The group Conditional Access policies exclude; one that is not role-assignable is only
/// reported, since that cannot be changed on an existing group.
pub(super) fn plan_group(
    config: &Config,
    observed: &Observed,
    actions: &mut Vec<Action>,
    notices: &mut Vec<Notice>,
) {
    match observed.tenant.group.as_ref() {
        None => actions.push(Action::CreateGroup {
            display_name: config.group.name.clone(),
            mail_nickname: config.group.mail_nickname.clone(),
        }),
        Some(group) if !group.is_assignable_to_role => warn(
            notices,
            format!(
                "the group `{}` is not role-assignable, so Groups Administrators can add themselves to it and escape Conditional Access; recreate it as role-assignable",
                group.display_name
            ),
        ),
        Some(_) => {}
    }
}

pub(super) fn plan_users(
    config: &Config,
    observed: &Observed,
    actions: &mut Vec<Action>,
    notices: &mut Vec<Notice>,
) {
    let role_name = &config.users.role;
    let role = roles::by_name(role_name)
        .map(|r| r.template_id.to_string())
        .unwrap_or_default();
    let members: BTreeSet<&str> = observed
        .tenant
        .group
        .iter()
        .flat_map(|g| g.members.items().iter().map(|m| m.id.as_str()))
        .collect();
    let wanted = config.users.count as usize;
    let mut users: Vec<&User> = observed.tenant.users.iter().collect();
    users.sort_by_key(|u| u.created);
    for user in &users {
        let principal = Principal::User {
            id: user.id.clone(),
            user_principal_name: user.user_principal_name.clone(),
        };
        warn_about_fragile_user(observed, user, notices);
        if !user.account_enabled {
            actions.push(Action::EnableUser {
                id: user.id.clone(),
                user_principal_name: user.user_principal_name.clone(),
            });
        }
        // Its secrets are stored before it gains any power, as for a new user.
        if let Some(accounts) = &observed.held_accounts {
            plan_user_secrets(config, accounts, user, &principal, actions);
        }
        if !holds_role(observed, &user.id, &role) {
            if config.drift.restore_roles {
                actions.push(Action::AssignRole {
                    principal: principal.clone(),
                    role: role_name.clone(),
                });
            } else {
                warn(
                    notices,
                    format!(
                        "emergency user {} does not hold {role_name}",
                        user.user_principal_name
                    ),
                );
            }
        }
        if !members.contains(user.id.as_str()) {
            actions.push(Action::AddGroupMember { principal });
        }
    }
    if users.len() > wanted {
        warn(
            notices,
            format!(
                "{} users carry the emergency access marker but {wanted} are declared; breakglass never deletes emergency users, review them by hand",
                users.len()
            ),
        );
    }
    plan_new_users(config, users.len(), actions);
    if observed.held_accounts.is_none() && !users.is_empty() {
        info(
            notices,
            "without the KeePass password, breakglass cannot tell whether it holds each emergency user's password".into(),
        );
    }
}

/// Warnings about what apply cannot repair: a user on a custom domain, or synchronised from
/// on-premises, can be locked out by an outage elsewhere.
fn warn_about_fragile_user(observed: &Observed, user: &User, notices: &mut Vec<Notice>) {
    let domain = user
        .user_principal_name
        .rsplit_once('@')
        .map(|(_, d)| d)
        .unwrap_or_default();
    if !domain.eq_ignore_ascii_case(&observed.tenant.initial_domain) {
        warn(
            notices,
            format!(
                "emergency user {} is not on the initial domain {}; a federation or custom-domain outage would lock it out",
                user.user_principal_name, observed.tenant.initial_domain
            ),
        );
    }
    if user.synced() {
        warn(
            notices,
            format!(
                "emergency user {} is synchronised from on-premises Active Directory: its password lives there, not in breakglass's store, and a sync or federation outage can lock it out; Microsoft's guidance asks for cloud-only accounts",
                user.user_principal_name
            ),
        );
    }
}

/// A password no store holds is replaced (a synchronised user's lives on-premises), and a
/// declared Temporary Access Pass no store holds is issued.
fn plan_user_secrets(
    config: &Config,
    accounts: &[HeldAccount],
    user: &User,
    principal: &Principal,
    actions: &mut Vec<Action>,
) {
    let secrets = secrets_of(accounts, user);
    if !secrets.password && !user.synced() {
        actions.push(Action::ResetUserPassword {
            id: user.id.clone(),
            user_principal_name: user.user_principal_name.clone(),
        });
    }
    if config.users.temporary_access_pass && !secrets.temporary_access_pass {
        actions.push(Action::CreateTemporaryAccessPass {
            principal: principal.clone(),
        });
    }
}

/// The users still missing, numbered after the `existing` ones, each with its pass, role and
/// group membership.
fn plan_new_users(config: &Config, existing: usize, actions: &mut Vec<Action>) {
    let role_name = &config.users.role;
    let wanted = config.users.count as usize;
    for ordinal in existing..wanted {
        let ordinal = ordinal as u32 + 1;
        actions.push(Action::CreateUser { ordinal });
        if config.users.temporary_access_pass {
            actions.push(Action::CreateTemporaryAccessPass {
                principal: Principal::NewUser { ordinal },
            });
        }
        actions.push(Action::AssignRole {
            principal: Principal::NewUser { ordinal },
            role: role_name.clone(),
        });
        actions.push(Action::AddGroupMember {
            principal: Principal::NewUser { ordinal },
        });
    }
}
