//! The one error type of the CLI, its exit codes, and the one renderer.
//!
//! Every command returns `Result<_, CommandError>`. Library errors become a
//! `CommandError` here, in one place, through `From` impls that pick the kind (and so
//! the exit code) and attach hints. `main` renders the error once, on stderr:
//!
//! ```text
//! error: <one line saying what went wrong>
//! hint: <what to do about it>
//! ```
//!
//! The exit codes are documented in `docs/exit-codes.md`; keep the two in step.

use std::fmt;
use std::io::Write;
use std::process::ExitCode;

use breakglass_core::{CloudProfileError, TenantIdError};

/// What kind of failure ended the command; decides the exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The tenant or the service refused or failed the request (exit 1).
    Service,
    /// The command line is wrong (exit 2, as clap uses for bad flags).
    Usage,
    /// Configuration is unusable: cloud profile, tenant id, credentials setup (exit 3).
    Config,
    /// Sign-in failed: the identity platform returned an AADSTS error (exit 4).
    Authentication,
    /// Signed in, but not allowed: Graph returned 403 (exit 5).
    Authorization,
    /// The endpoint could not be reached, or TLS failed (exit 6).
    Network,
    /// Throttled beyond the retry budget (exit 7).
    Throttled,
    /// Interrupted by Ctrl-C before finishing (exit 130).
    Interrupted,
    /// Stdout was closed by the reader, e.g. `| head` (exit 141, nothing printed).
    BrokenPipe,
    /// `plan --detailed-exitcode` found pending changes (exit 2, nothing more printed).
    ChangesPending,
    /// `exec`: the command does not exist (exit 127, as shells use).
    CommandNotFound,
    /// `exec`: the command exists but cannot be run (exit 126, as shells use).
    CommandNotExecutable,
    /// `exec`: the command ended with this non-zero status (128+N for signal N); breakglass
    /// exits with it and prints nothing more.
    CommandStatus(u8),
    /// `drill` found a failure (or, with `--strict`, a warning); the report is on stdout (exit 8).
    DrillFailed,
    /// `drill --history`: a credential or user is past its 90-day validation (exit 9).
    DrillOverdue,
    /// `scan` found events of the emergency identities; the report is on stdout (exit 10).
    EventsFound,
    /// `monitor status`: an alert rule is missing, changed or disabled; the table is on stdout
    /// (exit 11).
    MonitoringIncomplete,
    /// `audit` found something at or above `--fail-on`, or could not make a check; the
    /// report is on stdout (exit 12).
    AuditFindings,
    /// `--tenants`: at least one tenant was read, and at least one failed or could not be
    /// read; the summary is on stdout (exit 13).
    SomeTenantsFailed,
    /// `--tenants`: no tenant could be read; the summary is on stdout (exit 14).
    NoTenantRead,
    /// A bug in breakglass (exit 70).
    Internal,
}

impl ErrorKind {
    /// Returns the process exit code for this kind.
    pub fn exit_code(self) -> u8 {
        match self {
            ErrorKind::Service => 1,
            ErrorKind::Usage => 2,
            ErrorKind::Config => 3,
            ErrorKind::Authentication => 4,
            ErrorKind::Authorization => 5,
            ErrorKind::Network => 6,
            ErrorKind::Throttled => 7,
            ErrorKind::Internal => 70,
            ErrorKind::Interrupted => 130,
            ErrorKind::BrokenPipe => 141,
            ErrorKind::ChangesPending => 2,
            ErrorKind::EventsFound => 10,
            ErrorKind::MonitoringIncomplete => 11,
            ErrorKind::AuditFindings => 12,
            ErrorKind::SomeTenantsFailed => 13,
            ErrorKind::NoTenantRead => 14,
            ErrorKind::CommandNotFound => 127,
            ErrorKind::CommandNotExecutable => 126,
            ErrorKind::CommandStatus(code) => code,
            ErrorKind::DrillFailed => 8,
            ErrorKind::DrillOverdue => 9,
        }
    }
}

/// A failure of a command: a kind, one line of message, optional causes and hints.
///
/// The message must never contain a secret; the `From` impls below only use
/// library messages that are documented not to carry one.
#[derive(Debug)]
pub struct CommandError {
    kind: ErrorKind,
    message: String,
    causes: Vec<String>,
    hints: Vec<String>,
}

