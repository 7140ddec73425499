//! Creating applications and service principals, changing their properties (PATCH) and
//! deleting them.

use http::StatusCode;
use jiff::Timestamp;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::credentials::{key_credentials_from_patch, key_description};
use super::{WRITE_ROLES, changed_key_usages, credentials_locked, find, may_write, present};
use crate::app_policy::{self, NewCredential};
use crate::clock::graph_time;
use crate::entities;
use crate::graph::Ctx;
use crate::http::SimResponse;
use crate::state::{Actor, DirObject, Kind, Private, Target, Tenant};

/// Properties Graph never lets a client set directly.
const READ_ONLY: &[&str] = &[
    "id",
    "appId",
    "createdDateTime",
    "deletedDateTime",
    "publisherDomain",
    "passwordCredentials",
    "appOwnerOrganizationId",
];

fn actor_target(tenant: &Tenant, actor: &Actor) -> Option<String> {
    tenant
        .object(actor.principal_id())
        .map(|o| o.id().to_string())
}

pub(super) fn create_application(ctx: &Ctx<'_>) -> SimResponse {
    let body = match ctx.body() {
        Ok(body) => body,
        Err(error) => return error,
    };
    let mut tenant = ctx.sim.tenant();
    if let Err(denied) = ctx.require(
        &tenant,
        &[
            "Application.ReadWrite.All",
            "Application.ReadWrite.OwnedBy",
            "Directory.ReadWrite.All",
        ],
        WRITE_ROLES,
    ) {
        return denied;
    }
    let Some(display_name) = body
        .get("displayName")
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
    else {
        return ctx.bad_request("Property 'displayName' is required.");
    };
    if body
        .get("passwordCredentials")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty())
    {
        return ctx.bad_request("Adding passwordCredentials when creating applications is not supported. Use the addPassword action.");
    }
    let now = ctx.now();
    let id = Uuid::new_v4();
    let mut data = entities::application(
        id,
        Uuid::new_v4(),
        display_name,
        &graph_time(now),
        &tenant.initial_domain.clone(),
    );
    let mut private = Private::default();
    if let Err(message) = apply_properties(&mut data, &mut private, &body, now) {
        return ctx.bad_request(&message);
    }
    // An app-only caller that creates an app becomes its owner, as in Entra.
    if !ctx.caller.delegated
        && let Some(owner) = actor_target(&tenant, &ctx.caller.actor)
    {
        private.owners.push(owner);
    }
    let object = DirObject::new(Kind::Application, &data, now, private);
    let target = Target::of(&object);
    let value = present(&object, false);
    tenant.objects.insert(id.to_string(), object);
    tenant.audit(
        now,
        &ctx.caller.actor,
        "ApplicationManagement",
        "Add application",
        "Add",
        vec![target],
    );
    ctx.sim.persist(&tenant);
    ctx.entity(StatusCode::CREATED, "applications/$entity", value)
}

/// Applies writable properties from a POST or PATCH body.
fn apply_properties(
    data: &mut Map<String, Value>,
    private: &mut Private,
    body: &Value,
    now: Timestamp,
) -> Result<Vec<String>, String> {
    let Value::Object(fields) = body else {
        return Err("The request body must be a JSON object.".into());
    };
    let mut changed = Vec::new();
    for (name, value) in fields {
        if name.starts_with('@') {
            continue;
        }
        if name == "passwordCredentials" {
            return Err("Updating passwordCredentials is not supported. Use the addPassword and removePassword actions.".into());
        }
        if READ_ONLY.contains(&name.as_str()) {
            continue;
        }
        if !data.contains_key(name) && name != "keyCredentials" {
            return Err(format!("Invalid property '{name}'."));
        }
        // Entra's limit on an application's (and service principal's) display name.
        if name == "displayName"
            && !value
                .as_str()
                .is_some_and(|v| !v.trim().is_empty() && v.chars().count() <= 256)
        {
            return Err("Invalid value specified for property 'displayName'.".into());
        }
        if name == "keyCredentials" {
            let credentials = key_credentials_from_patch(value, private, now)?;
            data.insert(name.clone(), Value::Array(credentials));
        } else {
            data.insert(name.clone(), value.clone());
        }
        changed.push(name.clone());
    }
    Ok(changed)
}

