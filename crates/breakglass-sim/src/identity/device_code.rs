//! The device code flow (RFC 8628) for users: the devicecode endpoint, the page where a
//! seeded user approves a code, the device-code and refresh-token grants, and the
//! delegated tokens they issue.

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::{Method, StatusCode};
use jiff::{SignedDuration, Timestamp};
use rand::Rng as _;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use uuid::Uuid;

use super::{Form, TOKEN_LIFETIME_SECONDS, missing_parameter, sts_error, token_headers};
use crate::Simulator;
use crate::clock::graph_time;
use crate::http::{SimRequest, SimResponse};
use crate::state::{DirObject, SignInRecord, Tenant, sha256_hex};

/// Pending device codes (device_code → state) and issued refresh tokens. Both live
/// only as long as the process, as a restarted authorization server forgets them.
#[derive(Default)]
pub(crate) struct DeviceCodes {
    pending: HashMap<String, DeviceCode>,
    refresh: HashMap<String, RefreshGrant>,
}

struct RefreshGrant {
    client_id: String,
    scope: String,
    user_id: String,
}

struct DeviceCode {
    user_code: String,
    client_id: String,
    scope: String,
    expires_at: Timestamp,
    approved_by: Option<String>,
    declined: bool,
}

pub(super) fn device_code(sim: &Simulator, request: &SimRequest) -> SimResponse {
    let form = Form(request.form());
    let Some(client_id) = form.get("client_id") else {
        return missing_parameter(sim, "client_id");
    };
    let known_client = {
        let tenant = sim.tenant();
        tenant.service_principal_by_app_id(client_id).is_some()
    };
    if !known_client {
        return sts_error(
            sim,
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            format!("Application with identifier '{client_id}' was not found in the directory."),
        );
    }
    // The device code flow names `scope` required (v2-oauth2-device-code.md); Entra assumes none.
    let Some(scope) = form.get("scope").map(str::to_string) else {
        return missing_parameter(sim, "scope");
    };
    let mut rng = rand::rng();
    const LETTERS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let user_code: String = (0..9)
        .map(|_| LETTERS[rng.random_range(0..LETTERS.len())] as char)
        .collect();
    let device_code = format!(
        "DAQABIQEAAAB{}",
        URL_SAFE_NO_PAD.encode(Uuid::new_v4().as_bytes())
    );
    let expires_in = 900;
    let verification_uri = format!("{}/devicelogin", sim.origin());
    sim.device_codes
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .pending
        .insert(
            device_code.clone(),
            DeviceCode {
                user_code: user_code.clone(),
                client_id: client_id.to_string(),
                scope,
                expires_at: sim
                    .clock
                    .now()
                    .checked_add(SignedDuration::from_secs(expires_in))
                    .unwrap_or(Timestamp::MAX),
                approved_by: None,
                declined: false,
            },
        );
    token_headers(SimResponse::json(
        StatusCode::OK,
        &json!({
            "user_code": user_code,
            "device_code": device_code,
            "verification_uri": verification_uri,
            "expires_in": expires_in,
            "interval": 1,
            "message": format!("To sign in, use a web browser to open the page {verification_uri} and enter the code {user_code} to authenticate."),
        }),
    ))
}

pub(super) fn device_code_token(sim: &Simulator, form: &Form) -> SimResponse {
    let Some(code) = form.get("device_code") else {
        return missing_parameter(sim, "device_code");
    };
    let now = sim.clock.now();
    let (client_id, scope, user_id) = {
        let mut codes = sim.device_codes.lock().unwrap_or_else(|p| p.into_inner());
        let Some(entry) = codes.pending.get(code) else {
            return sts_error(
                sim,
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                70000,
                "Provided grant is invalid or malformed.".into(),
            );
        };
        if entry.expires_at < now {
            codes.pending.remove(code);
            return sts_error(sim, StatusCode::BAD_REQUEST, "expired_token", 70020, "The provided value for the input parameter 'device_code' is not valid. This device code has expired.".into());
        }
        if entry.declined {
            codes.pending.remove(code);
            return sts_error(
                sim,
                StatusCode::BAD_REQUEST,
                "authorization_declined",
                70000,
                "The user declined the sign-in request.".into(),
            );
        }
        if form.get("client_id") != Some(entry.client_id.as_str()) {
            return sts_error(
                sim,
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                70000,
                "The device code was issued to another client.".into(),
            );
        }
        let Some(user_id) = entry.approved_by.clone() else {
            return sts_error(
                sim,
                StatusCode::BAD_REQUEST,
                "authorization_pending",
                70016,
                "OAuth 2.0 device flow error. Authorization is pending. Continue polling.".into(),
            );
        };
        let entry = codes
            .pending
            .remove(code)
            .unwrap_or_else(|| unreachable!("entry was just read"));
        (entry.client_id, entry.scope, user_id)
    };
    issue_user_tokens(sim, &client_id, &scope, &user_id, true)
}

