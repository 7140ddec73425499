//! The credential payload: `BREAKGLASS:V1:<BODY>:<CHECK>`.
//!
//! * `BODY` is base32 (RFC 4648 alphabet, no padding) of a compact JSON object, padded with
//!   trailing spaces to a multiple of 5 bytes so that the base32 text needs no `=` padding and
//!   `base32 -d` from coreutils decodes it as is.
//! * `CHECK` is base32 of the first 5 bytes of SHA-256 over the JSON bytes (8 characters).
//!
//! Every character is in the QR alphanumeric set (`A–Z 2–7 :`), which keeps QR codes small.
//! Parsing ignores case and whitespace; a mistyped character fails the check.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::Timestamp;
use secrecy::{ExposeSecret as _, SecretSlice, SecretString};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::credential::{
    CertificateCredential, CredentialError, CredentialKind, KeyFormat, StoredCredential,
};
use crate::encoding::{self, Base32Error, CHECK_BYTES};

/// Every payload starts with this text.
pub const PAYLOAD_PREFIX: &str = "BREAKGLASS:V1:";

/// The JSON inside the payload. Short keys keep the QR code small; `docs/stores.md` lists them.
#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
struct Wire {
    /// label
    l: String,
    /// display name
    #[serde(default, skip_serializing_if = "Option::is_none")]
    n: Option<String>,
    /// tenant id
    t: String,
    /// client id
    c: String,
    /// key id
    k: String,
    /// start, RFC 3339
    s: String,
    /// end, RFC 3339
    e: String,
    /// cloud name
    cl: String,
    /// authority host
    a: String,
    /// note
    #[serde(default, skip_serializing_if = "String::is_empty")]
    u: String,
    /// client secret
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sec: Option<String>,
    /// secret hint
    #[serde(default, skip_serializing_if = "Option::is_none")]
    h: Option<String>,
    /// private key DER, base64url
    #[serde(default, skip_serializing_if = "Option::is_none")]
    key: Option<String>,
    /// private key format: pkcs8 | pkcs1 | sec1
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kf: Option<String>,
    /// certificate DER, base64url
    #[serde(default, skip_serializing_if = "Option::is_none")]
    crt: Option<String>,
}

/// A credential in its text form, together with the credential it encodes.
///
/// The text is secret; `Debug` shows only the checksum.
#[derive(Clone)]
pub struct CredentialPayload {
    text: SecretString,
    check: String,
    credential: StoredCredential,
}

impl fmt::Debug for CredentialPayload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialPayload")
            .field("check", &self.check)
            .field("credential", &self.credential)
            .finish()
    }
}

impl CredentialPayload {
    /// Encodes a credential. It is validated first.
    pub fn encode(credential: &StoredCredential) -> Result<CredentialPayload, PayloadError> {
        credential.validate()?;
        let json = to_json(credential)?;
        let check = encoding::check_text(&[&json]);
        let body = encoding::base32_encode(&json);
        let mut text = Zeroizing::new(String::with_capacity(PAYLOAD_PREFIX.len() + body.len() + 9));
        text.push_str(PAYLOAD_PREFIX);
        text.push_str(&body);
        text.push(':');
        text.push_str(&check);
        Ok(CredentialPayload {
            text: SecretString::from(text.to_string()),
            check,
            credential: credential.clone(),
        })
    }

    /// Parses payload text, typed or scanned. Case and whitespace (line breaks) are ignored.
    pub fn parse(text: &str) -> Result<CredentialPayload, PayloadError> {
        let text = encoding::normalize(text);
        let rest = text.strip_prefix(PAYLOAD_PREFIX).ok_or_else(|| {
            if text.starts_with("BREAKGLASS:") {
                PayloadError::UnsupportedVersion
            } else if text.starts_with(crate::qr::PART_PREFIX) {
                PayloadError::IsQrPart
            } else if text.starts_with(crate::encoding::SHARE_PREFIX) {
                PayloadError::IsShare
            } else {
                PayloadError::NotAPayload
            }
        })?;
        let (body, check) = rest.rsplit_once(':').ok_or(PayloadError::Truncated)?;
        let json = encoding::base32_decode(body).map_err(|e| match e {
            Base32Error::BadChar { position, found } => PayloadError::BadCharacter {
                position: position + PAYLOAD_PREFIX.len() + 1,
                found,
            },
            Base32Error::BadLength => PayloadError::Checksum,
        })?;
        let want = encoding::check_text(&[&json]);
        if !encoding::ct_eq(want.as_bytes(), check.as_bytes()) {
            return Err(PayloadError::Checksum);
        }
        let credential = from_json(&json)?;
        Ok(CredentialPayload {
            text: SecretString::from(text.to_string()),
            check: want,
            credential,
        })
    }

