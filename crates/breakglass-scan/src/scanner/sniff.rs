//! What a file holds, judged from its first bytes, and how it is cut into tasks.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::{BOM, FileFormat, FileReport, GZIP_MAGIC, PEEK, ScanOptions, display};

pub(super) enum Plan {
    Skip(FileReport),
    Lines { chunks: Vec<(u64, u64)> },
    Whole { gzip: bool, size: u64 },
}

fn skipped(path: &Path, problem: String) -> Plan {
    Plan::Skip(FileReport {
        file: display(path),
        format: FileFormat::Unknown,
        compression: None,
        bytes: 0,
        records: 0,
        malformed: 0,
        malformed_lines: Vec::new(),
        events: 0,
        problem: Some(problem),
        readable: false,
    })
}

/// What the first bytes of a (decompressed) file say about it.
pub(super) enum Sniffed {
    Lines,
    Document,
    Empty,
    NotJson(String),
}

pub(super) fn sniff(head: &[u8]) -> Sniffed {
    if let Some(kind) = other_compression(head) {
        return Sniffed::NotJson(format!(
            "{kind}-compressed; only gzip is read: decompress it first"
        ));
    }
    if head.contains(&0) {
        return Sniffed::NotJson("binary data, not JSON".into());
    }
    let head = head.strip_prefix(&BOM).unwrap_or(head);
    let Some(first) = head.iter().position(|b| !b.is_ascii_whitespace()) else {
        return Sniffed::Empty;
    };
    match head[first] {
        b'{' | b'[' => {}
        other => {
            let shown = if other.is_ascii_graphic() {
                format!("`{}`", other as char)
            } else {
                format!("byte 0x{other:02x}")
            };
            return Sniffed::NotJson(format!(
                "not JSON: it starts with {shown}; expected JSON lines or a JSON document"
            ));
        }
    }
    let rest = &head[first..];
    let line = match memchr::memchr(b'\n', rest) {
        Some(end) => &rest[..end],
        None => rest,
    };
    let line = line.trim_ascii();
    // A pretty-printed document opens with `{` or `[` alone, or with `{"value": [`.
    if matches!(line.last(), Some(b'{' | b'[' | b',' | b':')) {
        Sniffed::Document
    } else {
        Sniffed::Lines
    }
}

fn other_compression(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(b"PK\x03\x04") {
        Some("zip")
    } else if head.starts_with(&[0x28, 0xB5, 0x2F, 0xFD]) {
        Some("zstd")
    } else if head.starts_with(b"BZh") {
        Some("bzip2")
    } else if head.starts_with(&[0xFD, b'7', b'z', b'X', b'Z', 0]) {
        Some("xz")
    } else {
        None
    }
}

pub(super) fn plan_file(path: &Path, options: &ScanOptions) -> Plan {
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(err) => return skipped(path, format!("cannot open: {err}")),
    };
    let size = match file.metadata() {
        Ok(meta) if meta.is_dir() => return skipped(path, "a folder, not a file".into()),
        Ok(meta) => meta.len(),
        Err(err) => return skipped(path, format!("cannot read: {err}")),
    };
    let mut head = Vec::with_capacity(PEEK);
    if let Err(err) = (&mut file).take(PEEK as u64).read_to_end(&mut head) {
        return skipped(path, format!("cannot read: {err}"));
    }
    if head.starts_with(&GZIP_MAGIC) {
        return Plan::Whole { gzip: true, size };
    }
    match sniff(&head) {
        Sniffed::NotJson(problem) => skipped(path, problem),
        Sniffed::Document => Plan::Whole { gzip: false, size },
        Sniffed::Empty | Sniffed::Lines => {
            let chunk = options.chunk_size.max(1 << 16);
            let mut chunks = Vec::new();
            let mut start = 0;
            while start < size {
                let end = (start + chunk).min(size);
                chunks.push((start, end));
                start = end;
            }
            if chunks.is_empty() {
                chunks.push((0, 0));
            }
            Plan::Lines { chunks }
        }
    }
}
