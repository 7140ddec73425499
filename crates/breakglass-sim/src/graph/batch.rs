//! JSON batching: `POST /$batch` with up to 20 requests, `dependsOn` ordering,
//! and per-item throttling as Graph applies it.

use std::collections::{HashMap, HashSet};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use serde_json::{Map, Value, json};

use super::{Ctx, route};
use crate::http::SimRequest;
use crate::http::SimResponse;

const MAX_REQUESTS: usize = 20;

pub(crate) fn handle(ctx: &Ctx<'_>) -> Option<SimResponse> {
    let body = match ctx.body() {
        Ok(body) => body,
        Err(error) => return Some(error),
    };
    let Some(requests) = body.get("requests").and_then(Value::as_array) else {
        return Some(ctx.error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "Invalid batch payload format.",
        ));
    };
    if requests.is_empty() || requests.len() > MAX_REQUESTS {
        return Some(ctx.error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            &format!("Number of batch request steps exceeds the maximum of {MAX_REQUESTS}."),
        ));
    }
    let mut seen = HashSet::new();
    for item in requests {
        let id = item.get("id").and_then(Value::as_str).unwrap_or_default();
        if id.is_empty() || !seen.insert(id.to_string()) {
            return Some(ctx.error(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                "Batch request ids must be present and unique.",
            ));
        }
        // A step without its method or url makes the batch malformed (json-batching.md):
        // Graph refuses the whole batch rather than guessing GET or failing one step.
        let text = |name: &str| item.get(name).and_then(Value::as_str).unwrap_or_default();
        if text("method").is_empty() || text("url").is_empty() {
            return Some(ctx.error(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                &format!("Batch request id : {id} must name its method and url."),
            ));
        }
        if item.get("body").is_some_and(|b| !b.is_null())
            && item
                .pointer("/headers/Content-Type")
                .or_else(|| item.pointer("/headers/content-type"))
                .is_none()
        {
            return Some(ctx.error(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                &format!("Write request id : {id} does not contain Content-Type header or body."),
            ));
        }
    }
    let version = ctx.version.as_str();
    let mut statuses: HashMap<String, u16> = HashMap::new();
    let mut responses = Vec::new();
    for item in requests {
        let id = item
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let depends: Vec<String> = item
            .get("dependsOn")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let failed_dependency = depends
            .iter()
            .any(|d| statuses.get(d).is_none_or(|s| !(200..300).contains(s)));
        let response = if failed_dependency {
            json!({"id": id, "status": 424, "headers": {}, "body": {"error": {"code": "FailedDependency", "message": "A dependent request in the batch did not succeed."}}})
        } else {
            run(ctx, version, item)
        };
        statuses.insert(
            id,
            response
                .get("status")
                .and_then(Value::as_u64)
                .unwrap_or(500) as u16,
        );
        responses.push(response);
    }
    Some(ctx.json(StatusCode::OK, &json!({"responses": responses})))
}

fn run(ctx: &Ctx<'_>, version: &str, item: &Value) -> Value {
    let id = item.get("id").and_then(Value::as_str).unwrap_or_default();
    let method = item
        .get("method")
        .and_then(Value::as_str)
        .and_then(|m| Method::from_bytes(m.to_ascii_uppercase().as_bytes()).ok())
        .unwrap_or(Method::GET);
    let url = item.get("url").and_then(Value::as_str).unwrap_or_default();
    let relative = url.trim_start_matches('/');
    let (path, query) = match relative.split_once('?') {
        Some((path, query)) => (path, Some(query.to_string())),
        None => (relative, None),
    };
    let mut headers = HeaderMap::new();
    if let Some(auth) = ctx.request.headers.get("authorization") {
        headers.insert("authorization", auth.clone());
    }
    if let Some(Value::Object(extra)) = item.get("headers") {
        for (name, value) in extra {
            if let (Ok(name), Some(Ok(value))) = (
                http::HeaderName::from_bytes(name.as_bytes()),
                value.as_str().map(HeaderValue::from_str),
            ) {
                headers.insert(name, value);
            }
        }
    }
    let body = item
        .get("body")
        .filter(|b| !b.is_null())
        .map(|b| Bytes::from(b.to_string()))
        .unwrap_or_default();
    let sub_request = SimRequest {
        method: method.clone(),
        path: format!("/{version}/{path}"),
        query,
        headers,
        body,
    };
    // Graph throttles batch items one by one.
    let decision = ctx.sim.faults.decide(method.as_str(), &sub_request.path);
    let response = match decision.respond {
        Some((status, retry_after)) => {
            super::injected_failure(ctx.sim, &sub_request, status, retry_after)
        }
        None => route(ctx.sim, &sub_request),
    };
    let mut response_headers = Map::new();
    for name in ["content-type", "location", "retry-after"] {
        if let Some(value) = response.headers.get(name).and_then(|v| v.to_str().ok()) {
            let key = match name {
                "content-type" => "Content-Type",
                "location" => "Location",
                _ => "Retry-After",
            };
            response_headers.insert(key.into(), Value::String(value.to_string()));
        }
    }
    let mut out =
        json!({"id": id, "status": response.status.as_u16(), "headers": response_headers});
    if let Some(body) = response.body_json() {
        out["body"] = body;
    }
    out
}
