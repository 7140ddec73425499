//! Microsoft Graph: the client, the query builder, paging, `$batch` and replication retries.

pub mod app_management;
pub mod auth_methods;
mod batch;
pub mod delegation;
pub mod fido2;
pub mod filters;
pub mod log_record;
pub mod models;
mod query;
mod replication;
mod requests;
pub mod role_policies;

use std::sync::Arc;

use breakglass_core::CloudProfile;
use breakglass_core::cloud::GraphVersion;
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use reqwest::Method;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap};
use secrecy::ExposeSecret;
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

pub use batch::{BatchRequest, BatchResponse};
pub use query::{Query, odata_string, path_segment};
pub use replication::{ReplicationPolicy, retry_while_replicating};
pub use requests::{DeletedItemKind, Owned};

use crate::error::{EntraError, GraphError};
use crate::http::{self, HttpClient};
use crate::token::TokenProvider;

/// A Microsoft Graph client for one cloud and one identity. Cheap to clone.
#[derive(Clone)]
pub struct GraphClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: HttpClient,
    v1: Url,
    beta: Url,
    tokens: Arc<dyn TokenProvider>,
}

impl std::fmt::Debug for GraphClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GraphClient")
            .field("v1", &self.inner.v1.as_str())
            .field("beta", &self.inner.beta.as_str())
            .finish_non_exhaustive()
    }
}

/// One page of a collection.
#[derive(Clone, Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// `@odata.count`, present on the first page when `$count=true` was asked.
    pub count: Option<u64>,
    pub next_link: Option<Url>,
}

#[derive(serde::Deserialize)]
struct PageWire<T> {
    #[serde(default = "Vec::new")]
    value: Vec<T>,
    #[serde(rename = "@odata.nextLink", default)]
    next_link: Option<String>,
    #[serde(rename = "@odata.count", default)]
    count: Option<u64>,
}

/// A raw Graph answer (success statuses only).
#[derive(Clone, Debug)]
pub struct GraphResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl GraphResponse {
    /// The body as JSON; `null` when empty (`204 No Content`).
    pub fn json<T: DeserializeOwned>(&self, url: &str) -> Result<T, EntraError> {
        let body: &[u8] = if self.body.iter().all(u8::is_ascii_whitespace) {
            b"null"
        } else {
            &self.body
        };
        let invalid = |err: serde_json::Error| EntraError::InvalidResponse {
            url: url.to_string(),
            status: self.status,
            detail: err.to_string(),
        };
        let mut value: serde_json::Value = serde_json::from_slice(body).map_err(invalid)?;
        drop_nulls(&mut value);
        serde_json::from_value(value).map_err(invalid)
    }

    /// The body as one page of a collection. Public because the body is untrusted server
    /// text: the fuzz target and its corpus replay test call it directly.
    pub fn page<T: DeserializeOwned>(&self, url: &str) -> Result<Page<T>, EntraError> {
        let wire: PageWire<T> = self.json(url)?;
        let next_link = wire
            .next_link
            .map(|link| {
                Url::parse(&link).map_err(|err| EntraError::InvalidResponse {
                    url: url.to_string(),
                    status: self.status,
                    detail: format!("@odata.nextLink is not a URL: {err}"),
                })
            })
            .transpose()?;
        Ok(Page {
            items: wire.value,
            count: wire.count,
            next_link,
        })
    }
}

