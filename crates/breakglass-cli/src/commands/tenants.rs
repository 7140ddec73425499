//! `--tenants FILE`: one command run for every tenant a tenants file lists, several at once,
//! each signed in with its own operator and cloud. One tenant's failure is its row in the
//! summary and never stops the others; the exit code says whether all passed, some failed,
//! or none could be read.

use std::future::Future;
use std::path::Path;

use breakglass_core::tenants::{Overall, TenantStatus, overall};
use futures::StreamExt as _;
use serde::Serialize;

use crate::context::CommandHelper;
use crate::error::{CommandError, ErrorKind, usage_error};
use crate::output::{Report, table};
use crate::ui::Ui;

/// A command's report that can be one tenant's part of a run across tenants.
pub trait AcrossTenants: Report {
    /// What the run is, for the summary's first line: "Emergency access audit".
    const TITLE: &'static str;
    /// The summary's columns after TENANT and RESULT; the last one holds why a tenant could
    /// not be read.
    const COLUMNS: &'static [&'static str];
    /// What the result column says of a tenant that passed.
    const PASSED: &'static str = "passed";
    /// Whether this tenant passed.
    fn passed(&self) -> bool;
    /// This tenant's cells under `COLUMNS`.
    fn cells(&self) -> Vec<String>;
}

/// The whole run: how it went, and each tenant's part in the file's order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantsReport<R> {
    pub overall: Overall,
    pub tenants: Vec<TenantOutcome<R>>,
}

impl<R: AcrossTenants> Report for TenantsReport<R> {
    fn human(&self, ui: &Ui) -> String {
        let mut header = vec!["TENANT", "RESULT"];
        header.extend_from_slice(R::COLUMNS);
        let mut t = table(ui, &header);
        for outcome in &self.tenants {
            let mut row = vec![format!("{}\n{}", outcome.name, outcome.tenant_id)];
            match (&outcome.report, &outcome.error) {
                (Some(report), _) => {
                    row.push(if report.passed() { R::PASSED } else { "FAILED" }.into());
                    row.extend(report.cells());
                }
                (None, Some(error)) => {
                    row.push(format!("NOT READ: {}", error.short()));
                    row.extend(R::COLUMNS[1..].iter().map(|_| "-".to_string()));
                    row.push(error.message.clone());
                }
                (None, None) => {}
            }
            t.add_row(row);
        }
        let count = |status| self.tenants.iter().filter(|o| o.status == status).count();
        let mut out = format!(
            "{} of {} tenant(s):\n{t}\n{} passed, {} failed, {} not read.\n",
            R::TITLE,
            self.tenants.len(),
            count(TenantStatus::Passed),
            count(TenantStatus::Failed),
            count(TenantStatus::Unreadable),
        );
        out.push_str(&sections(ui, &self.tenants, |report, ui| report.human(ui)));
        out
    }
}

/// Runs `job` for every tenant of `tenants_file`, `--concurrency` at once, prints the summary
/// and each tenant's report, and exits as [`verdict`] says.
pub async fn run_across<R, F, Fut>(
    helper: &CommandHelper,
    tenants_file: &Path,
    job: F,
) -> Result<(), CommandError>
where
    R: AcrossTenants,
    F: Fn(CommandHelper, breakglass_ops::tenants::TenantTarget) -> Fut,
    Fut: Future<Output = Result<R, CommandError>>,
{
    let concurrency = usize::from(helper.global().concurrency);
    run_across_with(helper, tenants_file, job, concurrency).await
}

/// [`run_across`] with at most `concurrency` tenants at once.
pub async fn run_across_with<R, F, Fut>(
    helper: &CommandHelper,
    tenants_file: &Path,
    job: F,
    concurrency: usize,
) -> Result<(), CommandError>
where
    R: AcrossTenants,
    F: Fn(CommandHelper, breakglass_ops::tenants::TenantTarget) -> Fut,
    Fut: Future<Output = Result<R, CommandError>>,
{
    let outcomes = across(helper, tenants_file, job, R::passed, concurrency).await?;
    let report = TenantsReport {
        overall: overall(outcomes.iter().map(|o| o.status)),
        tenants: outcomes,
    };
    helper.ui().emit(&report)?;
    verdict(&report.tenants)
}

/// Why a tenant could not be read, as its row and section say.
#[derive(Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantError {
    /// `authentication`, `network`, `throttled`, `authorization`, `configuration`, …
    pub kind: String,
    pub message: String,
    #[serde(default)]
    pub hints: Vec<String>,
}

impl TenantError {
    fn of(error: &CommandError) -> TenantError {
        let kind = match error.kind() {
            ErrorKind::Authentication => "authentication",
            ErrorKind::Authorization => "authorization",
            ErrorKind::Network => "network",
            ErrorKind::Throttled => "throttled",
            ErrorKind::Config => "configuration",
            ErrorKind::Usage => "usage",
            ErrorKind::Interrupted => "interrupted",
            ErrorKind::Internal => "internal",
            _ => "service",
        };
        TenantError {
            kind: kind.to_string(),
            message: error.message().to_string(),
            hints: error.hints().to_vec(),
        }
    }

