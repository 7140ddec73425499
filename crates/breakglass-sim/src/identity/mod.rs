//! The identity platform v2.0 endpoints: OpenID metadata, signing keys, the token
//! endpoint (client credentials with a secret or a certificate assertion, device
//! code) and the device login page where seeded users approve a code.

mod assertion;
mod bearer;
mod device_code;
mod metadata;
mod token;

use http::{Method, StatusCode};
use jiff::Timestamp;
use rand::Rng as _;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::Simulator;
use crate::clock::sts_time;
use crate::http::{SimRequest, SimResponse};
use crate::state::Tenant;

pub(crate) use assertion::{certificate_public_key, find_certificate, parse_jwt, verify_rsa};
pub(crate) use bearer::{Caller, TokenProblem, authenticate, authenticate_for, is_arm_resource};
pub(crate) use device_code::{DeviceCodes, device_login};

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
            metadata::openid_configuration(sim, segment, rest.starts_with("v2.0"))
        }
        (Method::GET, "discovery/v2.0/keys") | (Method::GET, "discovery/keys") => {
            metadata::signing_keys(sim)
        }
        (Method::POST, "oauth2/v2.0/token") => {
            if multi_tenant {
                return sts_error(sim, StatusCode::BAD_REQUEST, "invalid_request", 9001023, "The grant type isn't supported over the /common or /consumers endpoints. Please use the /organizations or tenant-specific endpoint.".into());
            }
            if !tenant_known {
                return sts_error(sim, StatusCode::BAD_REQUEST, "invalid_request", 90002, unknown_tenant_message(segment));
            }
            token::token(sim, request, segment)
        }
        (Method::POST, "oauth2/v2.0/devicecode") => {
            if !tenant_known && !multi_tenant {
                return sts_error(sim, StatusCode::BAD_REQUEST, "invalid_request", 90002, unknown_tenant_message(segment));
            }
            device_code::device_code(sim, request)
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

/// AADSTS900144: a form field the request needs is absent (or empty).
fn missing_parameter(sim: &Simulator, name: &str) -> SimResponse {
    sts_error(
        sim,
        StatusCode::BAD_REQUEST,
        "invalid_request",
        900144,
        format!("The request body must contain the following parameter: '{name}'."),
    )
}

/// An `invalid_client` refusal: the client's credential was not accepted.
fn invalid_client(sim: &Simulator, code: u32, message: String) -> Box<SimResponse> {
    Box::new(sts_error(
        sim,
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        code,
        message,
    ))
}

/// Whether a password or certificate credential is inside its start and end dates.
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
