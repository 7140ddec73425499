//! The rules of `breakglass drill`: what counts as proven, how each finding is scored, the
//! record a drill leaves behind, and when the next drill is due.
//!
//! The CLI gathers the facts (tokens, Graph answers, the tenant's clock); everything that
//! decides pass, warning or failure lives here, without I/O, so every rule is unit-tested.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::tenant::Policy;

use crate::roles::BuiltInRole;

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

/// The credential's end date against the thresholds: a failure when expired or fewer than
/// `min_days` are left, a warning when fewer than `warn_days` are left.
pub fn expiry(end: Option<Timestamp>, now: Timestamp, min_days: i64, warn_days: i64) -> Check {
    let Some(end) = end else {
        return Check::warning(CheckKind::Expiry, "the tenant shows no end date");
    };
    let left = days_between(now, end);
    if end <= now {
        return Check::failure(CheckKind::Expiry, format!("expired on {}", day(end)));
    }
    let detail = format!("valid until {} ({left} days left)", day(end));
    if left < min_days {
        Check::failure(
            CheckKind::Expiry,
            format!("{detail}, fewer than the minimum of {min_days}"),
        )
    } else if left < warn_days {
        Check::warning(
            CheckKind::Expiry,
            format!("{detail}, fewer than {warn_days}"),
        )
    } else {
        Check::pass(CheckKind::Expiry, detail)
    }
}

/// What the emergency app must be able to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Authority {
    /// A directory role, seen in the token's `wids` claim.
    Role(BuiltInRole),
    /// Microsoft Graph application permissions, seen in the token's `roles` claim.
    GraphPermissions(Vec<String>),
}

/// Whether the token carries the declared authority. `assigned_at_root` is what the app's
/// role assignments say (`None` when not looked up): it stands in when the token has no
/// `wids` claim.
pub fn authority_in_token(
    authority: &Authority,
    wids: &[String],
    roles: &[String],
    assigned_at_root: Option<bool>,
) -> Check {
    match authority {
        Authority::Role(role) => {
            let id = role.template_id.to_string();
            if wids.iter().any(|w| w.eq_ignore_ascii_case(&id)) {
                Check::pass(
                    CheckKind::Role,
                    format!("{} in effect (the token's wids claim)", role.display_name),
                )
            } else if assigned_at_root == Some(true) {
                Check::pass(
                    CheckKind::Role,
                    format!(
                        "{} assigned at / (role assignments; the token carries no wids claim)",
                        role.display_name
                    ),
                )
            } else {
                Check::failure(
                    CheckKind::Role,
                    format!(
                        "the token does not carry {} ({id}) and the app holds no active assignment of it at /",
                        role.display_name
                    ),
                )
                .hinted("run `breakglass plan` and `breakglass apply` to restore the role")
            }
        }
        Authority::GraphPermissions(wanted) => {
            let missing: Vec<&str> = wanted
                .iter()
                .filter(|w| !roles.iter().any(|r| r.eq_ignore_ascii_case(w)))
                .map(String::as_str)
                .collect();
            if missing.is_empty() {
                Check::pass(
                    CheckKind::Role,
                    format!("{} in the token's roles claim", wanted.join(", ")),
                )
            } else {
                Check::failure(
                    CheckKind::Role,
                    format!("the token lacks {}", missing.join(", ")),
                )
                .hinted(
                    "run `breakglass plan` and `breakglass apply` to grant them (admin consent)",
                )
            }
        }
    }
}

/// Authentication method types (`@odata.type`) that resist phishing.
pub const PHISHING_RESISTANT_METHODS: &[&str] = &[
    "#microsoft.graph.fido2AuthenticationMethod",
    "#microsoft.graph.windowsHelloForBusinessAuthenticationMethod",
    "#microsoft.graph.x509CertificateAuthenticationMethod",
    "#microsoft.graph.platformCredentialAuthenticationMethod",
];

fn short_method(odata_type: &str) -> &str {
    odata_type
        .trim_start_matches("#microsoft.graph.")
        .trim_end_matches("AuthenticationMethod")
}

