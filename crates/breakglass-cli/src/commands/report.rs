//! `breakglass report merge`: the JSON reports of audits run elsewhere, one tenant per job of a
//! scheduler (a GitHub Actions matrix, an Azure DevOps pipeline), joined into the summary a
//! run across tenants prints. A job that failed before writing its report is a tenant that
//! could not be read, never a silent gap.

use std::path::{Path, PathBuf};

use breakglass_core::severity::Severity;
use breakglass_core::tenants::{TenantStatus, overall};
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::Value;

use crate::commands::audit_tenants::{AUDIT_COLUMNS, AuditRow};
use crate::commands::tenants::{TenantError, TenantOutcome, TenantsReport, verdict};
use crate::context::CommandHelper;
use crate::error::{CommandError, usage_error};
use crate::output::{Report, table};
use crate::ui::Ui;

/// Reports made elsewhere, joined.
#[derive(Debug, clap::Subcommand)]
pub enum ReportCommand {
    Merge(MergeArgs),
}

/// Joins audit reports written by `breakglass audit --output json` (one tenant; the file's
/// name without `.json` names it) or by `breakglass --tenants FILE audit --output json` into
/// one summary with a row per tenant, as a run across tenants prints it. An empty, missing or
/// unreadable file is a tenant whose job failed before its report: a row that says so, never
/// a gap. With `--tenants FILE`, a tenant of the file that no report covers is such a row
/// too. Exits 0 when every tenant passed, 13 when some failed or have no report, 14 when
/// none has one.
#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// The JSON reports, one per tenant or run.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

pub async fn cmd_report(
    helper: &CommandHelper,
    command: &ReportCommand,
) -> Result<(), CommandError> {
    match command {
        ReportCommand::Merge(args) => cmd_merge(helper, args),
    }
}

/// What the summary reads of an audit report; the report itself is kept whole.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuditView {
    tenant_id: String,
    failed: bool,
    counts: CountsView,
    findings: Vec<FindingView>,
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
struct FindingView {
    check: String,
    status: String,
    #[serde(default)]
    severity: Option<String>,
    summary: String,
}

