//! /users: create, read, list, update, delete (with Entra's protection of admins),
//! sign-in session revocation, Temporary Access Pass and the methods list.

use http::{Method, StatusCode};
use jiff::{SignedDuration, Timestamp};
use rand::Rng as _;
use serde_json::{Value, json};
use uuid::Uuid;

use super::Ctx;
use super::applications::directory_object_json;
use crate::clock::graph_time;
use crate::entities::{self, NewUser, USER_DEFAULT_PROPERTIES};
use crate::http::SimResponse;
use crate::listing::{DIRECTORY_PAGING, list};
use crate::listing::{Listing, list_objects};
use crate::state::{DirObject, Kind, Private, Target, Tenant, sha256_hex};
use breakglass_core::roles as builtin;

const WRITE_PERMISSIONS: &[&str] = &["User.ReadWrite.All", "Directory.ReadWrite.All"];

pub(crate) fn handle(ctx: &Ctx<'_>, rest: &[&str]) -> Option<SimResponse> {
    let method = ctx.request.method.clone();
    Some(match (rest, method) {
        ([], Method::GET) => list_users(ctx),
        ([], Method::POST) => create(ctx),
        ([key], Method::GET) => get(ctx, key),
        ([key], Method::PATCH) => update(ctx, key),
        ([key], Method::DELETE) => delete(ctx, key),
        ([key, "revokeSignInSessions"], Method::POST) => revoke_sessions(ctx, key),
        ([key, "memberOf"], Method::GET) => member_of(ctx, key),
        ([key, "transitiveMemberOf"], Method::GET)
        | ([key, "transitiveMemberOf", "microsoft.graph.group"], Method::GET) => {
            transitive_member_of(ctx, key)
        }
        ([key, "authentication", "methods"], Method::GET) => methods(ctx, key),
        // Microsoft's page writes `fido2methods`; Graph's segments are case-insensitive.
        ([key, "authentication", methods, rest @ ..], _)
            if methods.eq_ignore_ascii_case("fido2Methods") =>
        {
            return super::fido2::handle(ctx, key, rest);
        }
        ([key, "authentication", "temporaryAccessPassMethods"], Method::GET) => {
            list_passes(ctx, key)
        }
        ([key, "authentication", "temporaryAccessPassMethods"], Method::POST) => {
            create_pass(ctx, key)
        }
        ([key, "authentication", "temporaryAccessPassMethods", id], Method::GET) => {
            get_pass(ctx, key, id)
        }
        ([key, "authentication", "temporaryAccessPassMethods", id], Method::DELETE) => {
            delete_pass(ctx, key, id)
        }
        _ => return None,
    })
}

fn read_check(ctx: &Ctx<'_>, tenant: &Tenant) -> Result<(), SimResponse> {
    ctx.require_read(
        tenant,
        &["User.Read.All", "User.ReadWrite.All", "User.ReadBasic.All"],
    )
}

fn find<'t>(ctx: &Ctx<'_>, tenant: &'t Tenant, key: &str) -> Option<&'t DirObject> {
    tenant.user_by_key(key).filter(|u| !ctx.replicating(u))
}

fn list_users(ctx: &Ctx<'_>) -> SimResponse {
    let tenant = ctx.sim.tenant();
    if let Err(denied) = read_check(ctx, &tenant) {
        return denied;
    }
    let listing = Listing {
        kind: Kind::User,
        context: "users",
        paging: DIRECTORY_PAGING,
        default_select: Some(USER_DEFAULT_PROPERTIES),
    };
    list_objects(
        ctx,
        &tenant,
        &listing,
        |u| !ctx.replicating(u),
        |u| u.to_value(),
    )
}

fn get(ctx: &Ctx<'_>, key: &str) -> SimResponse {
    let tenant = ctx.sim.tenant();
    if let Err(denied) = read_check(ctx, &tenant) {
        return denied;
    }
    let Some(user) = find(ctx, &tenant, key) else {
        return ctx.not_found(key);
    };
    let properties: Vec<String> = match ctx.request.query_param("$select") {
        Some(select) => select.split(',').map(|s| s.trim().to_string()).collect(),
        None => USER_DEFAULT_PROPERTIES
            .iter()
            .map(|s| s.to_string())
            .collect(),
    };
    let value = crate::odata::select(&user.to_value(), &properties);
    ctx.entity(StatusCode::OK, "users/$entity", value)
}