impl CommandError {
    /// Creates an error of `kind` with a one-line message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        CommandError {
            kind,
            message: one_line(message.into()),
            causes: Vec::new(),
            hints: Vec::new(),
        }
    }

    /// The reader closed stdout; rendered as nothing.
    pub fn broken_pipe() -> Self {
        CommandError::new(ErrorKind::BrokenPipe, "stdout was closed")
    }

    /// Adds a hint line telling the user what to do.
    #[must_use]
    pub fn hinted(mut self, hint: impl Into<String>) -> Self {
        let hint = hint.into();
        if !hint.is_empty() && !self.hints.contains(&hint) {
            self.hints.push(hint);
        }
        self
    }

    /// Returns the kind (the exit code is rendered from it).
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Returns the one-line message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Returns the hints, e.g. to keep them with a finding instead of ending the command.
    pub fn hints(&self) -> &[String] {
        &self.hints
    }

    /// Renders the error on stderr and returns the exit code; `verbose` adds the causes.
    pub fn render(&self, color: bool, verbose: bool) -> ExitCode {
        if matches!(
            self.kind,
            ErrorKind::BrokenPipe
                | ErrorKind::ChangesPending
                | ErrorKind::CommandStatus(_)
                | ErrorKind::EventsFound
                | ErrorKind::MonitoringIncomplete
        ) {
            return ExitCode::from(self.kind.exit_code());
        }
        let mut err = std::io::stderr().lock();
        let (red, yellow, dim, reset) = if color {
            ("\x1b[1;31m", "\x1b[1;33m", "\x1b[2m", "\x1b[0m")
        } else {
            ("", "", "", "")
        };
        // Rendering must not fail the process further; write errors are ignored on purpose.
        let _ = writeln!(err, "{red}error:{reset} {}", self.message);
        if verbose {
            for cause in &self.causes {
                let _ = writeln!(err, "{dim}  caused by:{reset} {cause}");
            }
        }
        for hint in &self.hints {
            let _ = writeln!(err, "{yellow}hint:{reset} {hint}");
        }
        ExitCode::from(self.kind.exit_code())
    }
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CommandError {}

/// Keeps a message on one line: the first line, trimmed.
fn one_line(message: String) -> String {
    let trimmed = message.trim();
    match trimmed.split_once('\n') {
        Some((first, _)) => first.trim_end().to_string(),
        None => trimmed.to_string(),
    }
}

/// A usage error (exit 2).
pub fn usage_error(message: impl Into<String>) -> CommandError {
    CommandError::new(ErrorKind::Usage, message)
}

/// A configuration error (exit 3).
pub fn config_error(message: impl Into<String>) -> CommandError {
    CommandError::new(ErrorKind::Config, message)
}

/// A bug or an impossible state (exit 70).
pub fn internal_error(message: impl Into<String>) -> CommandError {
    CommandError::new(ErrorKind::Internal, message)
        .hinted("this is a bug in breakglass; please report it with the command you ran")
}

impl From<breakglass_ops::Error> for CommandError {
    fn from(err: breakglass_ops::Error) -> Self {
        use breakglass_ops::ErrorKind as Ops;
        let kind = match err.kind() {
            Ops::Service => ErrorKind::Service,
            Ops::Usage => ErrorKind::Usage,
            Ops::Config => ErrorKind::Config,
            Ops::Authentication => ErrorKind::Authentication,
            Ops::Authorization => ErrorKind::Authorization,
            Ops::Network => ErrorKind::Network,
            Ops::Throttled => ErrorKind::Throttled,
            Ops::Interrupted => ErrorKind::Interrupted,
            Ops::Internal => ErrorKind::Internal,
        };
        let mut error = CommandError::new(kind, err.message());
        error.causes = err.causes().to_vec();
        error.hints = err.hints().to_vec();
        error
    }
}

impl From<CloudProfileError> for CommandError {
    fn from(err: CloudProfileError) -> Self {
        breakglass_ops::Error::from(err).into()
    }
}

impl From<TenantIdError> for CommandError {
    fn from(err: TenantIdError) -> Self {
        breakglass_ops::Error::from(err).into()
    }
}

impl From<breakglass_sim::SimError> for CommandError {
    fn from(err: breakglass_sim::SimError) -> Self {
        use breakglass_sim::SimError;
        let kind = match &err {
            SimError::StateDir { .. }
            | SimError::TenantDescription { .. }
            | SimError::StateCorrupt { .. } => ErrorKind::Config,
            SimError::Listen { .. } => ErrorKind::Network,
            _ => ErrorKind::Internal,
        };
        let hint = err.hint().unwrap_or_default();
        CommandError::new(kind, format!("the simulator cannot start: {err}")).hinted(hint)
    }
}

impl From<breakglass_entra::EntraError> for CommandError {
    fn from(err: breakglass_entra::EntraError) -> Self {
        breakglass_ops::Error::from(err).into()
    }
}

impl From<std::io::Error> for CommandError {
    fn from(err: std::io::Error) -> Self {
        breakglass_ops::Error::from(err).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_are_stable() {
        let codes: Vec<u8> = [
            ErrorKind::Service,
            ErrorKind::Usage,
            ErrorKind::Config,
            ErrorKind::Authentication,
            ErrorKind::Authorization,
            ErrorKind::Network,
            ErrorKind::Throttled,
            ErrorKind::DrillFailed,
            ErrorKind::DrillOverdue,
            ErrorKind::EventsFound,
            ErrorKind::MonitoringIncomplete,
            ErrorKind::AuditFindings,
            ErrorKind::SomeTenantsFailed,
            ErrorKind::NoTenantRead,
            ErrorKind::Internal,
            ErrorKind::Interrupted,
        ]
        .iter()
        .map(|kind| kind.exit_code())
        .collect();
        assert_eq!(
            codes,
            [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 70, 130]
        );
    }

    #[test]
    fn messages_are_one_line() {
        let err = CommandError::new(ErrorKind::Service, "first\nsecond");
        assert_eq!(err.message(), "first");
    }

    #[test]
    fn tenant_errors_are_configuration_errors() {
        let err: CommandError = "not a tenant"
            .parse::<breakglass_core::TenantId>()
            .unwrap_err()
            .into();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert!(err.message().contains("not a tenant"));
    }
}
