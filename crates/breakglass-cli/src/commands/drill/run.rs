//! The drill itself: each emergency credential signs in and reads, each emergency user is
//! inspected, the sign-ins are looked for in the logs, and the record is written.

use std::collections::{BTreeMap, BTreeSet};

use breakglass_core::drill::limits::{self, DrillFlagError};
use breakglass_core::drill::{DrillRecord, Status, Verdict};
use breakglass_ops::drill::given::{GivenFiles, given_files};
use breakglass_ops::drill::record::{self, RecordFiles};
use breakglass_ops::drill::{self, Drill, DrillOptions, Given};
use jiff::Timestamp;
use serde::Serialize;

use super::{DrillArgs, records_folder};
use crate::context::CommandHelper;
use crate::emergency::{input, keepass_password_for};
use crate::error::{CommandError, ErrorKind, usage_error};
use crate::output::{Report, table};
use crate::ui::Ui;

/// What `drill` prints: the record and where it was written.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DrillReport {
    #[serde(flatten)]
    pub record: DrillRecord,
    pub record_files: Option<RecordFiles>,
}

fn when(at: Timestamp) -> String {
    at.strftime("%Y-%m-%d %H:%M UTC").to_string()
}

impl Report for DrillReport {
    fn human(&self, ui: &Ui) -> String {
        let r = &self.record;
        let mut out = format!(
            "Drill of tenant {} ({}), run by {} {} at {}:\n",
            r.tenant_name.as_deref().unwrap_or("?"),
            r.tenant_id,
            r.operator.kind,
            r.operator.id,
            when(r.started)
        );
        let mut t = table(ui, &["SUBJECT", "CHECK", "RESULT", "DETAIL"]);
        let rows = r
            .credentials
            .iter()
            .map(|c| {
                let key = c
                    .key_id
                    .as_deref()
                    .map(|k| format!(" {}", &k[..k.len().min(8)]))
                    .unwrap_or_default();
                (format!("{} ({}{key})", c.label, c.kind), &c.checks)
            })
            .chain(
                r.users
                    .iter()
                    .map(|u| (u.user_principal_name.clone(), &u.checks)),
            );
        for (subject, checks) in rows {
            for (i, check) in checks.iter().enumerate() {
                t.add_row(vec![
                    if i == 0 {
                        subject.clone()
                    } else {
                        String::new()
                    },
                    check.check.title().to_string(),
                    check.status.label().to_string(),
                    check.detail.clone(),
                ]);
            }
        }
        out.push_str(&t.to_string());
        out.push('\n');
        let mut hints = BTreeSet::new();
        for check in r
            .credentials
            .iter()
            .flat_map(|c| c.checks.iter())
            .chain(r.users.iter().flat_map(|u| u.checks.iter()))
        {
            if check.status >= Status::Warning
                && let Some(hint) = &check.hint
            {
                hints.insert(hint.clone());
            }
        }
        for hint in hints {
            out.push_str(&format!("hint: {hint}\n"));
        }
        out.push_str(&format!(
            "Drill {}: {} failure(s), {} warning(s){}.\n",
            record::verdict_text(r.verdict),
            r.failures,
            r.warnings,
            if r.strict {
                " (strict: warnings fail)"
            } else {
                ""
            }
        ));
        out.push_str(&match r.next_due {
            Some(due) => format!(
                "Next drill due by {} (every 90 days, as Microsoft asks).\n",
                when(due)
            ),
            None => "Next drill due now: a declared credential or user has never been proven.\n"
                .to_string(),
        });
        if let Some(files) = &self.record_files {
            out.push_str(&format!(
                "Record: {} and {}\n",
                files.json.display(),
                files.markdown.display()
            ));
        }
        out
    }
}

/// The files given, as inputs (stdin read for `-`).
fn inputs(given: BTreeMap<String, GivenFiles>) -> Result<BTreeMap<String, Given>, CommandError> {
    given
        .into_iter()
        .map(|(label, files)| {
            let given = match files {
                GivenFiles::Sheet(file) => Given::Sheet(input(&file, "the recovery sheet")?),
                GivenFiles::Shares(files) => Given::Shares(
                    files
                        .iter()
                        .map(|file| input(file, "the shares"))
                        .collect::<Result<Vec<_>, _>>()?,
                ),
            };
            Ok((label, given))
        })
        .collect()
}

/// Runs the drill and writes its record: the report `drill` prints.
pub async fn run_drill(
    helper: &CommandHelper,
    args: &DrillArgs,
) -> Result<DrillReport, CommandError> {
    let ui = helper.ui();
    let refused = |err: DrillFlagError| {
        let hint = err.hint().unwrap_or_default();
        usage_error(err.to_string()).hinted(hint)
    };
    let log_wait = limits::log_wait(&args.log_wait).map_err(refused)?;
    limits::expiry_days(args.min_days, args.warn_days).map_err(refused)?;
    let workspace = args.config.workspace()?;
    let given = given_files(&workspace.config, &args.sheet, &args.shares)?;
    let folder = records_folder(args);
    let earlier = record::read_all(ui, &folder)?;
    let started = breakglass_core::lease::whole_seconds(Timestamp::now());
    let session = helper
        .sign_in_for(&args.operator, &workspace.config)
        .await?;
    let options = DrillOptions {
        given: inputs(given)?,
        min_days: args.min_days,
        warn_days: args.warn_days,
        log_wait,
        strict: args.strict,
        config_path: args.config.config.clone(),
        kind: args.kind.into(),
        note: args.note.clone(),
    };
    let password = keepass_password_for(&args.config);
    let drill = Drill {
        progress: ui,
        session: &session,
        chosen_cloud: helper.cloud()?,
        http_options: helper.http_options(),
        keepass_password: &password,
        tokens: args.config.tokens(),
    };
    let record = drill::run(&drill, &workspace, &options, &earlier, started).await?;
    let files = record::write(&folder, &record)?;
    Ok(DrillReport {
        record,
        record_files: Some(files),
    })
}

pub async fn cmd_run(helper: &CommandHelper, args: &DrillArgs) -> Result<(), CommandError> {
    let ui = helper.ui();
    let report = run_drill(helper, args).await?;
    match args.format {
        Some(super::PageFormat::Html) => {
            ui.write_stdout(&breakglass_core::drill::html::html(&report.record))?
        }
        None => ui.emit(&report)?,
    }
    let record = &report.record;
    if record.verdict == Verdict::Failed {
        let what = if record.failures > 0 {
            format!("{} check(s) failed", record.failures)
        } else {
            format!("{} warning(s), and `--strict` was given", record.warnings)
        };
        return Err(CommandError::new(
            ErrorKind::DrillFailed,
            format!("the drill did not pass: {what}"),
        )
        .hinted("the table above says which and what to do; the record was written all the same"));
    }
    Ok(())
}
