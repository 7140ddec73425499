//! /organization, /domains, /directory/deletedItems and /directoryObjects.

use http::{Method, StatusCode};
use serde_json::{Value, json};

use super::Ctx;
use super::applications::directory_object_json;
use crate::clock::graph_time;
use crate::http::SimResponse;
use crate::listing::{DIRECTORY_PAGING, list};
use crate::state::{DirObject, Kind, Target, Tenant};
use breakglass_core::roles as builtin;

fn organization_json(tenant: &Tenant) -> Value {
    let verified: Vec<Value> = tenant
        .domains
        .iter()
        .map(|d| json!({
            "capabilities": if d.get("isInitial") == Some(&Value::Bool(true)) { "Email, OfficeCommunicationsOnline" } else { "Email" },
            "isDefault": d.get("isDefault"),
            "isInitial": d.get("isInitial"),
            "name": d.get("id"),
            "type": "Managed",
        }))
        .collect();
    json!({
        "id": tenant.tenant_id.to_string(),
        "deletedDateTime": null,
        "businessPhones": [],
        "city": null,
        "country": null,
        "countryLetterCode": "US",
        "createdDateTime": graph_time(tenant.created_at),
        "defaultUsageLocation": null,
        "displayName": tenant.display_name,
        "marketingNotificationEmails": [],
        "onPremisesLastSyncDateTime": null,
        "onPremisesSyncEnabled": null,
        "partnerTenantType": null,
        "postalCode": null,
        "preferredLanguage": "en",
        "securityComplianceNotificationMails": [],
        "securityComplianceNotificationPhones": [],
        "state": null,
        "street": null,
        "technicalNotificationMails": [],
        "tenantType": "AAD",
        "assignedPlans": [],
        "privacyProfile": null,
        "provisionedPlans": [],
        "verifiedDomains": verified,
    })
}

fn read_basic(ctx: &Ctx<'_>, tenant: &Tenant) -> Result<(), SimResponse> {
    ctx.require_read(
        tenant,
        &[
            "Organization.Read.All",
            "Domain.Read.All",
            "User.Read.All",
            "User.ReadWrite.All",
            "Application.ReadWrite.All",
            "Application.Read.All",
        ],
    )
}

pub(crate) fn organization(ctx: &Ctx<'_>, rest: &[&str]) -> Option<SimResponse> {
    if ctx.request.method != Method::GET {
        return None;
    }
    let tenant = ctx.sim.tenant();
    if let Err(denied) = read_basic(ctx, &tenant) {
        return Some(denied);
    }
    let org = organization_json(&tenant);
    Some(match rest {
        [] => list(ctx, vec![org], "organization", DIRECTORY_PAGING, None),
        [id] if *id == tenant.tenant_id.to_string() => {
            ctx.entity(StatusCode::OK, "organization/$entity", org)
        }
        [id] => ctx.not_found(id),
        _ => return None,
    })
}

pub(crate) fn domains(ctx: &Ctx<'_>, rest: &[&str]) -> Option<SimResponse> {
    if ctx.request.method != Method::GET {
        return None;
    }
    let tenant = ctx.sim.tenant();
    if let Err(denied) = read_basic(ctx, &tenant) {
        return Some(denied);
    }
    Some(match rest {
        [] => list(
            ctx,
            tenant.domains.clone(),
            "domains",
            DIRECTORY_PAGING,
            None,
        ),
        [name] => match tenant.domains.iter().find(|d| {
            d.get("id")
                .and_then(Value::as_str)
                .is_some_and(|id| id.eq_ignore_ascii_case(name))
        }) {
            Some(domain) => ctx.entity(StatusCode::OK, "domains/$entity", domain.clone()),
            None => ctx.not_found(name),
        },
        _ => return None,
    })
}

pub(crate) fn directory_objects(ctx: &Ctx<'_>, rest: &[&str]) -> Option<SimResponse> {
    let [id] = rest else { return None };
    if ctx.request.method != Method::GET {
        return None;
    }
    let tenant = ctx.sim.tenant();
    if let Err(denied) = read_basic(ctx, &tenant) {
        return Some(denied);
    }
    Some(match tenant.object(id).filter(|o| !ctx.replicating(o)) {
        Some(object) => ctx.entity(
            StatusCode::OK,
            "directoryObjects/$entity",
            directory_object_json(object),
        ),
        None => ctx.not_found(id),
    })
}

/// Permission to see or change deleted objects of this kind.
fn deleted_check(
    ctx: &Ctx<'_>,
    tenant: &Tenant,
    kind: Option<Kind>,
    write: bool,
) -> Result<(), SimResponse> {
    let (permissions, roles): (Vec<&str>, Vec<builtin::BuiltInRole>) = match (kind, write) {
        (Some(Kind::User), false) => (
            vec!["User.Read.All", "User.ReadWrite.All", "Directory.Read.All"],
            vec![builtin::USER_ADMINISTRATOR, builtin::GLOBAL_READER],
        ),
        (Some(Kind::User), true) => (
            vec!["User.ReadWrite.All", "Directory.ReadWrite.All"],
            vec![builtin::USER_ADMINISTRATOR],
        ),
        (Some(Kind::Group), false) => (
            vec![
                "Group.Read.All",
                "Group.ReadWrite.All",
                "Directory.Read.All",
            ],
            vec![builtin::USER_ADMINISTRATOR, builtin::GLOBAL_READER],
        ),
        (Some(Kind::Group), true) => (
            vec!["Group.ReadWrite.All", "Directory.ReadWrite.All"],
            vec![builtin::USER_ADMINISTRATOR],
        ),
        (_, false) => (
            vec![
                "Application.Read.All",
                "Application.ReadWrite.All",
                "Directory.Read.All",
            ],
            vec![
                builtin::APPLICATION_ADMINISTRATOR,
                builtin::CLOUD_APPLICATION_ADMINISTRATOR,
                builtin::GLOBAL_READER,
            ],
        ),
        (_, true) => (
            vec!["Application.ReadWrite.All", "Directory.ReadWrite.All"],
            vec![
                builtin::APPLICATION_ADMINISTRATOR,
                builtin::CLOUD_APPLICATION_ADMINISTRATOR,
            ],
        ),
    };
    ctx.require(tenant, &permissions, &roles)
}

