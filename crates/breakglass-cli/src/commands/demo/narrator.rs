//! The demo's voice: each step's title and why before it runs, its result after, for
//! people; or every step recorded for `--output json`.

use std::time::Instant;

use serde::Serialize;

use crate::error::{CommandError, internal_error};
use crate::ui::{OutputFormat, Ui};

/// One step of the demo, as recorded for `--output json`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Step {
    number: usize,
    title: &'static str,
    why: &'static str,
    elapsed_ms: u128,
    result: serde_json::Value,
}

/// The whole demo for `--output json`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct DemoRecord {
    pub(super) simulator: String,
    pub(super) state_dir: String,
    pub(super) steps: Vec<Step>,
    pub(super) ok: bool,
}

const STEPS: usize = 17;

/// Prints steps as they happen (human) or records them (JSON).
pub(super) struct Narrator<'a> {
    pub(super) ui: &'a Ui,
    pub(super) steps: Vec<Step>,
}

impl Narrator<'_> {
    pub(super) fn human(&self) -> bool {
        self.ui.output() == OutputFormat::Human
    }

    pub(super) fn begin(
        &self,
        number: usize,
        title: &str,
        why: &str,
    ) -> Result<Instant, CommandError> {
        if self.human() {
            let (on, off) = if self.ui.stdout_color() {
                ("\x1b[1m", "\x1b[0m")
            } else {
                ("", "")
            };
            let mut text = format!("{on}Step {number}/{STEPS}  {title}{off}\n");
            for line in wrap(why, 76) {
                text.push_str(&format!("  {line}\n"));
            }
            self.ui.write_stdout(&text)?;
        }
        Ok(Instant::now())
    }

    pub(super) fn finish<R: Serialize>(
        &mut self,
        number: usize,
        title: &'static str,
        why: &'static str,
        started: Instant,
        human: String,
        result: &R,
    ) -> Result<(), CommandError> {
        if self.human() {
            self.ui.write_stdout(&format!("{}\n", indent(&human)))?;
        }
        let result = serde_json::to_value(result)
            .map_err(|err| internal_error(format!("cannot record the demo step: {err}")))?;
        self.steps.push(Step {
            number,
            title,
            why,
            elapsed_ms: started.elapsed().as_millis(),
            result,
        });
        Ok(())
    }
}

fn indent(text: &str) -> String {
    text.trim_end()
        .lines()
        .map(|line| format!("  {line}"))
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// Wraps prose at `width` columns.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}
