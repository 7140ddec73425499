//! One watcher: each poll reads the logs once, from where the receiver furthest behind needs
//! them, and every receiver works through its own queue; [`PollReport`] says what happened.

use std::collections::BTreeSet;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Mutex;

use breakglass_core::identities::EmergencyIdentities;
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use tokio::time::Instant;

use super::cursor::{WatchState, read_from};
use super::poll::{Source, fetch, notification, record_time};
use super::queue::{Deliveries, Queued, ReceiverRun, ReceiverSummary};
use super::sinks::{Delivery, Sink};
use super::{Notification, severity_name};
use crate::Progress;
use crate::error::{Error, ErrorKind};

/// What one poll did.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PollReport {
    /// Events every receiver has confirmed now, at least one of them in this poll.
    pub delivered: Vec<Notification>,
    /// Events seen again that every receiver had already confirmed.
    pub already_delivered: usize,
    /// Events at least one receiver has not confirmed; sent to it again on the next poll.
    pub missed: usize,
    /// Why deliveries failed, one line per failed delivery.
    pub failures: Vec<String>,
    /// Per receiver: delivered, failed, cut off by the time bound, and the last reason.
    pub receivers: Vec<ReceiverSummary>,
    /// Whether `--run-timeout` ended the deliveries of some receiver.
    pub run_timeout_reached: bool,
    pub state_file: String,
}

impl PollReport {
    pub fn new(events: &[Queued], runs: Vec<ReceiverRun>, state_file: String) -> PollReport {
        let confirmed: BTreeSet<&str> = runs
            .iter()
            .flat_map(|run| run.confirmed.iter().map(String::as_str))
            .collect();
        let missed: BTreeSet<&str> = runs
            .iter()
            .flat_map(|run| run.missed.iter().map(String::as_str))
            .collect();
        let mut report = PollReport {
            missed: missed.len(),
            run_timeout_reached: runs.iter().any(|run| run.out_of_time),
            failures: runs.iter().flat_map(|run| run.failures.clone()).collect(),
            state_file,
            ..PollReport::default()
        };
        let mut seen = BTreeSet::new();
        for event in events {
            let id = event.notification.id.as_str();
            if !seen.insert(id) || missed.contains(id) {
                continue;
            }
            if confirmed.contains(id) {
                report.delivered.push(event.notification.clone());
            } else {
                report.already_delivered += 1;
            }
        }
        report.receivers = runs.into_iter().map(|run| run.summary).collect();
        report
    }

    /// The receivers that still miss events, as `webhook receiver HOST missed N`.
    pub fn receivers_missing(&self) -> Vec<String> {
        self.receivers
            .iter()
            .filter(|r| r.missed() > 0)
            .map(|r| format!("{} missed {}", r.description, r.missed()))
            .collect()
    }

    /// The `--once` failure when a receiver misses events: one line naming each such
    /// receiver by its host.
    pub fn missed_error(&self) -> Option<Error> {
        let missing = self.receivers_missing();
        if missing.is_empty() {
            return None;
        }
        let mut error = Error::new(
            ErrorKind::Network,
            format!(
                "not every receiver got every notification: {}",
                missing.join("; ")
            ),
        )
        .hinted("those events are sent again to those receivers on the next run; the other receivers got theirs");
        if self.run_timeout_reached {
            error = error.hinted(
                "--run-timeout ended the run while a receiver was still owed events; --timeout bounds each attempt, --retries the attempts per event",
            );
        }
        Some(error.hinted(
            "the summary says why for each receiver (--output json: receivers[].lastError)",
        ))
    }
}

pub struct Watcher<'a> {
    pub progress: &'a dyn Progress,
    pub sinks: Vec<Sink>,
    pub delivery: Delivery,
    pub overlap: SignedDuration,
    pub state_path: PathBuf,
    /// `--run-timeout` as given, for messages.
    pub run_timeout: String,
    /// The tenant's name when one watch serves several: it names every notification.
    pub tenant_name: Option<String>,
}

impl Watcher<'_> {
    /// `work`, unless `deadline` comes first: then nothing was sent and nothing is changed.
    /// Generic over the error so a front end's own steps (its sign-in) fit under the bound.
    pub async fn within<T, E: From<Error>>(
        &self,
        deadline: Instant,
        what: &str,
        work: impl Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        match tokio::time::timeout_at(deadline, work).await {
            Ok(outcome) => outcome,
            Err(_) => Err(Error::new(
                ErrorKind::Network,
                format!(
                    "{what} did not finish within --run-timeout {}",
                    self.run_timeout
                ),
            )
            .hinted("Microsoft Entra ID or Graph is slow or unreachable; nothing was sent, and the next run starts from the same cursors")
            .hinted("raise --run-timeout if Graph is only slow")
            .into()),
        }
    }

    /// Reads every log once, from where the receiver furthest behind needs it.
    async fn read(
        &self,
        graph: &breakglass_entra::GraphClient,
        identities: &EmergencyIdentities,
        state: &WatchState,
        started: Timestamp,
    ) -> Result<Vec<Queued>, Error> {
        let mut events = Vec::new();
        for source in Source::ALL {
            let earliest = self
                .sinks
                .iter()
                .map(|sink| state.cursor(sink.kind.name(), source.name(), started))
                .min()
                .unwrap_or(started);
            let records =
                fetch(graph, identities, source, read_from(earliest, self.overlap)).await?;
            for record in &records {
                if let Some(mut notification) = notification(record, identities, source) {
                    if let Some(name) = &self.tenant_name {
                        notification.title = format!("[{name}] {}", notification.title);
                        notification.tenant_name = Some(name.clone());
                    }
                    events.push(Queued {
                        source,
                        time: record_time(record).unwrap_or(started),
                        notification,
                    });
                }
            }
        }
        Ok(events)
    }

    /// One poll, ending by `deadline`: read the logs, then every receiver works through its
    /// own queue at the same time as the others.
    pub async fn poll(
        &self,
        graph: &breakglass_entra::GraphClient,
        identities: &EmergencyIdentities,
        deadline: Instant,
    ) -> Result<PollReport, Error> {
        let mut state = WatchState::load(&self.state_path)?;
        state.adopt_shared_cursors(self.sinks.iter().map(|sink| sink.kind.name()));
        let started = Timestamp::now();
        let events = self
            .within(
                deadline,
                "reading the logs",
                self.read(graph, identities, &state, started),
            )
            .await?;
        let state = Mutex::new(state);
        let deliveries = Deliveries {
            progress: self.progress,
            sinks: &self.sinks,
            delivery: &self.delivery,
            overlap: self.overlap,
            state_path: &self.state_path,
            run_timeout: &self.run_timeout,
        };
        let runs = deliveries.run(&events, &state, started, deadline).await?;
        let mut state = state
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let keep_from = read_from(state.oldest_cursor(started), self.overlap)
            .checked_sub(SignedDuration::from_hours(1))
            .unwrap_or(started);
        state.prune(keep_from);
        state.save(&self.state_path)?;
        let report = PollReport::new(&events, runs, self.state_path.display().to_string());
        for n in &report.delivered {
            self.progress.status(&format!(
                "[{}] {} ({})",
                severity_name(n.severity),
                n.title,
                n.id
            ));
        }
        Ok(report)
    }
}
