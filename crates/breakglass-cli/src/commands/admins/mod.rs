//! `breakglass admins …`: who holds directory roles.

use crate::context::CommandHelper;
use crate::error::CommandError;

pub mod list;

/// Shows who holds Entra directory (admin) roles.
#[derive(Debug, clap::Subcommand)]
pub enum AdminsCommand {
    List(list::ListArgs),
}

pub async fn cmd_admins(
    helper: &CommandHelper,
    command: &AdminsCommand,
) -> Result<(), CommandError> {
    match command {
        AdminsCommand::List(args) => list::cmd_list(helper, args).await,
    }
}
