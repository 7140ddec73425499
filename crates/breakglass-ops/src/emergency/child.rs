//! The environment a command run with an emergency credential gets: the Azure SDK's
//! variables for the credential, a fresh Graph token, and nothing that would make it sign in
//! as someone else.

use std::os::unix::fs::PermissionsExt as _;
use std::path::PathBuf;

use breakglass_core::KnownCloud;
use breakglass_core::env::{
    AZURE_AUTHORITY_HOST, AZURE_CLIENT_CERTIFICATE_PATH, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET,
    AZURE_TENANT_ID, BREAKGLASS_FIDO_PIN, BREAKGLASS_KEEPASS_PASSWORD, BREAKGLASS_PKCS11_PIN,
};
use breakglass_entra::AccessToken;
use secrecy::ExposeSecret as _;

use super::credential_source::{EmergencyCredential, Material, token_expiry};
use crate::cloud::ResolvedCloud;
use crate::error::{Error, config_error};

/// The Graph access token handed to the command.
pub const ACCESS_TOKEN_ENV: &str = "BREAKGLASS_ACCESS_TOKEN";
/// When that token expires, in Unix seconds.
pub const ACCESS_TOKEN_EXPIRES_ON_ENV: &str = "BREAKGLASS_ACCESS_TOKEN_EXPIRES_ON";
/// The cloud's Microsoft Graph endpoint, e.g. `https://graph.microsoft.com`.
pub const GRAPH_ENDPOINT_ENV: &str = "BREAKGLASS_GRAPH_ENDPOINT";
/// The label of the emergency credential in use.
pub const CREDENTIAL_ENV: &str = "BREAKGLASS_CREDENTIAL";

/// Variables of the Azure SDK that would make the command sign in as someone else (or not
/// at all) next to the emergency credential, and the KeePass password and token PIN it has no
/// use for.
const REMOVED_FROM_CHILD: &[&str] = &[
    AZURE_CLIENT_SECRET,
    AZURE_CLIENT_CERTIFICATE_PATH,
    "AZURE_CLIENT_CERTIFICATE_PASSWORD",
    "AZURE_CLIENT_SEND_CERTIFICATE_CHAIN",
    "AZURE_USERNAME",
    "AZURE_PASSWORD",
    "AZURE_FEDERATED_TOKEN_FILE",
    AZURE_AUTHORITY_HOST,
    BREAKGLASS_KEEPASS_PASSWORD,
    BREAKGLASS_PKCS11_PIN,
    BREAKGLASS_FIDO_PIN,
];

/// Sets the command's environment for `credential` and `token`. A certificate held in memory
/// is written to a 0600 file for the command; the returned path removes it when dropped, so
/// the caller keeps it until the command has ended.
pub fn prepare(
    command: &mut tokio::process::Command,
    credential: &EmergencyCredential,
    cloud: &ResolvedCloud,
    token: &AccessToken,
) -> Result<Option<tempfile::TempPath>, Error> {
    for name in REMOVED_FROM_CHILD {
        command.env_remove(name);
    }
    command
        .env(AZURE_TENANT_ID, credential.tenant.to_string())
        .env(AZURE_CLIENT_ID, &credential.client_id)
        .env(ACCESS_TOKEN_ENV, token.secret().expose_secret())
        .env(
            ACCESS_TOKEN_EXPIRES_ON_ENV,
            token_expiry(token).as_second().to_string(),
        )
        .env(
            GRAPH_ENDPOINT_ENV,
            cloud.profile.graph_endpoint.as_str().trim_end_matches('/'),
        );
    if let Some(label) = &credential.label {
        command.env(CREDENTIAL_ENV, label);
    }
    let public = KnownCloud::Public.profile();
    if cloud.profile.authority_host != public.authority_host {
        command.env(
            AZURE_AUTHORITY_HOST,
            cloud.profile.authority_host.as_str().trim_end_matches('/'),
        );
    }
    let mut certificate_file = None;
    match &credential.material {
        Material::Secret(secret) => {
            command.env(AZURE_CLIENT_SECRET, secret.expose_secret());
        }
        Material::CertificateFile(path) => {
            command.env(AZURE_CLIENT_CERTIFICATE_PATH, path);
        }
        Material::CertificatePem { pem, .. } => {
            let file = write_certificate(pem.expose_secret().as_bytes())?;
            command.env(AZURE_CLIENT_CERTIFICATE_PATH, &file);
            certificate_file = Some(file);
        }
        // The key cannot leave the token: the child gets the access token only.
        Material::OnToken => {}
    }
    Ok(certificate_file)
}

/// Writes the PEM to a new 0600 file in the user's runtime folder (a RAM disk on most
/// systems) or the temporary folder. The file goes away when the returned path is dropped.
fn write_certificate(pem: &[u8]) -> Result<tempfile::TempPath, Error> {
    use std::io::Write as _;
    let folder = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|dir| dir.is_dir())
        .unwrap_or_else(std::env::temp_dir);
    let mut file = tempfile::Builder::new()
        .prefix("breakglass-")
        .suffix(".pem")
        .permissions(std::fs::Permissions::from_mode(0o600))
        .tempfile_in(&folder)
        .map_err(|err| {
            config_error(format!(
                "cannot create a temporary certificate file in {}: {err}",
                folder.display()
            ))
            .hinted("set TMPDIR to a folder you can write to")
        })?;
    file.write_all(pem)
        .and_then(|()| file.as_file().sync_all())
        .map_err(|err| {
            config_error(format!(
                "cannot write the temporary certificate file: {err}"
            ))
        })?;
    Ok(file.into_temp_path())
}
