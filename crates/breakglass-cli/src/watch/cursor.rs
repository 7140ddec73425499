//! The durable cursor: how far each source has been read, and which events each receiver
//! has confirmed, in one JSON file written atomically with mode 0600.
//!
//! A source's cursor only moves past events every receiver confirmed; an event is marked
//! delivered to a receiver (and the file written) as soon as that receiver answers 2xx.
//! So a watcher killed at any point sends, after a restart, every event not yet confirmed
//! and none that was.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use breakglass_store::{Overwrite, write_secret_file};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::error::{CommandError, config_error, internal_error};

/// How many confirmed deliveries are remembered at most.
pub const MAX_REMEMBERED: usize = 20_000;

/// What the state file holds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WatchState {
    pub version: u32,
    /// Per source: every event before this time (minus the overlap) has been delivered.
    pub sources: BTreeMap<String, Timestamp>,
    /// `receiver:eventId` → the event's time, for the events confirmed recently.
    pub delivered: BTreeMap<String, Timestamp>,
}

fn key(sink: &str, id: &str) -> String {
    format!("{sink}:{id}")
}

impl WatchState {
    /// Reads the state file; a missing file is a fresh start.
    pub fn load(path: &Path) -> Result<WatchState, CommandError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(WatchState {
                    version: 1,
                    ..WatchState::default()
                });
            }
            Err(e) => {
                return Err(config_error(format!("cannot read {}: {e}", path.display()))
                    .hinted("check the permissions of the --state file"));
            }
        };
        serde_json::from_str(&text).map_err(|e| {
            config_error(format!("{} is not a watch state file: {e}", path.display())).hinted(
                "move it away to start afresh (events of the last --overlap are then sent again)",
            )
        })
    }

    /// Writes the state file atomically, readable by the owner only.
    pub fn save(&self, path: &Path) -> Result<(), CommandError> {
        let mut text = serde_json::to_string_pretty(self)
            .map_err(|e| internal_error(format!("cannot encode the watch state: {e}")))?;
        text.push('\n');
        write_secret_file(path, text.as_bytes(), Overwrite::Replace).map_err(|e| {
            let hint = e.hint();
            config_error(e.to_string()).hinted(hint)
        })
    }

    /// Where reading `source` starts: its cursor, or `start` the first time.
    pub fn cursor(&self, source: &str, start: Timestamp) -> Timestamp {
        self.sources.get(source).copied().unwrap_or(start)
    }

    pub fn set_cursor(&mut self, source: &str, at: Timestamp) {
        self.sources.insert(source.to_string(), at);
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

    /// The oldest cursor, or `now` when there is none.
    pub fn oldest_cursor(&self, now: Timestamp) -> Timestamp {
        self.sources.values().copied().min().unwrap_or(now)
    }
}

/// `$XDG_STATE_HOME/breakglass/watch.json`, or `~/.local/state/breakglass/watch.json`.
pub fn default_state_path() -> Result<PathBuf, CommandError> {
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
pub fn ensure_parent(path: &Path) -> Result<(), CommandError> {
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
        assert_eq!(state.cursor("signIns", start), start);
        state.mark_delivered("webhook", "a", t("2026-01-01T00:01:00Z"));
        state.set_cursor("signIns", t("2026-01-01T00:02:00Z"));
        state.save(&path).unwrap();
        let back = WatchState::load(&path).unwrap();
        assert_eq!(back, state);
        assert!(back.is_delivered("webhook", "a"));
        assert!(!back.is_delivered("slack", "a"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
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