/// Entra's default password policy: 8 to 256 characters, three of four character classes.
fn password_is_complex(password: &str) -> bool {
    let classes = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ];
    (8..=256).contains(&password.chars().count()) && classes.iter().filter(|c| **c).count() >= 3
}

fn valid_alias(alias: &str) -> bool {
    !alias.is_empty()
        && alias.len() <= 64
        && !alias.starts_with('.')
        && !alias.ends_with('.')
        && alias
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "'.-_!#^~".contains(c))
}

fn create(ctx: &Ctx<'_>) -> SimResponse {
    let body = match ctx.body() {
        Ok(body) => body,
        Err(error) => return error,
    };
    let mut tenant = ctx.sim.tenant();
    if let Err(denied) = ctx.require(&tenant, WRITE_PERMISSIONS, &[builtin::USER_ADMINISTRATOR]) {
        return denied;
    }
    let new = match new_user_request(ctx, &tenant, &body) {
        Ok(new) => new,
        Err(refused) => return refused,
    };
    let now = ctx.now();
    let id = Uuid::new_v4();
    let data = new_user_data(&body, &new, id, now);
    let private = Private {
        password_sha256: Some(sha256_hex(new.password)),
        ..Private::default()
    };
    let object = DirObject::new(Kind::User, &data, now, private);
    let target = Target::of(&object);
    let value = Value::Object(data);
    tenant.objects.insert(id.to_string(), object);
    tenant.audit(
        now,
        &ctx.caller.actor,
        "UserManagement",
        "Add user",
        "Add",
        vec![target],
    );
    ctx.sim.persist(&tenant);
    ctx.entity(StatusCode::CREATED, "users/$entity", value)
}

/// A non-empty string property of a request body, trimmed.
fn text<'b>(body: &'b Value, name: &str) -> Option<&'b str> {
    body.get(name)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The checked essentials of a new user.
struct NewUserRequest<'b> {
    user_principal_name: String,
    account_enabled: bool,
    password: &'b str,
}

/// Checks a new user's required properties, its password against the policy, and its
/// user principal name (alias, verified domain, uniqueness).
fn new_user_request<'b>(
    ctx: &Ctx<'_>,
    tenant: &Tenant,
    body: &'b Value,
) -> Result<NewUserRequest<'b>, SimResponse> {
    for required in ["displayName", "mailNickname", "userPrincipalName"] {
        if text(body, required).is_none() {
            return Err(ctx.bad_request(&format!(
                "Invalid value specified for property '{required}' of resource 'User'."
            )));
        }
    }
    if text(body, "displayName").is_some_and(|name| name.chars().count() > 256) {
        return Err(ctx.bad_request(
            "Invalid value specified for property 'displayName' of resource 'User'.",
        ));
    }
    let Some(account_enabled) = body.get("accountEnabled").and_then(Value::as_bool) else {
        return Err(ctx.bad_request(
            "Invalid value specified for property 'accountEnabled' of resource 'User'.",
        ));
    };
    let Some(password) = body
        .pointer("/passwordProfile/password")
        .and_then(Value::as_str)
    else {
        return Err(ctx.bad_request(
            "Invalid value specified for property 'passwordProfile' of resource 'User'.",
        ));
    };
    if !password_is_complex(password) {
        return Err(ctx.bad_request("The specified password does not comply with password complexity requirements. Please provide a different password."));
    }
    let upn = text(body, "userPrincipalName")
        .unwrap_or_default()
        .to_string();
    let Some((alias, domain)) = upn.split_once('@') else {
        return Err(ctx.bad_request(
            "Invalid value specified for property 'userPrincipalName' of resource 'User'.",
        ));
    };
    if !valid_alias(alias) {
        return Err(ctx.bad_request(
            "Invalid value specified for property 'userPrincipalName' of resource 'User'.",
        ));
    }
    if !tenant.has_domain(domain) {
        return Err(ctx.bad_request("The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization."));
    }
    if tenant.user_by_upn(&upn).is_some() {
        return Err(ctx.bad_request(
            "Another object with the same value for property userPrincipalName already exists.",
        ));
    }
    Ok(NewUserRequest {
        user_principal_name: upn,
        account_enabled,
        password,
    })
}

