//! Client credentials: a secret, or a certificate whose key signs a client assertion JWT.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, KeyPair, RsaKeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use secrecy::SecretString;
use sha1::Digest as _;
use x509_cert::der::{Decode, Encode};
use zeroize::Zeroizing;

use crate::error::CredentialError;

/// How the application proves who it is to the token endpoint.
#[derive(Clone)]
pub enum ClientCredential {
    /// A client secret's value.
    Secret(SecretString),
    /// A certificate (with its private key) registered on the application.
    Certificate {
        certificate: Arc<CertificateCredential>,
        algorithm: AssertionAlgorithm,
    },
}

impl fmt::Debug for ClientCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientCredential::Secret(_) => f.write_str("ClientCredential::Secret([redacted])"),
            ClientCredential::Certificate {
                certificate,
                algorithm,
            } => f
                .debug_struct("ClientCredential::Certificate")
                .field("certificate", certificate)
                .field("algorithm", algorithm)
                .finish(),
        }
    }
}

impl ClientCredential {
    pub fn secret(value: impl Into<String>) -> ClientCredential {
        ClientCredential::Secret(SecretString::from(value.into()))
    }

    /// A certificate credential signing with the default algorithm (PS256, `x5t#S256`).
    pub fn certificate(certificate: CertificateCredential) -> ClientCredential {
        ClientCredential::Certificate {
            certificate: Arc::new(certificate),
            algorithm: AssertionAlgorithm::default(),
        }
    }
}

/// The client assertion's signature algorithm and the thumbprint header that goes with it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AssertionAlgorithm {
    /// `alg: PS256` with `x5t#S256` (base64url SHA-256 of the certificate), as documented today.
    #[default]
    Ps256,
    /// `alg: RS256` with `x5t` (base64url SHA-1 of the certificate), the older form.
    Rs256,
}

impl AssertionAlgorithm {
    pub fn jwt_alg(self) -> &'static str {
        match self {
            AssertionAlgorithm::Ps256 => "PS256",
            AssertionAlgorithm::Rs256 => "RS256",
        }
    }
}

/// Holds an RSA private key and signs with it. The key may be in this process's memory
/// ([`CertificateCredential::from_der`]) or on a PKCS#11 token that never lets it out
/// ([`crate::pkcs11::TokenKey`]); everything that builds a JWT or a certificate goes through
/// this trait, so only the signing itself differs.
pub trait KeySigner: Send + Sync {
    /// The public key as PKCS#1 `RSAPublicKey` DER (what a certificate's
    /// `subjectPublicKey` holds for RSA).
    fn public_key_der(&self) -> &[u8];

    /// Signs `message` (the whole message: hashing is part of the algorithm) with SHA-256 and
    /// PSS (MGF1-SHA256, 32-byte salt) for [`AssertionAlgorithm::Ps256`], or PKCS#1 v1.5 for
    /// [`AssertionAlgorithm::Rs256`].
    fn sign(
        &self,
        algorithm: AssertionAlgorithm,
        message: &[u8],
    ) -> Result<Vec<u8>, CredentialError>;

    /// Where the key is, for `Debug` and messages (never key material).
    fn location(&self) -> String;
}

/// An RSA key held in this process's memory.
struct MemoryKey(RsaKeyPair);

impl KeySigner for MemoryKey {
    fn public_key_der(&self) -> &[u8] {
        self.0.public_key().as_ref()
    }

    fn sign(
        &self,
        algorithm: AssertionAlgorithm,
        message: &[u8],
    ) -> Result<Vec<u8>, CredentialError> {
        let padding: &'static dyn signature::RsaEncoding = match algorithm {
            AssertionAlgorithm::Ps256 => &signature::RSA_PSS_SHA256,
            AssertionAlgorithm::Rs256 => &signature::RSA_PKCS1_SHA256,
        };
        let mut signature = vec![0u8; self.0.public_modulus_len()];
        self.0
            .sign(padding, &SystemRandom::new(), message, &mut signature)
            .map_err(|_| CredentialError::Signing)?;
        Ok(signature)
    }

    fn location(&self) -> String {
        "memory".to_string()
    }
}

/// An RSA private key (in memory or on a token) and its certificate.
pub struct CertificateCredential {
    key: Arc<dyn KeySigner>,
    certificate_der: Vec<u8>,
    subject: String,
    not_after: Option<jiff::Timestamp>,
}

