//! Files, formats, chunks and threads.
//!
//! Every file is sniffed first (gzip magic, binary content, JSON lines or one JSON
//! document). Plain JSON-lines files are cut into chunks at line boundaries so that one big
//! file keeps every core busy; gzip files and documents are one task each. Workers pull
//! tasks from a shared counter, read with large buffered reads (no memory maps: the crate
//! forbids `unsafe`), and memory stays at about two blocks per worker plus the longest line.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use breakglass_core::identities::EmergencyIdentities;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::ScanError;
use crate::prefilter::Prefilter;
use crate::record::{Event, SourceLocation, match_record};

/// The identities and the prefilter built from them.
#[derive(Clone, Debug)]
pub struct Watchlist {
    identities: EmergencyIdentities,
    prefilter: Prefilter,
}

impl Watchlist {
    /// Builds the watchlist: every id and user principal name of `identities` is searched
    /// for, ignoring ASCII case.
    pub fn new(identities: EmergencyIdentities) -> Result<Watchlist, ScanError> {
        let mut needles: Vec<String> = vec![
            identities.app_id.clone(),
            identities.service_principal_id.clone(),
            identities.application_object_id.clone(),
            identities.exclusion_group_id.clone(),
        ];
        needles.extend(identities.credentials.iter().map(|c| c.key_id.clone()));
        for user in &identities.users {
            needles.push(user.id.clone());
            needles.push(user.user_principal_name.clone());
        }
        needles.retain(|n| !n.trim().is_empty());
        let prefilter = Prefilter::new(&needles)?;
        Ok(Watchlist {
            identities,
            prefilter,
        })
    }

    /// The identities.
    pub fn identities(&self) -> &EmergencyIdentities {
        &self.identities
    }

    /// The prefilter.
    pub fn prefilter(&self) -> &Prefilter {
        &self.prefilter
    }
}

/// How to scan.
#[derive(Clone, Debug)]
pub struct ScanOptions {
    /// Worker threads; 0 means one per available core.
    pub threads: usize,
    /// JSON-lines files larger than this are split into chunks of this size.
    pub chunk_size: u64,
    /// Bytes read at a time.
    pub block_size: usize,
    /// Decode `\uXXXX` escapes and look again in lines that contain one. On by default;
    /// turning it off is only for measuring what it costs.
    pub escape_fallback: bool,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            threads: 0,
            chunk_size: 64 << 20,
            block_size: 4 << 20,
            escape_fallback: true,
        }
    }
}

/// How a file was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum FileFormat {
    /// One JSON value per line (Log Analytics export, `PT1H.json`, Event Hubs capture).
    JsonLines,
    /// One JSON document: a Graph page (`value`), diagnostic records (`records`) or an array.
    Document,
    /// Not read: see the problem.
    Unknown,
}

/// What happened to one file.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileReport {
    pub file: String,
    pub format: FileFormat,
    /// `gzip` when the file was compressed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compression: Option<&'static str>,
    /// Bytes of JSON read (after decompression).
    pub bytes: u64,
    /// Non-empty lines (JSON lines) or records (documents) seen.
    pub records: u64,
    /// Lines or records that are not JSON objects; never fatal.
    pub malformed: u64,
    /// The first few malformed line numbers (1-based).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub malformed_lines: Vec<u64>,
    /// Events found in this file.
    pub events: u64,
    /// Why the file could not be read, or was read only in part.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// Whether anything at all could be read.
    pub readable: bool,
}

/// The result of a scan.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScanReport {
    /// Every event, by time, then file and position.
    pub events: Vec<Event>,
    /// Every file, in the order given.
    pub files: Vec<FileReport>,
}

impl ScanReport {
    /// Bytes of JSON read in all files.
    pub fn bytes(&self) -> u64 {
        self.files.iter().map(|f| f.bytes).sum()
    }
}

const MAX_MALFORMED_LINES: usize = 10;
const PEEK: usize = 64 << 10;
const GZIP_MAGIC: [u8; 2] = [0x1F, 0x8B];
/// The UTF-8 byte order mark some Windows tools write first; not part of the JSON.
const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

enum Plan {
    Skip(FileReport),
    Lines { chunks: Vec<(u64, u64)> },
    Whole { gzip: bool, size: u64 },
}

struct Task {
    file: usize,
    chunk: usize,
    kind: TaskKind,
    size: u64,
}

enum TaskKind {
    Range { start: u64, end: u64 },
    Whole { gzip: bool },
}