pub(super) fn create_service_principal(ctx: &Ctx<'_>) -> SimResponse {
    let body = match ctx.body() {
        Ok(body) => body,
        Err(error) => return error,
    };
    let mut tenant = ctx.sim.tenant();
    if let Err(denied) = ctx.require(
        &tenant,
        &[
            "Application.ReadWrite.All",
            "Application.ReadWrite.OwnedBy",
            "Directory.ReadWrite.All",
        ],
        WRITE_ROLES,
    ) {
        return denied;
    }
    let Some(app_id) = body.get("appId").and_then(Value::as_str) else {
        return ctx.bad_request("Property 'appId' is required.");
    };
    let Some(app) = tenant
        .application_by_app_id(app_id)
        .filter(|a| !ctx.replicating(a))
        .cloned()
    else {
        return ctx.bad_request(&format!("The appId '{app_id}' of the service principal does not reference a valid application object."));
    };
    if tenant.service_principal_by_app_id(app_id).is_some() {
        return ctx.bad_request("A conflicting object with one or more of the specified property values is present in the directory.");
    }
    let now = ctx.now();
    let id = Uuid::new_v4();
    let mut data = entities::service_principal(id, &app.data(), tenant.tenant_id);
    if let Some(tags) = body.get("tags") {
        data.insert("tags".into(), tags.clone());
    }
    for field in [
        "notes",
        "description",
        "accountEnabled",
        "appRoleAssignmentRequired",
    ] {
        if let Some(value) = body.get(field) {
            data.insert(field.into(), value.clone());
        }
    }
    let mut private = Private::default();
    if !ctx.caller.delegated
        && let Some(owner) = actor_target(&tenant, &ctx.caller.actor)
    {
        private.owners.push(owner);
    }
    let object = DirObject::new(Kind::ServicePrincipal, &data, now, private);
    let target = Target::of(&object);
    let value = present(&object, false);
    tenant.objects.insert(id.to_string(), object);
    tenant.audit(
        now,
        &ctx.caller.actor,
        "ApplicationManagement",
        "Add service principal",
        "Add",
        vec![target],
    );
    ctx.sim.persist(&tenant);
    ctx.entity(StatusCode::CREATED, "servicePrincipals/$entity", value)
}

