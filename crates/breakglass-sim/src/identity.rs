//! The identity platform v2.0 endpoints: OpenID metadata, signing keys, the token
//! endpoint (client credentials with a secret or a certificate assertion, device
//! code) and the device login page where seeded users approve a code.

use std::collections::HashMap;

use aws_lc_rs::signature::{
    RSA_PKCS1_2048_8192_SHA256, RSA_PSS_2048_8192_SHA256, UnparsedPublicKey,
};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use http::{Method, StatusCode};
use jiff::{SignedDuration, Timestamp};
use rand::Rng as _;
use serde_json::{Value, json};
use sha1::{Digest as _, Sha1};
use sha2::Sha256;
use uuid::Uuid;
use x509_cert::der::Decode as _;

use crate::Simulator;
use crate::clock::{graph_time, sts_time};
use crate::http::{SimRequest, SimResponse};
use crate::state::{DirObject, Kind, SignInRecord, Tenant, sha256_hex};

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// Lifetime of issued access tokens, as Entra's default (60–90 minutes).
const TOKEN_LIFETIME_SECONDS: i64 = 3599;

/// A client secret in Entra's current shape: three characters, `8Q~`, then 34 more.
pub(crate) fn new_client_secret() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.~-";
    let mut rng = rand::rng();
    let mut pick = |n: usize| -> String {
        (0..n)
            .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
            .collect()
    };
    let head = pick(3);
    let tail = pick(34);
    format!("{head}8Q~{tail}")
}

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

/// Which tenant an authority path names, if any.
fn resolve_tenant(tenant: &Tenant, segment: &str) -> bool {
    segment.eq_ignore_ascii_case(&tenant.tenant_id.to_string()) || tenant.has_domain(segment)
}

pub(crate) fn handle(
    sim: &Simulator,
    request: &SimRequest,
    segment: &str,
    rest: &str,
) -> SimResponse {
    let tenant_known = resolve_tenant(&sim.tenant(), segment);
    let multi_tenant = matches!(
        segment.to_ascii_lowercase().as_str(),
        "common" | "organizations"
    );
    match (request.method.clone(), rest) {
        (Method::GET, "v2.0/.well-known/openid-configuration") | (Method::GET, ".well-known/openid-configuration") => {
            if !tenant_known && !multi_tenant {
                return discovery_unknown_tenant(sim, segment);
            }
            openid_configuration(sim, segment, rest.starts_with("v2.0"))
        }
        (Method::GET, "discovery/v2.0/keys") | (Method::GET, "discovery/keys") => {
            let tenant_id = sim.tenant().tenant_id;
            let issuer = format!("{}/{tenant_id}/v2.0", sim.origin());
            SimResponse::json(StatusCode::OK, &json!({"keys": [sim.signer.jwk(&issuer)]}))
                .with_header("Cache-Control", "max-age=86400, private")
        }
        (Method::POST, "oauth2/v2.0/token") => {
            if multi_tenant {
                return sts_error(sim, StatusCode::BAD_REQUEST, "invalid_request", 9001023, "The grant type isn't supported over the /common or /consumers endpoints. Please use the /organizations or tenant-specific endpoint.".into());
            }
            if !tenant_known {
                return sts_error(sim, StatusCode::BAD_REQUEST, "invalid_request", 90002, unknown_tenant_message(segment));
            }
            token(sim, request, segment)
        }
        (Method::POST, "oauth2/v2.0/devicecode") => {
            if !tenant_known && !multi_tenant {
                return sts_error(sim, StatusCode::BAD_REQUEST, "invalid_request", 90002, unknown_tenant_message(segment));
            }
            device_code(sim, request)
        }
        _ => SimResponse::text(
            StatusCode::NOT_FOUND,
            "text/html; charset=utf-8",
            "<html><body><h1>Sorry, but we're having trouble signing you in.</h1><p>The page you asked for does not exist on this authority.</p></body></html>".into(),
        ),
    }
}

fn unknown_tenant_message(segment: &str) -> String {
    format!(
        "Tenant '{segment}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."
    )
}

