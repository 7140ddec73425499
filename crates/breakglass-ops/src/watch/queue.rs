//! One poll's deliveries: each receiver works through its own queue (the events of the poll
//! it has not confirmed, oldest first) at the same time as the others, until the queue is
//! done or the run's time bound is reached. A receiver that hangs or fails only delays its
//! own queue; its cursor stays at its first unconfirmed event while the others move on.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use futures::future::try_join_all;
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use tokio::time::Instant;

use super::Notification;
use super::cursor::{WatchState, read_from};
use super::poll::Source;
use super::sinks::{Delivery, Sink};
use crate::Progress;
use crate::error::Error;

/// An event read in this poll, for every receiver's queue.
#[derive(Clone, Debug)]
pub struct Queued {
    pub source: Source,
    /// The record's time (the poll's start when the record has none).
    pub time: Timestamp,
    pub notification: Notification,
}

/// What one receiver did in one run, for the summary.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceiverSummary {
    /// `webhook`, `slack`, `teams` or `email`.
    pub receiver: &'static str,
    /// Only the host: a receiver's URL is a secret.
    pub host: String,
    /// How the receiver is named in messages (`webhook receiver HOST`, `SMTP server HOST`).
    #[serde(skip)]
    pub description: String,
    /// Events it confirmed in this run.
    pub delivered: usize,
    /// Events it had confirmed in an earlier run.
    pub already_delivered: usize,
    /// Events it failed after the retries (or refused); sent again at the next run.
    pub failed: usize,
    /// Events it had not confirmed when the run's time bound was reached; sent again at the
    /// next run.
    pub undelivered: usize,
    /// Why its last failed event failed, or that the time bound cut it off.
    pub last_error: Option<String>,
}

impl ReceiverSummary {
    /// Events this receiver still misses after the run.
    pub fn missed(&self) -> usize {
        self.failed + self.undelivered
    }
}

/// One receiver's run: the summary and which events it confirmed or still misses.
#[derive(Debug)]
pub struct ReceiverRun {
    pub summary: ReceiverSummary,
    /// Ids of the events confirmed in this run.
    pub confirmed: Vec<String>,
    /// Ids of the events still unconfirmed: failed or cut off.
    pub missed: Vec<String>,
    /// One line per failed delivery.
    pub failures: Vec<String>,
    /// Whether the time bound ended this receiver's queue.
    pub out_of_time: bool,
}

impl ReceiverRun {
    fn new(sink: &Sink) -> ReceiverRun {
        ReceiverRun {
            summary: ReceiverSummary {
                receiver: sink.kind.name(),
                host: sink.host(),
                description: sink.describe(),
                delivered: 0,
                already_delivered: 0,
                failed: 0,
                undelivered: 0,
                last_error: None,
            },
            confirmed: Vec::new(),
            missed: Vec::new(),
            failures: Vec::new(),
            out_of_time: false,
        }
    }
}

/// The receivers of a run and how their deliveries are made and recorded.
pub struct Deliveries<'a> {
    pub progress: &'a dyn Progress,
    pub sinks: &'a [Sink],
    pub delivery: &'a Delivery,
    pub overlap: SignedDuration,
    pub state_path: &'a Path,
    /// `--run-timeout` as given, for messages.
    pub run_timeout: &'a str,
}

/// The state is only touched between awaits, never across one, so a plain mutex shared by
/// the receivers' futures is enough; a panic elsewhere leaves nothing half-changed in it.
fn locked(state: &Mutex<WatchState>) -> MutexGuard<'_, WatchState> {
    state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Changes the state and writes the file before going on, so what a receiver confirmed is
/// on disk before the next event is sent.
fn record(
    state: &Mutex<WatchState>,
    path: &Path,
    change: impl FnOnce(&mut WatchState),
) -> Result<(), Error> {
    let mut state = locked(state);
    change(&mut state);
    state.save(path)
}

impl Deliveries<'_> {
    /// Runs every receiver's queue at once; each ends when its queue is done or at
    /// `deadline`. The first state file that cannot be written ends them all.
    pub async fn run(
        &self,
        events: &[Queued],
        state: &Mutex<WatchState>,
        started: Timestamp,
        deadline: Instant,
    ) -> Result<Vec<ReceiverRun>, Error> {
        try_join_all(
            self.sinks
                .iter()
                .map(|sink| self.work_through(sink, events, state, started, deadline)),
        )
        .await
    }

    async fn work_through(
        &self,
        sink: &Sink,
        events: &[Queued],
        state: &Mutex<WatchState>,
        started: Timestamp,
        deadline: Instant,
    ) -> Result<ReceiverRun, Error> {
        let name = sink.kind.name();
        let mut run = ReceiverRun::new(sink);
        let mut first_missed: BTreeMap<&'static str, Timestamp> = BTreeMap::new();
        for event in events {
            let n = &event.notification;
            let source = event.source.name();
            let (window_start, confirmed) = {
                let state = locked(state);
                (
                    read_from(state.cursor(name, source, started), self.overlap),
                    state.is_delivered(name, &n.id),
                )
            };
            // Older than this receiver reads: read only because another receiver is behind.
            if event.time < window_start {
                continue;
            }
            if confirmed {
                run.summary.already_delivered += 1;
                continue;
            }
            if !run.out_of_time && Instant::now() < deadline {
                match tokio::time::timeout_at(deadline, self.delivery.deliver(sink, n)).await {
                    Ok(Ok(())) => {
                        record(state, self.state_path, |s| {
                            s.mark_delivered(name, &n.id, event.time);
                        })?;
                        self.progress
                            .debug(&format!("{name} confirmed event {}", n.id));
                        run.summary.delivered += 1;
                        run.confirmed.push(n.id.clone());
                        continue;
                    }
                    Ok(Err(why)) => {
                        self.progress.warn(&format!("event {}: {why}", n.id));
                        run.failures.push(format!("event {}: {why}", n.id));
                        run.summary.failed += 1;
                        run.summary.last_error = Some(why);
                    }
                    Err(_) => run.out_of_time = true,
                }
            } else {
                run.out_of_time = true;
            }
            if run.out_of_time {
                run.summary.undelivered += 1;
            }
            run.missed.push(n.id.clone());
            first_missed
                .entry(source)
                .and_modify(|t| *t = (*t).min(event.time))
                .or_insert(event.time);
        }
        if run.summary.undelivered > 0 {
            let why = format!(
                "{} had not confirmed {} event(s) when --run-timeout {} ended the run",
                run.summary.description, run.summary.undelivered, self.run_timeout
            );
            self.progress.warn(&why);
            if run.summary.last_error.is_none() {
                run.summary.last_error = Some(why);
            }
        }
        // The cursor moves to the poll's start past what this receiver confirmed, never past
        // an event it misses.
        record(state, self.state_path, |s| {
            for source in Source::ALL {
                let source = source.name();
                let done = s.cursor(name, source, started).max(started);
                let next = first_missed.get(source).map_or(done, |t| (*t).min(done));
                s.set_cursor(name, source, next);
            }
        })?;
        Ok(run)
    }
}
