//! QR codes for payloads and shares, and the split of long texts over several codes.
//!
//! A text of at most [`MAX_QR_CHARS`] characters goes into one QR code as it is. A longer text
//! (a certificate with its private key) is cut into `n` nearly equal chunks, each carried by a
//! code whose text is
//!
//! ```text
//! BGPART:<i>/<n>:<TAG>:<chunk>
//! ```
//!
//! where `i` counts from 1 and `TAG` is the 8-character check value of the whole text, so parts
//! of different texts are never joined, and the joined text is verified. All characters are in
//! the QR alphanumeric set. Codes use error correction level M (15% damage is tolerated).

use std::collections::BTreeMap;

use qrcode::{EcLevel, QrCode};
use secrecy::SecretString;
use zeroize::Zeroizing;

use crate::encoding;

/// Every QR part starts with this text.
pub const PART_PREFIX: &str = "BGPART:";

/// The most parts a text is cut into: the header has room for two digits. A scanned header
/// claiming more is damaged, and is refused before anything is sized by its count.
pub const MAX_PARTS: usize = 99;

/// The longest text put in one QR code (QR version ≤ 27 at level M, about 125 modules wide).
pub const MAX_QR_CHARS: usize = 1400;

/// Splits a text into the texts of the QR codes that carry it.
pub fn split_for_qr(text: &str) -> Vec<SecretString> {
    if text.len() <= MAX_QR_CHARS {
        return vec![SecretString::from(text.to_string())];
    }
    let tag = encoding::check_text(&[text.as_bytes()]);
    // Header is at most "BGPART:99/99:XXXXXXXX:" = 22 characters.
    let room = MAX_QR_CHARS - 22;
    let n = text.len().div_ceil(room);
    let size = text.len().div_ceil(n);
    text.as_bytes()
        .chunks(size)
        .enumerate()
        .map(|(i, chunk)| {
            let chunk = std::str::from_utf8(chunk).unwrap_or_default();
            SecretString::from(format!("{PART_PREFIX}{}/{n}:{tag}:{chunk}", i + 1))
        })
        .collect()
}

/// The `BGPART:` lines of a scan, if it has any. A scanner decodes every code it finds on a
/// page, and a line of print can pass for a linear barcode (zbarimg reads all symbologies
/// unless told otherwise): lines that are not parts are left out. Nothing foreign can get in
/// this way, since the joined text must match its tag.
pub fn part_lines(text: &str) -> Option<Vec<&str>> {
    let parts: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|line| line.to_ascii_uppercase().starts_with(PART_PREFIX))
        .collect();
    (!parts.is_empty()).then_some(parts)
}

/// The one line of a scan that starts with `prefix`, when the whole scan does not parse
/// because a stray code was read with it. `None` when no line, or more than one, does.
pub fn prefixed_line<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let mut found = text
        .lines()
        .map(str::trim)
        .filter(|line| line.to_ascii_uppercase().starts_with(prefix));
    let line = found.next()?;
    found.next().is_none().then_some(line)
}

/// Joins QR part texts, given in any order, back into the whole text. Duplicated scans of the
/// same part are accepted.
pub fn join_parts<'a>(
    parts: impl IntoIterator<Item = &'a str>,
) -> Result<SecretString, QrPartError> {
    let mut tag: Option<String> = None;
    let mut total: Option<usize> = None;
    let mut chunks: BTreeMap<usize, Zeroizing<String>> = BTreeMap::new();
    for raw in parts {
        let part = encoding::normalize(raw);
        let rest = part
            .strip_prefix(PART_PREFIX)
            .ok_or(QrPartError::NotAPart)?;
        let mut fields = rest.splitn(3, ':');
        let (Some(position), Some(part_tag), Some(chunk)) =
            (fields.next(), fields.next(), fields.next())
        else {
            return Err(QrPartError::Malformed);
        };
        let (i, n) = position.split_once('/').ok_or(QrPartError::Malformed)?;
        let i: usize = i.parse().map_err(|_| QrPartError::Malformed)?;
        let n: usize = n.parse().map_err(|_| QrPartError::Malformed)?;
        if !(2..=MAX_PARTS).contains(&n) || i == 0 || i > n {
            return Err(QrPartError::Malformed);
        }
        match (&tag, total) {
            (None, None) => {
                tag = Some(part_tag.to_string());
                total = Some(n);
            }
            (Some(t), Some(m)) if t == part_tag && m == n => {}
            _ => return Err(QrPartError::Mixed),
        }
        if let Some(existing) = chunks.get(&i) {
            if existing.as_str() != chunk {
                return Err(QrPartError::Conflict { part: i });
            }
            continue;
        }
        chunks.insert(i, Zeroizing::new(chunk.to_string()));
    }
    let (Some(tag), Some(total)) = (tag, total) else {
        return Err(QrPartError::NotAPart);
    };
    let missing: Vec<usize> = (1..=total).filter(|i| !chunks.contains_key(i)).collect();
    if !missing.is_empty() {
        return Err(QrPartError::Missing { missing, total });
    }
    let mut whole = Zeroizing::new(String::new());
    for chunk in chunks.values() {
        whole.push_str(chunk);
    }
    if encoding::check_text(&[whole.as_bytes()]) != tag {
        return Err(QrPartError::Damaged);
    }
    Ok(SecretString::from(whole.to_string()))
}

