//! Federated identity credentials of applications (workload identity federation).

use http::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{find, may_write};
use crate::graph::Ctx;
use crate::http::SimResponse;
use crate::listing::{DIRECTORY_PAGING, list};
use crate::state::{Kind, Target};

pub(super) fn federated_credentials(ctx: &Ctx<'_>, key: &str, by_app_id: bool) -> SimResponse {
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
pub(super) fn add_federated_credential(ctx: &Ctx<'_>, key: &str, by_app_id: bool) -> SimResponse {
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
