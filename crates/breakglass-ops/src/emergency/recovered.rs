//! An offline credential combined back from k custodians' Shamir shares: what it is, where it
//! goes, and how to use it.

use std::path::{Path, PathBuf};

use breakglass_store::{
    CredentialKind, Overwrite, ShamirShare, StoredCredential, combine, write_secret_file,
};
use jiff::Timestamp;
use secrecy::{ExposeSecret as _, SecretString};
use serde::Serialize;

use crate::error::{Error, ErrorKind, config_error};

/// What was recovered, without the secret.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Recovered {
    pub label: String,
    /// `certificate` or `secret`.
    pub kind: &'static str,
    pub tenant_id: String,
    pub client_id: String,
    pub key_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thumbprint: Option<String>,
    pub start: Timestamp,
    pub end: Timestamp,
    pub cloud: String,
    pub authority_host: String,
    pub shares_used: usize,
    pub threshold: u8,
    pub set_id: String,
    /// The file the credential was written to; null when it went to stdout.
    pub file: Option<PathBuf>,
}

impl Recovered {
    /// Where the credential goes when no file is named: `breakglass-LABEL-KEYID.pem` for a
    /// certificate, `.secret` for a secret, in the current folder.
    pub fn default_file(&self) -> PathBuf {
        let extension = if self.kind == "certificate" {
            "pem"
        } else {
            "secret"
        };
        let key = self.key_id.get(..8).unwrap_or(&self.key_id);
        PathBuf::from(format!("breakglass-{}-{key}.{extension}", self.label))
    }

    /// A command line that signs in with the recovered credential.
    pub fn usage(&self) -> String {
        let file = self
            .file
            .as_ref()
            .map(|f| f.display().to_string())
            .unwrap_or_else(|| "FILE".into());
        let credential = if self.kind == "certificate" {
            format!("AZURE_CLIENT_CERTIFICATE_PATH={file}")
        } else {
            format!("AZURE_CLIENT_SECRET=\"$(cat {file})\"")
        };
        format!(
            "AZURE_TENANT_ID={} AZURE_CLIENT_ID={} {credential} breakglass whoami",
            self.tenant_id, self.client_id
        )
    }
}

/// The credential as a file holds it: key and certificate as PEM, or the secret on one line.
fn secret_text(credential: &StoredCredential) -> SecretString {
    match &credential.kind {
        CredentialKind::Certificate(cert) => cert.combined_pem(),
        CredentialKind::Secret { value, .. } => {
            SecretString::from(format!("{}\n", value.expose_secret()))
        }
    }
}

/// Combines the shares (at least the threshold of one set) into the credential.
pub fn recover(shares: &[ShamirShare]) -> Result<(Recovered, SecretString), Error> {
    let payload = combine(shares).map_err(|err| {
        config_error(format!("the shares cannot be combined: {err}")).hinted(err.hint())
    })?;
    let first = &shares[0];
    let credential = payload.credential();
    let (kind, thumbprint) = match &credential.kind {
        CredentialKind::Certificate(cert) => {
            ("certificate", Some(cert.thumbprint_sha1_hex().to_string()))
        }
        CredentialKind::Secret { .. } => ("secret", None),
    };
    let recovered = Recovered {
        label: credential.label.clone(),
        kind,
        tenant_id: credential.tenant_id.clone(),
        client_id: credential.client_id.to_string(),
        key_id: credential.key_id.to_string(),
        thumbprint,
        start: credential.start,
        end: credential.end,
        cloud: credential.cloud.clone(),
        authority_host: credential.authority_host.clone(),
        shares_used: usize::from(first.threshold()),
        threshold: first.threshold(),
        set_id: first.set_id().to_string(),
        file: None,
    };
    Ok((recovered, secret_text(credential)))
}

/// Writes the recovered credential to a new file of mode 0600; an existing file is kept.
pub fn write_recovered(path: &Path, secret: &SecretString) -> Result<(), Error> {
    write_secret_file(path, secret.expose_secret().as_bytes(), Overwrite::Refuse).map_err(|e| {
        let hint = e.hint();
        Error::new(ErrorKind::Config, e.to_string())
            .hinted(hint)
            .hinted("pass `--out PATH` to write somewhere else")
    })
}