/// The result of one task; line numbers are relative to the chunk until merged.
#[derive(Default)]
struct Partial {
    file: usize,
    chunk: usize,
    lines: u64,
    records: u64,
    malformed: u64,
    malformed_lines: Vec<u64>,
    events: Vec<Event>,
    bytes: u64,
    format: Option<FileFormat>,
    compression: Option<&'static str>,
    problem: Option<String>,
    readable: bool,
}

/// Scans `paths`. Never fails as a whole: unreadable or damaged files are reported in
/// [`ScanReport::files`].
pub fn scan_files(paths: &[PathBuf], watch: &Watchlist, options: &ScanOptions) -> ScanReport {
    let mut reports: Vec<Option<FileReport>> = vec![None; paths.len()];
    let mut tasks = Vec::new();
    for (index, path) in paths.iter().enumerate() {
        match plan_file(path, options) {
            Plan::Skip(report) => reports[index] = Some(report),
            Plan::Lines { chunks } => {
                for (chunk, (start, end)) in chunks.into_iter().enumerate() {
                    tasks.push(Task {
                        file: index,
                        chunk,
                        kind: TaskKind::Range { start, end },
                        size: end - start,
                    });
                }
            }
            Plan::Whole { gzip, size } => tasks.push(Task {
                file: index,
                chunk: 0,
                kind: TaskKind::Whole { gzip },
                // A compressed file holds several times its size of JSON.
                size: if gzip { size.saturating_mul(8) } else { size },
            }),
        }
    }
    // Biggest first, so that the last task to finish is a small one.
    tasks.sort_by_key(|t| std::cmp::Reverse(t.size));
    let threads = if options.threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        options.threads
    }
    .clamp(1, tasks.len().max(1));

    let next = AtomicUsize::new(0);
    let partials: Vec<Partial> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    let mut worker = Worker::new(watch, options);
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(task) = tasks.get(i) else { break };
                        done.push(worker.run(&paths[task.file], task));
                    }
                    done
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_default())
            .collect()
    });
    let names: Vec<String> = paths.iter().map(|p| display(p)).collect();
    merge(&names, reports, partials)
}

/// Scans `bytes` as the contents of one file named `name`, through the same sniffing, gzip,
/// JSON-lines and document readers as [`scan_files`], in one task (no chunks). Exported logs
/// are untrusted input: this entry point lets the fuzz target and its corpus replay test feed
/// them without writing a file per input.
pub fn scan_bytes(
    bytes: &[u8],
    name: &str,
    watch: &Watchlist,
    options: &ScanOptions,
) -> ScanReport {
    let mut worker = Worker::new(watch, options);
    let mut partial = Partial {
        readable: true,
        ..Partial::default()
    };
    let gzip = bytes.starts_with(&GZIP_MAGIC);
    if let Err(problem) = worker.read_whole(Box::new(bytes), gzip, name, &mut partial) {
        partial.readable = partial.bytes > 0;
        partial.problem = Some(problem);
    }
    merge(&[name.to_string()], vec![None], vec![partial])
}

/// Puts the tasks' results together, file by file, in the order of `names`.
fn merge(
    names: &[String],
    mut reports: Vec<Option<FileReport>>,
    mut partials: Vec<Partial>,
) -> ScanReport {
    partials.sort_by_key(|p| (p.file, p.chunk));

    let mut events = Vec::new();
    let mut line_offset = 0u64;
    let mut current_file = usize::MAX;
    for mut partial in partials {
        if partial.file != current_file {
            current_file = partial.file;
            line_offset = 0;
        }
        let report = reports[partial.file].get_or_insert_with(|| FileReport {
            file: names[partial.file].clone(),
            format: partial.format.unwrap_or(FileFormat::Unknown),
            compression: partial.compression,
            bytes: 0,
            records: 0,
            malformed: 0,
            malformed_lines: Vec::new(),
            events: 0,
            problem: None,
            readable: false,
        });
        report.bytes += partial.bytes;
        report.records += partial.records;
        report.malformed += partial.malformed;
        report.readable |= partial.readable;
        for line in &partial.malformed_lines {
            if report.malformed_lines.len() < MAX_MALFORMED_LINES {
                report.malformed_lines.push(line + line_offset);
            }
        }
        if report.problem.is_none() {
            report.problem = partial.problem.take();
        }
        report.events += partial.events.len() as u64;
        for mut event in partial.events.drain(..) {
            if let Some(line) = event.source.line.as_mut() {
                *line += line_offset;
            }
            events.push(event);
        }
        line_offset += partial.lines;
    }
    events.sort_by(|a, b| {
        (a.time.as_str(), &a.source, a.kind).cmp(&(b.time.as_str(), &b.source, b.kind))
    });
    let files = reports
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            r.unwrap_or_else(|| FileReport {
                file: names[i].clone(),
                format: FileFormat::Unknown,
                compression: None,
                bytes: 0,
                records: 0,
                malformed: 0,
                malformed_lines: Vec::new(),
                events: 0,
                problem: Some("not scanned (internal error)".into()),
                readable: false,
            })
        })
        .collect();
    ScanReport { events, files }
}

