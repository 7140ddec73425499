//! The prefilter: does this line (or record) contain one of the watched strings?
//!
//! Almost every line of a sign-in log is about somebody else, so the scan decides from the
//! raw bytes whether a line can be interesting at all and parses only the few that can.
//!
//! The watched strings are ids (GUIDs, 36 bytes) and user principal names, and there are
//! many of them (app id, service principal id, object ids, key ids, users). Searching for
//! each one in turn (one `memchr::memmem` pass per string and case) costs one pass over the
//! data per needle. Instead the filter samples the line: every needle of length `L` covers
//! at least one whole 4-byte window that starts at a multiple of `stride = min(L) - 3`, so
//! it is enough to look at those windows. Each sampled window is folded to lower case and
//! tested against a bitmap of every window of every needle; on a bitmap hit the candidate
//! needles are compared in full, ignoring ASCII case. That is one cheap look per ~33 bytes
//! for any number of needles, and it matches GUIDs and names in any mix of case.
//!
//! JSON escapes could hide a match (`\u0061` is `a`). [`Prefilter::find_escaped`] decodes
//! `\uXXXX` escapes first and looks again; the scanner calls it only for lines that contain
//! `\u`.

use memchr::memmem;

/// A compiled set of needles.
#[derive(Clone, Debug)]
pub struct Prefilter {
    needles: Vec<Vec<u8>>,
    stride: usize,
    bitmap: Box<[u64; BITMAP_WORDS]>,
    /// Folded window → (needle index, offset of the window in the needle), sorted by window.
    windows: Vec<(u32, u16, u16)>,
    escape: memmem::Finder<'static>,
}

const WINDOW: usize = 4;
const BITMAP_BITS: usize = 1 << 16;
const BITMAP_WORDS: usize = BITMAP_BITS / 64;
/// Folds ASCII letters to lower case (and maps a few punctuation bytes onto others, which
/// only costs a full comparison now and then).
const FOLD: u32 = 0x2020_2020;

/// The shortest needle the filter accepts.
pub const MIN_NEEDLE_LEN: usize = 6;

#[inline]
fn bucket(window: u32) -> usize {
    (window.wrapping_mul(0x9E37_79B1) >> 16) as usize
}

#[inline]
fn load(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]) | FOLD
}

impl Prefilter {
    /// Builds the filter. Needles are compared ignoring ASCII case; duplicates (in any
    /// case) are dropped. Every needle must be at least [`MIN_NEEDLE_LEN`] bytes long.
    pub fn new<I, S>(needles: I) -> Result<Prefilter, crate::ScanError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut folded: Vec<Vec<u8>> = Vec::new();
        for needle in needles {
            let needle = needle.as_ref().trim();
            if needle.len() < MIN_NEEDLE_LEN {
                return Err(crate::ScanError::NeedleTooShort(needle.to_string()));
            }
            let lower = needle.to_ascii_lowercase().into_bytes();
            if !folded.contains(&lower) {
                folded.push(lower);
            }
        }
        if folded.is_empty() {
            return Err(crate::ScanError::NothingToWatch);
        }
        if folded.len() > u16::MAX as usize || folded.iter().any(|n| n.len() > u16::MAX as usize) {
            return Err(crate::ScanError::TooManyNeedles);
        }
        let min_len = folded.iter().map(Vec::len).min().unwrap_or(WINDOW);
        let stride = min_len + 1 - WINDOW;
        let mut bitmap = Box::new([0u64; BITMAP_WORDS]);
        let mut windows = Vec::new();
        for (index, needle) in folded.iter().enumerate() {
            for offset in 0..=needle.len() - WINDOW {
                let window = load(needle, offset);
                let b = bucket(window);
                bitmap[b / 64] |= 1 << (b % 64);
                windows.push((window, index as u16, offset as u16));
            }
        }
        windows.sort_unstable();
        windows.dedup();
        Ok(Prefilter {
            needles: folded,
            stride,
            bitmap,
            windows,
            escape: memmem::Finder::new(b"\\u").into_owned(),
        })
    }

    /// The needles, in lower case.
    pub fn needles(&self) -> &[Vec<u8>] {
        &self.needles
    }

    /// The sampling stride in bytes.
    pub fn stride(&self) -> usize {
        self.stride
    }

    /// Returns the index of a needle found in `haystack` (ASCII case ignored), if any.
    #[inline]
    pub fn find(&self, haystack: &[u8]) -> Option<usize> {
        if haystack.len() < WINDOW {
            return None;
        }
        let last = haystack.len() - WINDOW;
        let mut at = 0;
        while at <= last {
            let window = load(haystack, at);
            let b = bucket(window);
            if self.bitmap[b / 64] & (1 << (b % 64)) != 0
                && let Some(found) = self.verify(haystack, at, window)
            {
                return Some(found);
            }
            at += self.stride;
        }
        None
    }

    #[cold]
    fn verify(&self, haystack: &[u8], at: usize, window: u32) -> Option<usize> {
        let first = self.windows.partition_point(|&(w, _, _)| w < window);
        for &(w, index, offset) in &self.windows[first..] {
            if w != window {
                break;
            }
            let needle = &self.needles[index as usize];
            let Some(start) = at.checked_sub(offset as usize) else {
                continue;
            };
            if let Some(candidate) = haystack.get(start..start + needle.len())
                && candidate.eq_ignore_ascii_case(needle)
            {
                return Some(index as usize);
            }
        }
        None
    }

    /// Whether `haystack` contains a `\u` escape, which could hide a needle.
    #[inline]
    pub fn has_escape(&self, haystack: &[u8]) -> bool {
        self.escape.find(haystack).is_some()
    }

    /// Positions of every `\u` in `haystack`, for scanning a block of lines at once.
    pub fn escapes<'h>(&'h self, haystack: &'h [u8]) -> impl Iterator<Item = usize> + 'h {
        self.escape.find_iter(haystack)
    }

    /// Like [`Prefilter::find`], after decoding the `\uXXXX` escapes of `haystack` into
    /// `scratch`. Costs a copy of the line; used only for lines that contain `\u`.
    pub fn find_escaped(&self, haystack: &[u8], scratch: &mut Vec<u8>) -> Option<usize> {
        unescape_unicode(haystack, scratch);
        self.find(scratch)
    }
}

