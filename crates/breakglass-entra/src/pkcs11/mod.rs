//! RSA keys on a PKCS#11 token (a smart card, a YubiKey's PIV applet through its module, an
//! HSM, or SoftHSM2): generated there, never extractable, and used only through the token.
//!
//! Nothing here reads a private key's value; the token signs. What is kept on the token next to
//! the key pair, under the same `CKA_ID`: the certificate (`CKO_CERTIFICATE`) and a data object
//! (`CKO_DATA`, application `breakglass`) with what is needed to sign in (tenant, client id,
//! key id, cloud), none of it secret.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::mechanism::MechanismType;
use cryptoki::mechanism::rsa::{PkcsMgfType, PkcsPssParams};
use cryptoki::object::{
    Attribute, AttributeType, CertificateType, KeyType, ObjectClass, ObjectHandle,
};
use cryptoki::session::{Session, UserType};
use secrecy::SecretString;

use crate::credential::{AssertionAlgorithm, KeySigner};
use crate::error::CredentialError;

pub(crate) mod error;
pub use self::error::Pkcs11Error;

/// The `CKA_APPLICATION` of the data objects breakglass writes.
const APPLICATION: &[u8] = b"breakglass";

/// A logged-in session with one token. Dropping it logs out and closes the session.
pub struct Pkcs11Token {
    // The session must go before the context that loaded the module.
    session: Mutex<Session>,
    _context: Pkcs11,
    label: String,
    serial: String,
    module: PathBuf,
}

impl fmt::Debug for Pkcs11Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkcs11Token")
            .field("label", &self.label)
            .field("serial", &self.serial)
            .field("module", &self.module)
            .finish_non_exhaustive()
    }
}

/// The label a token reports, without the blank padding.
fn trimmed(label: &str) -> String {
    label.trim_end_matches([' ', '\0']).to_string()
}

