//! Credentials kept on a PKCS#11 token (`store = "pkcs11"`): the key pair is generated on the
//! token, the token signs the certificate and every assertion, and only the public certificate
//! goes to Entra. Next to the key, under its `CKA_ID`, the token keeps the certificate and a
//! note (a data object) with the tenant, client id and key id, so that the token and its PIN
//! are all an emergency needs besides `breakglass.toml`'s three `pkcs11_*` lines.
//!
//! The PIN is asked for once per token and run, through a [`PinSource`] the front end gives;
//! a refused PIN is reported, never retried.

use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex};

use breakglass_core::config::Pkcs11Location;
use breakglass_entra::pkcs11::{Pkcs11Token, TokenKey};
use breakglass_entra::{CertificateCredential, EntraError};
use jiff::Timestamp;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use super::keys::{self, GeneratedCertificate};
use crate::error::{Error, config_error};

/// The key size made on tokens.
const KEY_BITS: u64 = 3072;

/// How the PIN of a token is obtained (a file, the environment, a prompt: the front end
/// decides); called with the token's label, at most once per token and run.
#[derive(Clone)]
pub struct PinSource(Arc<AskPin>);

/// Asks for the PIN of the token with this label.
type AskPin = dyn Fn(&str) -> Result<SecretString, Error> + Send + Sync;

/// A token this run tried to open: its module, its label, and the logged-in session or why
/// it could not be opened (kept, so that a refused PIN is never tried a second time).
type OpenToken = (String, String, Result<Arc<Pkcs11Token>, Error>);

impl PinSource {
    pub fn new(
        ask: impl Fn(&str) -> Result<SecretString, Error> + Send + Sync + 'static,
    ) -> PinSource {
        PinSource(Arc::new(ask))
    }

    /// No way to get a PIN; opening a token fails with this reason.
    pub fn unavailable(reason: impl Into<String>) -> PinSource {
        let reason = reason.into();
        PinSource::new(move |token| {
            Err(config_error(format!(
                "the PIN of token `{token}` is needed: {reason}"
            )))
        })
    }
}

impl fmt::Debug for PinSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PinSource")
    }
}

/// What breakglass notes next to a key on the token. Nothing in it is secret.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenNote {
    /// The key's `CKA_ID`, hex.
    pub id: String,
    pub label: String,
    pub key_id: String,
    pub tenant_id: String,
    pub client_id: String,
    pub cloud: String,
    pub authority_host: String,
    pub start: Timestamp,
    pub end: Timestamp,
}

/// What breakglass notes next to a key it has just made, until the credential is stored and
/// the full [`TokenNote`] replaces it. A key whose pending note is old was left by a run that
/// stopped in between, and is swept; a key with no note at all is never touched.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PendingNote {
    /// The key's `CKA_ID`, hex.
    pending_key: String,
    since: Timestamp,
}

/// How old a pending note must be before its key counts as left behind: far longer than any
/// run takes from making a key to storing its credential, so another run's (or another
/// tenant's) key in the making is never taken.
const LEFT_BEHIND_AFTER: jiff::SignedDuration = jiff::SignedDuration::from_hours(24);

fn pending_note_of(bytes: &[u8], id: &str) -> bool {
    serde_json::from_slice::<PendingNote>(bytes).is_ok_and(|n| n.pending_key == id)
}

/// A credential read back from a token, ready to sign.
pub struct OnToken {
    pub note: TokenNote,
    pub certificate: CertificateCredential,
    pub token_label: String,
    pub serial: String,
}

/// The tokens this run has opened, each logged in once.
#[derive(Clone, Debug)]
pub struct Tokens {
    pin: PinSource,
    open: Arc<Mutex<Vec<OpenToken>>>,
}

impl Default for Tokens {
    fn default() -> Self {
        Tokens::new(PinSource::unavailable(
            "this command was given no way to ask for it",
        ))
    }
}