fn display(path: &Path) -> String {
    path.display().to_string()
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
enum Sniffed {
    Lines,
    Document,
    Empty,
    NotJson(String),
}

fn sniff(head: &[u8]) -> Sniffed {
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

fn plan_file(path: &Path, options: &ScanOptions) -> Plan {
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

/// A top-level document: a Graph page, diagnostic records, or a single record.
#[derive(Deserialize)]
struct Container<'a> {
    #[serde(borrow, default)]
    value: Option<Vec<&'a RawValue>>,
    #[serde(borrow, default)]
    records: Option<Vec<&'a RawValue>>,
}

struct Worker<'w> {
    watch: &'w Watchlist,
    options: &'w ScanOptions,
    scratch: Vec<u8>,
    buf: Vec<u8>,
}

impl<'w> Worker<'w> {
    fn new(watch: &'w Watchlist, options: &'w ScanOptions) -> Self {
        Worker {
            watch,
            options,
            scratch: Vec::new(),
            buf: Vec::new(),
        }
    }

    fn run(&mut self, path: &Path, task: &Task) -> Partial {
        let mut partial = Partial {
            file: task.file,
            chunk: task.chunk,
            readable: true,
            ..Partial::default()
        };
        let name = display(path);
        let result = match task.kind {
            TaskKind::Range { start, end } => {
                partial.format = Some(FileFormat::JsonLines);
                self.run_range(path, start, end, &name, &mut partial)
            }
            TaskKind::Whole { gzip } => self.run_whole(path, gzip, &name, &mut partial),
        };
        if let Err(problem) = result {
            partial.readable = partial.bytes > 0;
            partial.problem = Some(problem);
        }
        partial
    }

    fn run_range(
        &mut self,
        path: &Path,
        start: u64,
        end: u64,
        name: &str,
        partial: &mut Partial,
    ) -> Result<(), String> {
        let mut file = File::open(path).map_err(|e| format!("cannot open: {e}"))?;
        let mut skip_first = false;
        if start > 0 {
            file.seek(SeekFrom::Start(start - 1))
                .map_err(|e| format!("cannot read: {e}"))?;
            let mut byte = [0u8; 1];
            file.read_exact(&mut byte)
                .map_err(|e| format!("cannot read: {e}"))?;
            skip_first = byte[0] != b'\n';
        }
        let mut limit = end - start;
        if start == 0 {
            let mut head = [0u8; BOM.len()];
            if file.read_exact(&mut head).is_ok() && head == BOM {
                // The reader now starts after the mark, and the limit counts from there.
                limit = limit.saturating_sub(BOM.len() as u64);
            } else {
                file.seek(SeekFrom::Start(0))
                    .map_err(|e| format!("cannot read: {e}"))?;
            }
        }
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        let result = self.stream_lines(&mut file, &mut buf, skip_first, limit, name, partial);
        self.buf = buf;
        result.map_err(|e| format!("cannot read: {e}"))
    }

    fn run_whole(
        &mut self,
        path: &Path,
        gzip: bool,
        name: &str,
        partial: &mut Partial,
    ) -> Result<(), String> {
        let file = File::open(path).map_err(|e| format!("cannot open: {e}"))?;
        self.read_whole(Box::new(file), gzip, name, partial)
    }

    /// Reads one whole input, gzip-compressed or not: JSON lines or a document.
    fn read_whole(
        &mut self,
        input: Box<dyn Read + '_>,
        gzip: bool,
        name: &str,
        partial: &mut Partial,
    ) -> Result<(), String> {
        let mut reader: Box<dyn Read + '_> = if gzip {
            partial.compression = Some("gzip");
            Box::new(flate2::read::MultiGzDecoder::new(
                std::io::BufReader::with_capacity(1 << 20, input),
            ))
        } else {
            input
        };
        let describe = |err: std::io::Error| {
            if gzip {
                match err.kind() {
                    std::io::ErrorKind::UnexpectedEof => {
                        "truncated gzip: the file ends in the middle of the compressed data; \
                         events before the cut are reported"
                            .to_string()
                    }
                    _ => format!("damaged gzip: {err}; events before the damage are reported"),
                }
            } else {
                format!("cannot read: {err}")
            }
        };
        let mut head = Vec::with_capacity(PEEK);
        (&mut reader)
            .take(PEEK as u64)
            .read_to_end(&mut head)
            .map_err(describe)?;
        if head.starts_with(&BOM) {
            head.drain(..BOM.len());
        }
        match sniff(&head) {
            Sniffed::NotJson(problem) => {
                partial.readable = false;
                partial.format = Some(FileFormat::Unknown);
                partial.problem = Some(if gzip {
                    format!("gzip holds {problem}")
                } else {
                    problem
                });
                Ok(())
            }
            Sniffed::Empty | Sniffed::Lines => {
                partial.format = Some(FileFormat::JsonLines);
                let mut buf = head;
                self.stream_lines(&mut reader, &mut buf, false, u64::MAX, name, partial)
                    .map_err(describe)
            }
            Sniffed::Document => {
                partial.format = Some(FileFormat::Document);
                let mut all = head;
                let read = reader.read_to_end(&mut all);
                partial.bytes = all.len() as u64;
                let outcome = self.scan_document(&all, name, partial);
                read.map_err(describe)?;
                outcome
            }
        }
    }

    /// Reads lines from `reader`, whose first bytes may already be in `buf`, and scans the
    /// lines that start within the first `limit` bytes (counted from the reader's start).
    fn stream_lines(
        &mut self,
        reader: &mut dyn Read,
        buf: &mut Vec<u8>,
        mut skip_first: bool,
        limit: u64,
        name: &str,
        partial: &mut Partial,
    ) -> std::io::Result<()> {
        let block = self.options.block_size.max(1 << 12);
        // Reader offset of buf[0].
        let mut base: u64 = 0;
        let mut eof = false;
        let mut error = None;
        loop {
            if !eof && (buf.len() < block || memchr::memchr(b'\n', buf).is_none()) {
                let old = buf.len();
                buf.resize(old + block, 0);
                match read_some(reader, &mut buf[old..]) {
                    Ok(0) => {
                        buf.truncate(old);
                        eof = true;
                    }
                    Ok(n) => buf.truncate(old + n),
                    Err(err) => {
                        buf.truncate(old);
                        eof = true;
                        error = Some(err);
                    }
                }
            }
            if skip_first {
                match memchr::memchr(b'\n', buf) {
                    Some(i) => {
                        buf.drain(..=i);
                        base += i as u64 + 1;
                        skip_first = false;
                    }
                    None if eof => break,
                    None => {
                        base += buf.len() as u64;
                        buf.clear();
                        continue;
                    }
                }
            }
            if base >= limit {
                break;
            }
            let complete = if eof {
                buf.len()
            } else {
                match memchr::memrchr(b'\n', buf) {
                    Some(i) => i + 1,
                    None => continue,
                }
            };
            // Lines starting at or after `limit` belong to the next chunk.
            let own = (limit - base).min(usize::MAX as u64) as usize;
            let (cut, done) = if own < complete {
                match memchr::memchr(b'\n', &buf[own.saturating_sub(1)..complete]) {
                    Some(i) => (own.saturating_sub(1) + i + 1, true),
                    None => (complete, true),
                }
            } else {
                (complete, eof)
            };
            partial.bytes += cut as u64;
            self.scan_lines(&buf[..cut], name, partial);
            buf.drain(..cut);
            base += cut as u64;
            if done || (eof && buf.is_empty()) {
                break;
            }
        }
        match error {
            Some(err) => Err(err),
            None => Ok(()),
        }
    }

    /// Scans complete lines; `block` ends with a newline, or at the end of the input.
    fn scan_lines(&mut self, block: &[u8], name: &str, partial: &mut Partial) {
        let prefilter = self.watch.prefilter();
        let mut escapes = if self.options.escape_fallback {
            Some(prefilter.escapes(block).peekable())
        } else {
            None
        };
        let mut start = 0;
        while start < block.len() {
            let end = memchr::memchr(b'\n', &block[start..]).map_or(block.len(), |i| start + i);
            partial.lines += 1;
            let line = block[start..end].trim_ascii();
            let escaped = match escapes.as_mut() {
                Some(escapes) => {
                    while escapes.next_if(|&at| at < start).is_some() {}
                    escapes.peek().is_some_and(|&at| at < end)
                }
                None => false,
            };
            start = end + 1;
            if line.is_empty() {
                continue;
            }
            partial.records += 1;
            let hit = prefilter.find(line).or_else(|| {
                if escaped {
                    prefilter.find_escaped(line, &mut self.scratch)
                } else {
                    None
                }
            });
            let Some(needle) = hit else {
                let shaped = matches!(
                    (line.first(), line.last()),
                    (Some(b'{'), Some(b'}')) | (Some(b'['), Some(b']'))
                );
                if !shaped {
                    malformed(partial, partial.lines);
                }
                continue;
            };
            let value: Value = match serde_json::from_slice(line) {
                Ok(value) => value,
                Err(_) => {
                    malformed(partial, partial.lines);
                    continue;
                }
            };
            let line_no = Some(partial.lines);
            self.match_value(&value, needle, name, line_no, partial);
        }
    }

    /// A parsed line or document element: a record, or a page/batch of records.
    fn match_value(
        &mut self,
        value: &Value,
        needle: usize,
        name: &str,
        line: Option<u64>,
        partial: &mut Partial,
    ) {
        let elements = match value {
            Value::Array(items) => Some(items),
            Value::Object(map) => ["value", "records"]
                .iter()
                .find_map(|k| map.get(*k).and_then(Value::as_array)),
            _ => None,
        };
        match elements {
            Some(items) => {
                for (index, item) in items.iter().enumerate() {
                    let text = item.to_string();
                    let Some(found) = self.find_any(text.as_bytes()) else {
                        continue;
                    };
                    self.match_one(item, found, name, line, Some(index as u64), partial);
                }
            }
            None => self.match_one(value, needle, name, line, None, partial),
        }
    }

    fn find_any(&mut self, bytes: &[u8]) -> Option<usize> {
        let prefilter = self.watch.prefilter();
        prefilter.find(bytes).or_else(|| {
            if self.options.escape_fallback && prefilter.has_escape(bytes) {
                prefilter.find_escaped(bytes, &mut self.scratch)
            } else {
                None
            }
        })
    }

    fn match_one(
        &self,
        value: &Value,
        needle: usize,
        name: &str,
        line: Option<u64>,
        record: Option<u64>,
        partial: &mut Partial,
    ) {
        let mentioned = self
            .watch
            .prefilter()
            .needles()
            .get(needle)
            .map(|n| String::from_utf8_lossy(n).into_owned());
        let source = SourceLocation {
            file: name.to_string(),
            line,
            record,
        };
        if let Some(event) =
            match_record(value, self.watch.identities(), mentioned.as_deref(), source)
        {
            partial.events.push(event);
        }
    }

    /// A whole JSON document (or several, one after the other).
    fn scan_document(
        &mut self,
        bytes: &[u8],
        name: &str,
        partial: &mut Partial,
    ) -> Result<(), String> {
        let stream = serde_json::Deserializer::from_slice(bytes).into_iter::<&RawValue>();
        let mut index = 0u64;
        for top in stream {
            let top = match top {
                Ok(top) => top,
                Err(err) => {
                    partial.malformed += 1;
                    if partial.malformed_lines.len() < MAX_MALFORMED_LINES {
                        partial.malformed_lines.push(err.line() as u64);
                    }
                    return Err(format!("not valid JSON: {err}"));
                }
            };
            let text = top.get();
            let elements: Vec<&RawValue> = if text.starts_with('[') {
                serde_json::from_str(text).unwrap_or_default()
            } else {
                match serde_json::from_str::<Container<'_>>(text) {
                    Ok(Container {
                        value: Some(items), ..
                    })
                    | Ok(Container {
                        records: Some(items),
                        ..
                    }) => items,
                    _ => vec![top],
                }
            };
            for element in elements {
                partial.records += 1;
                let raw = element.get().as_bytes();
                let record = index;
                index += 1;
                if !raw.starts_with(b"{") {
                    malformed(partial, line_of(bytes, raw));
                    continue;
                }
                let Some(needle) = self.find_any(raw) else {
                    continue;
                };
                let Ok(value) = serde_json::from_slice::<Value>(raw) else {
                    continue;
                };
                let line = line_of(bytes, raw);
                self.match_one(&value, needle, name, Some(line), Some(record), partial);
            }
        }
        Ok(())
    }
}

fn malformed(partial: &mut Partial, line: u64) {
    partial.malformed += 1;
    if partial.malformed_lines.len() < MAX_MALFORMED_LINES {
        partial.malformed_lines.push(line);
    }
}

/// The 1-based line of `part`, a slice of `whole`.
fn line_of(whole: &[u8], part: &[u8]) -> u64 {
    let offset = (part.as_ptr() as usize).saturating_sub(whole.as_ptr() as usize);
    let offset = offset.min(whole.len());
    memchr::memchr_iter(b'\n', &whole[..offset]).count() as u64 + 1
}

/// One read, retried when interrupted.
fn read_some(reader: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    loop {
        match reader.read(buf) {
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}
