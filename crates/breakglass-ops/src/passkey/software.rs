//! A software FIDO2 authenticator for rehearsals against the simulator: it makes ES256 (P-256)
//! credentials whose private keys live in one JSON file, mode 0600, rewritten atomically for
//! every new credential. It has no secure element and no PIN: its "user verification" is
//! holding the file, so a passkey it makes must never protect a real emergency account.
//!
//! Its AAGUID is fixed, [`SOFTWARE_AAGUID`], so a tenant's key restrictions can name it (and
//! block it). Attestation is `packed` self-attestation (signed with the credential's own key)
//! or `none`.

use std::path::{Path, PathBuf};

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::rand::{SecureRandom as _, SystemRandom};
use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair as _};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use breakglass_store::{Overwrite, write_secret_file};
use ciborium::Value as Cbor;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use zeroize::{Zeroize, Zeroizing};

use super::authenticator::{
    Authenticator, AuthenticatorError, ES256, MadeCredential, MakeCredential,
};

/// The AAGUID of breakglass's software authenticator (its last six bytes spell "breakg").
pub const SOFTWARE_AAGUID: Uuid = Uuid::from_u128(0x4267c2b1_7e1d_4a0e_8f5b_627265616b67);

const FILE_FORMAT: &str = "breakglass-software-authenticator/1";

/// Attestation the software authenticator gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SoftwareAttestation {
    /// `packed` self-attestation.
    Packed,
    /// `none`.
    None,
}

/// One credential in the key file. The private key is PKCS#8, base64url.
#[derive(Serialize, Deserialize, Zeroize)]
#[serde(rename_all = "camelCase")]
struct StoredCredential {
    rp_id: String,
    user_handle: String,
    user_name: String,
    credential_id: String,
    private_key_pkcs8: String,
}

#[derive(Serialize, Deserialize, Zeroize)]
#[serde(rename_all = "camelCase")]
struct KeyFile {
    format: String,
    aaguid: String,
    credentials: Vec<StoredCredential>,
}

impl Drop for KeyFile {
    fn drop(&mut self) {
        self.zeroize();
    }
}

/// The software authenticator over its key file (created on first use).
pub struct SoftwareAuthenticator {
    path: PathBuf,
    attestation: SoftwareAttestation,
}

fn file_error(path: &Path, detail: impl Into<String>) -> AuthenticatorError {
    AuthenticatorError::KeyFile {
        path: path.display().to_string(),
        detail: detail.into(),
    }
}

impl SoftwareAuthenticator {
    pub fn new(path: PathBuf, attestation: SoftwareAttestation) -> Self {
        SoftwareAuthenticator { path, attestation }
    }

    fn load(&self) -> Result<KeyFile, AuthenticatorError> {
        let bytes = match std::fs::read(&self.path) {
            Ok(bytes) => Zeroizing::new(bytes),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                return Ok(KeyFile {
                    format: FILE_FORMAT.into(),
                    aaguid: SOFTWARE_AAGUID.to_string(),
                    credentials: Vec::new(),
                });
            }
            Err(err) => return Err(file_error(&self.path, err.to_string())),
        };
        check_mode(&self.path)?;
        let file: KeyFile = serde_json::from_slice(&bytes)
            .map_err(|_| file_error(&self.path, "is not a software authenticator key file"))?;
        if file.format != FILE_FORMAT {
            return Err(file_error(
                &self.path,
                format!("has format {:?}, expected {FILE_FORMAT}", file.format),
            ));
        }
        Ok(file)
    }

    fn save(&self, file: &KeyFile) -> Result<(), AuthenticatorError> {
        let bytes = Zeroizing::new(
            serde_json::to_vec_pretty(file).map_err(|e| file_error(&self.path, e.to_string()))?,
        );
        write_secret_file(&self.path, &bytes, Overwrite::Replace)
            .map_err(|e| file_error(&self.path, e.to_string()))
    }
}

