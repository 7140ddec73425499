//! App management policies: the tenant default (`/policies/defaultAppManagementPolicy`), custom
//! policies (`/policies/appManagementPolicies`), their assignment to applications and service
//! principals (`…/appManagementPolicies/$ref`), and their enforcement when a credential is
//! added (microsoft-graph-docs-contrib `api-reference/v1.0/resources/tenantappmanagementpolicy.md`,
//! `appmanagementpolicy.md`, `passwordcredentialconfiguration.md`,
//! `keycredentialconfiguration.md`, `api/appmanagementpolicy-post-appliesto.md`).
//!
//! An object with a custom policy assigned follows that policy instead of the tenant default;
//! an object has one custom policy at most. A restriction binds objects created after its
//! `restrictForAppsCreatedAfterDateTime` (all of them when it is null). Microsoft documents no
//! error code for a credential a policy refuses; the simulator answers 400 with a message that
//! names the restriction, and breakglass decides from the policy it reads beforehand, never
//! from that message.

use http::{Method, StatusCode};
use jiff::Timestamp;
use serde_json::Value;
use uuid::Uuid;

use super::Ctx;
use super::applications::reference_id;
use crate::app_policy::{assigned_policy, parse_duration};
use crate::http::SimResponse;
use crate::listing::{DIRECTORY_PAGING, list};
use crate::state::{DirObject, Kind, Target, Tenant};
use breakglass_core::roles as builtin;

const READ_PERMISSIONS: &[&str] = &[
    "Policy.Read.All",
    "Policy.Read.ApplicationConfiguration",
    "Policy.ReadWrite.ApplicationConfiguration",
];
const WRITE_PERMISSION: &str = "Policy.ReadWrite.ApplicationConfiguration";
const ADMIN_ROLES: &[builtin::BuiltInRole] = &[
    builtin::APPLICATION_ADMINISTRATOR,
    builtin::CLOUD_APPLICATION_ADMINISTRATOR,
    builtin::SECURITY_ADMINISTRATOR,
];

/// `/policies/…`
pub(crate) fn policies(ctx: &Ctx<'_>, rest: &[&str]) -> Option<SimResponse> {
    let method = ctx.request.method.clone();
    Some(match (rest, method) {
        (["defaultAppManagementPolicy"], Method::GET) => get_default(ctx),
        (["defaultAppManagementPolicy"], Method::PATCH) => update_default(ctx),
        (["appManagementPolicies"], Method::GET) => list_policies(ctx),
        (["appManagementPolicies"], Method::POST) => create_policy(ctx),
        (["appManagementPolicies", id], Method::GET) => get_policy(ctx, id),
        (["appManagementPolicies", id], Method::PATCH) => update_policy(ctx, id),
        (["appManagementPolicies", id], Method::DELETE) => delete_policy(ctx, id),
        (["appManagementPolicies", id, "appliesTo"], Method::GET) => applies_to(ctx, id),
        _ => return None,
    })
}

fn may_read(ctx: &Ctx<'_>, tenant: &Tenant) -> Result<(), SimResponse> {
    let mut roles = ADMIN_ROLES.to_vec();
    roles.extend([builtin::GLOBAL_READER, builtin::SECURITY_READER]);
    ctx.require(tenant, READ_PERMISSIONS, &roles)
}

fn may_write(ctx: &Ctx<'_>, tenant: &Tenant) -> Result<(), SimResponse> {
    ctx.require(tenant, &[WRITE_PERMISSION], ADMIN_ROLES)
}

fn get_default(ctx: &Ctx<'_>) -> SimResponse {
    let tenant = ctx.sim.tenant();
    if let Err(denied) = may_read(ctx, &tenant) {
        return denied;
    }
    ctx.entity(
        StatusCode::OK,
        "policies/defaultAppManagementPolicy/$entity",
        tenant.app_management.default_policy.clone(),
    )
}

fn update_default(ctx: &Ctx<'_>) -> SimResponse {
    let body = match ctx.body() {
        Ok(body) => body,
        Err(error) => return error,
    };
    let now = ctx.now();
    let mut tenant = ctx.sim.tenant();
    if let Err(denied) = may_write(ctx, &tenant) {
        return denied;
    }
    let Some(update) = body.as_object() else {
        return ctx.bad_request("the request body must be a tenantAppManagementPolicy object");
    };
    let before = tenant.app_management.default_policy.clone();
    for (name, value) in update {
        if name != "id" {
            tenant.app_management.default_policy[name] = value.clone();
        }
    }
    let after = tenant.app_management.default_policy.clone();
    let changed = Target::of_policy(&after).modified("TenantAppManagementPolicy", before, after);
    tenant.audit(
        now,
        &ctx.caller.actor,
        "Policy",
        "Update policy",
        "Update",
        vec![changed],
    );
    ctx.sim.persist(&tenant);
    ctx.no_content()
}

fn position(tenant: &Tenant, id: &str) -> Option<usize> {
    tenant
        .app_management
        .policies
        .iter()
        .position(|p| p.get("id").and_then(Value::as_str) == Some(id))
}