/// Whether a phishing-resistant method is among the user's registered methods.
pub fn phishing_resistant(method_types: &[String]) -> Check {
    let strong: Vec<&str> = method_types
        .iter()
        .filter(|t| {
            PHISHING_RESISTANT_METHODS
                .iter()
                .any(|p| p.eq_ignore_ascii_case(t))
        })
        .map(|t| short_method(t))
        .collect();
    if !strong.is_empty() {
        return Check::pass(
            CheckKind::PhishingResistantMethod,
            format!("registered: {}", strong.join(", ")),
        );
    }
    let has: Vec<&str> = method_types.iter().map(|t| short_method(t)).collect();
    Check::warning(
        CheckKind::PhishingResistantMethod,
        format!(
            "no phishing-resistant method (has: {})",
            if has.is_empty() {
                "none".to_string()
            } else {
                has.join(", ")
            }
        ),
    )
    .hinted("the owner registers a FIDO2 security key or passkey (with a Temporary Access Pass: `[users] temporary_access_pass = true`)")
}

/// Who a policy is evaluated for.
#[derive(Clone, Debug, Default)]
pub struct CaSubject {
    pub user_id: String,
    /// Groups the user is a direct member of.
    pub group_ids: Vec<String>,
    /// Directory role template ids the user holds.
    pub role_ids: Vec<String>,
}

fn intersects(a: &[String], b: &[String]) -> bool {
    a.iter()
        .any(|x| b.iter().any(|y| x.eq_ignore_ascii_case(y)))
}

/// A policy that is enabled, applies to the user and does not exclude it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaFinding {
    pub policy_id: String,
    pub display_name: String,
    /// A block for modern clients locks the account out; anything else is a warning.
    pub status: Status,
    /// What the policy does to the user, briefly: `requires mfa`, `blocks the sign-in`.
    pub effect: String,
    pub reason: String,
}

/// The policy's verdict for the user: `None` when it is not enabled, does not apply, or
/// excludes the user (directly, through a group or a role).
pub fn ca_finding(policy: &Policy, subject: &CaSubject) -> Option<CaFinding> {
    if policy.state != "enabled" {
        return None;
    }
    let user = std::slice::from_ref(&subject.user_id);
    let excluded = intersects(&policy.exclude_users, user)
        || intersects(&policy.exclude_groups, &subject.group_ids)
        || intersects(&policy.exclude_roles, &subject.role_ids);
    if excluded {
        return None;
    }
    let all = policy
        .include_users
        .iter()
        .any(|u| u.eq_ignore_ascii_case("All"));
    let how = if all {
        "includes all users"
    } else if intersects(&policy.include_users, user) {
        "includes the user"
    } else if intersects(&policy.include_groups, &subject.group_ids) {
        "includes a group of the user"
    } else if intersects(&policy.include_roles, &subject.role_ids) {
        "includes a role the user holds"
    } else {
        return None;
    };
    let blocks = policy
        .grant_controls
        .iter()
        .any(|g| g.eq_ignore_ascii_case("block"));
    let modern_clients = policy.client_app_types.is_empty()
        || policy.client_app_types.iter().any(|t| {
            ["all", "browser", "mobileAppsAndDesktopClients"]
                .iter()
                .any(|m| t.eq_ignore_ascii_case(m))
        });
    let (status, effect) = if blocks && modern_clients {
        (Status::Failure, "blocks the sign-in".to_string())
    } else if blocks {
        (
            Status::Warning,
            format!("blocks {} clients", policy.client_app_types.join("/")),
        )
    } else {
        (
            Status::Warning,
            format!("requires {}", policy.grant_controls.join(" or ")),
        )
    };
    Some(CaFinding {
        policy_id: policy.id.clone(),
        display_name: policy.display_name.clone(),
        status,
        reason: format!("{how}, {effect}, and excludes neither the user nor the exclusion group"),
        effect,
    })
}

