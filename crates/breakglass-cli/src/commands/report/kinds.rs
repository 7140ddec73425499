//! What `report merge` reads of each kind of report: an audit, a plan or a drill, as their
//! `--output json` writes them (a drill record file from `drills/` too). Only what the summary
//! shows is read; the report itself is kept whole.

use breakglass_core::drill::DrillRecord;
use breakglass_core::severity::Severity;
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::Value;

use crate::commands::audit_tenants::{AUDIT_COLUMNS, AuditRow};

/// Which command wrote a report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Audit,
    Plan,
    Drill,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Audit => "audit",
            Kind::Plan => "plan",
            Kind::Drill => "drill",
        }
    }

    /// The summary's first words.
    pub fn title(self) -> &'static str {
        match self {
            Kind::Audit => "Emergency access audit",
            Kind::Plan => "Plan",
            Kind::Drill => "Drill",
        }
    }

    /// The summary's columns after TENANT and RESULT.
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            Kind::Audit => AUDIT_COLUMNS,
            Kind::Plan => &["CHANGES", "WARNINGS", "FIRST CHANGE"],
            Kind::Drill => &["FAILURES/WARNINGS", "CREDENTIALS", "NEXT DUE", "UNPROVEN"],
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditView {
    pub tenant_id: String,
    pub failed: bool,
    /// The `--fail-on` the audit was judged by (`never` passes whatever it found).
    #[serde(default)]
    pub fail_on: Option<String>,
    counts: CountsView,
    pub findings: Vec<FindingView>,
    #[serde(default)]
    last_drill: Option<Timestamp>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CountsView {
    critical: usize,
    high: usize,
    medium: usize,
    low: usize,
    not_checked: usize,
}

#[derive(Deserialize)]
pub struct FindingView {
    pub check: String,
    pub status: String,
    #[serde(default)]
    pub severity: Option<String>,
    pub summary: String,
}

impl AuditView {
    pub fn row(&self) -> AuditRow {
        let c = &self.counts;
        let worst = self
            .findings
            .iter()
            .filter(|f| f.status == "finding")
            .filter_map(|f| {
                let severity = Severity::parse(f.severity.as_deref()?)?;
                Some((severity, f))
            })
            .max_by_key(|(severity, _)| *severity)
            .map(|(severity, f)| (severity.label().to_string(), f.check.clone()));
        AuditRow {
            counts: [c.critical, c.high, c.medium, c.low],
            not_checked: c.not_checked,
            worst,
            last_drill: self.last_drill,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanView {
    pub tenant_id: String,
    changes: usize,
    actions: Vec<ActionView>,
    #[serde(default)]
    notices: Vec<NoticeView>,
}

#[derive(Deserialize)]
struct ActionView {
    description: String,
}

#[derive(Deserialize)]
struct NoticeView {
    severity: String,
    message: String,
}

/// One tenant's report, read as the command that wrote it.
pub enum View {
    Audit(AuditView),
    Plan(PlanView),
    Drill(Box<DrillRecord>),
}

impl View {
    /// Reads `report` as the kind of report its fields say it is.
    pub fn read(report: &Value) -> Result<View, String> {
        let has = |field: &str| report.get(field).is_some();
        let parsed = if has("findings") && has("counts") {
            AuditView::deserialize(report).map(View::Audit)
        } else if has("verdict") && has("credentials") && has("users") {
            DrillRecord::deserialize(report).map(|r| View::Drill(Box::new(r)))
        } else if has("changes") && has("actions") {
            PlanView::deserialize(report).map(View::Plan)
        } else {
            return Err("it has the fields of no audit, plan or drill report".to_string());
        };
        parsed.map_err(|e| e.to_string())
    }

    /// The `--fail-on` of an audit judged by one that lets every finding pass (`never`):
    /// such a report passes whatever it found.
    pub fn lenient_fail_on(&self) -> Option<&str> {
        match self {
            View::Audit(v) => v.fail_on.as_deref().filter(|f| *f == "never"),
            _ => None,
        }
    }

    pub fn kind(&self) -> Kind {
        match self {
            View::Audit(_) => Kind::Audit,
            View::Plan(_) => Kind::Plan,
            View::Drill(_) => Kind::Drill,
        }
    }

    pub fn tenant_id(&self) -> &str {
        match self {
            View::Audit(v) => &v.tenant_id,
            View::Plan(v) => &v.tenant_id,
            View::Drill(r) => &r.tenant_id,
        }
    }

    /// As the run across tenants judges it: no finding at `--fail-on`, no change pending, a
    /// drill that did not fail.
    pub fn passed(&self) -> bool {
        match self {
            View::Audit(v) => !v.failed,
            View::Plan(v) => v.changes == 0,
            View::Drill(r) => r.verdict != breakglass_core::drill::Verdict::Failed,
        }
    }

    /// The cells under [`Kind::columns`].
    pub fn cells(&self) -> Vec<String> {
        match self {
            View::Audit(v) => v.row().cells(),
            View::Plan(v) => vec![
                v.changes.to_string(),
                v.notices
                    .iter()
                    .filter(|n| n.severity != "info")
                    .count()
                    .to_string(),
                v.actions
                    .first()
                    .map_or("-".to_string(), |a| a.description.clone()),
            ],
            View::Drill(r) => vec![
                format!("{}/{}", r.failures, r.warnings),
                r.credentials.len().to_string(),
                r.next_due
                    .map_or("-".to_string(), |due| due.strftime("%Y-%m-%d").to_string()),
                unproven(r).len().to_string(),
            ],
        }
    }

    /// The lines of the tenant's section below the summary.
    pub fn section(&self) -> Vec<String> {
        match self {
            View::Audit(v) => v
                .findings
                .iter()
                .filter(|f| f.status != "pass")
                .map(|f| {
                    let label = f.severity.clone().unwrap_or_else(|| f.status.clone());
                    format!("- {label} {}: {}", f.check, f.summary)
                })
                .collect(),
            View::Plan(v) => v
                .actions
                .iter()
                .map(|a| format!("- {}", a.description))
                .chain(
                    v.notices
                        .iter()
                        .filter(|n| n.severity != "info")
                        .map(|n| format!("- warning: {}", n.message)),
                )
                .collect(),
            View::Drill(r) => unproven(r)
                .into_iter()
                .map(|what| format!("- not proven: {what}"))
                .collect(),
        }
    }
}

/// The credentials and users a drill could not prove.
fn unproven(record: &DrillRecord) -> Vec<String> {
    let credentials = record
        .credentials
        .iter()
        .filter(|c| !c.proven)
        .map(|c| format!("credential {}", c.label));
    let users = record
        .users
        .iter()
        .filter(|u| !u.proven)
        .map(|u| format!("user {}", u.user_principal_name));
    credentials.chain(users).collect()
}