/// Graph may send `null` for a property it has no value for, where its schema promises an
/// array or a string; a missing property and a null one read the same, as the default.
fn drop_nulls(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(drop_nulls);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

impl GraphClient {
    /// A client for `profile`'s Graph, authenticating with `tokens`.
    pub fn new(
        http: HttpClient,
        profile: &CloudProfile,
        tokens: Arc<dyn TokenProvider>,
    ) -> GraphClient {
        GraphClient {
            inner: Arc::new(Inner {
                http,
                v1: profile.graph_base(GraphVersion::V1),
                beta: profile.graph_base(GraphVersion::Beta),
                tokens,
            }),
        }
    }

    pub fn base(&self, version: GraphVersion) -> &Url {
        match version {
            GraphVersion::V1 => &self.inner.v1,
            GraphVersion::Beta => &self.inner.beta,
        }
    }

    pub fn http(&self) -> &HttpClient {
        &self.inner.http
    }

    /// `{base}/{path}` with the query applied. `path` is relative (`users/{id}`); encode
    /// user-supplied segments with [`path_segment`].
    pub fn url(&self, version: GraphVersion, path: &str, query: &Query) -> Result<Url, EntraError> {
        let base = self.base(version);
        let mut url =
            base.join(path.trim_start_matches('/'))
                .map_err(|err| EntraError::Config {
                    message: format!("`{path}` is not a valid Graph path: {err}"),
                    hint: None,
                })?;
        query.apply_to(&mut url);
        Ok(url)
    }

    /// Refuses to send the token anywhere but this cloud's Graph host (a nextLink could
    /// point elsewhere).
    fn check_same_host(&self, url: &Url) -> Result<(), EntraError> {
        let base = &self.inner.v1;
        if url.scheme() == base.scheme()
            && url.host_str() == base.host_str()
            && url.port_or_known_default() == base.port_or_known_default()
        {
            self.inner.http.check_url(url)
        } else {
            Err(EntraError::Config {
                message: format!(
                    "refusing to send the Graph token to `{}`, which is not this cloud's Graph host {}",
                    http::display_url(url),
                    base.host_str().unwrap_or_default()
                ),
                hint: Some("check the cloud profile's graphEndpoint".to_string()),
            })
        }
    }

    /// Sends one Graph request with retries; a failure status becomes a [`GraphError`].
    pub async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<&serde_json::Value>,
        eventual_consistency: bool,
    ) -> Result<GraphResponse, EntraError> {
        self.check_same_host(&url)?;
        let shown = http::display_url(&url);
        let body_bytes =
            body.map(serde_json::to_vec)
                .transpose()
                .map_err(|err| EntraError::Config {
                    message: format!("cannot encode the request body: {err}"),
                    hint: None,
                })?;
        let idempotent = method != Method::POST;
        let client_request_id = uuid::Uuid::new_v4().to_string();
        let mut refreshed = false;
        loop {
            let token = self.inner.tokens.token().await?;
            let mut builder = self
                .inner
                .http
                .request(method.clone(), url.clone())
                .header(
                    AUTHORIZATION,
                    format!("Bearer {}", token.secret().expose_secret()),
                )
                .header(ACCEPT, "application/json")
                .header("client-request-id", &client_request_id);
            if eventual_consistency {
                builder = builder.header("ConsistencyLevel", "eventual");
            }
            if let Some(bytes) = &body_bytes {
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
            let (response, sent) = self.inner.http.execute(request, idempotent).await?;
            let (status, headers, bytes) = http::read_body(&shown, response).await?;
            if status == 401 && !refreshed && self.inner.tokens.invalidate() {
                refreshed = true;
                continue;
            }
            http::require_json(&shown, status, &headers, &bytes, false)
                .map_err(|err| sent.wrap(&shown, err))?;
            if !(200..300).contains(&status) {
                let error = graph_error(method.as_str(), &shown, status, &headers, &bytes);
                return Err(sent.wrap(&shown, error.into()));
            }
            return Ok(GraphResponse {
                status,
                headers,
                body: bytes,
            });
        }
    }

    /// GET a JSON document.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        version: GraphVersion,
        path: &str,
        query: &Query,
    ) -> Result<T, EntraError> {
        let url = self.url(version, path, query)?;
        let shown = http::display_url(&url);
        self.send(Method::GET, url, None, query.needs_eventual_consistency())
            .await?
            .json(&shown)
    }

    /// GET a JSON document with the answer's `Date` header: the service's own clock, for
    /// judging expiry by the tenant's time rather than this machine's.
    pub async fn get_json_dated<T: DeserializeOwned>(
        &self,
        version: GraphVersion,
        path: &str,
        query: &Query,
    ) -> Result<(T, Option<String>), EntraError> {
        let url = self.url(version, path, query)?;
        let shown = http::display_url(&url);
        let response = self
            .send(Method::GET, url, None, query.needs_eventual_consistency())
            .await?;
        let date = header(&response.headers, "date");
        Ok((response.json(&shown)?, date))
    }

    /// POST a JSON body, reading a JSON answer.
    pub async fn post_json<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        version: GraphVersion,
        path: &str,
        body: &B,
    ) -> Result<T, EntraError> {
        let url = self.url(version, path, &Query::new())?;
        let shown = http::display_url(&url);
        let body = to_value(body)?;
        self.send(Method::POST, url, Some(&body), false)
            .await?
            .json(&shown)
    }

    /// POST a JSON body (or none), ignoring the answer (`204 No Content`).
    pub async fn post_no_content<B: Serialize + ?Sized>(
        &self,
        version: GraphVersion,
        path: &str,
        body: Option<&B>,
    ) -> Result<(), EntraError> {
        let url = self.url(version, path, &Query::new())?;
        let body = body.map(to_value).transpose()?;
        self.send(Method::POST, url, body.as_ref(), false).await?;
        Ok(())
    }

    /// PATCH with a JSON body (`204 No Content`).
    pub async fn patch_json<B: Serialize + ?Sized>(
        &self,
        version: GraphVersion,
        path: &str,
        body: &B,
    ) -> Result<(), EntraError> {
        let url = self.url(version, path, &Query::new())?;
        let body = to_value(body)?;
        self.send(Method::PATCH, url, Some(&body), false).await?;
        Ok(())
    }

    /// DELETE (`204 No Content`).
    pub async fn delete(&self, version: GraphVersion, path: &str) -> Result<(), EntraError> {
        let url = self.url(version, path, &Query::new())?;
        self.send(Method::DELETE, url, None, false).await?;
        Ok(())
    }

    /// Pages of a collection, following `@odata.nextLink` lazily. The `ConsistencyLevel`
    /// header is sent on every page when the query needs it.
    pub fn pages<T: DeserializeOwned + Send + 'static>(
        &self,
        version: GraphVersion,
        path: &str,
        query: &Query,
    ) -> BoxStream<'static, Result<Page<T>, EntraError>> {
        let first = match self.url(version, path, query) {
            Ok(url) => url,
            Err(err) => return stream::once(async move { Err(err) }).boxed(),
        };
        self.pages_from(first, query.needs_eventual_consistency())
    }

    /// Pages starting from a full URL (a saved nextLink, for one).
    pub fn pages_from<T: DeserializeOwned + Send + 'static>(
        &self,
        first: Url,
        eventual_consistency: bool,
    ) -> BoxStream<'static, Result<Page<T>, EntraError>> {
        let client = self.clone();
        stream::try_unfold(Some(first), move |next| {
            let client = client.clone();
            async move {
                let Some(url) = next else {
                    return Ok(None);
                };
                let shown = http::display_url(&url);
                let response = client
                    .send(Method::GET, url, None, eventual_consistency)
                    .await?;
                let page: Page<T> = response.page(&shown)?;
                let next_link = page.next_link.clone();
                Ok(Some((page, next_link)))
            }
        })
        .boxed()
    }

    /// Items of a collection across all pages, as a stream.
    pub fn list_json<T: DeserializeOwned + Send + 'static>(
        &self,
        version: GraphVersion,
        path: &str,
        query: &Query,
    ) -> BoxStream<'static, Result<T, EntraError>> {
        self.pages(version, path, query)
            .map_ok(|page| stream::iter(page.items.into_iter().map(Ok)))
            .try_flatten()
            .boxed()
    }

    /// All items of a collection across all pages, with the first answer's `Date` header
    /// (the tenant's clock, as [`GraphClient::get_json_dated`]).
    pub async fn list_all_dated<T: DeserializeOwned + Send + 'static>(
        &self,
        version: GraphVersion,
        path: &str,
        query: &Query,
    ) -> Result<(Vec<T>, Option<String>), EntraError> {
        let (first, date): (PageWire<T>, _) = self.get_json_dated(version, path, query).await?;
        let mut items = first.value;
        if let Some(next) = first.next_link {
            let url = Url::parse(&next).map_err(|err| EntraError::InvalidResponse {
                url: path.to_string(),
                status: 200,
                detail: format!("@odata.nextLink is not a URL: {err}"),
            })?;
            let pages: Vec<Page<T>> = self
                .pages_from(url, query.needs_eventual_consistency())
                .try_collect()
                .await?;
            items.extend(pages.into_iter().flat_map(|page| page.items));
        }
        Ok((items, date))
    }

    /// All items of a collection across all pages.
    pub async fn list_all<T: DeserializeOwned + Send + 'static>(
        &self,
        version: GraphVersion,
        path: &str,
        query: &Query,
    ) -> Result<Vec<T>, EntraError> {
        self.list_json(version, path, query).try_collect().await
    }
}