fn list_policies(ctx: &Ctx<'_>) -> SimResponse {
    let tenant = ctx.sim.tenant();
    if let Err(denied) = may_read(ctx, &tenant) {
        return denied;
    }
    list(
        ctx,
        tenant.app_management.policies.clone(),
        "policies/appManagementPolicies",
        DIRECTORY_PAGING,
        None,
    )
}

fn get_policy(ctx: &Ctx<'_>, id: &str) -> SimResponse {
    let tenant = ctx.sim.tenant();
    if let Err(denied) = may_read(ctx, &tenant) {
        return denied;
    }
    match position(&tenant, id) {
        Some(at) => ctx.entity(
            StatusCode::OK,
            "policies/appManagementPolicies/$entity",
            tenant.app_management.policies[at].clone(),
        ),
        None => ctx.not_found(id),
    }
}

/// Why a policy body cannot be saved: what the reference marks required, and a duration
/// wherever a lifetime restriction needs one.
fn invalid(policy: &Value) -> Option<String> {
    for required in ["displayName", "description"] {
        if policy
            .get(required)
            .and_then(Value::as_str)
            .is_none_or(|text| text.trim().is_empty())
        {
            return Some(format!("{required} is required"));
        }
    }
    let restrictions = policy.get("restrictions").cloned().unwrap_or(Value::Null);
    for list in ["passwordCredentials", "keyCredentials"] {
        for restriction in restrictions
            .get(list)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let kind = restriction
                .get("restrictionType")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let lifetime = restriction.get("maxLifetime").and_then(Value::as_str);
            if kind.ends_with("Lifetime") && lifetime.and_then(parse_duration).is_none() {
                return Some(format!(
                    "maxLifetime must be an ISO 8601 duration for restrictionType {kind}"
                ));
            }
        }
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
    if let Err(denied) = may_write(ctx, &tenant) {
        return denied;
    }
    if let Some(why) = invalid(&body) {
        return ctx.bad_request(&why);
    }
    let mut policy = body;
    policy["id"] = Value::String(Uuid::new_v4().to_string());
    if policy.get("isEnabled").is_none_or(Value::is_null) {
        policy["isEnabled"] = Value::Bool(true);
    }
    tenant.app_management.policies.push(policy.clone());
    let added =
        Target::of_policy(&policy).modified("AppManagementPolicy", Value::Null, policy.clone());
    tenant.audit(
        now,
        &ctx.caller.actor,
        "Policy",
        "Add policy",
        "Add",
        vec![added],
    );
    ctx.sim.persist(&tenant);
    ctx.entity(
        StatusCode::CREATED,
        "policies/appManagementPolicies/$entity",
        policy,
    )
}

fn update_policy(ctx: &Ctx<'_>, id: &str) -> SimResponse {
    let body = match ctx.body() {
        Ok(body) => body,
        Err(error) => return error,
    };
    let now = ctx.now();
    let mut tenant = ctx.sim.tenant();
    if let Err(denied) = may_write(ctx, &tenant) {
        return denied;
    }
    let Some(at) = position(&tenant, id) else {
        return ctx.not_found(id);
    };
    let Some(update) = body.as_object() else {
        return ctx.bad_request("the request body must be an appManagementPolicy object");
    };
    let before = tenant.app_management.policies[at].clone();
    let mut after = before.clone();
    for (name, value) in update {
        if name != "id" {
            after[name] = value.clone();
        }
    }
    if let Some(why) = invalid(&after) {
        return ctx.bad_request(&why);
    }
    tenant.app_management.policies[at] = after.clone();
    let changed = Target::of_policy(&after).modified("AppManagementPolicy", before, after);
    tenant.audit(
        now,
        &ctx.caller.actor,
        "Policy",
        "Update policy",
        "Update",
        vec![changed],
    );
    ctx.sim.persist(&tenant);
    ctx.no_content()
}

fn delete_policy(ctx: &Ctx<'_>, id: &str) -> SimResponse {
    let now = ctx.now();
    let mut tenant = ctx.sim.tenant();
    if let Err(denied) = may_write(ctx, &tenant) {
        return denied;
    }
    let Some(at) = position(&tenant, id) else {
        return ctx.not_found(id);
    };
    let removed = tenant.app_management.policies.remove(at);
    tenant
        .app_management
        .applies_to
        .retain(|(policy, _)| policy != id);
    let deleted =
        Target::of_policy(&removed).modified("AppManagementPolicy", removed.clone(), Value::Null);
    tenant.audit(
        now,
        &ctx.caller.actor,
        "Policy",
        "Delete policy",
        "Delete",
        vec![deleted],
    );
    ctx.sim.persist(&tenant);
    ctx.no_content()
}