pub(super) fn update(ctx: &Ctx<'_>, kind: Kind, key: &str, by_app_id: bool) -> SimResponse {
    let body = match ctx.body() {
        Ok(body) => body,
        Err(error) => return error,
    };
    let now = ctx.now();
    let mut tenant = ctx.sim.tenant();
    let Some(object) = find(ctx, &tenant, kind, key, by_app_id).cloned() else {
        return ctx.not_found(key);
    };
    if let Err(denied) = may_write(ctx, &tenant, &object) {
        return denied;
    }
    let before = object.data();
    let before_keys = before.get("keyCredentials").cloned().unwrap_or(Value::Null);
    let changed = body
        .get("keyCredentials")
        .map(|keys| changed_key_usages(&before_keys, keys));
    if changed.is_some_and(|usages| credentials_locked(&tenant, &object, &usages)) {
        return ctx.bad_request("Property keyCredentials is locked by the application's servicePrincipalLockConfiguration and cannot be changed.");
    }
    let mut updated = object.clone();
    let mut data = before.clone();
    let changed = match apply_properties(&mut data, &mut updated.private, &body, now) {
        Ok(changed) => changed,
        Err(message) => return ctx.bad_request(&message),
    };
    updated.replace(&data);
    if let Some(why) = added_certificates(&before_keys, data.get("keyCredentials"))
        .into_iter()
        .find_map(|added| app_policy::refusal(&tenant, &object, added))
    {
        return ctx.bad_request(&why);
    }
    // Tags on an application flow to its service principal, as in Entra.
    if kind == Kind::Application
        && changed.iter().any(|c| c == "tags")
        && let Some(app_id) = data.get("appId").and_then(Value::as_str)
        && let Some(sp_id) = tenant
            .service_principal_by_app_id(app_id)
            .map(|s| s.id().to_string())
        && let Some(sp) = tenant.object_mut(&sp_id)
    {
        sp.set("tags", data.get("tags").cloned().unwrap_or(json!([])));
    }
    let mut target = Target::of(&updated);
    for name in &changed {
        target = target.modified(
            name,
            before.get(name).cloned().unwrap_or(Value::Null),
            data.get(name).cloned().unwrap_or(Value::Null),
        );
    }
    let credentials_changed = changed.iter().any(|c| c == "keyCredentials");
    let activity = match (kind, credentials_changed) {
        (Kind::Application, true) => {
            "Update application \u{2013} Certificates and secrets management"
        }
        (Kind::Application, false) => "Update application",
        (_, true) => "Add service principal credentials",
        (_, false) => "Update service principal",
    };
    if credentials_changed {
        target = target.modified(
            "KeyDescription",
            key_description(&before_keys),
            key_description(data.get("keyCredentials").unwrap_or(&Value::Null)),
        );
    }
    tenant.objects.insert(updated.id().to_string(), updated);
    tenant.audit(
        now,
        &ctx.caller.actor,
        "ApplicationManagement",
        activity,
        "Update",
        vec![target],
    );
    ctx.sim.persist(&tenant);
    ctx.no_content()
}

pub(super) fn delete(ctx: &Ctx<'_>, kind: Kind, key: &str, by_app_id: bool) -> SimResponse {
    let now = ctx.now();
    let mut tenant = ctx.sim.tenant();
    let Some(object) = find(ctx, &tenant, kind, key, by_app_id).cloned() else {
        return ctx.not_found(key);
    };
    if let Err(denied) = may_write(ctx, &tenant, &object) {
        return denied;
    }
    let id = object.id().to_string();
    let mut doomed = vec![id.clone()];
    // Deleting an application deletes its service principal too.
    if kind == Kind::Application
        && let Some(sp) = object
            .str("appId")
            .and_then(|a| tenant.service_principal_by_app_id(&a))
    {
        doomed.push(sp.id().to_string());
    }
    for doomed_id in &doomed {
        tenant
            .role_assignments
            .retain(|a| a.get("principalId").and_then(Value::as_str) != Some(doomed_id.as_str()));
        if let Some(entry) = tenant.objects.get_mut(doomed_id) {
            entry.deleted_at = Some(now);
            entry.set("deletedDateTime", Value::String(graph_time(now)));
            // Service principals are deleted for good; applications go to the recycle bin.
            if entry.kind == Kind::ServicePrincipal {
                tenant.objects.remove(doomed_id);
            }
        }
    }
    let activity = if kind == Kind::Application {
        "Delete application"
    } else {
        "Delete service principal"
    };
    tenant.audit(
        now,
        &ctx.caller.actor,
        "ApplicationManagement",
        activity,
        "Delete",
        vec![Target::of(&object)],
    );
    ctx.sim.persist(&tenant);
    ctx.no_content()
}

/// The key credentials `after` holds and `before` did not (by key id), with their validity.
fn added_certificates(before: &Value, after: Option<&Value>) -> Vec<NewCredential> {
    let key_id = |c: &Value| {
        c.get("keyId")
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase)
    };
    let known: Vec<Option<String>> = before
        .as_array()
        .into_iter()
        .flatten()
        .map(key_id)
        .collect();
    let time = |c: &Value, name: &str| {
        c.get(name)
            .and_then(Value::as_str)
            .and_then(|t| t.parse::<Timestamp>().ok())
    };
    after
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|c| !known.contains(&key_id(c)))
        .filter_map(|c| {
            Some(NewCredential::Certificate {
                start: time(c, "startDateTime")?,
                end: time(c, "endDateTime")?,
            })
        })
        .collect()
}
