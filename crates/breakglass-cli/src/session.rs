//! Who signs in: the flags every command that talks to the tenant takes, and how they and
//! the environment become a [`breakglass_ops::session::Operator`] (secrets from the
//! environment or stdin, never argv).

use std::io::IsTerminal as _;

use breakglass_core::TenantId;
pub use breakglass_ops::session::{Operator, Session};

use crate::error::{CommandError, config_error, usage_error};

/// How the operator signs in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum AuthMethod {
    /// An app registration's credentials from the environment: AZURE_TENANT_ID,
    /// AZURE_CLIENT_ID, and AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH
    /// (a PEM file with the private key and the certificate).
    #[default]
    Env,
    /// A person signs in in a browser with a code shown on stderr (device code flow).
    DeviceCode,
    /// An access token for Microsoft Graph read from stdin.
    TokenStdin,
    /// An access token from the Azure CLI (`az account get-access-token`).
    Az,
}

/// Who signs in, for commands that talk to the tenant.
#[derive(Clone, Debug, clap::Args)]
#[command(next_help_heading = "Sign-in options")]
pub struct OperatorArgs {
    /// The tenant: its directory id (GUID) or a verified domain such as
    /// contoso.onmicrosoft.com.
    #[arg(long, env = "AZURE_TENANT_ID", value_name = "GUID|DOMAIN")]
    pub tenant: Option<String>,

    /// How to sign in. Secrets are only ever read from the environment, a file, or
    /// stdin; never from the command line.
    #[arg(long, value_enum, default_value_t = AuthMethod::Env, value_name = "METHOD")]
    pub auth: AuthMethod,

    /// The application (client) id. With `--auth device-code` it defaults to the
    /// Microsoft Graph Command Line Tools app.
    #[arg(long, env = "AZURE_CLIENT_ID", value_name = "GUID")]
    pub client_id: Option<String>,
}

/// Resolves the flags and the environment into a way to sign in.
pub fn operator_from_args(args: &OperatorArgs) -> Result<Operator, CommandError> {
    let tenant = args
        .tenant
        .as_deref()
        .map(str::parse::<TenantId>)
        .transpose()?;
    let client_id = args
        .client_id
        .as_deref()
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(str::to_string);
    match args.auth {
        AuthMethod::Env => Ok(Operator::from_environment(tenant, client_id)?),
        AuthMethod::DeviceCode => Ok(Operator::device_code(tenant, client_id)?),
        AuthMethod::TokenStdin => Ok(Operator::HandedIn(read_token_from_stdin()?)),
        AuthMethod::Az => Ok(Operator::AzCli { tenant }),
    }
}

/// The access token piped in for `--auth token-stdin`.
fn read_token_from_stdin() -> Result<zeroize::Zeroizing<String>, CommandError> {
    use std::io::Read as _;
    if std::io::stdin().is_terminal() {
        return Err(usage_error(
            "`--auth token-stdin` reads an access token from stdin, but stdin is a terminal",
        )
        .hinted("pipe the token in, e.g. `az account get-access-token --resource https://graph.microsoft.com --query accessToken -o tsv | breakglass whoami --auth token-stdin`"));
    }
    let mut text = zeroize::Zeroizing::new(String::new());
    std::io::stdin().read_to_string(&mut text).map_err(|err| {
        config_error(format!("cannot read the access token from stdin: {err}"))
            .hinted("pipe in the token as text (UTF-8)")
    })?;
    Ok(text)
}
