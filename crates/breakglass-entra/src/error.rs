//! Errors a person can act on. Every variant has a [`EntraError::hint`].
//!
//! No variant ever holds a client secret, a client assertion or an access token.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use breakglass_core::aadsts::{self, AadstsExplanation};

/// An error answered by Microsoft Graph.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphError {
    pub method: String,
    /// The request URL (no credentials ever appear in Graph URLs).
    pub url: String,
    pub status: u16,
    /// Graph error code, e.g. `Authorization_RequestDenied`.
    pub code: String,
    pub message: String,
    pub request_id: Option<String>,
    pub client_request_id: Option<String>,
    pub date: Option<String>,
    /// What to do about it, from [`breakglass_core::graph_error::hint`].
    pub hint: Option<String>,
}

impl GraphError {
    pub(crate) fn new(
        method: &str,
        url: &str,
        status: u16,
        code: String,
        message: String,
    ) -> GraphError {
        let path = url::Url::parse(url)
            .map(|u| u.path().to_string())
            .unwrap_or_else(|_| url.to_string());
        let hint = breakglass_core::graph_error::hint(method, &path, status, &code, &message);
        GraphError {
            method: method.to_string(),
            url: url.to_string(),
            status,
            code,
            message,
            request_id: None,
            client_request_id: None,
            date: None,
            hint,
        }
    }

    /// Whether this looks like replication delay right after a create.
    pub fn is_replication_delay(&self) -> bool {
        breakglass_core::retry::is_replication_delay(self.status, &self.code, &self.message)
    }
}

impl fmt::Display for GraphError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Microsoft Graph answered {}", self.status)?;
        if !self.code.is_empty() {
            write!(f, " {}", self.code)?;
        }
        write!(f, " to {} {}", self.method, self.url)?;
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        let mut ids = Vec::new();
        if let Some(id) = &self.request_id {
            ids.push(format!("request-id {id}"));
        }
        if let Some(id) = &self.client_request_id {
            ids.push(format!("client-request-id {id}"));
        }
        if let Some(date) = &self.date {
            ids.push(format!("date {date}"));
        }
        if !ids.is_empty() {
            write!(f, " ({})", ids.join(", "))?;
        }
        Ok(())
    }
}

/// An error answered by the token (or device code) endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenError {
    pub endpoint: String,
    pub status: u16,
    /// OAuth error, e.g. `invalid_client`.
    pub error: String,
    /// First line of `error_description`, e.g. `AADSTS7000215: Invalid client secret provided. …`.
    pub description: String,
    pub error_codes: Vec<u32>,
    pub timestamp: Option<String>,
    pub trace_id: Option<String>,
    pub correlation_id: Option<String>,
}

impl TokenError {
    /// The explanation of the first AADSTS code this crate knows.
    pub fn explanation(&self) -> Option<&'static AadstsExplanation> {
        self.error_codes
            .iter()
            .copied()
            .chain(aadsts::code_in_description(&self.description))
            .find_map(aadsts::explain)
    }

    /// The first AADSTS code, if any.
    pub fn code(&self) -> Option<u32> {
        self.error_codes
            .first()
            .copied()
            .or_else(|| aadsts::code_in_description(&self.description))
    }

    fn hint(&self) -> String {
        match self.explanation() {
            Some(explained) => format!("{}: {}", explained.meaning, explained.action),
            None => match self.error.as_str() {
                "invalid_client" => "the client credential was rejected; check AZURE_CLIENT_ID, the secret's value or the certificate".to_string(),
                "unauthorized_client" => "check AZURE_CLIENT_ID and AZURE_TENANT_ID and that --cloud names the cloud where the app is registered".to_string(),
                "invalid_scope" => "ask for one resource's `/.default` scope".to_string(),
                "temporarily_unavailable" => "the token endpoint is temporarily unavailable; retry in a minute".to_string(),
                _ => "look up the AADSTS code at https://login.microsoftonline.com/error and quote the trace id to support".to_string(),
            },
        }
    }
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the token endpoint {} answered {} {}",
            self.endpoint, self.status, self.error
        )?;
        if !self.description.is_empty() {
            write!(f, ": {}", self.description)?;
        }
        let mut ids = Vec::new();
        if let Some(id) = &self.trace_id {
            ids.push(format!("trace id {id}"));
        }
        if let Some(id) = &self.correlation_id {
            ids.push(format!("correlation id {id}"));
        }
        if let Some(ts) = &self.timestamp {
            ids.push(format!("timestamp {ts}"));
        }
        if !ids.is_empty() {
            write!(f, " ({})", ids.join(", "))?;
        }
        Ok(())
    }
}