impl fmt::Debug for CertificateCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertificateCredential")
            .field("subject", &self.subject)
            .field("thumbprint_sha1", &self.thumbprint_sha1_hex())
            .field("not_after", &self.not_after)
            .field(
                "private_key",
                &format_args!("[redacted] (in {})", self.key.location()),
            )
            .finish()
    }
}

struct PemBlock {
    label: String,
    der: Zeroizing<Vec<u8>>,
}

/// Splits PEM text into its blocks. Text outside blocks is ignored.
fn pem_blocks(text: &str, origin: &str) -> Result<Vec<PemBlock>, CredentialError> {
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let after = &rest[start + "-----BEGIN ".len()..];
        let Some(label_end) = after.find("-----") else {
            break;
        };
        let label = after[..label_end].to_string();
        let body_start = &after[label_end + 5..];
        let end_marker = format!("-----END {label}-----");
        let Some(body_end) = body_start.find(&end_marker) else {
            return Err(CredentialError::BadCertificate {
                origin: origin.to_string(),
                reason: format!("the `{label}` block has no END line"),
            });
        };
        let body = &body_start[..body_end];
        if body.contains("Proc-Type:") && body.contains("ENCRYPTED") {
            return Err(CredentialError::EncryptedKey {
                origin: origin.to_string(),
            });
        }
        let base64: Zeroizing<String> =
            Zeroizing::new(body.chars().filter(|c| !c.is_ascii_whitespace()).collect());
        let der =
            STANDARD
                .decode(base64.as_bytes())
                .map_err(|err| CredentialError::BadCertificate {
                    origin: origin.to_string(),
                    reason: format!("the `{label}` block is not valid base64: {err}"),
                })?;
        blocks.push(PemBlock {
            label,
            der: Zeroizing::new(der),
        });
        rest = &body_start[body_end + end_marker.len()..];
    }
    Ok(blocks)
}

impl CertificateCredential {
    /// Loads a PEM file holding the private key (PKCS#8 `PRIVATE KEY` or PKCS#1
    /// `RSA PRIVATE KEY`) and the certificate, as `AZURE_CLIENT_CERTIFICATE_PATH` names.
    pub async fn from_pem_file(path: &Path) -> Result<CertificateCredential, CredentialError> {
        let bytes = Zeroizing::new(tokio::fs::read(path).await.map_err(|err| {
            CredentialError::Unreadable {
                path: path.to_path_buf(),
                reason: err.to_string(),
            }
        })?);
        let text = std::str::from_utf8(&bytes).map_err(|_| CredentialError::Unreadable {
            path: path.to_path_buf(),
            reason: "not a text (PEM) file; PFX/PKCS#12 files must be converted to PEM first"
                .to_string(),
        })?;
        Self::from_pem(text, &path.display().to_string())
    }

    /// Parses PEM text; `origin` names it in errors (a path, or "the PEM text").
    pub fn from_pem(text: &str, origin: &str) -> Result<CertificateCredential, CredentialError> {
        let blocks = pem_blocks(text, origin)?;
        if blocks.iter().any(|b| b.label == "ENCRYPTED PRIVATE KEY") {
            return Err(CredentialError::EncryptedKey {
                origin: origin.to_string(),
            });
        }
        let key = blocks
            .iter()
            .find(|b| b.label == "PRIVATE KEY" || b.label == "RSA PRIVATE KEY")
            .ok_or_else(|| CredentialError::NoPrivateKey {
                origin: origin.to_string(),
            })?;
        let certificate = blocks
            .iter()
            .find(|b| b.label == "CERTIFICATE")
            .ok_or_else(|| CredentialError::NoCertificate {
                origin: origin.to_string(),
            })?;
        let pkcs1 = key.label == "RSA PRIVATE KEY";
        Self::from_der(&key.der, pkcs1, &certificate.der, origin)
    }

    /// Builds from DER: a PKCS#8 (or, with `pkcs1`, PKCS#1) RSA key and an X.509 certificate.
    pub fn from_der(
        key_der: &[u8],
        pkcs1: bool,
        certificate_der: &[u8],
        origin: &str,
    ) -> Result<CertificateCredential, CredentialError> {
        let key = if pkcs1 {
            RsaKeyPair::from_der(key_der)
        } else {
            RsaKeyPair::from_pkcs8(key_der)
        }
        .map_err(|err| CredentialError::KeyRejected {
            origin: origin.to_string(),
            reason: err.to_string(),
        })?;
        Self::from_signer(Arc::new(MemoryKey(key)), certificate_der, origin)
    }

