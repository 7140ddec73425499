//! /applications and /servicePrincipals: create, read, list, update, delete, owners,
//! password and key credentials, and app role assignments.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::{Method, StatusCode};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Map, Value, json};
use sha1::{Digest as _, Sha1};
use uuid::Uuid;

use super::{Ctx, DIRECTORY_PAGING, list};
use crate::clock::graph_time;
use crate::entities;
use crate::identity::{
    certificate_public_key, find_certificate, new_client_secret, parse_jwt, verify_rsa,
};
use crate::state::{Actor, DirObject, Kind, Private, Target, Tenant, sha256_hex};
use breakglass_core::roles as builtin;

const WRITE_PERMISSIONS: &[&str] = &["Application.ReadWrite.All", "Directory.ReadWrite.All"];
const WRITE_ROLES: &[builtin::BuiltInRole] = &[
    builtin::APPLICATION_ADMINISTRATOR,
    builtin::CLOUD_APPLICATION_ADMINISTRATOR,
];

/// Permissions that read a service principal's app role assignments, in either direction.
const APP_ROLE_ASSIGNMENT_READERS: &[&str] = &[
    "Application.Read.All",
    "Application.ReadWrite.All",
    "AppRoleAssignment.ReadWrite.All",
];

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

fn kind_of(segment: &str) -> Kind {
    if segment.starts_with("servicePrincipals") {
        Kind::ServicePrincipal
    } else {
        Kind::Application
    }
}

/// `applications(appId='…')` addresses an app by its appId.
fn alternate_key(segment: &str) -> Option<String> {
    let inner = segment.split_once('(')?.1.strip_suffix(')')?;
    let value = inner.strip_prefix("appId=")?;
    Some(value.trim_matches('\'').to_string())
}

pub(crate) fn handle(ctx: &Ctx<'_>, parts: &[&str]) -> Option<SimResponse> {
    let kind = kind_of(parts[0]);
    let method = ctx.request.method.clone();
    let key_in_segment = alternate_key(parts[0]);
    let (key, rest): (Option<String>, &[&str]) = match key_in_segment {
        Some(app_id) => (Some(app_id), &parts[1..]),
        None if parts.len() > 1 => (Some(parts[1].to_string()), &parts[2..]),
        None => (None, &[]),
    };
    let by_app_id = alternate_key(parts[0]).is_some();
    Some(match (key, rest, method) {
        (None, _, Method::GET) => list_objects(ctx, kind),
        (None, _, Method::POST) => match kind {
            Kind::Application => create_application(ctx),
            _ => create_service_principal(ctx),
        },
        (Some(key), [], Method::GET) => get(ctx, kind, &key, by_app_id),
        (Some(key), [], Method::PATCH) => update(ctx, kind, &key, by_app_id),
        (Some(key), [], Method::DELETE) => delete(ctx, kind, &key, by_app_id),
        (Some(key), ["addPassword"], Method::POST) => add_password(ctx, kind, &key, by_app_id),
        (Some(key), ["removePassword"], Method::POST) => {
            remove_password(ctx, kind, &key, by_app_id)
        }
        (Some(key), ["addKey"], Method::POST) => add_key(ctx, kind, &key, by_app_id),
        (Some(key), ["removeKey"], Method::POST) => remove_key(ctx, kind, &key, by_app_id),
        (Some(key), ["owners"], Method::GET) => owners(ctx, kind, &key, by_app_id),
        (Some(key), ["owners", "$ref"], Method::POST) => add_owner(ctx, kind, &key, by_app_id),
        (Some(key), ["owners", owner, "$ref"], Method::DELETE) => {
            remove_owner(ctx, kind, &key, by_app_id, owner)
        }
        (Some(key), ["appRoleAssignments"], Method::GET) if kind == Kind::ServicePrincipal => {
            app_role_assignments(ctx, &key)
        }
        (Some(key), ["federatedIdentityCredentials"], Method::GET) if kind == Kind::Application => {
            federated_credentials(ctx, &key, by_app_id)
        }
        (Some(key), ["federatedIdentityCredentials"], Method::POST)
            if kind == Kind::Application =>
        {
            add_federated_credential(ctx, &key, by_app_id)
        }
        (Some(key), ["appRoleAssignedTo"], Method::GET) if kind == Kind::ServicePrincipal => {
            app_role_assigned_to(ctx, &key)
        }
        (Some(key), ["appRoleAssignments"], Method::POST) if kind == Kind::ServicePrincipal => {
            add_app_role_assignment(ctx, &key)
        }
        (Some(key), ["appRoleAssignments", id], Method::DELETE)
            if kind == Kind::ServicePrincipal =>
        {
            remove_app_role_assignment(ctx, &key, id)
        }
        _ => return None,
    })
}

