//! Access tokens, their claims, and the client credentials grant.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use breakglass_core::{CloudProfile, TenantId, aadsts};
use futures::future::BoxFuture;
use jiff::Timestamp;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;
use zeroize::Zeroizing;

use crate::credential::ClientCredential;
use crate::error::{EntraError, TokenError};
use crate::http::{self, HttpClient};

/// A bearer token for Microsoft Graph. `Debug` never shows the token.
#[derive(Clone)]
pub struct AccessToken {
    secret: SecretString,
    pub expires_on: Timestamp,
    pub token_type: String,
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("secret", &"[redacted]")
            .field("expires_on", &self.expires_on)
            .field("token_type", &self.token_type)
            .finish()
    }
}

impl AccessToken {
    pub fn new(secret: SecretString, expires_on: Timestamp, token_type: impl Into<String>) -> Self {
        AccessToken {
            secret,
            expires_on,
            token_type: token_type.into(),
        }
    }

    /// A token handed in as text (from stdin or a file): trims whitespace and a leading
    /// `Bearer `, and takes the expiry from the token's `exp` claim.
    pub fn from_handed_in(text: &str) -> Result<AccessToken, EntraError> {
        let trimmed = text.trim();
        let raw = trimmed
            .strip_prefix("Bearer ")
            .or_else(|| trimmed.strip_prefix("bearer "))
            .unwrap_or(trimmed)
            .trim();
        if raw.is_empty() {
            return Err(EntraError::InvalidToken(
                "no token was handed in".to_string(),
            ));
        }
        let claims = decode_claims(raw)?;
        let expires_on = claims
            .exp
            .and_then(|exp| Timestamp::from_second(exp).ok())
            .ok_or_else(|| {
                EntraError::InvalidToken("the token carries no `exp` (expiry) claim".to_string())
            })?;
        Ok(AccessToken::new(
            SecretString::from(raw.to_string()),
            expires_on,
            "Bearer",
        ))
    }

    /// The token itself, for the `Authorization` header.
    pub fn secret(&self) -> &SecretString {
        &self.secret
    }

    /// Whether the token expires within `margin` from now.
    pub fn expires_within(&self, margin: Duration) -> bool {
        let margin = jiff::SignedDuration::try_from(margin).unwrap_or(jiff::SignedDuration::MAX);
        match Timestamp::now().checked_add(margin) {
            Ok(later) => later >= self.expires_on,
            Err(_) => true,
        }
    }

    pub fn is_expired(&self) -> bool {
        self.expires_within(Duration::ZERO)
    }

    /// The token's claims, decoded without verifying the signature (Graph tokens cannot be
    /// verified by clients; the claims are for showing who is signed in).
    pub fn claims(&self) -> Result<TokenClaims, EntraError> {
        TokenClaims::from_jwt(self.secret.expose_secret())
    }
}

/// The claims breakglass shows about the signed-in identity.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(default)]
pub struct TokenClaims {
    pub aud: Option<String>,
    pub iss: Option<String>,
    /// Tenant id.
    pub tid: Option<String>,
    /// Object id of the user or service principal.
    pub oid: Option<String>,
    pub sub: Option<String>,
    /// Client id of the application (v1.0 tokens).
    pub appid: Option<String>,
    /// Client id of the application (v2.0 tokens).
    pub azp: Option<String>,
    pub app_displayname: Option<String>,
    /// `app` for app-only tokens, `user` for delegated ones.
    pub idtyp: Option<String>,
    /// Application permissions granted (app-only).
    pub roles: Vec<String>,
    /// Directory role template ids held.
    pub wids: Vec<String>,
    /// Delegated scopes, space separated.
    pub scp: Option<String>,
    pub upn: Option<String>,
    pub unique_name: Option<String>,
    pub preferred_username: Option<String>,
    pub name: Option<String>,
    pub exp: Option<i64>,
    pub iat: Option<i64>,
    pub nbf: Option<i64>,
}

impl TokenClaims {
    /// The claims of a JWT, decoded without verifying its signature.
    pub fn from_jwt(raw: &str) -> Result<TokenClaims, EntraError> {
        decode_claims(raw)
    }

    /// Whether the token is an application's own (no signed-in user).
    pub fn is_app_only(&self) -> bool {
        match self.idtyp.as_deref() {
            Some(kind) => kind.eq_ignore_ascii_case("app"),
            None => self.scp.is_none() && self.upn.is_none(),
        }
    }

    /// The application (client) id, from `appid` or `azp`.
    pub fn client_id(&self) -> Option<&str> {
        self.appid.as_deref().or(self.azp.as_deref())
    }

    /// The delegated scopes as a list.
    pub fn scopes(&self) -> Vec<&str> {
        self.scp
            .as_deref()
            .map(|s| s.split_whitespace().collect())
            .unwrap_or_default()
    }

