//! Owners of applications and service principals (`owners`, `owners/$ref`), and the
//! reference checks groups share.

use serde_json::Value;
use uuid::Uuid;

use super::{WRITE_PERMISSIONS, WRITE_ROLES, directory_object_json, find};
use crate::graph::Ctx;
use crate::http::SimResponse;
use crate::listing::{DIRECTORY_PAGING, list};
use crate::state::{DirObject, Kind, Target, Tenant};

pub(super) fn owners(ctx: &Ctx<'_>, kind: Kind, key: &str, by_app_id: bool) -> SimResponse {
    let tenant = ctx.sim.tenant();
    if let Err(denied) = ctx.require_read(
        &tenant,
        &["Application.Read.All", "Application.ReadWrite.All"],
    ) {
        return denied;
    }
    let Some(object) = find(ctx, &tenant, kind, key, by_app_id) else {
        return ctx.not_found(key);
    };
    let items: Vec<Value> = object
        .private
        .owners
        .iter()
        .filter_map(|id| tenant.object(id))
        .map(directory_object_json)
        .collect();
    list(ctx, items, "directoryObjects", DIRECTORY_PAGING, None)
}

/// The object id in an `@odata.id` reference such as `https://graph.microsoft.com/v1.0/directoryObjects/{id}`.
pub(crate) fn reference_id(body: &Value) -> Option<String> {
    let reference = body.get("@odata.id").and_then(Value::as_str)?;
    let last = reference.trim_end_matches('/').rsplit('/').next()?;
    let id = last
        .strip_prefix("directoryObjects(")
        .and_then(|s| s.strip_suffix(')'))
        .map(|s| s.trim_matches('\''))
        .unwrap_or(last);
    Uuid::parse_str(id).ok().map(|u| u.to_string())
}

/// The owner an `owners/$ref` body names, and `object` with that owner added: Graph checks
/// the reference the same way for applications, service principals and groups (only a user
/// or service principal can own, and only once).
pub(crate) fn with_owner_added(
    ctx: &Ctx<'_>,
    tenant: &Tenant,
    object: &DirObject,
    body: &Value,
) -> Result<(DirObject, DirObject), SimResponse> {
    let Some(owner_id) = reference_id(body) else {
        return Err(
            ctx.bad_request("The @odata.id reference is missing or is not a directory object URL.")
        );
    };
    let Some(owner) = tenant
        .object(&owner_id)
        .filter(|o| matches!(o.kind, Kind::User | Kind::ServicePrincipal))
        .cloned()
    else {
        return Err(ctx.not_found(&owner_id));
    };
    if object.private.owners.contains(&owner_id) {
        return Err(ctx.bad_request("One or more added object references already exist for the following modified properties: 'owners'."));
    }
    let mut updated = object.clone();
    updated.private.owners.push(owner_id);
    Ok((owner, updated))
}

pub(super) fn add_owner(ctx: &Ctx<'_>, kind: Kind, key: &str, by_app_id: bool) -> SimResponse {
    let body = match ctx.body() {
        Ok(body) => body,
        Err(error) => return error,
    };
    let now = ctx.now();
    let mut tenant = ctx.sim.tenant();
    // Adding another owner needs more than Application.ReadWrite.OwnedBy.
    if let Err(denied) = ctx.require(&tenant, WRITE_PERMISSIONS, WRITE_ROLES) {
        return denied;
    }
    let Some(object) = find(ctx, &tenant, kind, key, by_app_id).cloned() else {
        return ctx.not_found(key);
    };
    let (owner, updated) = match with_owner_added(ctx, &tenant, &object, &body) {
        Ok(added) => added,
        Err(refused) => return refused,
    };
    tenant
        .objects
        .insert(updated.id().to_string(), updated.clone());
    let activity = if kind == Kind::Application {
        "Add owner to application"
    } else {
        "Add owner to service principal"
    };
    tenant.audit(
        now,
        &ctx.caller.actor,
        "ApplicationManagement",
        activity,
        "Assign",
        vec![Target::of(&updated), Target::of(&owner)],
    );
    ctx.sim.persist(&tenant);
    ctx.no_content()
}

pub(super) fn remove_owner(
    ctx: &Ctx<'_>,
    kind: Kind,
    key: &str,
    by_app_id: bool,
    owner_id: &str,
) -> SimResponse {
    let now = ctx.now();
    let mut tenant = ctx.sim.tenant();
    if let Err(denied) = ctx.require(&tenant, WRITE_PERMISSIONS, WRITE_ROLES) {
        return denied;
    }
    let Some(object) = find(ctx, &tenant, kind, key, by_app_id).cloned() else {
        return ctx.not_found(key);
    };
    if !object.private.owners.iter().any(|o| o == owner_id) {
        return ctx.not_found(owner_id);
    }
    let mut updated = object.clone();
    updated.private.owners.retain(|o| o != owner_id);
    tenant
        .objects
        .insert(updated.id().to_string(), updated.clone());
    let activity = if kind == Kind::Application {
        "Remove owner from application"
    } else {
        "Remove owner from service principal"
    };
    let mut targets = vec![Target::of(&updated)];
    if let Some(owner) = tenant.object(owner_id) {
        targets.push(Target::of(owner));
    }
    tenant.audit(
        now,
        &ctx.caller.actor,
        "ApplicationManagement",
        activity,
        "Unassign",
        targets,
    );
    ctx.sim.persist(&tenant);
    ctx.no_content()
}
