//! An access token from the Azure CLI: `az account get-access-token --resource <graph>
//! --output json`, run with tokio and parsed from its JSON.

use std::path::PathBuf;

use jiff::Timestamp;
use secrecy::SecretString;
use serde::Deserialize;
use zeroize::Zeroizing;

use crate::error::EntraError;
use crate::token::AccessToken;

/// How to run the Azure CLI.
#[derive(Clone, Debug)]
pub struct AzCli {
    program: PathBuf,
}

impl Default for AzCli {
    fn default() -> Self {
        AzCli {
            program: PathBuf::from(if cfg!(windows) { "az.cmd" } else { "az" }),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AzToken {
    access_token: SecretString,
    #[serde(default)]
    expires_on: Option<String>,
    /// Unix seconds; newer `az` versions print it beside `expiresOn`.
    #[serde(default, rename = "expires_on")]
    expires_on_unix: Option<serde_json::Value>,
    #[serde(default)]
    token_type: Option<String>,
}

/// Runs `az account get-access-token --resource <resource> --output json` and reads the
/// token. `resource` is the Graph endpoint, e.g. `https://graph.microsoft.com`.
pub async fn access_token_from_az_cli(
    resource: &str,
    tenant: Option<&str>,
) -> Result<AccessToken, EntraError> {
    AzCli::default().access_token(resource, tenant).await
}

impl AzCli {
    /// Uses another program path instead of `az` from `PATH`.
    pub fn with_program(program: impl Into<PathBuf>) -> AzCli {
        AzCli {
            program: program.into(),
        }
    }

    pub async fn access_token(
        &self,
        resource: &str,
        tenant: Option<&str>,
    ) -> Result<AccessToken, EntraError> {
        let mut command = tokio::process::Command::new(&self.program);
        command.args([
            "account",
            "get-access-token",
            "--resource",
            resource,
            "--output",
            "json",
        ]);
        if let Some(tenant) = tenant {
            command.args(["--tenant", tenant]);
        }
        command
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true);
        let shown = format!(
            "`az account get-access-token --resource {resource}{}`",
            tenant.map(|t| format!(" --tenant {t}")).unwrap_or_default()
        );
        let output = command.output().await.map_err(|err| {
            if err.kind() == std::io::ErrorKind::NotFound {
                EntraError::AzCli {
                    message: format!(
                        "the Azure CLI (`{}`) is not installed or not on PATH",
                        self.program.display()
                    ),
                    hint: "install the Azure CLI and run `az login`, or hand the token in another way (stdin)".to_string(),
                }
            } else {
                EntraError::AzCli {
                    message: format!("cannot run {shown}: {err}"),
                    hint: "check the Azure CLI installation".to_string(),
                }
            }
        })?;
        let stdout = Zeroizing::new(output.stdout);
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let stderr = stderr.trim();
            let lower = stderr.to_ascii_lowercase();
            let hint = if lower.contains("az login") || lower.contains("not logged in") {
                format!(
                    "sign in first: `az login{}` (and `az cloud set` for a national cloud)",
                    tenant.map(|t| format!(" --tenant {t}")).unwrap_or_default()
                )
            } else if lower.contains("aadsts") {
                "the Azure CLI's sign-in was refused; run `az login` again".to_string()
            } else {
                "run the command yourself to see what the Azure CLI needs".to_string()
            };
            let first_lines: Vec<&str> = stderr.lines().take(4).collect();
            return Err(EntraError::AzCli {
                message: format!(
                    "{shown} failed ({}): {}",
                    output.status,
                    if first_lines.is_empty() {
                        "no error output".to_string()
                    } else {
                        first_lines.join(" ")
                    }
                ),
                hint,
            });
        }
        let parsed: AzToken = serde_json::from_slice(&stdout).map_err(|_| EntraError::AzCli {
            message: format!("{shown} printed something that is not the expected JSON"),
            hint: "check `az --version`; breakglass reads accessToken and expiresOn".to_string(),
        })?;
        let expires_on = expiry(&parsed).ok_or_else(|| EntraError::AzCli {
            message: format!("{shown} printed no usable expiresOn"),
            hint: "check `az --version`; breakglass reads accessToken and expiresOn".to_string(),
        })?;
        Ok(AccessToken::new(
            parsed.access_token,
            expires_on,
            parsed.token_type.unwrap_or_else(|| "Bearer".to_string()),
        ))
    }
}

fn expiry(token: &AzToken) -> Option<Timestamp> {
    let unix = match &token.expires_on_unix {
        Some(serde_json::Value::Number(n)) => n.as_i64(),
        Some(serde_json::Value::String(s)) => s.parse().ok(),
        _ => None,
    };
    if let Some(seconds) = unix {
        return Timestamp::from_second(seconds).ok();
    }
    // `expiresOn` is local civil time: "2024-06-01 13:00:00.000000".
    let text = token.expires_on.as_deref()?.trim();
    let civil: jiff::civil::DateTime = text.replace(' ', "T").parse().ok()?;
    civil
        .to_zoned(jiff::tz::TimeZone::system())
        .ok()
        .map(|zoned| zoned.timestamp())
}
