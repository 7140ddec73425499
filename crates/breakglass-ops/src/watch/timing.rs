//! The durations of a watcher's run, as the flags give them, checked together.

use std::ops::RangeInclusive;
use std::time::Duration;

use breakglass_core::flag_duration;
use jiff::SignedDuration;

use crate::error::{Error, usage_error};

/// `--run-timeout`'s default: with the default `--timeout` and `--retries` a hanging
/// receiver takes about a minute per event, and the systemd unit of docs/watch.md allows
/// the run (sign-in included) TimeoutStartSec=5min; see the figures there.
pub const DEFAULT_RUN_TIMEOUT: &str = "2m";

/// The durations as typed, one per flag.
#[derive(Clone, Copy, Debug)]
pub struct TimingFlags<'a> {
    pub poll_interval: &'a str,
    pub overlap: &'a str,
    pub timeout: &'a str,
    pub run_timeout: &'a str,
}

/// The durations of a run.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    /// How long `watch` (without `--once`) waits between polls.
    pub poll_interval: Duration,
    /// How far back each poll reads again, for records that reach the log late.
    pub overlap: SignedDuration,
    /// How long one request to a receiver may take.
    pub timeout: Duration,
    /// The bound on one run (one poll), sign-in included with `--once`.
    pub run_timeout: Duration,
}

fn minutes(count: u64) -> Duration {
    Duration::from_secs(count * 60)
}

/// A duration flag, as a usage error naming the flag when refused.
fn within(
    flag: &str,
    text: &str,
    range: RangeInclusive<Duration>,
    why: &str,
) -> Result<Duration, Error> {
    flag_duration::within(flag, text, range, why).map_err(|err| {
        let hint = err.hint();
        usage_error(err.to_string()).hinted(hint)
    })
}

impl Timing {
    /// Checks each duration against its bounds, and the run's bound against one request's.
    pub fn from_flags(flags: TimingFlags<'_>) -> Result<Timing, Error> {
        let poll_interval = within(
            "--poll-interval",
            flags.poll_interval,
            Duration::from_secs(5)..=minutes(24 * 60),
            "Graph throttles busy pollers, sign-ins reach the log minutes late anyway, and a day is the longest a sign-in should wait to be reported",
        )?;
        let overlap = within(
            "--overlap",
            flags.overlap,
            minutes(1)..=minutes(30 * 24 * 60),
            "sign-in records reach the log minutes late, and Graph keeps them 30 days",
        )?;
        let timeout = within(
            "--timeout",
            flags.timeout,
            Duration::from_secs(1)..=minutes(5),
            "how long one request to a receiver may take; --run-timeout bounds the whole run",
        )?;
        let run_timeout = within(
            "--run-timeout",
            flags.run_timeout,
            Duration::from_secs(10)..=minutes(60),
            "the bound on one run; keep it inside the service's TimeoutStartSec",
        )?;
        if run_timeout < timeout {
            return Err(usage_error(format!(
                "--run-timeout {} is shorter than --timeout {}",
                flags.run_timeout.trim(),
                flags.timeout.trim()
            ))
            .hinted("a receiver would never get its whole --timeout; raise --run-timeout or lower --timeout"));
        }
        let overlap = SignedDuration::try_from(overlap).map_err(|_| {
            usage_error("--overlap is too long").hinted(flag_duration::DURATION_FORMS)
        })?;
        Ok(Timing {
            poll_interval,
            overlap,
            timeout,
            run_timeout,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags<'a>(timeout: &'a str, run_timeout: &'a str) -> TimingFlags<'a> {
        TimingFlags {
            poll_interval: "5m",
            overlap: "15m",
            timeout,
            run_timeout,
        }
    }

    #[test]
    fn a_run_must_leave_room_for_one_whole_request() {
        let err = Timing::from_flags(flags("2m", "30s")).unwrap_err();
        assert!(
            err.message()
                .contains("--run-timeout 30s is shorter than --timeout 2m")
        );
        let timing = Timing::from_flags(flags("10s", DEFAULT_RUN_TIMEOUT)).unwrap();
        assert_eq!(timing.run_timeout, minutes(2));
        assert_eq!(timing.overlap, SignedDuration::from_mins(15));
    }

    #[test]
    fn a_refused_duration_names_its_flag() {
        let err = Timing::from_flags(TimingFlags {
            poll_interval: "1s",
            ..flags("10s", "2m")
        })
        .unwrap_err();
        assert!(
            err.message().contains("--poll-interval"),
            "{}",
            err.message()
        );
    }
}
