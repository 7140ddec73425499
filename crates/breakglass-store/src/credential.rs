//! The credential model: one client secret or certificate of the break-glass app.

use std::fmt;
use std::str::FromStr as _;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use jiff::Timestamp;
use secrecy::{ExposeSecret as _, SecretSlice, SecretString};
use sha1::{Digest as _, Sha1};
use uuid::Uuid;
use zeroize::Zeroizing;

/// One credential of the break-glass app registration, as it is kept offline.
///
/// `Debug` shows the ids and dates but never the secret or the private key.
#[derive(Clone, Debug)]
pub struct StoredCredential {
    /// Where this credential is kept, e.g. `offline` or `rotating`: letters, digits, `.`, `_`,
    /// `-`, at most 40 characters, starting with a letter or digit.
    pub label: String,
    /// The app's display name, used in KeePass titles when present.
    pub display_name: Option<String>,
    /// The directory (tenant) id or a verified domain.
    pub tenant_id: String,
    /// The application (client) id.
    pub client_id: Uuid,
    /// The `keyId` of the password or key credential in Entra.
    pub key_id: Uuid,
    /// The secret or the certificate.
    pub kind: CredentialKind,
    /// Start of validity (`startDateTime`).
    pub start: Timestamp,
    /// End of validity (`endDateTime`).
    pub end: Timestamp,
    /// The cloud's name, e.g. `public`, `usgov`, `china`, or a custom profile name.
    pub cloud: String,
    /// The authority host, e.g. `https://login.microsoftonline.com`.
    pub authority_host: String,
    /// A short note on how to use the credential.
    pub note: String,
}

/// The secret part of a [`StoredCredential`].
#[derive(Clone, Debug)]
pub enum CredentialKind {
    /// A client secret (password credential).
    Secret {
        /// The secret text.
        value: SecretString,
        /// Entra's `hint`: the first characters of the secret (not secret by itself).
        hint: String,
    },
    /// A certificate (key credential) with its private key.
    Certificate(CertificateCredential),
}

impl CredentialKind {
    /// Builds a secret credential; the hint is the first three characters, as Entra shows it.
    pub fn secret(value: SecretString) -> CredentialKind {
        let hint = value.expose_secret().chars().take(3).collect();
        CredentialKind::Secret { value, hint }
    }

    /// `secret` or `certificate`.
    pub fn name(&self) -> &'static str {
        match self {
            CredentialKind::Secret { .. } => "secret",
            CredentialKind::Certificate(_) => "certificate",
        }
    }
}

/// How a private key is encoded, so that it is given back in the form it came in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyFormat {
    /// PKCS#8 `PRIVATE KEY`.
    Pkcs8,
    /// PKCS#1 `RSA PRIVATE KEY`.
    Pkcs1,
    /// SEC1 `EC PRIVATE KEY`.
    Sec1,
}

impl KeyFormat {
    pub(crate) fn pem_label(self) -> &'static str {
        match self {
            KeyFormat::Pkcs8 => "PRIVATE KEY",
            KeyFormat::Pkcs1 => "RSA PRIVATE KEY",
            KeyFormat::Sec1 => "EC PRIVATE KEY",
        }
    }

    pub(crate) fn code(self) -> &'static str {
        match self {
            KeyFormat::Pkcs8 => "pkcs8",
            KeyFormat::Pkcs1 => "pkcs1",
            KeyFormat::Sec1 => "sec1",
        }
    }

    pub(crate) fn from_code(code: &str) -> Option<KeyFormat> {
        match code {
            "pkcs8" => Some(KeyFormat::Pkcs8),
            "pkcs1" => Some(KeyFormat::Pkcs1),
            "sec1" => Some(KeyFormat::Sec1),
            _ => None,
        }
    }
}

/// A certificate and its private key, kept as DER. PEM is produced on demand.
#[derive(Clone)]
pub struct CertificateCredential {
    key_der: SecretSlice<u8>,
    key_format: KeyFormat,
    certificate_der: Vec<u8>,
    thumbprint_sha1_hex: String,
}

impl fmt::Debug for CertificateCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertificateCredential")
            .field("private_key", &"[REDACTED]")
            .field("key_format", &self.key_format)
            .field("certificate_der_len", &self.certificate_der.len())
            .field("thumbprint_sha1_hex", &self.thumbprint_sha1_hex)
            .finish()
    }
}

impl CertificateCredential {
    /// Builds the credential from DER: the private key (PKCS#8, PKCS#1 or SEC1) and the leaf
    /// certificate. The SHA-1 thumbprint is computed from the certificate.
    pub fn from_der(
        key_der: SecretSlice<u8>,
        key_format: KeyFormat,
        certificate_der: Vec<u8>,
    ) -> Result<CertificateCredential, CredentialError> {
        if !looks_like_der_sequence(key_der.expose_secret()) {
            return Err(CredentialError::BadPem("the private key is not DER"));
        }
        if !looks_like_der_sequence(&certificate_der) {
            return Err(CredentialError::BadPem("the certificate is not DER"));
        }
        let thumbprint_sha1_hex = hex_upper(&Sha1::digest(&certificate_der));
        Ok(CertificateCredential {
            key_der,
            key_format,
            certificate_der,
            thumbprint_sha1_hex,
        })
    }

