//! The simulator's own keys: a CA that callers are told to trust, the TLS server
//! certificate it signs, and the RSA key that signs issued tokens.
//!
//! All of it is generated into the state folder on first start and reused after,
//! so a client that trusted `ca.pem` once keeps trusting the simulator.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;
use std::sync::Arc;

use aws_lc_rs::rsa::PublicKeyComponents;
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};
use sha1::{Digest as _, Sha1};

use crate::SimError;
use crate::files::{read_optional, write_private, write_public};

pub(crate) const CA_FILE: &str = "ca.pem";
const CA_KEY_FILE: &str = "ca-key.pem";
const SIGNING_KEY_FILE: &str = "token-signing-key.pem";
const SIGNING_CERT_FILE: &str = "token-signing-cert.pem";

/// Material the running simulator needs.
pub(crate) struct Pki {
    pub server_config: Arc<rustls::ServerConfig>,
    pub signer: TokenSigner,
}

/// Signs tokens with RS256, as the identity platform does.
pub(crate) struct TokenSigner {
    key: RsaKeyPair,
    /// base64url SHA-1 thumbprint of the signing certificate: the JWT `kid` and `x5t`.
    pub key_id: String,
    pub certificate_der: Vec<u8>,
}

impl TokenSigner {
    /// Signs `header.payload` and returns the compact JWT.
    pub fn sign(&self, header: &serde_json::Value, claims: &serde_json::Value) -> String {
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let mut signature = vec![0u8; self.key.public_modulus_len()];
        self.key
            .sign(
                &RSA_PKCS1_SHA256,
                &rng,
                signing_input.as_bytes(),
                &mut signature,
            )
            .unwrap_or_else(|_| unreachable!("RSA signing with a valid key and buffer"));
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    /// The JSON Web Key the OpenID metadata publishes.
    pub fn jwk(&self, issuer: &str) -> serde_json::Value {
        let components = PublicKeyComponents::<Vec<u8>>::from(self.key.public_key());
        serde_json::json!({
            "kty": "RSA",
            "use": "sig",
            "kid": self.key_id,
            "x5t": self.key_id,
            "n": URL_SAFE_NO_PAD.encode(strip_leading_zeros(&components.n)),
            "e": URL_SAFE_NO_PAD.encode(strip_leading_zeros(&components.e)),
            "x5c": [STANDARD.encode(&self.certificate_der)],
            "issuer": issuer,
        })
    }

    /// The RSA public key (PKCS#1 DER), for verifying our own tokens.
    pub fn public_key_der(&self) -> &[u8] {
        self.key.public_key().as_ref()
    }
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[first..]
}

fn pki_error(what: &str, err: impl std::fmt::Display) -> SimError {
    SimError::Pki(format!("{what}: {err}"))
}

pub(crate) fn load_or_create(state_dir: &Path) -> Result<Pki, SimError> {
    let (ca_params, ca_key) = load_or_create_ca(state_dir)?;
    let issuer = Issuer::new(ca_params, ca_key);

    // The server certificate is cheap (ECDSA) and is made anew each start, so a
    // change of listening address never leaves a stale name in it.
    let server_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
        .map_err(|e| pki_error("generating the TLS key", e))?;
    let mut server_params = CertificateParams::new(vec!["localhost".to_string()])
        .map_err(|e| pki_error("building the TLS certificate", e))?;
    server_params
        .subject_alt_names
        .push(SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
    server_params
        .subject_alt_names
        .push(SanType::IpAddress(IpAddr::V6(Ipv6Addr::LOCALHOST)));
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, "breakglass tenant simulator");
    server_params.distinguished_name = name;
    server_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    server_params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let server_cert = server_params
        .signed_by(&server_key, &issuer)
        .map_err(|e| pki_error("signing the TLS certificate", e))?;

    let cert_chain = vec![server_cert.der().clone()];
    let private_key = rustls::pki_types::PrivateKeyDer::Pkcs8(server_key.serialize_der().into());
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut server_config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| pki_error("configuring TLS", e))?
        .with_no_client_auth()
        .with_single_cert(cert_chain, private_key)
        .map_err(|e| pki_error("configuring TLS", e))?;
    server_config.alpn_protocols = vec![b"http/1.1".to_vec()];

