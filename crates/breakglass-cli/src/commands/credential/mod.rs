//! `breakglass credential …`: the emergency app's client secrets and certificates.

use std::time::Duration;

use breakglass_core::TenantId;

use crate::context::CommandHelper;
use crate::error::{CommandError, internal_error};
use crate::provision::{ConfigArgs, keepass_password};
use crate::session::{OperatorArgs, Session};
use breakglass_ops::provision::Workspace;
use breakglass_ops::provision::apply::{TenantFacts, default_replication};
use breakglass_ops::provision::rotate::CredentialOps;
use breakglass_ops::provision::vault::LocalVault;

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

/// A signed-in operator, the configuration and the stores.
pub struct Opened {
    pub session: Session,
    pub workspace: Workspace,
    pub vault: LocalVault,
    pub facts: TenantFacts,
    pub tenant: TenantId,
}

impl Opened {
    pub async fn open(
        helper: &CommandHelper,
        config_args: &ConfigArgs,
        operator: &OperatorArgs,
        for_write: bool,
    ) -> Result<Opened, CommandError> {
        let workspace = config_args.workspace()?;
        let keepass_path = workspace.base.join(&workspace.config.stores.keepass);
        let password = keepass_password(config_args, &keepass_path, for_write)?;
        let session = helper.sign_in_for(operator, &workspace.config).await?;
        let claims = session.token.claims()?;
        let tenant_id = claims
            .tid
            .clone()
            .ok_or_else(|| internal_error("the operator's token carries no tenant id"))?;
        let tenant: TenantId = tenant_id.parse()?;
        let vault = LocalVault::new(&workspace.config, &workspace.base, password);
        let facts = TenantFacts {
            tenant_id,
            // Only users need it; credential commands never make users.
            initial_domain: String::new(),
            authority_host: session
                .cloud
                .profile
                .authority_host
                .as_str()
                .trim_end_matches('/')
                .to_string(),
            cloud_name: session.cloud.profile.name.clone(),
        };
        Ok(Opened {
            session,
            workspace,
            vault,
            facts,
            tenant,
        })
    }

    /// The operations, reporting each step on stderr through `progress`.
    pub fn ops<'a>(
        &'a mut self,
        proof: &ProofArgs,
        progress: &'a mut dyn FnMut(String),
    ) -> CredentialOps<'a> {
        CredentialOps {
            graph: &self.session.graph,
            http: self.session.graph.http(),
            profile: &self.session.cloud.profile,
            tenant: self.tenant.clone(),
            config: &self.workspace.config,
            facts: &self.facts,
            vault: &mut self.vault,
            replication: default_replication(),
            proof_budget: Duration::from_secs(proof.proof_timeout),
            progress,
        }
    }
}
