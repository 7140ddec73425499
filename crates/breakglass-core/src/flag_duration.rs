//! Durations given on the command line for the watcher's timings: `90`, `90s`, `15m`, `1h`,
//! `1d`, each checked against the range where it makes sense.

use std::ops::RangeInclusive;
use std::time::Duration;

/// How a duration is written, for hints.
pub const DURATION_FORMS: &str = "write it as seconds, minutes, hours or days: 30s, 15m, 1h, 1d";

/// Why a duration flag was refused; the message names the flag and what was given.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FlagDurationError {
    #[error("{flag} {text} is not a duration")]
    NotADuration { flag: String, text: String },
    #[error("{flag} {text} has an unknown unit")]
    UnknownUnit { flag: String, text: String },
    #[error("{flag} {text} is too long to be a duration")]
    TooLong { flag: String, text: String },
    #[error("{flag} {text} is {wrong}")]
    OutOfRange {
        flag: String,
        text: String,
        /// `shorter than 1s`, `longer than 5m`.
        wrong: String,
        /// The range, and why it is what it is.
        hint: String,
    },
}

impl FlagDurationError {
    /// What to do about it.
    pub fn hint(&self) -> String {
        match self {
            FlagDurationError::OutOfRange { hint, .. } => hint.clone(),
            _ => DURATION_FORMS.to_string(),
        }
    }
}

/// Parses `90`, `90s`, `15m`, `1h`, `1d` given to `flag`.
pub fn parse(flag: &str, text: &str) -> Result<Duration, FlagDurationError> {
    let text = text.trim();
    let error = |make: fn(String, String) -> FlagDurationError| make(flag.into(), text.into());
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let value: u64 = number
        .parse()
        .map_err(|_| error(|flag, text| FlagDurationError::NotADuration { flag, text }))?;
    let unit_seconds: u64 = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => {
            return Err(error(|flag, text| FlagDurationError::UnknownUnit {
                flag,
                text,
            }));
        }
    };
    let seconds = value
        .checked_mul(unit_seconds)
        .ok_or_else(|| error(|flag, text| FlagDurationError::TooLong { flag, text }))?;
    Ok(Duration::from_secs(seconds))
}

/// `90s`, `15m`, `2h`, `30d`: the largest unit that divides the duration.
pub fn show(duration: Duration) -> String {
    match duration.as_secs() {
        0 => "0s".to_string(),
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// A duration flag, refused outside `range` (zero included); `why` says why the range is
/// what it is.
pub fn within(
    flag: &str,
    text: &str,
    range: RangeInclusive<Duration>,
    why: &str,
) -> Result<Duration, FlagDurationError> {
    let value = parse(flag, text)?;
    let (min, max) = (show(*range.start()), show(*range.end()));
    let wrong = if value < *range.start() {
        format!("shorter than {min}")
    } else if value > *range.end() {
        format!("longer than {max}")
    } else {
        return Ok(value);
    };
    Err(FlagDurationError::OutOfRange {
        flag: flag.into(),
        text: text.trim().into(),
        wrong,
        hint: format!("give {flag} between {min} and {max}: {why}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_and_show_in_their_largest_unit() {
        for (text, seconds, shown) in [
            ("90", 90, "90s"),
            ("90s", 90, "90s"),
            ("120s", 120, "2m"),
            ("15m", 900, "15m"),
            ("1h", 3600, "1h"),
            ("30d", 30 * 86_400, "30d"),
            ("0s", 0, "0s"),
        ] {
            let parsed = parse("--timeout", text).unwrap();
            assert_eq!(parsed, Duration::from_secs(seconds), "{text}");
            assert_eq!(show(parsed), shown, "{text}");
        }
        for bad in ["", "s", "1.5m", "10 s", "5w", "18446744073709551615m"] {
            let err = parse("--timeout", bad).unwrap_err();
            assert_eq!(err.hint(), DURATION_FORMS, "{bad}");
            assert!(err.to_string().starts_with("--timeout"), "{bad}");
        }
    }

    #[test]
    fn a_duration_outside_its_range_names_the_range() {
        let range = Duration::from_secs(1)..=Duration::from_secs(300);
        assert_eq!(
            within("--timeout", "5m", range.clone(), "why").unwrap(),
            Duration::from_secs(300)
        );
        let zero = within("--timeout", "0s", range.clone(), "why").unwrap_err();
        assert_eq!(zero.to_string(), "--timeout 0s is shorter than 1s");
        assert_eq!(zero.hint(), "give --timeout between 1s and 5m: why");
        let long = within("--timeout", "301", range, "why").unwrap_err();
        assert_eq!(long.to_string(), "--timeout 301 is longer than 5m");
    }
}
