//! Passkeys provisioned on behalf of users (Graph v1.0): `GET
//! /users/{id}/authentication/fido2Methods/creationOptions`, `POST
//! /users/{id}/authentication/fido2Methods`, and the list, read and delete of `fido2Methods`
//! (microsoft-graph-docs-contrib `api-reference/v1.0/api/fido2authenticationmethod-creationoptions.md`,
//! `authentication-post-fido2methods.md`, `authentication-list-fido2methods.md`,
//! `fido2authenticationmethod-delete.md`). The challenge lives five minutes, as v1.0 fixes it,
//! and serves one registration. The relying party checks are in `crate::webauthn`, the
//! policy's in `crate::passkey_policy`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::{Method, StatusCode};
use jiff::{SignedDuration, Timestamp};
use rand::Rng as _;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use super::Ctx;
use crate::clock::graph_time;
use crate::http::SimResponse;
use crate::listing::{DIRECTORY_PAGING, list};
use crate::passkey_policy;
use crate::state::{DirObject, Target, Tenant};
use crate::webauthn::{self, ES256, RP_ID};
use breakglass_core::roles as builtin;

const FIDO2_TYPE: &str = "#microsoft.graph.fido2AuthenticationMethod";
/// v1.0 fixes the challenge's life at five minutes.
const CHALLENGE_LIFETIME: SignedDuration = SignedDuration::from_secs(300);
/// The AAGUID of breakglass's software authenticator, so the simulator can name its model.
const SOFTWARE_AAGUID: &str = "4267c2b1-7e1d-4a0e-8f5b-627265616b67";

/// `/users/{key}/authentication/fido2Methods…`
pub(crate) fn handle(ctx: &Ctx<'_>, key: &str, rest: &[&str]) -> Option<SimResponse> {
    let method = ctx.request.method.clone();
    Some(match (rest, method) {
        ([], Method::GET) => list_methods(ctx, key),
        ([], Method::POST) => register(ctx, key),
        ([function], Method::GET) if function.eq_ignore_ascii_case("creationOptions") => {
            creation_options(ctx, key)
        }
        ([id], Method::GET) => get_method(ctx, key, id),
        ([id], Method::DELETE) => delete_method(ctx, key, id),
        _ => return None,
    })
}

