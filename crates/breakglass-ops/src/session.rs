//! Signing in as the operator and getting a Microsoft Graph client.
//!
//! The front end turns its flags and the environment into an [`Operator`] (secrets come from
//! the environment, a file or stdin, never argv) and calls [`sign_in`].

use std::path::PathBuf;
use std::sync::Arc;

use breakglass_core::config::Pkcs11Location;
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

use crate::Progress;
use crate::cloud::ResolvedCloud;
use crate::error::{Error, config_error};
use crate::provision::token_store::Tokens;

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
    /// Client credentials with a certificate assertion the PKCS#11 token signs: the key never
    /// leaves it. `tokens` opens it, and remembers a refused PIN so it is never tried twice.
    Pkcs11 {
        tenant: TenantId,
        client_id: String,
        location: Pkcs11Location,
        tokens: Tokens,
        /// PS256, or RS256 for a token without RSA-PSS.
        algorithm: breakglass_entra::AssertionAlgorithm,
    },
    /// Device code flow for a person.
    DeviceCode { tenant: TenantId, client_id: String },
    /// A token handed in (read from stdin by the CLI).
    HandedIn(zeroize::Zeroizing<String>),
    /// A token from the Azure CLI.
    AzCli { tenant: Option<TenantId> },
}

impl Operator {
    /// Names the way of signing in, for status lines and `whoami`.
    pub fn method(&self) -> &'static str {
        match self {
            Operator::Secret { .. } => "client secret",
            Operator::Certificate { .. } => "client certificate",
            Operator::Pkcs11 { .. } => "client certificate on PKCS#11 token",
            Operator::DeviceCode { .. } => "device code",
            Operator::HandedIn(_) => "access token from stdin",
            Operator::AzCli { .. } => "Azure CLI",
        }
    }
}

/// Why no operator could be made from what was given.
fn no_tenant() -> Error {
    config_error("no tenant given").hinted(format!(
        "pass `--tenant <GUID or domain>` or set {AZURE_TENANT_ID} (the simulator writes it to operator.env)"
    ))
}

fn non_empty_env(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
}

impl Operator {
    /// An app registration's own credentials from the Azure SDK environment: a secret in
    /// AZURE_CLIENT_SECRET wins over a certificate file in AZURE_CLIENT_CERTIFICATE_PATH, as
    /// the SDK's EnvironmentCredential decides.
    pub fn from_environment(
        tenant: Option<TenantId>,
        client_id: Option<String>,
    ) -> Result<Operator, Error> {
        let secret = non_empty_env(AZURE_CLIENT_SECRET).map(SecretString::from);
        let certificate = non_empty_env(AZURE_CLIENT_CERTIFICATE_PATH).map(PathBuf::from);
        if secret.is_none() && certificate.is_none() {
            return Err(config_error("no operator credentials found in the environment").hinted(format!(
                "set {AZURE_TENANT_ID}, {AZURE_CLIENT_ID} and {AZURE_CLIENT_SECRET} (or {AZURE_CLIENT_CERTIFICATE_PATH}), or use `--auth device-code`, `--auth token-stdin` or `--auth az`"
            )));
        }
        let tenant = tenant.ok_or_else(no_tenant)?;
        let client_id = client_id.ok_or_else(|| {
            config_error("no application (client) id given").hinted(format!(
                "set {AZURE_CLIENT_ID} or pass `--client-id <GUID>`"
            ))
        })?;
        Ok(match (secret, certificate) {
            (Some(secret), _) => Operator::Secret {
                tenant,
                client_id,
                secret,
            },
            (None, path) => Operator::Certificate {
                tenant,
                client_id,
                path: path.unwrap_or_default(),
            },
        })
    }

    /// A person signing in with a device code, through `client_id` or Microsoft's Graph
    /// Command Line Tools app.
    pub fn device_code(
        tenant: Option<TenantId>,
        client_id: Option<String>,
    ) -> Result<Operator, Error> {
        Ok(Operator::DeviceCode {
            tenant: tenant.ok_or_else(no_tenant)?,
            client_id: client_id.unwrap_or_else(|| GRAPH_COMMAND_LINE_TOOLS_APP_ID.to_string()),
        })
    }
}

impl Operator {
    /// The credential for the token endpoint made of [`Operator::certificate`], signing with
    /// the algorithm the operator's token was given.
    pub async fn certificate_credential(&self) -> Result<ClientCredential, Error> {
        let certificate = self
            .certificate()
            .await?
            .ok_or_else(|| crate::error::internal_error("no certificate to sign with"))?;
        let algorithm = match self {
            Operator::Pkcs11 { algorithm, .. } => *algorithm,
            _ => breakglass_entra::AssertionAlgorithm::default(),
        };
        Ok(ClientCredential::Certificate {
            certificate: Arc::new(certificate),
            algorithm,
        })
    }

    /// The certificate the operator signs assertions with: read from its PEM file, or found
    /// on its token (logging in once); `None` for the ways that use no certificate.
    pub async fn certificate(&self) -> Result<Option<CertificateCredential>, Error> {
        Ok(Some(match self {
            Operator::Certificate { path, .. } => CertificateCredential::from_pem_file(path)
                .await
                .map_err(breakglass_entra::EntraError::from)?,
            Operator::Pkcs11 {
                location, tokens, ..
            } => tokens.certificate_of(location)?,
            _ => return Ok(None),
        }))
    }
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
    progress: &dyn Progress,
    cloud: ResolvedCloud,
    operator: &Operator,
    options: HttpOptions,
) -> Result<Session, Error> {
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
            client_credentials(progress, flow).await?
        }
        Operator::Certificate {
            tenant, client_id, ..
        }
        | Operator::Pkcs11 {
            tenant, client_id, ..
        } => {
            let flow = ClientCredentialsFlow::new(
                &http,
                profile,
                tenant,
                client_id,
                operator.certificate_credential().await?,
            );
            client_credentials(progress, flow).await?
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
                let _busy = progress.busy("asking for a device code…");
                flow.start().await?
            };
            progress.important(&prompt.message);
            let token = {
                let _busy = progress.busy("waiting for the sign-in in the browser…");
                flow.poll(&prompt).await?
            };
            (token.clone(), Arc::new(token))
        }
        Operator::HandedIn(text) => {
            let token = AccessToken::from_handed_in(text)?;
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
                let _busy = progress.busy("asking the Azure CLI for a token…");
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
    progress: &dyn Progress,
    flow: ClientCredentialsFlow,
) -> Result<(AccessToken, Arc<dyn TokenProvider>), Error> {
    let provider = flow.into_provider();
    let token = {
        let _busy = progress.busy("signing in…");
        provider.token().await?
    };
    Ok((token, provider))
}
