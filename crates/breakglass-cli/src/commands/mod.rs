//! Every command: one file each, one `enum Command`, one dispatch.

use crate::context::CommandHelper;
use crate::error::CommandError;

pub mod cloud;

/// The commands of breakglass.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    #[command(subcommand)]
    Cloud(cloud::CloudCommand),
}

impl Command {
    /// Whether the command waits for Ctrl-C itself (a server), instead of being cancelled by it.
    pub fn handles_signals(&self) -> bool {
        false
    }
}

/// Runs one command.
pub async fn run(helper: &CommandHelper, command: &Command) -> Result<(), CommandError> {
    match command {
        Command::Cloud(command) => cloud::cmd_cloud(helper, command),
    }
}
