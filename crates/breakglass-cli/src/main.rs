//! `breakglass`: a tested way back into your Microsoft Entra ID tenant.
#![forbid(unsafe_code)]

mod cli;
mod commands;
mod context;
mod emergency;
mod error;
mod lease;
mod monitor;
mod output;
mod provision;
mod session;
mod signals;
mod ui;
mod watch;

fn main() -> std::process::ExitCode {
    cli::main()
}
