//! k-of-n Shamir shares of a credential payload (GF(256), byte-wise, via `vsss-rs`).
//!
//! The secret that is split is the payload's binary form: its JSON bytes followed by its 5 check
//! bytes. Any `k` shares give it back; after combining, the check bytes are verified, so a wrong
//! or altered share is detected. Fewer than `k` shares reveal nothing about the payload (Shamir's
//! scheme is information-theoretically hiding), so the check value, being inside the secret,
//! leaks nothing either.
//!
//! A share's text is
//!
//! ```text
//! BGSHARE:V1:K<k>:N<n>:I<i>:<SET>:<DATA>:<CHECK>
//! ```
//!
//! * `k` threshold, `n` number of shares, `i` this share's index (its x-coordinate, 1..=n);
//! * `SET` 8 base32 characters, random per split, so shares of different splits are not mixed;
//! * `DATA` base32 of the share's y-values (one byte per payload byte);
//! * `CHECK` 8 base32 characters: SHA-256 (first 5 bytes) of everything before the last `:`,
//!   which catches typos in a share. It is computed over the share only, never over the secret.

use std::collections::BTreeMap;
use std::fmt;

use rand_0_10::RngExt as _;
use secrecy::{ExposeSecret as _, SecretSlice, SecretString};
use vsss_rs::{Gf256, IdentifierGf256};
use zeroize::Zeroizing;

use crate::encoding::{self, Base32Error};
use crate::payload::{CredentialPayload, PayloadError};

pub use crate::encoding::SHARE_PREFIX;

/// The largest number of shares.
pub const MAX_SHARES: u8 = 16;

/// One Shamir share. `Debug` never shows its data.
#[derive(Clone)]
pub struct ShamirShare {
    threshold: u8,
    total: u8,
    index: u8,
    set_id: String,
    data: SecretSlice<u8>,
}

impl fmt::Debug for ShamirShare {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShamirShare")
            .field("threshold", &self.threshold)
            .field("total", &self.total)
            .field("index", &self.index)
            .field("set_id", &self.set_id)
            .field("data", &"[REDACTED]")
            .finish()
    }
}

impl ShamirShare {
    /// How many shares are needed (k).
    pub fn threshold(&self) -> u8 {
        self.threshold
    }
    /// How many shares were made (n).
    pub fn total(&self) -> u8 {
        self.total
    }
    /// This share's number, 1..=n.
    pub fn index(&self) -> u8 {
        self.index
    }
    /// The id of the split this share belongs to (8 characters).
    pub fn set_id(&self) -> &str {
        &self.set_id
    }

    /// The share's text. It is secret: k of them give the credential.
    pub fn text(&self) -> SecretString {
        let data = encoding::base32_encode(self.data.expose_secret());
        let head = Zeroizing::new(format!(
            "{SHARE_PREFIX}K{}:N{}:I{}:{}:{}",
            self.threshold,
            self.total,
            self.index,
            self.set_id,
            data.as_str()
        ));
        let check = encoding::check_text(&[head.as_bytes()]);
        SecretString::from(format!("{}:{check}", head.as_str()))
    }

    /// The texts of the QR codes that carry this share (several when it is long).
    pub fn qr_texts(&self) -> Vec<SecretString> {
        crate::qr::split_for_qr(self.text().expose_secret())
    }

    /// Parses a share's text. Case and whitespace are ignored.
    pub fn parse(text: &str) -> Result<ShamirShare, ShamirError> {
        let text = encoding::normalize(text);
        if text.starts_with(crate::qr::PART_PREFIX) {
            return Err(ShamirError::IsQrPart);
        }
        if !text.starts_with(SHARE_PREFIX) {
            return Err(if text.starts_with("BGSHARE:") {
                ShamirError::UnsupportedVersion
            } else {
                ShamirError::NotAShare
            });
        }
        let (head, check) = text.rsplit_once(':').ok_or(ShamirError::Truncated)?;
        let want = encoding::check_text(&[head.as_bytes()]);
        if check.len() != want.len() || head.len() <= SHARE_PREFIX.len() {
            return Err(ShamirError::Truncated);
        }
        if !encoding::ct_eq(want.as_bytes(), check.as_bytes()) {
            return Err(ShamirError::Checksum {
                index: share_index_hint(head),
            });
        }
        let fields: Vec<&str> = head[SHARE_PREFIX.len()..].split(':').collect();
        let [k, n, i, set, data] = fields[..] else {
            return Err(ShamirError::Malformed);
        };
        let number = |field: &str, tag: char| -> Result<u8, ShamirError> {
            field
                .strip_prefix(tag)
                .and_then(|v| v.parse().ok())
                .ok_or(ShamirError::Malformed)
        };
        let (threshold, total, index) = (number(k, 'K')?, number(n, 'N')?, number(i, 'I')?);
        let data = encoding::base32_decode(data).map_err(|e| match e {
            Base32Error::BadChar { .. } | Base32Error::BadLength => ShamirError::Malformed,
        })?;
        ShamirShare::from_parts(threshold, total, index, set, &data)
    }

