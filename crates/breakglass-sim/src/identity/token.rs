//! The token endpoint: which grant a request asks for, and the client-credentials grant
//! (a client secret or a certificate assertion) with its Conditional Access check for
//! workload identities and its sign-in log record.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use http::StatusCode;
use jiff::Timestamp;
use serde_json::{Value, json};
use uuid::Uuid;

use super::assertion::{Expected, verify_assertion};
use super::bearer::is_graph_resource;
use super::device_code::{device_code_token, refresh_token_grant};
use super::{
    Form, TOKEN_LIFETIME_SECONDS, in_validity, invalid_client, missing_parameter, sts_error,
    token_headers,
};
use crate::Simulator;
use crate::clock::graph_time;
use crate::http::{SimRequest, SimResponse};
use crate::state::{DirObject, SignInRecord, Tenant, sha256_hex};

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
const BLOCKED_BY_POLICY: &str = "Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.";

pub(super) fn token(sim: &Simulator, request: &SimRequest, segment: &str) -> SimResponse {
    let mut form = Form(request.form());
    // RFC 6749 §2.3.1: the client may authenticate with HTTP Basic instead of form fields.
    if let Some((id, secret)) = basic_credentials(request) {
        form.0.push(("client_id".into(), id));
        form.0.push(("client_secret".into(), secret));
    }
    match form.get("grant_type") {
        None => missing_parameter(sim, "grant_type"),
        Some("client_credentials") => client_credentials(sim, &form, segment),
        Some(DEVICE_CODE_GRANT) => device_code_token(sim, &form),
        Some("refresh_token") => refresh_token_grant(sim, &form),
        Some(other) => sts_error(
            sim,
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            format!("The app requested an unsupported grant type '{other}'."),
        ),
    }
}

