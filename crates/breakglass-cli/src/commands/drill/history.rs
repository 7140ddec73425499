//! `breakglass drill --history`: when each credential and user was last proven, and when the
//! next drill is due, from the records alone (the tenant is not contacted).

use std::path::{Path, PathBuf};

use breakglass_core::drill::{self, History, Standing};
use jiff::Timestamp;
use serde::Serialize;

use super::{DrillArgs, records_folder};
use crate::context::CommandHelper;
use crate::error::{CommandError, ErrorKind};
use crate::output::{Report, table};
use crate::ui::Ui;
use breakglass_ops::drill::record::{read_all, verdict_text};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryReport {
    pub folder: PathBuf,
    /// This machine's clock, which due dates are judged by.
    pub now: Timestamp,
    #[serde(flatten)]
    pub history: History,
}

fn day(at: Option<Timestamp>) -> String {
    at.map(|t| t.strftime("%Y-%m-%d").to_string())
        .unwrap_or_else(|| "never".into())
}

fn state(s: &Standing) -> String {
    match (s.overdue, s.days_left) {
        (true, Some(days)) => format!("OVERDUE by {} days", -days),
        (true, None) => "OVERDUE (never proven)".into(),
        (false, Some(days)) => format!("due in {days} days"),
        (false, None) => "-".into(),
    }
}

impl Report for HistoryReport {
    fn human(&self, ui: &Ui) -> String {
        let h = &self.history;
        if h.drills == 0 {
            let mut out = format!("No drill records in {}.\n", self.folder.display());
            if h.overdue {
                out.push_str("A drill is due now: run `breakglass drill`.\n");
            }
            return out;
        }
        let mut out = format!(
            "{} drill(s) in {}; the last on {} {}.\n",
            h.drills,
            self.folder.display(),
            day(h.last_drill),
            h.last_verdict.map(verdict_text).unwrap_or("-")
        );
        let mut t = table(
            ui,
            &["CREDENTIAL", "KEY ID", "LAST PROVEN", "NEXT DUE", "STATUS"],
        );
        for s in &h.credentials {
            t.add_row(vec![
                s.name.clone(),
                s.id.clone().unwrap_or_else(|| "-".into()),
                day(s.last_proven),
                day(s.next_due),
                state(s),
            ]);
        }
        out.push_str(&format!("{t}\n"));
        if !h.users.is_empty() {
            let mut t = table(
                ui,
                &["USER", "OBJECT ID", "LAST PROVEN", "NEXT DUE", "STATUS"],
            );
            for s in &h.users {
                t.add_row(vec![
                    s.name.clone(),
                    s.id.clone().unwrap_or_default(),
                    day(s.last_proven),
                    day(s.next_due),
                    state(s),
                ]);
            }
            out.push_str(&format!("{t}\n"));
        }
        out.push_str(&match (h.overdue, h.next_due) {
            (true, _) => "A drill is OVERDUE: Microsoft asks for validation at least every 90 days; run `breakglass drill` (with the custodians' shares for offline credentials).\n".to_string(),
            (false, Some(due)) => format!(
                "Next drill due by {} (90 days after the oldest last proof).\n",
                due.strftime("%Y-%m-%d")
            ),
            (false, None) => String::new(),
        });
        out
    }
}

pub fn cmd_history(
    helper: &CommandHelper,
    args: &DrillArgs,
    dir: Option<&Path>,
) -> Result<(), CommandError> {
    let ui = helper.ui();
    let folder = dir
        .map(Path::to_path_buf)
        .unwrap_or_else(|| records_folder(args));
    // The declared labels, when breakglass.toml is at hand; otherwise the last record's.
    let declared: Option<Vec<String>> = args.config.workspace().ok().map(|w| {
        w.config
            .app
            .credentials
            .iter()
            .map(|c| c.label.clone())
            .collect()
    });
    let records = read_all(ui, &folder)?;
    let now = Timestamp::now();
    let history = drill::history(&records, declared.as_deref(), now);
    let overdue = history.overdue;
    let report = HistoryReport {
        folder,
        now,
        history,
    };
    ui.emit(&report)?;
    if overdue {
        let names: Vec<String> = report
            .history
            .credentials
            .iter()
            .chain(report.history.users.iter())
            .filter(|s| s.overdue)
            .map(|s| s.name.clone())
            .collect();
        return Err(CommandError::new(
            ErrorKind::DrillOverdue,
            format!("a drill is overdue for {}", names.join(", ")),
        )
        .hinted("run `breakglass drill`; offline credentials need their custodians (`--shares LABEL=FILE,…`)"));
    }
    Ok(())
}