    /// A share from its fields, checked as [`parse`](Self::parse) checks them. Public because
    /// the check in a share's text stops a fuzzer from ever reaching [`combine`] with mutated
    /// share data: the fuzz target and its corpus replay test build shares with this.
    pub fn from_parts(
        threshold: u8,
        total: u8,
        index: u8,
        set_id: &str,
        data: &[u8],
    ) -> Result<ShamirShare, ShamirError> {
        check_parameters(threshold, total).map_err(|_| ShamirError::Malformed)?;
        if index == 0 || index > total || set_id.len() != 8 || data.is_empty() {
            return Err(ShamirError::Malformed);
        }
        Ok(ShamirShare {
            threshold,
            total,
            index,
            set_id: set_id.to_string(),
            data: SecretSlice::from(data.to_vec()),
        })
    }

    /// Parses what a scanner or a paste produced: one share text, or the lines of the share's
    /// several QR codes (`BGPART:` parts, in any order).
    pub fn from_scanned(text: &str) -> Result<ShamirShare, ShamirError> {
        if let Some(parts) = crate::qr::part_lines(text) {
            let joined = crate::qr::join_parts(parts)?;
            ShamirShare::parse(joined.expose_secret())
        } else {
            ShamirShare::parse(text).or_else(|err| {
                crate::qr::prefixed_line(text, SHARE_PREFIX)
                    .and_then(|line| ShamirShare::parse(line).ok())
                    .ok_or(err)
            })
        }
    }
}

fn share_index_hint(head: &str) -> Option<u8> {
    head.split(':')
        .find_map(|f| f.strip_prefix('I'))
        .and_then(|v| v.parse().ok())
}

fn check_parameters(threshold: u8, total: u8) -> Result<(), ShamirError> {
    if threshold < 2 || threshold > total || total > MAX_SHARES {
        return Err(ShamirError::Parameters { threshold, total });
    }
    Ok(())
}

/// Splits a payload into `total` shares, any `threshold` of which give it back.
/// `2 ≤ threshold ≤ total ≤ 16`.
pub fn split(
    payload: &CredentialPayload,
    threshold: u8,
    total: u8,
) -> Result<Vec<ShamirShare>, ShamirError> {
    check_parameters(threshold, total)?;
    let secret = payload.to_binary();
    let mut rng = rand_0_10::rng();
    let set_bytes: [u8; 5] = rng.random();
    let set_id = encoding::base32_encode(&set_bytes).to_string();
    let ids = (1..=total).map(|i| IdentifierGf256(Gf256(i)));
    let raw = Gf256::split_bytes_with_participant_ids_iter(
        usize::from(threshold),
        usize::from(total),
        &secret[..],
        &mut rng,
        ids,
    )
    .map_err(|_| ShamirError::Internal)?;
    let shares = raw
        .into_iter()
        .map(|share| {
            let share = Zeroizing::new(share);
            ShamirShare {
                threshold,
                total,
                index: share[0],
                set_id: set_id.clone(),
                data: SecretSlice::from(share[1..].to_vec()),
            }
        })
        .collect();
    Ok(shares)
}

/// Combines shares into the payload. Any `k` distinct shares of one split work; more are fine.
pub fn combine(shares: &[ShamirShare]) -> Result<CredentialPayload, ShamirError> {
    let first = shares.first().ok_or(ShamirError::NoShares)?;
    let mut sets: Vec<&str> = shares.iter().map(|s| s.set_id.as_str()).collect();
    sets.sort_unstable();
    sets.dedup();
    if sets.len() > 1 {
        return Err(ShamirError::MixedSets {
            sets: sets.iter().map(|s| s.to_string()).collect(),
        });
    }
    let mut distinct: BTreeMap<u8, &ShamirShare> = BTreeMap::new();
    for share in shares {
        if share.threshold != first.threshold
            || share.total != first.total
            || share.data.expose_secret().len() != first.data.expose_secret().len()
        {
            return Err(ShamirError::Inconsistent);
        }
        if let Some(seen) = distinct.get(&share.index) {
            if seen.data.expose_secret() != share.data.expose_secret() {
                return Err(ShamirError::Conflict { index: share.index });
            }
            continue;
        }
        distinct.insert(share.index, share);
    }
    let need = usize::from(first.threshold);
    if distinct.len() < need {
        return Err(ShamirError::NotEnough {
            have: distinct.len(),
            need,
            duplicates: shares.len() - distinct.len(),
        });
    }
    let raw: Vec<Vec<u8>> = distinct
        .values()
        .take(need)
        .map(|s| {
            let mut v = Vec::with_capacity(s.data.expose_secret().len() + 1);
            v.push(s.index);
            v.extend_from_slice(s.data.expose_secret());
            v
        })
        .collect();
    let raw = Zeroizing::new(raw);
    let secret = Zeroizing::new(Gf256::combine_bytes(&raw[..]).map_err(|_| ShamirError::Internal)?);
    match CredentialPayload::from_binary(&secret) {
        Some(Ok(payload)) => Ok(payload),
        Some(Err(e)) => Err(ShamirError::Payload(e)),
        None => Err(ShamirError::WrongResult),
    }
}

