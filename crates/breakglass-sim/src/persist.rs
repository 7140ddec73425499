//! The tenant on disk: a snapshot (`tenant-state.json`, the whole tenant, written atomically)
//! and a change log (`tenant-changes.log`) of what changed since, one frame per change. A change
//! costs a frame of what it touched, whatever the size of the tenant; the snapshot is
//! rewritten, and the log emptied, at a clean stop and when the log has grown as large as the
//! snapshot.
//!
//! A frame is one line: 16 hex digits of the payload's SHA-256, a space, the payload (compact
//! JSON, which never holds a raw newline) and a newline. Opening the log keeps the frames up to
//! the first one that is torn (the simulator was killed mid-write) or does not match its
//! checksum, and cuts the rest off, so the next frames follow a whole one.
//!
//! Frames are written off the request path by a writer thread, each batch with one fsync;
//! `flush` waits for everything queued, and a clean stop calls it, so a restart sees every
//! change. Replaying a log over a snapshot that already holds its changes changes nothing
//! (see [`crate::changes`]), so a stop killed between writing a snapshot and emptying the log
//! loses nothing and doubles nothing.

use std::fs::{File, OpenOptions};
use std::io::{Read as _, Write as _};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

use sha2::{Digest as _, Sha256};

use crate::SimError;

#[derive(Default)]
struct Queue {
    /// Frames not yet handed to the writer, back to back.
    pending: Vec<u8>,
    /// Numbers the appends; `written` catches up with `queued`.
    queued: u64,
    written: u64,
    closing: bool,
}

