//! What can be proven about an emergency user without its owner: enabled, its role active at
//! `/`, a phishing-resistant method, in the exclusion group, excluded from Conditional Access,
//! and its last sign-in.

use breakglass_core::config::Config;
use breakglass_core::drill::{self, CaSubject, Check, CheckKind, Status, UserResult};
use breakglass_core::roles;
use breakglass_core::tenant::{Policy, same};
use breakglass_entra::graph::models::{self as graph, UnifiedRoleAssignment};
use breakglass_entra::{GraphClient, Query};
use futures::TryStreamExt as _;
use jiff::Timestamp;

use super::failed;
use crate::error::Error;

/// The exclusion group as the drill needs it.
pub(super) struct ExclusionGroup {
    pub id: String,
    pub name: String,
    pub member_ids: Vec<String>,
}

/// Every role assignment of one principal.
pub(super) async fn role_assignments(
    graph: &GraphClient,
    principal: &str,
) -> Result<Vec<UnifiedRoleAssignment>, Error> {
    let query = Query::assignments_of(principal);
    Ok(graph.role_assignments(&query).try_collect().await?)
}

/// What can be proven about an emergency user without its owner.
pub(super) async fn check_user(
    graph: &GraphClient,
    config: &Config,
    user: &graph::User,
    group: Option<&ExclusionGroup>,
    policies: &Result<Vec<Policy>, Error>,
    now: Timestamp,
) -> UserResult {
    let id = user.id.clone();
    let mut checks = vec![enabled(user)];
    let (role_check, role_ids) = role(graph, config, &id).await;
    checks.push(role_check);
    checks.push(match graph.authentication_methods(&id).await {
        Ok(methods) => {
            let types: Vec<String> = methods.into_iter().map(|m| m.odata_type).collect();
            drill::phishing_resistant(&types)
        }
        Err(err) => failed(
            CheckKind::PhishingResistantMethod,
            Status::Warning,
            &Error::from(err),
        ),
    });
    checks.push(in_group(&id, group));
    let (check, findings) = conditional_access(graph, &id, role_ids, policies).await;
    checks.push(check);
    checks.push(last_sign_in(graph, &id, now).await);
    let proven = checks.iter().all(|c| c.status != Status::Failure);
    UserResult {
        id,
        user_principal_name: user.user_principal_name.clone().unwrap_or_default(),
        proven,
        checks,
        conditional_access_findings: findings,
    }
}

fn enabled(user: &graph::User) -> Check {
    if user.account_enabled == Some(true) {
        Check::pass(CheckKind::AccountEnabled, "account enabled")
    } else {
        Check::failure(CheckKind::AccountEnabled, "the account is disabled")
            .hinted("run `breakglass apply` to enable it again")
    }
}

/// The role check, and the role template ids the user holds at `/`.
async fn role(graph: &GraphClient, config: &Config, id: &str) -> (Check, Vec<String>) {
    let role = roles::by_name(&config.users.role).unwrap_or(roles::GLOBAL_ADMINISTRATOR);
    let role_id = role.template_id.to_string();
    let assignments = match role_assignments(graph, id).await {
        Ok(assignments) => assignments,
        Err(err) => return (failed(CheckKind::Role, Status::Warning, &err), Vec::new()),
    };
    let role_ids: Vec<String> = assignments
        .into_iter()
        .filter(|a| a.directory_scope_id.as_deref() == Some("/"))
        .map(|a| a.role_definition_id)
        .collect();
    let check = if role_ids.iter().any(|r| same(r, &role_id)) {
        Check::pass(
            CheckKind::Role,
            format!(
                "{} active at / (roleAssignments; eligible-only assignments do not count)",
                role.display_name
            ),
        )
    } else {
        Check::failure(
            CheckKind::Role,
            format!(
                "no active {} assignment at / (an eligible one does not count)",
                role.display_name
            ),
        )
        .hinted("run `breakglass apply` to assign it permanently")
    };
    (check, role_ids)
}

fn in_group(id: &str, group: Option<&ExclusionGroup>) -> Check {
    let Some(group) = group else {
        return Check::failure(
            CheckKind::ExclusionGroup,
            "the exclusion group does not exist",
        )
        .hinted("run `breakglass apply` to create it");
    };
    if group.member_ids.iter().any(|m| same(m, id)) {
        Check::pass(
            CheckKind::ExclusionGroup,
            format!("a member of \"{}\"", group.name),
        )
    } else {
        Check::failure(
            CheckKind::ExclusionGroup,
            format!("not a member of \"{}\" ({})", group.name, group.id),
        )
        .hinted("run `breakglass apply` to add it")
    }
}

async fn conditional_access(
    graph: &GraphClient,
    id: &str,
    role_ids: Vec<String>,
    policies: &Result<Vec<Policy>, Error>,
) -> (Check, Vec<drill::CaFinding>) {
    let member_of = graph.member_of(id, &Query::ids()).await;
    match (policies, member_of) {
        (Ok(policies), Ok(groups)) => {
            let subject = CaSubject {
                user_id: id.to_string(),
                group_ids: groups.into_iter().map(|g| g.id).collect(),
                role_ids,
            };
            drill::conditional_access(policies, &subject)
        }
        (Err(err), _) => (
            failed(CheckKind::ConditionalAccess, Status::Warning, err),
            Vec::new(),
        ),
        (_, Err(err)) => (
            failed(
                CheckKind::ConditionalAccess,
                Status::Warning,
                &Error::from(err),
            ),
            Vec::new(),
        ),
    }
}

/// `signInActivity` when the tenant offers it (Entra ID P1), else the newest interactive
/// sign-in in `/auditLogs/signIns`.
async fn last_sign_in(graph: &GraphClient, id: &str, now: Timestamp) -> Check {
    let query = Query::sign_in_activity();
    if let Ok(user) = graph.user(id, &query).await
        && let Some(activity) = user.sign_in_activity
    {
        let at = [
            activity.last_successful_sign_in_date_time,
            activity.last_sign_in_date_time,
        ]
        .into_iter()
        .flatten()
        .filter_map(|t| t.parse::<Timestamp>().ok())
        .max();
        return drill::last_sign_in(at, now, "signInActivity");
    }
    let query = Query::sign_ins_of(id).top(1);
    match graph.sign_ins(&query).try_next().await {
        Ok(newest) => {
            let at = newest
                .and_then(|s| s.created_date_time)
                .and_then(|t| t.parse::<Timestamp>().ok());
            drill::last_sign_in(
                at,
                now,
                "newest in /auditLogs/signIns; signInActivity is not available",
            )
        }
        Err(err) => failed(CheckKind::LastSignIn, Status::Warning, &Error::from(err)),
    }
}