impl Pkcs11Token {
    /// Loads `module`, finds the token labelled `token_label` and logs in with `pin`, once:
    /// a refused PIN is reported, never retried, so breakglass never locks a token by itself.
    /// A token that already reports its user PIN locked is not tried at all.
    pub fn open(
        module: &Path,
        token_label: &str,
        pin: &SecretString,
    ) -> Result<Arc<Pkcs11Token>, Pkcs11Error> {
        let module_error = |reason: String| Pkcs11Error::Module {
            module: module.to_path_buf(),
            reason,
        };
        if !module.is_file() {
            return Err(module_error("no such file".to_string()));
        }
        let context = Pkcs11::new(module).map_err(|e| module_error(e.to_string()))?;
        // The module is initialised once per process: another token of this run (the
        // emergency credential's, or another tenant's operator key) may have done it already,
        // and nothing finalises it before the process ends.
        match context.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
            Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
            Err(e) => return Err(module_error(e.to_string())),
        }
        let mut present = Vec::new();
        let mut found = None;
        let slots = context
            .get_slots_with_token()
            .map_err(|e| module_error(e.to_string()))?;
        for slot in slots {
            let Ok(info) = context.get_token_info(slot) else {
                continue;
            };
            let label = trimmed(info.label());
            if label == token_label {
                found = Some((slot, info));
                break;
            }
            present.push(format!("`{label}`"));
        }
        let Some((slot, info)) = found else {
            return Err(Pkcs11Error::NoToken {
                token: token_label.to_string(),
                module: module.to_path_buf(),
                present,
            });
        };
        let token = token_label.to_string();
        if info.user_pin_locked() {
            return Err(Pkcs11Error::Locked { token });
        }
        let session = context
            .open_rw_session(slot)
            .map_err(|e| failed(&token, "opening a session", &e))?;
        match session.login(UserType::User, Some(pin)) {
            Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {}
            Err(CkError::Pkcs11(RvError::PinIncorrect | RvError::PinLenRange, _)) => {
                return Err(Pkcs11Error::WrongPin { token });
            }
            Err(CkError::Pkcs11(RvError::PinLocked, _)) => {
                return Err(Pkcs11Error::Locked { token });
            }
            Err(e) => return Err(failed(&token, "logging in", &e)),
        }
        Ok(Arc::new(Pkcs11Token {
            session: Mutex::new(session),
            _context: context,
            label: token,
            serial: trimmed(info.serial_number()),
            module: module.to_path_buf(),
        }))
    }

    pub fn label(&self) -> &str {
        &self.label
    }

    /// The serial number the token reports.
    pub fn serial_number(&self) -> &str {
        &self.serial
    }

    fn with_session<T>(
        &self,
        action: &'static str,
        run: impl FnOnce(&Session) -> Result<T, CkError>,
    ) -> Result<T, Pkcs11Error> {
        let session = self.session.lock().map_err(|_| Pkcs11Error::Failed {
            token: self.label.clone(),
            action,
            reason: "the session was poisoned by an earlier failure".to_string(),
        })?;
        run(&session).map_err(|e| failed(&self.label, action, &e))
    }

    /// Generates an RSA key pair of `bits` on the token, labelled `key_label` with `CKA_ID`
    /// `id`: the private key is sensitive and not extractable, and can only sign.
    pub fn generate_key(
        self: &Arc<Self>,
        key_label: &str,
        id: &[u8],
        bits: u64,
    ) -> Result<TokenKey, Pkcs11Error> {
        let common = [
            Attribute::Token(true),
            Attribute::Label(key_label.as_bytes().to_vec()),
            Attribute::Id(id.to_vec()),
        ];
        let mut public = common.to_vec();
        public.extend([
            Attribute::ModulusBits(bits.into()),
            Attribute::PublicExponent(vec![0x01, 0x00, 0x01]),
            Attribute::Verify(true),
            Attribute::Encrypt(false),
            Attribute::Wrap(false),
        ]);
        let mut private = common.to_vec();
        private.extend([
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
            Attribute::Sign(true),
            Attribute::Decrypt(false),
            Attribute::Unwrap(false),
            Attribute::Derive(false),
        ]);
        let (_, private_handle) = self.with_session("generating an RSA key pair", |s| {
            s.generate_key_pair(&Mechanism::RsaPkcsKeyPairGen, &public, &private)
        })?;
        self.key_from(key_label, id.to_vec(), private_handle)
    }

    /// The private keys labelled `key_label`, each with its `CKA_ID`.
    pub fn keys(self: &Arc<Self>, key_label: &str) -> Result<Vec<TokenKey>, Pkcs11Error> {
        let template = [
            Attribute::Class(ObjectClass::PRIVATE_KEY),
            Attribute::KeyType(KeyType::RSA),
            Attribute::Label(key_label.as_bytes().to_vec()),
        ];
        let handles = self.with_session("finding keys", |s| s.find_objects(&template))?;
        let mut keys = Vec::new();
        for handle in handles {
            let id = self
                .with_session("reading a key's id", |s| {
                    s.get_attributes(handle, &[AttributeType::Id])
                })?
                .into_iter()
                .find_map(|a| match a {
                    Attribute::Id(id) => Some(id),
                    _ => None,
                })
                .unwrap_or_default();
            keys.push(self.key_from(key_label, id, handle)?);
        }
        Ok(keys)
    }

    fn key_from(
        self: &Arc<Self>,
        key_label: &str,
        id: Vec<u8>,
        private: ObjectHandle,
    ) -> Result<TokenKey, Pkcs11Error> {
        let attributes = self.with_session("reading the public key", |s| {
            s.get_attributes(
                private,
                &[AttributeType::Modulus, AttributeType::PublicExponent],
            )
        })?;
        let mut modulus = None;
        let mut exponent = None;
        for attribute in attributes {
            match attribute {
                Attribute::Modulus(m) => modulus = Some(m),
                Attribute::PublicExponent(e) => exponent = Some(e),
                _ => {}
            }
        }
        let (Some(modulus), Some(exponent)) = (modulus, exponent) else {
            return Err(Pkcs11Error::Failed {
                token: self.label.clone(),
                action: "reading the public key",
                reason: "the private key does not show its modulus and exponent".to_string(),
            });
        };
        Ok(TokenKey {
            token: Arc::clone(self),
            label: key_label.to_string(),
            id,
            private,
            public_der: rsa_public_key_der(&modulus, &exponent),
        })
    }

    /// Stores `certificate_der` on the token under the key's label and id.
    pub fn store_certificate(
        &self,
        key: &TokenKey,
        certificate_der: &[u8],
    ) -> Result<(), Pkcs11Error> {
        use x509_cert::der::{Decode as _, Encode as _};
        // Tokens want the subject as its own attribute.
        let subject = x509_cert::Certificate::from_der(certificate_der)
            .and_then(|c| c.tbs_certificate.subject.to_der())
            .map_err(|e| Pkcs11Error::Failed {
                token: self.label.clone(),
                action: "storing the certificate",
                reason: format!("the certificate cannot be parsed: {e}"),
            })?;
        let template = [
            Attribute::Class(ObjectClass::CERTIFICATE),
            Attribute::CertificateType(CertificateType::X_509),
            Attribute::Token(true),
            Attribute::Private(false),
            Attribute::Label(key.label.as_bytes().to_vec()),
            Attribute::Id(key.id.clone()),
            Attribute::Subject(subject),
            Attribute::Value(certificate_der.to_vec()),
        ];
        self.with_session("storing the certificate", |s| s.create_object(&template))
            .map(|_| ())
    }

    /// The certificate (DER) stored for the key with this `CKA_ID`.
    pub fn certificate(&self, key: &TokenKey) -> Result<Vec<u8>, Pkcs11Error> {
        let template = [
            Attribute::Class(ObjectClass::CERTIFICATE),
            Attribute::Id(key.id.clone()),
        ];
        self.first_value(&template, "reading the certificate")?
            .ok_or_else(|| Pkcs11Error::NoCertificate {
                token: self.label.clone(),
                key: key.label.clone(),
            })
    }

    /// Stores breakglass's note about a key (not secret) as a data object labelled like the
    /// key. Data objects have no `CKA_ID`, so the note names the key's id itself.
    pub fn store_note(&self, key_label: &str, note: &[u8]) -> Result<(), Pkcs11Error> {
        let template = [
            Attribute::Class(ObjectClass::DATA),
            Attribute::Token(true),
            Attribute::Private(false),
            Attribute::Application(APPLICATION.to_vec()),
            Attribute::Label(key_label.as_bytes().to_vec()),
            Attribute::Value(note.to_vec()),
        ];
        self.with_session("storing the note", |s| s.create_object(&template))
            .map(|_| ())
    }

    /// The handles of breakglass's notes stored under `key_label`.
    fn note_handles(&self, key_label: &str) -> Result<Vec<ObjectHandle>, Pkcs11Error> {
        let template = [
            Attribute::Class(ObjectClass::DATA),
            Attribute::Application(APPLICATION.to_vec()),
            Attribute::Label(key_label.as_bytes().to_vec()),
        ];
        self.with_session("finding notes", |s| s.find_objects(&template))
    }

    /// The handles of the notes under `key_label` whose value `pick` chooses.
    fn picked_notes(
        &self,
        key_label: &str,
        pick: impl Fn(&[u8]) -> bool,
    ) -> Result<Vec<ObjectHandle>, Pkcs11Error> {
        let mut picked = Vec::new();
        for handle in self.note_handles(key_label)? {
            if self
                .value_of(handle, "reading a note")?
                .is_some_and(|value| pick(&value))
            {
                picked.push(handle);
            }
        }
        Ok(picked)
    }

    /// breakglass's notes stored under `key_label`.
    pub fn notes(&self, key_label: &str) -> Result<Vec<Vec<u8>>, Pkcs11Error> {
        let handles = self.note_handles(key_label)?;
        let mut notes = Vec::new();
        for handle in handles {
            if let Some(value) = self.value_of(handle, "reading a note")? {
                notes.push(value);
            }
        }
        Ok(notes)
    }

    /// Destroys the notes under `key_label` that `is_note` picks, and nothing else.
    pub fn destroy_notes(
        &self,
        key_label: &str,
        is_note: impl Fn(&[u8]) -> bool,
    ) -> Result<(), Pkcs11Error> {
        for handle in self.picked_notes(key_label, is_note)? {
            self.with_session("destroying a note", |s| s.destroy_object(handle))?;
        }
        Ok(())
    }

    /// Destroys the key pair and certificate with this `CKA_ID` and the notes `is_note_of`
    /// picks among those under `key_label`.
    pub fn destroy(
        &self,
        key_label: &str,
        id: &[u8],
        is_note_of: impl Fn(&[u8]) -> bool,
    ) -> Result<(), Pkcs11Error> {
        let by_id = [
            Attribute::Label(key_label.as_bytes().to_vec()),
            Attribute::Id(id.to_vec()),
        ];
        let mut doomed = self.with_session("finding objects", |s| s.find_objects(&by_id))?;
        doomed.extend(self.picked_notes(key_label, is_note_of)?);
        for handle in doomed {
            self.with_session("destroying an object", |s| s.destroy_object(handle))?;
        }
        Ok(())
    }

    fn first_value(
        &self,
        template: &[Attribute],
        action: &'static str,
    ) -> Result<Option<Vec<u8>>, Pkcs11Error> {
        let handles = self.with_session(action, |s| s.find_objects(template))?;
        match handles.first() {
            Some(handle) => self.value_of(*handle, action),
            None => Ok(None),
        }
    }

    fn value_of(
        &self,
        handle: ObjectHandle,
        action: &'static str,
    ) -> Result<Option<Vec<u8>>, Pkcs11Error> {
        Ok(self
            .with_session(action, |s| {
                s.get_attributes(handle, &[AttributeType::Value])
            })?
            .into_iter()
            .find_map(|a| match a {
                Attribute::Value(v) => Some(v),
                _ => None,
            }))
    }

    /// Asks the token for the private key's `CKA_VALUE`: true when the token hands nothing out,
    /// which is what a sensitive, non-extractable key must do.
    pub fn refuses_to_export(&self, key: &TokenKey) -> Result<bool, Pkcs11Error> {
        let session = self.session.lock().map_err(|_| Pkcs11Error::Failed {
            token: self.label.clone(),
            action: "checking the key",
            reason: "the session was poisoned by an earlier failure".to_string(),
        })?;
        Ok(
            match session.get_attributes(key.private, &[AttributeType::Value]) {
                Err(_) => true,
                Ok(attributes) => !attributes.iter().any(|a| matches!(a, Attribute::Value(_))),
            },
        )
    }
}