fn check(ctx: &Ctx<'_>, tenant: &Tenant, write: bool) -> Result<(), SimResponse> {
    let mut permissions = vec![
        "UserAuthMethod-Passkey.ReadWrite.All",
        "UserAuthenticationMethod.ReadWrite.All",
    ];
    if !write {
        permissions.extend([
            "UserAuthMethod-Passkey.Read.All",
            "UserAuthenticationMethod.Read.All",
        ]);
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

fn find<'t>(ctx: &Ctx<'_>, tenant: &'t Tenant, key: &str) -> Option<&'t DirObject> {
    tenant.user_by_key(key).filter(|u| !ctx.replicating(u))
}

fn is_fido2(method: &Value) -> bool {
    method.get("@odata.type").and_then(Value::as_str) == Some(FIDO2_TYPE)
}

/// The user handle Entra gives the user's passkeys: opaque and stable.
fn user_handle(user: &DirObject) -> String {
    let digest = Sha256::digest(format!("breakglass-sim user handle {}", user.id()).as_bytes());
    URL_SAFE_NO_PAD.encode(digest)
}

fn creation_options(ctx: &Ctx<'_>, key: &str) -> SimResponse {
    let now = ctx.now();
    let mut tenant = ctx.sim.tenant();
    if let Err(denied) = check(ctx, &tenant, true) {
        return denied;
    }
    let Some(user) = find(ctx, &tenant, key).cloned() else {
        return ctx.not_found(key);
    };
    if let Err(why) = passkey_policy::allows_user(&tenant, &user) {
        return ctx.bad_request(&why);
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill(&mut bytes[..]);
    let challenge = URL_SAFE_NO_PAD.encode(bytes);
    let expires = now + CHALLENGE_LIFETIME;
    let exclude: Vec<Value> = user
        .private
        .registered_methods
        .iter()
        .filter(|m| is_fido2(m))
        .filter_map(|m| m.get("id").and_then(Value::as_str))
        .map(|id| json!({"id": id, "type": "public-key", "transports": []}))
        .collect();
    let mut updated = user.clone();
    updated.private.passkey_challenges.retain(|c| {
        c.get("expires")
            .and_then(Value::as_str)
            .and_then(|e| e.parse::<Timestamp>().ok())
            .is_some_and(|e| e > now)
    });
    updated
        .private
        .passkey_challenges
        .push(json!({"challenge": challenge, "expires": graph_time(expires)}));
    tenant.objects.insert(updated.id().to_string(), updated);
    ctx.sim.persist(&tenant);
    ctx.entity(
        StatusCode::OK,
        "microsoft.graph.webauthnCredentialCreationOptions",
        json!({
            "challengeTimeoutDateTime": graph_time(expires),
            "publicKey": {
                "challenge": challenge,
                "timeout": CHALLENGE_LIFETIME.as_millis(),
                "attestation": "direct",
                "rp": {"id": RP_ID, "name": "Microsoft"},
                "user": {
                    "id": user_handle(&user),
                    "name": user.str("userPrincipalName"),
                    "displayName": user.str("displayName"),
                },
                "pubKeyCredParams": [{"type": "public-key", "alg": ES256}],
                "excludeCredentials": exclude,
                "authenticatorSelection": {
                    "authenticatorAttachment": "cross-platform",
                    "requireResidentKey": true,
                    "userVerification": "required"
                },
                "extensions": {}
            }
        }),
    )
}

/// Takes the challenge out of the user's pending ones: it serves one registration, good or bad.
fn take_challenge(user: &mut DirObject, challenge: &str, now: Timestamp) -> Result<(), String> {
    let position = user
        .private
        .passkey_challenges
        .iter()
        .position(|c| c.get("challenge").and_then(Value::as_str) == Some(challenge))
        .ok_or("The challenge was not issued for this user, or it was already used.")?;
    let pending = user.private.passkey_challenges.remove(position);
    let expires = pending
        .get("expires")
        .and_then(Value::as_str)
        .and_then(|e| e.parse::<Timestamp>().ok());
    if expires.is_none_or(|e| e <= now) {
        return Err("The challenge has expired; ask for new creation options.".into());
    }
    Ok(())
}

fn model_of(aaguid: &str) -> Value {
    if aaguid.eq_ignore_ascii_case(SOFTWARE_AAGUID) {
        json!("breakglass software authenticator (rehearsals only)")
    } else {
        Value::Null
    }
}

/// Every check of a registration; the method to store, or why not.
fn verified_method(
    tenant: &Tenant,
    user: &mut DirObject,
    body: &Value,
    now: Timestamp,
) -> Result<Value, String> {
    let display_name = body
        .get("displayName")
        .and_then(Value::as_str)
        .filter(|n| !n.trim().is_empty())
        .ok_or("displayName is required.")?
        .to_string();
    let credential = body
        .get("publicKeyCredential")
        .ok_or("publicKeyCredential is required.")?;
    let response = webauthn::response_of(credential)?;
    let challenge = webauthn::client_data_challenge(&response.client_data_json)?;
    take_challenge(user, &challenge, now)?;
    passkey_policy::allows_user(tenant, user)?;
    let verified = webauthn::verify(&response, passkey_policy::attestation_enforced(tenant))?;
    let aaguid = verified.aaguid.to_string();
    passkey_policy::allows_aaguid(tenant, &aaguid)?;
    let id = URL_SAFE_NO_PAD.encode(&verified.credential_id);
    let duplicate = user
        .private
        .registered_methods
        .iter()
        .any(|m| is_fido2(m) && m.get("id").and_then(Value::as_str) == Some(id.as_str()));
    if duplicate {
        return Err("This credential is already registered for the user.".into());
    }
    Ok(json!({
        "@odata.type": FIDO2_TYPE,
        "id": id,
        "displayName": display_name,
        "createdDateTime": graph_time(now),
        "aaGuid": aaguid,
        "model": model_of(&aaguid),
        "attestationCertificates": [],
        "attestationLevel": "notAttested",
        "passkeyType": "deviceBound",
        "attestationFormat": verified.format,
        "attestationKind": verified.attestation_level,
    }))
}

/// The method as Graph shows it (the attestation notes are the simulator's own).
pub(crate) fn present(method: &Value) -> Value {
    let mut shown = method.clone();
    if let Value::Object(map) = &mut shown {
        map.remove("attestationFormat");
        map.remove("attestationKind");
    }
    shown
}

fn register(ctx: &Ctx<'_>, key: &str) -> SimResponse {
    let now = ctx.now();
    let body = match ctx.body() {
        Ok(body) => body,
        Err(bad) => return bad,
    };
    let mut tenant = ctx.sim.tenant();
    if let Err(denied) = check(ctx, &tenant, true) {
        return denied;
    }
    let Some(user) = find(ctx, &tenant, key).cloned() else {
        return ctx.not_found(key);
    };
    let mut updated = user.clone();
    let outcome = verified_method(&tenant, &mut updated, &body, now);
    // A challenge that was presented is spent, whatever became of the registration.
    let spent = updated.private.passkey_challenges.len() != user.private.passkey_challenges.len();
    let method = match outcome {
        Ok(method) => method,
        Err(why) => {
            if spent {
                tenant.objects.insert(updated.id().to_string(), updated);
                ctx.sim.persist(&tenant);
            }
            return ctx.bad_request(&why);
        }
    };
    updated.private.registered_methods.push(method.clone());
    tenant.objects.insert(updated.id().to_string(), updated);
    tenant.audit(
        now,
        &ctx.caller.actor,
        "UserManagement",
        "Admin registered security info",
        "Add",
        vec![Target::of(&user).modified("FIDO2 security key", Value::Null, json!("registered"))],
    );
    ctx.sim.persist(&tenant);
    ctx.entity(
        StatusCode::CREATED,
        &format!("users('{}')/authentication/fido2Methods/$entity", user.id()),
        present(&method),
    )
}

fn list_methods(ctx: &Ctx<'_>, key: &str) -> SimResponse {
    let tenant = ctx.sim.tenant();
    if let Err(denied) = check(ctx, &tenant, false) {
        return denied;
    }
    let Some(user) = find(ctx, &tenant, key) else {
        return ctx.not_found(key);
    };
    let items: Vec<Value> = user
        .private
        .registered_methods
        .iter()
        .filter(|m| is_fido2(m))
        .map(present)
        .collect();
    list(
        ctx,
        items,
        &format!("users('{}')/authentication/fido2Methods", user.id()),
        DIRECTORY_PAGING,
        None,
    )
}

fn get_method(ctx: &Ctx<'_>, key: &str, id: &str) -> SimResponse {
    let tenant = ctx.sim.tenant();
    if let Err(denied) = check(ctx, &tenant, false) {
        return denied;
    }
    let Some(user) = find(ctx, &tenant, key) else {
        return ctx.not_found(key);
    };
    match user
        .private
        .registered_methods
        .iter()
        .find(|m| is_fido2(m) && m.get("id").and_then(Value::as_str) == Some(id))
    {
        Some(method) => ctx.entity(
            StatusCode::OK,
            &format!("users('{}')/authentication/fido2Methods/$entity", user.id()),
            present(method),
        ),
        None => ctx.not_found(id),
    }
}

fn delete_method(ctx: &Ctx<'_>, key: &str, id: &str) -> SimResponse {
    let now = ctx.now();
    let mut tenant = ctx.sim.tenant();
    if let Err(denied) = check(ctx, &tenant, true) {
        return denied;
    }
    let Some(user) = find(ctx, &tenant, key).cloned() else {
        return ctx.not_found(key);
    };
    let mut updated = user.clone();
    let before = updated.private.registered_methods.len();
    updated
        .private
        .registered_methods
        .retain(|m| !(is_fido2(m) && m.get("id").and_then(Value::as_str) == Some(id)));
    if before == updated.private.registered_methods.len() {
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
