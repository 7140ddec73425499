//! The first page of a run across tenants for people: a table with a row per tenant, each
//! tenant's name linking to its full report (a section further down the same file, or a file
//! beside it), and a short section for each tenant that could not be read. Tenant names come
//! from the user's file, so every text is escaped and every id is derived, never copied.

use std::collections::BTreeSet;

use jiff::Timestamp;

use crate::report_html::{escape, page};

/// Where a read tenant's full report is.
pub enum ReportAt {
    /// Markup of the report, placed in this page under the tenant's anchor.
    Section(String),
    /// A relative link to a page beside this one, e.g. `contoso/audit.html`.
    File(String),
}

/// One tenant's row.
pub enum RowResult {
    Read {
        passed: bool,
        /// What the result column says: "passed", "FAILED", "written".
        label: String,
        /// The cells under the page's columns.
        cells: Vec<String>,
        report: ReportAt,
    },
    NotRead {
        /// A few words: "sign-in refused", "unreachable".
        short: String,
        message: String,
        hints: Vec<String>,
    },
}

/// One tenant of the run.
pub struct SummaryRow {
    pub name: String,
    pub tenant_id: String,
    /// The id of its section: from [`anchors`].
    pub anchor: String,
    pub result: RowResult,
}

/// The whole page.
pub struct SummaryPage<'a> {
    /// "Emergency access audit".
    pub title: &'a str,
    /// The columns after TENANT, TENANT ID and RESULT.
    pub columns: &'a [&'a str],
    /// What a read tenant that passed is called in the count line: "passed", "written".
    pub passed_label: &'a str,
    pub made_at: Timestamp,
    pub tool_version: &'a str,
    pub rows: Vec<SummaryRow>,
}

/// The summary table's id, for each section's way back.
pub const SUMMARY_ID: &str = "summary";

/// A name made into letters, digits, `-`, `_` and `.` (each other character a `-`), lower
/// case so two names that differ only in case cannot share a folder on a case-insensitive
/// file system; never empty, never starting with a `.` (no `..`, no hidden folder).
pub fn safe_name(name: &str) -> String {
    let mapped: String = name
        .chars()
        .map(|c| match c {
            c if c.is_ascii_alphanumeric() => c.to_ascii_lowercase(),
            '_' | '.' => c,
            _ => '-',
        })
        .collect();
    let trimmed = mapped.trim_start_matches('.');
    if trimmed.is_empty() {
        "tenant".to_string()
    } else {
        trimmed.to_string()
    }
}

/// A [`safe_name`] for each name, made unique by a `-2`, `-3`… suffix where two collide.
pub fn safe_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut taken = BTreeSet::new();
    names
        .into_iter()
        .map(|name| {
            let base = safe_name(name);
            let mut candidate = base.clone();
            let mut n = 2;
            while !taken.insert(candidate.clone()) {
                candidate = format!("{base}-{n}");
                n += 1;
            }
            candidate
        })
        .collect()
}

/// The section id of each tenant: `tenant-` and its unique safe name, so no tenant's id can
/// be the summary's or another tenant's.
pub fn anchors<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    safe_names(names)
        .into_iter()
        .map(|name| format!("tenant-{name}"))
        .collect()
}

fn summary_row(row: &SummaryRow, columns: usize) -> String {
    let link = match &row.result {
        RowResult::Read {
            report: ReportAt::File(href),
            ..
        } => escape(href),
        _ => format!("#{}", escape(&row.anchor)),
    };
    let mut out = format!(
        "<tr><td><a href=\"{link}\">{}</a></td><td class=\"check\">{}</td>",
        escape(&row.name),
        escape(&row.tenant_id)
    );
    match &row.result {
        RowResult::Read {
            passed,
            label,
            cells,
            ..
        } => {
            let class = if *passed { "passed" } else { "failed" };
            out.push_str(&format!(
                "<td class=\"status {class}\">{}</td>",
                escape(label)
            ));
            for cell in cells {
                out.push_str(&format!("<td>{}</td>", escape(cell)));
            }
        }
        RowResult::NotRead { short, message, .. } => {
            out.push_str(&format!(
                "<td class=\"status not-read\">not read: {}</td>",
                escape(short)
            ));
            // The reason takes the place of the tenant's cells.
            out.push_str(&format!(
                "<td colspan=\"{}\">{}</td>",
                columns.max(1),
                escape(message)
            ));
        }
    }
    out.push_str("</tr>\n");
    out
}

fn summary_table(summary: &SummaryPage<'_>) -> String {
    let mut out = format!(
        "<div class=\"wide\"><table class=\"counts tenants\" id=\"{SUMMARY_ID}\"><tr><th>Tenant</th><th>Tenant id</th><th>Result</th>"
    );
    for column in summary.columns {
        out.push_str(&format!("<th>{}</th>", escape(column)));
    }
    out.push_str("</tr>\n");
    for row in &summary.rows {
        out.push_str(&summary_row(row, summary.columns.len()));
    }
    out.push_str("</table></div>\n");
    out
}

