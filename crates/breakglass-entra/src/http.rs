//! The one HTTP client, built from a cloud profile, and the retry loop around it.

use std::error::Error as StdError;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use breakglass_core::CloudProfile;
use breakglass_core::retry::{self, RetryDecision, RetryPolicy};
use reqwest::header::{CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use url::Url;

use crate::error::EntraError;

/// Connection settings.
#[derive(Clone, Debug)]
pub struct HttpOptions {
    /// Whole-request timeout.
    pub timeout: Duration,
    /// TCP + TLS connect timeout.
    pub connect_timeout: Duration,
    /// Retry budget and backoff for every request.
    pub retry: RetryPolicy,
    /// Attempts at most when the server cannot be reached at all.
    pub max_connect_attempts: u32,
    pub user_agent: String,
    allow_plain_http: bool,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            max_connect_attempts: 3,
            user_agent: format!("breakglass/{}", env!("CARGO_PKG_VERSION")),
            allow_plain_http: false,
        }
    }
}

impl HttpOptions {
    /// Sets the total time budget for retries of one request.
    pub fn with_retry_budget(mut self, budget: Duration) -> Self {
        self.retry.budget = budget;
        self
    }

    /// Test-only: accept `http://` endpoints (wiremock). Real profiles must be https.
    #[cfg(test)]
    pub(crate) fn allow_plain_http_for_tests(mut self) -> Self {
        self.allow_plain_http = true;
        self
    }
}

/// One request's attempts so far.
struct Attempt {
    /// 1 for the first attempt.
    number: u32,
    started: Instant,
    idempotent: bool,
}

impl Attempt {
    fn sent(&self, gave_up: bool) -> Sent {
        Sent {
            attempts: self.number,
            elapsed: self.started.elapsed(),
            gave_up,
        }
    }
}

/// What to do with a response: hand it back, or drop it and try again after a delay.
enum AfterResponse {
    Done(reqwest::Response, Sent),
    RetryIn(Duration),
}

/// An HTTP client for one cloud: trusts only the profile's CA when it names one.
#[derive(Clone)]
pub struct HttpClient {
    inner: Arc<Inner>,
}

struct Inner {
    client: reqwest::Client,
    ca_file: Option<PathBuf>,
    options: HttpOptions,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("ca_file", &self.inner.ca_file)
            .field("options", &self.inner.options)
            .finish_non_exhaustive()
    }
}

/// How a response was obtained: attempts made, time taken, whether retries ran out.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Sent {
    pub attempts: u32,
    pub elapsed: Duration,
    /// True when the status was retryable but the budget ran out.
    pub gave_up: bool,
}

impl Sent {
    /// Wraps an error built from this response when retries were exhausted.
    pub fn wrap(&self, url: &str, error: EntraError) -> EntraError {
        if self.gave_up && self.attempts > 1 {
            EntraError::RetriesExhausted {
                url: url.to_string(),
                attempts: self.attempts,
                elapsed: self.elapsed,
                last: Box::new(error),
            }
        } else {
            error
        }
    }
}

