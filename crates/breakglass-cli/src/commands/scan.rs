//! `breakglass scan`: find the emergency identities' sign-ins and changes in exported logs.

use std::path::PathBuf;
use std::time::Instant;

use breakglass_core::identities::{EmergencyIdentities, NamedIdentityError, Severity};
use breakglass_scan::{Event, FileReport, ScanOptions, ScanReport, Watchlist, scan_files};
use serde::Serialize;

use crate::context::CommandHelper;
use crate::error::{CommandError, ErrorKind, config_error, usage_error};
use crate::output::{Report, table};
use crate::provision::ConfigArgs;
use crate::session::OperatorArgs;
use crate::ui::Ui;

/// Finds every sign-in and directory change of the emergency identities in exported logs.
///
/// Reads Microsoft Graph pages (`{"value":[…]}` from /auditLogs/signIns and
/// /auditLogs/directoryAudits), Azure Monitor diagnostic records (`{"records":[…]}` from
/// Event Hubs, or one record per line as in a storage account's PT1H.json), and Log
/// Analytics exports as JSON lines (SigninLogs, AADNonInteractiveUserSignInLogs,
/// AADServicePrincipalSignInLogs, AuditLogs), each plain or gzip-compressed. Nothing is
/// sent anywhere and no sign-in is needed.
///
/// Reports the time, kind, identity, credential key id, severity (offline credential
/// critical, rotating high, unknown key id critical; user sign-ins critical), result, IP
/// address and where each event was found. Damaged files, malformed lines and truncated
/// gzip files are reported as warnings and the scan goes on.
///
/// Whom to look for comes from `--identities FILE` (as `breakglass monitor identities --out
/// FILE` writes it), from `--app-id`, `--user` and `--key-id`, or, with none of these, from
/// the tenant: scan then signs in as `plan` does and reads them as `monitor identities` does.
///
/// Exit status: 0 when nothing was found, 10 when events were found, 3 when no file could
/// be read at all (see docs/exit-codes.md). Formats, matching and speed: docs/scan.md.
#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Log files to read: JSON lines or JSON documents, plain or gzip-compressed.
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,

    /// The emergency identities, as `breakglass monitor identities --out FILE` writes them.
    #[arg(long, value_name = "FILE")]
    pub identities: Option<PathBuf>,

    /// Also look for this application (client) id, e.g. for an ad-hoc investigation.
    #[arg(long, value_name = "GUID")]
    pub app_id: Option<String>,

    /// Also look for this user: a user principal name or an object id. Repeatable.
    #[arg(long, value_name = "UPN")]
    pub user: Vec<String>,

    /// Also know this credential key id, with a label (`offline` is critical, other labels
    /// high). Repeatable.
    #[arg(long, value_name = "GUID=LABEL")]
    pub key_id: Vec<String>,

    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,

    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub operator: OperatorArgs,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Summary {
    files: usize,
    unreadable_files: usize,
    bytes: u64,
    records: u64,
    malformed: u64,
    events: usize,
    critical: usize,
    seconds: f64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ScanOutput {
    events: Vec<Event>,
    files: Vec<FileReport>,
    summary: Summary,
}

fn severity_word(severity: Severity) -> &'static str {
    match severity {
        Severity::Info => "info",
        Severity::Low => "low",
        Severity::Medium => "medium",
        Severity::High => "high",
        Severity::Critical => "critical",
    }
}

impl Report for ScanOutput {
    fn human(&self, ui: &Ui) -> String {
        if self.events.is_empty() {
            return format!(
                "No sign-ins or changes of the emergency identities in {} record(s) of {} file(s).\n",
                self.summary.records, self.summary.files
            );
        }
        let mut t = table(
            ui,
            &[
                "time", "kind", "identity", "key id", "severity", "result", "IP", "source",
            ],
        );
        for e in &self.events {
            let result = match (&e.error_code, &e.failure_reason) {
                (Some(code), _) if e.result == "failure" => format!("failure {code}"),
                _ => e.result.clone(),
            };
            let identity = match &e.activity {
                Some(activity) => format!("{}: {activity}", e.identity),
                None => e.identity.clone(),
            };
            t.add_row(vec![
                e.time.clone(),
                e.kind.describe().to_string(),
                identity,
                e.credential_key_id.clone().unwrap_or_default(),
                severity_word(e.severity).to_string(),
                result,
                e.ip_address.clone().unwrap_or_default(),
                e.source.to_string(),
            ]);
        }
        format!(
            "{t}\n{} event(s), {} critical, in {} record(s) of {} file(s).\n",
            self.summary.events, self.summary.critical, self.summary.records, self.summary.files
        )
    }
}

