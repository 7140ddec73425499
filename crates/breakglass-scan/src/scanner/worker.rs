//! One worker thread: reads a task's bytes (a range of a JSON-lines file, or a whole file,
//! gzip or not), prefilters them and matches the records that can matter.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::sniff::{Sniffed, sniff};
use super::{
    BOM, FileFormat, MAX_MALFORMED_LINES, PEEK, Partial, ScanOptions, Task, TaskKind, Watchlist,
    display,
};
use crate::record::{SourceLocation, match_record};

/// A top-level document: a Graph page, diagnostic records, or a single record.
#[derive(Deserialize)]
struct Container<'a> {
    #[serde(borrow, default)]
    value: Option<Vec<&'a RawValue>>,
    #[serde(borrow, default)]
    records: Option<Vec<&'a RawValue>>,
}

pub(super) struct Worker<'w> {
    watch: &'w Watchlist,
    options: &'w ScanOptions,
    scratch: Vec<u8>,
    buf: Vec<u8>,
}

impl<'w> Worker<'w> {
    pub(super) fn new(watch: &'w Watchlist, options: &'w ScanOptions) -> Self {
        Worker {
            watch,
            options,
            scratch: Vec::new(),
            buf: Vec::new(),
        }
    }

    pub(super) fn run(&mut self, path: &Path, task: &Task) -> Partial {
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
    pub(super) fn read_whole(
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
