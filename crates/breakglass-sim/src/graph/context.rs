//! What every Graph handler answers with: the request's context (caller, ids, version)
//! and Graph's error and header shapes. Below the handlers and the listing code, which
//! both use it.

use http::StatusCode;
use serde_json::{Value, json};

use crate::Simulator;
use crate::clock::graph_time;
use crate::http::{SimRequest, SimResponse};
use crate::identity::Caller;
use crate::state::{DirObject, Tenant};
use breakglass_core::roles as builtin;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Version {
    V1,
    Beta,
}

impl Version {
    pub(crate) fn as_str(self) -> &'static str {
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
