//! `breakglass --tenants FILE audit`: the audit of every tenant in the file, a summary row per
//! tenant followed by each tenant's report; `--output json` gives one document with a section
//! per tenant.

use std::path::Path;

use breakglass_core::audit::{Finding, Outcome};
use breakglass_core::drill::VALIDATION_INTERVAL_DAYS;
use breakglass_core::tenants::{Overall, TenantStatus, overall};
use jiff::{Timestamp, ToSpan as _};
use serde::Serialize;

use crate::commands::audit::{AuditArgs, AuditReport, run_audit};
use crate::commands::tenants::{TenantOutcome, across, sections, verdict};
use crate::context::CommandHelper;
use crate::error::{CommandError, usage_error};
use crate::output::{Report, table};
use crate::ui::Ui;

/// The audit of every tenant.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TenantsAudit {
    overall: Overall,
    tenants: Vec<TenantOutcome<AuditReport>>,
}

/// The worst finding of a report: its severity and check.
fn worst(findings: &[Finding]) -> Option<&Finding> {
    findings
        .iter()
        .filter(|f| f.status == Outcome::Finding)
        .max_by_key(|f| f.severity)
}

fn day(timestamp: Timestamp) -> String {
    timestamp.strftime("%Y-%m-%d").to_string()
}

impl Report for TenantsAudit {
    fn human(&self, ui: &Ui) -> String {
        let mut t = table(
            ui,
            &[
                "TENANT",
                "RESULT",
                "CRIT/HIGH/MED/LOW",
                "NOT CHECKED",
                "WORST FINDING",
                "LAST DRILL",
                "NEXT DUE",
            ],
        );
        for outcome in &self.tenants {
            let name = format!("{}\n{}", outcome.name, outcome.tenant_id);
            let row = match (&outcome.report, &outcome.error) {
                (Some(report), _) => {
                    let c = &report.counts;
                    let worst = worst(&report.findings).map_or("-".to_string(), |f| {
                        format!(
                            "{} {}",
                            f.severity.map_or("", |s| s.label()),
                            f.check.name()
                        )
                    });
                    let next_due = report
                        .last_drill
                        .map(|last| last + (VALIDATION_INTERVAL_DAYS * 24).hours());
                    vec![
                        name,
                        match outcome.status {
                            TenantStatus::Passed => "passed".into(),
                            _ => "FAILED".into(),
                        },
                        format!("{}/{}/{}/{}", c.critical, c.high, c.medium, c.low),
                        c.not_checked.to_string(),
                        worst,
                        report.last_drill.map_or("never".into(), day),
                        next_due.map_or("now".into(), day),
                    ]
                }
                (None, Some(error)) => vec![
                    name,
                    format!("NOT READ: {}", error.short()),
                    "-".into(),
                    "-".into(),
                    error.message.clone(),
                    "-".into(),
                    "-".into(),
                ],
                (None, None) => vec![name],
            };
            t.add_row(row);
        }
        let count = |status| self.tenants.iter().filter(|o| o.status == status).count();
        let mut out = format!(
            "Emergency access audit of {} tenant(s):\n{t}\n{} passed, {} failed, {} not read.\n",
            self.tenants.len(),
            count(TenantStatus::Passed),
            count(TenantStatus::Failed),
            count(TenantStatus::Unreadable),
        );
        out.push_str(&sections(ui, &self.tenants, |report, ui| report.human(ui)));
        out
    }
}

/// Runs the audit for every tenant of `tenants_file`.
pub async fn cmd_audit_tenants(
    helper: &CommandHelper,
    args: &AuditArgs,
    tenants_file: &Path,
) -> Result<(), CommandError> {
    if args.format.is_some() || args.out.is_some() {
        return Err(
            usage_error("`--format` and `--out` are for one tenant's audit")
                .hinted("use `--output json` for one document with a section per tenant"),
        );
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
        async move { run_audit(&tenant_helper, &tenant_args).await }
    };
    let outcomes = across(helper, tenants_file, job, |report: &AuditReport| {
        !report.failed
    })
    .await?;
    let report = TenantsAudit {
        overall: overall(outcomes.iter().map(|o| o.status)),
        tenants: outcomes,
    };
    helper.ui().emit(&report)?;
    verdict(&report.tenants)
}
