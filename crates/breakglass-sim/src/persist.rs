//! Saving the tenant off the request path. A change serializes the tenant while it holds the
//! lock (so the saved state is one the tenant was really in), and a writer thread writes the
//! newest serialization atomically (temp file, fsync, rename). Answers no longer wait for the
//! disk; a burst of changes is written once. `flush` waits for the newest state to be on disk,
//! and shutdown calls it, so a restart after a clean stop sees every change.

use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

use crate::files;

#[derive(Default)]
struct Queue {
    /// The newest serialization not yet handed to the writer.
    pending: Option<Vec<u8>>,
    /// Numbers the serializations; `written` catches up with `queued`.
    queued: u64,
    written: u64,
    closing: bool,
}

struct Shared {
    queue: Mutex<Queue>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The state file and its writer thread.
pub(crate) struct StateWriter {
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl StateWriter {
    pub fn start(path: PathBuf) -> StateWriter {
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            changed: Condvar::new(),
        });
        let worker = shared.clone();
        let thread = std::thread::Builder::new()
            .name("sim-state-writer".into())
            .spawn(move || write_loop(&worker, &path))
            .ok();
        StateWriter {
            shared,
            thread: Mutex::new(thread),
        }
    }

    /// Queues `bytes` as the newest state.
    pub fn save(&self, bytes: Vec<u8>) {
        let mut queue = self.shared.lock();
        queue.pending = Some(bytes);
        queue.queued += 1;
        self.shared.changed.notify_all();
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

impl Drop for StateWriter {
    fn drop(&mut self) {
        self.close();
    }
}

fn write_loop(shared: &Shared, path: &std::path::Path) {
    loop {
        let (bytes, number) = {
            let mut queue = shared.lock();
            loop {
                if let Some(bytes) = queue.pending.take() {
                    break (bytes, queue.queued);
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
        if let Err(err) = files::write_private(path, &bytes) {
            tracing::error!("saving the tenant failed: {err}");
        }
        let mut queue = shared.lock();
        queue.written = queue.written.max(number);
        shared.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_state_is_on_disk_after_flush_and_after_close() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let writer = StateWriter::start(path.clone());
        for n in 0..200 {
            writer.save(format!("{{\"n\":{n}}}").into_bytes());
        }
        writer.flush();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"n\":199}");
        writer.save(b"{\"n\":200}".to_vec());
        writer.close();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"n\":200}");
        // Closing twice (close, then drop) is harmless.
        drop(writer);
    }
}