    let signer = load_or_create_signer(state_dir)?;
    Ok(Pki {
        server_config: Arc::new(server_config),
        signer,
    })
}

fn ca_params() -> Result<CertificateParams, SimError> {
    // Rebuilt identically on every start: issuing only needs the subject name and
    // the key, so the CA certificate on disk never has to be parsed back.
    let mut params = CertificateParams::new(Vec::<String>::new())
        .map_err(|e| pki_error("building the CA", e))?;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, "breakglass simulator local CA");
    name.push(DnType::OrganizationName, "breakglass");
    params.distinguished_name = name;
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let year = jiff::Zoned::now().year();
    params.not_before = rcgen::date_time_ymd(i32::from(year) - 1, 1, 1);
    params.not_after = rcgen::date_time_ymd(i32::from(year) + 10, 1, 1);
    Ok(params)
}

fn load_or_create_ca(state_dir: &Path) -> Result<(CertificateParams, KeyPair), SimError> {
    let ca_path = state_dir.join(CA_FILE);
    let key_path = state_dir.join(CA_KEY_FILE);
    let params = ca_params()?;
    if let (Some(_), Some(key_pem)) = (read_optional(&ca_path)?, read_optional(&key_path)?) {
        let key = KeyPair::from_pem(&key_pem).map_err(|e| pki_error("reading ca-key.pem", e))?;
        return Ok((params, key));
    }
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
        .map_err(|e| pki_error("generating the CA key", e))?;
    let cert = params
        .self_signed(&key)
        .map_err(|e| pki_error("self-signing the CA", e))?;
    write_private(&key_path, key.serialize_pem().as_bytes())?;
    write_public(&ca_path, cert.pem().as_bytes())?;
    Ok((params, key))
}

fn load_or_create_signer(state_dir: &Path) -> Result<TokenSigner, SimError> {
    let key_path = state_dir.join(SIGNING_KEY_FILE);
    let cert_path = state_dir.join(SIGNING_CERT_FILE);
    let (key_pem, cert_pem) = match (read_optional(&key_path)?, read_optional(&cert_path)?) {
        (Some(key), Some(cert)) => (key, cert),
        _ => {
            let key = KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256)
                .map_err(|e| pki_error("generating the token signing key", e))?;
            let mut params = CertificateParams::new(Vec::<String>::new())
                .map_err(|e| pki_error("building the signing certificate", e))?;
            let mut name = DistinguishedName::new();
            name.push(DnType::CommonName, "accounts.accesscontrol.simulator.local");
            params.distinguished_name = name;
            let cert = params
                .self_signed(&key)
                .map_err(|e| pki_error("self-signing the signing certificate", e))?;
            let key_pem = key.serialize_pem();
            write_private(&key_path, key_pem.as_bytes())?;
            write_public(&cert_path, cert.pem().as_bytes())?;
            (key_pem, cert.pem())
        }
    };
    let key_der = pem_body(&key_pem, "PRIVATE KEY")
        .ok_or_else(|| pki_error("reading the signing key", "no PRIVATE KEY block"))?;
    let key =
        RsaKeyPair::from_pkcs8(&key_der).map_err(|e| pki_error("reading the signing key", e))?;
    let certificate_der = pem_body(&cert_pem, "CERTIFICATE")
        .ok_or_else(|| pki_error("reading the signing certificate", "no CERTIFICATE block"))?;
    let key_id = URL_SAFE_NO_PAD.encode(Sha1::digest(&certificate_der));
    Ok(TokenSigner {
        key,
        key_id,
        certificate_der,
    })
}

/// Decodes the first PEM block with this label.
pub(crate) fn pem_body(pem: &str, label: &str) -> Option<Vec<u8>> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = pem.find(&begin)? + begin.len();
    let stop = start + pem[start..].find(&end)?;
    let body: String = pem[start..stop].split_whitespace().collect();
    STANDARD.decode(body).ok()
}
