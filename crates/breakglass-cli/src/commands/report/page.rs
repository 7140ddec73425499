//! `report merge --format html`: the merged summary as the page a run across tenants writes,
//! each tenant's name linking to its section: the findings, changes or unproven credentials
//! its report holds, or why no report came.

use breakglass_core::report_html::escape;
use breakglass_core::tenants::summary_html::{
    ReportAt, RowResult, SummaryPage, SummaryRow, anchors, safe_names, summary_html,
};
use jiff::Timestamp;
use serde_json::Value;

use super::kinds::{Kind, View};
use crate::commands::tenants::TenantOutcome;
use crate::commands::tenants_html::not_read;

/// The page for the merged `tenants`, all reports of `kind`.
pub fn merged_page(kind: Kind, tenants: &[TenantOutcome<Value>]) -> String {
    let names = safe_names(tenants.iter().map(|t| t.name.as_str()));
    let ids = anchors(names.iter().map(String::as_str));
    let rows = tenants
        .iter()
        .zip(ids)
        .map(|(outcome, anchor)| SummaryRow {
            name: outcome.name.clone(),
            tenant_id: outcome.tenant_id.clone(),
            anchor,
            result: row(outcome),
        })
        .collect();
    summary_html(&SummaryPage {
        title: kind.title(),
        columns: kind.columns(),
        passed_label: "passed",
        made_at: Timestamp::now(),
        tool_version: env!("CARGO_PKG_VERSION"),
        rows,
    })
}

fn row(outcome: &TenantOutcome<Value>) -> RowResult {
    let view = outcome.report.as_ref().and_then(|r| View::read(r).ok());
    match (view, &outcome.error) {
        (Some(view), _) => {
            let passed = view.passed();
            RowResult::Read {
                passed,
                label: if passed { "passed" } else { "FAILED" }.to_string(),
                cells: view.cells(),
                report: ReportAt::Section(section(&view)),
            }
        }
        (None, error) => not_read(error.as_ref()),
    }
}

/// The report's lines as a list, every text escaped.
fn section(view: &View) -> String {
    let lines = view.section();
    if lines.is_empty() {
        return "<p>Nothing to report: every check passed, or nothing is pending.</p>".to_string();
    }
    let items: String = lines
        .iter()
        .map(|line| format!("<li>{}</li>", escape(line.trim_start_matches("- "))))
        .collect();
    format!("<ul>{items}</ul>")
}
