//! The audit as one self-contained HTML page for people who do not run breakglass: auditors,
//! a security team, the next administrator. No script, no font, no image, no request: the
//! page's Content-Security-Policy forbids every fetch, so it reads the same offline, on a
//! phone and printed to PDF.

use jiff::Timestamp;

use super::{CheckId, Counts, Evidence, Finding, Outcome, Severity};
use crate::report_html::{escape, page as page_of};

/// What the page shows besides the findings.
#[derive(Clone, Copy, Debug)]
pub struct HtmlAudit<'a> {
    pub tenant_id: &'a str,
    pub audited_at: Timestamp,
    /// `--fail-on`, or `never`.
    pub fail_on: &'a str,
    pub failed: bool,
    pub tool_version: &'a str,
}

fn evidence_item(e: &Evidence) -> String {
    let detail = e
        .detail
        .as_deref()
        .map(|d| format!(": {}", escape(d)))
        .unwrap_or_default();
    format!(
        "<li>{} <span class=\"check\">({} {})</span>{detail}</li>",
        escape(&e.name),
        escape(&e.kind),
        escape(&e.id)
    )
}

fn article(finding: &Finding, class: &str, label: &str) -> String {
    let title = finding.check.text().title;
    // The finding leads; the check's own wording says what should have been true.
    let mut out = format!(
        "<article class=\"{class}\"><h3><span class=\"label\">{}</span> {}</h3><p class=\"check\">{}: expected: {}</p>",
        escape(label),
        escape(&finding.summary),
        finding.check.name(),
        escape(title),
    );
    if !finding.evidence.is_empty() {
        out.push_str("<ul class=\"evidence\">");
        for e in &finding.evidence {
            out.push_str(&evidence_item(e));
        }
        out.push_str("</ul>");
    }
    if let Some(hint) = &finding.hint {
        out.push_str(&format!(
            "<p class=\"hint\"><strong>What to do:</strong> {}</p>",
            escape(hint)
        ));
    }
    out.push_str("</article>\n");
    out
}

fn counts_table(counts: &Counts) -> String {
    let rows = [
        ("Critical", counts.critical),
        ("High", counts.high),
        ("Medium", counts.medium),
        ("Low", counts.low),
        ("Info", counts.info),
        ("Not checked", counts.not_checked),
        ("Passed", counts.passed),
    ];
    let mut out = String::from("<table class=\"counts\"><tr><th>Result</th><th>Checks</th></tr>");
    for (name, n) in rows {
        out.push_str(&format!("<tr><td>{name}</td><td>{n}</td></tr>"));
    }
    out.push_str("</table>\n");
    out
}

const SEVERITIES: [(Severity, &str); 5] = [
    (Severity::Critical, "Critical"),
    (Severity::High, "High"),
    (Severity::Medium, "Medium"),
    (Severity::Low, "Low"),
    (Severity::Info, "Info"),
];

fn findings_by_severity(findings: &[Finding]) -> String {
    let mut out = String::new();
    for (severity, name) in SEVERITIES {
        let these: Vec<&Finding> = findings
            .iter()
            .filter(|f| f.status == Outcome::Finding && f.severity == Some(severity))
            .collect();
        if these.is_empty() {
            continue;
        }
        out.push_str(&format!("<h2>{name} ({})</h2>\n", these.len()));
        for finding in these {
            out.push_str(&article(finding, severity.label(), name));
        }
    }
    out
}

fn not_checked(findings: &[Finding]) -> String {
    let these: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.status == Outcome::NotChecked)
        .collect();
    if these.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "<h2>Not checked ({})</h2>\n<p>The operator may not read what these checks need, so they are not passes.</p>\n",
        these.len()
    );
    for finding in these {
        out.push_str(&article(finding, "not-checked", "Not checked"));
    }
    out
}

fn passed(findings: &[Finding]) -> String {
    let mut checks: Vec<CheckId> = findings
        .iter()
        .filter(|f| f.status == Outcome::Pass)
        .map(|f| f.check)
        .collect();
    checks.dedup();
    if checks.is_empty() {
        return String::new();
    }
    let mut out = format!("<h2>Passed ({})</h2>\n<ul class=\"passed\">", checks.len());
    for check in checks {
        out.push_str(&format!(
            "<li>{} <span class=\"check\">{}</span></li>",
            escape(check.text().title),
            check.name()
        ));
    }
    out.push_str("</ul>\n");
    out
}