/// Why QR parts could not be joined.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum QrPartError {
    /// A line is not a `BGPART:` text.
    #[error("a scanned line is not a part of a multi-QR payload")]
    NotAPart,
    /// A part's header is damaged.
    #[error("a QR part's header is damaged")]
    Malformed,
    /// Parts come from different texts.
    #[error("the QR parts come from different sheets or shares")]
    Mixed,
    /// Two different texts claim the same part number.
    #[error("two different texts claim to be part {part}")]
    Conflict {
        /// The part number.
        part: usize,
    },
    /// Some parts are missing.
    #[error("QR part(s) {} of {total} are missing", list(missing))]
    Missing {
        /// The missing part numbers.
        missing: Vec<usize>,
        /// How many parts there are.
        total: usize,
    },
    /// The joined text does not match its check value.
    #[error("the joined QR parts do not match their checksum")]
    Damaged,
}

fn list(numbers: &[usize]) -> String {
    numbers
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

impl QrPartError {
    /// What to do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            QrPartError::NotAPart | QrPartError::Malformed | QrPartError::Damaged => {
                "scan the QR codes again, one line per code, and pass nothing else"
            }
            QrPartError::Mixed | QrPartError::Conflict { .. } => {
                "scan the codes of one sheet only; each code is labelled `part i of n` under it"
            }
            QrPartError::Missing { .. } => {
                "scan the missing codes too; each is labelled `part i of n` under it"
            }
        }
    }
}

/// A rendered QR code: `width × width` modules, `true` = dark.
pub(crate) struct QrMatrix {
    pub(crate) width: usize,
    pub(crate) dark: Vec<bool>,
}

impl Drop for QrMatrix {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.dark);
    }
}

/// Builds the QR code of one text at level M.
pub(crate) fn matrix(text: &str) -> Result<QrMatrix, qrcode::types::QrError> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)?;
    Ok(QrMatrix {
        width: code.width(),
        dark: code
            .to_colors()
            .into_iter()
            .map(|c| c == qrcode::Color::Dark)
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret as _;

    #[test]
    fn short_text_is_one_code() {
        let parts = split_for_qr("BREAKGLASS:V1:ABC:DEF");
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].expose_secret(), "BREAKGLASS:V1:ABC:DEF");
    }

    #[test]
    fn a_stray_barcode_read_from_the_page_is_not_a_part() {
        let text: String = (0..5000)
            .map(|i| char::from(b'A' + (i % 26) as u8))
            .collect();
        let parts = split_for_qr(&text);
        // What zbarimg printed for one sheet: the QR parts and a number read from the print.
        let mut scan = String::from("0171092210264363\n");
        for part in parts.iter().rev() {
            scan.push_str(part.expose_secret());
            scan.push('\n');
        }
        let lines = part_lines(&scan).unwrap();
        assert_eq!(lines.len(), parts.len());
        assert_eq!(join_parts(lines).unwrap().expose_secret(), text);
        assert_eq!(part_lines("BREAKGLASS:V1:ABC\n0171092210264363"), None);
        assert_eq!(
            prefixed_line("0171092210264363\nBREAKGLASS:V1:ABC\n", "BREAKGLASS:V1:"),
            Some("BREAKGLASS:V1:ABC")
        );
        assert_eq!(
            prefixed_line("BREAKGLASS:V1:A\nBREAKGLASS:V1:B", "BREAKGLASS:V1:"),
            None
        );
    }

    #[test]
    fn long_text_splits_and_joins_in_any_order() {
        let text: String = (0..5000)
            .map(|i| char::from(b'A' + (i % 26) as u8))
            .collect();
        let parts = split_for_qr(&text);
        assert_eq!(parts.len(), 4);
        for p in &parts {
            assert!(p.expose_secret().len() <= MAX_QR_CHARS);
            matrix(p.expose_secret()).unwrap();
        }
        let mut lines: Vec<&str> = parts.iter().map(|p| p.expose_secret()).collect();
        lines.reverse();
        lines.push(lines[0]);
        assert_eq!(join_parts(lines.clone()).unwrap().expose_secret(), text);
        let err = join_parts(lines[1..3].iter().copied()).unwrap_err();
        assert_eq!(
            err,
            QrPartError::Missing {
                missing: vec![1, 4],
                total: 4
            }
        );
        assert_eq!(err.to_string(), "QR part(s) 1, 4 of 4 are missing");
        let other = split_for_qr(&text.replace('A', "B"));
        let mixed = [lines[0], other[1].expose_secret()];
        assert_eq!(join_parts(mixed).unwrap_err(), QrPartError::Mixed);
    }

    #[test]
    fn largest_code_fits_version_27_m() {
        let text: String = "BGPART:1/4:ABCDEFGH:"
            .chars()
            .chain(std::iter::repeat_n('Z', MAX_QR_CHARS - 20))
            .collect();
        let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).unwrap();
        assert!(code.width() <= 125, "width {}", code.width());
    }
}
