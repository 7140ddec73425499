//! When the simulator was busy: the arrival of the first request and the departure of the
//! last answer since the last reset. Several simulators stand for several tenants; comparing
//! their windows tells how many tenants a client worked on at once, without a clock shared
//! between them or a record of every request.

use std::sync::Mutex;
use std::time::Instant;

#[derive(Default)]
pub(crate) struct Activity {
    window: Mutex<Option<(Instant, Instant)>>,
}

impl Activity {
    fn window(&self) -> std::sync::MutexGuard<'_, Option<(Instant, Instant)>> {
        self.window
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A request arrived; the returned guard marks its answer's departure when dropped, on
    /// every way out of the handler.
    pub(crate) fn request(&self) -> Answering<'_> {
        let now = Instant::now();
        let mut window = self.window();
        if window.is_none() {
            *window = Some((now, now));
        }
        Answering { activity: self }
    }

    pub(crate) fn busy_window(&self) -> Option<(Instant, Instant)> {
        *self.window()
    }

    pub(crate) fn reset(&self) {
        *self.window() = None;
    }
}

/// A request being answered.
pub(crate) struct Answering<'a> {
    activity: &'a Activity,
}

impl Drop for Answering<'_> {
    fn drop(&mut self) {
        let now = Instant::now();
        if let Some((_, last)) = self.activity.window().as_mut() {
            *last = now;
        }
    }
}
