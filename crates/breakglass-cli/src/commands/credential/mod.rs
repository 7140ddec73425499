//! `breakglass credential …`: the emergency app's client secrets and certificates.

use std::time::Duration;

use crate::context::CommandHelper;
use crate::error::CommandError;
use crate::provision::{ConfigArgs, keepass_password};
use crate::session::OperatorArgs;
use breakglass_ops::provision::rotate::CredentialSession;

pub mod add;
pub mod list;
pub mod recover;
pub mod remove;
pub mod rotate;

/// Lists, adds, rotates and removes the emergency app's credentials, and recovers an
/// offline credential from Shamir shares.
///
/// Each credential has a label declared in breakglass.toml ([[app.credentials]]) that
/// names its kind (secret or certificate) and its store (KeePass, a recovery sheet, or
/// Shamir share sheets).
#[derive(Debug, clap::Subcommand)]
pub enum CredentialCommand {
    List(list::ListArgs),
    Add(add::AddArgs),
    Rotate(rotate::RotateArgs),
    Remove(remove::RemoveArgs),
    Recover(recover::RecoverArgs),
}

pub async fn cmd_credential(
    helper: &CommandHelper,
    command: &CredentialCommand,
) -> Result<(), CommandError> {
    match command {
        CredentialCommand::List(args) => list::cmd_list(helper, args).await,
        CredentialCommand::Add(args) => add::cmd_add(helper, args).await,
        CredentialCommand::Rotate(args) => rotate::cmd_rotate(helper, args).await,
        CredentialCommand::Remove(args) => remove::cmd_remove(helper, args).await,
        CredentialCommand::Recover(args) => recover::cmd_recover(helper, args).await,
    }
}

/// How long to wait for a new credential to work.
#[derive(Clone, Debug, clap::Args)]
pub struct ProofArgs {
    /// How long to keep trying a new credential while Entra replicates it, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 120)]
    pub proof_timeout: u64,
}

/// Signs in and opens the configuration and the stores, for a credential command.
pub async fn open(
    helper: &CommandHelper,
    config_args: &ConfigArgs,
    operator: &OperatorArgs,
    for_write: bool,
) -> Result<CredentialSession, CommandError> {
    let workspace = config_args.workspace()?;
    let keepass_path = workspace.base.join(&workspace.config.stores.keepass);
    let password = keepass_password(config_args, &keepass_path, for_write)?;
    let session = helper.sign_in_for(operator, &workspace.config).await?;
    let mut opened = CredentialSession::open(session, workspace, password)?;
    opened.vault.tokens = config_args.tokens();
    Ok(opened)
}

impl ProofArgs {
    pub fn budget(&self) -> Duration {
        Duration::from_secs(self.proof_timeout)
    }
}