/// Every enabled policy that applies must exclude the user or the exclusion group.
pub fn conditional_access(policies: &[Policy], subject: &CaSubject) -> (Check, Vec<CaFinding>) {
    let findings: Vec<CaFinding> = policies
        .iter()
        .filter_map(|p| ca_finding(p, subject))
        .collect();
    let enabled = policies.iter().filter(|p| p.state == "enabled").count();
    if findings.is_empty() {
        return (
            Check::pass(
                CheckKind::ConditionalAccess,
                format!("excluded from, or not targeted by, all {enabled} enabled policies"),
            ),
            findings,
        );
    }
    let worst = findings
        .iter()
        .map(|f| f.status)
        .max()
        .unwrap_or(Status::Warning);
    let names: Vec<String> = findings
        .iter()
        .map(|f| format!("\"{}\" ({})", f.display_name, f.effect))
        .collect();
    (
        Check::new(
            CheckKind::ConditionalAccess,
            worst,
            format!(
                "not excluded from {} of {enabled} enabled policies: {}",
                findings.len(),
                names.join(", ")
            ),
        )
        .hinted("add the exclusion group to each policy's excluded users and groups"),
        findings,
    )
}

/// When the user last signed in: a warning if never, or longer ago than the validation
/// interval. `source` says where the date came from.
pub fn last_sign_in(at: Option<Timestamp>, now: Timestamp, source: &str) -> Check {
    match at {
        None => Check::warning(
            CheckKind::LastSignIn,
            format!("no sign-in found ({source})"),
        )
        .hinted("the owner signs in with the account's passkey at least every 90 days; it raises the alert, as it should"),
        Some(at) => {
            let ago = days_between(at, now);
            let detail = format!("{} ({ago} days ago; {source})", day(at));
            if ago > VALIDATION_INTERVAL_DAYS {
                Check::warning(CheckKind::LastSignIn, detail)
                    .hinted("the owner signs in with the account's passkey at least every 90 days")
            } else {
                Check::pass(CheckKind::LastSignIn, detail)
            }
        }
    }
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

/// Who ran the drill, from the operator's token.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Operator {
    /// `app` or `user`.
    pub kind: String,
    /// The app's client id or the user's sign-in name.
    pub id: String,
    pub name: Option<String>,
    /// How the operator signed in.
    pub method: String,
}

/// The emergency app.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppRef {
    pub app_id: String,
    pub object_id: String,
}

/// One declared credential and its checks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CredentialResult {
    pub label: String,
    /// The key id that was proven (or that the tenant holds for the label).
    pub key_id: Option<String>,
    /// `secret` or `certificate`.
    pub kind: String,
    /// `keepass`, `sheet` or `shares k-of-n`.
    pub store: String,
    /// Whether a token was obtained and used with it, with the role in effect.
    pub proven: bool,
    pub checks: Vec<Check>,
}

/// One emergency user and its checks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserResult {
    pub id: String,
    pub user_principal_name: String,
    /// Whether every check that can be made without the owner passed (warnings allowed).
    pub proven: bool,
    pub checks: Vec<Check>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditional_access_findings: Vec<CaFinding>,
}

/// What a drill leaves behind: `drill-<UTC timestamp>.json`. It holds no secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DrillRecord {
    pub version: u32,
    /// This machine's clock.
    pub started: Timestamp,
    pub finished: Timestamp,
    /// The tenant's clock (Graph's `Date` header) when the drill began.
    pub tenant_time: Option<Timestamp>,
    pub tenant_id: String,
    pub tenant_name: Option<String>,
    pub cloud: String,
    pub operator: Operator,
    pub app: Option<AppRef>,
    pub credentials: Vec<CredentialResult>,
    pub users: Vec<UserResult>,
    pub strict: bool,
    pub verdict: Verdict,
    pub failures: usize,
    pub warnings: usize,
    /// When the next drill is due: 90 days after the oldest last proof of a credential.
    pub next_due: Option<Timestamp>,
}

impl DrillRecord {
    /// Every check of the drill.
    pub fn statuses(&self) -> impl Iterator<Item = Status> + '_ {
        self.credentials
            .iter()
            .flat_map(|c| c.checks.iter())
            .chain(self.users.iter().flat_map(|u| u.checks.iter()))
            .map(|c| c.status)
    }

    /// Counts failures and warnings and sets the verdict.
    pub fn score(&mut self) {
        let statuses: Vec<Status> = self.statuses().collect();
        self.failures = statuses.iter().filter(|s| **s == Status::Failure).count();
        self.warnings = statuses.iter().filter(|s| **s == Status::Warning).count();
        self.verdict = verdict(statuses, self.strict);
    }
}

