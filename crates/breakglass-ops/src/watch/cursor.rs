//! The durable cursor: for each receiver, how far it has confirmed each source, and which
//! events each receiver has confirmed; one JSON file written atomically with mode 0600.
//!
//! A receiver's cursor for a source only moves past events that receiver confirmed; an event
//! is marked delivered to a receiver (and the file written) as soon as that receiver answers
//! 2xx. So a watcher killed at any point sends each receiver, after a restart, every event it
//! has not confirmed and none that it has; and a receiver that is down holds back no cursor
//! but its own.
//!
//! Version 1 files had one cursor per source, shared by every receiver; they are read, and
//! the first run hands those cursors to each of its receivers ([`WatchState::adopt_shared_cursors`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use breakglass_store::{Overwrite, write_secret_file};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::error::{Error, config_error, internal_error};

/// How many confirmed deliveries are remembered at most.
pub const MAX_REMEMBERED: usize = 20_000;

/// The state file format this build writes.
pub const STATE_VERSION: u32 = 2;

/// What the state file holds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WatchState {
    pub version: u32,
    /// Per receiver (`webhook`, `slack`, `teams`, `email`), per source: every event of the
    /// source before this time (minus the overlap) has been confirmed by that receiver.
    #[serde(default)]
    pub cursors: BTreeMap<String, BTreeMap<String, Timestamp>>,
    /// `receiver:eventId` → the event's time, for the events confirmed recently.
    #[serde(default)]
    pub delivered: BTreeMap<String, Timestamp>,
    /// A version 1 file's cursors, one per source for every receiver. Only read: they become
    /// the receivers' own cursors in [`WatchState::adopt_shared_cursors`].
    #[serde(default, skip_serializing)]
    pub sources: BTreeMap<String, Timestamp>,
}

fn key(sink: &str, id: &str) -> String {
    format!("{sink}:{id}")
}

impl WatchState {
    /// Reads the state file; a missing file is a fresh start.
    pub fn load(path: &Path) -> Result<WatchState, Error> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(WatchState {
                    version: STATE_VERSION,
                    ..WatchState::default()
                });
            }
            Err(e) => {
                return Err(config_error(format!("cannot read {}: {e}", path.display()))
                    .hinted("check the permissions of the --state file"));
            }
        };
        let state: WatchState = serde_json::from_str(&text).map_err(|e| {
            config_error(format!("{} is not a watch state file: {e}", path.display())).hinted(
                "move it away to start afresh (events of the last --overlap are then sent again)",
            )
        })?;
        if state.version > STATE_VERSION {
            return Err(config_error(format!(
                "{} is a version {} watch state file; this breakglass reads up to version {STATE_VERSION}",
                path.display(),
                state.version
            ))
            .hinted("run the breakglass that wrote it, or a newer one"));
        }
        Ok(state)
    }

    /// Writes the state file atomically, readable by the owner only, in the current format.
    pub fn save(&self, path: &Path) -> Result<(), Error> {
        let current = WatchState {
            version: STATE_VERSION,
            ..self.clone()
        };
        let mut text = serde_json::to_string_pretty(&current)
            .map_err(|e| internal_error(format!("cannot encode the watch state: {e}")))?;
        text.push('\n');
        write_secret_file(path, text.as_bytes(), Overwrite::Replace).map_err(|e| {
            let hint = e.hint();
            config_error(e.to_string()).hinted(hint)
        })
    }

    /// Gives each of `receivers` that has no cursors of its own the shared cursors a version 1
    /// file held: every receiver of the run that wrote it had confirmed the events before them.
    pub fn adopt_shared_cursors<'a>(&mut self, receivers: impl IntoIterator<Item = &'a str>) {
        let shared = std::mem::take(&mut self.sources);
        if shared.is_empty() {
            return;
        }
        for receiver in receivers {
            self.cursors
                .entry(receiver.to_string())
                .or_insert_with(|| shared.clone());
        }
    }

    /// Where `receiver` reads `source` from: its cursor, or `start` the first time.
    pub fn cursor(&self, receiver: &str, source: &str, start: Timestamp) -> Timestamp {
        self.cursors
            .get(receiver)
            .and_then(|sources| sources.get(source))
            .copied()
            .unwrap_or(start)
    }

    pub fn set_cursor(&mut self, receiver: &str, source: &str, at: Timestamp) {
        self.cursors
            .entry(receiver.to_string())
            .or_default()
            .insert(source.to_string(), at);
    }

    pub fn is_delivered(&self, sink: &str, id: &str) -> bool {
        self.delivered.contains_key(&key(sink, id))
    }

    pub fn mark_delivered(&mut self, sink: &str, id: &str, time: Timestamp) {
        self.delivered.insert(key(sink, id), time);
    }

    /// Forgets deliveries of events older than `before`, which no poll reads again, and
    /// keeps at most [`MAX_REMEMBERED`] (the newest).
    pub fn prune(&mut self, before: Timestamp) {
        self.delivered.retain(|_, time| *time >= before);
        if self.delivered.len() > MAX_REMEMBERED {
            let mut times: Vec<Timestamp> = self.delivered.values().copied().collect();
            times.sort();
            let cut = times[times.len() - MAX_REMEMBERED];
            self.delivered.retain(|_, time| *time >= cut);
        }
    }

    /// The oldest cursor of any receiver, this run's or not (a receiver left out of one run
    /// keeps its place, so its confirmations must outlive it), or `now` when there is none.
    pub fn oldest_cursor(&self, now: Timestamp) -> Timestamp {
        self.cursors
            .values()
            .flat_map(|sources| sources.values())
            .copied()
            .min()
            .unwrap_or(now)
    }
}

