//! `breakglass token`: an access token from an emergency credential, on stdout.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use secrecy::ExposeSecret as _;
use serde::Serialize;
use zeroize::Zeroizing;

use crate::context::CommandHelper;
use crate::emergency::{self as credential_source, CredentialSourceArgs};
use crate::error::{CommandError, usage_error};
use crate::ui::OutputFormat;
use breakglass_core::scope::client_credentials_scope;
use breakglass_ops::emergency::credential_source::{Origin, acquire_token, token_expiry};

/// Gets an access token with an emergency credential and prints it on stdout.
///
/// The credential comes from a store (`--credential LABEL`: KeePass, or with `--sheet`
/// or `--shares` the recovery sheet or k custodians' shares) or from the Azure SDK
/// environment. Only the token is printed: `TOKEN=$(breakglass token --credential
/// rotating)`. With `--output json` the object has the shape `az account
/// get-access-token` prints (accessToken, expiresOn, expires_on, subscription, tenant,
/// tokenType).
///
/// Every use of an emergency credential shows up in the service principal sign-in logs;
/// that is intended.
#[derive(Debug, clap::Args)]
pub struct TokenArgs {
    #[command(flatten)]
    pub source: CredentialSourceArgs,

    /// The scope to ask for: a resource's `/.default`, e.g.
    /// https://management.azure.com/.default for Azure Resource Manager. Default: the
    /// cloud's Microsoft Graph (https://graph.microsoft.com/.default).
    #[arg(long, value_name = "SCOPE")]
    pub scope: Option<String>,
}

/// `az account get-access-token`'s shape.
#[derive(Serialize)]
struct TokenJson<'a> {
    #[serde(rename = "accessToken")]
    access_token: &'a str,
    /// Local time, as az prints it: `2025-01-31 13:45:07.000000`.
    #[serde(rename = "expiresOn")]
    expires_on_local: String,
    /// Unix seconds.
    expires_on: i64,
    subscription: Option<String>,
    tenant: String,
    #[serde(rename = "tokenType")]
    token_type: &'a str,
}

pub async fn cmd_token(helper: &CommandHelper, args: &TokenArgs) -> Result<(), CommandError> {
    let ui = helper.ui();
    let scope = match &args.scope {
        Some(scope) => client_credentials_scope(scope)
            .map_err(|err| usage_error(err.to_string()).hinted(err.hint()))?,
        None => None,
    };
    let credential = credential_source::resolve(ui, &args.source)?;
    let cloud = credential_source::resolve_cloud(helper, &credential)?;
    let scope = scope.unwrap_or_else(|| cloud.profile.graph_default_scope());
    ui.debug(format!(
        "token for {scope} with {} at {}",
        credential.describe(),
        cloud.profile.authority_host
    ));
    let http = breakglass_entra::HttpClient::new(&cloud.profile, helper.http_options())?;
    let token = acquire_token(&http, &cloud, &credential, &scope).await?;
    if credential.origin != Origin::Environment {
        ui.status(format!(
            "Signed in with {}; the token is valid until {}.",
            credential.describe(),
            token
                .expires_on
                .to_zoned(TimeZone::system())
                .strftime("%H:%M %Z")
        ));
    }
    match ui.output() {
        OutputFormat::Human => {
            let line = Zeroizing::new(format!("{}\n", token.secret().expose_secret()));
            ui.write_stdout(&line)
        }
        OutputFormat::Json => {
            let tenant = token
                .claims()
                .ok()
                .and_then(|claims| claims.tid)
                .unwrap_or_else(|| credential.tenant.to_string());
            let expires = token_expiry(&token);
            let json = TokenJson {
                access_token: token.secret().expose_secret(),
                expires_on_local: az_local_time(expires),
                expires_on: expires.as_second(),
                subscription: None,
                tenant,
                token_type: &token.token_type,
            };
            let text = Zeroizing::new(serde_json::to_string_pretty(&json).map_err(|err| {
                crate::error::internal_error(format!("cannot encode JSON output: {err}"))
            })?);
            ui.write_stdout(&text)
        }
    }
}

/// `YYYY-MM-DD HH:MM:SS.ffffff` in local time, as `az account get-access-token` prints.
fn az_local_time(at: Timestamp) -> String {
    at.to_zoned(TimeZone::system())
        .strftime("%Y-%m-%d %H:%M:%S.%6f")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_time_looks_like_az() {
        let text = az_local_time(Timestamp::from_second(1_700_000_000).unwrap());
        assert_eq!(text.len(), "2023-11-14 22:13:20.000000".len(), "{text}");
        assert!(text.ends_with(".000000"), "{text}");
    }
}