/// Exchanges a refresh token for new tokens, rotating the refresh token.
pub(super) fn refresh_token_grant(sim: &Simulator, form: &Form) -> SimResponse {
    let Some(token) = form.get("refresh_token") else {
        return missing_parameter(sim, "refresh_token");
    };
    let grant = sim
        .device_codes
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .refresh
        .remove(token);
    let Some(grant) = grant else {
        return sts_error(
            sim,
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            9002313,
            "Invalid request. Request is malformed or invalid.".into(),
        );
    };
    if form.get("client_id") != Some(grant.client_id.as_str()) {
        return sts_error(
            sim,
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            70000,
            "The refresh token was issued to another client.".into(),
        );
    }
    let scope = form.get("scope").map(str::to_string).unwrap_or(grant.scope);
    issue_user_tokens(sim, &grant.client_id, &scope, &grant.user_id, false)
}

/// Issues a delegated access token for a user, and, when the scopes ask for them,
/// an ID token, `client_info` and a refresh token, as the v2.0 endpoint does.
fn issue_user_tokens(
    sim: &Simulator,
    client_id: &str,
    scope: &str,
    user_id: &str,
    interactive: bool,
) -> SimResponse {
    let now = sim.clock.now();
    let mut tenant = sim.tenant();
    let user = match user_who_may_sign_in(sim, &tenant, user_id) {
        Ok(user) => user,
        Err(refused) => return refused,
    };
    let grant = UserGrant {
        tenant_id: tenant.tenant_id,
        client_id,
        client_name: tenant
            .service_principal_by_app_id(client_id)
            .map(|sp| sp.display_name().to_string())
            .unwrap_or_default(),
        user_id,
        user_name: user.display_name().to_string(),
        upn: user
            .str("userPrincipalName")
            .unwrap_or_default()
            .to_string(),
        issued: now.as_second(),
    };
    let requested: Vec<&str> = scope.split_whitespace().collect();
    let mut body = json!({
        "token_type": "Bearer",
        "scope": requested.iter().filter(|s| !matches!(**s, "openid" | "profile" | "offline_access")).copied().collect::<Vec<_>>().join(" "),
        "expires_in": TOKEN_LIFETIME_SECONDS,
        "ext_expires_in": TOKEN_LIFETIME_SECONDS,
        "access_token": user_access_token(sim, &tenant, &grant, &requested),
    });
    if requested.contains(&"openid") {
        body["id_token"] = json!(id_token(sim, &grant));
        body["client_info"] = json!(
            URL_SAFE_NO_PAD
                .encode(json!({"uid": user_id, "utid": grant.tenant_id.to_string()}).to_string())
        );
    }
    if requested.contains(&"offline_access") {
        body["refresh_token"] = json!(new_refresh_token(sim, client_id, scope, user_id));
    }
    if interactive {
        record_interactive_sign_in(&mut tenant, now, &grant);
        sim.persist(&tenant);
    }
    token_headers(SimResponse::json(StatusCode::OK, &body))
}

/// The user a grant names, provided the account still exists and is enabled.
fn user_who_may_sign_in(
    sim: &Simulator,
    tenant: &Tenant,
    user_id: &str,
) -> Result<DirObject, SimResponse> {
    let Some(user) = tenant.object(user_id).cloned() else {
        return Err(sts_error(
            sim,
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            50034,
            "The user account does not exist in the directory.".into(),
        ));
    };
    if user.get("accountEnabled") == Some(Value::Bool(false)) {
        return Err(sts_error(
            sim,
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            50057,
            "The user account is disabled.".into(),
        ));
    }
    Ok(user)
}

