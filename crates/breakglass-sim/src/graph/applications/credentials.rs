//! Password and certificate credentials: addPassword and removePassword, addKey and
//! removeKey with their proof of possession, and the keyCredentials a PATCH sets.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::StatusCode;
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use sha1::{Digest as _, Sha1};
use uuid::Uuid;

use super::{Usage, credentials_locked, find, key_usage, may_write};
use crate::app_policy::{self, NewCredential};
use crate::clock::graph_time;
use crate::graph::Ctx;
use crate::http::SimResponse;
use crate::identity::{
    certificate_public_key, find_certificate, new_client_secret, parse_jwt, verify_rsa,
};
use crate::state::{DirObject, Kind, Private, Target, Tenant, sha256_hex};

pub(super) fn add_password(ctx: &Ctx<'_>, kind: Kind, key: &str, by_app_id: bool) -> SimResponse {
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
    if credentials_locked(&tenant, &object, &[Usage::Verify]) {
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
    if let Some(why) = app_policy::refusal(&tenant, &object, NewCredential::Password { start, end })
    {
        return ctx.bad_request(&why);
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
    let (before, after) = pushed(&mut updated, "passwordCredentials", &credential);
    updated
        .private
        .secret_sha256
        .insert(key_id, sha256_hex(&secret));
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

pub(super) fn remove_password(
    ctx: &Ctx<'_>,
    kind: Kind,
    key: &str,
    by_app_id: bool,
) -> SimResponse {
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
    if credentials_locked(&tenant, &object, &[Usage::Verify]) {
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
/// the object, with `aud` 00000002-0000-0000-c000-000000000000, `iss` the object id, and a
/// lifetime (`nbf` to `exp`) of at most 10 minutes (microsoft-graph-docs-contrib
/// `api-reference/v1.0/api/application-addkey.md`, `concepts/application-rollkey-prooftoken.md`).
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
    // Microsoft documents `nbf` and an `exp` at most 10 minutes after it.
    let in_time = match (seconds("nbf"), seconds("exp")) {
        (Some(nbf), Some(exp)) => {
            exp > now.as_second() && nbf <= now.as_second() + 300 && exp - nbf <= 600
        }
        _ => false,
    };
    if !(valid_now && signed && audience_ok && issuer_ok && in_time) {
        return Err(ctx.error(
            StatusCode::UNAUTHORIZED,
            "Authentication_MissingOrMalformed",
            "The proof of possession token is not valid for this object.",
        ));
    }
    Ok(())
}

pub(super) fn add_key(ctx: &Ctx<'_>, kind: Kind, key: &str, by_app_id: bool) -> SimResponse {
    let body = match ctx.body() {
        Ok(body) => body,
        Err(error) => return error,
    };
    let now = ctx.now();
    let mut tenant = ctx.sim.tenant();
    let Some(object) = find(ctx, &tenant, kind, key, by_app_id).cloned() else {
        return ctx.not_found(key);
    };
    let usage = body.get("keyCredential").map_or(Usage::Verify, key_usage);
    if credentials_locked(&tenant, &object, &[usage]) {
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
    if let Err(message) = added_key_shape(entry) {
        return ctx.bad_request(&message);
    }
    let key_id = Uuid::new_v4().to_string();
    let credential = match certificate_credential(entry, &key_id, der_b64, now) {
        Ok(credential) => credential,
        Err(message) => return ctx.bad_request(&message),
    };
    let validity = |name: &str| {
        credential
            .get(name)
            .and_then(Value::as_str)
            .and_then(|t| t.parse::<Timestamp>().ok())
    };
    if let (Some(start), Some(end)) = (validity("startDateTime"), validity("endDateTime"))
        && let Some(why) =
            app_policy::refusal(&tenant, &object, NewCredential::Certificate { start, end })
    {
        return ctx.bad_request(&why);
    }
    let mut updated = object.clone();
    let (before, after) = pushed(&mut updated, "keyCredentials", &credential);
    updated
        .private
        .certificates
        .insert(key_id, der_b64.to_string());
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

pub(super) fn remove_key(ctx: &Ctx<'_>, kind: Kind, key: &str, by_app_id: bool) -> SimResponse {
    let body = match ctx.body() {
        Ok(body) => body,
        Err(error) => return error,
    };
    let now = ctx.now();
    let mut tenant = ctx.sim.tenant();
    let Some(object) = find(ctx, &tenant, kind, key, by_app_id).cloned() else {
        return ctx.not_found(key);
    };
    let key_credentials = object.get("keyCredentials").unwrap_or_default();
    let usage = body
        .get("keyId")
        .and_then(Value::as_str)
        .and_then(|key_id| {
            key_credentials.as_array().into_iter().flatten().find(|c| {
                c.get("keyId")
                    .and_then(Value::as_str)
                    .is_some_and(|id| id.eq_ignore_ascii_case(key_id))
            })
        })
        .map_or(Usage::Verify, key_usage);
    if credentials_locked(&tenant, &object, &[usage]) {
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
    let (before, after, found) = updated.update(|data| {
        let before = data.get(list_name).cloned().unwrap_or(json!([]));
        let mut found = false;
        if let Some(Value::Array(list)) = data.get_mut(list_name) {
            let length = list.len();
            list.retain(|c| c.get("keyId").and_then(Value::as_str) != Some(key_id));
            found = list.len() != length;
        }
        let after = data.get(list_name).cloned().unwrap_or(json!([]));
        (before, after, found)
    });
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

/// PATCH replaces keyCredentials as a whole; entries carrying `key` add certificates,
/// entries naming an existing keyId without `key` keep it.
pub(super) fn key_credentials_from_patch(
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

/// addKey, unlike PATCH, assumes nothing: its page names `type` and `usage` required and pairs
/// an AsymmetricX509Cert with usage Verify (application-addkey.md).
fn added_key_shape(entry: &Value) -> Result<(), String> {
    let text = |name: &str| entry.get(name).and_then(Value::as_str);
    match (text("type"), text("usage")) {
        (None, _) => Err("Property 'type' of keyCredential is required.".into()),
        (_, None) => Err("Property 'usage' of keyCredential is required.".into()),
        (Some("AsymmetricX509Cert"), Some(usage)) if usage != "Verify" => Err(format!(
            "Key credential type 'AsymmetricX509Cert' needs usage 'Verify', not '{usage}'."
        )),
        _ => Ok(()),
    }
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

/// The audit log's bracketed description of credentials.
pub(super) fn key_description(credentials: &Value) -> Value {
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

/// Appends `credential` to the list property `list_name`: the list before and after.
fn pushed(object: &mut DirObject, list_name: &str, credential: &Value) -> (Value, Value) {
    object.update(|data| {
        let before = data.get(list_name).cloned().unwrap_or(json!([]));
        if let Some(Value::Array(list)) = data.get_mut(list_name) {
            list.push(credential.clone());
        }
        let after = data.get(list_name).cloned().unwrap_or(json!([]));
        (before, after)
    })
}