    /// Builds from a key that signs elsewhere (a PKCS#11 token) and its X.509 certificate
    /// (DER); fails when the certificate is not the key's.
    pub fn from_signer(
        key: Arc<dyn KeySigner>,
        certificate_der: &[u8],
        origin: &str,
    ) -> Result<CertificateCredential, CredentialError> {
        let certificate = x509_cert::Certificate::from_der(certificate_der).map_err(|err| {
            CredentialError::BadCertificate {
                origin: origin.to_string(),
                reason: err.to_string(),
            }
        })?;
        let spki = &certificate.tbs_certificate.subject_public_key_info;
        if spki.subject_public_key.raw_bytes() != key.public_key_der() {
            return Err(CredentialError::KeyMismatch {
                origin: origin.to_string(),
            });
        }
        let subject = certificate.tbs_certificate.subject.to_string();
        let not_after = jiff::Timestamp::try_from(
            certificate
                .tbs_certificate
                .validity
                .not_after
                .to_system_time(),
        )
        .ok();
        let certificate_der =
            certificate
                .to_der()
                .map_err(|err| CredentialError::BadCertificate {
                    origin: origin.to_string(),
                    reason: err.to_string(),
                })?;
        Ok(CertificateCredential {
            key,
            certificate_der,
            subject,
            not_after,
        })
    }

    pub fn certificate_der(&self) -> &[u8] {
        &self.certificate_der
    }

    pub fn subject(&self) -> &str {
        &self.subject
    }

    pub fn not_after(&self) -> Option<jiff::Timestamp> {
        self.not_after
    }

    /// SHA-1 thumbprint, upper-case hex, as the portal shows it.
    pub fn thumbprint_sha1_hex(&self) -> String {
        hex_upper(&sha1::Sha1::digest(&self.certificate_der))
    }

    /// SHA-256 thumbprint, upper-case hex.
    pub fn thumbprint_sha256_hex(&self) -> String {
        hex_upper(&sha2::Sha256::digest(&self.certificate_der))
    }

    /// `x5t`: base64url SHA-1 of the certificate DER.
    pub fn x5t(&self) -> String {
        URL_SAFE_NO_PAD.encode(sha1::Sha1::digest(&self.certificate_der))
    }

    /// `x5t#S256`: base64url SHA-256 of the certificate DER.
    pub fn x5t_s256(&self) -> String {
        URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(&self.certificate_der))
    }

    /// Signs a client assertion for `client_id` addressed to `audience` (the token endpoint
    /// URL), valid from `now` for 10 minutes.
    pub fn client_assertion(
        &self,
        client_id: &str,
        audience: &str,
        algorithm: AssertionAlgorithm,
        now: jiff::Timestamp,
    ) -> Result<SecretString, CredentialError> {
        let header = match algorithm {
            AssertionAlgorithm::Ps256 => serde_json::json!({
                "alg": "PS256", "typ": "JWT", "x5t#S256": self.x5t_s256(),
            }),
            AssertionAlgorithm::Rs256 => serde_json::json!({
                "alg": "RS256", "typ": "JWT", "x5t": self.x5t(),
            }),
        };
        let iat = now.as_second();
        let claims = serde_json::json!({
            "aud": audience,
            "iss": client_id,
            "sub": client_id,
            "jti": uuid::Uuid::new_v4().to_string(),
            "iat": iat,
            "nbf": iat,
            "exp": iat + 600,
        });
        self.sign_jwt(&header, &claims, algorithm)
    }

    /// Signs the proof of possession Graph asks for in `addKey` and `removeKey`: a JWT
    /// for audience `00000002-0000-0000-c000-000000000000`, issued by the object id of the
    /// application (or service principal) being changed, valid for 10 minutes.
    pub fn proof_of_possession(
        &self,
        object_id: &str,
        now: jiff::Timestamp,
    ) -> Result<SecretString, CredentialError> {
        let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "x5t": self.x5t()});
        let nbf = now.as_second();
        let claims = serde_json::json!({
            "aud": "00000002-0000-0000-c000-000000000000",
            "iss": object_id,
            "nbf": nbf,
            "exp": nbf + 600,
        });
        self.sign_jwt(&header, &claims, AssertionAlgorithm::Rs256)
    }

    fn sign_jwt(
        &self,
        header: &serde_json::Value,
        claims: &serde_json::Value,
        algorithm: AssertionAlgorithm,
    ) -> Result<SecretString, CredentialError> {
        // Graph rejects a proof whose segments carry base64 padding, so none is written.
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = self.key.sign(algorithm, signing_input.as_bytes())?;
        Ok(SecretString::from(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature)
        )))
    }
}

fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}