impl HttpClient {
    /// Builds the client for `profile`. With `caCertificate` set, only that PEM is trusted.
    pub fn new(profile: &CloudProfile, options: HttpOptions) -> Result<HttpClient, EntraError> {
        for (field, url) in [
            ("authorityHost", &profile.authority_host),
            ("graphEndpoint", &profile.graph_endpoint),
        ] {
            let ok =
                url.scheme() == "https" || (options.allow_plain_http && url.scheme() == "http");
            if !ok {
                return Err(EntraError::Config {
                    message: format!(
                        "the cloud profile `{}` sets {field} to `{url}`, which is not an https URL",
                        profile.name
                    ),
                    hint: Some(
                        "breakglass only talks to the identity platform and Graph over https"
                            .to_string(),
                    ),
                });
            }
        }
        let mut builder = reqwest::Client::builder()
            .user_agent(options.user_agent.clone())
            .timeout(options.timeout)
            .connect_timeout(options.connect_timeout)
            .https_only(!options.allow_plain_http)
            .redirect(reqwest::redirect::Policy::none());
        if let Some(path) = &profile.ca_certificate {
            let pem = std::fs::read(path).map_err(|err| EntraError::Config {
                message: format!("cannot read the CA certificate file {}: {err}", path.display()),
                hint: Some("the cloud profile's caCertificate must name a readable PEM file (relative paths are resolved next to the profile)".to_string()),
            })?;
            let certs =
                reqwest::Certificate::from_pem_bundle(&pem).map_err(|err| EntraError::Config {
                    message: format!(
                        "the CA certificate file {} is not valid PEM: {err}",
                        path.display()
                    ),
                    hint: Some(
                        "it must hold one or more `-----BEGIN CERTIFICATE-----` blocks".to_string(),
                    ),
                })?;
            if certs.is_empty() {
                return Err(EntraError::Config {
                    message: format!(
                        "the CA certificate file {} holds no certificate",
                        path.display()
                    ),
                    hint: Some(
                        "it must hold one or more `-----BEGIN CERTIFICATE-----` blocks".to_string(),
                    ),
                });
            }
            builder = builder.tls_certs_only(certs);
        }
        let client = builder.build().map_err(|err| EntraError::Config {
            message: format!("cannot set up the HTTP client: {}", error_chain(&err)),
            hint: None,
        })?;
        Ok(HttpClient {
            inner: Arc::new(Inner {
                client,
                ca_file: profile.ca_certificate.clone(),
                options,
            }),
        })
    }

    pub fn options(&self) -> &HttpOptions {
        &self.inner.options
    }

    pub(crate) fn check_url(&self, url: &Url) -> Result<(), EntraError> {
        if url.scheme() == "https"
            || (self.inner.options.allow_plain_http && url.scheme() == "http")
        {
            Ok(())
        } else {
            Err(EntraError::Config {
                message: format!("refusing to send a request to `{url}`: not https"),
                hint: None,
            })
        }
    }

    pub(crate) fn request(&self, method: reqwest::Method, url: Url) -> reqwest::RequestBuilder {
        self.inner.client.request(method, url)
    }

    /// Sends `request`, retrying transient failures within the retry budget. A final
    /// non-success status is returned as a response for the caller to turn into an error.
    /// `idempotent` false limits status retries to 429/503 (the server did not process it).
    pub(crate) async fn execute(
        &self,
        request: reqwest::Request,
        idempotent: bool,
    ) -> Result<(reqwest::Response, Sent), EntraError> {
        let url = display_url(request.url());
        let mut attempt = Attempt {
            number: 0,
            started: Instant::now(),
            idempotent,
        };
        loop {
            attempt.number += 1;
            let this = request.try_clone().ok_or_else(|| EntraError::Config {
                message: "internal error: request body cannot be retried".to_string(),
                hint: None,
            })?;
            let delay = match self.inner.client.execute(this).await {
                Ok(response) => match self.after_response(response, &url, &attempt) {
                    AfterResponse::Done(response, sent) => return Ok((response, sent)),
                    AfterResponse::RetryIn(delay) => delay,
                },
                Err(err) => self.after_transport_error(&err, &url, &attempt)?,
            };
            tokio::time::sleep(delay).await;
        }
    }

    /// Returns the response, unless its status is worth another attempt within the budget.
    fn after_response(
        &self,
        response: reqwest::Response,
        url: &str,
        attempt: &Attempt,
    ) -> AfterResponse {
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let decision = retry::classify(status, retry_after.as_deref());
        let allowed = attempt.idempotent || retry::retry_safe_for_non_idempotent(status);
        if !decision.is_retry() || !allowed {
            return AfterResponse::Done(response, attempt.sent(false));
        }
        match self.next_delay(decision, attempt) {
            Some(delay) => {
                tracing::debug!(%url, status, ?delay, attempt = attempt.number, "retrying");
                AfterResponse::RetryIn(delay)
            }
            None => AfterResponse::Done(response, attempt.sent(true)),
        }
    }

