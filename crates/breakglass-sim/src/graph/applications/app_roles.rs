//! App role assignments of service principals: those a principal holds
//! (`appRoleAssignments`) and those granted for a resource (`appRoleAssignedTo`).

use http::StatusCode;
use serde_json::Value;
use uuid::Uuid;

use crate::clock::graph_time;
use crate::graph::Ctx;
use crate::http::SimResponse;
use crate::listing::{DIRECTORY_PAGING, Listing, list, list_keyed};
use crate::state::{Kind, Target};
use breakglass_core::roles as builtin;

/// Permissions that read a service principal's app role assignments, in either direction.
const APP_ROLE_ASSIGNMENT_READERS: &[&str] = &[
    "Application.Read.All",
    "Application.ReadWrite.All",
    "AppRoleAssignment.ReadWrite.All",
];

pub(super) fn app_role_assignments(ctx: &Ctx<'_>, key: &str) -> SimResponse {
    let tenant = ctx.sim.tenant();
    if let Err(denied) = ctx.require_read(&tenant, APP_ROLE_ASSIGNMENT_READERS) {
        return denied;
    }
    let Some(object) = tenant
        .object(key)
        .filter(|o| o.kind == Kind::ServicePrincipal)
    else {
        return ctx.not_found(key);
    };
    let items = object.private.app_role_assignments.clone();
    list(
        ctx,
        items,
        &format!("servicePrincipals('{key}')/appRoleAssignments"),
        DIRECTORY_PAGING,
        None,
    )
}

/// `GET /servicePrincipals/{id}/appRoleAssignedTo`: the app role assignments granted *for*
/// this resource (e.g. every Microsoft Graph application permission in the tenant).
pub(super) fn app_role_assigned_to(ctx: &Ctx<'_>, key: &str) -> SimResponse {
    let tenant = ctx.sim.tenant();
    if let Err(denied) = ctx.require_read(&tenant, APP_ROLE_ASSIGNMENT_READERS) {
        return denied;
    }
    let Some(resource) = tenant
        .object(key)
        .filter(|o| o.kind == Kind::ServicePrincipal && o.deleted_at.is_none())
    else {
        return ctx.not_found(key);
    };
    let resource_id = resource.id().to_string();
    let grants = tenant.objects.grants_for(&resource_id);
    let context = format!("servicePrincipals('{key}')/appRoleAssignedTo");
    let listing = Listing {
        kind: Kind::ServicePrincipal,
        context: &context,
        paging: DIRECTORY_PAGING,
        default_select: None,
    };
    list_keyed(ctx, grants, &listing, |grant| tenant.objects.grant(grant))
}

pub(super) fn add_app_role_assignment(ctx: &Ctx<'_>, key: &str) -> SimResponse {
    let body = match ctx.body() {
        Ok(body) => body,
        Err(error) => return error,
    };
    let now = ctx.now();
    let mut tenant = ctx.sim.tenant();
    if let Err(denied) = ctx.require(
        &tenant,
        &["AppRoleAssignment.ReadWrite.All"],
        &[builtin::PRIVILEGED_ROLE_ADMINISTRATOR],
    ) {
        return denied;
    }
    let Some(principal) = tenant
        .object(key)
        .filter(|o| o.kind == Kind::ServicePrincipal)
        .cloned()
    else {
        return ctx.not_found(key);
    };
    let field = |name: &str| body.get(name).and_then(Value::as_str).map(str::to_string);
    let (Some(principal_id), Some(resource_id), Some(app_role_id)) = (
        field("principalId"),
        field("resourceId"),
        field("appRoleId"),
    ) else {
        return ctx.bad_request("principalId, resourceId and appRoleId are required.");
    };
    if principal_id != principal.id() {
        return ctx.bad_request("principalId must be the service principal in the URL.");
    }
    let Some(resource) = tenant
        .object(&resource_id)
        .filter(|o| o.kind == Kind::ServicePrincipal)
        .cloned()
    else {
        return ctx.not_found(&resource_id);
    };
    let role_exists = resource
        .get("appRoles")
        .as_ref()
        .and_then(Value::as_array)
        .is_some_and(|roles| {
            roles
                .iter()
                .any(|r| r.get("id").and_then(Value::as_str) == Some(app_role_id.as_str()))
        });
    if !role_exists {
        return ctx.bad_request("Permission being assigned was not found on application.");
    }
    if principal.private.app_role_assignments.iter().any(|a| {
        a.get("appRoleId").and_then(Value::as_str) == Some(app_role_id.as_str())
            && a.get("resourceId").and_then(Value::as_str) == Some(resource_id.as_str())
    }) {
        return ctx.bad_request("Permission being assigned already exists on the object");
    }
    let mut assignment = crate::seed::app_role_assignment(
        Uuid::parse_str(&principal_id).unwrap_or_default(),
        &principal.display_name(),
        Uuid::parse_str(&app_role_id).unwrap_or_default(),
        &resource_id,
        &graph_time(now),
    );
    assignment["resourceDisplayName"] = Value::String(resource.display_name().to_string());
    let mut updated = principal.clone();
    updated
        .private
        .app_role_assignments
        .push(assignment.clone());
    tenant
        .objects
        .insert(updated.id().to_string(), updated.clone());
    tenant.audit(
        now,
        &ctx.caller.actor,
        "ApplicationManagement",
        "Add app role assignment to service principal",
        "Assign",
        vec![Target::of(&updated), Target::of(&resource)],
    );
    ctx.sim.persist(&tenant);
    ctx.entity(
        StatusCode::CREATED,
        &format!("servicePrincipals('{key}')/appRoleAssignments/$entity"),
        assignment,
    )
}

pub(super) fn remove_app_role_assignment(
    ctx: &Ctx<'_>,
    key: &str,
    assignment_id: &str,
) -> SimResponse {
    let now = ctx.now();
    let mut tenant = ctx.sim.tenant();
    if let Err(denied) = ctx.require(
        &tenant,
        &["AppRoleAssignment.ReadWrite.All"],
        &[builtin::PRIVILEGED_ROLE_ADMINISTRATOR],
    ) {
        return denied;
    }
    let Some(principal) = tenant
        .object(key)
        .filter(|o| o.kind == Kind::ServicePrincipal)
        .cloned()
    else {
        return ctx.not_found(key);
    };
    let mut updated = principal.clone();
    let before = updated.private.app_role_assignments.len();
    updated
        .private
        .app_role_assignments
        .retain(|a| a.get("id").and_then(Value::as_str) != Some(assignment_id));
    if updated.private.app_role_assignments.len() == before {
        return ctx.not_found(assignment_id);
    }
    tenant
        .objects
        .insert(updated.id().to_string(), updated.clone());
    tenant.audit(
        now,
        &ctx.caller.actor,
        "ApplicationManagement",
        "Remove app role assignment from service principal",
        "Unassign",
        vec![Target::of(&updated)],
    );
    ctx.sim.persist(&tenant);
    ctx.no_content()
}
