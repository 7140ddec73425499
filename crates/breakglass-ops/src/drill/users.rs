//! What can be proven about an emergency user without its owner: enabled, its role active at
//! `/`, a phishing-resistant method, in the exclusion group, excluded from Conditional Access,
//! and its last sign-in.

use breakglass_core::cloud::GraphVersion::V1;
use breakglass_core::config::Config;
use breakglass_core::drill::{self, CaPolicy, CaSubject, Check, CheckKind, Status, UserResult};
use breakglass_core::roles;
use breakglass_entra::{GraphClient, Query, odata_string};
use jiff::Timestamp;
use serde_json::Value;

use super::failed;
use crate::error::Error;
use crate::json_fields::{strings, text};

/// The user's directory role template ids held at `/`, and all of its assignments.
pub(super) async fn role_assignments(
    graph: &GraphClient,
    principal: &str,
) -> Result<Vec<Value>, Error> {
    Ok(graph
        .list_all(
            V1,
            "roleManagement/directory/roleAssignments",
            &Query::new().filter(format!("principalId eq {}", odata_string(principal))),
        )
        .await?)
}

/// A Conditional Access policy as Graph returns it; `audit` reads policies through this too,
/// so both commands judge the same conditions.
pub fn ca_policy(value: &Value) -> CaPolicy {
    CaPolicy {
        id: text(value, "id"),
        display_name: text(value, "displayName"),
        state: text(value, "state"),
        include_users: strings(value, "/conditions/users/includeUsers"),
        exclude_users: strings(value, "/conditions/users/excludeUsers"),
        include_groups: strings(value, "/conditions/users/includeGroups"),
        exclude_groups: strings(value, "/conditions/users/excludeGroups"),
        include_roles: strings(value, "/conditions/users/includeRoles"),
        exclude_roles: strings(value, "/conditions/users/excludeRoles"),
        client_app_types: strings(value, "/conditions/clientAppTypes"),
        grant_controls: strings(value, "/grantControls/builtInControls"),
    }
}

/// What can be proven about an emergency user without its owner.
pub(super) async fn check_user(
    graph: &GraphClient,
    config: &Config,
    user: &Value,
    group: Option<&(String, String, Vec<String>)>,
    policies: &Result<Vec<CaPolicy>, Error>,
    now: Timestamp,
) -> UserResult {
    let id = text(user, "id");
    let mut checks = Vec::new();
    let mut findings = Vec::new();
    if user.get("accountEnabled").and_then(Value::as_bool) == Some(true) {
        checks.push(Check::pass(CheckKind::AccountEnabled, "account enabled"));
    } else {
        checks.push(
            Check::failure(CheckKind::AccountEnabled, "the account is disabled")
                .hinted("run `breakglass apply` to enable it again"),
        );
    }
    let role = roles::by_name(&config.users.role).unwrap_or(roles::GLOBAL_ADMINISTRATOR);
    let role_id = role.template_id.to_string();
    let mut role_ids = Vec::new();
    match role_assignments(graph, &id).await {
        Ok(assignments) => {
            for a in &assignments {
                if text(a, "directoryScopeId") == "/" {
                    role_ids.push(text(a, "roleDefinitionId"));
                }
            }
            if role_ids.iter().any(|r| r.eq_ignore_ascii_case(&role_id)) {
                checks.push(Check::pass(
                    CheckKind::Role,
                    format!(
                        "{} active at / (roleAssignments; eligible-only assignments do not count)",
                        role.display_name
                    ),
                ));
            } else {
                checks.push(
                    Check::failure(
                        CheckKind::Role,
                        format!(
                            "no active {} assignment at / (an eligible one does not count)",
                            role.display_name
                        ),
                    )
                    .hinted("run `breakglass apply` to assign it permanently"),
                );
            }
        }
        Err(err) => checks.push(failed(CheckKind::Role, Status::Warning, &err)),
    }
    let methods: Result<Vec<Value>, _> = graph
        .list_all(
            V1,
            &format!("users/{id}/authentication/methods"),
            &Query::new(),
        )
        .await;
    match methods {
        Ok(methods) => {
            let types: Vec<String> = methods.iter().map(|m| text(m, "@odata.type")).collect();
            checks.push(drill::phishing_resistant(&types));
        }
        Err(err) => checks.push(failed(
            CheckKind::PhishingResistantMethod,
            Status::Warning,
            &Error::from(err),
        )),
    }
    match group {
        Some((group_id, name, members)) => {
            if members.iter().any(|m| m.eq_ignore_ascii_case(&id)) {
                checks.push(Check::pass(
                    CheckKind::ExclusionGroup,
                    format!("a member of \"{name}\""),
                ));
            } else {
                checks.push(
                    Check::failure(
                        CheckKind::ExclusionGroup,
                        format!("not a member of \"{name}\" ({group_id})"),
                    )
                    .hinted("run `breakglass apply` to add it"),
                );
            }
        }
        None => checks.push(
            Check::failure(
                CheckKind::ExclusionGroup,
                "the exclusion group does not exist",
            )
            .hinted("run `breakglass apply` to create it"),
        ),
    }
    let member_of: Result<Vec<Value>, _> = graph
        .list_all(
            V1,
            &format!("users/{id}/memberOf"),
            &Query::new().select(["id"]),
        )
        .await;
    match (policies, member_of) {
        (Ok(policies), Ok(groups)) => {
            let subject = CaSubject {
                user_id: id.clone(),
                group_ids: groups.iter().map(|g| text(g, "id")).collect(),
                role_ids: role_ids.clone(),
            };
            let (check, found) = drill::conditional_access(policies, &subject);
            checks.push(check);
            findings = found;
        }
        (Err(err), _) => checks.push(failed(CheckKind::ConditionalAccess, Status::Warning, err)),
        (_, Err(err)) => checks.push(failed(
            CheckKind::ConditionalAccess,
            Status::Warning,
            &Error::from(err),
        )),
    }
    checks.push(last_sign_in(graph, &id, now).await);
    let proven = checks.iter().all(|c| c.status != Status::Failure);
    UserResult {
        id,
        user_principal_name: text(user, "userPrincipalName"),
        proven,
        checks,
        conditional_access_findings: findings,
    }
}

/// `signInActivity` when the tenant offers it (Entra ID P1), else the newest interactive
/// sign-in in `/auditLogs/signIns`.
async fn last_sign_in(graph: &GraphClient, id: &str, now: Timestamp) -> Check {
    let activity: Result<Value, _> = graph
        .get_json(
            V1,
            &format!("users/{id}"),
            &Query::new().select(["id", "signInActivity"]),
        )
        .await;
    if let Ok(user) = &activity
        && let Some(activity) = user.get("signInActivity").filter(|a| a.is_object())
    {
        let at = ["lastSuccessfulSignInDateTime", "lastSignInDateTime"]
            .iter()
            .filter_map(|k| activity.get(*k).and_then(Value::as_str))
            .filter_map(|t| t.parse::<Timestamp>().ok())
            .max();
        return drill::last_sign_in(at, now, "signInActivity");
    }
    let latest: Result<Value, _> = graph
        .get_json(
            V1,
            "auditLogs/signIns",
            &Query::new()
                .filter(format!("userId eq {}", odata_string(id)))
                .top(1),
        )
        .await;
    match latest {
        Ok(page) => {
            let at = page
                .pointer("/value/0/createdDateTime")
                .and_then(Value::as_str)
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