    /// Builds the credential from a private key PEM and a certificate PEM. The key PEM may also
    /// hold the certificate (one file with key and certificate, as `az login --certificate`
    /// takes), in which case `certificate_pem` may be `None`.
    pub fn from_pem(
        private_key_pem: &SecretString,
        certificate_pem: Option<&str>,
    ) -> Result<CertificateCredential, CredentialError> {
        let key_blocks = pem_blocks(private_key_pem.expose_secret())?;
        let mut key = None;
        let mut cert = None;
        for (label, der) in key_blocks {
            match label.as_str() {
                "PRIVATE KEY" if key.is_none() => key = Some((der, KeyFormat::Pkcs8)),
                "RSA PRIVATE KEY" if key.is_none() => key = Some((der, KeyFormat::Pkcs1)),
                "EC PRIVATE KEY" if key.is_none() => key = Some((der, KeyFormat::Sec1)),
                "ENCRYPTED PRIVATE KEY" => return Err(CredentialError::EncryptedKey),
                "CERTIFICATE" if cert.is_none() => cert = Some(der.to_vec()),
                _ => {}
            }
        }
        if let Some(text) = certificate_pem {
            for (label, der) in pem_blocks(text)? {
                if label == "CERTIFICATE" {
                    cert = Some(der.to_vec());
                    break;
                }
            }
        }
        let (key_der, key_format) = key.ok_or(CredentialError::MissingPrivateKey)?;
        let certificate_der = cert.ok_or(CredentialError::MissingCertificate)?;
        CertificateCredential::from_der(
            SecretSlice::from(key_der.to_vec()),
            key_format,
            certificate_der,
        )
    }

    /// The private key as DER.
    pub fn private_key_der(&self) -> &SecretSlice<u8> {
        &self.key_der
    }

    /// How the private key is encoded.
    pub fn key_format(&self) -> KeyFormat {
        self.key_format
    }

    /// The leaf certificate as DER.
    pub fn certificate_der(&self) -> &[u8] {
        &self.certificate_der
    }

    /// SHA-1 of the certificate DER as uppercase hex (Entra's `customKeyIdentifier`, msal's
    /// `thumbprint`).
    pub fn thumbprint_sha1_hex(&self) -> &str {
        &self.thumbprint_sha1_hex
    }

    /// The private key as PEM.
    pub fn private_key_pem(&self) -> SecretString {
        SecretString::from(
            pem_encode(self.key_format.pem_label(), self.key_der.expose_secret()).to_string(),
        )
    }

    /// The certificate as PEM.
    pub fn certificate_pem(&self) -> String {
        pem_encode("CERTIFICATE", &self.certificate_der).to_string()
    }

    /// Key then certificate in one PEM text, as `az login --certificate`, msal and
    /// azure-identity's `CertificateCredential` take it.
    pub fn combined_pem(&self) -> SecretString {
        let mut text = pem_encode(self.key_format.pem_label(), self.key_der.expose_secret());
        text.push_str(&self.certificate_pem());
        SecretString::from(text.to_string())
    }
}

impl StoredCredential {
    /// Checks the fields a payload, a KeePass entry or a sheet rely on.
    pub fn validate(&self) -> Result<(), CredentialError> {
        validate_label(&self.label)?;
        breakglass_core::TenantId::from_str(&self.tenant_id)
            .map_err(|e| CredentialError::Tenant(e.to_string()))?;
        if self.end <= self.start {
            return Err(CredentialError::Dates);
        }
        if let CredentialKind::Secret { value, .. } = &self.kind
            && value.expose_secret().is_empty()
        {
            return Err(CredentialError::EmptySecret);
        }
        if !self.authority_host.starts_with("https://") {
            return Err(CredentialError::AuthorityHost(self.authority_host.clone()));
        }
        Ok(())
    }

    /// `<display name or client id> / <label>`: the KeePass entry title.
    pub fn title(&self) -> String {
        let app = match &self.display_name {
            Some(name) if !name.trim().is_empty() => name.trim().to_string(),
            _ => self.client_id.to_string(),
        };
        format!("{app} / {}", self.label)
    }
}

pub(crate) fn validate_label(label: &str) -> Result<(), CredentialError> {
    let ok = !label.is_empty()
        && label.len() <= 40
        && label
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && label
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(CredentialError::Label(label.to_string()))
    }
}