fn token_error(error: impl Into<breakglass_entra::CredentialError>) -> Error {
    Error::from(EntraError::from(error.into()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len() / 2)
        .map(|i| u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

impl Tokens {
    pub fn new(pin: PinSource) -> Tokens {
        Tokens {
            pin,
            open: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// The same tokens of this run, with their PINs from `pin`: a run across tenants shares
    /// one list, so a PIN a token refused for one tenant is never tried again for another
    /// (each wrong PIN counts towards locking the token).
    pub fn with_pin(&self, pin: PinSource) -> Tokens {
        Tokens {
            pin,
            open: Arc::clone(&self.open),
        }
    }

    /// The token at `location`, logged in (asking for the PIN the first time).
    pub fn open(&self, location: &Pkcs11Location) -> Result<Arc<Pkcs11Token>, Error> {
        let mut open = self
            .open
            .lock()
            .map_err(|_| crate::error::internal_error("the token list was poisoned"))?;
        if let Some((_, _, token)) = open
            .iter()
            .find(|(module, label, _)| *module == location.module && *label == location.token)
        {
            return token.clone();
        }
        let module = Path::new(&location.module);
        if !module.is_file() {
            // Say so before asking for a PIN that could not be used.
            return Err(token_error(breakglass_entra::pkcs11::Pkcs11Error::Module {
                module: module.to_path_buf(),
                reason: "no such file".to_string(),
            }));
        }
        let token = (self.pin.0)(&location.token)
            .and_then(|pin| Pkcs11Token::open(module, &location.token, &pin).map_err(token_error));
        open.push((
            location.module.clone(),
            location.token.clone(),
            token.clone(),
        ));
        token
    }

    /// Generates a key pair on the token and a self-signed certificate the token signs.
    pub fn generate(
        &self,
        location: &Pkcs11Location,
        label: &str,
        app_id: &str,
        start: Timestamp,
        end: Timestamp,
    ) -> Result<GeneratedCertificate, Error> {
        let token = self.open(location)?;
        let id = uuid::Uuid::new_v4();
        let key = token
            .generate_key(&location.key, id.as_bytes(), KEY_BITS)
            .map_err(token_error)?;
        let pending = PendingNote {
            pending_key: hex(key.id()),
            since: Timestamp::now(),
        };
        let text = serde_json::to_vec(&pending)
            .map_err(|e| crate::error::internal_error(format!("encoding the token note: {e}")))?;
        token
            .store_note(&location.key, &text)
            .map_err(token_error)?;
        keys::certificate_on_token(Arc::new(key), label, app_id, start, end)
    }

    /// Keeps the certificate and the note next to the key on its token.
    pub fn store(
        &self,
        key: &TokenKey,
        certificate_der: &[u8],
        mut note: TokenNote,
    ) -> Result<(), Error> {
        note.id = hex(key.id());
        let text = serde_json::to_vec(&note)
            .map_err(|e| crate::error::internal_error(format!("encoding the token note: {e}")))?;
        let token = key.token();
        token
            .store_certificate(key, certificate_der)
            .map_err(token_error)?;
        token.store_note(key.label(), &text).map_err(token_error)?;
        let id = hex(key.id());
        // The key is noted in full now; its pending note has served.
        let _ = token.destroy_notes(key.label(), |bytes| pending_note_of(bytes, &id));
        self.sweep_leftovers(token, key.label());
        Ok(())
    }

    /// Destroys the keys under `key_label` whose pending note is older than
    /// [`LEFT_BEHIND_AFTER`] and that no full note describes: each was made by a run that
    /// stopped between making its key and storing its credential. Its certificate, if Entra
    /// got it, is one no store holds, which the next plan removes from the app. Best effort:
    /// the credential just stored stands whatever happens here.
    fn sweep_leftovers(&self, token: &Arc<Pkcs11Token>, key_label: &str) {
        let Ok(values) = token.notes(key_label) else {
            return;
        };
        let noted: Vec<String> = values
            .iter()
            .filter_map(|bytes| serde_json::from_slice::<TokenNote>(bytes).ok())
            .map(|n| n.id)
            .collect();
        let cutoff = Timestamp::now() - LEFT_BEHIND_AFTER;
        for pending in values
            .iter()
            .filter_map(|bytes| serde_json::from_slice::<PendingNote>(bytes).ok())
            .filter(|p| p.since < cutoff && !noted.contains(&p.pending_key))
        {
            let Some(id) = unhex(&pending.pending_key) else {
                continue;
            };
            if let Err(err) = token.destroy(key_label, &id, |bytes| {
                pending_note_of(bytes, &pending.pending_key)
            }) {
                tracing::warn!(
                    "could not destroy the key {} left on token `{}`: {err}",
                    pending.pending_key,
                    token.label()
                );
            }
        }
    }

    /// The newest credential on the token whose key, certificate and note are all there.
    pub fn credential(&self, location: &Pkcs11Location) -> Result<OnToken, Error> {
        let token = self.open(location)?;
        let notes = self.notes(&token, &location.key)?;
        let keys = token.keys(&location.key).map_err(token_error)?;
        let mut best: Option<(TokenNote, TokenKey)> = None;
        for key in keys {
            let id = hex(key.id());
            let Some(note) = notes.iter().find(|n| n.id == id) else {
                continue;
            };
            if best.as_ref().is_none_or(|(b, _)| b.end < note.end) {
                best = Some((note.clone(), key));
            }
        }
        let Some((note, key)) = best else {
            return Err(token_error(breakglass_entra::pkcs11::Pkcs11Error::NoKey {
                token: location.token.clone(),
                key: location.key.clone(),
            }));
        };
        Ok(OnToken {
            note,
            certificate: signing_certificate(&token, key)?,
            token_label: token.label().to_string(),
            serial: token.serial_number().to_string(),
        })
    }

    /// The certificate of a key someone else put on the token (an operator's, made with the
    /// vendor's tool): any key labelled `location.key` with a certificate under its `CKA_ID`,
    /// the one valid longest when there are several. No note is needed.
    pub fn certificate_of(
        &self,
        location: &Pkcs11Location,
    ) -> Result<CertificateCredential, Error> {
        let token = self.open(location)?;
        let keys = token.keys(&location.key).map_err(token_error)?;
        // Why no key could be used: none has the label, else the first key's reason.
        let mut unusable = config_error(
            breakglass_entra::pkcs11::Pkcs11Error::NoKey {
                token: location.token.clone(),
                key: location.key.clone(),
            }
            .to_string(),
        )
        .hinted(format!(
            "check pkcs11_key and pkcs11_token; `pkcs11-tool --module {} --token-label {} --login --list-objects` lists the token's keys and certificates (the certificate goes under its key's id)",
            location.module, location.token
        ));
        let mut best: Option<CertificateCredential> = None;
        for (index, key) in keys.into_iter().enumerate() {
            match signing_certificate(&token, key) {
                Ok(certificate)
                    if best
                        .as_ref()
                        .is_none_or(|b| b.not_after() < certificate.not_after()) =>
                {
                    best = Some(certificate);
                }
                Ok(_) => {}
                Err(e) if index == 0 => unusable = e,
                Err(_) => {}
            }
        }
        best.ok_or(unusable)
    }

    /// The key ids the token holds for `location`'s key label.
    pub fn key_ids(&self, location: &Pkcs11Location) -> Result<Vec<String>, Error> {
        let token = self.open(location)?;
        Ok(self
            .notes(&token, &location.key)?
            .into_iter()
            .map(|n| n.key_id)
            .collect())
    }

    fn notes(&self, token: &Pkcs11Token, key_label: &str) -> Result<Vec<TokenNote>, Error> {
        Ok(token
            .notes(key_label)
            .map_err(token_error)?
            .iter()
            .filter_map(|bytes| serde_json::from_slice::<TokenNote>(bytes).ok())
            .collect())
    }

    /// [`Tokens::forget`], on a token this run has already opened (so no PIN is asked for).
    pub fn forget_if_open(&self, location: &Pkcs11Location, key_id: &str) -> Result<(), Error> {
        let is_open = self.open.lock().is_ok_and(|open| {
            open.iter().any(|(module, label, token)| {
                *module == location.module && *label == location.token && token.is_ok()
            })
        });
        if is_open {
            self.forget(location, key_id)?;
        }
        Ok(())
    }

    /// Destroys the key pair, certificate and note of `key_id` on the token.
    pub fn forget(&self, location: &Pkcs11Location, key_id: &str) -> Result<(), Error> {
        let token = self.open(location)?;
        let notes = self.notes(&token, &location.key)?;
        let Some(note) = notes.iter().find(|n| n.key_id.eq_ignore_ascii_case(key_id)) else {
            return Ok(());
        };
        let id = unhex(&note.id).unwrap_or_default();
        token
            .destroy(&location.key, &id, |bytes| {
                serde_json::from_slice::<TokenNote>(bytes)
                    .is_ok_and(|n| n.key_id.eq_ignore_ascii_case(key_id))
            })
            .map_err(token_error)
    }
}

/// The key with the certificate the token keeps under its `CKA_ID`, ready to sign
/// assertions on the token.
fn signing_certificate(token: &Pkcs11Token, key: TokenKey) -> Result<CertificateCredential, Error> {
    let certificate_der = token.certificate(&key).map_err(token_error)?;
    let origin = format!("token `{}`", token.label());
    CertificateCredential::from_signer(Arc::new(key), &certificate_der, &origin)
        .map_err(token_error)
}

/// How a credential's certificate signs client assertions: PS256, unless a `pkcs11`
/// credential asks for RS256 (`pkcs11_algorithm`) because its token lacks RSA-PSS.
pub fn assertion_algorithm(
    policy: &breakglass_core::config::CredentialPolicy,
) -> breakglass_entra::AssertionAlgorithm {
    token_algorithm(policy.pkcs11_algorithm.unwrap_or_default())
}

/// The assertion algorithm a token's `pkcs11_algorithm` names.
pub fn token_algorithm(
    signature: breakglass_core::config::TokenSignature,
) -> breakglass_entra::AssertionAlgorithm {
    match signature {
        breakglass_core::config::TokenSignature::Ps256 => {
            breakglass_entra::AssertionAlgorithm::Ps256
        }
        breakglass_core::config::TokenSignature::Rs256 => {
            breakglass_entra::AssertionAlgorithm::Rs256
        }
    }
}

/// A one-line config error for a `pkcs11` credential without its location.
pub fn location_of(
    policy: &breakglass_core::config::CredentialPolicy,
) -> Result<Pkcs11Location, Error> {
    policy.pkcs11().ok_or_else(|| {
        config_error(format!(
            "credential `{}` is kept on a PKCS#11 token but does not say which",
            policy.label
        ))
        .hinted("set pkcs11_module, pkcs11_token and pkcs11_key under its [[app.credentials]]")
    })
}
