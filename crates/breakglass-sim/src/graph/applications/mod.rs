//! /applications and /servicePrincipals: routing, look-up by object id or appId, reads,
//! and the checks every change shares. Changes live in one module per kind of change.

mod app_roles;
mod credentials;
mod federated;
mod lifecycle;
mod owners;

use http::{Method, StatusCode};
use serde_json::Value;

use super::Ctx;
use crate::http::SimResponse;
use crate::listing::DIRECTORY_PAGING;
use crate::listing::{Listing, list_objects as list_directory};
use crate::state::{DirObject, Kind, Tenant};
use breakglass_core::roles as builtin;

use app_roles::{
    add_app_role_assignment, app_role_assigned_to, app_role_assignments, remove_app_role_assignment,
};
use credentials::{add_key, add_password, remove_key, remove_password};
use federated::{add_federated_credential, federated_credentials};
use lifecycle::{create_application, create_service_principal, delete, update};
use owners::{add_owner, owners, remove_owner};
pub(crate) use owners::{reference_id, with_owner_added};

const WRITE_PERMISSIONS: &[&str] = &["Application.ReadWrite.All", "Directory.ReadWrite.All"];
const WRITE_ROLES: &[builtin::BuiltInRole] = &[
    builtin::APPLICATION_ADMINISTRATOR,
    builtin::CLOUD_APPLICATION_ADMINISTRATOR,
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
    let mut data = object.data();
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
    let listing = Listing {
        kind,
        context: kind.collection(),
        paging: DIRECTORY_PAGING,
        default_select: None,
    };
    list_directory(
        ctx,
        &tenant,
        &listing,
        |o| !ctx.replicating(o),
        |o| present(o, false),
    )
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
/// What a credential is used for, as `servicePrincipalLockConfiguration` tells them apart: a
/// key credential says so in its `usage`; a password credential (a client secret) proves an
/// app's sign-in, so it is taken as `Verify`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Usage {
    Verify,
    Sign,
}

/// The usage a key credential declares (`Verify` unless it says `Sign`).
pub(super) fn key_usage(credential: &Value) -> Usage {
    match credential.get("usage").and_then(Value::as_str) {
        Some(usage) if usage.eq_ignore_ascii_case("Sign") => Usage::Sign,
        _ => Usage::Verify,
    }
}

/// The usages of the key credentials one list holds and the other does not (by key id).
pub(super) fn changed_key_usages(before: &Value, after: &Value) -> Vec<Usage> {
    let key_id = |c: &Value| {
        c.get("keyId")
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase)
    };
    let missing_from = |list: &Value, other: &Value| -> Vec<Usage> {
        let ids: Vec<Option<String>> = other.as_array().into_iter().flatten().map(key_id).collect();
        list.as_array()
            .into_iter()
            .flatten()
            .filter(|c| !ids.contains(&key_id(c)))
            .map(key_usage)
            .collect()
    };
    let mut usages = missing_from(before, after);
    usages.extend(missing_from(after, before));
    usages
}

/// Whether the application's `servicePrincipalLockConfiguration` forbids changing credentials
/// of any of `usages` on this service principal: `allProperties` locks every one,
/// `credentialsWithUsageVerify` and `credentialsWithUsageSign` those of their usage. The lock
/// holds on the service principal only; the application object stays changeable.
fn credentials_locked(tenant: &Tenant, object: &DirObject, usages: &[Usage]) -> bool {
    if object.kind != Kind::ServicePrincipal {
        return false;
    }
    let app = object
        .str("appId")
        .and_then(|app_id| tenant.application_by_app_id(&app_id));
    let lock = app
        .and_then(|a| a.get("servicePrincipalLockConfiguration"))
        .unwrap_or(Value::Null);
    let flag = |name: &str| lock.get(name).and_then(Value::as_bool).unwrap_or(false);
    let locks = |usage: &Usage| match usage {
        Usage::Verify => flag("credentialsWithUsageVerify"),
        Usage::Sign => flag("credentialsWithUsageSign"),
    };
    flag("isEnabled") && (flag("allProperties") || usages.iter().any(locks))
}

pub(crate) fn directory_object_json(object: &DirObject) -> Value {
    let mut value = object.to_value();
    value["@odata.type"] = Value::String(object.kind.odata_type().to_string());
    value
}