/// Why a credential is not usable.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialError {
    /// The label has characters other than letters, digits, `.`, `_`, `-`, or is too long.
    #[error("`{0}` is not a usable credential label")]
    Label(String),
    /// The tenant id is not a GUID or domain.
    #[error("the tenant id is not usable: {0}")]
    Tenant(String),
    /// The end date is not after the start date.
    #[error("the credential's end date is not after its start date")]
    Dates,
    /// The secret is empty.
    #[error("the client secret is empty")]
    EmptySecret,
    /// The authority host is not an https URL.
    #[error("the authority host `{0}` is not an https URL")]
    AuthorityHost(String),
    /// The PEM text could not be read.
    #[error("the PEM text is malformed: {0}")]
    BadPem(&'static str),
    /// The private key is encrypted.
    #[error("the private key is encrypted")]
    EncryptedKey,
    /// No private key block was found.
    #[error("no private key found in the PEM text")]
    MissingPrivateKey,
    /// No certificate block was found.
    #[error("no certificate found in the PEM text")]
    MissingCertificate,
}

impl CredentialError {
    /// What to do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            CredentialError::Label(_) => {
                "use letters, digits, `.`, `_` or `-` (at most 40), e.g. `offline` or `rotating`"
            }
            CredentialError::Tenant(_) => {
                "give the directory (tenant) GUID or a verified domain such as contoso.onmicrosoft.com"
            }
            CredentialError::Dates => "check the start and end dates of the credential in Entra",
            CredentialError::EmptySecret => {
                "pass the secret value Entra returned when it was created"
            }
            CredentialError::AuthorityHost(_) => {
                "use the cloud's https authority host, e.g. https://login.microsoftonline.com"
            }
            CredentialError::BadPem(_) => {
                "pass PEM text with -----BEGIN …----- and -----END …----- lines around base64"
            }
            CredentialError::EncryptedKey => {
                "decrypt it first, e.g. `openssl pkcs8 -in key.pem -out plain.pem`, and delete the plain copy afterwards"
            }
            CredentialError::MissingPrivateKey => {
                "pass the PEM that holds `-----BEGIN PRIVATE KEY-----` (or RSA/EC PRIVATE KEY)"
            }
            CredentialError::MissingCertificate => {
                "pass the certificate PEM too, or one file with the key followed by the certificate"
            }
        }
    }
}

fn looks_like_der_sequence(der: &[u8]) -> bool {
    der.len() > 2 && der[0] == 0x30
}

pub(crate) fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// One PEM block: its label and its DER bytes.
type PemBlock = (String, Zeroizing<Vec<u8>>);

/// Splits PEM text into (label, DER) blocks.
fn pem_blocks(text: &str) -> Result<Vec<PemBlock>, CredentialError> {
    let mut blocks = Vec::new();
    let mut current: Option<(String, Zeroizing<String>)> = None;
    for raw in text.lines() {
        let line = raw.trim();
        if let Some(rest) = line.strip_prefix("-----BEGIN ") {
            let label = rest
                .strip_suffix("-----")
                .ok_or(CredentialError::BadPem("a BEGIN line is cut short"))?;
            if current.is_some() {
                return Err(CredentialError::BadPem("a BEGIN line inside another block"));
            }
            current = Some((label.to_string(), Zeroizing::new(String::new())));
        } else if let Some(rest) = line.strip_prefix("-----END ") {
            let label = rest
                .strip_suffix("-----")
                .ok_or(CredentialError::BadPem("an END line is cut short"))?;
            let (open, body) = current
                .take()
                .ok_or(CredentialError::BadPem("an END line without BEGIN"))?;
            if open != label {
                return Err(CredentialError::BadPem("BEGIN and END labels differ"));
            }
            let der = STANDARD
                .decode(body.as_bytes())
                .map_err(|_| CredentialError::BadPem("the base64 inside a block is damaged"))?;
            blocks.push((open, Zeroizing::new(der)));
        } else if let Some((_, body)) = current.as_mut()
            && !line.is_empty()
            && !line.contains(':')
        {
            body.push_str(line);
        }
    }
    if current.is_some() {
        return Err(CredentialError::BadPem("a block has no END line"));
    }
    Ok(blocks)
}

/// PEM with 64-character lines and a final newline.
fn pem_encode(label: &str, der: &[u8]) -> Zeroizing<String> {
    let b64 = Zeroizing::new(STANDARD.encode(der));
    let mut out = Zeroizing::new(String::with_capacity(b64.len() + b64.len() / 64 + 64));
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        for ok in ["offline", "rotating", "a", "k2.v-1_x"] {
            validate_label(ok).unwrap();
        }
        for bad in ["", "-x", "a b", "a/b", &"x".repeat(41), "é"] {
            assert!(validate_label(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn pem_round_trip_and_errors() {
        let der = vec![0x30, 0x03, 0x02, 0x01, 0x05];
        let pem = pem_encode("CERTIFICATE", &der);
        let blocks = pem_blocks(&pem).unwrap();
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].0, "CERTIFICATE");
        assert_eq!(*blocks[0].1, der);
        assert!(pem_blocks("-----BEGIN X-----\nAAAA\n").is_err());
        let enc = SecretString::from(
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAMCAQU=\n-----END ENCRYPTED PRIVATE KEY-----\n",
        );
        assert_eq!(
            CertificateCredential::from_pem(&enc, None).unwrap_err(),
            CredentialError::EncryptedKey
        );
    }
}