/// Why a certificate credential could not be loaded or used.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error("cannot read the certificate file {path}: {reason}")]
    Unreadable { path: PathBuf, reason: String },
    #[error("{origin} holds no certificate (expected a `-----BEGIN CERTIFICATE-----` block)")]
    NoCertificate { origin: String },
    #[error(
        "{origin} holds no private key (expected `-----BEGIN PRIVATE KEY-----` or `-----BEGIN RSA PRIVATE KEY-----`)"
    )]
    NoPrivateKey { origin: String },
    #[error("{origin} holds an encrypted private key, which breakglass cannot use")]
    EncryptedKey { origin: String },
    #[error("the private key in {origin} is not a usable RSA key: {reason}")]
    KeyRejected { origin: String, reason: String },
    #[error("the certificate in {origin} cannot be parsed: {reason}")]
    BadCertificate { origin: String, reason: String },
    #[error("the private key in {origin} does not belong to its certificate")]
    KeyMismatch { origin: String },
    #[error("signing the client assertion failed")]
    Signing,
    #[error("{0}")]
    Token(Box<crate::pkcs11::error::Pkcs11Error>),
}

impl From<crate::pkcs11::error::Pkcs11Error> for CredentialError {
    fn from(error: crate::pkcs11::error::Pkcs11Error) -> Self {
        CredentialError::Token(Box::new(error))
    }
}

/// Everything that can go wrong talking to the identity platform or Microsoft Graph.
#[derive(Debug, thiserror::Error)]
pub enum EntraError {
    #[error("{0}")]
    Graph(Box<GraphError>),
    #[error("{0}")]
    Token(Box<TokenError>),
    #[error("cannot reach {url}: {detail}")]
    Unreachable {
        url: String,
        detail: String,
        timed_out: bool,
    },
    #[error("the TLS certificate of {url} is not trusted: {detail}")]
    UntrustedCertificate {
        url: String,
        detail: String,
        ca_file: Option<PathBuf>,
    },
    #[error("expected JSON from {url}, got {content_type} (HTTP {status})")]
    NotJson {
        url: String,
        status: u16,
        content_type: String,
        token_endpoint: bool,
    },
    #[error("the answer from {url} (HTTP {status}) could not be read: {detail}")]
    InvalidResponse {
        url: String,
        status: u16,
        detail: String,
    },
    #[error("gave up on {url} after {attempts} attempts in {:.1}s: {last}", elapsed.as_secs_f64())]
    RetriesExhausted {
        url: String,
        attempts: u32,
        elapsed: Duration,
        last: Box<EntraError>,
    },
    #[error("{0}")]
    Credential(#[from] CredentialError),
    #[error("the access token expired at {expires_on}")]
    TokenExpired { expires_on: jiff::Timestamp },
    #[error("the access token is not usable: {0}")]
    InvalidToken(String),
    #[error("{message}")]
    AzCli { message: String, hint: String },
    #[error("{message}")]
    Config {
        message: String,
        hint: Option<String>,
    },
}

impl From<GraphError> for EntraError {
    fn from(error: GraphError) -> Self {
        EntraError::Graph(Box::new(error))
    }
}

impl From<TokenError> for EntraError {
    fn from(error: TokenError) -> Self {
        EntraError::Token(Box::new(error))
    }
}

impl EntraError {
    /// The error itself, or the last error behind [`EntraError::RetriesExhausted`].
    pub fn root(&self) -> &EntraError {
        match self {
            EntraError::RetriesExhausted { last, .. } => last.root(),
            other => other,
        }
    }

