//! A zip archive writer for the evidence pack: deflated entries, each marked as a Unix file
//! readable by its owner only, in memory (a pack is a few hundred kilobytes). No zip crate is
//! in the project's dependencies, and the format needs no more than this (APPNOTE.TXT 4.3).

use std::io::Write as _;

use flate2::Compression;
use flate2::write::DeflateEncoder;
use jiff::Timestamp;

/// One entry of an archive.
pub struct ZipEntry<'a> {
    pub name: &'a str,
    pub contents: &'a [u8],
}

/// Why an archive could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ZipError {
    #[error("{0} is too large for a zip archive without the ZIP64 extension")]
    TooLarge(String),
    #[error("cannot compress {name}: {source}")]
    Compress {
        name: String,
        source: std::io::Error,
    },
}

const LOCAL_HEADER: u32 = 0x0403_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const END_OF_CENTRAL: u32 = 0x0605_4b50;
/// Version 2.0: deflate.
const VERSION_NEEDED: u16 = 20;
/// Made by Unix (3), spec 2.0: the external attributes carry the Unix mode.
const VERSION_MADE_BY: u16 = (3 << 8) | 20;
/// Bit 11: names are UTF-8.
const FLAGS: u16 = 1 << 11;
const DEFLATE: u16 = 8;
/// A regular file, mode 0600.
const UNIX_MODE: u32 = 0o100_600;

/// MS-DOS time and date of `at` (UTC), as zip entries carry them.
fn dos_time(at: Timestamp) -> (u16, u16) {
    let t = at.to_zoned(jiff::tz::TimeZone::UTC);
    let year = u16::try_from(t.year()).unwrap_or(1980).clamp(1980, 2107) - 1980;
    let date = (year << 9) | ((t.month() as u16) << 5) | t.day() as u16;
    let time = ((t.hour() as u16) << 11) | ((t.minute() as u16) << 5) | (t.second() as u16 / 2);
    (time, date)
}

fn u32_of(n: usize, what: &str) -> Result<u32, ZipError> {
    u32::try_from(n).map_err(|_| ZipError::TooLarge(what.to_string()))
}

fn u16_of(n: usize, what: &str) -> Result<u16, ZipError> {
    u16::try_from(n).map_err(|_| ZipError::TooLarge(what.to_string()))
}

/// What the local and the central header of one entry share.
struct Header {
    time: u16,
    date: u16,
    crc: u32,
    compressed: u32,
    size: u32,
    name_len: u16,
}

impl Header {
    fn common(&self, out: &mut Vec<u8>) {
        for v in [VERSION_NEEDED, FLAGS, DEFLATE, self.time, self.date] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for v in [self.crc, self.compressed, self.size] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&self.name_len.to_le_bytes());
        // No extra field.
        out.extend_from_slice(&0u16.to_le_bytes());
    }
}

fn deflate(entry: &ZipEntry<'_>) -> Result<Vec<u8>, ZipError> {
    let mut encoder = DeflateEncoder::new(Vec::new(), Compression::default());
    let fail = |source| ZipError::Compress {
        name: entry.name.to_string(),
        source,
    };
    encoder.write_all(entry.contents).map_err(fail)?;
    encoder.finish().map_err(fail)
}

/// The archive of `entries`, in order, dated `at`.
pub fn archive(entries: &[ZipEntry<'_>], at: Timestamp) -> Result<Vec<u8>, ZipError> {
    let (time, date) = dos_time(at);
    let mut out = Vec::new();
    let mut central = Vec::new();
    for entry in entries {
        let compressed = deflate(entry)?;
        let mut crc = flate2::Crc::new();
        crc.update(entry.contents);
        let header = Header {
            time,
            date,
            crc: crc.sum(),
            compressed: u32_of(compressed.len(), entry.name)?,
            size: u32_of(entry.contents.len(), entry.name)?,
            name_len: u16_of(entry.name.len(), entry.name)?,
        };
        let offset = u32_of(out.len(), "the archive")?;
        out.extend_from_slice(&LOCAL_HEADER.to_le_bytes());
        header.common(&mut out);
        out.extend_from_slice(entry.name.as_bytes());
        out.extend_from_slice(&compressed);

        central.extend_from_slice(&CENTRAL_HEADER.to_le_bytes());
        central.extend_from_slice(&VERSION_MADE_BY.to_le_bytes());
        header.common(&mut central);
        // No comment, disk 0, no internal attributes.
        central.extend_from_slice(&[0; 6]);
        central.extend_from_slice(&(UNIX_MODE << 16).to_le_bytes());
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(entry.name.as_bytes());
    }
    let count = u16_of(entries.len(), "the number of entries")?;
    let central_offset = u32_of(out.len(), "the archive")?;
    let central_size = u32_of(central.len(), "the central directory")?;
    out.extend_from_slice(&central);
    out.extend_from_slice(&END_OF_CENTRAL.to_le_bytes());
    // This disk and the disk the central directory starts on.
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&central_size.to_le_bytes());
    out.extend_from_slice(&central_offset.to_le_bytes());
    // No archive comment.
    out.extend_from_slice(&0u16.to_le_bytes());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_archive_unzip_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let bytes = archive(
            &[
                ZipEntry {
                    name: "a.txt",
                    contents: b"hello hello hello",
                },
                ZipEntry {
                    name: "empty",
                    contents: b"",
                },
            ],
            "2026-12-05T12:34:56Z".parse().unwrap(),
        )
        .unwrap();
        let path = dir.path().join("t.zip");
        std::fs::write(&path, &bytes).unwrap();
        // Python's zipfile is an independent reader; skip where there is none.
        let Ok(output) = std::process::Command::new("python3")
            .args([
                "-c",
                "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; \
                 print(','.join(f'{i.filename}:{z.read(i).decode()}:{i.external_attr >> 16:o}:{i.date_time}' for i in z.infolist()))",
            ])
            .arg(&path)
            .output()
        else {
            return;
        };
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&output.stdout).trim(),
            "a.txt:hello hello hello:100600:(2026, 12, 5, 12, 34, 56),empty::100600:(2026, 12, 5, 12, 34, 56)"
        );
    }
}
