//! `breakglass passkey …`: passkeys (FIDO2) for the emergency users, provisioned by the operator.

use crate::context::CommandHelper;
use crate::error::CommandError;

pub mod enroll;
pub mod list;
pub mod remove;

/// Passkeys (FIDO2 security keys) for the emergency users, provisioned by the operator through
/// Microsoft Graph v1.0, so an emergency account signs in with a phishing-resistant method.
#[derive(Debug, clap::Subcommand)]
pub enum PasskeyCommand {
    Enroll(enroll::EnrollArgs),
    List(list::ListArgs),
    Remove(remove::RemoveArgs),
}

pub async fn cmd_passkey(
    helper: &CommandHelper,
    command: &PasskeyCommand,
) -> Result<(), CommandError> {
    match command {
        PasskeyCommand::Enroll(args) => enroll::cmd_enroll(helper, args).await,
        PasskeyCommand::List(args) => list::cmd_list(helper, args).await,
        PasskeyCommand::Remove(args) => remove::cmd_remove(helper, args).await,
    }
}
