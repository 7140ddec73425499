//! Drill records on disk: `drill-<UTC time>.json` (read back by `--history`) and a Markdown
//! twin for people and auditors. Written atomically with mode 0600; they hold no secret.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use breakglass_core::drill::{DrillRecord, RECORD_VERSION, Status, Verdict, record_stem};
use breakglass_store::{Overwrite, WriteFileError, write_secret_file};

use crate::Progress;
use crate::error::{Error, config_error, internal_error};

/// The two files a drill wrote.
#[derive(Clone, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordFiles {
    pub json: PathBuf,
    pub markdown: PathBuf,
}

fn when(at: jiff::Timestamp) -> String {
    at.strftime("%Y-%m-%d %H:%M:%S UTC").to_string()
}

pub fn verdict_text(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Passed => "passed",
        Verdict::PassedWithWarnings => "passed with warnings",
        Verdict::Failed => "FAILED",
    }
}

/// Table cells must not break the Markdown table.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The Markdown form of a record.
pub fn markdown(record: &DrillRecord) -> String {
    let mut md = String::new();
    let title = match record.kind {
        breakglass_core::drill::UseKind::Drill => "Emergency access drill",
        breakglass_core::drill::UseKind::Emergency => "Emergency use of the emergency access",
        breakglass_core::drill::UseKind::Misuse => "Misuse of the emergency access",
    };
    let _ = writeln!(md, "# {title}, {}\n", when(record.started));
    summary(&mut md, record);
    credentials(&mut md, record);
    users(&mut md, record);
    checks(&mut md, record);
    let _ = writeln!(
        md,
        "\nService principal sign-ins are read from Microsoft Graph **beta** \
         (`/beta/auditLogs/signIns`); v1.0 returns interactive user sign-ins only.\n\n\
         Microsoft asks for emergency access to be validated at least every 90 days. \
         This record holds no secret."
    );
    md
}

/// The table of what was drilled, by whom, and the verdict.
fn summary(md: &mut String, record: &DrillRecord) {
    let _ = writeln!(md, "| | |\n| --- | --- |");
    let _ = writeln!(
        md,
        "| result | **{}** ({} failure(s), {} warning(s){}) |",
        verdict_text(record.verdict),
        record.failures,
        record.warnings,
        if record.strict { ", strict" } else { "" }
    );
    let _ = writeln!(
        md,
        "| tenant | {} ({}) |",
        cell(record.tenant_name.as_deref().unwrap_or("-")),
        record.tenant_id
    );
    let _ = writeln!(md, "| what | {} |", record.kind.name());
    if let Some(note) = &record.note {
        let _ = writeln!(md, "| note | {} |", cell(note));
    }
    let _ = writeln!(md, "| cloud | {} |", cell(&record.cloud));
    let _ = writeln!(
        md,
        "| run by | {} {}{} ({}) |",
        record.operator.kind,
        cell(&record.operator.id),
        record
            .operator
            .name
            .as_deref()
            .map(|n| format!(" \"{}\"", cell(n)))
            .unwrap_or_default(),
        record.operator.method
    );
    let _ = writeln!(
        md,
        "| started / finished | {} / {} |",
        when(record.started),
        when(record.finished)
    );
    if let Some(at) = record.tenant_time {
        let _ = writeln!(md, "| tenant clock at start | {} |", when(at));
    }
    if let Some(app) = &record.app {
        let _ = writeln!(
            md,
            "| emergency app | {} (object {}) |",
            app.app_id, app.object_id
        );
    }
    let _ = writeln!(
        md,
        "| next drill due | {} |\n",
        record
            .next_due
            .map(when)
            .unwrap_or_else(|| "now (a credential or user has never been proven)".into())
    );
}

fn credentials(md: &mut String, record: &DrillRecord) {
    let _ = writeln!(md, "## Credentials\n");
    let _ = writeln!(
        md,
        "| label | key id | kind | store | proven |\n| --- | --- | --- | --- | --- |"
    );
    for c in &record.credentials {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} |",
            cell(&c.label),
            c.key_id.as_deref().unwrap_or("-"),
            c.kind,
            cell(&c.store),
            if c.proven { "yes" } else { "no" }
        );
    }
    let _ = writeln!(md);
}