/// The new user's properties: the defaults every user has, then those the body sets
/// that a user can hold (the password is kept apart, as a hash).
fn new_user_data(
    body: &Value,
    new: &NewUserRequest<'_>,
    id: Uuid,
    now: Timestamp,
) -> serde_json::Map<String, Value> {
    let mut data = entities::user(NewUser {
        id,
        display_name: text(body, "displayName").unwrap_or_default(),
        user_principal_name: &new.user_principal_name,
        mail_nickname: text(body, "mailNickname").unwrap_or_default(),
        account_enabled: new.account_enabled,
        created: &graph_time(now),
        job_title: text(body, "jobTitle"),
    });
    for (name, value) in body.as_object().into_iter().flatten() {
        if name == "passwordProfile" || name.starts_with('@') {
            continue;
        }
        if data.contains_key(name)
            || matches!(
                name.as_str(),
                "usageLocation" | "employeeId" | "passwordPolicies" | "department" | "companyName"
            )
        {
            data.insert(name.clone(), value.clone());
        }
    }
    data
}

/// The properties Entra calls sensitive: on a user holding an admin role, only a higher
/// admin may change them ("Who can perform sensitive actions"). Others, such as
/// `employeeType`, need only write access to users.
const SENSITIVE_PROPERTIES: &[&str] = &[
    "accountEnabled",
    "businessPhones",
    "mobilePhone",
    "onPremisesImmutableId",
    "otherMails",
    "passwordProfile",
    "userPrincipalName",
];

/// Entra protects users who hold admin roles: only higher admins may change or delete them.
fn protect_admin(ctx: &Ctx<'_>, tenant: &Tenant, user: &DirObject) -> Result<(), SimResponse> {
    let roles = tenant.role_template_ids_of(user.id());
    if roles.is_empty() {
        return ctx.require(tenant, WRITE_PERMISSIONS, &[builtin::USER_ADMINISTRATOR]);
    }
    ctx.require(
        tenant,
        &[],
        &[builtin::PRIVILEGED_AUTHENTICATION_ADMINISTRATOR],
    )
}

fn update(ctx: &Ctx<'_>, key: &str) -> SimResponse {
    let body = match ctx.body() {
        Ok(body) => body,
        Err(error) => return error,
    };
    let now = ctx.now();
    let mut tenant = ctx.sim.tenant();
    let Some(user) = find(ctx, &tenant, key).cloned() else {
        return ctx.not_found(key);
    };
    // Only sensitive properties of admins need a higher admin role; others need write access.
    let sensitive = body.as_object().is_some_and(|map| {
        map.keys()
            .any(|name| SENSITIVE_PROPERTIES.contains(&name.as_str()))
    });
    let allowed = if sensitive {
        protect_admin(ctx, &tenant, &user)
    } else {
        ctx.require(&tenant, WRITE_PERMISSIONS, &[builtin::USER_ADMINISTRATOR])
    };
    if let Err(denied) = allowed {
        return denied;
    }
    let mut updated = user.clone();
    let mut data = user.data();
    let mut target = Target::of(&user);
    for (name, value) in body.as_object().into_iter().flatten() {
        if name == "passwordProfile" {
            let Some(password) = value.get("password").and_then(Value::as_str) else {
                continue;
            };
            if !password_is_complex(password) {
                return ctx.bad_request("The specified password does not comply with password complexity requirements. Please provide a different password.");
            }
            updated.private.password_sha256 = Some(sha256_hex(password));
            target = target.modified("PasswordProfile", Value::Null, Value::Null);
            continue;
        }
        if matches!(name.as_str(), "id" | "createdDateTime" | "deletedDateTime")
            || name.starts_with('@')
        {
            continue;
        }
        target = target.modified(
            name,
            data.get(name).cloned().unwrap_or(Value::Null),
            value.clone(),
        );
        data.insert(name.clone(), value.clone());
    }
    updated.replace(&data);
    tenant.objects.insert(updated.id().to_string(), updated);
    tenant.audit(
        now,
        &ctx.caller.actor,
        "UserManagement",
        "Update user",
        "Update",
        vec![target],
    );
    ctx.sim.persist(&tenant);
    ctx.no_content()
}

