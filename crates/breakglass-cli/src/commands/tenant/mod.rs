//! `breakglass tenant …`: the tenant itself.

use crate::context::CommandHelper;
use crate::error::CommandError;

pub mod list;
pub mod show;

/// Reads the tenant (organization) you are signed in to, or lists the tenants of a tenants
/// file.
#[derive(Debug, clap::Subcommand)]
pub enum TenantCommand {
    Show(show::ShowArgs),
    List(list::ListArgs),
}

pub async fn cmd_tenant(
    helper: &CommandHelper,
    command: &TenantCommand,
) -> Result<(), CommandError> {
    match command {
        TenantCommand::Show(args) => show::cmd_show(helper, args).await,
        TenantCommand::List(args) => list::cmd_list(helper, args),
    }
}