#[cfg(unix)]
fn check_mode(path: &Path) -> Result<(), AuthenticatorError> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(path)
        .map_err(|e| file_error(path, e.to_string()))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(file_error(
            path,
            format!(
                "is readable by others (mode {:o}); run `chmod 600` on it",
                mode & 0o777
            ),
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_mode(_path: &Path) -> Result<(), AuthenticatorError> {
    Ok(())
}

/// The COSE_Key of a P-256 public key (uncompressed SEC1 point).
fn cose_key(point: &[u8]) -> Result<Vec<u8>, AuthenticatorError> {
    if point.len() != 65 || point[0] != 0x04 {
        return Err(AuthenticatorError::Device("unexpected public key".into()));
    }
    let int = |n: i64| Cbor::Integer(n.into());
    let key = Cbor::Map(vec![
        (int(1), int(2)),
        (int(3), int(ES256)),
        (int(-1), int(1)),
        (int(-2), Cbor::Bytes(point[1..33].to_vec())),
        (int(-3), Cbor::Bytes(point[33..].to_vec())),
    ]);
    cbor(&key)
}

fn cbor(value: &Cbor) -> Result<Vec<u8>, AuthenticatorError> {
    let mut out = Vec::new();
    ciborium::into_writer(value, &mut out)
        .map_err(|e| AuthenticatorError::Device(format!("CBOR: {e}")))?;
    Ok(out)
}

/// Authenticator data with attested credential data: user present and verified.
fn auth_data(rp_id: &str, credential_id: &[u8], cose: &[u8]) -> Vec<u8> {
    let mut data = digest(&SHA256, rp_id.as_bytes()).as_ref().to_vec();
    data.push(0x01 | 0x04 | 0x40);
    data.extend_from_slice(&0u32.to_be_bytes());
    data.extend_from_slice(SOFTWARE_AAGUID.as_bytes());
    data.extend_from_slice(
        &u16::try_from(credential_id.len())
            .unwrap_or(0)
            .to_be_bytes(),
    );
    data.extend_from_slice(credential_id);
    data.extend_from_slice(cose);
    data
}

impl Authenticator for SoftwareAuthenticator {
    fn kind(&self) -> &'static str {
        "software"
    }

    fn known_aaguid(&self) -> Option<Uuid> {
        Some(SOFTWARE_AAGUID)
    }

    fn attestation_verifiable(&self) -> bool {
        false
    }

    fn make_credential(
        &mut self,
        request: &MakeCredential,
    ) -> Result<MadeCredential, AuthenticatorError> {
        if !request.pub_key_cred_params.contains(&ES256) {
            return Err(AuthenticatorError::UnsupportedAlgorithm);
        }
        let mut file = self.load()?;
        let held = file.credentials.iter().any(|c| {
            c.rp_id == request.rp.id
                && request
                    .exclude_list
                    .iter()
                    .any(|ex| URL_SAFE_NO_PAD.encode(ex) == c.credential_id)
        });
        if held {
            return Err(AuthenticatorError::Excluded);
        }
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng)
            .map_err(|_| AuthenticatorError::Device("cannot generate a P-256 key".into()))?;
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref())
            .map_err(|_| AuthenticatorError::Device("cannot load the new key".into()))?;
        let mut credential_id = vec![0u8; 32];
        rng.fill(&mut credential_id)
            .map_err(|_| AuthenticatorError::Device("no randomness".into()))?;
        let cose = cose_key(pair.public_key().as_ref())?;
        let data = auth_data(&request.rp.id, &credential_id, &cose);
        let statement = match self.attestation {
            SoftwareAttestation::None => Cbor::Map(Vec::new()),
            SoftwareAttestation::Packed => {
                let mut signed = data.clone();
                signed.extend_from_slice(&request.client_data_hash);
                let signature = pair
                    .sign(&rng, &signed)
                    .map_err(|_| AuthenticatorError::Device("cannot sign".into()))?;
                Cbor::Map(vec![
                    (Cbor::Text("alg".into()), Cbor::Integer(ES256.into())),
                    (
                        Cbor::Text("sig".into()),
                        Cbor::Bytes(signature.as_ref().to_vec()),
                    ),
                ])
            }
        };
        let format = match self.attestation {
            SoftwareAttestation::None => "none",
            SoftwareAttestation::Packed => "packed",
        };
        let object = Cbor::Map(vec![
            (Cbor::Text("fmt".into()), Cbor::Text(format.into())),
            (Cbor::Text("attStmt".into()), statement),
            (Cbor::Text("authData".into()), Cbor::Bytes(data)),
        ]);
        let attestation_object = cbor(&object)?;
        file.credentials.push(StoredCredential {
            rp_id: request.rp.id.clone(),
            user_handle: URL_SAFE_NO_PAD.encode(&request.user.id),
            user_name: request.user.name.clone(),
            credential_id: URL_SAFE_NO_PAD.encode(&credential_id),
            private_key_pkcs8: URL_SAFE_NO_PAD.encode(pkcs8.as_ref()),
        });
        self.save(&file)?;
        Ok(MadeCredential {
            credential_id,
            attestation_object,
            aaguid: SOFTWARE_AAGUID,
            format: format.into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::passkey::authenticator::{RelyingParty, UserAccount};

    fn request(exclude: Vec<Vec<u8>>) -> MakeCredential {
        MakeCredential {
            client_data_json: b"{}".to_vec(),
            client_data_hash: [7; 32],
            rp: RelyingParty {
                id: "login.microsoft.com".into(),
                name: "Microsoft".into(),
            },
            user: UserAccount {
                id: vec![1, 2, 3],
                name: "bg@contoso.example".into(),
                display_name: "BG".into(),
            },
            pub_key_cred_params: vec![ES256],
            exclude_list: exclude,
            user_verification: true,
            resident_key: true,
        }
    }

    #[test]
    fn the_key_file_is_private_and_a_held_credential_is_excluded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.json");
        let mut key = SoftwareAuthenticator::new(path.clone(), SoftwareAttestation::Packed);
        let made = key.make_credential(&request(Vec::new())).unwrap();
        assert_eq!(made.aaguid, SOFTWARE_AAGUID);
        assert_eq!(made.format, "packed");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let again = key.make_credential(&request(vec![made.credential_id.clone()]));
        assert!(matches!(again, Err(AuthenticatorError::Excluded)));
        let mut rs256_only = request(Vec::new());
        rs256_only.pub_key_cred_params = vec![-257];
        assert!(matches!(
            key.make_credential(&rs256_only),
            Err(AuthenticatorError::UnsupportedAlgorithm)
        ));
    }
}