/// `$XDG_STATE_HOME/breakglass/watch.json`, or `~/.local/state/breakglass/watch.json`.
pub fn default_state_path() -> Result<PathBuf, Error> {
    let base = match std::env::var_os("XDG_STATE_HOME").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => match std::env::var_os("HOME").filter(|v| !v.is_empty()) {
            Some(home) => PathBuf::from(home).join(".local").join("state"),
            None => {
                return Err(config_error("neither XDG_STATE_HOME nor HOME is set")
                    .hinted("pass --state FILE"));
            }
        },
    };
    Ok(base.join("breakglass").join("watch.json"))
}

/// Creates the state file's folder (0700) if it is missing.
pub fn ensure_parent(path: &Path) -> Result<(), Error> {
    let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) else {
        return Ok(());
    };
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|e| {
        config_error(format!("cannot create {}: {e}", dir.display()))
            .hinted("pass --state FILE in a folder you can write")
    })
}

/// The time a poll reads from: the cursor minus the overlap.
pub fn read_from(cursor: Timestamp, overlap: SignedDuration) -> Timestamp {
    cursor.checked_sub(overlap).unwrap_or(cursor)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn remembers_deliveries_and_survives_a_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state").join("watch.json");
        ensure_parent(&path).unwrap();
        let mut state = WatchState::load(&path).unwrap();
        assert!(state.delivered.is_empty());
        let start = t("2026-01-01T00:00:00Z");
        assert_eq!(state.cursor("webhook", "signIns", start), start);
        state.mark_delivered("webhook", "a", t("2026-01-01T00:01:00Z"));
        state.set_cursor("webhook", "signIns", t("2026-01-01T00:02:00Z"));
        state.save(&path).unwrap();
        let back = WatchState::load(&path).unwrap();
        assert_eq!(back, state);
        assert!(back.is_delivered("webhook", "a"));
        assert!(!back.is_delivered("slack", "a"));
        assert_eq!(
            back.cursor("webhook", "signIns", start),
            t("2026-01-01T00:02:00Z")
        );
        assert_eq!(back.cursor("slack", "signIns", start), start);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_version_1_file_gives_its_shared_cursors_to_the_receivers_of_the_first_run() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("watch.json");
        std::fs::write(
            &path,
            r#"{
  "version": 1,
  "sources": {"signIns": "2026-01-01T00:02:00Z", "directoryAudits": "2026-01-01T00:03:00Z"},
  "delivered": {"webhook:a": "2026-01-01T00:01:00Z"}
}"#,
        )
        .unwrap();
        let mut state = WatchState::load(&path).unwrap();
        assert!(state.is_delivered("webhook", "a"));
        state.adopt_shared_cursors(["webhook", "slack"]);
        let start = t("2026-02-01T00:00:00Z");
        for receiver in ["webhook", "slack"] {
            assert_eq!(
                state.cursor(receiver, "signIns", start),
                t("2026-01-01T00:02:00Z")
            );
            assert_eq!(
                state.cursor(receiver, "directoryAudits", start),
                t("2026-01-01T00:03:00Z")
            );
            assert_eq!(
                state.cursor(receiver, "servicePrincipalSignIns", start),
                start
            );
        }
        // Adopted once: a receiver named in a later run starts afresh.
        state.adopt_shared_cursors(["teams"]);
        assert_eq!(state.cursor("teams", "signIns", start), start);

        state.save(&path).unwrap();
        let written: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(written["version"], STATE_VERSION);
        assert!(written.get("sources").is_none(), "{written:#}");
        assert_eq!(
            written["cursors"]["slack"]["signIns"],
            "2026-01-01T00:02:00Z"
        );
        assert_eq!(WatchState::load(&path).unwrap().cursors, state.cursors);
    }

    #[test]
    fn a_file_from_a_newer_breakglass_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("watch.json");
        std::fs::write(&path, r#"{"version": 3, "cursors": {}, "delivered": {}}"#).unwrap();
        let err = WatchState::load(&path).unwrap_err();
        assert!(err.message().contains("version 3"), "{}", err.message());
        assert!(!err.hints().is_empty());
    }

    #[test]
    fn the_oldest_cursor_is_that_of_the_receiver_furthest_behind() {
        let mut state = WatchState::default();
        let now = t("2026-01-02T00:00:00Z");
        assert_eq!(state.oldest_cursor(now), now);
        state.set_cursor("slack", "signIns", t("2026-01-01T12:00:00Z"));
        state.set_cursor("webhook", "signIns", t("2026-01-01T06:00:00Z"));
        state.set_cursor("webhook", "directoryAudits", t("2026-01-01T18:00:00Z"));
        assert_eq!(state.oldest_cursor(now), t("2026-01-01T06:00:00Z"));
    }

    #[test]
    fn prunes_old_and_excess_deliveries() {
        let mut state = WatchState::default();
        state.mark_delivered("webhook", "old", t("2026-01-01T00:00:00Z"));
        state.mark_delivered("webhook", "new", t("2026-01-02T00:00:00Z"));
        state.prune(t("2026-01-01T12:00:00Z"));
        assert!(!state.is_delivered("webhook", "old"));
        assert!(state.is_delivered("webhook", "new"));
        let base = t("2026-01-03T00:00:00Z");
        for i in 0..(MAX_REMEMBERED as i64 + 10) {
            state.mark_delivered(
                "webhook",
                &format!("e{i}"),
                base.checked_add(SignedDuration::from_secs(i)).unwrap(),
            );
        }
        state.prune(t("2026-01-01T00:00:00Z"));
        assert!(state.delivered.len() <= MAX_REMEMBERED);
        assert!(state.is_delivered("webhook", &format!("e{}", MAX_REMEMBERED + 9)));
    }
}