fn to_value<B: Serialize + ?Sized>(body: &B) -> Result<serde_json::Value, EntraError> {
    serde_json::to_value(body).map_err(|err| EntraError::Config {
        message: format!("cannot encode the request body: {err}"),
        hint: None,
    })
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ErrorEnvelope {
    error: ErrorBody,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ErrorBody {
    code: String,
    message: String,
    #[serde(rename = "innerError", alias = "innererror")]
    inner_error: Option<InnerError>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct InnerError {
    date: Option<String>,
    #[serde(rename = "request-id")]
    request_id: Option<String>,
    #[serde(rename = "client-request-id")]
    client_request_id: Option<String>,
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// Builds a [`GraphError`] from a failure answer. Public because the body is untrusted server
/// text: the fuzz target and its corpus replay test call it directly.
pub fn graph_error(
    method: &str,
    url: &str,
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
) -> GraphError {
    let envelope: ErrorEnvelope = serde_json::from_slice(body).unwrap_or_default();
    graph_error_from_parts(
        method,
        url,
        status,
        envelope,
        header(headers, "request-id"),
        header(headers, "client-request-id"),
        header(headers, "date"),
    )
}

fn graph_error_from_parts(
    method: &str,
    url: &str,
    status: u16,
    envelope: ErrorEnvelope,
    request_id: Option<String>,
    client_request_id: Option<String>,
    date: Option<String>,
) -> GraphError {
    let inner = envelope.error.inner_error.unwrap_or_default();
    let message = if envelope.error.message.is_empty() {
        reqwest::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or_default()
            .to_string()
    } else {
        envelope.error.message
    };
    let mut error = GraphError::new(method, url, status, envelope.error.code, message);
    error.request_id = inner.request_id.or(request_id);
    error.client_request_id = inner.client_request_id.or(client_request_id);
    error.date = inner.date.or(date);
    error
}
