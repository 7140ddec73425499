//! Request routing and the Microsoft Graph subset, one module per resource family; the
//! request context and error shapes are in `context`, listing with OData options in
//! `crate::listing`.

pub(crate) mod admin_units;
mod app_management;
mod applications;
mod audit;
mod auth_methods;
mod batch;
mod conditional_access;
pub(crate) mod context;
mod directory;
mod fido2;
mod groups;
mod pim_groups;
mod role_policies;
mod roles;
mod users;

pub(crate) use context::{Ctx, Version, graph_error};
use http::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::Simulator;
use crate::clock::{graph_time, http_date};
use crate::http::{SimRequest, SimResponse};
use crate::identity::{self, TokenProblem};

/// Routes one request: identity endpoints, Graph, the Resource Manager stub and test controls.
///
/// Every answer carries a `Date` header from the simulator's clock, as Microsoft's servers
/// send their own time; clients that judge expiry by the service's clock read it there.
pub(crate) fn route(sim: &Simulator, request: &SimRequest) -> SimResponse {
    let mut response = route_request(sim, request);
    response.set_header("Date", &http_date(sim.clock.now()));
    response
}

fn route_request(sim: &Simulator, request: &SimRequest) -> SimResponse {
    let path = request.path.clone();
    let segments: Vec<String> = path
        .trim_start_matches('/')
        .split('/')
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect();
    match segments.first().map(String::as_str) {
        Some("v1.0") => graph(sim, request, Version::V1, &segments[1..]),
        Some("beta") => graph(sim, request, Version::Beta, &segments[1..]),
        Some("_sim") => control(sim, request, &segments[1..]),
        Some("devicelogin") => identity::device_login(sim, request),
        Some("providers") => crate::arm_authorization::handle(sim, request, &segments),
        Some("subscriptions") if segments.len() > 1 => crate::arm::handle(sim, request, &segments),
        Some("subscriptions") | Some("tenants") if request.method == Method::GET => {
            // `az login --allow-no-subscriptions` lists subscriptions and tenants on Resource Manager.
            SimResponse::json(StatusCode::OK, &json!({"value": []}))
        }
        Some("") | None => SimResponse::json(
            StatusCode::OK,
            &json!({"service": "breakglass tenant simulator", "graph": format!("{}/v1.0/", sim.origin())}),
        ),
        Some(tenant_segment) => {
            let rest = segments[1..].join("/");
            identity::handle(sim, request, tenant_segment, &rest)
        }
    }
}

fn request_ids(request: &SimRequest) -> (String, String) {
    let request_id = Uuid::new_v4().to_string();
    let client_request_id = request
        .header("client-request-id")
        .map(str::to_string)
        .unwrap_or_else(|| request_id.clone());
    (request_id, client_request_id)
}

/// The answer to a request an injected fault fails.
pub(crate) fn injected_failure(
    sim: &Simulator,
    request: &SimRequest,
    status: u16,
    retry_after: Option<u64>,
) -> SimResponse {
    let (request_id, client_request_id) = request_ids(request);
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let date = graph_time(sim.clock.now());
    let (code, message) = match status.as_u16() {
        429 => ("TooManyRequests", "Too many requests."),
        503 => (
            "serviceNotAvailable",
            "The service is temporarily unavailable. Please retry later.",
        ),
        504 => (
            "gatewayTimeout",
            "The gateway did not receive a timely response.",
        ),
        _ => (
            "Service_InternalServerError",
            "Encountered an internal server error.",
        ),
    };
    let mut response = graph_error(
        status,
        code,
        message,
        &request_id,
        &client_request_id,
        &date,
    );
    response.set_header("Date", &http_date(sim.clock.now()));
    if let Some(seconds) = retry_after {
        response.set_header("Retry-After", &seconds.to_string());
    }
    if status.as_u16() == 429 {
        let tenant_id = sim.tenant().tenant_id;
        response.set_header(
            "x-ms-throttle-scope",
            &format!("Tenant_Application/ReadWrite/simulator/{tenant_id}"),
        );
        response.set_header("x-ms-throttle-information", "ResourceUnitLimitExceeded");
    }
    response
}

