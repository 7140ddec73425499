//! A minimal Azure Resource Manager client: JSON GET, PUT and DELETE of one resource id, and
//! lists followed through `nextLink`, with
//! an api-version, answering every status to the caller (Resource Manager's 404 is an answer
//! `monitor status` reports, not a failure).

use std::sync::Arc;

use reqwest::Method;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use secrecy::ExposeSecret;
use serde_json::Value;
use url::Url;

use crate::error::EntraError;
use crate::http::{self, HttpClient};
use crate::token::TokenProvider;

/// A Resource Manager answer: the status and the JSON body (`null` when empty or not JSON).
#[derive(Clone, Debug)]
pub struct ArmResponse {
    pub status: u16,
    pub body: Value,
}

impl ArmResponse {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// `error.code` of a failure body.
    pub fn error_code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or_default()
    }

    /// `error.message` of a failure body.
    pub fn error_message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or_default()
    }
}

/// A bound on the pages one list follows, so a server that loops its `nextLink` cannot keep
/// the client forever.
const MAX_PAGES: usize = 1000;

/// A client of one cloud's Resource Manager. Cheap to clone.
#[derive(Clone)]
pub struct ArmClient {
    http: HttpClient,
    base: Url,
    tokens: Arc<dyn TokenProvider>,
}

impl std::fmt::Debug for ArmClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArmClient")
            .field("base", &self.base.as_str())
            .finish_non_exhaustive()
    }
}

impl ArmClient {
    /// A client for the Resource Manager at `base` (e.g. `https://management.azure.com`).
    pub fn new(http: HttpClient, base: Url, tokens: Arc<dyn TokenProvider>) -> ArmClient {
        ArmClient { http, base, tokens }
    }

    /// `{base}{resource_id}?api-version={api_version}`.
    pub fn url(&self, resource_id: &str, api_version: &str) -> Result<Url, EntraError> {
        let mut url = self
            .base
            .join(resource_id.trim_start_matches('/'))
            .map_err(|err| EntraError::Config {
                message: format!("`{resource_id}` is not a valid resource id: {err}"),
                hint: None,
            })?;
        url.query_pairs_mut()
            .clear()
            .append_pair("api-version", api_version);
        Ok(url)
    }

    pub async fn get(
        &self,
        resource_id: &str,
        api_version: &str,
    ) -> Result<ArmResponse, EntraError> {
        self.send(Method::GET, resource_id, api_version, None).await
    }

    pub async fn put(
        &self,
        resource_id: &str,
        api_version: &str,
        body: &Value,
    ) -> Result<ArmResponse, EntraError> {
        self.send(Method::PUT, resource_id, api_version, Some(body))
            .await
    }

    pub async fn delete(
        &self,
        resource_id: &str,
        api_version: &str,
    ) -> Result<ArmResponse, EntraError> {
        self.send(Method::DELETE, resource_id, api_version, None)
            .await
    }

    /// Every item of a Resource Manager list (`value`), following `nextLink`; the first
    /// refused page is returned as the answer instead, for the caller to judge (a 403 is a
    /// fact the audit reports, not a failure).
    pub async fn list(
        &self,
        resource_id: &str,
        api_version: &str,
        filter: Option<&str>,
    ) -> Result<Result<Vec<Value>, ArmResponse>, EntraError> {
        let mut url = self.url(resource_id, api_version)?;
        if let Some(filter) = filter {
            url.query_pairs_mut().append_pair("$filter", filter);
        }
        let mut items = Vec::new();
        for _ in 0..MAX_PAGES {
            let page = self.send_url(Method::GET, url.clone(), None).await?;
            if !page.is_success() {
                return Ok(Err(page));
            }
            if let Some(value) = page.body["value"].as_array() {
                items.extend(value.iter().cloned());
            }
            match page.body["nextLink"].as_str().filter(|l| !l.is_empty()) {
                None => return Ok(Ok(items)),
                Some(next) => url = self.next_link(next)?,
            }
        }
        Err(EntraError::Config {
            message: format!(
                "Resource Manager listed more than {MAX_PAGES} pages of {resource_id}; stopped"
            ),
            hint: None,
        })
    }

    /// A `nextLink`, accepted only on this Resource Manager's origin: the bearer token goes
    /// with it.
    fn next_link(&self, next: &str) -> Result<Url, EntraError> {
        let url = Url::parse(next).map_err(|err| EntraError::Config {
            message: format!("Resource Manager answered a nextLink that is not a URL: {err}"),
            hint: None,
        })?;
        if url.origin() != self.base.origin() {
            return Err(EntraError::Config {
                message: format!(
                    "Resource Manager answered a nextLink on another host ({}); not followed",
                    http::display_url(&url)
                ),
                hint: None,
            });
        }
        Ok(url)
    }

    async fn send(
        &self,
        method: Method,
        resource_id: &str,
        api_version: &str,
        body: Option<&Value>,
    ) -> Result<ArmResponse, EntraError> {
        let url = self.url(resource_id, api_version)?;
        self.send_url(method, url, body).await
    }

    async fn send_url(
        &self,
        method: Method,
        url: Url,
        body: Option<&Value>,
    ) -> Result<ArmResponse, EntraError> {
        self.http.check_url(&url)?;
        let shown = http::display_url(&url);
        let bytes = body
            .map(serde_json::to_vec)
            .transpose()
            .map_err(|err| EntraError::Config {
                message: format!("cannot encode the request body: {err}"),
                hint: None,
            })?;
        let mut refreshed = false;
        loop {
            let token = self.tokens.token().await?;
            let mut builder = self
                .http
                .request(method.clone(), url.clone())
                .header(
                    AUTHORIZATION,
                    format!("Bearer {}", token.secret().expose_secret()),
                )
                .header(ACCEPT, "application/json");
            if let Some(bytes) = &bytes {
                builder = builder
                    .header(CONTENT_TYPE, "application/json")
                    .body(bytes.clone());
            }
            let request = builder.build().map_err(|err| EntraError::Config {
                message: format!(
                    "cannot build the request to {shown}: {}",
                    http::error_chain(&err)
                ),
                hint: None,
            })?;
            // PUT and DELETE of a whole resource are idempotent in Resource Manager.
            let (response, sent) = self.http.execute(request, true).await?;
            let (status, headers, body) = http::read_body(&shown, response).await?;
            if status == 401 && !refreshed && self.tokens.invalidate() {
                refreshed = true;
                continue;
            }
            if !body.iter().all(u8::is_ascii_whitespace) {
                http::require_json(&shown, status, &headers, &body, false)
                    .map_err(|err| sent.wrap(&shown, err))?;
            }
            let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
            return Ok(ArmResponse { status, body });
        }
    }
}
