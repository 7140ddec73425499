//! What a command can ask for: the UI, the resolved cloud, the tenant, a signed-in session.
//!
//! Each piece is resolved only when a command asks for it, so `breakglass cloud list`
//! does not fail because AZURE_TENANT_ID holds something odd.

use breakglass_core::TenantId;
use breakglass_core::config::Config;
use breakglass_core::env::AZURE_TENANT_ID;

use crate::error::{CommandError, config_error};
use crate::session::{OperatorArgs, Session};
use crate::ui::{OutputFormat, Ui};
use breakglass_ops::cloud::{self, ResolvedCloud};

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
}

/// The global state handed to every command.
pub struct CommandHelper {
    ui: Ui,
    global: GlobalArgs,
}

impl CommandHelper {
    pub fn new(ui: Ui, global: GlobalArgs) -> Self {
        CommandHelper { ui, global }
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
        let configured = config
            .tenant
            .cloud
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty());
        let given = self
            .global
            .cloud
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty());
        match (given, configured) {
            (Some(given), Some(configured)) if !same_cloud(given, configured) => {
                let source = match std::env::var("BREAKGLASS_CLOUD") {
                    Ok(value) if value.trim() == given => "BREAKGLASS_CLOUD",
                    _ => "--cloud",
                };
                Err(config_error(format!(
                    "{source} is `{given}` but [tenant] cloud in breakglass.toml is `{configured}`; breakglass will not guess which cloud is meant"
                ))
                .hinted(format!(
                    "unset {source} or make it `{configured}`, or change [tenant] cloud, so both name the same cloud"
                )))
            }
            (None, Some(configured)) => {
                let authority_host = std::env::var(breakglass_core::env::AZURE_AUTHORITY_HOST).ok();
                cloud::resolve(Some(configured), authority_host.as_deref()).map_err(|e| {
                    e.hinted("it comes from [tenant] cloud in breakglass.toml")
                        .into()
                })
            }
            _ => self.cloud(),
        }
    }

    async fn sign_in_to(
        &self,
        cloud: ResolvedCloud,
        args: &OperatorArgs,
    ) -> Result<Session, CommandError> {
        let operator = crate::session::operator_from_args(args)?;
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
        if let Some(wanted) = configured_guid(config) {
            let claims = session.token.claims()?;
            if let Some(tid) = claims.tid.as_deref()
                && !tid.eq_ignore_ascii_case(&wanted)
            {
                return Err(config_error(format!(
                    "signed in to tenant {tid}, but [tenant] id in breakglass.toml is {wanted}"
                ))
                .hinted(
                    "sign in to the tenant breakglass.toml names (with `--auth az`, `az login --tenant`; with a token, one issued for that tenant), or correct [tenant] id",
                ));
            }
        }
        Ok(session)
    }
}

/// The operator arguments with the tenant of `breakglass.toml` filled in, or an error naming
/// both when `--tenant`/AZURE_TENANT_ID says otherwise.
pub fn operator_for(args: &OperatorArgs, config: &Config) -> Result<OperatorArgs, CommandError> {
    let mut operator = args.clone();
    let configured = config
        .tenant
        .id
        .as_deref()
        .map(str::trim)
        .filter(|id| !id.is_empty());
    let given = args
        .tenant
        .as_deref()
        .map(str::trim)
        .filter(|id| !id.is_empty());
    match (given, configured) {
        (Some(given), Some(configured)) if !same_tenant(given, configured) => {
            let source = match std::env::var(AZURE_TENANT_ID) {
                Ok(value) if value.trim() == given => AZURE_TENANT_ID,
                _ => "--tenant",
            };
            Err(config_error(format!(
                "{source} is `{given}` but [tenant] id in breakglass.toml is `{configured}`; breakglass will not guess which tenant is meant"
            ))
            .hinted(format!(
                "unset {source} or make it `{configured}`, or change [tenant] id, so both name the same tenant (its directory id is the safest)"
            )))
        }
        (None, Some(configured)) => {
            operator.tenant = Some(configured.to_string());
            Ok(operator)
        }
        _ => Ok(operator),
    }
}

fn same_cloud(a: &str, b: &str) -> bool {
    if a.eq_ignore_ascii_case(b) {
        return true;
    }
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

fn same_tenant(a: &str, b: &str) -> bool {
    match (a.parse::<TenantId>(), b.parse::<TenantId>()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a.eq_ignore_ascii_case(b),
    }
}

fn configured_guid(config: &Config) -> Option<String> {
    match config.tenant.id.as_deref()?.trim().parse::<TenantId>() {
        Ok(TenantId::Guid(guid)) => Some(guid.hyphenated().to_string()),
        _ => None,
    }
}