fn failed(token: &str, action: &'static str, error: &CkError) -> Pkcs11Error {
    Pkcs11Error::Failed {
        token: token.to_string(),
        action,
        reason: error.to_string(),
    }
}

/// A private key on a token; signing goes to the token.
pub struct TokenKey {
    token: Arc<Pkcs11Token>,
    label: String,
    id: Vec<u8>,
    private: ObjectHandle,
    public_der: Vec<u8>,
}

impl fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.location())
    }
}

impl TokenKey {
    pub fn token(&self) -> &Arc<Pkcs11Token> {
        &self.token
    }

    /// The key's `CKA_ID`.
    pub fn id(&self) -> &[u8] {
        &self.id
    }

    pub fn label(&self) -> &str {
        &self.label
    }
}

impl KeySigner for TokenKey {
    fn public_key_der(&self) -> &[u8] {
        &self.public_der
    }

    fn sign(
        &self,
        algorithm: AssertionAlgorithm,
        message: &[u8],
    ) -> Result<Vec<u8>, CredentialError> {
        let mechanism = match algorithm {
            AssertionAlgorithm::Ps256 => Mechanism::Sha256RsaPkcsPss(PkcsPssParams {
                hash_alg: MechanismType::SHA256,
                mgf: PkcsMgfType::MGF1_SHA256,
                s_len: 32.into(),
            }),
            AssertionAlgorithm::Rs256 => Mechanism::Sha256RsaPkcs,
        };
        self.token
            .with_session("signing", |s| s.sign(&mechanism, self.private, message))
            .map_err(|e| CredentialError::Token(Box::new(e)))
    }

