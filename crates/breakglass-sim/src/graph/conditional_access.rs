//! /identity/conditionalAccess/policies: list, get, create, update and delete.
//!
//! Changing a policy takes `Policy.Read.All` and `Policy.ReadWrite.ConditionalAccess`
//! together (Microsoft documents the write permission alone as not enough), or the Conditional
//! Access or Security Administrator role. An update keeps the properties it leaves out, and a
//! partial `conditions` keeps the conditions it leaves out, as Microsoft's reference and its
//! example show. Whether an object one level deeper (`conditions.users`) is merged is not
//! documented, so the simulator takes the reading least kind to a client: such an object
//! replaces the old one whole, and a client that sends only the list it changes loses the rest.

use http::{Method, StatusCode};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::Ctx;
use crate::clock::graph_time;
use crate::http::SimResponse;
use crate::listing::{DIRECTORY_PAGING, list};
use crate::state::{Target, Tenant};
use breakglass_core::roles as builtin;

const ENTITY: &str = "identity/conditionalAccess/policies/$entity";
const STATES: [&str; 3] = ["enabled", "disabled", "enabledForReportingButNotEnforced"];

pub(crate) fn conditional_access(ctx: &Ctx<'_>, rest: &[&str]) -> Option<SimResponse> {
    let ["conditionalAccess", "policies", tail @ ..] = rest else {
        return None;
    };
    let method = ctx.request.method.clone();
    Some(match (tail, method) {
        ([], Method::GET) => list_policies(ctx),
        ([], Method::POST) => create_policy(ctx),
        ([id], Method::GET) => get_policy(ctx, id),
        ([id], Method::PATCH) => update_policy(ctx, id),
        ([id], Method::DELETE) => delete_policy(ctx, id),
        _ => return None,
    })
}

fn read_policies(ctx: &Ctx<'_>, tenant: &Tenant) -> Result<(), SimResponse> {
    ctx.require(
        tenant,
        &["Policy.Read.All", "Policy.ReadWrite.ConditionalAccess"],
        &[
            builtin::CONDITIONAL_ACCESS_ADMINISTRATOR,
            builtin::SECURITY_ADMINISTRATOR,
            builtin::SECURITY_READER,
            builtin::GLOBAL_READER,
        ],
    )
}

/// Creating, changing or deleting a policy: both permissions, or an administrator role.
fn change_policies(ctx: &Ctx<'_>, tenant: &Tenant) -> Result<(), SimResponse> {
    ctx.require_all(
        tenant,
        &["Policy.Read.All", "Policy.ReadWrite.ConditionalAccess"],
        &[
            builtin::CONDITIONAL_ACCESS_ADMINISTRATOR,
            builtin::SECURITY_ADMINISTRATOR,
        ],
    )
}

fn list_policies(ctx: &Ctx<'_>) -> SimResponse {
    let tenant = ctx.sim.tenant();
    if let Err(denied) = read_policies(ctx, &tenant) {
        return denied;
    }
    list(
        ctx,
        tenant.conditional_access_policies.clone(),
        "identity/conditionalAccess/policies",
        DIRECTORY_PAGING,
        None,
    )
}

fn position(tenant: &Tenant, id: &str) -> Option<usize> {
    tenant
        .conditional_access_policies
        .iter()
        .position(|p| p.get("id").and_then(Value::as_str) == Some(id))
}

fn get_policy(ctx: &Ctx<'_>, id: &str) -> SimResponse {
    let tenant = ctx.sim.tenant();
    if let Err(denied) = read_policies(ctx, &tenant) {
        return denied;
    }
    match position(&tenant, id) {
        Some(at) => ctx.entity(
            StatusCode::OK,
            ENTITY,
            tenant.conditional_access_policies[at].clone(),
        ),
        None => ctx.not_found(id),
    }
}

fn non_empty_list(object: &Value, names: &[&str]) -> bool {
    names.iter().any(|name| {
        object
            .get(*name)
            .and_then(Value::as_array)
            .is_some_and(|items| !items.is_empty())
    })
}