fn unauthorized(
    problem: TokenProblem,
    request_id: &str,
    client_request_id: &str,
    date: &str,
) -> SimResponse {
    let (code, message) = match problem {
        TokenProblem::Missing => ("InvalidAuthenticationToken", "Access token is empty."),
        TokenProblem::Malformed => (
            "InvalidAuthenticationToken",
            "IDX14100: JWT is not well formed, there are no dots (.).",
        ),
        TokenProblem::BadSignature => (
            "InvalidAuthenticationToken",
            "Access token validation failure. Invalid signature.",
        ),
        TokenProblem::Expired => (
            "InvalidAuthenticationToken",
            "Access token has expired or is not yet valid.",
        ),
        TokenProblem::WrongAudience => (
            "InvalidAuthenticationToken",
            "Access token validation failure. Invalid audience.",
        ),
        TokenProblem::UnknownPrincipal => (
            "InvalidAuthenticationToken",
            "Access token validation failure. The principal no longer exists in the tenant.",
        ),
    };
    graph_error(StatusCode::UNAUTHORIZED, code, message, request_id, client_request_id, date)
        .with_header("WWW-Authenticate", r#"Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000""#)
}

fn graph(
    sim: &Simulator,
    request: &SimRequest,
    version: Version,
    segments: &[String],
) -> SimResponse {
    let (request_id, client_request_id) = request_ids(request);
    let caller = {
        let tenant = sim.tenant();
        identity::authenticate(sim, &tenant, request.header("authorization"))
    };
    let caller = match caller {
        Ok(caller) => caller,
        Err(problem) => {
            return unauthorized(
                problem,
                &request_id,
                &client_request_id,
                &graph_time(sim.clock.now()),
            );
        }
    };
    let ctx = Ctx {
        sim,
        request,
        version,
        caller,
        request_id,
        client_request_id,
    };
    let parts: Vec<&str> = segments
        .iter()
        .map(String::as_str)
        .filter(|s| !s.is_empty())
        .collect();
    let method = request.method.clone();
    let response = match (parts.first().copied(), &method) {
        (Some("$batch"), &Method::POST) if parts.len() == 1 => batch::handle(&ctx),
        (Some("organization"), _) => directory::organization(&ctx, &parts[1..]),
        (Some("domains"), _) => directory::domains(&ctx, &parts[1..]),
        (Some("directory"), _) if parts.get(1) == Some(&"administrativeUnits") => {
            admin_units::handle(&ctx, &parts[2..])
        }
        (Some("directory"), _) => directory::deleted_items(&ctx, &parts[1..]),
        (Some("directoryObjects"), _) => directory::directory_objects(&ctx, &parts[1..]),
        (Some(first), _)
            if matches!(first, "applications" | "servicePrincipals")
                && parts.get(2) == Some(&"appManagementPolicies") =>
        {
            app_management::of_object(&ctx, &parts)
        }
        (Some(first), _) if first == "applications" || first.starts_with("applications(") => {
            applications::handle(&ctx, &parts)
        }
        (Some(first), _)
            if first == "servicePrincipals" || first.starts_with("servicePrincipals(") =>
        {
            applications::handle(&ctx, &parts)
        }
        (Some("users"), _) => users::handle(&ctx, &parts[1..]),
        (Some("groups"), _) => groups::handle(&ctx, &parts[1..]),
        (Some("roleManagement"), _) => roles::handle(&ctx, &parts[1..]),
        (Some("identityGovernance"), _) => pim_groups::handle(&ctx, &parts[1..]),
        (Some("identity"), _) => conditional_access::conditional_access(&ctx, &parts[1..]),
        (Some("auditLogs"), _) => audit::handle(&ctx, &parts[1..]),
        (Some("policies"), _) => auth_methods::policies(&ctx, &parts[1..])
            .or_else(|| app_management::policies(&ctx, &parts[1..]))
            .or_else(|| role_policies::policies(&ctx, &parts[1..])),
        _ => None,
    };
    response.unwrap_or_else(|| {
        ctx.error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            &format!(
                "Resource not found for the segment '{}'.",
                parts.last().copied().unwrap_or_default()
            ),
        )
    })
}

/// Test controls: faults, clock and a summary. Never called by breakglass itself.
fn control(sim: &Simulator, request: &SimRequest, segments: &[String]) -> SimResponse {
    let parts: Vec<&str> = segments.iter().map(String::as_str).collect();
    match (request.method.clone(), parts.as_slice()) {
        (Method::GET, ["faults"]) => SimResponse::json(StatusCode::OK, &json!(sim.faults.list())),
        (Method::GET, ["faults", "held"]) => {
            SimResponse::json(StatusCode::OK, &json!({"held": sim.faults.held()}))
        }
        (Method::PUT, ["faults"]) => {
            match serde_json::from_slice::<Vec<crate::FaultRule>>(&request.body) {
                Ok(rules) => {
                    sim.faults.replace(rules);
                    SimResponse::no_content()
                }
                Err(err) => SimResponse::json(
                    StatusCode::BAD_REQUEST,
                    &json!({"error": format!("fault rules: {err}")}),
                ),
            }
        }
        (Method::DELETE, ["faults"]) => {
            sim.faults.replace(Vec::new());
            SimResponse::no_content()
        }
        (Method::POST, ["clock"]) => {
            let seconds = serde_json::from_slice::<Value>(&request.body)
                .ok()
                .and_then(|v| v.get("advanceSeconds").and_then(Value::as_i64));
            match seconds {
                Some(seconds) => {
                    sim.clock.advance(seconds);
                    SimResponse::json(StatusCode::OK, &json!({"now": graph_time(sim.clock.now())}))
                }
                None => SimResponse::json(
                    StatusCode::BAD_REQUEST,
                    &json!({"error": "send {\"advanceSeconds\": N}"}),
                ),
            }
        }
        (Method::GET, ["tenant"]) => {
            let tenant = sim.tenant();
            SimResponse::json(
                StatusCode::OK,
                &json!({
                    "tenantId": tenant.tenant_id,
                    "initialDomain": tenant.initial_domain,
                    "objects": tenant.objects.len(),
                    "roleAssignments": tenant.role_assignments.len(),
                    "directoryAudits": tenant.directory_audits.len(),
                    "signIns": tenant.sign_ins.len(),
                }),
            )
        }
        _ => SimResponse::json(
            StatusCode::NOT_FOUND,
            &json!({"error": "unknown simulator control"}),
        ),
    }
}