fn basic_credentials(request: &SimRequest) -> Option<(String, String)> {
    let value = request.header("authorization")?.strip_prefix("Basic ")?;
    let decoded = STANDARD.decode(value.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    let unescape = |s: &str| {
        url::form_urlencoded::parse(format!("v={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Some((unescape(id), unescape(secret)))
}

/// The resource a `.default` scope names, or why the scope is unusable.
fn resource_of(scope: &str) -> Result<String, String> {
    let resources: Vec<&str> = scope
        .split_whitespace()
        .filter(|s| !matches!(*s, "openid" | "profile" | "offline_access" | "email"))
        .collect();
    match resources.as_slice() {
        [] => Err("scope".into()),
        [one] => match one.strip_suffix("/.default") {
            Some(resource) if !resource.is_empty() => {
                Ok(resource.trim_end_matches('/').to_string())
            }
            _ => Err((*one).to_string()),
        },
        _ => Err(resources.join(" ")),
    }
}

/// A client whose credential was accepted, and which credential it was: the token and
/// the sign-in log record name it.
struct VerifiedClient {
    app_id: String,
    service_principal_id: String,
    display_name: String,
    credential_key_id: String,
    credential_type: &'static str,
    thumbprint: Option<String>,
}

fn client_credentials(sim: &Simulator, form: &Form, segment: &str) -> SimResponse {
    let (client_id, resource) = match requested_resource(sim, form) {
        Ok(requested) => requested,
        Err(refused) => return refused,
    };
    let now = sim.clock.now();
    let mut tenant = sim.tenant();
    let (app, sp) = match registered_client(sim, &tenant, client_id) {
        Ok(registered) => registered,
        Err(refused) => return refused,
    };
    let expected = Expected {
        client_id,
        segment,
        tenant_id: &tenant.tenant_id.to_string(),
        now,
    };
    let verified = match authenticate_client(sim, form, &app, &sp, &expected) {
        Ok(verified) => verified,
        Err(response) => return *response,
    };
    if sp.get("accountEnabled") == Some(Value::Bool(false)) {
        return sts_error(
            sim,
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            7000112,
            format!(
                "Application '{client_id}'({}) is disabled.",
                verified.display_name
            ),
        );
    }
    if let Some(policy) = blocking_workload_policy(&tenant, &verified.service_principal_id) {
        record_service_principal_sign_in(
            &mut tenant,
            now,
            &verified,
            &resource,
            Some((53003, BLOCKED_BY_POLICY)),
            Some(&policy),
        );
        sim.persist(&tenant);
        return sts_error(
            sim,
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            53003,
            BLOCKED_BY_POLICY.into(),
        );
    }
    let access_token = app_access_token(sim, &tenant, &verified, &resource, now);
    record_service_principal_sign_in(&mut tenant, now, &verified, &resource, None, None);
    sim.persist(&tenant);
    token_headers(SimResponse::json(
        StatusCode::OK,
        &json!({
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME_SECONDS,
            "ext_expires_in": TOKEN_LIFETIME_SECONDS,
            "access_token": access_token,
        }),
    ))
}

/// The client id and the resource whose `.default` scope the request asks for.
fn requested_resource<'f>(
    sim: &Simulator,
    form: &'f Form,
) -> Result<(&'f str, String), SimResponse> {
    let Some(client_id) = form.get("client_id") else {
        return Err(missing_parameter(sim, "client_id"));
    };
    let Some(scope) = form.get("scope") else {
        return Err(missing_parameter(sim, "scope"));
    };
    let resource = resource_of(scope).map_err(|bad| {
        sts_error(
            sim,
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            1002012,
            format!(
                "The provided value for scope {bad} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
            ),
        )
    })?;
    Ok((client_id, resource))
}

/// The client's application and its service principal in this tenant; a client needs both.
fn registered_client(
    sim: &Simulator,
    tenant: &Tenant,
    client_id: &str,
) -> Result<(DirObject, DirObject), SimResponse> {
    let app = tenant.application_by_app_id(client_id).cloned();
    let sp = tenant.service_principal_by_app_id(client_id).cloned();
    match (app, sp) {
        (Some(app), Some(sp)) => Ok((app, sp)),
        _ => Err(sts_error(
            sim,
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            format!(
                "Application with identifier '{client_id}' was not found in the directory '{}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
                tenant.display_name
            ),
        )),
    }
}

/// Checks the credential the client presents: a secret, or else a certificate assertion.
fn authenticate_client(
    sim: &Simulator,
    form: &Form,
    app: &DirObject,
    sp: &DirObject,
    expected: &Expected<'_>,
) -> Result<VerifiedClient, Box<SimResponse>> {
    if let Some(secret) = form.get("client_secret") {
        return verify_secret(sim, app, sp, secret, expected.now);
    }
    let Some(assertion) = form.get("client_assertion") else {
        return Err(invalid_client(
            sim,
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.".into(),
        ));
    };
    if form.get("client_assertion_type") != Some(JWT_BEARER) {
        return Err(Box::new(sts_error(
            sim,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            50027,
            "The client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer.".into(),
        )));
    }
    let certificate = verify_assertion(sim, app, sp, assertion, expected)?;
    Ok(VerifiedClient {
        app_id: app.str("appId").unwrap_or_default().to_string(),
        service_principal_id: sp.id().to_string(),
        display_name: sp.display_name().to_string(),
        credential_key_id: certificate.key_id,
        credential_type: "clientAssertion",
        thumbprint: Some(certificate.thumbprint_hex),
    })
}

fn verify_secret(
    sim: &Simulator,
    app: &DirObject,
    sp: &DirObject,
    secret: &str,
    now: Timestamp,
) -> Result<VerifiedClient, Box<SimResponse>> {
    let app_id = app.str("appId").unwrap_or_default().to_string();
    let hash = sha256_hex(secret);
    // A secret can sit on the application or on the service principal itself.
    for owner in [app, sp] {
        let credentials = owner
            .get("passwordCredentials")
            .and_then(|list| match list {
                Value::Array(list) => Some(list),
                _ => None,
            })
            .unwrap_or_default();
        for credential in credentials {
            let key_id = credential
                .get("keyId")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if owner.private.secret_sha256.get(key_id) == Some(&hash) {
                if !in_validity(&credential, now) {
                    return Err(invalid_client(
                        sim,
                        7000222,
                        format!(
                            "The provided client secret keys for app '{app_id}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds."
                        ),
                    ));
                }
                return Ok(VerifiedClient {
                    app_id,
                    service_principal_id: sp.id().to_string(),
                    display_name: sp.display_name().to_string(),
                    credential_key_id: key_id.to_string(),
                    credential_type: "clientSecret",
                    thumbprint: None,
                });
            }
        }
    }
    Err(invalid_client(
        sim,
        7000215,
        format!(
            "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{app_id}'."
        ),
    ))
}

/// An app-only access token: Graph application permissions as `roles` (for Graph only)
/// and directory roles as `wids`.
fn app_access_token(
    sim: &Simulator,
    tenant: &Tenant,
    verified: &VerifiedClient,
    resource: &str,
    now: Timestamp,
) -> String {
    let tenant_id = tenant.tenant_id;
    let roles = if is_graph_resource(sim, resource) {
        tenant.graph_permissions_of(&verified.service_principal_id)
    } else {
        Vec::new()
    };
    let wids = tenant.role_template_ids_of(&verified.service_principal_id);
    let issued = now.as_second();
    let mut claims = json!({
        "aud": resource,
        "iss": format!("https://sts.windows.net/{tenant_id}/"),
        "iat": issued,
        "nbf": issued,
        "exp": issued + TOKEN_LIFETIME_SECONDS + 1,
        "aio": URL_SAFE_NO_PAD.encode(Uuid::new_v4().as_bytes()),
        "app_displayname": verified.display_name,
        "appid": verified.app_id,
        "appidacr": if verified.credential_type == "clientSecret" { "1" } else { "2" },
        "idp": format!("https://sts.windows.net/{tenant_id}/"),
        "idtyp": "app",
        "oid": verified.service_principal_id,
        "rh": "0.simulated.",
        "sub": verified.service_principal_id,
        "tenant_region_scope": "WW",
        "tid": tenant_id.to_string(),
        "uti": URL_SAFE_NO_PAD.encode(&Uuid::new_v4().as_bytes()[..12]),
        "ver": "1.0",
        "xms_tcdt": tenant.created_at.as_second(),
    });
    if !roles.is_empty() {
        claims["roles"] = json!(roles);
    }
    if !wids.is_empty() {
        claims["wids"] = json!(wids);
    }
    let header =
        json!({"typ": "JWT", "alg": "RS256", "x5t": sim.signer.key_id, "kid": sim.signer.key_id});
    sim.signer.sign(&header, &claims)
}

/// An enabled Conditional Access policy for workload identities that blocks this service principal.
fn blocking_workload_policy(tenant: &Tenant, service_principal_id: &str) -> Option<Value> {
    tenant
        .conditional_access_policies
        .iter()
        .find(|policy| {
            let enabled = policy.get("state").and_then(Value::as_str) == Some("enabled");
            let blocks = policy
                .pointer("/grantControls/builtInControls")
                .and_then(Value::as_array)
                .is_some_and(|c| c.iter().any(|v| v == "block"));
            let clients = policy.pointer("/conditions/clientApplications");
            let list = |name: &str| -> Vec<String> {
                clients
                    .and_then(|c| c.get(name))
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let included = list("includeServicePrincipals")
                .iter()
                .any(|s| s == service_principal_id || s == "ServicePrincipalsInMyTenant");
            let excluded = list("excludeServicePrincipals")
                .iter()
                .any(|s| s == service_principal_id);
            enabled && blocks && included && !excluded
        })
        .cloned()
}

fn record_service_principal_sign_in(
    tenant: &mut Tenant,
    now: Timestamp,
    client: &VerifiedClient,
    resource: &str,
    failure: Option<(u32, &str)>,
    policy: Option<&Value>,
) {
    let (error_code, failure_reason) = failure
        .map(|(c, r)| (c, r.to_string()))
        .unwrap_or((0, String::new()));
    let applied: Vec<Value> = policy
        .map(|p| {
            vec![json!({
                "id": p.get("id"),
                "displayName": p.get("displayName"),
                "enforcedGrantControls": ["Block"],
                "enforcedSessionControls": [],
                "result": "failure",
            })]
        })
        .unwrap_or_default();
    let record = json!({
        "id": Uuid::new_v4().to_string(),
        "createdDateTime": graph_time(now),
        "appId": client.app_id,
        "appDisplayName": client.display_name,
        "correlationId": Uuid::new_v4().to_string(),
        "ipAddress": "127.0.0.1",
        "isInteractive": false,
        "resourceDisplayName": if resource.contains("graph") || resource.starts_with("https://127.") { "Microsoft Graph" } else { resource },
        "resourceId": resource,
        "servicePrincipalId": client.service_principal_id,
        "servicePrincipalName": client.display_name,
        "servicePrincipalCredentialKeyId": client.credential_key_id,
        "servicePrincipalCredentialThumbprint": client.thumbprint.clone().unwrap_or_default(),
        "clientCredentialType": client.credential_type,
        "signInEventTypes": ["servicePrincipal"],
        "conditionalAccessStatus": if policy.is_some() { "failure" } else { "notApplied" },
        "appliedConditionalAccessPolicies": applied,
        "status": {"errorCode": error_code, "failureReason": if failure_reason.is_empty() { Value::Null } else { Value::String(failure_reason) }, "additionalDetails": null},
        "location": {"city": null, "state": null, "countryOrRegion": null, "geoCoordinates": null},
        "uniqueTokenIdentifier": URL_SAFE_NO_PAD.encode(&Uuid::new_v4().as_bytes()[..12]),
        "userAgent": null,
        "userDisplayName": null,
        "userId": null,
        "userPrincipalName": null,
    });
    tenant.sign_ins.push(SignInRecord {
        record,
        interactive_user: false,
    });
}
