//! The summary page of a run across tenants (`audit --format html`, `evidence`'s
//! `summary.html`): each tenant's outcome made into a row of
//! `breakglass_core::tenants::summary_html`, which renders and escapes it.

use breakglass_core::tenants::summary_html::{
    ReportAt, RowResult, SummaryPage, SummaryRow, anchors, summary_html,
};
use jiff::Timestamp;

use crate::commands::tenants::{AcrossTenants, TenantError, TenantOutcome};

/// The page for `outcomes`, in their order. `report_at` says where a read tenant's full
/// report is, given the report and the tenant's safe name (its folder, in an evidence pack).
pub fn summary_page<R: AcrossTenants>(
    outcomes: &[TenantOutcome<R>],
    safe_names: &[String],
    report_at: impl Fn(&R, &str) -> ReportAt,
) -> String {
    let ids = anchors(safe_names.iter().map(String::as_str));
    let rows = outcomes
        .iter()
        .zip(safe_names)
        .zip(ids)
        .map(|((outcome, safe_name), anchor)| SummaryRow {
            name: outcome.name.clone(),
            tenant_id: outcome.tenant_id.clone(),
            anchor,
            result: row_result(outcome, safe_name, &report_at),
        })
        .collect();
    let page = SummaryPage {
        title: R::TITLE,
        columns: R::COLUMNS,
        passed_label: R::PASSED,
        made_at: Timestamp::now(),
        tool_version: env!("CARGO_PKG_VERSION"),
        rows,
    };
    summary_html(&page)
}

fn row_result<R: AcrossTenants>(
    outcome: &TenantOutcome<R>,
    safe_name: &str,
    report_at: &impl Fn(&R, &str) -> ReportAt,
) -> RowResult {
    match (&outcome.report, &outcome.error) {
        (Some(report), _) => {
            let passed = report.passed();
            RowResult::Read {
                passed,
                label: if passed { R::PASSED } else { "FAILED" }.to_string(),
                cells: report.cells(),
                report: report_at(report, safe_name),
            }
        }
        (None, error) => not_read(error.as_ref()),
    }
}

/// The row of a tenant that has no report: why, and what to do.
pub fn not_read(error: Option<&TenantError>) -> RowResult {
    RowResult::NotRead {
        short: error.map_or("no report", |e| e.short()).to_string(),
        message: error.map_or_else(|| "no report".to_string(), |e| e.message.clone()),
        hints: error.map(|e| e.hints.clone()).unwrap_or_default(),
    }
}