    /// The Graph error, if this is one (also behind exhausted retries).
    pub fn graph(&self) -> Option<&GraphError> {
        match self.root() {
            EntraError::Graph(error) => Some(error),
            _ => None,
        }
    }

    /// The token endpoint error, if this is one (also behind exhausted retries).
    pub fn token(&self) -> Option<&TokenError> {
        match self.root() {
            EntraError::Token(error) => Some(error),
            _ => None,
        }
    }

    /// The HTTP status of a Graph or token endpoint answer.
    pub fn status(&self) -> Option<u16> {
        match self.root() {
            EntraError::Graph(error) => Some(error.status),
            EntraError::Token(error) => Some(error.status),
            EntraError::NotJson { status, .. } | EntraError::InvalidResponse { status, .. } => {
                Some(*status)
            }
            _ => None,
        }
    }

    /// What the person running breakglass can do about it.
    pub fn hint(&self) -> Option<String> {
        match self {
            EntraError::Graph(error) => error.hint.clone(),
            EntraError::Token(error) => Some(error.hint()),
            EntraError::Unreachable { url, timed_out, .. } => Some(format!(
                "{}check the network and proxy, and that --cloud (or the cloud profile) names the right host for {url}",
                if *timed_out { "the request timed out; " } else { "" }
            )),
            EntraError::UntrustedCertificate { ca_file: Some(path), .. } => Some(format!(
                "the cloud profile trusts only the CA in {}; the server's certificate was not issued by it. Check the profile belongs to this server (a restarted simulator writes a new CA)",
                path.display()
            )),
            EntraError::UntrustedCertificate { ca_file: None, .. } => Some(
                "the cloud profile has no caCertificate, so only the system's trusted roots are used; set caCertificate for a server with a private CA (such as the simulator), or check for a TLS-intercepting proxy".to_string(),
            ),
            EntraError::NotJson { token_endpoint: true, .. } => Some(
                "the authority host is probably wrong (check --cloud or AZURE_AUTHORITY_HOST), or a proxy or captive portal answered".to_string(),
            ),
            EntraError::NotJson { token_endpoint: false, .. } => Some(
                "the Graph endpoint is probably wrong (check --cloud or the profile's graphEndpoint), or a proxy or captive portal answered".to_string(),
            ),
            EntraError::InvalidResponse { .. } => Some(
                "the server does not speak the expected protocol; check --cloud and the cloud profile's endpoints".to_string(),
            ),
            EntraError::RetriesExhausted { last, .. } => {
                let inner = last.hint();
                Some(match inner {
                    Some(inner) => format!("{inner}; the retry budget can be raised with --retry-budget"),
                    None => "the service kept failing; retry later or raise --retry-budget".to_string(),
                })
            }
            EntraError::Credential(CredentialError::KeyMismatch { .. }) => Some(
                "the PEM file must hold the private key and the certificate made from it".to_string(),
            ),
            EntraError::Credential(CredentialError::EncryptedKey { .. }) => Some(
                "decrypt it first, e.g. `openssl pkey -in key.pem -out plain.pem`, and keep the result protected".to_string(),
            ),
            EntraError::Credential(CredentialError::Token(error)) => Some(error.hint()),
            EntraError::Credential(_) => Some(
                "AZURE_CLIENT_CERTIFICATE_PATH must name a PEM file holding the private key (PKCS#8 or PKCS#1) and the certificate".to_string(),
            ),
            EntraError::TokenExpired { .. } => {
                Some("fetch a new access token and hand it in again".to_string())
            }
            EntraError::InvalidToken(_) => Some(
                "hand in the access token itself (a JWT, `eyJ…`), e.g. from `az account get-access-token --resource https://graph.microsoft.com`".to_string(),
            ),
            EntraError::AzCli { hint, .. } => Some(hint.clone()),
            EntraError::Config { hint, .. } => hint.clone(),
        }
    }
}
