//! The one error type of the operations: a kind (which the CLI turns into an exit code), one
//! line saying what went wrong, causes for `--verbose`, and hints saying what to do.
//!
//! Library errors (Graph, the token endpoint, tenant ids, cloud profiles) become an [`Error`]
//! here, in one place, which picks the kind and attaches the hints.

use std::fmt;

use breakglass_core::{CloudProfileError, TenantIdError};
use breakglass_entra::EntraError;

/// What kind of failure it was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The tenant or the service refused or failed the request.
    Service,
    /// The operation cannot be done as asked (the CLI's usage errors).
    Usage,
    /// Configuration, stores or local files are unusable.
    Config,
    /// Sign-in failed: the identity platform returned an AADSTS error.
    Authentication,
    /// Signed in, but not allowed: Graph returned 403.
    Authorization,
    /// The endpoint could not be reached, or TLS failed.
    Network,
    /// Throttled beyond the retry budget.
    Throttled,
    /// Stopped by a signal before finishing.
    Interrupted,
    /// A bug or an impossible state.
    Internal,
}

/// A failure of an operation. The message must never contain a secret.
#[derive(Debug, Clone)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    causes: Vec<String>,
    hints: Vec<String>,
}

impl Error {
    /// An error of `kind` with a one-line message (only its first line is kept).
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: one_line(message.into()),
            causes: Vec::new(),
            hints: Vec::new(),
        }
    }

    /// Adds a hint saying what to do.
    #[must_use]
    pub fn hinted(mut self, hint: impl Into<String>) -> Self {
        let hint = hint.into();
        if !hint.is_empty() && !self.hints.contains(&hint) {
            self.hints.push(hint);
        }
        self
    }

    /// Adds a cause, shown with `--verbose`.
    #[must_use]
    pub fn caused_by(mut self, cause: impl fmt::Display) -> Self {
        self.causes.push(one_line(cause.to_string()));
        self
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn hints(&self) -> &[String] {
        &self.hints
    }

    pub fn causes(&self) -> &[String] {
        &self.causes
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// The first line, trimmed.
fn one_line(message: String) -> String {
    let trimmed = message.trim();
    match trimmed.split_once('\n') {
        Some((first, _)) => first.trim_end().to_string(),
        None => trimmed.to_string(),
    }
}

/// The operation cannot be done as asked.
pub fn usage_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Usage, message)
}

/// Configuration, a store or a local file is unusable.
pub fn config_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Config, message)
}

/// A bug or an impossible state.
pub fn internal_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Internal, message)
        .hinted("this is a bug in breakglass; please report it with the command you ran")
}

impl From<CloudProfileError> for Error {
    fn from(err: CloudProfileError) -> Self {
        let hint = err.hint();
        config_error(err.to_string())
            .hinted(hint)
            .hinted("or pick a built-in cloud with `--cloud public|usgov|china`; see `breakglass cloud list`")
    }
}

impl From<TenantIdError> for Error {
    fn from(err: TenantIdError) -> Self {
        let hint = match err {
            TenantIdError::Empty => "pass `--tenant <GUID or domain>` or set AZURE_TENANT_ID",
            TenantIdError::Alias(_) => {
                "use the directory (tenant) id GUID or a verified domain such as contoso.onmicrosoft.com"
            }
            TenantIdError::Malformed(_) => {
                "a tenant is a directory GUID like 72f988bf-86f1-41af-91ab-2d7cd011db47 or a domain like contoso.onmicrosoft.com"
            }
        };
        config_error(format!("invalid tenant: {err}")).hinted(hint)
    }
}

/// The kind of a client error: what the person must change.
fn kind_of(err: &EntraError) -> ErrorKind {
    let root = err.root();
    match root {
        EntraError::Graph(graph) => match graph.status {
            401 => ErrorKind::Authentication,
            403 => ErrorKind::Authorization,
            429 => ErrorKind::Throttled,
            503 | 504 if matches!(err, EntraError::RetriesExhausted { .. }) => ErrorKind::Throttled,
            _ => ErrorKind::Service,
        },
        EntraError::Token(_) => match err.status() {
            Some(429) => ErrorKind::Throttled,
            Some(500..) => ErrorKind::Service,
            _ => ErrorKind::Authentication,
        },
        EntraError::Unreachable { .. } | EntraError::UntrustedCertificate { .. } => {
            ErrorKind::Network
        }
        EntraError::NotJson { .. } | EntraError::InvalidResponse { .. } => ErrorKind::Service,
        EntraError::Credential(_) | EntraError::Config { .. } => ErrorKind::Config,
        EntraError::TokenExpired { .. }
        | EntraError::InvalidToken(_)
        | EntraError::AzCli { .. } => ErrorKind::Authentication,
        EntraError::RetriesExhausted { .. } => ErrorKind::Service,
    }
}

/// One line a person understands, for the errors whose own text is not that line.
fn message_of(root: &EntraError) -> String {
    match root {
        EntraError::Token(token) => {
            let mut line = format!("sign-in failed: {}", token.description);
            if token.description.is_empty() {
                line = format!(
                    "sign-in failed: the token endpoint answered {} {}",
                    token.status, token.error
                );
            }
            if let Some(explained) = token.explanation() {
                line.push_str(&format!(" ({})", explained.meaning));
            }
            line
        }
        EntraError::UntrustedCertificate {
            url,
            ca_file: Some(ca_file),
            ..
        } => format!(
            "the TLS certificate of {url} is not issued by the CA the cloud profile trusts ({})",
            ca_file.display()
        ),
        EntraError::Unreachable {
            url,
            detail,
            timed_out,
        } => {
            let origin = url::Url::parse(url)
                .map(|parsed| parsed.origin().ascii_serialization())
                .unwrap_or_else(|_| url.clone());
            let reason = if *timed_out {
                "timed out".to_string()
            } else {
                detail.rsplit(": ").next().unwrap_or(detail).to_string()
            };
            format!("cannot reach {origin}: {reason}")
        }
        _ => root.to_string(),
    }
}

impl From<EntraError> for Error {
    fn from(err: EntraError) -> Self {
        let root = err.root();
        let kind = kind_of(&err);
        let mut error = Error::new(kind, message_of(root));
        if let EntraError::RetriesExhausted {
            attempts, elapsed, ..
        } = &err
        {
            error = error.caused_by(format!(
                "gave up after {attempts} attempts in {:.1}s",
                elapsed.as_secs_f64()
            ));
        }
        match root {
            EntraError::Token(token) => error = error.caused_by(token),
            EntraError::Unreachable { .. } => error = error.caused_by(root),
            _ => {}
        }
        let hint = match root {
            EntraError::Token(token) => token.explanation().map(|explained| match token.code() {
                Some(code) => format!("AADSTS{code}: {}", explained.action),
                None => explained.action.to_string(),
            }),
            _ => None,
        };
        let error = error.hinted(hint.or_else(|| root.hint()).unwrap_or_default());
        if kind == ErrorKind::Throttled {
            error.hinted(
                "wait a few minutes, or give the retries more time with `--retry-budget SECONDS`",
            )
        } else {
            error
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(err: std::io::Error) -> Self {
        Error::new(ErrorKind::Internal, format!("I/O error: {err}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_one_line() {
        let err = Error::new(ErrorKind::Service, "first\nsecond");
        assert_eq!(err.message(), "first");
    }

    #[test]
    fn tenant_errors_are_configuration_errors() {
        let err: Error = "not a tenant"
            .parse::<breakglass_core::TenantId>()
            .unwrap_err()
            .into();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert!(err.message().contains("not a tenant"));
    }
}