/// Who a user's tokens are for and when they were issued: what the access token, the ID
/// token and the sign-in log record share.
struct UserGrant<'a> {
    tenant_id: Uuid,
    client_id: &'a str,
    client_name: String,
    user_id: &'a str,
    user_name: String,
    upn: String,
    issued: i64,
}

/// The access token names the resource of the first scope (Graph when none is named) and
/// the user's directory roles as `wids`.
fn user_access_token(
    sim: &Simulator,
    tenant: &Tenant,
    grant: &UserGrant<'_>,
    requested: &[&str],
) -> String {
    let resource = requested
        .iter()
        .find_map(|s| {
            s.strip_suffix("/.default")
                .or_else(|| s.rsplit_once('/').map(|(r, _)| r))
        })
        .map(|r| r.trim_end_matches('/').to_string())
        .unwrap_or_else(|| sim.origin());
    let wids = tenant.role_template_ids_of(grant.user_id);
    let (tenant_id, user_id, issued) = (grant.tenant_id, grant.user_id, grant.issued);
    let mut claims = json!({
        "aud": resource,
        "iss": format!("https://sts.windows.net/{tenant_id}/"),
        "iat": issued, "nbf": issued, "exp": issued + TOKEN_LIFETIME_SECONDS + 1,
        "acr": "1",
        "amr": ["pwd", "mfa"],
        "app_displayname": grant.client_name,
        "appid": grant.client_id,
        "appidacr": "0",
        "idtyp": "user",
        "ipaddr": "127.0.0.1",
        "name": grant.user_name,
        "oid": user_id,
        "scp": "Application.ReadWrite.All AuditLog.Read.All Directory.ReadWrite.All Group.ReadWrite.All Policy.Read.All RoleManagement.ReadWrite.Directory User.ReadWrite.All UserAuthenticationMethod.ReadWrite.All openid profile email",
        "sub": URL_SAFE_NO_PAD.encode(Sha256::digest(format!("{user_id}{resource}").as_bytes())),
        "tid": tenant_id.to_string(),
        "unique_name": grant.upn,
        "upn": grant.upn,
        "uti": URL_SAFE_NO_PAD.encode(&Uuid::new_v4().as_bytes()[..12]),
        "ver": "1.0",
    });
    if !wids.is_empty() {
        claims["wids"] = json!(wids);
    }
    let header =
        json!({"typ": "JWT", "alg": "RS256", "x5t": sim.signer.key_id, "kid": sim.signer.key_id});
    sim.signer.sign(&header, &claims)
}

fn id_token(sim: &Simulator, grant: &UserGrant<'_>) -> String {
    let (tenant_id, user_id, client_id, issued) = (
        grant.tenant_id,
        grant.user_id,
        grant.client_id,
        grant.issued,
    );
    let id_claims = json!({
        "aud": client_id,
        "iss": format!("{}/{tenant_id}/v2.0", sim.origin()),
        "iat": issued, "nbf": issued, "exp": issued + TOKEN_LIFETIME_SECONDS + 1,
        "name": grant.user_name,
        "oid": user_id,
        "preferred_username": grant.upn,
        "sub": URL_SAFE_NO_PAD.encode(Sha256::digest(format!("{user_id}{client_id}").as_bytes())),
        "tid": tenant_id.to_string(),
        "ver": "2.0",
    });
    sim.signer.sign(
        &json!({"typ": "JWT", "alg": "RS256", "kid": sim.signer.key_id}),
        &id_claims,
    )
}

/// A refresh token, remembered (in memory only) so the refresh-token grant can redeem it.
fn new_refresh_token(sim: &Simulator, client_id: &str, scope: &str, user_id: &str) -> String {
    let refresh = format!(
        "1.AS{}",
        URL_SAFE_NO_PAD.encode(
            [
                Uuid::new_v4().as_bytes().as_slice(),
                Uuid::new_v4().as_bytes().as_slice()
            ]
            .concat()
        )
    );
    sim.device_codes
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .refresh
        .insert(
            refresh.clone(),
            RefreshGrant {
                client_id: client_id.to_string(),
                scope: scope.to_string(),
                user_id: user_id.to_string(),
            },
        );
    refresh
}

