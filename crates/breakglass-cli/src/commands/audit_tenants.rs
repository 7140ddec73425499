//! `breakglass --tenants FILE audit`: the audit of every tenant in the file, a summary row per
//! tenant followed by each tenant's report; `--output json` gives one document with a section
//! per tenant.

use std::path::Path;

use breakglass_core::audit::{Finding, Outcome};
use breakglass_core::drill::VALIDATION_INTERVAL_DAYS;
use jiff::{Timestamp, ToSpan as _};

use breakglass_core::tenants::overall;
use breakglass_core::tenants::summary_html::{ReportAt, safe_names};

use crate::commands::audit::{AuditArgs, AuditReport, ReportFormat, run_audit};
use crate::commands::tenants::{
    AcrossTenants, TenantOutcome, TenantsReport, across, run_across, verdict,
};
use crate::commands::tenants_html::summary_page;
use crate::context::CommandHelper;
use crate::error::{CommandError, usage_error};
use crate::output::json_text;

/// What one tenant's row says of its audit, whether the audit ran here or its JSON report
/// is merged from elsewhere.
pub struct AuditRow {
    /// critical, high, medium, low.
    pub counts: [usize; 4],
    pub not_checked: usize,
    /// The worst finding's severity and check.
    pub worst: Option<(String, String)>,
    pub last_drill: Option<Timestamp>,
}

/// The summary's columns of an audit after TENANT and RESULT.
pub const AUDIT_COLUMNS: &[&str] = &[
    "CRIT/HIGH/MED/LOW",
    "NOT CHECKED",
    "LAST DRILL",
    "NEXT DUE",
    "WORST FINDING",
];

fn day(timestamp: Timestamp) -> String {
    timestamp.strftime("%Y-%m-%d").to_string()
}

impl AuditRow {
    pub fn of(report: &AuditReport) -> AuditRow {
        let c = &report.counts;
        let worst = report
            .findings
            .iter()
            .filter(|f| f.status == Outcome::Finding)
            .max_by_key(|f| f.severity)
            .map(|f: &Finding| {
                (
                    f.severity.map_or("", |s| s.label()).to_string(),
                    f.check.name().to_string(),
                )
            });
        AuditRow {
            counts: [c.critical, c.high, c.medium, c.low],
            not_checked: c.not_checked,
            worst,
            last_drill: report.last_drill,
        }
    }

    pub fn cells(&self) -> Vec<String> {
        let [critical, high, medium, low] = self.counts;
        let next_due = self
            .last_drill
            .map(|last| last + (VALIDATION_INTERVAL_DAYS * 24).hours());
        vec![
            format!("{critical}/{high}/{medium}/{low}"),
            self.not_checked.to_string(),
            self.last_drill.map_or("never".into(), day),
            next_due.map_or("now".into(), day),
            self.worst
                .as_ref()
                .map_or("-".to_string(), |(severity, check)| {
                    format!("{severity} {check}")
                }),
        ]
    }
}

impl AcrossTenants for AuditReport {
    const TITLE: &'static str = "Emergency access audit";
    const COLUMNS: &'static [&'static str] = AUDIT_COLUMNS;

    fn passed(&self) -> bool {
        !self.failed
    }

    fn cells(&self) -> Vec<String> {
        AuditRow::of(self).cells()
    }
}

/// Runs the audit for every tenant of `tenants_file`: the summary and each tenant's report on
/// stdout, or with `--format html|json` as one page or document, to `--out` when given.
pub async fn cmd_audit_tenants(
    helper: &CommandHelper,
    args: &AuditArgs,
    tenants_file: &Path,
) -> Result<(), CommandError> {
    if matches!(args.format, Some(ReportFormat::Sarif)) {
        return Err(usage_error(
            "`--format sarif` is one tenant's audit: its results point into that tenant's breakglass.toml, and code scanning takes one run per tool and category",
        )
        .hinted("use `--format html` or `--format json` with --tenants; for SARIF run `breakglass audit --config TENANT/breakglass.toml --format sarif` per tenant"));
    }
    if args.inputs.drills.is_some() {
        return Err(usage_error("`--drills` names one tenant's drill records")
            .hinted("with --tenants each tenant's drills are read from `drills` next to its breakglass.toml"));
    }
    let job = |tenant_helper: CommandHelper, target: breakglass_ops::tenants::TenantTarget| {
        let mut tenant_args = AuditArgs {
            operator: crate::session::OperatorArgs {
                // Checked against `[tenant] id`, as `--tenant` is: they must agree.
                tenant: Some(target.tenant_id.to_string()),
                ..args.operator.clone()
            },
            ..args.clone()
        };
        tenant_args.inputs.config = target.config_path.clone();
        if target.keepass_password_file.is_some() {
            tenant_args.inputs.keepass_password_file = target.keepass_password_file.clone();
        }
        async move { run_audit(&tenant_helper, &tenant_args).await }
    };
    let Some(format) = args.format else {
        return run_across(helper, tenants_file, job).await;
    };
    let concurrency = usize::from(helper.global().concurrency);
    let outcomes = across(helper, tenants_file, job, AuditReport::passed, concurrency).await?;
    let exit = verdict(&outcomes);
    let text = match format {
        ReportFormat::Html => audit_page(&outcomes),
        _ => json_text(&TenantsReport {
            overall: overall(outcomes.iter().map(|o| o.status)),
            tenants: outcomes,
        })?,
    };
    write_report(helper, args.out.as_deref(), &text)?;
    exit
}

/// One page: the summary, each tenant's name linking to its audit further down.
fn audit_page(outcomes: &[TenantOutcome<AuditReport>]) -> String {
    let names = safe_names(outcomes.iter().map(|o| o.name.as_str()));
    summary_page(outcomes, &names, |report, _| {
        ReportAt::Section(report.html_body())
    })
}

/// The report to `out`, or to stdout without it, as the single-tenant audit writes it.
pub(crate) fn write_report(
    helper: &CommandHelper,
    out: Option<&Path>,
    text: &str,
) -> Result<(), CommandError> {
    match out {
        Some(path) => {
            breakglass_ops::audit::save_report(path, text)?;
            helper
                .ui()
                .status(format!("wrote the report to {}", path.display()));
            Ok(())
        }
        None => helper.ui().write_stdout(text),
    }
}
