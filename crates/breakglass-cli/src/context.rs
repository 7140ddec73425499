//! What a command can ask for: the UI, the resolved cloud, the tenant, a signed-in session.
//!
//! Each piece is resolved only when a command asks for it, so `breakglass cloud list`
//! does not fail because AZURE_TENANT_ID holds something odd.

use breakglass_core::config::Config;
use breakglass_core::env::AZURE_TENANT_ID;

use crate::error::CommandError;
use crate::session::{Operator, OperatorArgs, Session};
use crate::ui::{OutputFormat, Ui};
use breakglass_ops::cloud::{self, ResolvedCloud};
use breakglass_ops::target::{self, CloudChoice, Given};

/// Flags every command accepts.
#[derive(Clone, Debug, clap::Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// The cloud to talk to: `public` (default), `usgov`, `china`, or the path to a
    /// JSON cloud profile such as the `cloud.json` the simulator writes.
    ///
    /// AZURE_AUTHORITY_HOST, when set, replaces the profile's authority (login) host.
    #[arg(
        long,
        global = true,
        env = "BREAKGLASS_CLOUD",
        value_name = "NAME|PATH"
    )]
    pub cloud: Option<String>,

    /// How to print results on stdout: tables for people, or JSON for scripts.
    #[arg(long, short = 'o', global = true, value_enum, default_value_t = OutputFormat::Human)]
    pub output: OutputFormat,

    /// Print more detail on stderr: causes of errors and library logs.
    #[arg(long, short = 'v', global = true)]
    pub verbose: bool,

    /// Print only results and errors: no status lines, no spinners.
    #[arg(long, short = 'q', global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// How long to keep retrying a throttled or failing request, in seconds.
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 60)]
    pub retry_budget: u64,

    /// Never use colours (NO_COLOR is respected too).
    #[arg(long, global = true)]
    pub no_color: bool,

    /// Run the command for every tenant this file lists (see `breakglass init --tenants`):
    /// audit, evidence, plan, apply, drill, credential list, monitor identities, watch, tenant
    /// list and report merge. Each tenant's cloud comes from its entry or its breakglass.toml, and
    /// its operator credential from where the entry says; `--cloud`, `--tenant` and the
    /// AZURE_* variables do not apply.
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        help_heading = "Across tenants"
    )]
    pub tenants: Option<std::path::PathBuf>,

    /// With `--tenants`: only these tenants (names, comma-separated or repeated).
    #[arg(
        long,
        global = true,
        value_name = "NAMES",
        help_heading = "Across tenants"
    )]
    pub only: Vec<String>,

    /// With `--tenants`: how many tenants are read at once.
    #[arg(
        long,
        global = true,
        value_name = "N",
        default_value_t = 4,
        value_parser = clap::value_parser!(u16).range(1..=64),
        help_heading = "Across tenants"
    )]
    pub concurrency: u16,
}

/// The global state handed to every command.
pub struct CommandHelper {
    ui: Ui,
    global: GlobalArgs,
    /// The command line's definition, for the completions and manual pages generated from it
    /// (handed in, so no command depends on the top of the program).
    definition: fn() -> clap::Command,
    /// The operator of one tenant of a run across tenants, in place of the sign-in flags.
    operator: Option<Operator>,
}

impl CommandHelper {
    pub fn new(ui: Ui, global: GlobalArgs, definition: fn() -> clap::Command) -> Self {
        CommandHelper {
            ui,
            global,
            definition,
            operator: None,
        }
    }

    /// The helper for one tenant of a run across tenants: its own labelled terminal, its
    /// cloud (`None`: its breakglass.toml's) and its operator.
    pub fn for_tenant(&self, name: &str, cloud: Option<String>, operator: Operator) -> Self {
        CommandHelper {
            ui: self.ui.for_tenant(name),
            global: GlobalArgs {
                cloud,
                ..self.global.clone()
            },
            definition: self.definition,
            operator: Some(operator),
        }
    }

    /// The global flags.
    pub fn global(&self) -> &GlobalArgs {
        &self.global
    }

