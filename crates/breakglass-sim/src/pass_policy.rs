//! The Temporary Access Pass method policy and the rules Entra applies when a pass is asked
//! for: the method enabled for the user (included directly or through nested groups, and in
//! no excluded group), a lifetime within the policy's bounds, one use when the policy insists.
//!
//! Microsoft documents the policy but not the error a refused pass gets, so every refusal
//! here is a 400 naming the rule broken: a client must not depend on the wording, only on
//! asking for a pass that fits.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::state::{DirObject, Kind, Tenant};

/// The include target that means every user.
const ALL_USERS: &str = "all_users";

/// Entra's built-in policy: disabled, for all users, passes from one to eight hours.
pub(crate) fn default_policy() -> Value {
    json!({
        "@odata.type": "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration",
        "id": "TemporaryAccessPass",
        "state": "disabled",
        "defaultLifetimeInMinutes": 60,
        "defaultLength": 8,
        "minimumLifetimeInMinutes": 60,
        "maximumLifetimeInMinutes": 480,
        "isUsableOnce": false,
        "includeTargets": [target(ALL_USERS)],
        "excludeTargets": []
    })
}

/// An `authenticationMethodTarget` for a group id (or all users).
pub(crate) fn target(id: &str) -> Value {
    json!({"targetType": "group", "id": id, "isRegistrationRequired": false})
}

/// The pass Entra would issue.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Terms {
    pub lifetime_minutes: i64,
    pub usable_once: bool,
}

fn number(policy: &Value, key: &str, fallback: i64) -> i64 {
    policy.get(key).and_then(Value::as_i64).unwrap_or(fallback)
}

fn target_ids(policy: &Value, key: &str) -> Vec<String> {
    policy
        .get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| t.get("id").and_then(Value::as_str))
        .map(str::to_ascii_lowercase)
        .collect()
}

/// The groups `user_id` is in, directly or through groups that are members of groups.
pub(crate) fn transitive_groups(tenant: &Tenant, user_id: &str) -> BTreeSet<String> {
    let mut found: BTreeSet<String> = BTreeSet::new();
    let mut frontier = vec![user_id.to_ascii_lowercase()];
    while let Some(member) = frontier.pop() {
        for group in tenant.live(Kind::Group) {
            let contains = group
                .private
                .members
                .iter()
                .any(|m| m.eq_ignore_ascii_case(&member));
            if contains && found.insert(group.id().to_ascii_lowercase()) {
                frontier.push(group.id().to_ascii_lowercase());
            }
        }
    }
    found
}

/// The pass the policy lets `user` have for a request `body`, or why not.
pub(crate) fn terms(tenant: &Tenant, user: &DirObject, body: &Value) -> Result<Terms, String> {
    let policy = &tenant.temporary_access_pass_policy;
    if policy.get("state").and_then(Value::as_str) != Some("enabled") {
        return Err("The Temporary Access Pass authentication method is not enabled in this tenant's authentication methods policy.".into());
    }
    let groups = transitive_groups(tenant, user.id());
    if let Some(group) = target_ids(policy, "excludeTargets")
        .into_iter()
        .find(|g| groups.contains(g))
    {
        return Err(format!(
            "The user is a member of group {group}, which the Temporary Access Pass authentication method policy excludes."
        ));
    }
    let included = target_ids(policy, "includeTargets")
        .iter()
        .any(|t| t == ALL_USERS || groups.contains(t));
    if !included {
        return Err(
            "The Temporary Access Pass authentication method policy does not target this user."
                .into(),
        );
    }
    let minimum = number(policy, "minimumLifetimeInMinutes", 60);
    let maximum = number(policy, "maximumLifetimeInMinutes", 480);
    let lifetime = match body.get("lifetimeInMinutes") {
        None | Some(Value::Null) => number(policy, "defaultLifetimeInMinutes", 60),
        Some(value) => value
            .as_i64()
            .ok_or("Invalid value specified for property 'lifetimeInMinutes'.")?,
    };
    if !(minimum..=maximum).contains(&lifetime) {
        return Err(format!(
            "The lifetimeInMinutes must be between {minimum} and {maximum} minutes, as the Temporary Access Pass authentication method policy sets."
        ));
    }
    let one_time_only = policy
        .get("isUsableOnce")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let usable_once = match body.get("isUsableOnce") {
        None | Some(Value::Null) => one_time_only,
        Some(value) => value
            .as_bool()
            .ok_or("Invalid value specified for property 'isUsableOnce'.")?,
    };
    if one_time_only && !usable_once {
        return Err(
            "The Temporary Access Pass authentication method policy allows one-time passes only."
                .into(),
        );
    }
    Ok(Terms {
        lifetime_minutes: lifetime,
        usable_once,
    })
}
