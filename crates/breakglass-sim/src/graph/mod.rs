//! Request routing and the Microsoft Graph subset: errors, authorization, listing
//! with OData options, and one module per resource family.

pub(crate) mod admin_units;
mod app_management;
mod applications;
mod audit;
mod auth_methods;
mod batch;
mod conditional_access;
mod directory;
mod groups;
mod roles;
mod users;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::Simulator;
use crate::clock::{graph_time, http_date};
use crate::http::{SimRequest, SimResponse};
use crate::identity::{self, Caller, TokenProblem};
use crate::odata;
use crate::state::{DirObject, Tenant};
use breakglass_core::roles as builtin;

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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Version {
    V1,
    Beta,
}

impl Version {
    fn as_str(self) -> &'static str {
        match self {
            Version::V1 => "v1.0",
            Version::Beta => "beta",
        }
    }
}

/// Everything a Graph handler needs about its request.
pub(crate) struct Ctx<'a> {
    pub sim: &'a Simulator,
    pub request: &'a SimRequest,
    pub version: Version,
    pub caller: Caller,
    pub request_id: String,
    pub client_request_id: String,
}

impl Ctx<'_> {
    pub fn now(&self) -> jiff::Timestamp {
        self.sim.clock.now()
    }

    pub fn now_text(&self) -> String {
        graph_time(self.now())
    }

    pub fn context_url(&self, fragment: &str) -> String {
        format!(
            "{}/{}/$metadata#{fragment}",
            self.sim.origin(),
            self.version.as_str()
        )
    }

    pub fn error(&self, status: StatusCode, code: &str, message: &str) -> SimResponse {
        graph_error(
            status,
            code,
            message,
            &self.request_id,
            &self.client_request_id,
            &self.now_text(),
        )
    }

    pub fn not_found(&self, id: &str) -> SimResponse {
        self.error(
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
            &format!("Resource '{id}' does not exist or one of its queried reference-property objects are not present."),
        )
    }

    pub fn bad_request(&self, message: &str) -> SimResponse {
        self.error(StatusCode::BAD_REQUEST, "Request_BadRequest", message)
    }

    pub fn forbidden(&self) -> SimResponse {
        self.error(
            StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        )
    }

    pub fn json(&self, status: StatusCode, value: &Value) -> SimResponse {
        graph_headers(SimResponse::json(status, value), &self.request_id, &self.client_request_id)
            .with_header("Content-Type", "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8")
    }

    pub fn entity(&self, status: StatusCode, context: &str, value: Value) -> SimResponse {
        let mut body = json!({"@odata.context": self.context_url(context)});
        if let (Value::Object(out), Value::Object(fields)) = (&mut body, value) {
            out.extend(fields);
        }
        self.json(status, &body)
    }

    pub fn no_content(&self) -> SimResponse {
        graph_headers(
            SimResponse::no_content(),
            &self.request_id,
            &self.client_request_id,
        )
    }

    pub fn body(&self) -> Result<Value, SimResponse> {
        if self.request.body.is_empty() {
            return Ok(json!({}));
        }
        serde_json::from_slice(&self.request.body).map_err(|_| {
            self.error(StatusCode::BAD_REQUEST, "BadRequest", "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.")
        })
    }

    /// Requires one of these application permissions (app callers) or directory roles.
    /// Global Administrator may do everything.
    pub fn require(
        &self,
        tenant: &Tenant,
        permissions: &[&str],
        roles: &[builtin::BuiltInRole],
    ) -> Result<(), SimResponse> {
        self.require_roles_or(tenant, roles, permissions.iter().any(|p| self.holds(p)))
    }

    /// Requires every one of these application permissions (app callers), or one of these
    /// directory roles; Global Administrator may do everything.
    pub fn require_all(
        &self,
        tenant: &Tenant,
        permissions: &[&str],
        roles: &[builtin::BuiltInRole],
    ) -> Result<(), SimResponse> {
        self.require_roles_or(tenant, roles, permissions.iter().all(|p| self.holds(p)))
    }

    /// Whether the caller's token carries this application permission.
    fn holds(&self, permission: &str) -> bool {
        self.caller
            .app_permissions
            .iter()
            .any(|held| held.eq_ignore_ascii_case(permission))
    }

    /// Allowed when the caller holds Global Administrator or one of `roles`, or, calling as
    /// an app, when `permitted` (its application permissions suffice).
    fn require_roles_or(
        &self,
        tenant: &Tenant,
        roles: &[builtin::BuiltInRole],
        permitted: bool,
    ) -> Result<(), SimResponse> {
        let held = tenant.role_template_ids_of(self.caller.actor.principal_id());
        let has_role =
            |role: &builtin::BuiltInRole| held.iter().any(|id| *id == role.template_id.to_string());
        if has_role(&builtin::GLOBAL_ADMINISTRATOR) || roles.iter().any(has_role) {
            return Ok(());
        }
        if !self.caller.delegated && permitted {
            return Ok(());
        }
        Err(self.forbidden())
    }

    /// Reads allowed by any directory-wide read permission or reader role.
    pub fn require_read(&self, tenant: &Tenant, specific: &[&str]) -> Result<(), SimResponse> {
        let mut permissions = vec!["Directory.Read.All", "Directory.ReadWrite.All"];
        permissions.extend_from_slice(specific);
        self.require(
            tenant,
            &permissions,
            &[
                builtin::GLOBAL_READER,
                builtin::PRIVILEGED_ROLE_ADMINISTRATOR,
                builtin::SECURITY_READER,
                builtin::SECURITY_ADMINISTRATOR,
                builtin::USER_ADMINISTRATOR,
                builtin::APPLICATION_ADMINISTRATOR,
                builtin::CLOUD_APPLICATION_ADMINISTRATOR,
                builtin::HELPDESK_ADMINISTRATOR,
            ],
        )
    }

    /// Whether an object is still invisible to reads because of injected replication delay.
    pub fn replicating(&self, object: &DirObject) -> bool {
        let delay = self
            .sim
            .faults
            .replication_delay(self.request.method.as_str(), &self.request.path);
        let hidden = delay.is_some_and(|delay| {
            let age = self.now().duration_since(object.created_at);
            age < jiff::SignedDuration::try_from(delay).unwrap_or_default()
        });
        if hidden {
            self.sim.faults.note_hidden_by_replication();
        }
        hidden
    }
}