fn discovery_unknown_tenant(sim: &Simulator, segment: &str) -> SimResponse {
    sts_error(
        sim,
        StatusCode::BAD_REQUEST,
        "invalid_tenant",
        90002,
        unknown_tenant_message(segment),
    )
}

fn openid_configuration(sim: &Simulator, segment: &str, v2: bool) -> SimResponse {
    let origin = sim.origin();
    let tenant_id = sim.tenant().tenant_id;
    let issuer = if v2 {
        format!("{origin}/{tenant_id}/v2.0")
    } else {
        format!("https://sts.windows.net/{tenant_id}/")
    };
    let prefix = format!("{origin}/{segment}");
    let document = json!({
        "token_endpoint": format!("{prefix}/oauth2/v2.0/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": format!("{prefix}/discovery/v2.0/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": issuer,
        "request_uri_parameter_supported": false,
        "userinfo_endpoint": format!("{origin}/oidc/userinfo"),
        "authorization_endpoint": format!("{prefix}/oauth2/v2.0/authorize"),
        "device_authorization_endpoint": format!("{prefix}/oauth2/v2.0/devicecode"),
        "http_logout_supported": true,
        "frontchannel_logout_supported": true,
        "end_session_endpoint": format!("{prefix}/oauth2/v2.0/logout"),
        "claims_supported": ["sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name", "msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email"],
        "kerberos_endpoint": format!("{prefix}/kerberos"),
        "tenant_region_scope": "WW",
        "cloud_instance_name": sim.base_url.host_str().unwrap_or("127.0.0.1"),
        "cloud_graph_host_name": sim.base_url.host_str().unwrap_or("127.0.0.1"),
        "msgraph_host": sim.base_url.host_str().unwrap_or("127.0.0.1"),
        "rbac_url": origin,
    });
    SimResponse::json(StatusCode::OK, &document)
        .with_header("Cache-Control", "max-age=86400, private")
        .with_header("Access-Control-Allow-Origin", "*")
}

/// An AADSTS error in the identity platform's exact shape.
pub(crate) fn sts_error(
    sim: &Simulator,
    status: StatusCode,
    error: &str,
    code: u32,
    message: String,
) -> SimResponse {
    let now = sim.clock.now();
    let trace_id = Uuid::new_v4();
    let correlation_id = Uuid::new_v4();
    let timestamp = sts_time(now);
    let description = format!(
        "AADSTS{code}: {message}\r\nTrace ID: {trace_id}\r\nCorrelation ID: {correlation_id}\r\nTimestamp: {timestamp}"
    );
    SimResponse::json(
        status,
        &json!({
            "error": error,
            "error_description": description,
            "error_codes": [code],
            "timestamp": timestamp,
            "trace_id": trace_id.to_string(),
            "correlation_id": correlation_id.to_string(),
            "error_uri": format!("{}/error?code={code}", sim.origin()),
        }),
    )
    .with_header("Cache-Control", "no-store, no-cache")
    .with_header("Pragma", "no-cache")
    .with_header("x-ms-request-id", &trace_id.to_string())
}

fn token_headers(response: SimResponse) -> SimResponse {
    response
        .with_header("Cache-Control", "no-store, no-cache")
        .with_header("Pragma", "no-cache")
        .with_header("Expires", "-1")
        .with_header("X-Content-Type-Options", "nosniff")
        .with_header("x-ms-request-id", &Uuid::new_v4().to_string())
}

struct Form(Vec<(String, String)>);

impl Form {
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }
}

fn token(sim: &Simulator, request: &SimRequest, segment: &str) -> SimResponse {
    let mut form = Form(request.form());
    // RFC 6749 §2.3.1: the client may authenticate with HTTP Basic instead of form fields.
    if let Some((id, secret)) = basic_credentials(request) {
        form.0.push(("client_id".into(), id));
        form.0.push(("client_secret".into(), secret));
    }
    match form.get("grant_type") {
        None => sts_error(
            sim,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'grant_type'.".into(),
        ),
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

struct VerifiedClient {
    app_id: String,
    service_principal_id: String,
    display_name: String,
    credential_key_id: String,
    credential_type: &'static str,
    thumbprint: Option<String>,
}

fn client_credentials(sim: &Simulator, form: &Form, segment: &str) -> SimResponse {
    let Some(client_id) = form.get("client_id") else {
        return sts_error(
            sim,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'client_id'.".into(),
        );
    };
    let Some(scope) = form.get("scope") else {
        return sts_error(
            sim,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'scope'.".into(),
        );
    };
    let resource = match resource_of(scope) {
        Ok(resource) => resource,
        Err(bad) => {
            return sts_error(
                sim,
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                1002012,
                format!(
                    "The provided value for scope {bad} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
                ),
            );
        }
    };
    let now = sim.clock.now();
    let mut tenant = sim.tenant();
    let tenant_id = tenant.tenant_id;
    let Some(app) = tenant.application_by_app_id(client_id).cloned() else {
        return sts_error(
            sim,
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            format!(
                "Application with identifier '{client_id}' was not found in the directory '{}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
                tenant.display_name
            ),
        );
    };
    let Some(sp) = tenant.service_principal_by_app_id(client_id).cloned() else {
        return sts_error(
            sim,
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            format!(
                "Application with identifier '{client_id}' was not found in the directory '{}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
                tenant.display_name
            ),
        );
    };
    let verified = if let Some(secret) = form.get("client_secret") {
        verify_secret(sim, &app, &sp, secret, now)
    } else if let Some(assertion) = form.get("client_assertion") {
        if form.get("client_assertion_type") != Some(JWT_BEARER) {
            return sts_error(sim, StatusCode::BAD_REQUEST, "invalid_request", 50027, "The client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer.".into());
        }
        verify_assertion(
            sim,
            &app,
            &sp,
            assertion,
            client_id,
            segment,
            &tenant_id.to_string(),
            now,
        )
    } else {
        return sts_error(sim, StatusCode::UNAUTHORIZED, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.".into());
    };
    let verified = match verified {
        Ok(verified) => verified,
        Err(response) => return *response,
    };
    if sp.data.get("accountEnabled") == Some(&Value::Bool(false)) {
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
            Some((
                53003,
                "Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.",
            )),
            Some(&policy),
        );
        sim.persist(&tenant);
        return sts_error(sim, StatusCode::BAD_REQUEST, "invalid_grant", 53003, "Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.".into());
    }

    let graph_resource = is_graph_resource(sim, &resource);
    let roles = if graph_resource {
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
    let access_token = sim.signer.sign(&header, &claims);
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

/// Graph tokens name the Graph host, or Microsoft Graph's app id.
pub(crate) fn is_graph_resource(sim: &Simulator, resource: &str) -> bool {
    let resource = resource.trim_end_matches('/');
    resource.eq_ignore_ascii_case(&sim.origin())
        || resource.eq_ignore_ascii_case("https://graph.microsoft.com")
        || resource
            .eq_ignore_ascii_case(&breakglass_core::roles::MICROSOFT_GRAPH_APP_ID.to_string())
}

fn in_validity(credential: &Value, now: Timestamp) -> bool {
    let parse = |name: &str| {
        credential
            .get(name)
            .and_then(Value::as_str)
            .and_then(|s| s.parse::<Timestamp>().ok())
    };
    parse("startDateTime").is_none_or(|start| start <= now)
        && parse("endDateTime").is_none_or(|end| now < end)
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
            .data
            .get("passwordCredentials")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for credential in credentials {
            let key_id = credential
                .get("keyId")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if owner.private.secret_sha256.get(key_id) == Some(&hash) {
                if !in_validity(&credential, now) {
                    return Err(Box::new(sts_error(
                        sim,
                        StatusCode::UNAUTHORIZED,
                        "invalid_client",
                        7000222,
                        format!(
                            "The provided client secret keys for app '{app_id}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds."
                        ),
                    )));
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
    Err(Box::new(sts_error(
        sim,
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        7000215,
        format!(
            "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{app_id}'."
        ),
    )))
}

fn decode_b64_any(text: &str) -> Option<Vec<u8>> {
    let trimmed = text.trim_end_matches('=');
    URL_SAFE_NO_PAD
        .decode(trimmed)
        .ok()
        .or_else(|| STANDARD_NO_PAD.decode(trimmed).ok())
        .or_else(|| URL_SAFE.decode(text).ok())
        .or_else(|| STANDARD.decode(text).ok())
}

/// Time claims may be integers or floats (azure-identity sends floats).
fn time_claim(claims: &Value, name: &str) -> Option<i64> {
    let value = claims.get(name)?;
    value.as_i64().or_else(|| value.as_f64().map(|f| f as i64))
}

/// The RSA public key (PKCS#1 DER) of an X.509 certificate.
pub(crate) fn certificate_public_key(der: &[u8]) -> Option<Vec<u8>> {
    let certificate = x509_cert::Certificate::from_der(der).ok()?;
    certificate
        .tbs_certificate
        .subject_public_key_info
        .subject_public_key
        .as_bytes()
        .map(<[u8]>::to_vec)
}

pub(crate) struct ParsedJwt {
    pub header: Value,
    pub claims: Value,
    pub signing_input: String,
    pub signature: Vec<u8>,
}

pub(crate) fn parse_jwt(token: &str) -> Option<ParsedJwt> {
    let mut parts = token.split('.');
    let (header, payload, signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    Some(ParsedJwt {
        header: serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).ok()?).ok()?,
        claims: serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?,
        signing_input: format!("{header}.{payload}"),
        signature: URL_SAFE_NO_PAD.decode(signature).ok()?,
    })
}

pub(crate) fn verify_rsa(
    alg: &str,
    public_key_der: &[u8],
    message: &[u8],
    signature: &[u8],
) -> bool {
    let algorithm: &dyn aws_lc_rs::signature::VerificationAlgorithm = match alg {
        "RS256" => &RSA_PKCS1_2048_8192_SHA256,
        "PS256" => &RSA_PSS_2048_8192_SHA256,
        _ => return false,
    };
    UnparsedPublicKey::new(algorithm, public_key_der)
        .verify(message, signature)
        .is_ok()
}

/// The certificate credential whose thumbprint the JWT header names.
pub(crate) struct MatchedCertificate {
    pub key_id: String,
    pub der: Vec<u8>,
    pub thumbprint_hex: String,
    pub credential: Value,
}

pub(crate) fn find_certificate(
    owner: &DirObject,
    header: &Value,
) -> Result<MatchedCertificate, String> {
    let sha256 = header
        .get("x5t#S256")
        .and_then(Value::as_str)
        .and_then(decode_b64_any);
    let sha1 = header
        .get("x5t")
        .and_then(Value::as_str)
        .and_then(decode_b64_any);
    let presented = sha256
        .as_ref()
        .or(sha1.as_ref())
        .map(|b| hex_upper(b))
        .unwrap_or_default();
    let credentials = owner
        .data
        .get("keyCredentials")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for credential in credentials {
        let key_id = credential
            .get("keyId")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let Some(der) = owner
            .private
            .certificates
            .get(&key_id)
            .and_then(|b| STANDARD.decode(b).ok())
        else {
            continue;
        };
        let matches_sha256 = sha256.as_deref() == Some(Sha256::digest(&der).as_slice());
        let matches_sha1 = sha1.as_deref() == Some(Sha1::digest(&der).as_slice());
        if matches_sha256 || matches_sha1 {
            return Ok(MatchedCertificate {
                key_id,
                thumbprint_hex: hex_upper(&Sha1::digest(&der)),
                der,
                credential,
            });
        }
    }
    Err(presented)
}

fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

#[allow(clippy::too_many_arguments)]
fn verify_assertion(
    sim: &Simulator,
    app: &DirObject,
    sp: &DirObject,
    assertion: &str,
    client_id: &str,
    segment: &str,
    tenant_id: &str,
    now: Timestamp,
) -> Result<VerifiedClient, Box<SimResponse>> {
    let app_id = app.str("appId").unwrap_or_default().to_string();
    let fail = |status: StatusCode, error: &str, code: u32, message: String| {
        Box::new(sts_error(sim, status, error, code, message))
    };
    let Some(jwt) = parse_jwt(assertion) else {
        return Err(fail(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            50027,
            "JWT token is invalid or malformed.".into(),
        ));
    };
    let alg = jwt
        .header
        .get("alg")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let matched = find_certificate(app, &jwt.header).or_else(|_| find_certificate(sp, &jwt.header));
    let matched = match matched {
        Ok(matched) => matched,
        Err(presented) => {
            return Err(fail(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                700027,
                format!(
                    "The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '{presented}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '{app_id}'. Review the documentation at https://docs.microsoft.com/en-us/graph/deployments to determine the corresponding service endpoint and https://docs.microsoft.com/en-us/graph/api/application-get?view=graph-rest-1.0&tabs=http to build a query request URL, such as 'https://graph.microsoft.com/beta/applications/{app_id}']"
                ),
            ));
        }
    };
    if !in_validity(&matched.credential, now) {
        return Err(fail(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            700027,
            format!(
                "Client assertion failed signature validation. [Reason - The key used is expired., Thumbprint of key used by client: '{}', Found key 'Start=..., End=...', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '{app_id}'.]",
                matched.thumbprint_hex
            ),
        ));
    }
    let verified_signature = certificate_public_key(&matched.der)
        .is_some_and(|key| verify_rsa(&alg, &key, jwt.signing_input.as_bytes(), &jwt.signature));
    if !verified_signature {
        return Err(fail(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            700027,
            format!(
                "Client assertion failed signature validation. [Reason - The provided signature value did not match the expected signature value., Thumbprint of key used by client: '{}']",
                matched.thumbprint_hex
            ),
        ));
    }
    let claims = &jwt.claims;
    for name in ["iss", "sub"] {
        if claims.get(name).and_then(Value::as_str) != Some(client_id) {
            return Err(fail(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                700021,
                format!(
                    "Client assertion application identifier doesn't match 'client_id' parameter. Review the documentation at https://docs.microsoft.com/en-us/azure/active-directory/develop/active-directory-certificate-credentials (claim `{name}`)."
                ),
            ));
        }
    }
    let origin = sim.origin();
    let audience = claims
        .get("aud")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .trim_end_matches('/');
    let accepted: Vec<String> = [segment, tenant_id]
        .iter()
        .flat_map(|t| {
            [
                format!("{origin}/{t}/oauth2/v2.0/token"),
                format!("{origin}/{t}/oauth2/token"),
                format!("{origin}/{t}/v2.0"),
            ]
        })
        .collect();
    if !accepted.iter().any(|a| a.eq_ignore_ascii_case(audience)) {
        return Err(fail(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            50013,
            format!(
                "Assertion failed signature validation. [Reason - The audience '{audience}' in the client assertion is not the token endpoint of this tenant.]"
            ),
        ));
    }
    let now_seconds = now.as_second();
    let skew = 300;
    let expired = time_claim(claims, "exp").is_none_or(|exp| exp + skew < now_seconds);
    let not_yet = time_claim(claims, "nbf").is_some_and(|nbf| nbf - skew > now_seconds);
    if expired || not_yet {
        return Err(fail(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            700024,
            "Client assertion is not within its valid time range.".into(),
        ));
    }
    Ok(VerifiedClient {
        app_id,
        service_principal_id: sp.id().to_string(),
        display_name: sp.display_name().to_string(),
        credential_key_id: matched.key_id,
        credential_type: "clientAssertion",
        thumbprint: Some(matched.thumbprint_hex),
    })
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

fn device_code(sim: &Simulator, request: &SimRequest) -> SimResponse {
    let form = Form(request.form());
    let Some(client_id) = form.get("client_id") else {
        return sts_error(
            sim,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'client_id'.".into(),
        );
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
    let scope = form
        .get("scope")
        .unwrap_or("openid profile offline_access")
        .to_string();
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

fn device_code_token(sim: &Simulator, form: &Form) -> SimResponse {
    let Some(code) = form.get("device_code") else {
        return sts_error(
            sim,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'device_code'.".into(),
        );
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
fn refresh_token_grant(sim: &Simulator, form: &Form) -> SimResponse {
    let Some(token) = form.get("refresh_token") else {
        return sts_error(
            sim,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'refresh_token'.".into(),
        );
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
    let Some(user) = tenant.object(user_id).cloned() else {
        return sts_error(
            sim,
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            50034,
            "The user account does not exist in the directory.".into(),
        );
    };
    if user.data.get("accountEnabled") == Some(&Value::Bool(false)) {
        return sts_error(
            sim,
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            50057,
            "The user account is disabled.".into(),
        );
    }
    let tenant_id = tenant.tenant_id;
    let requested: Vec<&str> = scope.split_whitespace().collect();
    let resource = requested
        .iter()
        .find_map(|s| {
            s.strip_suffix("/.default")
                .or_else(|| s.rsplit_once('/').map(|(r, _)| r))
        })
        .map(|r| r.trim_end_matches('/').to_string())
        .unwrap_or_else(|| sim.origin());
    let wids = tenant.role_template_ids_of(user_id);
    let issued = now.as_second();
    let upn = user
        .str("userPrincipalName")
        .unwrap_or_default()
        .to_string();
    let client_name = tenant
        .service_principal_by_app_id(client_id)
        .map(|sp| sp.display_name().to_string())
        .unwrap_or_default();
    let mut claims = json!({
        "aud": resource,
        "iss": format!("https://sts.windows.net/{tenant_id}/"),
        "iat": issued, "nbf": issued, "exp": issued + TOKEN_LIFETIME_SECONDS + 1,
        "acr": "1",
        "amr": ["pwd", "mfa"],
        "app_displayname": client_name,
        "appid": client_id,
        "appidacr": "0",
        "idtyp": "user",
        "ipaddr": "127.0.0.1",
        "name": user.display_name(),
        "oid": user_id,
        "scp": "Application.ReadWrite.All AuditLog.Read.All Directory.ReadWrite.All Group.ReadWrite.All Policy.Read.All RoleManagement.ReadWrite.Directory User.ReadWrite.All UserAuthenticationMethod.ReadWrite.All openid profile email",
        "sub": URL_SAFE_NO_PAD.encode(Sha256::digest(format!("{user_id}{resource}").as_bytes())),
        "tid": tenant_id.to_string(),
        "unique_name": upn,
        "upn": upn,
        "uti": URL_SAFE_NO_PAD.encode(&Uuid::new_v4().as_bytes()[..12]),
        "ver": "1.0",
    });
    if !wids.is_empty() {
        claims["wids"] = json!(wids);
    }
    let header =
        json!({"typ": "JWT", "alg": "RS256", "x5t": sim.signer.key_id, "kid": sim.signer.key_id});
    let access_token = sim.signer.sign(&header, &claims);
    let mut body = json!({
        "token_type": "Bearer",
        "scope": requested.iter().filter(|s| !matches!(**s, "openid" | "profile" | "offline_access")).copied().collect::<Vec<_>>().join(" "),
        "expires_in": TOKEN_LIFETIME_SECONDS,
        "ext_expires_in": TOKEN_LIFETIME_SECONDS,
        "access_token": access_token,
    });
    if requested.contains(&"openid") {
        let id_claims = json!({
            "aud": client_id,
            "iss": format!("{}/{tenant_id}/v2.0", sim.origin()),
            "iat": issued, "nbf": issued, "exp": issued + TOKEN_LIFETIME_SECONDS + 1,
            "name": user.display_name(),
            "oid": user_id,
            "preferred_username": upn,
            "sub": URL_SAFE_NO_PAD.encode(Sha256::digest(format!("{user_id}{client_id}").as_bytes())),
            "tid": tenant_id.to_string(),
            "ver": "2.0",
        });
        body["id_token"] = json!(sim.signer.sign(
            &json!({"typ": "JWT", "alg": "RS256", "kid": sim.signer.key_id}),
            &id_claims
        ));
        body["client_info"] = json!(
            URL_SAFE_NO_PAD
                .encode(json!({"uid": user_id, "utid": tenant_id.to_string()}).to_string())
        );
    }
    if requested.contains(&"offline_access") {
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
        body["refresh_token"] = json!(refresh);
    }
    if interactive {
        let record = json!({
            "id": Uuid::new_v4().to_string(),
            "createdDateTime": graph_time(now),
            "userDisplayName": user.display_name(),
            "userPrincipalName": upn,
            "userId": user_id,
            "appId": client_id,
            "appDisplayName": client_name,
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
        sim.persist(&tenant);
    }
    token_headers(SimResponse::json(StatusCode::OK, &body))
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
                    && user.data.get("accountEnabled") != Some(&Value::Bool(false)) =>
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

/// The caller a Graph request acts as, from its bearer token.
#[derive(Clone, Debug)]
pub(crate) struct Caller {
    pub actor: crate::state::Actor,
    pub app_permissions: Vec<String>,
    pub delegated: bool,
}

/// Why a bearer token is not accepted.
pub(crate) enum TokenProblem {
    Missing,
    Malformed,
    BadSignature,
    Expired,
    WrongAudience,
    UnknownPrincipal,
}

pub(crate) fn authenticate(
    sim: &Simulator,
    tenant: &Tenant,
    authorization: Option<&str>,
) -> Result<Caller, TokenProblem> {
    authenticate_for(sim, tenant, authorization, is_graph_resource)
}

/// Resource Manager tokens name the Resource Manager host (here: the simulator's origin,
/// which serves both) or one of Azure's two Resource Manager audiences.
pub(crate) fn is_arm_resource(sim: &Simulator, resource: &str) -> bool {
    let resource = resource.trim_end_matches('/');
    resource.eq_ignore_ascii_case(&sim.origin())
        || resource.eq_ignore_ascii_case("https://management.azure.com")
        || resource.eq_ignore_ascii_case("https://management.core.windows.net")
}

/// Checks a bearer token whose audience `accepts` allows.
pub(crate) fn authenticate_for(
    sim: &Simulator,
    tenant: &Tenant,
    authorization: Option<&str>,
    accepts: fn(&Simulator, &str) -> bool,
) -> Result<Caller, TokenProblem> {
    let token = authorization
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        })
        .map(str::trim)
        .ok_or(TokenProblem::Missing)?;
    let jwt = parse_jwt(token).ok_or(TokenProblem::Malformed)?;
    if !verify_rsa(
        "RS256",
        sim.signer.public_key_der(),
        jwt.signing_input.as_bytes(),
        &jwt.signature,
    ) {
        return Err(TokenProblem::BadSignature);
    }
    let now = sim.clock.now().as_second();
    if time_claim(&jwt.claims, "exp").is_none_or(|exp| exp <= now) {
        return Err(TokenProblem::Expired);
    }
    let audience = jwt
        .claims
        .get("aud")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !accepts(sim, audience) {
        return Err(TokenProblem::WrongAudience);
    }
    let oid = jwt
        .claims
        .get("oid")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let object = tenant.object(oid).ok_or(TokenProblem::UnknownPrincipal)?;
    match object.kind {
        Kind::ServicePrincipal => Ok(Caller {
            actor: crate::state::Actor::App {
                app_id: object.str("appId").unwrap_or_default().to_string(),
                service_principal_id: oid.to_string(),
                display_name: object.display_name().to_string(),
            },
            app_permissions: tenant.graph_permissions_of(oid),
            delegated: false,
        }),
        Kind::User => Ok(Caller {
            actor: crate::state::Actor::User {
                id: oid.to_string(),
                user_principal_name: object
                    .str("userPrincipalName")
                    .unwrap_or_default()
                    .to_string(),
                display_name: object.display_name().to_string(),
            },
            app_permissions: Vec::new(),
            delegated: true,
        }),
        _ => Err(TokenProblem::UnknownPrincipal),
    }
}