use crate::http::SimResponse;

fn find<'t>(
    ctx: &Ctx<'_>,
    tenant: &'t Tenant,
    kind: Kind,
    key: &str,
    by_app_id: bool,
) -> Option<&'t DirObject> {
    let object = if by_app_id {
        match kind {
            Kind::Application => tenant.application_by_app_id(key),
            _ => tenant.service_principal_by_app_id(key),
        }
    } else {
        tenant.object(key).filter(|o| o.kind == kind)
    }?;
    (!ctx.replicating(object)).then_some(object)
}

/// The object as Graph returns it: `key` of certificates is hidden unless selected on a single object.
fn present(object: &DirObject, reveal_keys: bool) -> Value {
    let mut data = object.data.clone();
    if let Some(Value::Array(keys)) = data.get_mut("keyCredentials") {
        for credential in keys.iter_mut() {
            let key_id = credential
                .get("keyId")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            credential["key"] = if reveal_keys {
                object
                    .private
                    .certificates
                    .get(&key_id)
                    .map(|k| Value::String(k.clone()))
                    .unwrap_or(Value::Null)
            } else {
                Value::Null
            };
        }
    }
    Value::Object(data)
}

fn list_objects(ctx: &Ctx<'_>, kind: Kind) -> SimResponse {
    let tenant = ctx.sim.tenant();
    if let Err(denied) = ctx.require_read(
        &tenant,
        &[
            "Application.Read.All",
            "Application.ReadWrite.All",
            "Application.ReadWrite.OwnedBy",
        ],
    ) {
        return denied;
    }
    let items: Vec<Value> = tenant
        .live(kind)
        .filter(|o| !ctx.replicating(o))
        .map(|o| present(o, false))
        .collect();
    list(ctx, items, kind.collection(), DIRECTORY_PAGING, None)
}

fn get(ctx: &Ctx<'_>, kind: Kind, key: &str, by_app_id: bool) -> SimResponse {
    let tenant = ctx.sim.tenant();
    if let Err(denied) = ctx.require_read(
        &tenant,
        &[
            "Application.Read.All",
            "Application.ReadWrite.All",
            "Application.ReadWrite.OwnedBy",
        ],
    ) {
        return denied;
    }
    let Some(object) = find(ctx, &tenant, kind, key, by_app_id) else {
        return ctx.not_found(key);
    };
    let select = ctx.request.query_param("$select");
    let reveal = select
        .as_deref()
        .is_some_and(|s| s.split(',').any(|p| p.trim() == "keyCredentials"));
    let mut value = present(object, reveal);
    if let Some(select) = select {
        let properties: Vec<String> = select.split(',').map(|s| s.trim().to_string()).collect();
        value = crate::odata::select(&value, &properties);
    }
    ctx.entity(
        StatusCode::OK,
        &format!("{}/$entity", kind.collection()),
        value,
    )
}

fn actor_target(tenant: &Tenant, actor: &Actor) -> Option<String> {
    tenant
        .object(actor.principal_id())
        .map(|o| o.id().to_string())
}

