//! Conditional Access policies, evaluated for one emergency user the way Entra applies them
//! at sign-in: enabled, targeting the user, and not excluding it.

use serde::{Deserialize, Serialize};

use super::{Check, CheckKind, Status};
use crate::tenant::Policy;

/// Who a policy is evaluated for.
#[derive(Clone, Debug, Default)]
pub struct CaSubject {
    pub user_id: String,
    /// Groups the user is a direct member of.
    pub group_ids: Vec<String>,
    /// Directory role template ids the user holds.
    pub role_ids: Vec<String>,
}

fn intersects(a: &[String], b: &[String]) -> bool {
    a.iter()
        .any(|x| b.iter().any(|y| x.eq_ignore_ascii_case(y)))
}

/// A policy that is enabled, applies to the user and does not exclude it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaFinding {
    pub policy_id: String,
    pub display_name: String,
    /// A block for modern clients locks the account out; anything else is a warning.
    pub status: Status,
    /// What the policy does to the user, briefly: `requires mfa`, `blocks the sign-in`.
    pub effect: String,
    pub reason: String,
}

/// How the policy reaches the user, whatever its state: `None` when it does not target the
/// user or excludes it (directly, through a group or a role).
pub fn applies_to(policy: &Policy, subject: &CaSubject) -> Option<&'static str> {
    let user = std::slice::from_ref(&subject.user_id);
    let excluded = intersects(&policy.exclude_users, user)
        || intersects(&policy.exclude_groups, &subject.group_ids)
        || intersects(&policy.exclude_roles, &subject.role_ids);
    if excluded {
        return None;
    }
    let all = policy
        .include_users
        .iter()
        .any(|u| u.eq_ignore_ascii_case("All"));
    if all {
        Some("includes all users")
    } else if intersects(&policy.include_users, user) {
        Some("includes the user")
    } else if intersects(&policy.include_groups, &subject.group_ids) {
        Some("includes a group of the user")
    } else if intersects(&policy.include_roles, &subject.role_ids) {
        Some("includes a role the user holds")
    } else {
        None
    }
}

/// Whether the policy's grant is a block.
pub fn is_block(policy: &Policy) -> bool {
    policy
        .grant_controls
        .iter()
        .any(|g| g.eq_ignore_ascii_case("block"))
}

/// Whether the policy covers the browser and modern desktop and mobile clients, the ones an
/// administrator signs in with (no client app condition covers them all).
pub fn covers_modern_clients(policy: &Policy) -> bool {
    policy.client_app_types.is_empty()
        || policy.client_app_types.iter().any(|t| {
            ["all", "browser", "mobileAppsAndDesktopClients"]
                .iter()
                .any(|m| t.eq_ignore_ascii_case(m))
        })
}

/// The policy's verdict for the user: `None` when it is not enabled, does not apply, or
/// excludes the user (directly, through a group or a role).
pub fn ca_finding(policy: &Policy, subject: &CaSubject) -> Option<CaFinding> {
    if policy.state != "enabled" {
        return None;
    }
    let how = applies_to(policy, subject)?;
    let blocks = is_block(policy);
    let modern_clients = covers_modern_clients(policy);
    let (status, effect) = if blocks && modern_clients {
        (Status::Failure, "blocks the sign-in".to_string())
    } else if blocks {
        (
            Status::Warning,
            format!("blocks {} clients", policy.client_app_types.join("/")),
        )
    } else {
        (
            Status::Warning,
            format!("requires {}", policy.grant_controls.join(" or ")),
        )
    };
    Some(CaFinding {
        policy_id: policy.id.clone(),
        display_name: policy.display_name.clone(),
        status,
        reason: format!("{how}, {effect}, and excludes neither the user nor the exclusion group"),
        effect,
    })
}

/// Every enabled policy that applies must exclude the user or the exclusion group.
pub fn conditional_access(policies: &[Policy], subject: &CaSubject) -> (Check, Vec<CaFinding>) {
    let findings: Vec<CaFinding> = policies
        .iter()
        .filter_map(|p| ca_finding(p, subject))
        .collect();
    let enabled = policies.iter().filter(|p| p.state == "enabled").count();
    if findings.is_empty() {
        return (
            Check::pass(
                CheckKind::ConditionalAccess,
                format!("excluded from, or not targeted by, all {enabled} enabled policies"),
            ),
            findings,
        );
    }
    let worst = findings
        .iter()
        .map(|f| f.status)
        .max()
        .unwrap_or(Status::Warning);
    let names: Vec<String> = findings
        .iter()
        .map(|f| format!("\"{}\" ({})", f.display_name, f.effect))
        .collect();
    (
        Check::new(
            CheckKind::ConditionalAccess,
            worst,
            format!(
                "not excluded from {} of {enabled} enabled policies: {}",
                findings.len(),
                names.join(", ")
            ),
        )
        .hinted("add the exclusion group to each policy's excluded users and groups"),
        findings,
    )
}
