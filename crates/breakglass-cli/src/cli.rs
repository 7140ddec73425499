//! The top of the program: parse flags, build the runtime, dispatch, render errors.

use std::process::ExitCode;

use clap::{CommandFactory as _, FromArgMatches as _, Parser};

use crate::commands::Command;
use crate::context::{CommandHelper, GlobalArgs};
use crate::error::{CommandError, ErrorKind, internal_error};
use crate::ui::{OutputFormat, Ui};

/// breakglass: emergency ("break glass") access to a Microsoft Entra ID tenant.
///
/// breakglass signs in to your tenant as an emergency-access operator (an app
/// registration with a client secret or certificate, or a person via device code)
/// and reads the directory through Microsoft Graph v1.0. Use it to prove,
/// before you need it, that your way back into the tenant still works.
///
/// Try it without a tenant: `breakglass demo` runs everything against a local
/// tenant simulator.
#[derive(Debug, Parser)]
#[command(
    name = "breakglass",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Runs breakglass and returns its exit code.
pub fn main() -> ExitCode {
    install_panic_hook();
    // clap prints help/version (exit 0) and usage errors (exit 2) itself; it honours
    // NO_COLOR on its own, and `--no-color` is applied before parsing so errors obey it.
    let no_color = std::env::args_os().any(|arg| arg == "--no-color");
    let mut command = Cli::command();
    if no_color {
        command = command.color(clap::ColorChoice::Never);
    }
    let matches = match command.try_get_matches_from_mut(std::env::args_os()) {
        Ok(matches) => matches,
        Err(err) => return usage(err),
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(err) => return usage(err.format(&mut Cli::command())),
    };
    let ui = Ui::new(
        cli.global.output,
        cli.global.quiet,
        cli.global.verbose,
        cli.global.no_color,
    );
    init_tracing(cli.global.verbose);
    match run(cli, ui.clone()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => err.render(ui.stderr_color(), ui.verbose()),
    }
}

/// Help and version go out as clap writes them; a bad command line becomes one `error:` line
/// and `hint:` lines, like every other failure, exit 2.
fn usage(err: clap::Error) -> ExitCode {
    use clap::error::ErrorKind as Kind;
    if matches!(err.kind(), Kind::DisplayHelp | Kind::DisplayVersion) {
        let _ = err.print();
        return ExitCode::SUCCESS;
    }
    let no_color = std::env::args_os().any(|arg| arg == "--no-color");
    let ui = Ui::new(OutputFormat::Human, false, false, no_color);
    let rendered = err.render().to_string();
    // Without a subcommand clap prints the help, or (when an environment variable fills one
    // of the command's arguments) raises a different error: both say the same thing here.
    let mut error = if matches!(
        err.kind(),
        Kind::DisplayHelpOnMissingArgumentOrSubcommand | Kind::MissingSubcommand
    ) {
        missing_subcommand()
    } else {
        usage_error_of(&rendered)
    };
    if error.hints().is_empty() {
        error = error.hinted(format!(
            "`{} --help` describes every flag and value",
            command_path()
        ));
    }
    error.render(ui.stderr_color(), ui.verbose())
}

/// The subcommand the command line names, e.g. `breakglass credential remove`, and its
/// definition.
fn named_command() -> (String, clap::Command) {
    let mut command = Cli::command();
    let mut path = vec!["breakglass".to_string()];
    for arg in std::env::args().skip(1) {
        if arg.starts_with('-') {
            continue;
        }
        match command.find_subcommand(&arg) {
            Some(sub) => {
                path.push(arg.clone());
                command = sub.clone();
            }
            None => break,
        }
    }
    (path.join(" "), command)
}

fn command_path() -> String {
    named_command().0
}

/// `breakglass credential` alone: clap would print the whole help; say what is missing.
fn missing_subcommand() -> CommandError {
    let (command, definition) = named_command();
    let subcommands: Vec<String> = definition
        .get_subcommands()
        .filter(|sub| !sub.is_hide_set() && sub.get_name() != "help")
        .map(|sub| sub.get_name().to_string())
        .collect();
    CommandError::new(ErrorKind::Usage, format!("`{command}` needs a subcommand")).hinted(format!(
        "one of: {}; `{command} --help` describes each",
        subcommands.join(", ")
    ))
}

/// Reads clap's rendered error: the first paragraph is the message, `tip:` lines and the
/// usage line become hints.
fn usage_error_of(rendered: &str) -> CommandError {
    let mut paragraphs = rendered.split("\n\n");
    let message = paragraphs
        .next()
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let message = message.strip_prefix("error:").unwrap_or(&message).trim();
    let mut error = CommandError::new(ErrorKind::Usage, message.to_string());
    for paragraph in paragraphs {
        let paragraph = paragraph.trim();
        if let Some(tip) = paragraph.strip_prefix("tip:") {
            error = error.hinted(tip.trim().to_string());
        } else if let Some(usage) = paragraph.strip_prefix("Usage:") {
            let usage = usage.trim();
            let command: Vec<&str> = usage
                .split_whitespace()
                .take_while(|w| !w.starts_with('[') && !w.starts_with('<') && !w.starts_with('-'))
                .collect();
            error = error.hinted(format!(
                "usage: {usage}; `{} --help` says more",
                command.join(" ")
            ));
        }
    }
    error
}

fn run(cli: Cli, ui: Ui) -> Result<(), CommandError> {
    let mut builder = if cli.command.single_threaded() {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.worker_threads(2);
        builder
    };
    let runtime = builder
        .enable_all()
        .build()
        .map_err(|err| internal_error(format!("cannot start the async runtime: {err}")))?;
    let handles_signals = cli.command.handles_signals();
    let helper = CommandHelper::new(ui, cli.global, Cli::command);
    runtime.block_on(async move {
        if handles_signals {
            return crate::commands::run(&helper, &cli.command).await;
        }
        tokio::select! {
            result = crate::commands::run(&helper, &cli.command) => result,
            _ = tokio::signal::ctrl_c() => Err(CommandError::new(ErrorKind::Interrupted, "interrupted")),
        }
    })
}

fn init_tracing(verbose: bool) {
    let from_env = std::env::var("RUST_LOG")
        .ok()
        .filter(|value| !value.is_empty());
    let filter = match (from_env, verbose) {
        (Some(filter), _) => filter,
        (None, true) => {
            "warn,breakglass_entra=debug,breakglass_sim=info,breakglass_cli=debug".to_string()
        }
        (None, false) => return,
    };
    let Ok(filter) = tracing_subscriber::EnvFilter::try_new(filter) else {
        return;
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(true)
        .try_init();
}

/// A panic is a bug: say so in one line, and exit 70 instead of 101.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        // A library's panic that breakglass catches around the call is an error, not a bug.
        if breakglass_ops::contained::panic_is_contained() {
            return;
        }
        let location = info
            .location()
            .map(|location| format!(" at {}:{}", location.file(), location.line()))
            .unwrap_or_default();
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|text| (*text).to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        use std::io::Write as _;
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "error: breakglass crashed{location}: {message}");
        let _ = writeln!(
            err,
            "hint: this is a bug in breakglass; please report it with the command you ran"
        );
        std::process::exit(i32::from(ErrorKind::Internal.exit_code()));
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