/// The emergency users, when the drill had any.
fn users(md: &mut String, record: &DrillRecord) {
    if record.users.is_empty() {
        return;
    }
    let _ = writeln!(md, "## Emergency users\n");
    let _ = writeln!(
        md,
        "| user | object id | checks passed |\n| --- | --- | --- |"
    );
    for u in &record.users {
        let _ = writeln!(
            md,
            "| {} | {} | {} |",
            cell(&u.user_principal_name),
            u.id,
            if u.proven { "yes" } else { "no" }
        );
    }
    let _ = writeln!(md);
}

/// Every check of every credential and user; hints only where a check did not pass.
fn checks(md: &mut String, record: &DrillRecord) {
    let _ = writeln!(md, "## Checks\n");
    let _ = writeln!(
        md,
        "| subject | check | result | detail |\n| --- | --- | --- | --- |"
    );
    let rows = record
        .credentials
        .iter()
        .map(|c| (format!("credential `{}`", c.label), &c.checks))
        .chain(
            record
                .users
                .iter()
                .map(|u| (format!("user {}", u.user_principal_name), &u.checks)),
        );
    for (subject, checks) in rows {
        for check in checks {
            let mut detail = cell(&check.detail);
            if let Some(hint) = &check.hint
                && check.status >= Status::Warning
            {
                detail.push_str(&format!(" *(hint: {})*", cell(hint)));
            }
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} |",
                cell(&subject),
                check.check.title(),
                check.status.label(),
                detail
            );
        }
    }
}

/// Writes `drill-<time>.json` and `.md` to `folder` (0600, atomic); never overwrites an
/// earlier record.
pub fn write(folder: &Path, record: &DrillRecord) -> Result<RecordFiles, Error> {
    std::fs::create_dir_all(folder).map_err(|e| {
        config_error(format!(
            "cannot create the drill records folder {}: {e}",
            folder.display()
        ))
        .hinted("pass `--out DIR` for a folder you can write to")
    })?;
    let json = serde_json::to_string_pretty(record)
        .map_err(|e| internal_error(format!("cannot encode the drill record: {e}")))?;
    let md = markdown(record);
    let stem = record_stem(record.started);
    for attempt in 0..100 {
        let name = if attempt == 0 {
            stem.clone()
        } else {
            format!("{stem}-{attempt}")
        };
        let json_path = folder.join(format!("{name}.json"));
        let md_path = folder.join(format!("{name}.md"));
        if md_path.exists() {
            continue;
        }
        match write_secret_file(&json_path, json.as_bytes(), Overwrite::Refuse) {
            Ok(()) => {}
            Err(WriteFileError::AlreadyExists { .. }) => continue,
            Err(e) => return Err(write_error(e)),
        }
        write_secret_file(&md_path, md.as_bytes(), Overwrite::Replace).map_err(write_error)?;
        return Ok(RecordFiles {
            json: json_path,
            markdown: md_path,
        });
    }
    Err(internal_error(format!(
        "100 drill records named {stem} already exist in {}",
        folder.display()
    )))
}

fn write_error(err: WriteFileError) -> Error {
    config_error(format!("cannot write the drill record: {err}"))
        .hinted("pass `--out DIR` for a folder you can write to")
}

/// Reads every `drill-*.json` in `folder`; unreadable ones are skipped with a warning.
/// A missing folder holds no records.
pub fn read_all(progress: &dyn Progress, folder: &Path) -> Result<Vec<DrillRecord>, Error> {
    let entries = match std::fs::read_dir(folder) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(config_error(format!(
                "cannot read the drill records folder {}: {e}",
                folder.display()
            )));
        }
    };
    let mut records = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if !(name.starts_with("drill-") && name.ends_with(".json")) {
            continue;
        }
        let parsed = std::fs::read_to_string(&path)
            .map_err(|e| e.to_string())
            .and_then(|text| serde_json::from_str::<DrillRecord>(&text).map_err(|e| e.to_string()));
        match parsed {
            Ok(record) if record.version <= RECORD_VERSION => records.push(record),
            Ok(record) => progress.warn(&format!(
                "{} is a version {} record, newer than this breakglass reads; skipped",
                path.display(),
                record.version
            )),
            Err(e) => progress.warn(&format!(
                "{} is not a drill record ({e}); skipped",
                path.display()
            )),
        }
    }
    Ok(records)
}