fn applies_to(ctx: &Ctx<'_>, id: &str) -> SimResponse {
    let tenant = ctx.sim.tenant();
    if let Err(denied) = may_read(ctx, &tenant) {
        return denied;
    }
    if position(&tenant, id).is_none() {
        return ctx.not_found(id);
    }
    let objects: Vec<Value> = tenant
        .app_management
        .applies_to
        .iter()
        .filter(|(policy, _)| policy == id)
        .filter_map(|(_, object)| tenant.object(object))
        .map(super::applications::directory_object_json)
        .collect();
    list(ctx, objects, "directoryObjects", DIRECTORY_PAGING, None)
}

/// `/applications/{id}/appManagementPolicies…` and the same for service principals.
pub(crate) fn of_object(ctx: &Ctx<'_>, parts: &[&str]) -> Option<SimResponse> {
    let kind = if parts[0] == "servicePrincipals" {
        Kind::ServicePrincipal
    } else {
        Kind::Application
    };
    let object = {
        let tenant = ctx.sim.tenant();
        match tenant
            .object(parts[1])
            .filter(|o| o.kind == kind && !ctx.replicating(o))
        {
            Some(object) => object.clone(),
            None => return Some(ctx.not_found(parts[1])),
        }
    };
    let method = ctx.request.method.clone();
    Some(match (&parts[3..], method) {
        ([], Method::GET) => assigned(ctx, &object),
        (["$ref"], Method::POST) => assign(ctx, &object),
        ([policy, "$ref"], Method::DELETE) => unassign(ctx, &object, policy),
        _ => return None,
    })
}

/// `GET /applications/{id}/appManagementPolicies` (and for service principals).
fn assigned(ctx: &Ctx<'_>, object: &DirObject) -> SimResponse {
    let tenant = ctx.sim.tenant();
    if let Err(denied) = may_read(ctx, &tenant) {
        return denied;
    }
    let policies: Vec<Value> = assigned_policy(&tenant, object.id())
        .into_iter()
        .cloned()
        .collect();
    list(
        ctx,
        policies,
        "policies/appManagementPolicies",
        DIRECTORY_PAGING,
        None,
    )
}

/// `POST /applications/{id}/appManagementPolicies/$ref`: Policy.ReadWrite.ApplicationConfiguration
/// and a read of the application.
fn assign(ctx: &Ctx<'_>, object: &DirObject) -> SimResponse {
    let body = match ctx.body() {
        Ok(body) => body,
        Err(error) => return error,
    };
    let now = ctx.now();
    let mut tenant = ctx.sim.tenant();
    if let Err(denied) = may_write(ctx, &tenant) {
        return denied;
    }
    if let Err(denied) = ctx.require_read(
        &tenant,
        &["Application.Read.All", "Application.ReadWrite.All"],
    ) {
        return denied;
    }
    let Some(policy_id) = reference_id(&body) else {
        return ctx.bad_request("the body must name the policy in @odata.id");
    };
    let Some(at) = position(&tenant, &policy_id) else {
        return ctx.not_found(&policy_id);
    };
    let pairs = &tenant.app_management.applies_to;
    if pairs
        .iter()
        .any(|(policy, id)| policy == &policy_id && id == object.id())
    {
        return ctx.bad_request("the policy already applies to this object");
    }
    if pairs.iter().any(|(_, id)| id == object.id()) {
        return ctx.bad_request(
            "the object already has an app management policy assigned; remove it first",
        );
    }
    tenant
        .app_management
        .applies_to
        .push((policy_id, object.id().to_string()));
    let policy = tenant.app_management.policies[at].clone();
    audit_assignment(ctx, &mut tenant, object, &policy, now, true);
    ctx.sim.persist(&tenant);
    ctx.no_content()
}

/// `DELETE /applications/{id}/appManagementPolicies/{policyId}/$ref`.
fn unassign(ctx: &Ctx<'_>, object: &DirObject, policy_id: &str) -> SimResponse {
    let now = ctx.now();
    let mut tenant = ctx.sim.tenant();
    if let Err(denied) = may_write(ctx, &tenant) {
        return denied;
    }
    let pairs = &mut tenant.app_management.applies_to;
    let before = pairs.len();
    pairs.retain(|(policy, id)| !(policy == policy_id && id == object.id()));
    if pairs.len() == before {
        return ctx.not_found(policy_id);
    }
    let policy = position(&tenant, policy_id)
        .map(|at| tenant.app_management.policies[at].clone())
        .unwrap_or(Value::Null);
    audit_assignment(ctx, &mut tenant, object, &policy, now, false);
    ctx.sim.persist(&tenant);
    ctx.no_content()
}

fn audit_assignment(
    ctx: &Ctx<'_>,
    tenant: &mut Tenant,
    object: &DirObject,
    policy: &Value,
    now: Timestamp,
    added: bool,
) {
    let activity = match (object.kind, added) {
        (Kind::ServicePrincipal, true) => "Add policy to service principal",
        (Kind::ServicePrincipal, false) => "Remove policy from service principal",
        (_, true) => "Add policy to application",
        (_, false) => "Remove policy from application",
    };
    tenant.audit(
        now,
        &ctx.caller.actor,
        "ApplicationManagement",
        activity,
        if added { "Assign" } else { "Unassign" },
        vec![Target::of(object), Target::of_policy(policy)],
    );
}