pub(crate) fn deleted_items(ctx: &Ctx<'_>, rest: &[&str]) -> Option<SimResponse> {
    let ["deletedItems", tail @ ..] = rest else {
        return None;
    };
    let method = ctx.request.method.clone();
    Some(match (tail, method) {
        ([], Method::GET) => ctx.bad_request("Unsupported query: listing deleted items needs a type cast such as /directory/deletedItems/microsoft.graph.user."),
        ([cast], Method::GET) if cast.starts_with("microsoft.graph.") => list_deleted(ctx, cast),
        ([id], Method::GET) => get_deleted(ctx, id),
        ([id], Method::DELETE) => purge_deleted(ctx, id),
        ([id, "restore"], Method::POST) => restore_deleted(ctx, id),
        _ => return None,
    })
}

fn list_deleted(ctx: &Ctx<'_>, cast: &str) -> SimResponse {
    let Some(kind) = Kind::from_type_name(cast.trim_start_matches("microsoft.graph.")) else {
        return ctx.bad_request(&format!(
            "The type cast '{cast}' is not supported for deleted items."
        ));
    };
    let tenant = ctx.sim.tenant();
    if let Err(denied) = deleted_check(ctx, &tenant, Some(kind), false) {
        return denied;
    }
    let items: Vec<Value> = tenant
        .objects
        .values()
        .filter(|o| o.kind == kind && o.deleted_at.is_some())
        .map(DirObject::to_value)
        .collect();
    list(
        ctx,
        items,
        &format!("directory/deletedItems/{cast}"),
        DIRECTORY_PAGING,
        None,
    )
}

fn get_deleted(ctx: &Ctx<'_>, id: &str) -> SimResponse {
    let tenant = ctx.sim.tenant();
    match tenant.objects.get(id).filter(|o| o.deleted_at.is_some()) {
        Some(object) => {
            if let Err(denied) = deleted_check(ctx, &tenant, Some(object.kind), false) {
                return denied;
            }
            ctx.entity(
                StatusCode::OK,
                "directory/deletedItems/$entity",
                directory_object_json(object),
            )
        }
        None => ctx.not_found(id),
    }
}

/// The deleted object `id` names, provided the caller may purge or restore its kind.
fn deleted_for_change(ctx: &Ctx<'_>, tenant: &Tenant, id: &str) -> Result<DirObject, SimResponse> {
    let Some(object) = tenant
        .objects
        .get(id)
        .filter(|o| o.deleted_at.is_some())
        .cloned()
    else {
        return Err(ctx.not_found(id));
    };
    deleted_check(ctx, tenant, Some(object.kind), true)?;
    Ok(object)
}

fn purge_deleted(ctx: &Ctx<'_>, id: &str) -> SimResponse {
    let now = ctx.now();
    let mut tenant = ctx.sim.tenant();
    let object = match deleted_for_change(ctx, &tenant, id) {
        Ok(object) => object,
        Err(refused) => return refused,
    };
    tenant.objects.remove(id);
    let (category, activity) = match object.kind {
        Kind::User => ("UserManagement", "Hard delete user"),
        Kind::Group => ("GroupManagement", "Hard delete group"),
        _ => ("ApplicationManagement", "Hard delete application"),
    };
    tenant.audit(
        now,
        &ctx.caller.actor,
        category,
        activity,
        "Delete",
        vec![Target::of(&object)],
    );
    ctx.sim.persist(&tenant);
    ctx.no_content()
}

fn restore_deleted(ctx: &Ctx<'_>, id: &str) -> SimResponse {
    let now = ctx.now();
    let mut tenant = ctx.sim.tenant();
    let object = match deleted_for_change(ctx, &tenant, id) {
        Ok(object) => object,
        Err(refused) => return refused,
    };
    if let Some(entry) = tenant.objects.get_mut(id) {
        entry.deleted_at = None;
        entry.set("deletedDateTime", Value::Null);
    }
    let (category, activity) = match object.kind {
        Kind::User => ("UserManagement", "Restore user"),
        Kind::Group => ("GroupManagement", "Restore group"),
        _ => ("ApplicationManagement", "Restore application"),
    };
    tenant.audit(
        now,
        &ctx.caller.actor,
        category,
        activity,
        "Update",
        vec![Target::of(&object)],
    );
    ctx.sim.persist(&tenant);
    let restored = tenant
        .objects
        .get(id)
        .map(directory_object_json)
        .unwrap_or(Value::Null);
    ctx.entity(StatusCode::OK, "directoryObjects/$entity", restored)
}