    /// Reads the JSON inside a payload (what [`parse`](Self::parse) finds under the base32 and
    /// the check) into a credential. Public because the check in front stops a fuzzer from ever
    /// reaching this decoder with mutated JSON: the fuzz target and its corpus replay test call
    /// it directly. Everything else should read a payload with `parse` or `from_scanned`.
    pub fn credential_from_json(json: &[u8]) -> Result<StoredCredential, PayloadError> {
        from_json(json)
    }

    /// Parses what a scanner or a paste produced: either one payload, or the lines of several
    /// QR codes (`BGPART:` parts in any order, one per line).
    pub fn from_scanned(text: &str) -> Result<CredentialPayload, PayloadError> {
        if let Some(parts) = crate::qr::part_lines(text) {
            let joined = crate::qr::join_parts(parts)?;
            CredentialPayload::parse(joined.expose_secret())
        } else {
            CredentialPayload::parse(text).or_else(|err| {
                crate::qr::prefixed_line(text, PAYLOAD_PREFIX)
                    .and_then(|line| CredentialPayload::parse(line).ok())
                    .ok_or(err)
            })
        }
    }

    /// The payload text (`BREAKGLASS:V1:…`). It grants Global Administrator: handle with care.
    pub fn text(&self) -> &SecretString {
        &self.text
    }

    /// The 8-character check value, printed on sheets so a typed payload can be compared.
    pub fn check(&self) -> &str {
        &self.check
    }

    /// The credential.
    pub fn credential(&self) -> &StoredCredential {
        &self.credential
    }

    /// The texts of the QR codes that carry this payload: the payload itself when it fits one
    /// code, else numbered parts (see [`crate::qr`]).
    pub fn qr_texts(&self) -> Vec<SecretString> {
        crate::qr::split_for_qr(self.text.expose_secret())
    }

    /// The payload's binary form: the JSON bytes followed by the 5 check bytes. This is what
    /// Shamir shares split.
    pub(crate) fn to_binary(&self) -> Zeroizing<Vec<u8>> {
        let text = self.text.expose_secret();
        let rest = &text[PAYLOAD_PREFIX.len()..];
        let (body, _) = rest.rsplit_once(':').unwrap_or((rest, ""));
        let mut bytes = encoding::base32_decode(body).unwrap_or_default();
        let check = encoding::check_bytes(&[&bytes]);
        bytes.extend_from_slice(&check);
        bytes
    }

    /// The inverse of [`to_binary`](Self::to_binary); `None` when the check bytes do not match.
    pub(crate) fn from_binary(bytes: &[u8]) -> Option<Result<CredentialPayload, PayloadError>> {
        if bytes.len() <= CHECK_BYTES {
            return None;
        }
        let (json, check) = bytes.split_at(bytes.len() - CHECK_BYTES);
        if !encoding::ct_eq(&encoding::check_bytes(&[json]), check) {
            return None;
        }
        let body = encoding::base32_encode(json);
        let check = encoding::check_text(&[json]);
        let text = Zeroizing::new(format!("{PAYLOAD_PREFIX}{}:{check}", body.as_str()));
        Some(CredentialPayload::parse(&text))
    }
}

impl StoredCredential {
    /// Shorthand for [`CredentialPayload::encode`].
    pub fn to_payload(&self) -> Result<CredentialPayload, PayloadError> {
        CredentialPayload::encode(self)
    }
}

fn to_json(c: &StoredCredential) -> Result<Zeroizing<Vec<u8>>, PayloadError> {
    let mut wire = Wire {
        l: c.label.clone(),
        n: c.display_name.clone().filter(|n| !n.is_empty()),
        t: c.tenant_id.clone(),
        c: c.client_id.to_string(),
        k: c.key_id.to_string(),
        s: c.start.to_string(),
        e: c.end.to_string(),
        cl: c.cloud.clone(),
        a: c.authority_host.clone(),
        u: c.note.clone(),
        sec: None,
        h: None,
        key: None,
        kf: None,
        crt: None,
    };
    match &c.kind {
        CredentialKind::Secret { value, hint } => {
            wire.sec = Some(value.expose_secret().to_string());
            wire.h = Some(hint.clone());
        }
        CredentialKind::Certificate(cert) => {
            wire.key = Some(URL_SAFE_NO_PAD.encode(cert.private_key_der().expose_secret()));
            wire.kf = Some(cert.key_format().code().to_string());
            wire.crt = Some(URL_SAFE_NO_PAD.encode(cert.certificate_der()));
        }
    }
    let mut json = Zeroizing::new(serde_json::to_vec(&wire).map_err(|_| PayloadError::Json)?);
    while json.len() % 5 != 0 {
        json.push(b' ');
    }
    Ok(json)
}

