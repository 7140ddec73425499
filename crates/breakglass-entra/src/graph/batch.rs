//! JSON `$batch`: up to 20 requests per call, answers mapped back by id, throttled items
//! retried after their `Retry-After`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use breakglass_core::cloud::GraphVersion;
use breakglass_core::retry;
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{ErrorEnvelope, GraphClient, GraphResponse, Query, graph_error_from_parts};
use crate::error::{EntraError, GraphError};
use crate::http;

/// Graph's limit of requests in one `$batch`.
pub const MAX_BATCH: usize = 20;

/// One request inside a `$batch`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BatchRequest {
    pub id: String,
    pub method: String,
    /// Relative to the version, e.g. `/users/{id}?$select=id`.
    pub url: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<serde_json::Value>,
}

impl BatchRequest {
    pub fn new(id: impl Into<String>, method: &str, url: impl Into<String>) -> BatchRequest {
        let url = url.into();
        BatchRequest {
            id: id.into(),
            method: method.to_ascii_uppercase(),
            url: if url.starts_with('/') {
                url
            } else {
                format!("/{url}")
            },
            headers: BTreeMap::new(),
            body: None,
        }
    }

    pub fn get(id: impl Into<String>, url: impl Into<String>) -> BatchRequest {
        BatchRequest::new(id, "GET", url)
    }

    /// Adds a JSON body (and the `Content-Type` Graph requires with it).
    pub fn with_body(mut self, body: serde_json::Value) -> BatchRequest {
        self.headers
            .insert("Content-Type".to_string(), "application/json".to_string());
        self.body = Some(body);
        self
    }

    pub fn with_header(
        mut self,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> BatchRequest {
        self.headers.insert(name.into(), value.into());
        self
    }
}

/// One answer inside a `$batch` reply.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct BatchResponse {
    pub id: String,
    pub status: u16,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub body: Option<serde_json::Value>,
    /// The request it answers (method and relative URL), for error messages.
    #[serde(skip)]
    pub request: Option<(String, String)>,
}

impl BatchResponse {
    /// The answers in a `$batch` reply from `url`. Public because the body is untrusted server
    /// text: the fuzz target and its corpus replay test call it directly.
    pub fn from_reply(reply: &GraphResponse, url: &str) -> Result<Vec<BatchResponse>, EntraError> {
        Ok(reply.json::<BatchReply>(url)?.responses)
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// A header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The body as `T` on success, else the Graph error.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, EntraError> {
        if let Some(error) = self.error() {
            return Err(error.into());
        }
        let body = self.body.clone().unwrap_or(serde_json::Value::Null);
        serde_json::from_value(body).map_err(|err| EntraError::InvalidResponse {
            url: self.request_url(),
            status: self.status,
            detail: err.to_string(),
        })
    }

    fn request_url(&self) -> String {
        self.request
            .as_ref()
            .map(|(_, url)| url.clone())
            .unwrap_or_else(|| format!("$batch item {}", self.id))
    }

    /// The Graph error for a failed item.
    pub fn error(&self) -> Option<GraphError> {
        if self.is_success() {
            return None;
        }
        let envelope: ErrorEnvelope = self
            .body
            .clone()
            .and_then(|body| serde_json::from_value(body).ok())
            .unwrap_or_default();
        let method = self
            .request
            .as_ref()
            .map(|(method, _)| method.clone())
            .unwrap_or_else(|| "GET".to_string());
        Some(graph_error_from_parts(
            &method,
            &self.request_url(),
            self.status,
            envelope,
            self.header("request-id").map(str::to_string),
            self.header("client-request-id").map(str::to_string),
            self.header("date").map(str::to_string),
        ))
    }
}

#[derive(Serialize)]
struct BatchBody<'a> {
    requests: &'a [BatchRequest],
}

#[derive(Deserialize)]
struct BatchReply {
    #[serde(default)]
    responses: Vec<BatchResponse>,
}

impl GraphClient {
    /// Sends `requests` as JSON batches of at most 20, retrying items answered `429` (or
    /// `503`/`504` for GETs) after their `Retry-After` within the retry budget. Returns one
    /// answer per request, in the order given; an item still throttled when the budget runs
    /// out is returned with its `429`.
    pub async fn batch(
        &self,
        version: GraphVersion,
        requests: Vec<BatchRequest>,
    ) -> Result<Vec<BatchResponse>, EntraError> {
        let mut seen = HashSet::new();
        for request in &requests {
            if !seen.insert(request.id.as_str()) {
                return Err(EntraError::Config {
                    message: format!("the $batch request id `{}` is used twice", request.id),
                    hint: None,
                });
            }
        }
        let policy = self.http().options().retry;
        let started = Instant::now();
        let url = self.url(version, "$batch", &Query::new())?;
        let shown = http::display_url(&url);
        let mut answers: HashMap<String, BatchResponse> = HashMap::new();
        let mut pending: Vec<BatchRequest> = requests.clone();
        let mut round: u32 = 0;
        while !pending.is_empty() {
            round += 1;
            let mut throttled = Vec::new();
            let mut wait = Duration::ZERO;
            for chunk in pending.chunks(MAX_BATCH) {
                let body = serde_json::to_value(BatchBody { requests: chunk }).map_err(|err| {
                    EntraError::Config {
                        message: format!("cannot encode the $batch body: {err}"),
                        hint: None,
                    }
                })?;
                let responses = BatchResponse::from_reply(
                    &self
                        .send(Method::POST, url.clone(), Some(&body), false)
                        .await?,
                    &shown,
                )?;
                let by_id: HashMap<&str, &BatchRequest> =
                    chunk.iter().map(|r| (r.id.as_str(), r)).collect();
                for mut response in responses {
                    let Some(request) = by_id.get(response.id.as_str()) else {
                        continue;
                    };
                    response.request = Some((request.method.clone(), request.url.clone()));
                    let decision = retry::classify(response.status, response.header("Retry-After"));
                    let may_retry = decision.is_retry()
                        && (request.method == "GET"
                            || retry::retry_safe_for_non_idempotent(response.status));
                    if may_retry
                        && let Some(delay) = policy.next_delay(
                            decision,
                            round,
                            started.elapsed(),
                            jiff::Timestamp::now(),
                            rand::random::<f64>(),
                        )
                    {
                        wait = wait.max(delay);
                        throttled.push((*request).clone());
                    }
                    answers.insert(response.id.clone(), response);
                }
                for request in chunk {
                    if !answers.contains_key(&request.id) {
                        return Err(EntraError::InvalidResponse {
                            url: shown.clone(),
                            status: 200,
                            detail: format!(
                                "the $batch reply has no answer for request id `{}`",
                                request.id
                            ),
                        });
                    }
                }
            }
            if throttled.is_empty() {
                break;
            }
            if started.elapsed() + wait > policy.budget {
                break;
            }
            tracing::debug!(
                count = throttled.len(),
                ?wait,
                "retrying throttled $batch items"
            );
            tokio::time::sleep(wait).await;
            pending = throttled;
        }
        Ok(requests
            .iter()
            .filter_map(|request| answers.remove(&request.id))
            .collect())
    }
}