    /// How long to wait before trying again after a transport error, or the error to return.
    fn after_transport_error(
        &self,
        err: &reqwest::Error,
        url: &str,
        attempt: &Attempt,
    ) -> Result<Duration, EntraError> {
        let mapped = self.map_transport_error(url, err);
        let retryable = match &mapped {
            // A refused connection is retried a few times only; a connection
            // that timed out or was dropped after the request went out is retried
            // within the budget when repeating the request is harmless.
            EntraError::Unreachable { .. } => {
                if err.is_connect() {
                    attempt.number < self.inner.options.max_connect_attempts
                } else {
                    attempt.idempotent
                }
            }
            _ => false,
        };
        let delay = if retryable {
            self.next_delay(RetryDecision::Backoff, attempt)
        } else {
            None
        };
        match delay {
            Some(delay) => {
                tracing::debug!(%url, ?delay, attempt = attempt.number, "retrying after transport error");
                Ok(delay)
            }
            None if attempt.number > 1 => Err(EntraError::RetriesExhausted {
                url: url.to_string(),
                attempts: attempt.number,
                elapsed: attempt.started.elapsed(),
                last: Box::new(mapped),
            }),
            None => Err(mapped),
        }
    }

    fn next_delay(&self, decision: RetryDecision, attempt: &Attempt) -> Option<Duration> {
        self.inner.options.retry.next_delay(
            decision,
            attempt.number,
            attempt.started.elapsed(),
            jiff::Timestamp::now(),
            rand::random::<f64>(),
        )
    }

    fn map_transport_error(&self, url: &str, err: &reqwest::Error) -> EntraError {
        let detail = error_chain(err);
        if is_certificate_error(err) {
            return EntraError::UntrustedCertificate {
                url: url.to_string(),
                detail,
                ca_file: self.inner.ca_file.clone(),
            };
        }
        EntraError::Unreachable {
            url: url.to_string(),
            detail,
            timed_out: err.is_timeout(),
        }
    }
}

/// The URL as shown in messages: without credentials or fragment.
pub(crate) fn display_url(url: &Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_fragment(None);
    shown.to_string()
}

/// Messages of an error and its causes, joined by ": ", without repeats.
pub(crate) fn error_chain(err: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = current {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = match e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) if e.source().is_none() => Some(inner),
            _ => e.source(),
        };
    }
    parts.join(": ")
}

fn is_certificate_error(err: &reqwest::Error) -> bool {
    let mut current: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = current {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return matches!(
                tls,
                rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented
            );
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && let Some(inner) = io.get_ref()
            && let Some(tls) = inner.downcast_ref::<rustls::Error>()
        {
            return matches!(
                tls,
                rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented
            );
        }
        current = e.source();
    }
    let text = error_chain(err).to_ascii_lowercase();
    text.contains("invalid peer certificate") || text.contains("unknownissuer")
}

/// Whether a response's `Content-Type` is JSON.
pub(crate) fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|ct| ct.to_ascii_lowercase().contains("json"))
        .unwrap_or(false)
}

pub(crate) fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|ct| ct.split(';').next().unwrap_or(ct).trim().to_string())
        .unwrap_or_else(|| "no Content-Type".to_string())
}

/// Reads a whole body; a failure mid-body is a transport error.
pub(crate) async fn read_body(
    url: &str,
    response: reqwest::Response,
) -> Result<(u16, HeaderMap, Vec<u8>), EntraError> {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response
        .bytes()
        .await
        .map_err(|err| EntraError::Unreachable {
            url: url.to_string(),
            detail: format!(
                "the connection broke while reading the answer: {}",
                error_chain(&err)
            ),
            timed_out: err.is_timeout(),
        })?;
    Ok((status, headers, body.to_vec()))
}

/// Checks the body is JSON (or empty); otherwise a [`EntraError::NotJson`].
pub(crate) fn require_json(
    url: &str,
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    token_endpoint: bool,
) -> Result<(), EntraError> {
    if body.iter().all(u8::is_ascii_whitespace) || is_json(headers) {
        return Ok(());
    }
    // Some servers omit the Content-Type on JSON; accept a body that parses.
    if headers.get(CONTENT_TYPE).is_none()
        && serde_json::from_slice::<serde_json::Value>(body).is_ok()
    {
        return Ok(());
    }
    Err(EntraError::NotJson {
        url: url.to_string(),
        status,
        content_type: content_type(headers),
        token_endpoint,
    })
}