fn from_json(json: &[u8]) -> Result<StoredCredential, PayloadError> {
    let wire: Wire = serde_json::from_slice(json).map_err(|_| PayloadError::Json)?;
    let uuid = |s: &str| Uuid::parse_str(s).map_err(|_| PayloadError::Json);
    let time = |s: &str| s.parse::<Timestamp>().map_err(|_| PayloadError::Json);
    let kind = match (&wire.sec, &wire.key, &wire.crt) {
        (Some(secret), None, None) => CredentialKind::Secret {
            value: SecretString::from(secret.clone()),
            hint: wire.h.clone().unwrap_or_default(),
        },
        (None, Some(key), Some(crt)) => {
            let key_der = Zeroizing::new(
                URL_SAFE_NO_PAD
                    .decode(key)
                    .map_err(|_| PayloadError::Json)?,
            );
            let cert_der = URL_SAFE_NO_PAD
                .decode(crt)
                .map_err(|_| PayloadError::Json)?;
            let format = wire
                .kf
                .as_deref()
                .and_then(KeyFormat::from_code)
                .ok_or(PayloadError::Json)?;
            CredentialKind::Certificate(CertificateCredential::from_der(
                SecretSlice::from(key_der.to_vec()),
                format,
                cert_der,
            )?)
        }
        _ => return Err(PayloadError::Json),
    };
    let credential = StoredCredential {
        label: wire.l.clone(),
        display_name: wire.n.clone(),
        tenant_id: wire.t.clone(),
        client_id: uuid(&wire.c)?,
        key_id: uuid(&wire.k)?,
        kind,
        start: time(&wire.s)?,
        end: time(&wire.e)?,
        cloud: wire.cl.clone(),
        authority_host: wire.a.clone(),
        note: wire.u.clone(),
    };
    credential.validate()?;
    Ok(credential)
}

/// Why payload text could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum PayloadError {
    /// The text does not start with `BREAKGLASS:V1:`.
    #[error("this is not a breakglass credential payload (it should start with {PAYLOAD_PREFIX})")]
    NotAPayload,
    /// A payload of another version.
    #[error("this payload was written by another version of breakglass")]
    UnsupportedVersion,
    /// The text is one QR part, not a whole payload.
    #[error("this is one part of a payload split over several QR codes")]
    IsQrPart,
    /// The text is a Shamir share, not a payload.
    #[error("this is a Shamir share, not a credential payload")]
    IsShare,
    /// The text ends before the checksum.
    #[error("the payload is cut short: the `:` and 8-character checksum at the end are missing")]
    Truncated,
    /// A character that base32 does not use.
    #[error("character {position} of the payload, `{found}`, cannot occur in a payload")]
    BadCharacter {
        /// 1-based position in the (whitespace-free) text.
        position: usize,
        /// The character.
        found: char,
    },
    /// The checksum does not match.
    #[error(
        "the payload checksum does not match: a character was mistyped, or part of the text is missing"
    )]
    Checksum,
    /// The checksum matched but the content is not a credential.
    #[error("the payload's checksum is right but its content is not a breakglass credential")]
    Json,
    /// The decoded credential is not valid.
    #[error("the payload holds an unusable credential: {0}")]
    Credential(#[from] CredentialError),
    /// QR parts could not be joined.
    #[error(transparent)]
    Parts(#[from] crate::qr::QrPartError),
}

impl PayloadError {
    /// What to do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            PayloadError::NotAPayload => {
                "scan the QR code on the recovery sheet, or copy the text that starts with BREAKGLASS:V1:"
            }
            PayloadError::UnsupportedVersion => {
                "use the breakglass version named on the sheet, or a newer one"
            }
            PayloadError::IsQrPart => {
                "scan every QR code on the sheet and pass all the lines together"
            }
            PayloadError::IsShare => {
                "combine the shares first (k custodians together), then use the payload"
            }
            PayloadError::Truncated => {
                "copy the whole text, up to the last `:` and the 8 characters after it"
            }
            PayloadError::BadCharacter { .. } => {
                "payloads use only A-Z, 2-7 and `:`; 0 is the letter O, 1 is the letter I or L, 8 is B"
            }
            PayloadError::Checksum => {
                "compare the text with the sheet character by character (O/0, I/1, B/8, S/5), or scan the QR code instead"
            }
            PayloadError::Json => {
                "the sheet may come from an incompatible tool; use the KeePass copy instead"
            }
            PayloadError::Credential(e) => e.hint(),
            PayloadError::Parts(e) => e.hint(),
        }
    }
}