    /// The signed-in user's name, if delegated.
    pub fn user(&self) -> Option<&str> {
        self.upn
            .as_deref()
            .or(self.preferred_username.as_deref())
            .or(self.unique_name.as_deref())
    }
}

fn decode_claims(raw: &str) -> Result<TokenClaims, EntraError> {
    let mut parts = raw.split('.');
    let (Some(_header), Some(payload), Some(_signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(EntraError::InvalidToken(
            "it is not a JWT (expected three dot-separated parts)".to_string(),
        ));
    };
    let json = Zeroizing::new(
        URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .map_err(|_| EntraError::InvalidToken("its payload is not base64url".to_string()))?,
    );
    serde_json::from_slice(&json)
        .map_err(|err| EntraError::InvalidToken(format!("its payload is not JSON claims: {err}")))
}

/// Where a Graph client gets its bearer token.
pub trait TokenProvider: Send + Sync {
    /// A token valid for at least a few minutes.
    fn token(&self) -> BoxFuture<'_, Result<AccessToken, EntraError>>;

    /// Forgets a cached token after Graph rejected it; returns whether a new one can be had.
    fn invalidate(&self) -> bool {
        false
    }
}

/// A token handed in (or from device code sign-in, or the Azure CLI): used as is.
impl TokenProvider for AccessToken {
    fn token(&self) -> BoxFuture<'_, Result<AccessToken, EntraError>> {
        Box::pin(async move {
            if self.is_expired() {
                Err(EntraError::TokenExpired {
                    expires_on: self.expires_on,
                })
            } else {
                Ok(self.clone())
            }
        })
    }
}

/// The wire shape of a successful token response.
#[derive(Deserialize)]
struct TokenResponse {
    access_token: SecretString,
    #[serde(default)]
    token_type: Option<String>,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
}

/// The wire shape of an error from the token endpoint.
#[derive(Deserialize, Default)]
#[serde(default)]
struct TokenErrorResponse {
    error: String,
    error_description: String,
    error_codes: Vec<u32>,
    timestamp: Option<String>,
    trace_id: Option<String>,
    correlation_id: Option<String>,
}

/// A token endpoint answer: a token, or the parsed AADSTS error.
#[derive(Debug)]
pub enum TokenAnswer {
    Token(AccessToken),
    Error(TokenError),
}

/// Posts a form to a token (or device code) endpoint and reads the answer.
/// `scrub` lists secret values that must never appear in an error message.
pub(crate) async fn post_form(
    http: &HttpClient,
    endpoint: &Url,
    form: &[(&str, &str)],
) -> Result<(u16, Vec<u8>, crate::http::Sent), EntraError> {
    http.check_url(endpoint)?;
    let body = {
        let mut serializer = url::form_urlencoded::Serializer::new(String::new());
        for (key, value) in form {
            serializer.append_pair(key, value);
        }
        Zeroizing::new(serializer.finish())
    };
    let request = http
        .request(reqwest::Method::POST, endpoint.clone())
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .header(reqwest::header::ACCEPT, "application/json")
        .header("client-request-id", uuid::Uuid::new_v4().to_string())
        .body(body.as_bytes().to_vec())
        .build()
        .map_err(|err| EntraError::Config {
            message: format!(
                "cannot build the token request: {}",
                http::error_chain(&err)
            ),
            hint: None,
        })?;
    let url = http::display_url(endpoint);
    let (response, sent) = http.execute(request, true).await?;
    let (status, headers, bytes) = http::read_body(&url, response).await?;
    http::require_json(&url, status, &headers, &bytes, true).map_err(|err| sent.wrap(&url, err))?;
    Ok((status, bytes, sent))
}

/// Interprets a token endpoint answer. Public (not only for the flows here) because the body
/// is untrusted server text: the fuzz target and its corpus replay test call it directly.
pub fn parse_token_answer(
    endpoint: &Url,
    status: u16,
    body: &[u8],
    scrub: &[&str],
) -> Result<TokenAnswer, EntraError> {
    let url = http::display_url(endpoint);
    if (200..300).contains(&status) {
        let parsed: TokenResponse =
            serde_json::from_slice(body).map_err(|err| EntraError::InvalidResponse {
                url: url.clone(),
                status,
                detail: format!("not a token response: {}", strip_serde_excerpt(&err)),
            })?;
        let seconds = match parsed.expires_in {
            Some(serde_json::Value::Number(n)) => n.as_i64().unwrap_or(3599),
            Some(serde_json::Value::String(s)) => s.parse().unwrap_or(3599),
            _ => 3599,
        };
        let expires_on = Timestamp::now()
            .checked_add(jiff::SignedDuration::from_secs(seconds))
            .unwrap_or(Timestamp::MAX);
        return Ok(TokenAnswer::Token(AccessToken::new(
            parsed.access_token,
            expires_on,
            parsed.token_type.unwrap_or_else(|| "Bearer".to_string()),
        )));
    }
    let parsed: TokenErrorResponse =
        serde_json::from_slice(body).map_err(|err| EntraError::InvalidResponse {
            url: url.clone(),
            status,
            detail: format!("not an OAuth error response: {}", strip_serde_excerpt(&err)),
        })?;
    let mut description = aadsts::description_first_line(&parsed.error_description).to_string();
    for secret in scrub.iter().filter(|s| s.len() >= 4) {
        description = description.replace(secret, "[redacted]");
    }
    Ok(TokenAnswer::Error(TokenError {
        endpoint: url,
        status,
        error: parsed.error,
        description,
        error_codes: parsed.error_codes,
        timestamp: parsed.timestamp,
        trace_id: parsed.trace_id,
        correlation_id: parsed.correlation_id,
    }))
}