fn delete(ctx: &Ctx<'_>, key: &str) -> SimResponse {
    let now = ctx.now();
    let mut tenant = ctx.sim.tenant();
    let Some(user) = find(ctx, &tenant, key).cloned() else {
        return ctx.not_found(key);
    };
    if let Err(denied) = protect_admin(ctx, &tenant, &user) {
        return denied;
    }
    let id = user.id().to_string();
    tenant
        .role_assignments
        .retain(|a| a.get("principalId").and_then(Value::as_str) != Some(id.as_str()));
    if let Some(entry) = tenant.objects.get_mut(&id) {
        entry.deleted_at = Some(now);
        entry.set("deletedDateTime", Value::String(graph_time(now)));
    }
    tenant.audit(
        now,
        &ctx.caller.actor,
        "UserManagement",
        "Delete user",
        "Delete",
        vec![Target::of(&user)],
    );
    ctx.sim.persist(&tenant);
    ctx.no_content()
}

fn revoke_sessions(ctx: &Ctx<'_>, key: &str) -> SimResponse {
    let now = ctx.now();
    let mut tenant = ctx.sim.tenant();
    let Some(user) = find(ctx, &tenant, key).cloned() else {
        return ctx.not_found(key);
    };
    if let Err(denied) = protect_admin(ctx, &tenant, &user) {
        return denied;
    }
    if let Some(entry) = tenant.objects.get_mut(user.id()) {
        entry.set(
            "signInSessionsValidFromDateTime",
            Value::String(graph_time(now)),
        );
    }
    tenant.audit(
        now,
        &ctx.caller.actor,
        "UserManagement",
        "Invalidate all refresh tokens for user",
        "Update",
        vec![Target::of(&user)],
    );
    ctx.sim.persist(&tenant);
    ctx.json(
        StatusCode::OK,
        &json!({"@odata.context": ctx.context_url("Edm.Boolean"), "value": true}),
    )
}

fn member_of(ctx: &Ctx<'_>, key: &str) -> SimResponse {
    let tenant = ctx.sim.tenant();
    if let Err(denied) = read_check(ctx, &tenant) {
        return denied;
    }
    let Some(user) = find(ctx, &tenant, key) else {
        return ctx.not_found(key);
    };
    let id = user.id().to_string();
    let items: Vec<Value> = tenant
        .live(Kind::Group)
        .filter(|g| g.private.members.contains(&id))
        .map(directory_object_json)
        .collect();
    list(ctx, items, "directoryObjects", DIRECTORY_PAGING, None)
}

/// The groups a user is in through any chain of groups (the simulator holds no directory
/// role memberships there).
fn transitive_member_of(ctx: &Ctx<'_>, key: &str) -> SimResponse {
    let tenant = ctx.sim.tenant();
    if let Err(denied) = read_check(ctx, &tenant) {
        return denied;
    }
    let Some(user) = find(ctx, &tenant, key) else {
        return ctx.not_found(key);
    };
    let groups = crate::pass_policy::transitive_groups(&tenant, user.id());
    let items: Vec<Value> = tenant
        .live(Kind::Group)
        .filter(|g| groups.contains(&g.id().to_ascii_lowercase()))
        .map(directory_object_json)
        .collect();
    list(ctx, items, "directoryObjects", DIRECTORY_PAGING, None)
}

