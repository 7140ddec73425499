//! The rules of `breakglass drill`: what counts as proven, how each finding is scored, the
//! record a drill leaves behind, and when the next drill is due.
//!
//! The CLI gathers the facts (tokens, Graph answers, the tenant's clock); everything that
//! decides pass, warning or failure lives here, without I/O, so every rule is unit-tested.

mod checks;
pub mod html;
pub mod limits;
mod policies;
mod record;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

pub use checks::{
    Authority, PHISHING_RESISTANT_METHODS, authority_in_token, expiry, last_sign_in,
    phishing_resistant,
};
pub use policies::{
    CaFinding, CaSubject, applies_to, ca_finding, conditional_access, covers_modern_clients,
    is_block,
};
pub use record::{
    AppRef, CredentialResult, DrillRecord, History, Operator, Standing, UseKind, UserResult,
    history, record_stem,
};

/// Microsoft asks for emergency access to be validated at least this often.
pub const VALIDATION_INTERVAL_DAYS: i64 = 90;
/// A credential expiring within this many days is a warning.
pub const DEFAULT_WARN_DAYS: i64 = 30;
/// A credential expiring within this many days (or expired) is a failure.
pub const DEFAULT_MIN_DAYS: i64 = 7;
/// The version of the record format written by this build.
pub const RECORD_VERSION: u32 = 1;

const DAY: SignedDuration = SignedDuration::from_hours(24);

/// How one check came out. Ordered by severity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Status {
    Pass,
    /// Not applicable this time (e.g. no token, so no sign-in to look for).
    Skipped,
    Warning,
    Failure,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Pass => "ok",
            Status::Skipped => "skipped",
            Status::Warning => "WARNING",
            Status::Failure => "FAILED",
        }
    }
}

/// What a check looked at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CheckKind {
    /// Where the credential came from (KeePass, sheet, shares), or why it was not tried.
    Source,
    /// The store's key id is a credential of the app carrying the label.
    KeyId,
    /// A token from the identity platform (client credentials).
    Token,
    /// A Microsoft Graph read with that token (`GET /organization`).
    GraphRead,
    /// The directory role (or Graph permissions) is in effect.
    Role,
    /// The credential's end date is far enough away.
    Expiry,
    /// The sign-in shows up in the service principal sign-in logs (Graph beta).
    SignInLog,
    /// The user account is enabled.
    AccountEnabled,
    /// A phishing-resistant authentication method is registered.
    PhishingResistantMethod,
    /// The user is a member of the exclusion group.
    ExclusionGroup,
    /// Every enabled Conditional Access policy that applies excludes the user.
    ConditionalAccess,
    /// When the user last signed in.
    LastSignIn,
}

impl CheckKind {
    pub fn title(self) -> &'static str {
        match self {
            CheckKind::Source => "source",
            CheckKind::KeyId => "key id",
            CheckKind::Token => "token",
            CheckKind::GraphRead => "Graph read",
            CheckKind::Role => "role",
            CheckKind::Expiry => "expiry",
            CheckKind::SignInLog => "sign-in log",
            CheckKind::AccountEnabled => "enabled",
            CheckKind::PhishingResistantMethod => "phishing-resistant method",
            CheckKind::ExclusionGroup => "exclusion group",
            CheckKind::ConditionalAccess => "Conditional Access",
            CheckKind::LastSignIn => "last sign-in",
        }
    }
}

/// One check's result. `detail` never holds a secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Check {
    pub check: CheckKind,
    pub status: Status,
    pub detail: String,
    /// What to do about a warning or failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Check {
    pub fn new(check: CheckKind, status: Status, detail: impl Into<String>) -> Check {
        Check {
            check,
            status,
            detail: detail.into(),
            hint: None,
        }
    }

    pub fn pass(check: CheckKind, detail: impl Into<String>) -> Check {
        Check::new(check, Status::Pass, detail)
    }

    pub fn warning(check: CheckKind, detail: impl Into<String>) -> Check {
        Check::new(check, Status::Warning, detail)
    }

    pub fn failure(check: CheckKind, detail: impl Into<String>) -> Check {
        Check::new(check, Status::Failure, detail)
    }

    pub fn skipped(check: CheckKind, detail: impl Into<String>) -> Check {
        Check::new(check, Status::Skipped, detail)
    }

    pub fn hinted(mut self, hint: impl Into<String>) -> Check {
        let hint = hint.into();
        if !hint.is_empty() {
            self.hint = Some(hint);
        }
        self
    }
}

/// Whole days from `now` to `end`, rounded down (negative once past).
pub fn days_between(now: Timestamp, end: Timestamp) -> i64 {
    end.duration_since(now).as_secs().div_euclid(86_400)
}

fn day(at: Timestamp) -> String {
    at.strftime("%Y-%m-%d").to_string()
}

/// The outcome of a whole drill.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Verdict {
    Passed,
    PassedWithWarnings,
    Failed,
}

/// Failures fail the drill; warnings too with `strict`.
pub fn verdict(statuses: impl IntoIterator<Item = Status>, strict: bool) -> Verdict {
    let worst = statuses.into_iter().max().unwrap_or(Status::Pass);
    match worst {
        Status::Failure => Verdict::Failed,
        Status::Warning if strict => Verdict::Failed,
        Status::Warning => Verdict::PassedWithWarnings,
        Status::Pass | Status::Skipped => Verdict::Passed,
    }
}

/// The latest moment the next validation is due after a proof at `last`.
pub fn next_due(last: Timestamp) -> Timestamp {
    last.saturating_add(DAY * VALIDATION_INTERVAL_DAYS as i32)
        .unwrap_or(last)
}

#[cfg(test)]
mod tests;