/// Why a policy cannot be saved: what Microsoft's reference requires of every policy (a state,
/// at least one application rule, one user rule, and a grant or session control).
fn invalid(policy: &Value) -> Option<String> {
    let state = policy.get("state").and_then(Value::as_str).unwrap_or("");
    if !STATES.contains(&state) {
        return Some(format!(
            "state must be one of {}; got '{state}'",
            STATES.join(", ")
        ));
    }
    if policy
        .get("displayName")
        .and_then(Value::as_str)
        .is_none_or(|name| name.trim().is_empty())
    {
        return Some("displayName is required".to_string());
    }
    let conditions = policy.get("conditions").cloned().unwrap_or(Value::Null);
    let applications = conditions
        .get("applications")
        .cloned()
        .unwrap_or(Value::Null);
    if !non_empty_list(
        &applications,
        &[
            "includeApplications",
            "includeUserActions",
            "includeAuthenticationContextClassReferences",
        ],
    ) && applications
        .get("applicationFilter")
        .is_none_or(Value::is_null)
    {
        return Some(
            "the policy needs at least one application rule in conditions.applications".to_string(),
        );
    }
    let users = conditions.get("users").cloned().unwrap_or(Value::Null);
    let workload = conditions
        .get("clientApplications")
        .cloned()
        .unwrap_or(Value::Null);
    let has_user_rule = non_empty_list(&users, &["includeUsers", "includeGroups", "includeRoles"])
        || users
            .get("includeGuestsOrExternalUsers")
            .is_some_and(|v| !v.is_null())
        || non_empty_list(&workload, &["includeServicePrincipals"]);
    if !has_user_rule {
        return Some(
            "the policy needs at least one user rule in conditions.users (or conditions.clientApplications)"
                .to_string(),
        );
    }
    let control = |name: &str| policy.get(name).is_some_and(|v| !v.is_null());
    if !control("grantControls") && !control("sessionControls") {
        return Some("the policy needs grantControls or sessionControls".to_string());
    }
    None
}

fn create_policy(ctx: &Ctx<'_>) -> SimResponse {
    let body = match ctx.body() {
        Ok(body) => body,
        Err(error) => return error,
    };
    let now = ctx.now();
    let mut tenant = ctx.sim.tenant();
    if let Err(denied) = change_policies(ctx, &tenant) {
        return denied;
    }
    if !body.is_object() {
        return ctx.bad_request("the request body must be a conditionalAccessPolicy object");
    }
    if let Some(why) = invalid(&body) {
        return ctx.bad_request(&why);
    }
    let mut policy = body;
    for read_only in ["id", "createdDateTime", "modifiedDateTime", "templateId"] {
        if let Some(fields) = policy.as_object_mut() {
            fields.remove(read_only);
        }
    }
    policy["id"] = Value::String(Uuid::new_v4().to_string());
    policy["createdDateTime"] = Value::String(graph_time(now));
    policy["modifiedDateTime"] = Value::Null;
    policy["templateId"] = Value::Null;
    tenant.conditional_access_policies.push(policy.clone());
    let added =
        Target::of_policy(&policy).modified("ConditionalAccessPolicy", Value::Null, policy.clone());
    tenant.audit(
        now,
        &ctx.caller.actor,
        "Policy",
        "Add Conditional Access policy",
        "Add",
        vec![added],
    );
    ctx.sim.persist(&tenant);
    ctx.entity(StatusCode::CREATED, ENTITY, policy)
}

/// An update as the simulator applies it: properties left out keep their values, `conditions`
/// keeps the conditions left out, and everything given replaces what was there whole.
fn apply_update(policy: &mut Value, update: &Map<String, Value>) {
    for (name, value) in update {
        match (name.as_str(), policy.get_mut(name)) {
            ("conditions", Some(Value::Object(conditions))) if value.is_object() => {
                for (condition, rule) in value.as_object().into_iter().flatten() {
                    conditions.insert(condition.clone(), rule.clone());
                }
            }
            _ => policy[name] = value.clone(),
        }
    }
}

