//! Operator sign-in with the device code flow, in two steps so the CLI can show the prompt:
//! [`DeviceCodeFlow::start`] returns what to tell the operator, [`DeviceCodeFlow::poll`]
//! waits for the sign-in to finish.

use std::fmt;
use std::time::Duration;

use breakglass_core::aadsts::{self, DeviceCodePollState};
use breakglass_core::{CloudProfile, TenantId};
use jiff::Timestamp;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

use crate::error::{EntraError, TokenError};
use crate::http::{self, HttpClient};
use crate::token::{AccessToken, TokenAnswer, parse_token_answer, post_form};

const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// The device code flow for a public client application.
#[derive(Clone, Debug)]
pub struct DeviceCodeFlow {
    http: HttpClient,
    device_code_endpoint: Url,
    token_endpoint: Url,
    client_id: String,
    scope: String,
}

/// What to show the operator, and the state needed to poll.
#[derive(Clone)]
pub struct DeviceCodePrompt {
    pub user_code: String,
    pub verification_uri: String,
    /// The text the identity platform suggests showing, e.g. "To sign in, use a web browser…".
    pub message: String,
    pub expires_at: Timestamp,
    /// How often to poll; the server may ask to slow down.
    pub interval: Duration,
    device_code: SecretString,
}

impl fmt::Debug for DeviceCodePrompt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceCodePrompt")
            .field("user_code", &self.user_code)
            .field("verification_uri", &self.verification_uri)
            .field("expires_at", &self.expires_at)
            .field("interval", &self.interval)
            .field("device_code", &"[redacted]")
            .finish()
    }
}

#[derive(Deserialize)]
struct DeviceCodeResponse {
    device_code: SecretString,
    user_code: String,
    verification_uri: String,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
    #[serde(default)]
    interval: Option<serde_json::Value>,
    #[serde(default)]
    message: Option<String>,
}

fn as_u64(value: Option<&serde_json::Value>, default: u64) -> u64 {
    match value {
        Some(serde_json::Value::Number(n)) => n.as_u64().unwrap_or(default),
        Some(serde_json::Value::String(s)) => s.parse().unwrap_or(default),
        _ => default,
    }
}

impl DeviceCodePrompt {
    /// Reads a successful device code answer from `url`. Public because the body is untrusted
    /// server text: the fuzz target and its corpus replay test call it directly.
    pub fn from_response(
        url: &str,
        status: u16,
        body: &[u8],
    ) -> Result<DeviceCodePrompt, EntraError> {
        let parsed: DeviceCodeResponse =
            serde_json::from_slice(body).map_err(|err| EntraError::InvalidResponse {
                url: url.to_string(),
                status,
                detail: format!(
                    "not a device code response (line {} column {})",
                    err.line(),
                    err.column()
                ),
            })?;
        let expires_in = as_u64(parsed.expires_in.as_ref(), 900);
        // Waiting longer than the code lives only delays the "expired" answer; an interval
        // near u64::MAX seconds would make the poll wait for ever.
        let interval = as_u64(parsed.interval.as_ref(), 5).min(expires_in);
        let message = parsed.message.unwrap_or_else(|| {
            format!(
                "To sign in, use a web browser to open the page {} and enter the code {} to authenticate.",
                parsed.verification_uri, parsed.user_code
            )
        });
        Ok(DeviceCodePrompt {
            user_code: parsed.user_code,
            verification_uri: parsed.verification_uri,
            message,
            expires_at: Timestamp::now()
                .checked_add(jiff::SignedDuration::from_secs(
                    i64::try_from(expires_in).unwrap_or(i64::MAX),
                ))
                .unwrap_or(Timestamp::MAX),
            interval: Duration::from_secs(interval),
            device_code: parsed.device_code,
        })
    }
}

impl DeviceCodeFlow {
    /// A flow for the public client `client_id` (e.g.
    /// [`breakglass_core::roles::GRAPH_COMMAND_LINE_TOOLS_APP_ID`]) asking for `scopes`
    /// (space-separated Graph scopes, e.g. `https://graph.microsoft.com/.default`).
    pub fn new(
        http: &HttpClient,
        profile: &CloudProfile,
        tenant: &TenantId,
        client_id: &str,
        scopes: &str,
    ) -> DeviceCodeFlow {
        let tenant = tenant.as_path_segment();
        DeviceCodeFlow {
            http: http.clone(),
            device_code_endpoint: profile.device_code_endpoint(&tenant),
            token_endpoint: profile.token_endpoint(&tenant),
            client_id: client_id.to_string(),
            scope: scopes.to_string(),
        }
    }

    /// Step 1: asks for a device code. Show `prompt.message` to the operator.
    pub async fn start(&self) -> Result<DeviceCodePrompt, EntraError> {
        let form = [
            ("client_id", self.client_id.as_str()),
            ("scope", self.scope.as_str()),
        ];
        let (status, body, sent) = post_form(&self.http, &self.device_code_endpoint, &form).await?;
        let url = http::display_url(&self.device_code_endpoint);
        if !(200..300).contains(&status) {
            return match parse_token_answer(&self.device_code_endpoint, status, &body, &[])? {
                TokenAnswer::Error(error) => Err(sent.wrap(&url, error.into())),
                TokenAnswer::Token(_) => Err(EntraError::InvalidResponse {
                    url,
                    status,
                    detail: "unexpected answer to a device code request".to_string(),
                }),
            };
        }
        DeviceCodePrompt::from_response(&url, status, &body)
    }

    /// Step 2: polls the token endpoint until the operator finishes signing in, the code
    /// expires, or the sign-in is declined.
    pub async fn poll(&self, prompt: &DeviceCodePrompt) -> Result<AccessToken, EntraError> {
        let mut interval = prompt.interval;
        let url = http::display_url(&self.token_endpoint);
        loop {
            tokio::time::sleep(interval).await;
            let form = [
                ("grant_type", DEVICE_CODE_GRANT),
                ("client_id", self.client_id.as_str()),
                ("device_code", prompt.device_code.expose_secret()),
            ];
            let (status, body, sent) = post_form(&self.http, &self.token_endpoint, &form).await?;
            let scrub = [prompt.device_code.expose_secret()];
            let error = match parse_token_answer(&self.token_endpoint, status, &body, &scrub)? {
                TokenAnswer::Token(token) => return Ok(token),
                TokenAnswer::Error(error) => error,
            };
            match aadsts::device_code_poll_state(&error.error) {
                DeviceCodePollState::Pending => {}
                DeviceCodePollState::SlowDown => {
                    interval = interval.saturating_add(Duration::from_secs(5))
                }
                _ => return Err(sent.wrap(&url, error.into())),
            }
            if Timestamp::now() >= prompt.expires_at {
                return Err(TokenError {
                    endpoint: url,
                    status,
                    error: "expired_token".to_string(),
                    description: "AADSTS70020: the device code expired before sign-in finished"
                        .to_string(),
                    error_codes: vec![70020],
                    timestamp: None,
                    trace_id: None,
                    correlation_id: None,
                }
                .into());
            }
        }
    }
}
