//! Base32 (RFC 4648 alphabet, no padding) and the 8-character check value.
//!
//! Base32 uses only `A–Z` and `2–7`, which fit the QR alphanumeric mode and survive being read
//! aloud or typed. Decoding ignores case.

use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

/// Every Shamir share starts with this text; a payload reader tells shares from sheets by it.
pub const SHARE_PREFIX: &str = "BGSHARE:V1:";

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Number of check bytes (40 bits, 8 base32 characters).
pub(crate) const CHECK_BYTES: usize = 5;

pub(crate) fn base32_encode(data: &[u8]) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity((data.len() * 8).div_ceil(5)));
    let mut buffer: u32 = 0;
    let mut bits = 0u32;
    for &byte in data {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
        buffer &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    zeroize::Zeroize::zeroize(&mut buffer);
    out
}

/// Where base32 decoding failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Base32Error {
    /// A character outside `A–Z`, `2–7` at this (0-based) position.
    BadChar { position: usize, found: char },
    /// The length cannot come from whole bytes (a character is missing or extra).
    BadLength,
}

pub(crate) fn base32_decode(text: &str) -> Result<Zeroizing<Vec<u8>>, Base32Error> {
    if matches!(text.len() % 8, 1 | 3 | 6) {
        return Err(Base32Error::BadLength);
    }
    let mut out = Zeroizing::new(Vec::with_capacity(text.len() * 5 / 8));
    let mut buffer: u32 = 0;
    let mut bits = 0u32;
    for (position, c) in text.chars().enumerate() {
        let value = match c {
            'A'..='Z' => c as u32 - 'A' as u32,
            'a'..='z' => c as u32 - 'a' as u32,
            '2'..='7' => c as u32 - '2' as u32 + 26,
            _ => return Err(Base32Error::BadChar { position, found: c }),
        };
        buffer = (buffer << 5) | value;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((buffer >> bits) & 0xff) as u8);
        }
        buffer &= (1 << bits) - 1;
    }
    // Leftover bits must be zero so that every byte string has exactly one spelling.
    if buffer != 0 {
        return Err(Base32Error::BadLength);
    }
    Ok(out)
}

/// The first [`CHECK_BYTES`] bytes of SHA-256 over `parts`, concatenated.
pub(crate) fn check_bytes(parts: &[&[u8]]) -> [u8; CHECK_BYTES] {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    let digest = hasher.finalize();
    let mut out = [0u8; CHECK_BYTES];
    out.copy_from_slice(&digest[..CHECK_BYTES]);
    out
}

/// The check value as 8 base32 characters.
pub(crate) fn check_text(parts: &[&[u8]]) -> String {
    base32_encode(&check_bytes(parts)).to_string()
}

/// Uppercases and drops whitespace, so that text read from paper or a scanner compares exactly.
pub(crate) fn normalize(text: &str) -> Zeroizing<String> {
    Zeroizing::new(
        text.chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect(),
    )
}

/// Constant-time comparison of two byte strings of public length.
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rfc4648_vectors() {
        for (raw, enc) in [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(*base32_encode(raw.as_bytes()), enc);
            assert_eq!(*base32_decode(enc).unwrap(), raw.as_bytes());
            assert_eq!(*base32_decode(&enc.to_lowercase()).unwrap(), raw.as_bytes());
        }
        assert_eq!(base32_decode("M"), Err(Base32Error::BadLength));
        assert_eq!(
            base32_decode("MZ"),
            Err(Base32Error::BadLength),
            "non-zero trailing bits"
        );
        assert_eq!(
            base32_decode("MZX0"),
            Err(Base32Error::BadChar {
                position: 3,
                found: '0'
            })
        );
    }

    proptest! {
        #[test]
        fn base32_round_trip(data in proptest::collection::vec(any::<u8>(), 0..300)) {
            let enc = base32_encode(&data);
            prop_assert_eq!(&*base32_decode(&enc).unwrap(), &data);
        }
    }
}