impl AuditView {
    fn row(&self) -> AuditRow {
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

/// A tenant without a report: its job failed, or the file is not a report.
fn no_report(name: String, message: String) -> TenantOutcome<Value> {
    TenantOutcome {
        name,
        tenant_id: String::new(),
        status: TenantStatus::Unreadable,
        error: Some(TenantError {
            kind: "missing".to_string(),
            message,
            hints: vec!["the job's log says why; run the audit for that tenant again".to_string()],
        }),
        report: None,
    }
}

fn stem(path: &Path) -> String {
    path.file_stem().map_or_else(
        || path.display().to_string(),
        |s| s.to_string_lossy().into_owned(),
    )
}

/// One file's tenants.
fn read_report(path: &Path) -> Vec<TenantOutcome<Value>> {
    let name = stem(path);
    let text = match std::fs::read_to_string(path) {
        Ok(text) if !text.trim().is_empty() => text,
        Ok(_) => {
            return vec![no_report(
                name,
                format!(
                    "{} is empty: the job ended before its report",
                    path.display()
                ),
            )];
        }
        Err(e) => {
            return vec![no_report(
                name,
                format!("cannot read {}: {e}", path.display()),
            )];
        }
    };
    let value: Value = match serde_json::from_str(&text) {
        Ok(value) => value,
        Err(e) => {
            return vec![no_report(
                name,
                format!(
                    "{} is not JSON (line {}): the job did not finish its report",
                    path.display(),
                    e.line()
                ),
            )];
        }
    };
    if let Some(tenants) = value.get("tenants").and_then(Value::as_array) {
        return tenants
            .iter()
            .map(|section| merged_section(path, section))
            .collect();
    }
    vec![single(name, path, value)]
}

/// One tenant's audit report, named by its file.
fn single(name: String, path: &Path, report: Value) -> TenantOutcome<Value> {
    match AuditView::deserialize(&report) {
        Ok(view) => TenantOutcome {
            name,
            tenant_id: view.tenant_id.clone(),
            status: if view.failed {
                TenantStatus::Failed
            } else {
                TenantStatus::Passed
            },
            error: None,
            report: Some(report),
        },
        Err(e) => no_report(
            name,
            format!("{} is not a breakglass audit report ({e})", path.display()),
        ),
    }
}

/// One section of a run across tenants, as that run judged it.
fn merged_section(path: &Path, section: &Value) -> TenantOutcome<Value> {
    let name = section["name"].as_str().unwrap_or_default().to_string();
    if name.is_empty() {
        return no_report(
            stem(path),
            format!("{} has a tenant section without a name", path.display()),
        );
    }
    let report = section.get("report").filter(|r| !r.is_null()).cloned();
    match report {
        Some(report) => single(name, path, report),
        None => TenantOutcome {
            tenant_id: section["tenantId"].as_str().unwrap_or_default().to_string(),
            status: TenantStatus::Unreadable,
            error: section
                .get("error")
                .and_then(|e| TenantError::deserialize(e).ok())
                .or_else(|| no_report(String::new(), String::new()).error),
            report: None,
            name,
        },
    }
}

/// The merged summary for people: the audit's columns from each kept report.
struct Merged(TenantsReport<Value>);

impl serde::Serialize for Merged {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl Report for Merged {
    fn human(&self, ui: &Ui) -> String {
        let mut header = vec!["TENANT", "RESULT"];
        header.extend_from_slice(AUDIT_COLUMNS);
        let mut t = table(ui, &header);
        let mut sections = String::new();
        for outcome in &self.0.tenants {
            let mut row = vec![format!("{}\n{}", outcome.name, outcome.tenant_id)];
            sections.push_str(&format!(
                "\n== {} ({}) ==\n",
                outcome.name, outcome.tenant_id
            ));
            let view = outcome
                .report
                .as_ref()
                .and_then(|r| AuditView::deserialize(r).ok());
            match (view, &outcome.error) {
                (Some(view), _) => {
                    row.push(if view.failed { "FAILED" } else { "passed" }.into());
                    row.extend(view.row().cells());
                    for f in view.findings.iter().filter(|f| f.status != "pass") {
                        let label = f.severity.clone().unwrap_or_else(|| f.status.clone());
                        sections.push_str(&format!("- {label} {}: {}\n", f.check, f.summary));
                    }
                }
                (None, Some(error)) => {
                    row.push(format!("NOT READ: {}", error.short()));
                    row.extend(AUDIT_COLUMNS[1..].iter().map(|_| "-".to_string()));
                    row.push(error.message.clone());
                    sections.push_str(&format!("not read: {}\n", error.message));
                }
                (None, None) => {}
            }
            t.add_row(row);
        }
        let count = |status| self.0.tenants.iter().filter(|o| o.status == status).count();
        format!(
            "Emergency access audit of {} tenant(s), merged:\n{t}\n{} passed, {} failed, {} not read.\n{sections}",
            self.0.tenants.len(),
            count(TenantStatus::Passed),
            count(TenantStatus::Failed),
            count(TenantStatus::Unreadable),
        )
    }
}

fn cmd_merge(helper: &CommandHelper, args: &MergeArgs) -> Result<(), CommandError> {
    let mut tenants: Vec<TenantOutcome<Value>> = Vec::new();
    for path in &args.files {
        for outcome in read_report(path) {
            if tenants.iter().any(|t| t.name == outcome.name) {
                return Err(usage_error(format!(
                    "two reports are for the tenant named `{}` (the second in {})",
                    outcome.name,
                    path.display()
                ))
                .hinted(
                    "give each tenant's report once; a one-tenant report is named by its file name",
                ));
            }
            tenants.push(outcome);
        }
    }
    // With the tenants file, a tenant whose job left no file at all is a row too.
    if let Some(path) = &helper.global().tenants {
        let file = breakglass_ops::tenants::load(path)?;
        let selected = file
            .select(&helper.global().only)
            .map_err(|e| usage_error(e.to_string()))?;
        for entry in selected {
            if !tenants.iter().any(|t| t.name == entry.name) {
                let mut missing = no_report(
                    entry.name.clone(),
                    "no report was given for this tenant: its job failed or was not run".into(),
                );
                missing.tenant_id = entry.tenant_id.to_string();
                tenants.push(missing);
            }
        }
        for outcome in &tenants {
            if !file.tenants.iter().any(|t| t.name == outcome.name) {
                helper.ui().warn(format!(
                    "a report is for `{}`, which {} does not list",
                    outcome.name,
                    path.display()
                ));
            }
        }
    }
    let report = Merged(TenantsReport {
        overall: overall(tenants.iter().map(|t| t.status)),
        tenants,
    });
    helper.ui().emit(&report)?;
    verdict(&report.0.tenants)
}