fn record_interactive_sign_in(tenant: &mut Tenant, now: Timestamp, grant: &UserGrant<'_>) {
    let record = json!({
        "id": Uuid::new_v4().to_string(),
        "createdDateTime": graph_time(now),
        "userDisplayName": grant.user_name,
        "userPrincipalName": grant.upn,
        "userId": grant.user_id,
        "appId": grant.client_id,
        "appDisplayName": grant.client_name,
        "ipAddress": "127.0.0.1",
        "clientAppUsed": "Mobile Apps and Desktop clients",
        "correlationId": Uuid::new_v4().to_string(),
        "conditionalAccessStatus": "notApplied",
        "isInteractive": true,
        "riskDetail": "none",
        "riskLevelAggregated": "none",
        "riskLevelDuringSignIn": "none",
        "riskState": "none",
        "riskEventTypes": [],
        "riskEventTypes_v2": [],
        "resourceDisplayName": "Microsoft Graph",
        "resourceId": breakglass_core::roles::MICROSOFT_GRAPH_APP_ID.to_string(),
        "status": {"errorCode": 0, "failureReason": null, "additionalDetails": null},
        "deviceDetail": {"deviceId": "", "displayName": null, "operatingSystem": "Linux", "browser": null, "isCompliant": false, "isManaged": false, "trustType": null},
        "location": {"city": null, "state": null, "countryOrRegion": null, "geoCoordinates": null},
        "appliedConditionalAccessPolicies": [],
        "signInEventTypes": ["interactiveUser"],
    });
    tenant.sign_ins.push(SignInRecord {
        record,
        interactive_user: true,
    });
}

/// The page where a seeded user approves (or declines) a device code.
pub(crate) fn device_login(sim: &Simulator, request: &SimRequest) -> SimResponse {
    const FORM: &str = "<form method=\"post\"><label>Code <input name=\"user_code\"></label><label>Account <input name=\"login\"></label><label>Password <input type=\"password\" name=\"password\"></label><button name=\"action\" value=\"approve\">Sign in</button><button name=\"action\" value=\"decline\">Cancel</button></form>";
    if request.method == Method::GET {
        return SimResponse::text(
            StatusCode::OK,
            "text/html; charset=utf-8",
            format!(
                "<html><head><title>Enter code</title></head><body><h1>Enter code</h1>{FORM}</body></html>"
            ),
        );
    }
    let form = Form(request.form());
    let page = |status: StatusCode, message: &str| {
        SimResponse::text(
            status,
            "text/html; charset=utf-8",
            format!("<html><body><p id=\"result\">{message}</p></body></html>"),
        )
    };
    let user_code = form
        .get("user_code")
        .unwrap_or_default()
        .trim()
        .to_ascii_uppercase();
    let login = form.get("login").unwrap_or_default();
    let password = form.get("password").unwrap_or_default();
    let decline = form.get("action") == Some("decline");
    let user_id = {
        let tenant = sim.tenant();
        match tenant.user_by_upn(login) {
            Some(user)
                if user.private.password_sha256.as_deref()
                    == Some(sha256_hex(password).as_str())
                    && user.get("accountEnabled") != Some(Value::Bool(false)) =>
            {
                user.id().to_string()
            }
            _ => {
                return page(
                    StatusCode::UNAUTHORIZED,
                    "Your account or password is incorrect.",
                );
            }
        }
    };
    let mut codes = sim.device_codes.lock().unwrap_or_else(|p| p.into_inner());
    let Some(entry) = codes
        .pending
        .values_mut()
        .find(|c| c.user_code == user_code)
    else {
        return page(
            StatusCode::BAD_REQUEST,
            "That code didn't work. Check the code and try again.",
        );
    };
    if decline {
        entry.declined = true;
        return page(StatusCode::OK, "You have declined the sign-in.");
    }
    entry.approved_by = Some(user_id);
    page(
        StatusCode::OK,
        "You have signed in to Microsoft Graph Command Line Tools on your device. You may now close this window.",
    )
}
