//! `breakglass`: a tested way back into your Microsoft Entra ID tenant.
#![forbid(unsafe_code)]
// Functions stay short (clippy.toml: 100 lines); tests may be longer.
#![cfg_attr(not(test), deny(clippy::too_many_lines))]

mod cli;
mod commands;
mod context;
mod emergency;
mod error;
mod monitor;
mod output;
mod provision;
mod session;
mod signals;
mod ui;

fn main() -> std::process::ExitCode {
    cli::main()
}