/// Why shares could not be made or combined.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ShamirError {
    /// k or n out of range.
    #[error(
        "cannot split into {total} shares with threshold {threshold}: need 2 ≤ threshold ≤ shares ≤ 16"
    )]
    Parameters {
        /// k
        threshold: u8,
        /// n
        total: u8,
    },
    /// The text is not a share.
    #[error("this is not a breakglass Shamir share (it should start with {SHARE_PREFIX})")]
    NotAShare,
    /// A share of another version.
    #[error("this share was written by another version of breakglass")]
    UnsupportedVersion,
    /// One QR part of a share was given alone.
    #[error("this is one part of a share split over several QR codes")]
    IsQrPart,
    /// The share text is cut short.
    #[error("the share is cut short: the `:` and 8-character checksum at the end are missing")]
    Truncated,
    /// The share's checksum does not match.
    #[error("{} checksum does not match: a character was mistyped, or part of it is missing", index.map(|i| format!("share {i}'s")).unwrap_or_else(|| "the share's".into()))]
    Checksum {
        /// The share's index, when it could still be read.
        index: Option<u8>,
    },
    /// The checksum matched but the fields are wrong.
    #[error("the share's checksum is right but its fields are not valid")]
    Malformed,
    /// No shares were given.
    #[error("no shares were given")]
    NoShares,
    /// Shares from different splits.
    #[error("the shares come from {} different splits (set ids {}); shares of different splits cannot be combined", sets.len(), sets.join(", "))]
    MixedSets {
        /// The set ids seen.
        sets: Vec<String>,
    },
    /// Same set id, but different k, n or length.
    #[error("the shares claim the same set id but disagree on the threshold, count or length")]
    Inconsistent,
    /// Two different shares with the same index.
    #[error("two different shares both claim to be share {index}")]
    Conflict {
        /// The index.
        index: u8,
    },
    /// Fewer than k distinct shares.
    #[error("{have} distinct share(s) given but {need} are needed: {} more", need - have)]
    NotEnough {
        /// Distinct shares given.
        have: usize,
        /// The threshold.
        need: usize,
        /// How many given shares were duplicates.
        duplicates: usize,
    },
    /// The shares combined, but the result fails its check.
    #[error("the shares combine to a damaged payload: at least one share was altered")]
    WrongResult,
    /// The combined payload is not a credential.
    #[error("the combined payload is not usable: {0}")]
    Payload(PayloadError),
    /// QR parts could not be joined.
    #[error(transparent)]
    Parts(#[from] crate::qr::QrPartError),
    /// The Shamir library refused (not expected).
    #[error("the Shamir library failed unexpectedly")]
    Internal,
}

impl ShamirError {
    /// What to do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            ShamirError::Parameters { .. } => {
                "choose e.g. 3 of 5: at least 2, at most 16 shares, threshold not above the count"
            }
            ShamirError::NotAShare => {
                "scan the QR code on a custodian sheet, or copy the text that starts with BGSHARE:V1:"
            }
            ShamirError::UnsupportedVersion => {
                "use the breakglass version named on the custodian sheet, or a newer one"
            }
            ShamirError::IsQrPart => "scan every QR code of this share and pass the lines together",
            ShamirError::Truncated | ShamirError::Checksum { .. } => {
                "compare the text with the custodian sheet character by character (O/0, I/1, B/8), or scan its QR code"
            }
            ShamirError::Malformed | ShamirError::Inconsistent | ShamirError::WrongResult => {
                "one of the sheets is damaged or altered; try a different combination of shares"
            }
            ShamirError::NoShares => {
                "pass the shares of at least the threshold number of custodians"
            }
            ShamirError::MixedSets { .. } => {
                "use shares with the same set id (printed on each custodian sheet); older splits are void"
            }
            ShamirError::Conflict { .. } => {
                "the same share number came twice with different text; rescan both sheets"
            }
            ShamirError::NotEnough { .. } => {
                "bring more custodians' shares; fewer than the threshold reveal nothing about the credential"
            }
            ShamirError::Payload(e) => e.hint(),
            ShamirError::Parts(e) => e.hint(),
            ShamirError::Internal => "report this as a bug in breakglass",
        }
    }
}