struct Shared {
    queue: Mutex<Queue>,
    changed: Condvar,
    file: Mutex<File>,
    /// Bytes in the log file, written or queued.
    length: AtomicU64,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn file(&self) -> MutexGuard<'_, File> {
        self.file.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The change log and its writer thread.
pub(crate) struct ChangeLog {
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

fn checksum(payload: &[u8]) -> String {
    let digest = Sha256::digest(payload);
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// The whole frames at the start of `bytes`, and how many bytes they take.
fn whole_frames(bytes: &[u8]) -> (Vec<&[u8]>, usize) {
    let mut frames = Vec::new();
    let mut end = 0;
    while let Some(length) = bytes[end..].iter().position(|&b| b == b'\n') {
        let line = &bytes[end..end + length];
        let Some((sum, payload)) = line.split_at_checked(16) else {
            break;
        };
        let Some(payload) = payload.strip_prefix(b" ") else {
            break;
        };
        if sum != checksum(payload).as_bytes() {
            break;
        }
        frames.push(payload);
        end += length + 1;
    }
    (frames, end)
}

fn log_error(path: &Path, err: std::io::Error) -> SimError {
    SimError::StateDir {
        path: path.to_path_buf(),
        reason: err.to_string(),
    }
}

impl ChangeLog {
    /// Opens (or creates) the log at `path`, hands each whole frame's payload to `replay` in
    /// order, and cuts off what follows the last whole frame.
    pub fn open(
        path: PathBuf,
        mut replay: impl FnMut(&[u8]) -> Result<(), String>,
    ) -> Result<ChangeLog, SimError> {
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| log_error(&path, e))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|e| log_error(&path, e))?;
        let (frames, end) = whole_frames(&bytes);
        for payload in frames {
            replay(payload).map_err(|reason| SimError::StateCorrupt {
                path: path.clone(),
                reason,
            })?;
        }
        if end < bytes.len() {
            tracing::warn!(
                "the change log {} ends in {} bytes of a torn write; they are dropped",
                path.display(),
                bytes.len() - end
            );
            file.set_len(end as u64).map_err(|e| log_error(&path, e))?;
            file.sync_all().map_err(|e| log_error(&path, e))?;
        }
        drop(bytes);
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            changed: Condvar::new(),
            file: Mutex::new(file),
            length: AtomicU64::new(end as u64),
        });
        let worker = shared.clone();
        let thread = std::thread::Builder::new()
            .name("sim-change-log".into())
            .spawn(move || write_loop(&worker))
            .map_err(|e| log_error(&path, e))?;
        Ok(ChangeLog {
            shared,
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Queues one change's payload as a frame.
    pub fn append(&self, payload: &[u8]) {
        let mut queue = self.shared.lock();
        let start = queue.pending.len();
        queue
            .pending
            .extend_from_slice(checksum(payload).as_bytes());
        queue.pending.push(b' ');
        queue.pending.extend_from_slice(payload);
        queue.pending.push(b'\n');
        let added = (queue.pending.len() - start) as u64;
        self.shared.length.fetch_add(added, Ordering::Relaxed);
        queue.queued += 1;
        self.shared.changed.notify_all();
    }

    /// Bytes in the log, queued frames included.
    pub fn len(&self) -> u64 {
        self.shared.length.load(Ordering::Relaxed)
    }

    /// Waits until everything queued so far is on disk.
    pub fn flush(&self) {
        let mut queue = self.shared.lock();
        let target = queue.queued;
        while queue.written < target && !queue.closing {
            queue = self
                .shared
                .changed
                .wait(queue)
                .unwrap_or_else(|p| p.into_inner());
        }
    }

    /// Empties the log once a snapshot holds everything in it. The caller holds the tenant, so
    /// no frame is queued meanwhile.
    pub fn clear(&self) -> std::io::Result<()> {
        self.flush();
        let file = self.shared.file();
        file.set_len(0)?;
        file.sync_all()?;
        self.shared.length.store(0, Ordering::Relaxed);
        Ok(())
    }

    /// Writes what is queued and stops the thread.
    pub fn close(&self) {
        self.flush();
        self.shared.lock().closing = true;
        self.shared.changed.notify_all();
        let thread = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(thread) = thread {
            let _ = thread.join();
        }
    }
}

impl Drop for ChangeLog {
    fn drop(&mut self) {
        self.close();
    }
}

fn write_loop(shared: &Shared) {
    loop {
        let (bytes, number) = {
            let mut queue = shared.lock();
            loop {
                if !queue.pending.is_empty() {
                    break (std::mem::take(&mut queue.pending), queue.queued);
                }
                if queue.closing {
                    return;
                }
                queue = shared
                    .changed
                    .wait(queue)
                    .unwrap_or_else(|p| p.into_inner());
            }
        };
        let result = {
            let mut file = shared.file();
            file.write_all(&bytes).and_then(|()| file.sync_data())
        };
        if let Err(err) = result {
            tracing::error!("saving a change of the tenant failed: {err}");
        }
        let mut queue = shared.lock();
        queue.written = queue.written.max(number);
        shared.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replayed(path: &Path) -> Vec<String> {
        let mut seen = Vec::new();
        let log = ChangeLog::open(path.to_path_buf(), |payload| {
            seen.push(String::from_utf8_lossy(payload).into_owned());
            Ok(())
        })
        .unwrap();
        drop(log);
        seen
    }

    #[test]
    fn every_change_is_on_disk_after_flush_and_after_close() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("changes.log");
        let log = ChangeLog::open(path.clone(), |_| Ok(())).unwrap();
        for n in 0..200 {
            log.append(format!("{{\"n\":{n}}}").as_bytes());
        }
        log.flush();
        assert_eq!(replayed(&path).len(), 200);
        log.append(b"{\"n\":200}");
        log.close();
        let seen = replayed(&path);
        assert_eq!(seen.len(), 201);
        assert_eq!(seen[200], "{\"n\":200}");
        // Closing twice (close, then drop) is harmless.
        drop(log);
    }

    #[test]
    fn a_torn_or_damaged_tail_is_dropped_and_the_next_change_follows_the_last_whole_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("changes.log");
        {
            let log = ChangeLog::open(path.clone(), |_| Ok(())).unwrap();
            log.append(b"{\"n\":1}");
            log.append(b"{\"n\":2}");
        }
        let whole = std::fs::read(&path).unwrap();
        let mut torn = whole.clone();
        torn.extend_from_slice(b"0123456789abcdef {\"n\":3");
        std::fs::write(&path, &torn).unwrap();
        assert_eq!(replayed(&path), ["{\"n\":1}", "{\"n\":2}"]);
        assert_eq!(std::fs::read(&path).unwrap(), whole);

        let mut damaged = whole.clone();
        let last = damaged.len() - 3;
        damaged[last] = b'9';
        std::fs::write(&path, &damaged).unwrap();
        {
            let log = ChangeLog::open(path.clone(), |_| Ok(())).unwrap();
            log.append(b"{\"n\":4}");
        }
        assert_eq!(replayed(&path), ["{\"n\":1}", "{\"n\":4}"]);
    }

    #[test]
    fn clear_empties_the_log() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("changes.log");
        let log = ChangeLog::open(path.clone(), |_| Ok(())).unwrap();
        log.append(b"{}");
        assert!(log.len() > 0);
        log.clear().unwrap();
        assert_eq!(log.len(), 0);
        log.append(b"{\"after\":true}");
        log.close();
        assert_eq!(replayed(&path), ["{\"after\":true}"]);
    }
}
