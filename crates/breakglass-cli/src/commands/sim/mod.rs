//! `breakglass sim …`: the local tenant simulator.

use crate::context::CommandHelper;
use crate::error::CommandError;

pub mod default_tenant;
pub mod generate_tenant;
pub mod serve;

/// Runs a local Entra ID tenant simulator to try breakglass without a real tenant.
#[derive(Debug, clap::Subcommand)]
pub enum SimCommand {
    Serve(serve::ServeArgs),
    DefaultTenant(default_tenant::DefaultTenantArgs),
    GenerateTenant(generate_tenant::GenerateTenantArgs),
}

pub async fn cmd_sim(helper: &CommandHelper, command: &SimCommand) -> Result<(), CommandError> {
    match command {
        SimCommand::Serve(args) => serve::cmd_serve(helper, args).await,
        SimCommand::DefaultTenant(args) => default_tenant::cmd_default_tenant(helper, args),
        SimCommand::GenerateTenant(args) => generate_tenant::cmd_generate_tenant(helper, args),
    }
}