fn update_policy(ctx: &Ctx<'_>, id: &str) -> SimResponse {
    let body = match ctx.body() {
        Ok(body) => body,
        Err(error) => return error,
    };
    let now = ctx.now();
    let mut tenant = ctx.sim.tenant();
    if let Err(denied) = change_policies(ctx, &tenant) {
        return denied;
    }
    let Some(at) = position(&tenant, id) else {
        return ctx.not_found(id);
    };
    let Some(update) = body.as_object() else {
        return ctx.bad_request("the request body must be a conditionalAccessPolicy object");
    };
    let before = tenant.conditional_access_policies[at].clone();
    let mut after = before.clone();
    apply_update(&mut after, update);
    after["id"] = before["id"].clone();
    if let Some(why) = invalid(&after) {
        return ctx.bad_request(&why);
    }
    after["modifiedDateTime"] = Value::String(graph_time(now));
    tenant.conditional_access_policies[at] = after.clone();
    let changed = Target::of_policy(&after).modified("ConditionalAccessPolicy", before, after);
    tenant.audit(
        now,
        &ctx.caller.actor,
        "Policy",
        "Update Conditional Access policy",
        "Update",
        vec![changed],
    );
    ctx.sim.persist(&tenant);
    ctx.no_content()
}

fn delete_policy(ctx: &Ctx<'_>, id: &str) -> SimResponse {
    let now = ctx.now();
    let mut tenant = ctx.sim.tenant();
    if let Err(denied) = change_policies(ctx, &tenant) {
        return denied;
    }
    let Some(at) = position(&tenant, id) else {
        return ctx.not_found(id);
    };
    let removed = tenant.conditional_access_policies.remove(at);
    let deleted = Target::of_policy(&removed).modified(
        "ConditionalAccessPolicy",
        removed.clone(),
        Value::Null,
    );
    tenant.audit(
        now,
        &ctx.caller.actor,
        "Policy",
        "Delete Conditional Access policy",
        "Delete",
        vec![deleted],
    );
    ctx.sim.persist(&tenant);
    ctx.no_content()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn policy() -> Value {
        json!({
            "id": "p1",
            "displayName": "Require MFA",
            "state": "enabled",
            "conditions": {
                "applications": {"includeApplications": ["All"]},
                "users": {"includeUsers": ["All"], "excludeGroups": ["g1"], "includeRoles": []},
                "clientAppTypes": ["all"]
            },
            "grantControls": {"operator": "OR", "builtInControls": ["mfa"]}
        })
    }

    #[test]
    fn an_update_keeps_what_it_leaves_out_and_replaces_a_condition_whole() {
        let mut updated = policy();
        let update = json!({"conditions": {"users": {"excludeGroups": ["g1", "g2"]}}});
        apply_update(&mut updated, update.as_object().unwrap());
        assert_eq!(updated["conditions"]["clientAppTypes"], json!(["all"]));
        assert_eq!(updated["grantControls"], policy()["grantControls"]);
        assert_eq!(
            updated["conditions"]["users"],
            json!({"excludeGroups": ["g1", "g2"]}),
            "a partial users object is not merged"
        );
        assert!(invalid(&updated).is_some(), "no user rule is left");
    }

    #[test]
    fn a_policy_needs_a_state_rules_and_a_control() {
        assert_eq!(invalid(&policy()), None);
        let mut no_control = policy();
        no_control["grantControls"] = Value::Null;
        assert!(invalid(&no_control).unwrap().contains("grantControls"));
        let mut no_app = policy();
        no_app["conditions"]["applications"] = json!({"includeApplications": []});
        assert!(invalid(&no_app).unwrap().contains("application rule"));
        let mut workload = policy();
        workload["conditions"]["users"] = json!({"includeUsers": []});
        workload["conditions"]["clientApplications"] =
            json!({"includeServicePrincipals": ["ServicePrincipalsInMyTenant"]});
        assert_eq!(invalid(&workload), None);
        let mut bad_state = policy();
        bad_state["state"] = json!("on");
        assert!(invalid(&bad_state).unwrap().contains("state"));
    }
}
