//! Key material: made on this machine, where the private key of a certificate never leaves it
//! except into a store, or made on a PKCS#11 token, where it never leaves the token.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use jiff::Timestamp;
use std::sync::{Arc, Mutex};

use breakglass_entra::pkcs11::TokenKey;
use breakglass_entra::{AssertionAlgorithm, KeySigner as _};
use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, RsaKeySize};
use secrecy::{SecretSlice, SecretString};

use crate::error::{Error, internal_error};

/// A new RSA 3072 key and its self-signed certificate.
pub struct GeneratedCertificate {
    pub key: GeneratedKey,
    pub certificate_der: Vec<u8>,
}

/// Where a new certificate's private key is.
pub enum GeneratedKey {
    /// In memory as PKCS#8 DER, until a store takes it.
    Memory(SecretSlice<u8>),
    /// On a PKCS#11 token, which alone can use it.
    Token(Arc<TokenKey>),
}

impl GeneratedCertificate {
    /// The certificate as Graph's `keyCredential.key` wants it.
    pub fn certificate_base64(&self) -> String {
        STANDARD.encode(&self.certificate_der)
    }
}

fn ymd(ts: Timestamp) -> (i32, u8, u8) {
    let zoned = ts.to_zoned(jiff::tz::TimeZone::UTC);
    (
        i32::from(zoned.year()),
        zoned.month() as u8,
        zoned.day() as u8,
    )
}

/// Makes an RSA 3072 key pair and a self-signed certificate valid from `start` to `end`.
pub fn generate_certificate(
    label: &str,
    app_id: &str,
    start: Timestamp,
    end: Timestamp,
) -> Result<GeneratedCertificate, Error> {
    let key = KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, RsaKeySize::_3072)
        .map_err(|e| internal_error(format!("generating an RSA key failed: {e}")))?;
    let certificate = certificate_params(label, app_id, start, end)?
        .self_signed(&key)
        .map_err(|e| internal_error(format!("self-signing the certificate failed: {e}")))?;
    Ok(GeneratedCertificate {
        key: GeneratedKey::Memory(SecretSlice::from(key.serialize_der())),
        certificate_der: certificate.der().to_vec(),
    })
}

/// The self-signed certificate of a key made on a token: the token signs the certificate
/// (SHA256-RSA-PKCS), so nothing but the public key is read from it.
pub fn certificate_on_token(
    key: Arc<TokenKey>,
    label: &str,
    app_id: &str,
    start: Timestamp,
    end: Timestamp,
) -> Result<GeneratedCertificate, Error> {
    let signer = TokenSigning {
        key: &key,
        failure: Mutex::new(None),
    };
    let certificate = certificate_params(label, app_id, start, end)?
        .self_signed(&signer)
        .map_err(
            |e| match signer.failure.lock().ok().and_then(|mut f| f.take()) {
                Some(error) => Error::from(breakglass_entra::EntraError::from(error)),
                None => internal_error(format!("self-signing the certificate failed: {e}")),
            },
        )?;
    let certificate_der = certificate.der().to_vec();
    Ok(GeneratedCertificate {
        key: GeneratedKey::Token(key),
        certificate_der,
    })
}

/// rcgen's view of a token key: the public key, and signing that goes to the token.
struct TokenSigning<'a> {
    key: &'a TokenKey,
    /// The token's own error, which rcgen's error type cannot carry.
    failure: Mutex<Option<breakglass_entra::CredentialError>>,
}

impl rcgen::PublicKeyData for TokenSigning<'_> {
    fn der_bytes(&self) -> &[u8] {
        self.key.public_key_der()
    }

    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        &rcgen::PKCS_RSA_SHA256
    }
}

impl rcgen::SigningKey for TokenSigning<'_> {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        self.key
            .sign(AssertionAlgorithm::Rs256, msg)
            .map_err(|error| {
                if let Ok(mut failure) = self.failure.lock() {
                    *failure = Some(error);
                }
                rcgen::Error::RemoteKeyError
            })
    }
}

/// The certificate's subject and validity, whichever key signs it.
fn certificate_params(
    label: &str,
    app_id: &str,
    start: Timestamp,
    end: Timestamp,
) -> Result<CertificateParams, Error> {
    let mut params = CertificateParams::new(Vec::<String>::new())
        .map_err(|e| internal_error(format!("certificate parameters: {e}")))?;
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, format!("breakglass {label} {app_id}"));
    params.distinguished_name = name;
    let (y, m, d) = ymd(start);
    params.not_before = rcgen::date_time_ymd(y, m, d);
    let (y, m, d) = ymd(end);
    params.not_after = rcgen::date_time_ymd(y, m, d);
    Ok(params)
}

/// A new credential's material, before it is stored.
pub enum Material {
    Secret {
        key_id: String,
        secret: SecretString,
        start: Timestamp,
        end: Timestamp,
    },
    Certificate {
        key_id: String,
        certificate: GeneratedCertificate,
        start: Timestamp,
        end: Timestamp,
    },
}

impl Material {
    pub fn key_id(&self) -> &str {
        match self {
            Material::Secret { key_id, .. } | Material::Certificate { key_id, .. } => key_id,
        }
    }
}