    /// A few words for the summary's result column.
    pub fn short(&self) -> &'static str {
        match self.kind.as_str() {
            "authentication" => "sign-in refused",
            "network" => "unreachable",
            "throttled" => "throttled out",
            "authorization" => "not allowed",
            "configuration" | "usage" => "configuration",
            "missing" => "no report",
            _ => "failed",
        }
    }
}

/// One tenant's part of the run: its report, or why there is none.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantOutcome<R> {
    pub name: String,
    pub tenant_id: String,
    pub status: TenantStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<TenantError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<R>,
}

/// Runs `job` for every selected tenant, at most `--concurrency` at once, and returns the
/// outcomes in the file's order. `judge` says whether a report passed.
pub async fn across<R, F, Fut>(
    helper: &CommandHelper,
    tenants_file: &Path,
    job: F,
    judge: fn(&R) -> bool,
    concurrency: usize,
) -> Result<Vec<TenantOutcome<R>>, CommandError>
where
    F: Fn(CommandHelper, breakglass_ops::tenants::TenantTarget) -> Fut,
    Fut: Future<Output = Result<R, CommandError>>,
{
    let file = breakglass_ops::tenants::load(tenants_file)?;
    let selected = file
        .select(&helper.global().only)
        .map_err(|e| usage_error(e.to_string()))?;
    let base = breakglass_ops::tenants::base_dir(tenants_file);
    // One list of PKCS#11 tokens for the run: a PIN one tenant's token refused is not tried
    // again for another tenant with the same token.
    let tokens = breakglass_ops::provision::token_store::Tokens::default();
    let ui = helper.ui();
    let bar = ui.progress_bar(
        selected.len() as u64,
        "{spinner} {pos}/{len} tenants {wide_msg}",
    );
    let runs = selected.iter().enumerate().map(|(index, entry)| {
        let base = &base;
        let tokens = &tokens;
        let job = &job;
        let bar = &bar;
        async move {
            let result = match breakglass_ops::tenants::resolve(base, entry, tokens) {
                Ok(target) => {
                    let tenant_helper = helper.for_tenant(
                        &entry.name,
                        target.cloud.clone(),
                        target.operator.clone(),
                    );
                    job(tenant_helper, target).await
                }
                Err(err) => Err(err.into()),
            };
            bar.inc(1);
            bar.set_message(entry.name.clone());
            let outcome = match result {
                Ok(report) => TenantOutcome {
                    name: entry.name.clone(),
                    tenant_id: entry.tenant_id.to_string(),
                    status: if judge(&report) {
                        TenantStatus::Passed
                    } else {
                        TenantStatus::Failed
                    },
                    error: None,
                    report: Some(report),
                },
                Err(err) => TenantOutcome {
                    name: entry.name.clone(),
                    tenant_id: entry.tenant_id.to_string(),
                    status: TenantStatus::Unreadable,
                    error: Some(TenantError::of(&err)),
                    report: None,
                },
            };
            (index, outcome)
        }
    });
    let mut outcomes: Vec<(usize, TenantOutcome<R>)> = futures::stream::iter(runs)
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    bar.finish_and_clear();
    outcomes.sort_by_key(|(index, _)| *index);
    Ok(outcomes.into_iter().map(|(_, outcome)| outcome).collect())
}

/// The exit of a run across tenants: nothing when all passed, else an error that counts.
pub fn verdict<R>(outcomes: &[TenantOutcome<R>]) -> Result<(), CommandError> {
    let failed = outcomes
        .iter()
        .filter(|o| o.status == TenantStatus::Failed)
        .count();
    let unreadable = outcomes
        .iter()
        .filter(|o| o.status == TenantStatus::Unreadable)
        .count();
    match overall(outcomes.iter().map(|o| o.status)) {
        Overall::AllPassed => Ok(()),
        Overall::SomeFailed => Err(CommandError::new(
            ErrorKind::SomeTenantsFailed,
            format!(
                "{failed} of {} tenant(s) failed and {unreadable} could not be read",
                outcomes.len()
            ),
        )
        .hinted("the summary names each tenant's result; its section below says why")),
        Overall::NoneRead => Err(CommandError::new(
            ErrorKind::NoTenantRead,
            format!("none of {} tenant(s) could be read", outcomes.len()),
        )
        .hinted(
            "each row says why: the operator's sign-in, the network, or the tenant's configuration",
        )),
    }
}

/// Each tenant's section for people: a heading, then its report or why there is none.
pub fn sections<R>(
    ui: &Ui,
    outcomes: &[TenantOutcome<R>],
    human: impl Fn(&R, &Ui) -> String,
) -> String {
    let mut out = String::new();
    for outcome in outcomes {
        out.push_str(&format!(
            "\n== {} ({}) ==\n",
            outcome.name, outcome.tenant_id
        ));
        match (&outcome.report, &outcome.error) {
            (Some(report), _) => out.push_str(&human(report, ui)),
            (None, Some(error)) => {
                out.push_str(&format!("not read: {}\n", error.message));
                for hint in &error.hints {
                    out.push_str(&format!("hint: {hint}\n"));
                }
            }
            (None, None) => {}
        }
    }
    out
}
