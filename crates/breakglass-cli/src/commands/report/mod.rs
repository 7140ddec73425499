//! `breakglass report merge`: the JSON reports of audits, plans or drills run elsewhere, one
//! tenant per job of a scheduler (a GitHub Actions matrix, an Azure DevOps pipeline), joined
//! into the summary a run across tenants prints. A job that failed before writing its report
//! is a tenant that could not be read, never a silent gap.

mod kinds;
mod page;

use std::path::{Path, PathBuf};

use breakglass_core::tenants::{TenantStatus, overall};
use serde::Deserialize;
use serde_json::Value;

use self::kinds::{Kind, View};
use crate::commands::audit_tenants::write_report;
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

/// Joins reports written by `breakglass audit --output json`, `plan --output json` or `drill
/// --output json` (one tenant; the file's name without `.json` names it; a drill record from
/// `drills/` too) or by the same command run with `--tenants FILE`, into one summary with a
/// row per tenant, as a run across tenants prints it. All the reports must be of one
/// command. An empty, missing or
/// unreadable file is a tenant whose job failed before its report: a row that says so, never
/// a gap. With `--tenants FILE`, a tenant of the file that no report covers is such a row
/// too. Exits 0 when every tenant passed, 13 when some failed or have no report, 14 when
/// none has one.
#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// The JSON reports, one per tenant or run.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Write the summary as one HTML page (each tenant's name linking to its section) or as
    /// the JSON document `--output json` prints, to `--out` or stdout.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<MergeFormat>,

    /// The file for `--format` (written atomically); stdout without it.
    #[arg(long, value_name = "FILE", requires = "format")]
    pub out: Option<PathBuf>,
}

/// What `--format` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum MergeFormat {
    Html,
    Json,
}

pub async fn cmd_report(
    helper: &CommandHelper,
    command: &ReportCommand,
) -> Result<(), CommandError> {
    match command {
        ReportCommand::Merge(args) => cmd_merge(helper, args),
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

/// One tenant's report, named by its file.
fn single(name: String, path: &Path, report: Value) -> TenantOutcome<Value> {
    match View::read(&report) {
        Ok(view) => TenantOutcome {
            name,
            tenant_id: view.tenant_id().to_string(),
            status: if view.passed() {
                TenantStatus::Passed
            } else {
                TenantStatus::Failed
            },
            error: None,
            report: Some(report),
        },
        Err(why) => no_report(
            name,
            format!(
                "{} is not a breakglass audit, plan or drill report ({why})",
                path.display()
            ),
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

/// The merged summary for people: the columns of the command whose reports were joined.
struct Merged {
    kind: Kind,
    report: TenantsReport<Value>,
}

impl serde::Serialize for Merged {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.report.serialize(serializer)
    }
}

impl Report for Merged {
    fn human(&self, ui: &Ui) -> String {
        let columns = self.kind.columns();
        let mut header = vec!["TENANT", "RESULT"];
        header.extend_from_slice(columns);
        let mut t = table(ui, &header);
        let mut sections = String::new();
        for outcome in &self.report.tenants {
            let mut row = vec![format!("{}\n{}", outcome.name, outcome.tenant_id)];
            sections.push_str(&format!(
                "\n== {} ({}) ==\n",
                outcome.name, outcome.tenant_id
            ));
            let view = outcome.report.as_ref().and_then(|r| View::read(r).ok());
            match (view, &outcome.error) {
                (Some(view), _) => {
                    row.push(if view.passed() { "passed" } else { "FAILED" }.into());
                    row.extend(view.cells());
                    for line in view.section() {
                        sections.push_str(&line);
                        sections.push('\n');
                    }
                }
                (None, Some(error)) => {
                    row.push(format!("NOT READ: {}", error.short()));
                    row.extend(columns[1..].iter().map(|_| "-".to_string()));
                    row.push(error.message.clone());
                    sections.push_str(&format!("not read: {}\n", error.message));
                }
                (None, None) => {}
            }
            t.add_row(row);
        }
        let tenants = &self.report.tenants;
        let count = |status| tenants.iter().filter(|o| o.status == status).count();
        format!(
            "{} of {} tenant(s), merged:\n{t}\n{} passed, {} failed, {} not read.\n{sections}",
            self.kind.title(),
            tenants.len(),
            count(TenantStatus::Passed),
            count(TenantStatus::Failed),
            count(TenantStatus::Unreadable),
        )
    }
}

/// The one command whose reports were given; reports of several cannot share one table.
fn kind_of(tenants: &[TenantOutcome<Value>]) -> Result<Kind, CommandError> {
    let mut found: Option<(Kind, &str)> = None;
    for outcome in tenants {
        let Some(view) = outcome.report.as_ref().and_then(|r| View::read(r).ok()) else {
            continue;
        };
        match found {
            None => found = Some((view.kind(), &outcome.name)),
            Some((kind, first)) if kind != view.kind() => {
                return Err(usage_error(format!(
                    "the reports are of different commands: `{first}`'s is a {}, `{}`'s a {}",
                    kind.name(),
                    outcome.name,
                    view.kind().name()
                ))
                .hinted("merge the reports of one command at a time (audit, plan or drill)"));
            }
            Some(_) => {}
        }
    }
    Ok(found.map_or(Kind::Audit, |(kind, _)| kind))
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
        // A report filed under the wrong name must not pass for the tenant it is named after.
        for outcome in &mut tenants {
            let listed = file.tenants.iter().find(|t| t.name == outcome.name);
            // A domain in the file names the tenant too, but cannot be compared with an id.
            if let Some(entry) = listed
                && matches!(entry.tenant_id, breakglass_core::TenantId::Guid(_))
                && outcome.report.is_some()
                && !outcome
                    .tenant_id
                    .eq_ignore_ascii_case(&entry.tenant_id.to_string())
            {
                let mut wrong = no_report(
                    outcome.name.clone(),
                    format!(
                        "the report named `{}` is of tenant {}, but {} gives {} for that name",
                        outcome.name,
                        outcome.tenant_id,
                        path.display(),
                        entry.tenant_id
                    ),
                );
                wrong.tenant_id = entry.tenant_id.to_string();
                *outcome = wrong;
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
    let kind = kind_of(&tenants)?;
    for outcome in &tenants {
        let view = outcome.report.as_ref().and_then(|r| View::read(r).ok());
        if let Some(fail_on) = view.as_ref().and_then(View::lenient_fail_on) {
            helper.ui().warn(format!(
                "`{}`'s audit was judged with --fail-on {fail_on}: it passes whatever it found; its counts say what that was",
                outcome.name
            ));
        }
    }
    let report = Merged {
        kind,
        report: TenantsReport {
            overall: overall(tenants.iter().map(|t| t.status)),
            tenants,
        },
    };
    match args.format {
        None => helper.ui().emit(&report)?,
        Some(format) => {
            let text = match format {
                MergeFormat::Html => page::merged_page(kind, &report.report.tenants),
                MergeFormat::Json => crate::output::json_text(&report.report)?,
            };
            write_report(helper, args.out.as_deref(), &text)?;
        }
    }
    verdict(&report.report.tenants)
}
