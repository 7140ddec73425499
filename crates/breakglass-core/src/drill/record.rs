//! The record a drill leaves behind, and the history read back from the records: when each
//! credential and user was last proven, and when the next drill is due.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::{CaFinding, Check, Status, Verdict, days_between, next_due, verdict};

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
    /// `keepass`, `sheet`, `shares k-of-n` or `pkcs11`.
    pub store: String,
    /// The serial number of the PKCS#11 token the credential was proven from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_serial: Option<String>,
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

/// What a record is the record of. Microsoft's guidance asks for a review after every use of
/// emergency access, not only after drills: a use is recorded the same way, with its kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UseKind {
    /// A planned proof that the way in works.
    #[default]
    Drill,
    /// The emergency access was needed and used.
    Emergency,
    /// Someone used it who should not have, or for what it is not for.
    Misuse,
}

impl UseKind {
    pub fn name(self) -> &'static str {
        match self {
            UseKind::Drill => "drill",
            UseKind::Emergency => "emergency use",
            UseKind::Misuse => "misuse",
        }
    }
}

/// What a drill leaves behind: `drill-<UTC timestamp>.json`. It holds no secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DrillRecord {
    pub version: u32,
    /// Records written before kinds existed were drills.
    #[serde(default)]
    pub kind: UseKind,
    /// Why, in the operator's words (an incident or change number), for the review.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
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
