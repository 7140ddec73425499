//! Where output goes: data on stdout, status and progress on stderr.
//!
//! Commands never call `println!`. They hand data to [`Ui::emit`] (a table or
//! JSON, by `--output`) and talk to the person at the terminal through
//! [`Ui::status`], [`Ui::hint`], [`Ui::warn`] and [`Ui::spinner`], all on stderr.
//! `--quiet` silences status and spinners; spinners are also hidden when stderr
//! is not a terminal. Colours are off with `--no-color`, `NO_COLOR`, or when the
//! stream is not a terminal.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::error::{CommandError, internal_error};

/// How data is written to stdout.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Tables and sentences for people.
    #[default]
    Human,
    /// One JSON document, for scripts.
    Json,
}

/// The terminal as the commands see it.
#[derive(Clone, Debug)]
pub struct Ui {
    output: OutputFormat,
    quiet: bool,
    verbose: bool,
    color_allowed: bool,
    stderr_tty: bool,
    stdout_tty: bool,
    /// `[name] ` before each line that reaches stderr, when one run serves several tenants.
    label: Option<String>,
}

impl Ui {
    /// Builds the UI from the global flags and the environment.
    pub fn new(output: OutputFormat, quiet: bool, verbose: bool, no_color: bool) -> Self {
        let no_color_env = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
        Ui {
            output,
            quiet,
            verbose,
            color_allowed: !no_color && !no_color_env,
            stderr_tty: std::io::stderr().is_terminal(),
            stdout_tty: std::io::stdout().is_terminal(),
            label: None,
        }
    }

    /// The same terminal for one tenant of a run across tenants: quiet but for warnings and
    /// prompts, each line named by the tenant.
    pub fn for_tenant(&self, name: &str) -> Ui {
        Ui {
            quiet: true,
            label: Some(format!("[{name}] ")),
            ..self.clone()
        }
    }

    fn prefix(&self) -> &str {
        self.label.as_deref().unwrap_or("")
    }

    /// Returns the `--output` format.
    pub fn output(&self) -> OutputFormat {
        self.output
    }

    /// Whether `--verbose` was given.
    pub fn verbose(&self) -> bool {
        self.verbose
    }

    /// Whether colour may be used on stderr.
    pub fn stderr_color(&self) -> bool {
        self.color_allowed && self.stderr_tty
    }

    /// Whether colour may be used on stdout.
    pub fn stdout_color(&self) -> bool {
        self.color_allowed && self.stdout_tty
    }

    /// Whether stdout is a terminal (tables may then wrap to its width).
    pub fn stdout_is_terminal(&self) -> bool {
        self.stdout_tty
    }

    /// Writes text to stdout, adding a final newline when missing.
    pub fn write_stdout(&self, text: &str) -> Result<(), CommandError> {
        let mut out = std::io::stdout().lock();
        let result = if text.ends_with('\n') {
            out.write_all(text.as_bytes())
        } else {
            writeln!(out, "{text}")
        };
        result.and_then(|()| out.flush()).map_err(stdout_error)
    }

    /// Writes a status line to stderr, unless `--quiet`.
    pub fn status(&self, message: impl AsRef<str>) {
        if !self.quiet {
            let _ = writeln!(std::io::stderr(), "{}", message.as_ref());
        }
    }

    /// Writes a `hint:` line to stderr, unless `--quiet`.
    pub fn hint(&self, message: impl AsRef<str>) {
        if !self.quiet {
            let (on, off) = self.paint("\x1b[1;33m");
            let _ = writeln!(std::io::stderr(), "{on}hint:{off} {}", message.as_ref());
        }
    }

    /// Writes a `warning:` line to stderr, even with `--quiet`.
    pub fn warn(&self, message: impl AsRef<str>) {
        let (on, off) = self.paint("\x1b[1;33m");
        let prefix = self.prefix();
        let _ = writeln!(
            std::io::stderr(),
            "{prefix}{on}warning:{off} {}",
            message.as_ref()
        );
    }

    /// Writes an important line to stderr even with `--quiet`, e.g. a device code prompt.
    pub fn important(&self, message: impl AsRef<str>) {
        let _ = writeln!(std::io::stderr(), "{}{}", self.prefix(), message.as_ref());
    }

    /// Writes a debug line to stderr with `--verbose`.
    pub fn debug(&self, message: impl AsRef<str>) {
        if self.verbose {
            let (on, off) = self.paint("\x1b[2m");
            let _ = writeln!(std::io::stderr(), "{on}{}{off}", message.as_ref());
        }
    }

    /// Returns ANSI start and reset sequences for stderr, or empty strings.
    pub fn paint(&self, style: &'static str) -> (&'static str, &'static str) {
        if self.stderr_color() {
            (style, "\x1b[0m")
        } else {
            ("", "")
        }
    }

    /// Asks a yes/no question on the terminal; `false` unless the answer is yes.
    /// Refuses when stdin is not a terminal, so scripts must say `--yes`.
    pub fn confirm(&self, question: &str) -> Result<bool, CommandError> {
        use std::io::BufRead as _;
        if !std::io::stdin().is_terminal() {
            return Err(crate::error::usage_error(format!(
                "{question} needs an answer, but stdin is not a terminal"
            ))
            .hinted("pass `--yes` to proceed without a question"));
        }
        let _ = write!(std::io::stderr(), "{}{question} [y/N] ", self.prefix());
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut answer)
            .map_err(|e| internal_error(format!("cannot read the answer: {e}")))?;
        Ok(matches!(
            answer.trim().to_ascii_lowercase().as_str(),
            "y" | "yes"
        ))
    }

    /// Starts a spinner on stderr; hidden when stderr is not a terminal or `--quiet`.
    pub fn spinner(&self, message: impl Into<String>) -> Spinner {
        let visible = self.stderr_tty && !self.quiet;
        let target = if visible {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(None, target);
        let template = if self.stderr_color() {
            "{spinner:.cyan} {msg}"
        } else {
            "{spinner} {msg}"
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style);
        }
        bar.set_message(message.into());
        if visible {
            bar.enable_steady_tick(Duration::from_millis(100));
        }
        Spinner { bar }
    }

    /// A progress bar of `length` steps on stderr in `template` (indicatif's syntax); hidden
    /// when stderr is not a terminal or with `--quiet`.
    pub fn progress_bar(&self, length: u64, template: &str) -> ProgressBar {
        let target = if self.stderr_tty && !self.quiet {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(Some(length), target);
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("█▉▊▋▌▍▎▏ "));
        }
        bar
    }
}

/// A spinner shown while waiting on the network; cleared when dropped.
pub struct Spinner {
    bar: ProgressBar,
}

impl Drop for Spinner {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

/// A write error on stdout; a closed pipe is reported as such so `main` can exit quietly.
fn stdout_error(err: std::io::Error) -> CommandError {
    if err.kind() == std::io::ErrorKind::BrokenPipe {
        CommandError::broken_pipe()
    } else {
        internal_error(format!("cannot write to stdout: {err}"))
    }
}

/// The operations report through the terminal: status lines (silenced by `--quiet`), warnings,
/// prompts a person must see, and spinners.
impl breakglass_ops::Progress for Ui {
    fn status(&self, message: &str) {
        Ui::status(self, message);
    }

    fn warn(&self, message: &str) {
        Ui::warn(self, message);
    }

    fn important(&self, message: &str) {
        Ui::important(self, message);
    }

    fn debug(&self, message: &str) {
        Ui::debug(self, message);
    }

    fn busy(&self, message: &str) -> breakglass_ops::Busy {
        Box::new(self.spinner(message))
    }
}
