//! Key material made on this machine: the private key of a certificate never leaves it
//! except into a store.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use jiff::Timestamp;
use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, RsaKeySize};
use secrecy::{SecretSlice, SecretString};

use crate::error::{Error, internal_error};

/// A locally generated RSA 3072 key and its self-signed certificate.
pub struct GeneratedCertificate {
    pub private_key_pkcs8_der: SecretSlice<u8>,
    pub certificate_der: Vec<u8>,
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
    let mut params = CertificateParams::new(Vec::<String>::new())
        .map_err(|e| internal_error(format!("certificate parameters: {e}")))?;
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, format!("breakglass {label} {app_id}"));
    params.distinguished_name = name;
    let (y, m, d) = ymd(start);
    params.not_before = rcgen::date_time_ymd(y, m, d);
    let (y, m, d) = ymd(end);
    params.not_after = rcgen::date_time_ymd(y, m, d);
    let certificate = params
        .self_signed(&key)
        .map_err(|e| internal_error(format!("self-signing the certificate failed: {e}")))?;
    Ok(GeneratedCertificate {
        private_key_pkcs8_der: SecretSlice::from(key.serialize_der()),
        certificate_der: certificate.der().to_vec(),
    })
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