fn method_check(ctx: &Ctx<'_>, tenant: &Tenant, write: bool) -> Result<(), SimResponse> {
    let mut permissions = vec!["UserAuthenticationMethod.ReadWrite.All"];
    if !write {
        permissions.push("UserAuthenticationMethod.Read.All");
    }
    ctx.require(
        tenant,
        &permissions,
        &[
            builtin::PRIVILEGED_AUTHENTICATION_ADMINISTRATOR,
            builtin::AUTHENTICATION_ADMINISTRATOR,
        ],
    )
}

/// A pass as Graph shows it now: usable or not, and why.
fn present_pass(pass: &Value, now: Timestamp, reveal: Option<&str>) -> Value {
    let mut shown = pass.clone();
    if let Value::Object(map) = &mut shown {
        map.remove("passSha256");
    }
    let start = pass
        .get("startDateTime")
        .and_then(Value::as_str)
        .and_then(|s| s.parse::<Timestamp>().ok())
        .unwrap_or(now);
    let minutes = pass
        .get("lifetimeInMinutes")
        .and_then(Value::as_i64)
        .unwrap_or(60);
    let end = start
        .checked_add(SignedDuration::from_mins(minutes))
        .unwrap_or(start);
    let (usable, reason) = if now < start {
        (false, "NotYetValid")
    } else if now >= end {
        (false, "Expired")
    } else {
        (true, "EnabledByPolicy")
    };
    shown["isUsable"] = Value::Bool(usable);
    shown["methodUsabilityReason"] = Value::String(reason.into());
    shown["temporaryAccessPass"] = reveal
        .map(|p| Value::String(p.to_string()))
        .unwrap_or(Value::Null);
    shown
}

fn list_passes(ctx: &Ctx<'_>, key: &str) -> SimResponse {
    let tenant = ctx.sim.tenant();
    if let Err(denied) = method_check(ctx, &tenant, false) {
        return denied;
    }
    let Some(user) = find(ctx, &tenant, key) else {
        return ctx.not_found(key);
    };
    let now = ctx.now();
    let items: Vec<Value> = user
        .private
        .temporary_access_passes
        .iter()
        .map(|p| present_pass(p, now, None))
        .collect();
    list(
        ctx,
        items,
        &format!(
            "users('{}')/authentication/temporaryAccessPassMethods",
            user.id()
        ),
        DIRECTORY_PAGING,
        None,
    )
}

fn get_pass(ctx: &Ctx<'_>, key: &str, id: &str) -> SimResponse {
    let tenant = ctx.sim.tenant();
    if let Err(denied) = method_check(ctx, &tenant, false) {
        return denied;
    }
    let Some(user) = find(ctx, &tenant, key) else {
        return ctx.not_found(key);
    };
    match user
        .private
        .temporary_access_passes
        .iter()
        .find(|p| p.get("id").and_then(Value::as_str) == Some(id))
    {
        Some(pass) => ctx.entity(
            StatusCode::OK,
            &format!(
                "users('{}')/authentication/temporaryAccessPassMethods/$entity",
                user.id()
            ),
            present_pass(pass, ctx.now(), None),
        ),
        None => ctx.not_found(id),
    }
}

