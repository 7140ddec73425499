//! Files, formats, chunks and threads.
//!
//! Every file is sniffed first (gzip magic, binary content, JSON lines or one JSON
//! document). Plain JSON-lines files are cut into chunks at line boundaries so that one big
//! file keeps every core busy; gzip files and documents are one task each. Workers pull
//! tasks from a shared counter, read with large buffered reads (no memory maps: the crate
//! forbids `unsafe`), and memory stays at about two blocks per worker plus the longest line.

mod sniff;
mod worker;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use breakglass_core::identities::EmergencyIdentities;
use serde::Serialize;

use crate::ScanError;
use crate::prefilter::Prefilter;
use crate::record::Event;
use sniff::{Plan, plan_file};
use worker::Worker;

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