fn create_application(ctx: &Ctx<'_>) -> SimResponse {
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
    let object = DirObject {
        kind: Kind::Application,
        data,
        created_at: now,
        deleted_at: None,
        private,
    };
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

/// PATCH replaces keyCredentials as a whole; entries carrying `key` add certificates,
/// entries naming an existing keyId without `key` keep it.
fn key_credentials_from_patch(
    value: &Value,
    private: &mut Private,
    now: Timestamp,
) -> Result<Vec<Value>, String> {
    let Some(entries) = value.as_array() else {
        return Err("keyCredentials must be an array.".into());
    };
    let mut kept = std::collections::BTreeMap::new();
    let mut out = Vec::new();
    for entry in entries {
        let key_id = entry
            .get("keyId")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| Uuid::new_v4().to_string());
        let der_b64 = match entry.get("key").and_then(Value::as_str) {
            Some(key) => key.to_string(),
            None => private.certificates.get(&key_id).cloned().ok_or_else(|| {
                format!("keyCredential {key_id} has no key and is not an existing credential.")
            })?,
        };
        out.push(certificate_credential(entry, &key_id, &der_b64, now)?);
        kept.insert(key_id, der_b64);
    }
    private.certificates = kept;
    Ok(out)
}

fn certificate_credential(
    entry: &Value,
    key_id: &str,
    der_b64: &str,
    now: Timestamp,
) -> Result<Value, String> {
    let der = STANDARD
        .decode(der_b64.trim())
        .map_err(|_| "Key credential key is not valid base64.".to_string())?;
    if certificate_public_key(&der).is_none() {
        return Err("Key credential key is not a valid X.509 certificate.".into());
    }
    let kind = entry
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("AsymmetricX509Cert");
    let usage = entry
        .get("usage")
        .and_then(Value::as_str)
        .unwrap_or("Verify");
    if kind != "AsymmetricX509Cert" || !matches!(usage, "Verify" | "Sign") {
        return Err(format!(
            "Key credential type '{kind}' with usage '{usage}' is not supported."
        ));
    }
    let validity = certificate_validity(&der);
    let start = entry
        .get("startDateTime")
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| validity.map(|v| graph_time(v.0)))
        .unwrap_or_else(|| graph_time(now));
    let end = entry
        .get("endDateTime")
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| validity.map(|v| graph_time(v.1)))
        .unwrap_or_else(|| {
            graph_time(
                now.checked_add(SignedDuration::from_hours(24 * 365))
                    .unwrap_or(now),
            )
        });
    let thumbprint = STANDARD.encode(Sha1::digest(&der));
    Ok(json!({
        "customKeyIdentifier": entry.get("customKeyIdentifier").cloned().filter(|v| !v.is_null()).unwrap_or(Value::String(thumbprint)),
        "displayName": entry.get("displayName").cloned().unwrap_or(Value::Null),
        "endDateTime": end,
        "key": null,
        "keyId": key_id,
        "startDateTime": start,
        "type": kind,
        "usage": usage,
    }))
}

fn certificate_validity(der: &[u8]) -> Option<(Timestamp, Timestamp)> {
    use x509_cert::der::Decode as _;
    let certificate = x509_cert::Certificate::from_der(der).ok()?;
    let validity = &certificate.tbs_certificate.validity;
    let to_ts = |t: x509_cert::time::Time| {
        Timestamp::from_second(t.to_unix_duration().as_secs() as i64).ok()
    };
    Some((to_ts(validity.not_before)?, to_ts(validity.not_after)?))
}

