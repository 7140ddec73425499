//! Reports: what a command prints on stdout, as a table for people or JSON for scripts.

use comfy_table::{ContentArrangement, Table, presets};
use serde::Serialize;

use crate::error::{CommandError, internal_error};
use crate::ui::{OutputFormat, Ui};

/// Something a command reports on stdout.
///
/// Every reporting command builds one value implementing this trait and hands it to
/// [`Ui::emit`], which picks the format from `--output`: [`Report::human`] for
/// people, or the value's `Serialize` form (field order kept) for `--output json`.
pub trait Report: Serialize {
    /// Returns the text for people: tables and short sentences.
    fn human(&self, ui: &Ui) -> String;
}

impl Ui {
    /// Writes a report to stdout, as a table/text or as JSON per `--output`.
    pub fn emit<R: Report>(&self, report: &R) -> Result<(), CommandError> {
        let text = match self.output() {
            OutputFormat::Human => report.human(self),
            OutputFormat::Json => json_text(report)?,
        };
        self.write_stdout(&text)
    }
}

/// A report as `--output json` prints it.
pub fn json_text(report: &impl serde::Serialize) -> Result<String, CommandError> {
    serde_json::to_string_pretty(report)
        .map_err(|err| internal_error(format!("cannot encode JSON output: {err}")))
}

/// Creates a table in the house style with the given header.
pub fn table(ui: &Ui, header: &[&str]) -> Table {
    let mut table = Table::new();
    table.load_preset(presets::UTF8_FULL_CONDENSED);
    table.apply_modifier(comfy_table::modifiers::UTF8_ROUND_CORNERS);
    if ui.stdout_is_terminal() {
        table.set_content_arrangement(ContentArrangement::Dynamic);
    } else {
        // Piped output is stable: no terminal width, no styling.
        table.force_no_tty();
    }
    if ui.stdout_color() {
        table.enforce_styling();
        table.set_header(header.iter().map(|title| {
            comfy_table::Cell::new(title).add_attribute(comfy_table::Attribute::Bold)
        }));
    } else {
        table.set_header(header.iter().copied());
    }
    table
}

/// Creates a two-column key/value table.
pub fn key_value_table<'a>(ui: &Ui, rows: impl IntoIterator<Item = (&'a str, String)>) -> Table {
    let mut table = Table::new();
    table.load_preset(presets::UTF8_FULL_CONDENSED);
    table.apply_modifier(comfy_table::modifiers::UTF8_ROUND_CORNERS);
    if ui.stdout_is_terminal() {
        table.set_content_arrangement(ContentArrangement::Dynamic);
    } else {
        table.force_no_tty();
    }
    for (key, value) in rows {
        table.add_row(vec![key.to_string(), value]);
    }
    table
}