/// serde_json errors may quote input; keep only the position.
fn strip_serde_excerpt(err: &serde_json::Error) -> String {
    format!(
        "{:?} error at line {} column {}",
        err.classify(),
        err.line(),
        err.column()
    )
}

/// The client credentials grant: an application signs in as itself.
#[derive(Clone, Debug)]
pub struct ClientCredentialsFlow {
    http: HttpClient,
    token_endpoint: Url,
    client_id: String,
    credential: ClientCredential,
    scope: String,
}

impl ClientCredentialsFlow {
    /// A flow for `client_id` in `tenant`, asking for the cloud's Graph `/.default` scope.
    pub fn new(
        http: &HttpClient,
        profile: &CloudProfile,
        tenant: &TenantId,
        client_id: &str,
        credential: ClientCredential,
    ) -> ClientCredentialsFlow {
        ClientCredentialsFlow {
            http: http.clone(),
            token_endpoint: profile.token_endpoint(&tenant.as_path_segment()),
            client_id: client_id.trim().to_string(),
            credential,
            scope: profile.graph_default_scope(),
        }
    }

    /// Asks for another scope (one resource's `/.default`).
    pub fn with_scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = scope.into();
        self
    }

    pub fn token_endpoint(&self) -> &Url {
        &self.token_endpoint
    }

    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// Requests a token from the v2.0 token endpoint.
    pub async fn acquire(&self) -> Result<AccessToken, EntraError> {
        let assertion;
        let mut form: Vec<(&str, &str)> = vec![
            ("client_id", self.client_id.as_str()),
            ("scope", self.scope.as_str()),
            ("grant_type", "client_credentials"),
        ];
        let scrub: Vec<&str>;
        match &self.credential {
            ClientCredential::Secret(secret) => {
                form.push(("client_secret", secret.expose_secret()));
                scrub = vec![secret.expose_secret()];
            }
            ClientCredential::Certificate {
                certificate,
                algorithm,
            } => {
                assertion = certificate.client_assertion(
                    &self.client_id,
                    self.token_endpoint.as_str(),
                    *algorithm,
                    Timestamp::now(),
                )?;
                form.push((
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ));
                form.push(("client_assertion", assertion.expose_secret()));
                scrub = vec![assertion.expose_secret()];
            }
        }
        let (status, body, sent) = post_form(&self.http, &self.token_endpoint, &form).await?;
        match parse_token_answer(&self.token_endpoint, status, &body, &scrub)? {
            TokenAnswer::Token(token) => Ok(token),
            TokenAnswer::Error(error) => {
                Err(sent.wrap(&http::display_url(&self.token_endpoint), error.into()))
            }
        }
    }

    /// A [`TokenProvider`] that caches the token and renews it 5 minutes before expiry.
    pub fn into_provider(self) -> Arc<CachingTokenProvider> {
        Arc::new(CachingTokenProvider {
            flow: self,
            cached: tokio::sync::Mutex::new(None),
            invalidated: std::sync::atomic::AtomicBool::new(false),
        })
    }
}

/// Caches client credentials tokens.
#[derive(Debug)]
pub struct CachingTokenProvider {
    flow: ClientCredentialsFlow,
    cached: tokio::sync::Mutex<Option<AccessToken>>,
    invalidated: std::sync::atomic::AtomicBool,
}

impl TokenProvider for CachingTokenProvider {
    fn token(&self) -> BoxFuture<'_, Result<AccessToken, EntraError>> {
        Box::pin(async move {
            let mut cached = self.cached.lock().await;
            let stale = self
                .invalidated
                .swap(false, std::sync::atomic::Ordering::SeqCst);
            if let Some(token) = cached.as_ref()
                && !stale
                && !token.expires_within(Duration::from_secs(300))
            {
                return Ok(token.clone());
            }
            let token = self.flow.acquire().await?;
            *cached = Some(token.clone());
            Ok(token)
        })
    }

    fn invalidate(&self) -> bool {
        self.invalidated
            .store(true, std::sync::atomic::Ordering::SeqCst);
        true
    }
}