fn counts_line(rows: &[SummaryRow], passed_label: &str) -> String {
    let (mut passed, mut failed, mut not_read) = (0, 0, 0);
    for row in rows {
        match row.result {
            RowResult::Read { passed: true, .. } => passed += 1,
            RowResult::Read { passed: false, .. } => failed += 1,
            RowResult::NotRead { .. } => not_read += 1,
        }
    }
    format!(
        "<p class=\"meta\">{} tenant(s): {passed} {}, {failed} failed, {not_read} not read.</p>\n",
        rows.len(),
        escape(passed_label),
    )
}

fn section(row: &SummaryRow) -> Option<String> {
    let inner = match &row.result {
        RowResult::Read {
            report: ReportAt::File(_),
            ..
        } => return None,
        RowResult::Read {
            report: ReportAt::Section(markup),
            ..
        } => markup.clone(),
        RowResult::NotRead {
            short,
            message,
            hints,
        } => {
            let mut text = format!(
                "<article class=\"not-checked\"><h3><span class=\"label\">Not read</span> {}</h3><p>{}</p>",
                escape(short),
                escape(message)
            );
            for hint in hints {
                text.push_str(&format!(
                    "<p class=\"hint\"><strong>What to do:</strong> {}</p>",
                    escape(hint)
                ));
            }
            text.push_str("</article>\n");
            text
        }
    };
    Some(format!(
        "<section class=\"tenant\" id=\"{anchor}\">\n<h1 class=\"tenant-name\">{name}</h1>\n<p class=\"meta\">Tenant {id}</p>\n{inner}<p class=\"meta\"><a href=\"#{SUMMARY_ID}\">Back to the summary</a></p>\n</section>\n",
        anchor = escape(&row.anchor),
        name = escape(&row.name),
        id = escape(&row.tenant_id),
    ))
}

/// The page: the summary first, then each tenant's section in the rows' order.
pub fn summary_html(summary: &SummaryPage<'_>) -> String {
    let at = summary.made_at.strftime("%Y-%m-%d %H:%M UTC").to_string();
    let title = escape(summary.title);
    let mut body = format!(
        "<header><h1>{title} of {} tenant(s)</h1>\n<p class=\"meta\">Made {at}</p>\n{}</header>\n<main>\n<h2>Summary</h2>\n{}",
        summary.rows.len(),
        counts_line(&summary.rows, summary.passed_label),
        summary_table(summary),
    );
    for row in &summary.rows {
        body.push_str(&section(row).unwrap_or_default());
    }
    body.push_str(&format!(
        "</main>\n<footer>Made by breakglass {} at {at}. Each tenant's name links to its report.</footer>\n",
        escape(summary.tool_version)
    ));
    page(
        &format!("{title} of {} tenant(s)", summary.rows.len()),
        &body,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, anchor: &str, result: RowResult) -> SummaryRow {
        SummaryRow {
            name: name.into(),
            tenant_id: format!("id-of-{name}"),
            anchor: anchor.into(),
            result,
        }
    }

    #[test]
    fn names_become_safe_unique_names() {
        assert_eq!(safe_name("Contoso.EU"), "contoso.eu");
        assert_eq!(safe_name(".."), "tenant");
        assert_eq!(safe_name("../etc/passwd"), "-etc-passwd");
        assert_eq!(safe_name("a b\"<c>"), "a-b--c-");
        assert_eq!(
            safe_names(["Contoso", "contoso", "contoso-2", "x"]),
            ["contoso", "contoso-2", "contoso-2-2", "x"]
        );
        assert_eq!(anchors(["a"]), ["tenant-a"]);
    }

    #[test]
    fn every_text_is_escaped_and_every_link_has_its_target() {
        let summary = SummaryPage {
            title: "Emergency access audit",
            columns: &["NOT CHECKED", "WORST FINDING"],
            passed_label: "passed",
            made_at: "2026-12-05T08:00:00Z".parse().unwrap(),
            tool_version: "0.1.0",
            rows: vec![
                row(
                    "<b>evil\"",
                    "tenant--b-evil-",
                    RowResult::Read {
                        passed: false,
                        label: "FAILED".into(),
                        cells: vec!["0".into(), "<script>".into()],
                        report: ReportAt::Section("<p>the audit</p>".into()),
                    },
                ),
                row(
                    "kept",
                    "tenant-kept",
                    RowResult::Read {
                        passed: true,
                        label: "written".into(),
                        cells: vec!["0".into(), "-".into()],
                        report: ReportAt::File("kept/audit.html".into()),
                    },
                ),
                row(
                    "gone",
                    "tenant-gone",
                    RowResult::NotRead {
                        short: "unreachable".into(),
                        message: "cannot reach <graph>".into(),
                        hints: vec!["check the network".into()],
                    },
                ),
            ],
        };
        let text = summary_html(&summary);
        assert!(
            !text.contains("<b>evil") && !text.contains("<script>"),
            "{text}"
        );
        assert!(text.contains("&lt;b&gt;evil&quot;"));
        assert!(text.contains("cannot reach &lt;graph&gt;"));
        assert!(text.contains("href=\"kept/audit.html\""));
        assert!(!text.contains("id=\"tenant-kept\""), "its report is a file");
        for id in ["tenant--b-evil-", "tenant-gone", SUMMARY_ID] {
            assert!(text.contains(&format!("href=\"#{id}\"")), "{id}");
            assert_eq!(text.matches(&format!("id=\"{id}\"")).count(), 1, "{id}");
        }
        assert!(text.contains("1 passed, 1 failed, 1 not read"));
    }
}