    fn location(&self) -> String {
        format!(
            "key `{}` on PKCS#11 token `{}` (serial {})",
            self.label, self.token.label, self.token.serial
        )
    }
}

/// DER of PKCS#1 `RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }`.
fn rsa_public_key_der(modulus: &[u8], exponent: &[u8]) -> Vec<u8> {
    let mut body = der_unsigned_integer(modulus);
    body.extend(der_unsigned_integer(exponent));
    der_tlv(0x30, &body)
}

fn der_unsigned_integer(bytes: &[u8]) -> Vec<u8> {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    let mut value = bytes[start..].to_vec();
    if value.first().is_none_or(|b| b & 0x80 != 0) {
        value.insert(0, 0);
    }
    der_tlv(0x02, &value)
}

fn der_tlv(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = value.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes
            .iter()
            .position(|b| *b != 0)
            .unwrap_or(bytes.len() - 1);
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend(&bytes[skip..]);
    }
    out.extend(value);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_key_der_is_minimal() {
        // A 0x80-leading modulus gets a zero byte; leading zeros of the input are dropped.
        let der = rsa_public_key_der(&[0x00, 0x80, 0x01], &[0x01, 0x00, 0x01]);
        assert_eq!(
            der,
            vec![
                0x30, 0x0a, 0x02, 0x03, 0x00, 0x80, 0x01, 0x02, 0x03, 0x01, 0x00, 0x01
            ]
        );
        let long = der_tlv(0x04, &[0u8; 300]);
        assert_eq!(&long[..4], &[0x04, 0x82, 0x01, 0x2c]);
    }
}
