//! A drill record (or the record of a use) as one self-contained HTML page for people: what
//! was proven, of which credential and user, by whom, and when the next drill is due.

use super::{Check, DrillRecord, Status, UseKind, Verdict};
use crate::report_html::{escape, page};

fn status_text(status: Status) -> &'static str {
    match status {
        Status::Pass => "pass",
        Status::Skipped => "skipped",
        Status::Warning => "WARNING",
        Status::Failure => "FAILED",
    }
}

fn when(at: jiff::Timestamp) -> String {
    at.strftime("%Y-%m-%d %H:%M UTC").to_string()
}

fn checks_table(checks: &[Check]) -> String {
    let mut out = String::from("<table class=\"checks\">");
    for check in checks {
        let hint = check
            .hint
            .as_deref()
            .map(|h| format!("<br><strong>What to do:</strong> {}", escape(h)))
            .unwrap_or_default();
        out.push_str(&format!(
            "<tr><td class=\"status\">{}</td><td>{}</td><td>{}{hint}</td></tr>",
            status_text(check.status),
            escape(check.check.title()),
            escape(&check.detail),
        ));
    }
    out.push_str("</table>");
    out
}

/// The article class of the worst check: the same colours as the audit's severities.
fn class_of(checks: &[Check]) -> &'static str {
    match checks.iter().map(|c| c.status).max() {
        Some(Status::Failure) => "critical",
        Some(Status::Warning) => "medium",
        _ => "pass",
    }
}

fn summary(record: &DrillRecord) -> String {
    let verdict = match record.verdict {
        Verdict::Passed => "<p class=\"verdict passed\">Passed</p>".to_string(),
        Verdict::PassedWithWarnings => format!(
            "<p class=\"verdict passed\">Passed with {} warning(s)</p>",
            record.warnings
        ),
        Verdict::Failed => format!(
            "<p class=\"verdict failed\">FAILED: {} failure(s), {} warning(s)</p>",
            record.failures, record.warnings
        ),
    };
    let operator = format!(
        "{} {}{} ({})",
        record.operator.kind,
        record.operator.id,
        record
            .operator
            .name
            .as_deref()
            .map(|n| format!(" \"{n}\""))
            .unwrap_or_default(),
        record.operator.method
    );
    let mut out = format!(
        "<p class=\"meta\">Tenant {} {}</p>\n<p class=\"meta\">{} to {}, run by {}</p>\n",
        escape(record.tenant_name.as_deref().unwrap_or("")),
        escape(&record.tenant_id),
        when(record.started),
        when(record.finished),
        escape(&operator),
    );
    if let Some(note) = &record.note {
        out.push_str(&format!("<p class=\"meta\">Note: {}</p>\n", escape(note)));
    }
    out.push_str(&verdict);
    if let Some(due) = record.next_due {
        out.push_str(&format!(
            "<p class=\"meta\">Next drill due {}</p>\n",
            when(due)
        ));
    }
    out
}

/// The page.
pub fn html(record: &DrillRecord) -> String {
    let title = match record.kind {
        UseKind::Drill => "Emergency access drill",
        UseKind::Emergency => "Emergency use of the emergency access",
        UseKind::Misuse => "Misuse of the emergency access",
    };
    let mut body = format!(
        "<header><h1>{title}</h1>\n{}</header>\n<main>\n<h2>Credentials of the emergency app ({})</h2>\n",
        summary(record),
        record.credentials.len()
    );
    for credential in &record.credentials {
        body.push_str(&format!(
            "<article class=\"{}\"><h3>{} <span class=\"check\">{} in {}{}</span></h3>{}</article>\n",
            class_of(&credential.checks),
            escape(&credential.label),
            escape(&credential.kind),
            escape(&credential.store),
            credential
                .key_id
                .as_deref()
                .map(|k| format!(", key id {}", escape(k)))
                .unwrap_or_default(),
            checks_table(&credential.checks),
        ));
    }
    body.push_str(&format!(
        "<h2>Emergency users ({})</h2>\n",
        record.users.len()
    ));
    for user in &record.users {
        body.push_str(&format!(
            "<article class=\"{}\"><h3>{} <span class=\"check\">{}</span></h3>{}</article>\n",
            class_of(&user.checks),
            escape(&user.user_principal_name),
            escape(&user.id),
            checks_table(&user.checks),
        ));
    }
    body.push_str(
        "</main>\n<footer>Microsoft asks for emergency access to be validated at least every 90 days. This record holds no secret.</footer>\n",
    );
    page(&format!("{title}, {}", escape(&record.tenant_id)), &body)
}
