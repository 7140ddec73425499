//! Who signs in: the flags every command that talks to the tenant takes, and how they and
//! the environment become a [`breakglass_ops::session::Operator`] (secrets from the
//! environment or stdin, never argv).

use std::io::IsTerminal as _;
use std::path::PathBuf;

use breakglass_core::TenantId;
use breakglass_core::env::{
    AZURE_CLIENT_CERTIFICATE_PATH, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, AZURE_TENANT_ID,
};
use breakglass_core::roles::GRAPH_COMMAND_LINE_TOOLS_APP_ID;
pub use breakglass_ops::session::{Operator, Session};
use secrecy::SecretString;

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
    let need_tenant = |tenant: Option<TenantId>| {
        tenant.ok_or_else(|| {
                config_error("no tenant given").hinted(format!(
                    "pass `--tenant <GUID or domain>` or set {AZURE_TENANT_ID} (the simulator writes it to operator.env)"
                ))
            })
    };
    match args.auth {
        AuthMethod::Env => {
            enum Credential {
                Secret(SecretString),
                Certificate(PathBuf),
            }
            // Like the Azure SDK's EnvironmentCredential: a secret wins over a certificate.
            let credential = match (
                non_empty_env(AZURE_CLIENT_SECRET),
                non_empty_env(AZURE_CLIENT_CERTIFICATE_PATH),
            ) {
                (Some(secret), _) => Credential::Secret(SecretString::from(secret)),
                (None, Some(path)) => Credential::Certificate(PathBuf::from(path)),
                (None, None) => {
                    return Err(config_error("no operator credentials found in the environment").hinted(format!(
                            "set {AZURE_TENANT_ID}, {AZURE_CLIENT_ID} and {AZURE_CLIENT_SECRET} (or {AZURE_CLIENT_CERTIFICATE_PATH}), or use `--auth device-code`, `--auth token-stdin` or `--auth az`"
                        )));
                }
            };
            let tenant = need_tenant(tenant)?;
            let client_id = client_id.ok_or_else(|| {
                config_error("no application (client) id given").hinted(format!(
                    "set {AZURE_CLIENT_ID} or pass `--client-id <GUID>`"
                ))
            })?;
            Ok(match credential {
                Credential::Secret(secret) => Operator::Secret {
                    tenant,
                    client_id,
                    secret,
                },
                Credential::Certificate(path) => Operator::Certificate {
                    tenant,
                    client_id,
                    path,
                },
            })
        }
        AuthMethod::DeviceCode => Ok(Operator::DeviceCode {
            tenant: need_tenant(tenant)?,
            client_id: client_id.unwrap_or_else(|| GRAPH_COMMAND_LINE_TOOLS_APP_ID.to_string()),
        }),
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

fn non_empty_env(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
}