/// Copies `input` into `out`, decoding JSON `\uXXXX` escapes (surrogate pairs included) to
/// UTF-8 and leaving every other byte, and every other escape, as it is. A lone or invalid
/// escape is kept verbatim.
pub fn unescape_unicode(input: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.reserve(input.len());
    let mut i = 0;
    while i < input.len() {
        let Some(rel) = memchr::memchr(b'\\', &input[i..]) else {
            out.extend_from_slice(&input[i..]);
            return;
        };
        out.extend_from_slice(&input[i..i + rel]);
        i += rel;
        // input[i] == b'\\'
        match input.get(i + 1) {
            Some(b'u') => {
                if let Some((ch, used)) = decode_u_escape(&input[i..]) {
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                    i += used;
                } else {
                    out.extend_from_slice(&input[i..i + 2]);
                    i += 2;
                }
            }
            Some(_) => {
                // Any other escape (including `\\`) is copied as a unit, so `\\u0041` stays.
                out.extend_from_slice(&input[i..i + 2]);
                i += 2;
            }
            None => {
                out.push(b'\\');
                i += 1;
            }
        }
    }
}

fn hex4(bytes: &[u8]) -> Option<u32> {
    if bytes.len() < 4 {
        return None;
    }
    let mut value = 0u32;
    for &b in &bytes[..4] {
        value = value * 16 + (b as char).to_digit(16)?;
    }
    Some(value)
}

/// Decodes `\uXXXX` (or a `\uD8xx\uDCxx` pair) at the start of `s`; returns the character and
/// the number of bytes used.
fn decode_u_escape(s: &[u8]) -> Option<(char, usize)> {
    let high = hex4(s.get(2..)?)?;
    if (0xD800..0xDC00).contains(&high) {
        if s.get(6) == Some(&b'\\') && s.get(7) == Some(&b'u') {
            let low = hex4(s.get(8..)?)?;
            if (0xDC00..0xE000).contains(&low) {
                let code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                return char::from_u32(code).map(|c| (c, 12));
            }
        }
        return None;
    }
    char::from_u32(high).map(|c| (c, 6))
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP: &str = "3f2c9a51-7b1e-4d8a-9c3e-5a6b7c8d9e0f";
    const USER: &str = "bg-admin1@contoso.onmicrosoft.com";

    fn filter() -> Prefilter {
        Prefilter::new([APP, USER]).unwrap()
    }

    #[test]
    fn finds_needles_in_any_case_and_position() {
        let f = filter();
        for line in [
            format!(r#"{{"AppId":"{APP}"}}"#),
            format!(r#"{{"AppId":"{}"}}"#, APP.to_uppercase()),
            APP.to_string(),
            format!("x{APP}"),
            format!("{}{APP}", "y".repeat(100)),
            r#"{"UserPrincipalName":"BG-Admin1@Contoso.onmicrosoft.com","x":1}"#.to_string(),
        ] {
            assert!(f.find(line.as_bytes()).is_some(), "{line}");
        }
        for offset in 0..80 {
            let line = format!("{}{APP}{}", "a".repeat(offset), "b".repeat(offset % 7));
            assert_eq!(f.find(line.as_bytes()), Some(0), "offset {offset}");
        }
    }

    #[test]
    fn ignores_near_misses() {
        let f = filter();
        let near = APP.replace("9e0f", "9e0e");
        assert_eq!(f.find(near.as_bytes()), None);
        assert_eq!(f.find(b""), None);
        assert_eq!(f.find(b"abc"), None);
        assert_eq!(f.find(&APP.as_bytes()[1..]), None);
    }

    #[test]
    fn escapes_are_decoded_before_the_second_look() {
        let f = filter();
        // "3f2c9a51-…" with its `a` escaped.
        let hidden = format!(r#"{{"AppId":"{}\u0061{}"}}"#, &APP[..5], &APP[6..]);
        assert_eq!(f.find(hidden.as_bytes()), None);
        assert!(f.has_escape(hidden.as_bytes()));
        let mut scratch = Vec::new();
        assert_eq!(f.find_escaped(hidden.as_bytes(), &mut scratch), Some(0));
        // An escaped backslash followed by "u0033" is not an escape.
        let not_hidden = format!(r#"{{"AppId":"{}\\u0061{}"}}"#, &APP[..5], &APP[6..]);
        assert_eq!(f.find_escaped(not_hidden.as_bytes(), &mut scratch), None);
    }

    #[test]
    fn unescape_handles_pairs_and_junk() {
        let mut out = Vec::new();
        unescape_unicode(br#"a\u00e9\ud83d\ude00\uZZZZ\n\"#, &mut out);
        assert_eq!(String::from_utf8_lossy(&out), "aé😀\\uZZZZ\\n\\");
        unescape_unicode(br#"\ud800x"#, &mut out);
        assert_eq!(out, br#"\ud800x"#);
    }

    #[test]
    fn short_needles_are_refused() {
        assert!(Prefilter::new(["abc"]).is_err());
        assert!(Prefilter::new(Vec::<String>::new()).is_err());
    }
}
