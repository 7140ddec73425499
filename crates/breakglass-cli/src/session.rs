//! Signing in as the operator and getting a Microsoft Graph client.
//!
//! Every command that talks to the tenant takes [`OperatorArgs`], turns them into an
//! [`Operator`] (reading secrets from the environment, never from argv) and calls
//! [`sign_in`]. The demo builds an [`Operator`] from the simulator's operator
//! credentials and calls the same [`sign_in`].

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::sync::Arc;

use breakglass_core::env::{
    AZURE_CLIENT_CERTIFICATE_PATH, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, AZURE_TENANT_ID,
};
use breakglass_core::roles::GRAPH_COMMAND_LINE_TOOLS_APP_ID;
use breakglass_core::{CloudProfile, TenantId};
use breakglass_entra::{
    AccessToken, CertificateCredential, ClientCredential, ClientCredentialsFlow, DeviceCodeFlow,
    GraphClient, HttpClient, HttpOptions, TokenProvider,
};
use secrecy::SecretString;

use crate::cloud::ResolvedCloud;
use crate::error::{CommandError, config_error, internal_error, usage_error};
use crate::ui::Ui;

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

/// A resolved way to sign in. Holds the secret, if any, without printing it.
#[derive(Clone)]
pub enum Operator {
    /// Client credentials with a secret.
    Secret {
        tenant: TenantId,
        client_id: String,
        secret: SecretString,
    },
    /// Client credentials with a certificate assertion.
    Certificate {
        tenant: TenantId,
        client_id: String,
        path: PathBuf,
    },
    /// Device code flow for a person.
    DeviceCode { tenant: TenantId, client_id: String },
    /// A token handed in on stdin.
    TokenStdin,
    /// A token from the Azure CLI.
    AzCli { tenant: Option<TenantId> },
}

impl Operator {
    /// Resolves the flags and the environment into a way to sign in.
    pub fn from_args(args: &OperatorArgs) -> Result<Operator, CommandError> {
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
            AuthMethod::TokenStdin => Ok(Operator::TokenStdin),
            AuthMethod::Az => Ok(Operator::AzCli { tenant }),
        }
    }

    /// Names the way of signing in, for status lines and `whoami`.
    pub fn method(&self) -> &'static str {
        match self {
            Operator::Secret { .. } => "client secret",
            Operator::Certificate { .. } => "client certificate",
            Operator::DeviceCode { .. } => "device code",
            Operator::TokenStdin => "access token from stdin",
            Operator::AzCli { .. } => "Azure CLI",
        }
    }
}

fn non_empty_env(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
}

/// A signed-in operator with a Graph client.
#[derive(Clone)]
pub struct Session {
    pub cloud: ResolvedCloud,
    pub graph: GraphClient,
    /// The first token, for showing its claims; never printed.
    pub token: AccessToken,
    pub method: &'static str,
}

/// Signs the operator in against `cloud` and returns a session.
pub async fn sign_in(
    ui: &Ui,
    cloud: ResolvedCloud,
    operator: &Operator,
    options: HttpOptions,
) -> Result<Session, CommandError> {
    let http = HttpClient::new(&cloud.profile, options)?;
    let profile: &CloudProfile = &cloud.profile;
    let (token, provider): (AccessToken, Arc<dyn TokenProvider>) = match operator {
        Operator::Secret {
            tenant,
            client_id,
            secret,
        } => {
            let flow = ClientCredentialsFlow::new(
                &http,
                profile,
                tenant,
                client_id,
                ClientCredential::Secret(secret.clone()),
            );
            client_credentials(ui, flow).await?
        }
        Operator::Certificate {
            tenant,
            client_id,
            path,
        } => {
            let certificate = CertificateCredential::from_pem_file(path)
                .await
                .map_err(breakglass_entra::EntraError::from)?;
            let flow = ClientCredentialsFlow::new(
                &http,
                profile,
                tenant,
                client_id,
                ClientCredential::certificate(certificate),
            );
            client_credentials(ui, flow).await?
        }
        Operator::DeviceCode { tenant, client_id } => {
            let flow = DeviceCodeFlow::new(
                &http,
                profile,
                tenant,
                client_id,
                &profile.graph_default_scope(),
            );
            let prompt = {
                let _spinner = ui.spinner("asking for a device code…");
                flow.start().await?
            };
            ui.important(&prompt.message);
            let token = {
                let _spinner = ui.spinner("waiting for the sign-in in the browser…");
                flow.poll(&prompt).await?
            };
            (token.clone(), Arc::new(token))
        }
        Operator::TokenStdin => {
            if std::io::stdin().is_terminal() {
                return Err(usage_error(
                    "`--auth token-stdin` reads an access token from stdin, but stdin is a terminal",
                )
                .hinted("pipe the token in, e.g. `az account get-access-token --resource https://graph.microsoft.com --query accessToken -o tsv | breakglass whoami --auth token-stdin`"));
            }
            let text = tokio::task::spawn_blocking(|| {
                use std::io::Read as _;
                let mut text = zeroize::Zeroizing::new(String::new());
                std::io::stdin().read_to_string(&mut text).map(|_| text)
            })
            .await
            .map_err(|err| internal_error(format!("reading stdin failed: {err}")))?
            .map_err(|err| {
                config_error(format!("cannot read the access token from stdin: {err}"))
            })?;
            let token = AccessToken::from_handed_in(&text)?;
            (token.clone(), Arc::new(token))
        }
        Operator::AzCli { tenant } => {
            let resource = profile
                .graph_endpoint
                .as_str()
                .trim_end_matches('/')
                .to_string();
            let tenant = tenant.as_ref().map(TenantId::to_string);
            let token = {
                let _spinner = ui.spinner("asking the Azure CLI for a token…");
                breakglass_entra::azcli::access_token_from_az_cli(&resource, tenant.as_deref())
                    .await?
            };
            (token.clone(), Arc::new(token))
        }
    };
    let graph = GraphClient::new(http, profile, provider);
    Ok(Session {
        cloud,
        graph,
        token,
        method: operator.method(),
    })
}

async fn client_credentials(
    ui: &Ui,
    flow: ClientCredentialsFlow,
) -> Result<(AccessToken, Arc<dyn TokenProvider>), CommandError> {
    let provider = flow.into_provider();
    let token = {
        let _spinner = ui.spinner("signing in…");
        provider.token().await?
    };
    Ok((token, provider))
}