fn create_service_principal(ctx: &Ctx<'_>) -> SimResponse {
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
    let mut data = entities::service_principal(id, &app.data, tenant.tenant_id);
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
    let object = DirObject {
        kind: Kind::ServicePrincipal,
        data,
        created_at: now,
        deleted_at: None,
        private,
    };
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

/// Whether the caller may change this object: write permission or role, or ownership
/// with Application.ReadWrite.OwnedBy.
fn may_write(ctx: &Ctx<'_>, tenant: &Tenant, object: &DirObject) -> Result<(), SimResponse> {
    if ctx.require(tenant, WRITE_PERMISSIONS, WRITE_ROLES).is_ok() {
        return Ok(());
    }
    let owns = object
        .private
        .owners
        .iter()
        .any(|o| o == ctx.caller.actor.principal_id());
    let owned_by = ctx
        .caller
        .app_permissions
        .iter()
        .any(|p| p == "Application.ReadWrite.OwnedBy");
    if owns && (owned_by || ctx.caller.delegated) {
        return Ok(());
    }
    Err(ctx.forbidden())
}

/// Entra refuses credential changes on a service principal whose app locks them.
fn credentials_locked(tenant: &Tenant, object: &DirObject) -> bool {
    if object.kind != Kind::ServicePrincipal {
        return false;
    }
    let app = object
        .str("appId")
        .and_then(|app_id| tenant.application_by_app_id(app_id));
    let lock = app
        .and_then(|a| a.data.get("servicePrincipalLockConfiguration"))
        .cloned()
        .unwrap_or(Value::Null);
    let flag = |name: &str| lock.get(name).and_then(Value::as_bool).unwrap_or(false);
    flag("isEnabled") && (flag("allProperties") || flag("credentialsWithUsageVerify"))
}

fn update(ctx: &Ctx<'_>, kind: Kind, key: &str, by_app_id: bool) -> SimResponse {
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
    if body.get("keyCredentials").is_some() && credentials_locked(&tenant, &object) {
        return ctx.bad_request("Property keyCredentials is locked by the application's servicePrincipalLockConfiguration and cannot be changed.");
    }
    let mut updated = object.clone();
    let before_keys = updated
        .data
        .get("keyCredentials")
        .cloned()
        .unwrap_or(Value::Null);
    let before = updated.data.clone();
    let changed = match apply_properties(&mut updated.data, &mut updated.private, &body, now) {
        Ok(changed) => changed,
        Err(message) => return ctx.bad_request(&message),
    };
    // Tags on an application flow to its service principal, as in Entra.
    if kind == Kind::Application
        && changed.iter().any(|c| c == "tags")
        && let Some(app_id) = updated.str("appId").map(str::to_string)
        && let Some(sp_id) = tenant
            .service_principal_by_app_id(&app_id)
            .map(|s| s.id().to_string())
        && let Some(sp) = tenant.object_mut(&sp_id)
    {
        sp.data.insert(
            "tags".into(),
            updated.data.get("tags").cloned().unwrap_or(json!([])),
        );
    }
    let mut target = Target::of(&updated);
    for name in &changed {
        target = target.modified(
            name,
            before.get(name).cloned().unwrap_or(Value::Null),
            updated.data.get(name).cloned().unwrap_or(Value::Null),
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
            key_description(updated.data.get("keyCredentials").unwrap_or(&Value::Null)),
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

/// The audit log's bracketed description of credentials.
fn key_description(credentials: &Value) -> Value {
    let items: Vec<String> = credentials
        .as_array()
        .map(|a| {
            a.iter()
                .map(|c| {
                    let kind = if c.get("type").is_some() {
                        "AsymmetricX509Cert"
                    } else {
                        "Password"
                    };
                    format!(
                        "[KeyIdentifier={},KeyType={kind},KeyUsage={},DisplayName={}]",
                        c.get("keyId").and_then(Value::as_str).unwrap_or_default(),
                        c.get("usage").and_then(Value::as_str).unwrap_or("Verify"),
                        c.get("displayName")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    Value::Array(items.into_iter().map(Value::String).collect())
}

fn delete(ctx: &Ctx<'_>, kind: Kind, key: &str, by_app_id: bool) -> SimResponse {
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
            .and_then(|a| tenant.service_principal_by_app_id(a))
    {
        doomed.push(sp.id().to_string());
    }
    for doomed_id in &doomed {
        tenant
            .role_assignments
            .retain(|a| a.get("principalId").and_then(Value::as_str) != Some(doomed_id.as_str()));
        if let Some(entry) = tenant.objects.get_mut(doomed_id) {
            entry.deleted_at = Some(now);
            entry
                .data
                .insert("deletedDateTime".into(), Value::String(graph_time(now)));
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

fn add_password(ctx: &Ctx<'_>, kind: Kind, key: &str, by_app_id: bool) -> SimResponse {
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
    if credentials_locked(&tenant, &object) {
        return ctx.bad_request("Property passwordCredentials is locked by the application's servicePrincipalLockConfiguration and cannot be changed.");
    }
    let request = body.get("passwordCredential").cloned().unwrap_or(json!({}));
    let parse = |name: &str| -> Result<Option<Timestamp>, SimResponse> {
        match request.get(name).and_then(Value::as_str) {
            None => Ok(None),
            Some(text) => text.parse::<Timestamp>().map(Some).map_err(|_| ctx.bad_request(&format!("Invalid value specified for property '{name}' of resource 'PasswordCredential'."))),
        }
    };
    let start = match parse("startDateTime") {
        Ok(start) => start.unwrap_or(now),
        Err(error) => return error,
    };
    let end = match parse("endDateTime") {
        Ok(end) => end.unwrap_or_else(|| {
            start
                .checked_add(SignedDuration::from_hours(24 * 730))
                .unwrap_or(start)
        }),
        Err(error) => return error,
    };
    if end <= start {
        return ctx.bad_request("Invalid value specified for property 'endDateTime' of resource 'PasswordCredential'. It must be later than startDateTime.");
    }
    let secret = new_client_secret();
    let key_id = Uuid::new_v4().to_string();
    let credential = json!({
        "customKeyIdentifier": null,
        "displayName": request.get("displayName").cloned().unwrap_or(Value::Null),
        "endDateTime": graph_time(end),
        "hint": &secret[..3],
        "keyId": key_id,
        "secretText": null,
        "startDateTime": graph_time(start),
    });
    let mut updated = object.clone();
    let before = updated
        .data
        .get("passwordCredentials")
        .cloned()
        .unwrap_or(json!([]));
    if let Some(Value::Array(list)) = updated.data.get_mut("passwordCredentials") {
        list.push(credential.clone());
    }
    updated
        .private
        .secret_sha256
        .insert(key_id, sha256_hex(&secret));
    let after = updated
        .data
        .get("passwordCredentials")
        .cloned()
        .unwrap_or(json!([]));
    let target = Target::of(&updated).modified(
        "KeyDescription",
        key_description(&before),
        key_description(&after),
    );
    tenant.objects.insert(updated.id().to_string(), updated);
    let activity = if kind == Kind::Application {
        "Update application \u{2013} Certificates and secrets management"
    } else {
        "Add service principal credentials"
    };
    tenant.audit(
        now,
        &ctx.caller.actor,
        "ApplicationManagement",
        activity,
        "Update",
        vec![target],
    );
    ctx.sim.persist(&tenant);
    let mut response = credential;
    response["secretText"] = Value::String(secret);
    ctx.entity(
        StatusCode::OK,
        "microsoft.graph.passwordCredential",
        response,
    )
}

fn remove_password(ctx: &Ctx<'_>, kind: Kind, key: &str, by_app_id: bool) -> SimResponse {
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
    if credentials_locked(&tenant, &object) {
        return ctx.bad_request("Property passwordCredentials is locked by the application's servicePrincipalLockConfiguration and cannot be changed.");
    }
    let Some(key_id) = body
        .get("keyId")
        .and_then(Value::as_str)
        .filter(|k| Uuid::parse_str(k).is_ok())
    else {
        return ctx.bad_request("Property 'keyId' is required and must be a GUID.");
    };
    remove_credential(
        ctx,
        &mut tenant,
        &object,
        kind,
        Credentials::Passwords,
        key_id,
        now,
    )
}

/// Checks an addKey/removeKey proof: a JWT signed by a currently valid certificate of
/// the object, with `aud` 00000002-0000-0000-c000-000000000000 and `iss` the object id.
fn check_proof(ctx: &Ctx<'_>, object: &DirObject, proof: &str) -> Result<(), SimResponse> {
    let malformed = || {
        ctx.error(
            StatusCode::UNAUTHORIZED,
            "Authentication_MissingOrMalformed",
            "Access token is missing or malformed.",
        )
    };
    let padded = proof.split('.').take(2).any(|part| part.contains('='));
    if padded {
        return Err(malformed());
    }
    let Some(jwt) = parse_jwt(proof) else {
        return Err(malformed());
    };
    let now = ctx.now();
    let certificate = find_certificate(object, &jwt.header).map_err(|_| {
        ctx.error(
            StatusCode::UNAUTHORIZED,
            "Authentication_MissingOrMalformed",
            "The proof is not signed by a certificate registered on this object.",
        )
    })?;
    let valid_now = {
        let parse = |name: &str| {
            certificate
                .credential
                .get(name)
                .and_then(Value::as_str)
                .and_then(|s| s.parse::<Timestamp>().ok())
        };
        parse("startDateTime").is_none_or(|s| s <= now)
            && parse("endDateTime").is_none_or(|e| now < e)
    };
    let alg = jwt
        .header
        .get("alg")
        .and_then(Value::as_str)
        .unwrap_or("RS256");
    let signed = certificate_public_key(&certificate.der)
        .is_some_and(|key| verify_rsa(alg, &key, jwt.signing_input.as_bytes(), &jwt.signature));
    let audience_ok = jwt.claims.get("aud").and_then(Value::as_str)
        == Some("00000002-0000-0000-c000-000000000000");
    let issuer_ok = jwt
        .claims
        .get("iss")
        .and_then(Value::as_str)
        .is_some_and(|iss| iss.eq_ignore_ascii_case(object.id()));
    let seconds = |name: &str| {
        jwt.claims
            .get(name)
            .and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)))
    };
    let in_time = seconds("exp").is_some_and(|exp| exp > now.as_second())
        && seconds("nbf").is_none_or(|nbf| nbf <= now.as_second() + 300);
    if !(valid_now && signed && audience_ok && issuer_ok && in_time) {
        return Err(ctx.error(
            StatusCode::UNAUTHORIZED,
            "Authentication_MissingOrMalformed",
            "The proof of possession token is not valid for this object.",
        ));
    }
    Ok(())
}

fn add_key(ctx: &Ctx<'_>, kind: Kind, key: &str, by_app_id: bool) -> SimResponse {
    let body = match ctx.body() {
        Ok(body) => body,
        Err(error) => return error,
    };
    let now = ctx.now();
    let mut tenant = ctx.sim.tenant();
    let Some(object) = find(ctx, &tenant, kind, key, by_app_id).cloned() else {
        return ctx.not_found(key);
    };
    if credentials_locked(&tenant, &object) {
        return ctx.bad_request("Property keyCredentials is locked by the application's servicePrincipalLockConfiguration and cannot be changed.");
    }
    let Some(proof) = body.get("proof").and_then(Value::as_str) else {
        return ctx.bad_request("Property 'proof' is required.");
    };
    // Rolling one's own keys needs no permission: the proof is the authorization.
    if let Err(denied) = check_proof(ctx, &object, proof) {
        return denied;
    }
    let Some(entry) = body.get("keyCredential") else {
        return ctx.bad_request("Property 'keyCredential' is required.");
    };
    let Some(der_b64) = entry.get("key").and_then(Value::as_str) else {
        return ctx.bad_request("Property 'key' of keyCredential is required.");
    };
    let key_id = Uuid::new_v4().to_string();
    let credential = match certificate_credential(entry, &key_id, der_b64, now) {
        Ok(credential) => credential,
        Err(message) => return ctx.bad_request(&message),
    };
    let mut updated = object.clone();
    let before = updated
        .data
        .get("keyCredentials")
        .cloned()
        .unwrap_or(json!([]));
    if let Some(Value::Array(list)) = updated.data.get_mut("keyCredentials") {
        list.push(credential.clone());
    }
    updated
        .private
        .certificates
        .insert(key_id, der_b64.to_string());
    let after = updated
        .data
        .get("keyCredentials")
        .cloned()
        .unwrap_or(json!([]));
    let target = Target::of(&updated).modified(
        "KeyDescription",
        key_description(&before),
        key_description(&after),
    );
    tenant.objects.insert(updated.id().to_string(), updated);
    let activity = if kind == Kind::Application {
        "Update application \u{2013} Certificates and secrets management"
    } else {
        "Add service principal credentials"
    };
    tenant.audit(
        now,
        &ctx.caller.actor,
        "ApplicationManagement",
        activity,
        "Update",
        vec![target],
    );
    ctx.sim.persist(&tenant);
    ctx.entity(StatusCode::OK, "microsoft.graph.keyCredential", credential)
}

fn remove_key(ctx: &Ctx<'_>, kind: Kind, key: &str, by_app_id: bool) -> SimResponse {
    let body = match ctx.body() {
        Ok(body) => body,
        Err(error) => return error,
    };
    let now = ctx.now();
    let mut tenant = ctx.sim.tenant();
    let Some(object) = find(ctx, &tenant, kind, key, by_app_id).cloned() else {
        return ctx.not_found(key);
    };
    if credentials_locked(&tenant, &object) {
        return ctx.bad_request("Property keyCredentials is locked by the application's servicePrincipalLockConfiguration and cannot be changed.");
    }
    let Some(proof) = body.get("proof").and_then(Value::as_str) else {
        return ctx.bad_request("Property 'proof' is required.");
    };
    if let Err(denied) = check_proof(ctx, &object, proof) {
        return denied;
    }
    let Some(key_id) = body.get("keyId").and_then(Value::as_str) else {
        return ctx.bad_request("Property 'keyId' is required.");
    };
    remove_credential(
        ctx,
        &mut tenant,
        &object,
        kind,
        Credentials::Certificates,
        key_id,
        now,
    )
}

/// The two credential collections of an application or service principal.
#[derive(Clone, Copy)]
enum Credentials {
    Passwords,
    Certificates,
}

/// Removes one credential by key id, with the audit record Entra writes; shared by
/// removePassword and removeKey once each has checked its own preconditions.
fn remove_credential(
    ctx: &Ctx<'_>,
    tenant: &mut Tenant,
    object: &DirObject,
    kind: Kind,
    which: Credentials,
    key_id: &str,
    now: Timestamp,
) -> SimResponse {
    let (list_name, noun) = match which {
        Credentials::Passwords => ("passwordCredentials", "password credential"),
        Credentials::Certificates => ("keyCredentials", "key credential"),
    };
    let mut updated = object.clone();
    let before = updated.data.get(list_name).cloned().unwrap_or(json!([]));
    let mut found = false;
    if let Some(Value::Array(list)) = updated.data.get_mut(list_name) {
        let length = list.len();
        list.retain(|c| c.get("keyId").and_then(Value::as_str) != Some(key_id));
        found = list.len() != length;
    }
    if !found {
        return ctx.error(
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
            &format!("No {noun} found with keyId {key_id}."),
        );
    }
    match which {
        Credentials::Passwords => updated.private.secret_sha256.remove(key_id),
        Credentials::Certificates => updated.private.certificates.remove(key_id),
    };
    let after = updated.data.get(list_name).cloned().unwrap_or(json!([]));
    let target = Target::of(&updated).modified(
        "KeyDescription",
        key_description(&before),
        key_description(&after),
    );
    tenant.objects.insert(updated.id().to_string(), updated);
    let activity = if kind == Kind::Application {
        "Update application \u{2013} Certificates and secrets management"
    } else {
        "Remove service principal credentials"
    };
    tenant.audit(
        now,
        &ctx.caller.actor,
        "ApplicationManagement",
        activity,
        "Update",
        vec![target],
    );
    ctx.sim.persist(tenant);
    ctx.no_content()
}

pub(crate) fn directory_object_json(object: &DirObject) -> Value {
    let mut value = Value::Object(object.data.clone());
    value["@odata.type"] = Value::String(object.kind.odata_type().to_string());
    value
}

fn owners(ctx: &Ctx<'_>, kind: Kind, key: &str, by_app_id: bool) -> SimResponse {
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

fn add_owner(ctx: &Ctx<'_>, kind: Kind, key: &str, by_app_id: bool) -> SimResponse {
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

fn remove_owner(
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

fn app_role_assignments(ctx: &Ctx<'_>, key: &str) -> SimResponse {
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

fn federated_credentials(ctx: &Ctx<'_>, key: &str, by_app_id: bool) -> SimResponse {
    let tenant = ctx.sim.tenant();
    if let Err(denied) = ctx.require_read(
        &tenant,
        &["Application.Read.All", "Application.ReadWrite.All"],
    ) {
        return denied;
    }
    let Some(object) = find(ctx, &tenant, Kind::Application, key, by_app_id) else {
        return ctx.not_found(key);
    };
    let items = object.private.federated_identity_credentials.clone();
    list(
        ctx,
        items,
        &format!(
            "applications('{}')/federatedIdentityCredentials",
            object.id()
        ),
        DIRECTORY_PAGING,
        None,
    )
}

/// `POST /applications/{id}/federatedIdentityCredentials`: `name` (unique in the app, at most
/// 120 characters), `issuer`, `subject` and one audience are required; at most 20 per app.
fn add_federated_credential(ctx: &Ctx<'_>, key: &str, by_app_id: bool) -> SimResponse {
    let body = match ctx.body() {
        Ok(body) => body,
        Err(error) => return error,
    };
    let now = ctx.now();
    let mut tenant = ctx.sim.tenant();
    let Some(object) = find(ctx, &tenant, Kind::Application, key, by_app_id).cloned() else {
        return ctx.not_found(key);
    };
    if let Err(denied) = may_write(ctx, &tenant, &object) {
        return denied;
    }
    let text = |name: &str| {
        body.get(name)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let (Some(name), Some(issuer), Some(subject)) = (text("name"), text("issuer"), text("subject"))
    else {
        return ctx.bad_request("Properties 'name', 'issuer' and 'subject' are required.");
    };
    let audiences: Vec<&str> = body
        .get("audiences")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if audiences.len() != 1 {
        return ctx.bad_request("Property 'audiences' must hold exactly one value.");
    }
    if name.len() > 120 {
        return ctx.bad_request("Property 'name' is too long: at most 120 characters.");
    }
    let existing = &object.private.federated_identity_credentials;
    if existing.iter().any(|c| {
        c.get("name")
            .and_then(Value::as_str)
            .is_some_and(|n| n.eq_ignore_ascii_case(name))
    }) {
        return ctx.bad_request(
            "A federated identity credential with this name already exists on the application.",
        );
    }
    if existing.len() >= 20 {
        return ctx
            .bad_request("An application can have at most 20 federated identity credentials.");
    }
    let credential = json!({
        "id": Uuid::new_v4().to_string(),
        "name": name,
        "issuer": issuer,
        "subject": subject,
        "description": body.get("description").cloned().unwrap_or(Value::Null),
        "audiences": audiences,
    });
    let mut updated = object.clone();
    updated
        .private
        .federated_identity_credentials
        .push(credential.clone());
    let target = Target::of(&updated).modified(
        "FederatedIdentityCredentials",
        Value::Null,
        Value::String(format!("{name}: {issuer} {subject}")),
    );
    tenant.objects.insert(updated.id().to_string(), updated);
    tenant.audit(
        now,
        &ctx.caller.actor,
        "ApplicationManagement",
        "Update application",
        "Update",
        vec![target],
    );
    ctx.sim.persist(&tenant);
    ctx.entity(
        StatusCode::CREATED,
        &format!(
            "applications('{}')/federatedIdentityCredentials/$entity",
            object.id()
        ),
        credential,
    )
}

/// `GET /servicePrincipals/{id}/appRoleAssignedTo`: the app role assignments granted *for*
/// this resource (e.g. every Microsoft Graph application permission in the tenant).
fn app_role_assigned_to(ctx: &Ctx<'_>, key: &str) -> SimResponse {
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
    let items: Vec<Value> = tenant
        .objects
        .values()
        .filter(|o| o.kind == Kind::ServicePrincipal && o.deleted_at.is_none())
        .flat_map(|o| o.private.app_role_assignments.iter())
        .filter(|a| a.get("resourceId").and_then(Value::as_str) == Some(resource_id.as_str()))
        .cloned()
        .collect();
    list(
        ctx,
        items,
        &format!("servicePrincipals('{key}')/appRoleAssignedTo"),
        DIRECTORY_PAGING,
        None,
    )
}

fn add_app_role_assignment(ctx: &Ctx<'_>, key: &str) -> SimResponse {
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
        .data
        .get("appRoles")
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
        principal.display_name(),
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

fn remove_app_role_assignment(ctx: &Ctx<'_>, key: &str, assignment_id: &str) -> SimResponse {
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
