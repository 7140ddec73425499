//! The drill's flags that are numbers and durations, checked before anyone signs in.

use std::time::Duration;

/// A flag of `drill` that cannot be used, with what to do about it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DrillFlagError {
    #[error("`--log-wait {0}` is not a duration")]
    LogWait(String),
    #[error(
        "`--min-days {min_days}` and `--warn-days {warn_days}` must satisfy 0 <= min-days <= warn-days"
    )]
    Days { min_days: i64, warn_days: i64 },
}

impl DrillFlagError {
    /// What to type instead, when there is more to say than the message.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            DrillFlagError::LogWait(_) => Some("write it as 300s, 5m or 1h (or 0 to look once)"),
            DrillFlagError::Days { .. } => None,
        }
    }
}

/// `--log-wait`: `300s`, `5m`, `1h`, or plain seconds; `0` looks once.
pub fn log_wait(text: &str) -> Result<Duration, DrillFlagError> {
    let trimmed = text.trim();
    if let Ok(seconds) = trimmed.parse::<u64>() {
        return Ok(Duration::from_secs(seconds));
    }
    if matches!(trimmed, "0s" | "0m" | "0h") {
        return Ok(Duration::ZERO);
    }
    crate::lease::parse_duration(trimmed)
        .map(|d| Duration::from_secs(d.as_secs().max(0).unsigned_abs()))
        .map_err(|_| DrillFlagError::LogWait(text.to_string()))
}

/// `--min-days` (a failure below it) must not exceed `--warn-days` (a warning below it).
pub fn expiry_days(min_days: i64, warn_days: i64) -> Result<(), DrillFlagError> {
    if min_days < 0 || warn_days < min_days {
        return Err(DrillFlagError::Days {
            min_days,
            warn_days,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_waits_and_day_limits() {
        assert_eq!(log_wait("90").unwrap(), Duration::from_secs(90));
        assert_eq!(log_wait("0m").unwrap(), Duration::ZERO);
        assert_eq!(log_wait("5m").unwrap(), Duration::from_secs(300));
        let refused = log_wait("soon").unwrap_err();
        assert_eq!(refused.to_string(), "`--log-wait soon` is not a duration");
        assert!(expiry_days(7, 30).is_ok());
        assert!(expiry_days(0, 0).is_ok());
        assert!(expiry_days(-1, 30).is_err());
        assert!(expiry_days(31, 30).is_err());
    }
}