pub(crate) fn graph_error(
    status: StatusCode,
    code: &str,
    message: &str,
    request_id: &str,
    client_request_id: &str,
    date: &str,
) -> SimResponse {
    let body = json!({
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": date.trim_end_matches('Z'),
                "request-id": request_id,
                "client-request-id": client_request_id,
            }
        }
    });
    graph_headers(
        SimResponse::json(status, &body),
        request_id,
        client_request_id,
    )
}

fn graph_headers(response: SimResponse, request_id: &str, client_request_id: &str) -> SimResponse {
    response
        .with_header("request-id", request_id)
        .with_header("client-request-id", client_request_id)
        .with_header("x-ms-ags-diagnostic", r#"{"ServerInfo":{"DataCenter":"Simulated","Slice":"E","Ring":"1","ScaleUnit":"000","RoleInstance":"SIM"}}"#)
        .with_header("OData-Version", "4.0")
        .with_header("Cache-Control", "no-cache")
        .with_header("Strict-Transport-Security", "max-age=31536000")
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
        (Some("identity"), _) => conditional_access::conditional_access(&ctx, &parts[1..]),
        (Some("auditLogs"), _) => audit::handle(&ctx, &parts[1..]),
        (Some("policies"), _) => auth_methods::policies(&ctx, &parts[1..])
            .or_else(|| app_management::policies(&ctx, &parts[1..])),
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

/// Paging and query limits of one collection.
#[derive(Clone, Copy)]
pub(crate) struct Paging {
    pub default_top: usize,
    pub max_top: usize,
}

pub(crate) const DIRECTORY_PAGING: Paging = Paging {
    default_top: 100,
    max_top: 999,
};
pub(crate) const LOG_PAGING: Paging = Paging {
    default_top: 1000,
    max_top: 1000,
};

/// Applies `$filter`, `$orderby`, `$count`, `$top`, `$skiptoken` and `$select` to a
/// collection and answers with one page.
pub(crate) fn list(
    ctx: &Ctx<'_>,
    items: Vec<Value>,
    context: &str,
    paging: Paging,
    default_select: Option<&[&str]>,
) -> SimResponse {
    let request = ctx.request;
    let (count_requested, filter) = match crate::listing::query_options(ctx) {
        Ok(options) => options,
        Err(refused) => return refused,
    };
    let mut items = items;
    if let Some(filter) = filter {
        items.retain(|item| odata::evaluate(&filter, item));
    }
    crate::listing::order(ctx, &mut items, |item, property| {
        item.get(property).map(Value::to_string)
    });
    let (top, offset) = match crate::listing::page_bounds(ctx, paging) {
        Ok(bounds) => bounds,
        Err(refused) => return refused,
    };
    let total = items.len();
    let selected: Option<Vec<String>> = request
        .query_param("$select")
        .map(|s| {
            s.split(',')
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty())
                .collect()
        })
        .or_else(|| default_select.map(|d| d.iter().map(|s| s.to_string()).collect()));
    let page: Vec<Value> = items
        .into_iter()
        .skip(offset)
        .take(top)
        .map(|item| match &selected {
            Some(properties) => odata::select(&item, properties),
            None => item,
        })
        .collect();
    let mut body = json!({"@odata.context": ctx.context_url(context)});
    if count_requested && offset == 0 {
        body["@odata.count"] = json!(total);
    }
    if offset + top < total {
        body["@odata.nextLink"] = json!(next_link(ctx, offset + top));
    }
    body["value"] = Value::Array(page);
    ctx.json(StatusCode::OK, &body)
}

pub(crate) fn next_link(ctx: &Ctx<'_>, offset: usize) -> String {
    let kept: Vec<(String, String)> = ctx
        .request
        .query_pairs()
        .into_iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case("$skiptoken"))
        .collect();
    // Graph writes option names such as `$filter` literally and encodes only the values.
    let encode = |text: &str| percent_encoding::utf8_percent_encode(text, QUERY_VALUE).to_string();
    let mut query: Vec<String> = kept
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect();
    query.push(format!("$skiptoken={}", encode_skip_token(offset)));
    format!(
        "{}{}?{}",
        ctx.sim.origin(),
        ctx.request.path,
        query.join("&")
    )
}

const QUERY_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'$')
    .remove(b'(')
    .remove(b')')
    .remove(b',');

fn encode_skip_token(offset: usize) -> String {
    format!(
        "RFNwdAIAAQAAA{}",
        URL_SAFE_NO_PAD.encode(format!("offset:{offset}"))
    )
}

pub(crate) fn decode_skip_token(token: &str) -> Option<usize> {
    let encoded = token.strip_prefix("RFNwdAIAAQAAA")?;
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(encoded).ok()?).ok()?;
    text.strip_prefix("offset:")?.parse().ok()
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