/// Where one credential label or user stands, across all records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Standing {
    /// The credential's label or the user's sign-in name.
    pub name: String,
    /// The credential's key id last proven, or the user's object id.
    pub id: Option<String>,
    pub last_proven: Option<Timestamp>,
    pub next_due: Option<Timestamp>,
    /// Days until due; negative when overdue.
    pub days_left: Option<i64>,
    pub overdue: bool,
}

/// What the drill records say.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct History {
    pub drills: usize,
    pub last_drill: Option<Timestamp>,
    pub last_verdict: Option<Verdict>,
    pub credentials: Vec<Standing>,
    pub users: Vec<Standing>,
    /// The earliest due date of all.
    pub next_due: Option<Timestamp>,
    pub overdue: bool,
}

fn standing(name: String, id: Option<String>, last: Option<Timestamp>, now: Timestamp) -> Standing {
    let due = last.map(next_due);
    Standing {
        name,
        id,
        last_proven: last,
        next_due: due,
        days_left: due.map(|d| days_between(now, d)),
        overdue: due.is_none_or(|d| d <= now),
    }
}

/// Reads the records (any order) into each credential's and user's standing. `declared`
/// are the labels breakglass.toml declares; `None` takes the labels of the latest record.
/// Users are those of the latest record.
pub fn history(records: &[DrillRecord], declared: Option<&[String]>, now: Timestamp) -> History {
    let mut sorted: Vec<&DrillRecord> = records.iter().collect();
    sorted.sort_by_key(|r| r.started);
    let latest = sorted.last().copied();
    let mut proofs: BTreeMap<String, (Timestamp, Option<String>)> = BTreeMap::new();
    let mut user_proofs: BTreeMap<String, Timestamp> = BTreeMap::new();
    for record in &sorted {
        for credential in record.credentials.iter().filter(|c| c.proven) {
            proofs.insert(
                credential.label.clone(),
                (record.started, credential.key_id.clone()),
            );
        }
        for user in record.users.iter().filter(|u| u.proven) {
            user_proofs.insert(user.id.clone(), record.started);
        }
    }
    let labels: Vec<String> = match declared {
        Some(labels) => labels.to_vec(),
        None => latest
            .map(|r| r.credentials.iter().map(|c| c.label.clone()).collect())
            .unwrap_or_default(),
    };
    let credentials: Vec<Standing> = labels
        .into_iter()
        .map(|label| {
            let (last, key) = match proofs.get(&label) {
                Some((at, key)) => (Some(*at), key.clone()),
                None => (None, None),
            };
            standing(label, key, last, now)
        })
        .collect();
    let users: Vec<Standing> = latest
        .map(|r| {
            r.users
                .iter()
                .map(|u| {
                    standing(
                        u.user_principal_name.clone(),
                        Some(u.id.clone()),
                        user_proofs.get(&u.id).copied(),
                        now,
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let all = credentials.iter().chain(users.iter());
    let next_due = if all.clone().any(|s| s.next_due.is_none()) {
        None
    } else {
        all.clone().filter_map(|s| s.next_due).min()
    };
    History {
        drills: records.len(),
        last_drill: latest.map(|r| r.started),
        last_verdict: latest.map(|r| r.verdict),
        overdue: all.clone().any(|s| s.overdue),
        credentials,
        users,
        next_due,
    }
}

/// The file name of a record written at `at`, without the extension: `drill-20250131T134507Z`.
pub fn record_stem(at: Timestamp) -> String {
    format!("drill-{}", at.strftime("%Y%m%dT%H%M%SZ"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roles::GLOBAL_ADMINISTRATOR;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn expiry_thresholds() {
        let now = at("2025-01-01T00:00:00Z");
        let days = |n: i64| Some(now + SignedDuration::from_hours(24 * n));
        assert_eq!(expiry(days(100), now, 7, 30).status, Status::Pass);
        assert_eq!(expiry(days(29), now, 7, 30).status, Status::Warning);
        assert_eq!(expiry(days(6), now, 7, 30).status, Status::Failure);
        assert_eq!(expiry(days(-1), now, 7, 30).status, Status::Failure);
        assert!(expiry(days(-1), now, 7, 30).detail.contains("expired"));
        assert_eq!(expiry(days(20), now, 21, 30).status, Status::Failure);
        assert_eq!(expiry(None, now, 7, 30).status, Status::Warning);
    }

    #[test]
    fn role_from_wids_or_assignments() {
        let ga = Authority::Role(GLOBAL_ADMINISTRATOR);
        let wids = vec!["62e90394-69f5-4237-9190-012177145e10".to_string()];
        assert_eq!(
            authority_in_token(&ga, &wids, &[], None).status,
            Status::Pass
        );
        assert_eq!(
            authority_in_token(&ga, &[], &[], Some(true)).status,
            Status::Pass
        );
        assert_eq!(
            authority_in_token(&ga, &[], &[], Some(false)).status,
            Status::Failure
        );
        let graph = Authority::GraphPermissions(vec![
            "Directory.ReadWrite.All".into(),
            "RoleManagement.ReadWrite.Directory".into(),
        ]);
        let roles = vec!["Directory.ReadWrite.All".to_string()];
        let check = authority_in_token(&graph, &[], &roles, None);
        assert_eq!(check.status, Status::Failure);
        assert!(check.detail.contains("RoleManagement.ReadWrite.Directory"));
    }

    #[test]
    fn phishing_resistant_methods() {
        let weak = vec![
            "#microsoft.graph.passwordAuthenticationMethod".to_string(),
            "#microsoft.graph.temporaryAccessPassAuthenticationMethod".to_string(),
        ];
        let check = phishing_resistant(&weak);
        assert_eq!(check.status, Status::Warning);
        assert!(
            check.detail.contains("password, temporaryAccessPass"),
            "{check:?}"
        );
        let mut strong = weak.clone();
        strong.push("#microsoft.graph.fido2AuthenticationMethod".into());
        assert_eq!(phishing_resistant(&strong).status, Status::Pass);
    }

    fn policy(name: &str) -> Policy {
        Policy {
            id: name.into(),
            display_name: name.into(),
            state: "enabled".into(),
            grant_controls: vec!["mfa".into()],
            ..Policy::default()
        }
    }

    #[test]
    fn conditional_access_exclusions() {
        let ga = GLOBAL_ADMINISTRATOR.template_id.to_string();
        let subject = CaSubject {
            user_id: "u1".into(),
            group_ids: vec!["g-excl".into()],
            role_ids: vec![ga.clone()],
        };
        let mfa_admins = Policy {
            include_roles: vec![ga.clone()],
            ..policy("Require MFA for administrators")
        };
        let finding = ca_finding(&mfa_admins, &subject).expect("applies, not excluded");
        assert_eq!(finding.status, Status::Warning);
        let excluded = Policy {
            exclude_groups: vec!["g-excl".into()],
            ..mfa_admins.clone()
        };
        assert_eq!(ca_finding(&excluded, &subject), None);
        let excluded_user = Policy {
            exclude_users: vec!["U1".into()],
            ..mfa_admins.clone()
        };
        assert_eq!(ca_finding(&excluded_user, &subject), None);
        let report_only = Policy {
            state: "enabledForReportingButNotEnforced".into(),
            ..mfa_admins.clone()
        };
        assert_eq!(ca_finding(&report_only, &subject), None);
        let other_group = Policy {
            include_groups: vec!["g-other".into()],
            ..policy("Sales")
        };
        assert_eq!(ca_finding(&other_group, &subject), None);
        let block_all = Policy {
            include_users: vec!["All".into()],
            grant_controls: vec!["block".into()],
            ..policy("Block everyone")
        };
        assert_eq!(
            ca_finding(&block_all, &subject).map(|f| f.status),
            Some(Status::Failure)
        );
        let block_legacy = Policy {
            client_app_types: vec!["exchangeActiveSync".into(), "other".into()],
            ..block_all.clone()
        };
        assert_eq!(
            ca_finding(&block_legacy, &subject).map(|f| f.status),
            Some(Status::Warning)
        );
        let (check, findings) = conditional_access(&[mfa_admins, excluded, block_legacy], &subject);
        assert_eq!(check.status, Status::Warning);
        assert_eq!(findings.len(), 2);
        assert!(check.detail.contains("Require MFA for administrators"));
        let (clean, none) = conditional_access(&[], &subject);
        assert_eq!((clean.status, none.len()), (Status::Pass, 0));
    }

    #[test]
    fn last_sign_in_age() {
        let now = at("2025-06-01T00:00:00Z");
        assert_eq!(last_sign_in(None, now, "x").status, Status::Warning);
        assert_eq!(
            last_sign_in(Some(at("2025-05-01T00:00:00Z")), now, "x").status,
            Status::Pass
        );
        assert_eq!(
            last_sign_in(Some(at("2025-01-01T00:00:00Z")), now, "x").status,
            Status::Warning
        );
    }

    #[test]
    fn verdicts() {
        use Status::*;
        assert_eq!(verdict([Pass, Skipped], false), Verdict::Passed);
        assert_eq!(verdict([Pass, Warning], false), Verdict::PassedWithWarnings);
        assert_eq!(verdict([Pass, Warning], true), Verdict::Failed);
        assert_eq!(verdict([Failure, Pass], false), Verdict::Failed);
        assert_eq!(verdict([], false), Verdict::Passed);
    }

    fn record(started: &str, proven: &[(&str, &str)], unproven: &[&str]) -> DrillRecord {
        let credential = |label: &str, key: Option<&str>, proven: bool| CredentialResult {
            label: label.into(),
            key_id: key.map(str::to_string),
            kind: "secret".into(),
            store: "keepass".into(),
            proven,
            checks: Vec::new(),
        };
        DrillRecord {
            version: RECORD_VERSION,
            started: at(started),
            finished: at(started),
            tenant_time: None,
            tenant_id: "t".into(),
            tenant_name: None,
            cloud: "public".into(),
            operator: Operator::default(),
            app: None,
            credentials: proven
                .iter()
                .map(|(l, k)| credential(l, Some(k), true))
                .chain(unproven.iter().map(|l| credential(l, None, false)))
                .collect(),
            users: vec![UserResult {
                id: "u1".into(),
                user_principal_name: "bg@x".into(),
                proven: true,
                checks: Vec::new(),
                conditional_access_findings: Vec::new(),
            }],
            strict: false,
            verdict: Verdict::Passed,
            failures: 0,
            warnings: 0,
            next_due: None,
        }
    }

    #[test]
    fn history_takes_the_last_proof_of_each_label() {
        let records = vec![
            record("2025-03-01T00:00:00Z", &[("rotating", "k2")], &["offline"]),
            record(
                "2025-01-01T00:00:00Z",
                &[("rotating", "k1"), ("offline", "k0")],
                &[],
            ),
        ];
        let now = at("2025-04-15T00:00:00Z");
        let h = history(&records, None, now);
        assert_eq!(h.drills, 2);
        assert_eq!(h.last_drill, Some(at("2025-03-01T00:00:00Z")));
        let offline = h.credentials.iter().find(|s| s.name == "offline").unwrap();
        assert_eq!(offline.last_proven, Some(at("2025-01-01T00:00:00Z")));
        assert_eq!(offline.id.as_deref(), Some("k0"));
        assert!(offline.overdue, "{offline:?}");
        let rotating = h.credentials.iter().find(|s| s.name == "rotating").unwrap();
        assert_eq!(rotating.id.as_deref(), Some("k2"));
        assert_eq!(rotating.next_due, Some(at("2025-05-30T00:00:00Z")));
        assert!(!rotating.overdue);
        assert!(h.overdue);
        assert_eq!(h.next_due, Some(at("2025-04-01T00:00:00Z")));

        // A declared label never proven is overdue at once.
        let declared = vec!["rotating".to_string(), "new".to_string()];
        let h = history(&records, Some(&declared), at("2025-03-02T00:00:00Z"));
        assert!(h.overdue);
        assert_eq!(h.next_due, None);
        assert_eq!(h.credentials[1].last_proven, None);

        let empty = history(&[], None, now);
        assert_eq!((empty.drills, empty.overdue), (0, false));
    }

    #[test]
    fn next_due_is_ninety_days_later() {
        assert_eq!(
            next_due(at("2025-01-01T12:00:00Z")),
            at("2025-04-01T12:00:00Z")
        );
        assert_eq!(
            record_stem(at("2025-01-31T13:45:07.5Z")),
            "drill-20250131T134507Z"
        );
    }
}