/// The identities from `--identities`, or the tenant, plus the quick flags.
async fn identities(
    helper: &CommandHelper,
    args: &ScanArgs,
) -> Result<EmergencyIdentities, CommandError> {
    let quick = args.app_id.is_some() || !args.user.is_empty() || !args.key_id.is_empty();
    let mut ids = match &args.identities {
        Some(path) => breakglass_ops::monitor::identities::read(path)?,
        None if quick => EmergencyIdentities::default(),
        None => super::monitor::gather_signed_in(helper, &args.config, &args.operator)
            .await
            .map_err(|e| {
                e.hinted("or scan offline: pass `--identities FILE`, written by `breakglass monitor identities --out FILE`")
                    .hinted("or name them: `--app-id GUID`, `--user UPN`, `--key-id GUID=LABEL`")
            })?,
    };
    let refused = |err: NamedIdentityError| usage_error(err.to_string()).hinted(err.hint());
    if let Some(app) = &args.app_id {
        ids.name_app(app).map_err(refused)?;
    }
    for user in &args.user {
        ids.name_user(user).map_err(refused)?;
    }
    for pair in &args.key_id {
        ids.name_key(pair).map_err(refused)?;
    }
    Ok(ids)
}

pub async fn cmd_scan(helper: &CommandHelper, args: &ScanArgs) -> Result<(), CommandError> {
    let ui = helper.ui();
    let identities = identities(helper, args).await?;
    let watch = Watchlist::new(identities).map_err(|e| {
        usage_error(format!("cannot scan: {e}"))
            .hinted("check the identities file, or pass `--app-id`, `--user` or `--key-id`")
    })?;
    let options = ScanOptions {
        threads: args.threads.unwrap_or(0),
        ..ScanOptions::default()
    };
    let paths = breakglass_scan::files_under(&args.files);
    let spinner = ui.spinner(format!("Scanning {} file(s)…", paths.len()));
    let started = Instant::now();
    let ScanReport { events, files } = scan_files(&paths, &watch, &options);
    let seconds = started.elapsed().as_secs_f64();
    drop(spinner);

    for file in &files {
        if let Some(problem) = &file.problem {
            ui.warn(format!("{}: {problem}", file.file));
        }
        if file.malformed > 0 {
            let lines: Vec<String> = file.malformed_lines.iter().map(u64::to_string).collect();
            ui.warn(format!(
                "{}: {} malformed line(s) or record(s) skipped (first at {})",
                file.file,
                file.malformed,
                lines.join(", ")
            ));
        }
    }
    let bytes: u64 = files.iter().map(|f| f.bytes).sum();
    let summary = Summary {
        files: files.len(),
        unreadable_files: files.iter().filter(|f| !f.readable).count(),
        bytes,
        records: files.iter().map(|f| f.records).sum(),
        malformed: files.iter().map(|f| f.malformed).sum(),
        events: events.len(),
        critical: events
            .iter()
            .filter(|e| e.severity == Severity::Critical)
            .count(),
        seconds,
    };
    ui.status(format!(
        "Read {:.1} MB in {:.2} s ({:.2} GB/s).",
        bytes as f64 / 1e6,
        seconds,
        bytes as f64 / 1e9 / seconds.max(1e-9)
    ));
    // With nothing read there is no result to print: "no events" would be a false all-clear.
    if summary.unreadable_files == summary.files {
        return Err(config_error(format!(
            "no file could be read ({} given)",
            summary.files
        ))
        .hinted(
            "the warnings above say why; scan reads JSON lines and JSON documents, plain or gzip, and the files inside folders",
        ));
    }
    let found = !events.is_empty();
    ui.emit(&ScanOutput {
        events,
        files,
        summary,
    })?;
    if found {
        return Err(CommandError::new(
            ErrorKind::EventsFound,
            "events of the emergency identities were found",
        ));
    }
    Ok(())
}