fn create_pass(ctx: &Ctx<'_>, key: &str) -> SimResponse {
    let body = match ctx.body() {
        Ok(body) => body,
        Err(error) => return error,
    };
    let now = ctx.now();
    let mut tenant = ctx.sim.tenant();
    if let Err(denied) = method_check(ctx, &tenant, true) {
        return denied;
    }
    let Some(user) = find(ctx, &tenant, key).cloned() else {
        return ctx.not_found(key);
    };
    if body
        .get("lifetimeInMinutes")
        .and_then(Value::as_i64)
        .is_some_and(|minutes| !(10..=43200).contains(&minutes))
    {
        return ctx.bad_request("The lifetimeInMinutes must be between 10 and 43200 minutes.");
    }
    // An Authentication Administrator may give passes to users without an administrator role
    // only; an app with the permission, a Privileged Authentication Administrator or a Global
    // Administrator to anyone.
    let may_issue_to_admins = ctx
        .require(
            &tenant,
            &["UserAuthenticationMethod.ReadWrite.All"],
            &[builtin::PRIVILEGED_AUTHENTICATION_ADMINISTRATOR],
        )
        .is_ok();
    if !may_issue_to_admins && !tenant.role_template_ids_of(user.id()).is_empty() {
        return ctx.error(
            StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        );
    }
    let terms = match crate::pass_policy::terms(&tenant, &user, &body) {
        Ok(terms) => terms,
        Err(why) => return ctx.bad_request(&why),
    };
    let start = match body.get("startDateTime").and_then(Value::as_str) {
        Some(text) => match text.parse::<Timestamp>() {
            Ok(start) => start,
            Err(_) => {
                return ctx.bad_request("Invalid value specified for property 'startDateTime'.");
            }
        },
        None => now,
    };
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789@#$%&*+=";
    let mut rng = rand::rng();
    let pass: String = (0..8)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    let stored = json!({
        "@odata.type": "#microsoft.graph.temporaryAccessPassAuthenticationMethod",
        "id": Uuid::new_v4().to_string(),
        "createdDateTime": graph_time(now),
        "startDateTime": graph_time(start),
        "lifetimeInMinutes": terms.lifetime_minutes,
        "isUsableOnce": terms.usable_once,
        "passSha256": sha256_hex(&pass),
    });
    let mut updated = user.clone();
    // One pass per user: a new one replaces the old.
    updated.private.temporary_access_passes = vec![stored.clone()];
    tenant.objects.insert(updated.id().to_string(), updated);
    tenant.audit(
        now,
        &ctx.caller.actor,
        "UserManagement",
        "Admin registered security info",
        "Add",
        vec![Target::of(&user).modified("Temporary Access Pass", Value::Null, json!("registered"))],
    );
    ctx.sim.persist(&tenant);
    ctx.entity(
        StatusCode::CREATED,
        &format!(
            "users('{}')/authentication/temporaryAccessPassMethods/$entity",
            user.id()
        ),
        present_pass(&stored, now, Some(&pass)),
    )
}

fn delete_pass(ctx: &Ctx<'_>, key: &str, id: &str) -> SimResponse {
    let now = ctx.now();
    let mut tenant = ctx.sim.tenant();
    if let Err(denied) = method_check(ctx, &tenant, true) {
        return denied;
    }
    let Some(user) = find(ctx, &tenant, key).cloned() else {
        return ctx.not_found(key);
    };
    let mut updated = user.clone();
    let before = updated.private.temporary_access_passes.len();
    updated
        .private
        .temporary_access_passes
        .retain(|p| p.get("id").and_then(Value::as_str) != Some(id));
    if before == updated.private.temporary_access_passes.len() {
        return ctx.not_found(id);
    }
    tenant.objects.insert(updated.id().to_string(), updated);
    tenant.audit(
        now,
        &ctx.caller.actor,
        "UserManagement",
        "Admin deleted security info",
        "Delete",
        vec![Target::of(&user)],
    );
    ctx.sim.persist(&tenant);
    ctx.no_content()
}

fn methods(ctx: &Ctx<'_>, key: &str) -> SimResponse {
    let tenant = ctx.sim.tenant();
    if let Err(denied) = method_check(ctx, &tenant, false) {
        return denied;
    }
    let Some(user) = find(ctx, &tenant, key) else {
        return ctx.not_found(key);
    };
    let now = ctx.now();
    let mut items = vec![json!({
        "@odata.type": "#microsoft.graph.passwordAuthenticationMethod",
        "id": "28c10230-6103-485e-b985-444c60001490",
        "password": null,
        "createdDateTime": user.str("createdDateTime"),
    })];
    items.extend(
        user.private
            .registered_methods
            .iter()
            .map(super::fido2::present),
    );
    items.extend(
        user.private
            .temporary_access_passes
            .iter()
            .map(|p| present_pass(p, now, None)),
    );
    list(
        ctx,
        items,
        &format!("users('{}')/authentication/methods", user.id()),
        DIRECTORY_PAGING,
        None,
    )
}