    /// The whole command line's definition.
    pub fn definition(&self) -> clap::Command {
        (self.definition)()
    }

    /// Returns the terminal.
    pub fn ui(&self) -> &Ui {
        &self.ui
    }

    /// Resolves `--cloud` and AZURE_AUTHORITY_HOST.
    pub fn cloud(&self) -> Result<ResolvedCloud, CommandError> {
        let authority_host = std::env::var(breakglass_core::env::AZURE_AUTHORITY_HOST).ok();
        Ok(cloud::resolve(
            self.global.cloud.as_deref(),
            authority_host.as_deref(),
        )?)
    }

    /// Connection settings from the global flags.
    pub fn http_options(&self) -> breakglass_entra::HttpOptions {
        breakglass_entra::HttpOptions::default()
            .with_retry_budget(std::time::Duration::from_secs(self.global.retry_budget))
    }

    /// Resolves the cloud and the operator, and signs in.
    pub async fn sign_in(&self, args: &OperatorArgs) -> Result<Session, CommandError> {
        let cloud = self.cloud()?;
        self.sign_in_to(cloud, args).await
    }

    /// The cloud `--cloud` (or BREAKGLASS_CLOUD) names, else `[tenant] cloud`; the two must
    /// agree when both are given, as the tenant must.
    pub fn cloud_for(&self, config: &Config) -> Result<ResolvedCloud, CommandError> {
        let given = Given {
            value: self.global.cloud.as_deref(),
            flag: "--cloud",
            env: "BREAKGLASS_CLOUD",
        };
        match target::cloud_for(given, &config.tenant)? {
            CloudChoice::Configured(configured) => {
                let authority_host = std::env::var(breakglass_core::env::AZURE_AUTHORITY_HOST).ok();
                cloud::resolve(Some(&configured), authority_host.as_deref()).map_err(|e| {
                    e.hinted("it comes from [tenant] cloud in breakglass.toml")
                        .into()
                })
            }
            CloudChoice::Given => self.cloud(),
        }
    }

    async fn sign_in_to(
        &self,
        cloud: ResolvedCloud,
        args: &OperatorArgs,
    ) -> Result<Session, CommandError> {
        let operator = self.operator(args)?;
        self.ui.debug(format!(
            "signing in with {} against {}",
            operator.method(),
            cloud.profile.authority_host
        ));
        Ok(
            breakglass_ops::session::sign_in(&self.ui, cloud, &operator, self.http_options())
                .await?,
        )
    }

    /// The operator the flags and the environment give, or this tenant's in a run across
    /// tenants.
    pub fn operator(&self, args: &OperatorArgs) -> Result<Operator, CommandError> {
        match &self.operator {
            Some(operator) => Ok(operator.clone()),
            None => crate::session::operator_from_args(args),
        }
    }

    /// Signs in to the tenant `breakglass.toml` names. `--tenant` (or AZURE_TENANT_ID) and
    /// `[tenant] id` must agree when both are given: a stray variable from another shell
    /// must never point provisioning at the wrong directory.
    pub async fn sign_in_for(
        &self,
        args: &OperatorArgs,
        config: &Config,
    ) -> Result<Session, CommandError> {
        let operator = operator_for(args, config)?;
        let cloud = self.cloud_for(config)?;
        let session = self.sign_in_to(cloud, &operator).await?;
        target::check_signed_in_tenant(&session, &config.tenant)?;
        Ok(session)
    }
}

/// The operator arguments with the tenant of `breakglass.toml` filled in, or an error naming
/// both when `--tenant`/AZURE_TENANT_ID says otherwise.
pub fn operator_for(args: &OperatorArgs, config: &Config) -> Result<OperatorArgs, CommandError> {
    let given = Given {
        value: args.tenant.as_deref(),
        flag: "--tenant",
        env: AZURE_TENANT_ID,
    };
    Ok(OperatorArgs {
        tenant: target::tenant_for(given, &config.tenant)?,
        ..args.clone()
    })
}