fn verdict(page: &HtmlAudit<'_>) -> String {
    match (page.fail_on, page.failed) {
        ("never", _) => String::new(),
        (threshold, true) => format!(
            "<p class=\"verdict failed\">FAILED: findings at {} or above, or checks not made</p>",
            escape(threshold)
        ),
        (threshold, false) => format!(
            "<p class=\"verdict passed\">Passed: nothing at {} or above</p>",
            escape(threshold)
        ),
    }
}

/// The counts, then the findings by severity, the checks not made and the passes.
fn results(findings: &[Finding]) -> String {
    [
        counts_table(&Counts::of(findings)),
        findings_by_severity(findings),
        not_checked(findings),
        passed(findings),
    ]
    .concat()
}

fn audited_at(page: &HtmlAudit<'_>) -> String {
    page.audited_at.strftime("%Y-%m-%d %H:%M UTC").to_string()
}

/// The verdict, the counts and every result, without the page around them: one tenant's part
/// of a page across tenants, which names the tenant in its own heading.
pub fn body(page: &HtmlAudit<'_>, findings: &[Finding]) -> String {
    format!(
        "<p class=\"meta\">Audited {at}</p>\n{verdict}<h2>Results</h2>\n{results}",
        at = audited_at(page),
        verdict = verdict(page),
        results = results(findings),
    )
}

/// The page.
pub fn html(page: &HtmlAudit<'_>, findings: &[Finding]) -> String {
    let at = audited_at(page);
    let tenant = escape(page.tenant_id);
    let body = format!(
        "<header><h1>Emergency access audit</h1>\n<p class=\"meta\">Tenant {tenant}</p>\n<p class=\"meta\">Audited {at}</p>\n{verdict}</header>\n\
<main>\n<h2>Summary</h2>\n{results}</main>\n\
<footer>Made by breakglass {version} from the tenant as read at {at}. Each finding's check name matches the JSON and SARIF reports.</footer>\n",
        verdict = verdict(page),
        results = results(findings),
        version = escape(page.tool_version),
    );
    page_of(&format!("Emergency access audit of {tenant}"), &body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::Missing;

    #[test]
    fn text_from_the_tenant_cannot_become_markup() {
        let finding = Finding::found(
            CheckId::AppOwners,
            Severity::Critical,
            "owner <script>alert(1)</script>",
        )
        .with(Evidence {
            id: "1\" onmouseover=\"x".into(),
            name: "<img src=http://evil>".into(),
            kind: "user".into(),
            detail: Some("a & b".into()),
        });
        let page = HtmlAudit {
            tenant_id: "t",
            audited_at: "2026-12-05T08:00:00Z".parse().unwrap(),
            fail_on: "high",
            failed: true,
            tool_version: "0.1.0",
        };
        let text = html(&page, &[finding]);
        assert!(!text.contains("<script"), "{text}");
        assert!(!text.contains("<img"), "{text}");
        assert!(text.contains("&lt;script&gt;"));
        assert!(text.contains("1&quot; onmouseover"));
        assert!(text.contains("a &amp; b"));
        assert!(text.contains("FAILED"));
    }

    #[test]
    fn findings_are_grouped_by_severity_and_checks_not_made_stand_apart() {
        let findings = vec![
            Finding::pass(CheckId::EmergencyApp, "there"),
            Finding::found(CheckId::LastDrill, Severity::Medium, "no drill"),
            Finding::found(CheckId::AppOwners, Severity::Critical, "an owner"),
            Finding::not_checked(
                CheckId::GraphPermissions,
                Missing {
                    permission: "Application.Read.All".into(),
                    detail: "403".into(),
                },
            ),
        ];
        let page = HtmlAudit {
            tenant_id: "t",
            audited_at: "2026-12-05T08:00:00Z".parse().unwrap(),
            fail_on: "never",
            failed: false,
            tool_version: "0.1.0",
        };
        let text = html(&page, &findings);
        let at = |needle: &str| text.find(needle).unwrap_or_else(|| panic!("{needle}"));
        assert!(at("<h2>Critical (1)") < at("<h2>Medium (1)"));
        assert!(at("<h2>Medium (1)") < at("<h2>Not checked (1)"));
        assert!(at("<h2>Not checked (1)") < at("<h2>Passed (1)"));
        assert!(text.contains("Application.Read.All"));
        assert!(
            !text.contains("class=\"verdict"),
            "no verdict with --fail-on never"
        );
    }
}
