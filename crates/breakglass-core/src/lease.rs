//! Leases of temporary administrators: how long they live and how the tenant records it.
//!
//! A temporary administrator is a cloud-only user that `breakglass temp-user` creates for
//! an interactive emergency sign-in and that must disappear again. Its lease is written on
//! the user itself, in the same `POST /users` that creates it, so no such user ever exists
//! without a record of when it expires:
//!
//! * `employeeType` = `breakglass:temporary:<expiry>`, the expiry in RFC 3339 UTC with whole
//!   seconds (41 characters, within the property's 64). `employeeType` is a free-text
//!   property an app may write, and Microsoft Graph filters it with `startswith`, so
//!   `GET /users?$filter=startswith(employeeType,'breakglass:temporary:')` asks the tenant
//!   itself which users are temporary and when each one expires.
//! * `companyName` = `breakglass:operator:<operator>`, who made it (`app:<client id>` or
//!   `user:<object id>`), so each operator holds at most one lease at a time.
//!
//! Nothing here does I/O: TTL parsing and bounds, the marker format, extension limits and
//! the countdown's progress are pure and unit-tested.

use jiff::{SignedDuration, Timestamp};

/// The `employeeType` of a temporary administrator starts with this, followed by the expiry.
pub const MARKER_PREFIX: &str = "breakglass:temporary:";
/// The `companyName` of a temporary administrator starts with this, followed by the operator.
pub const OPERATOR_PREFIX: &str = "breakglass:operator:";
/// Entra's limit on `employeeType` and `companyName`.
pub const MAX_PROPERTY_LENGTH: usize = 64;

/// The shortest lease: time to sign in and do something.
pub const MIN_TTL: SignedDuration = SignedDuration::from_mins(5);
/// The longest lease, and the longest a temporary administrator may live in total, even
/// when extended.
pub const MAX_TTL: SignedDuration = SignedDuration::from_hours(8);
/// The shortest extension accepted.
pub const MIN_EXTENSION: SignedDuration = SignedDuration::from_mins(1);

/// Entra's bounds on a Temporary Access Pass's `lifetimeInMinutes`.
pub const TAP_MIN_MINUTES: i64 = 10;
pub const TAP_MAX_MINUTES: i64 = 43_200;

/// A duration that could not be read, or a lease length out of bounds.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("`{0}` is not a duration")]
    Malformed(String),
    #[error("a lease of {given} is shorter than the minimum of {min}")]
    TooShort { given: String, min: String },
    #[error("a lease of {given} is longer than the maximum of {max}")]
    TooLong { given: String, max: String },
}

impl DurationError {
    /// What to write instead.
    pub fn hint(&self) -> String {
        format!(
            "write the duration as 30m, 2h or 1h30m (units s, m, h); a lease lasts {} to {}",
            format_duration(MIN_TTL),
            format_duration(MAX_TTL)
        )
    }
}

/// Reads a duration such as `30m`, `2h`, `1h30m` or `90s`: one or more whole numbers, each
/// followed by a unit (`h`, `m`, `s`). Zero is not a duration.
pub fn parse_duration(text: &str) -> Result<SignedDuration, DurationError> {
    let malformed = || DurationError::Malformed(text.to_string());
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(malformed());
    }
    let mut total: i64 = 0;
    let mut digits = String::new();
    let mut last_unit_rank = usize::MAX;
    for c in trimmed.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let (seconds, rank) = match c.to_ascii_lowercase() {
            'h' => (3600, 3),
            'm' => (60, 2),
            's' => (1, 1),
            _ => return Err(malformed()),
        };
        // Units in falling order, each once: `1h30m`, not `30m1h` or `1m1m`.
        if digits.is_empty() || rank >= last_unit_rank {
            return Err(malformed());
        }
        last_unit_rank = rank;
        let value: i64 = digits.parse().map_err(|_| malformed())?;
        digits.clear();
        total = value
            .checked_mul(seconds)
            .and_then(|part| total.checked_add(part))
            .ok_or_else(malformed)?;
    }
    if !digits.is_empty() || total == 0 {
        return Err(malformed());
    }
    Ok(SignedDuration::from_secs(total))
}

/// Reads `--ttl` and checks it is between [`MIN_TTL`] and [`MAX_TTL`].
pub fn parse_ttl(text: &str) -> Result<SignedDuration, DurationError> {
    let ttl = parse_duration(text)?;
    if ttl < MIN_TTL {
        return Err(DurationError::TooShort {
            given: format_duration(ttl),
            min: format_duration(MIN_TTL),
        });
    }
    if ttl > MAX_TTL {
        return Err(DurationError::TooLong {
            given: format_duration(ttl),
            max: format_duration(MAX_TTL),
        });
    }
    Ok(ttl)
}

/// A duration for people: `1h30m`, `29m59s`, `45s`, `8h`.
pub fn format_duration(duration: SignedDuration) -> String {
    let total = duration.as_secs().max(0);
    let (hours, minutes, seconds) = (total / 3600, (total % 3600) / 60, total % 60);
    let mut out = String::new();
    if hours > 0 {
        out.push_str(&format!("{hours}h"));
    }
    if minutes > 0 {
        out.push_str(&format!("{minutes}m"));
    }
    if seconds > 0 || out.is_empty() {
        out.push_str(&format!("{seconds}s"));
    }
    out
}

/// A countdown clock: `29:59`, `7:59:59`.
pub fn format_clock(duration: SignedDuration) -> String {
    let total = duration.as_secs().max(0);
    let (hours, minutes, seconds) = (total / 3600, (total % 3600) / 60, total % 60);
    if hours > 0 {
        format!("{hours}:{minutes:02}:{seconds:02}")
    } else {
        format!("{minutes:02}:{seconds:02}")
    }
}

/// A timestamp as Graph writes them: RFC 3339 in UTC, whole seconds, `Z`.
pub fn format_timestamp(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The whole second at or before `at`.
pub fn whole_seconds(at: Timestamp) -> Timestamp {
    Timestamp::from_second(at.as_second()).unwrap_or(at)
}

/// The `employeeType` that records a lease ending at `expires`.
pub fn marker(expires: Timestamp) -> String {
    format!(
        "{MARKER_PREFIX}{}",
        format_timestamp(whole_seconds(expires))
    )
}

/// What a user's `employeeType` says about a lease.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Marker {
    /// Not a temporary administrator.
    None,
    /// A temporary administrator whose lease ends then.
    Expires(Timestamp),
    /// Marked temporary, but the expiry cannot be read (edited by hand?): treated as expired.
    Unreadable,
}

impl Marker {
    /// Reads an `employeeType` value.
    pub fn parse(employee_type: Option<&str>) -> Marker {
        let Some(value) = employee_type else {
            return Marker::None;
        };
        // Graph's `startswith` ignores case; so does this.
        let lower = value.to_ascii_lowercase();
        if !lower.starts_with(MARKER_PREFIX) {
            return Marker::None;
        }
        match value[MARKER_PREFIX.len()..].trim().parse::<Timestamp>() {
            Ok(at) => Marker::Expires(at),
            Err(_) => Marker::Unreadable,
        }
    }

    /// Whether this marks a temporary administrator at all.
    pub fn is_temporary(self) -> bool {
        self != Marker::None
    }

    /// The expiry, when readable.
    pub fn expires(self) -> Option<Timestamp> {
        match self {
            Marker::Expires(at) => Some(at),
            _ => None,
        }
    }

    /// Whether the lease is over at `now` (an unreadable marker counts as over).
    pub fn is_expired(self, now: Timestamp) -> bool {
        match self {
            Marker::None => false,
            Marker::Expires(at) => at <= now,
            Marker::Unreadable => true,
        }
    }
}

/// The `companyName` naming the operator who holds the lease, cut to Entra's 64 characters.
pub fn operator_tag(operator: &str) -> String {
    let mut tag = format!("{OPERATOR_PREFIX}{operator}");
    while tag.len() > MAX_PROPERTY_LENGTH {
        tag.pop();
    }
    tag
}

/// The operator named by a `companyName`, if breakglass wrote it.
pub fn operator_of(company_name: Option<&str>) -> Option<&str> {
    company_name?
        .strip_prefix(OPERATOR_PREFIX)
        .filter(|rest| !rest.is_empty())
}

/// The lifetime of a Temporary Access Pass for a lease of `ttl`: the TTL rounded up to
/// whole minutes, within Entra's 10 to 43200 minutes.
pub fn tap_lifetime_minutes(ttl: SignedDuration) -> i64 {
    let minutes = (ttl.as_secs().max(0) + 59) / 60;
    minutes.clamp(TAP_MIN_MINUTES, TAP_MAX_MINUTES)
}

/// Why a lease cannot be extended.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExtendError {
    #[error("an extension of {given} is shorter than the minimum of {min}")]
    TooShort { given: String, min: String },
    #[error("the lease already ended at {expired}")]
    Expired { expired: String },
    #[error(
        "the lease would end {requested}, more than {max} after the user was created ({created}); it can end at the latest {latest}"
    )]
    BeyondMaximum {
        requested: String,
        max: String,
        created: String,
        latest: String,
    },
}

/// The new expiry when a lease ending at `expires`, of a user created at `created`, is
/// extended by `by` at `now`. A lease lives at most [`MAX_TTL`] since creation.
pub fn extended_expiry(
    created: Timestamp,
    expires: Timestamp,
    by: SignedDuration,
    now: Timestamp,
) -> Result<Timestamp, ExtendError> {
    if by < MIN_EXTENSION {
        return Err(ExtendError::TooShort {
            given: format_duration(by),
            min: format_duration(MIN_EXTENSION),
        });
    }
    if expires <= now {
        return Err(ExtendError::Expired {
            expired: format_timestamp(expires),
        });
    }
    let latest = created.checked_add(MAX_TTL).unwrap_or(created);
    let requested = expires.checked_add(by).unwrap_or(expires);
    if requested > latest {
        return Err(ExtendError::BeyondMaximum {
            requested: format_timestamp(requested),
            max: format_duration(MAX_TTL),
            created: format_timestamp(created),
            latest: format_timestamp(whole_seconds(latest)),
        });
    }
    Ok(whole_seconds(requested))
}

/// Where a countdown stands: the bar shows `elapsed` of `total`, the text `remaining`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Seconds since the lease started, at most `total`.
    pub elapsed: u64,
    /// Seconds from start to expiry: the lease's whole length, extensions included.
    pub total: u64,
    /// Seconds left until expiry.
    pub remaining: u64,
}

impl Progress {
    /// The part of the lease used up, 0.0 to 1.0.
    pub fn fraction(&self) -> f64 {
        if self.total == 0 {
            1.0
        } else {
            self.elapsed as f64 / self.total as f64
        }
    }
}

/// Where a lease from `started` to `expires` stands at `now`. The bar fills from empty at
/// the start to full at expiry (elapsed / length), whatever the length; an extension
/// lengthens the bar instead of moving it backwards past what was used.
pub fn progress(started: Timestamp, expires: Timestamp, now: Timestamp) -> Progress {
    let seconds = |from: Timestamp, to: Timestamp| -> u64 {
        u64::try_from(to.as_second().saturating_sub(from.as_second())).unwrap_or(0)
    };
    let total = seconds(started, expires);
    let elapsed = seconds(started, now).min(total);
    Progress {
        elapsed,
        total,
        remaining: total - elapsed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().expect("a timestamp")
    }

    #[test]
    fn durations_are_read_with_units() {
        let secs = |text| parse_duration(text).map(|d| d.as_secs());
        assert_eq!(secs("30m"), Ok(1800));
        assert_eq!(secs("2h"), Ok(7200));
        assert_eq!(secs("1h30m"), Ok(5400));
        assert_eq!(secs("1H30M15S"), Ok(5415));
        assert_eq!(secs(" 90s "), Ok(90));
        for bad in [
            "", "abc", "30", "m", "30x", "1m1m", "30m1h", "0m", "-5m", "1.5h", "5 m",
        ] {
            assert!(
                matches!(parse_duration(bad), Err(DurationError::Malformed(_))),
                "{bad:?} should be refused"
            );
        }
        assert!(parse_duration("99999999999999999999h").is_err());
    }

    #[test]
    fn ttl_is_bounded_from_five_minutes_to_eight_hours() {
        assert_eq!(parse_ttl("5m").map(|d| d.as_secs()), Ok(300));
        assert_eq!(parse_ttl("8h").map(|d| d.as_secs()), Ok(28_800));
        let short = parse_ttl("2m").unwrap_err();
        assert_eq!(
            short.to_string(),
            "a lease of 2m is shorter than the minimum of 5m"
        );
        let long = parse_ttl("9h").unwrap_err();
        assert_eq!(
            long.to_string(),
            "a lease of 9h is longer than the maximum of 8h"
        );
        assert!(parse_ttl("8h1s").is_err());
        let bad = parse_ttl("abc").unwrap_err();
        assert_eq!(bad.to_string(), "`abc` is not a duration");
        assert!(bad.hint().contains("5m to 8h"), "{}", bad.hint());
    }

    #[test]
    fn durations_and_clocks_read_well() {
        assert_eq!(format_duration(SignedDuration::from_secs(5400)), "1h30m");
        assert_eq!(format_duration(SignedDuration::from_secs(1799)), "29m59s");
        assert_eq!(format_duration(SignedDuration::from_secs(0)), "0s");
        assert_eq!(format_clock(SignedDuration::from_secs(1799)), "29:59");
        assert_eq!(format_clock(SignedDuration::from_secs(28_799)), "7:59:59");
        assert_eq!(format_clock(SignedDuration::from_secs(-3)), "00:00");
    }

    #[test]
    fn the_marker_round_trips_and_fits_the_property() {
        let expires = at("2025-06-01T12:30:00.75Z");
        let text = marker(expires);
        assert_eq!(text, "breakglass:temporary:2025-06-01T12:30:00Z");
        assert!(text.len() <= MAX_PROPERTY_LENGTH);
        let parsed = Marker::parse(Some(&text));
        assert_eq!(parsed, Marker::Expires(at("2025-06-01T12:30:00Z")));
        assert!(parsed.is_temporary());
        assert!(!parsed.is_expired(at("2025-06-01T12:29:59Z")));
        assert!(parsed.is_expired(at("2025-06-01T12:30:00Z")));
        assert_eq!(Marker::parse(None), Marker::None);
        assert_eq!(
            Marker::parse(Some("breakglass:emergency-access")),
            Marker::None
        );
        assert_eq!(Marker::parse(Some("Employee")), Marker::None);
        let unreadable = Marker::parse(Some("breakglass:temporary:someday"));
        assert_eq!(unreadable, Marker::Unreadable);
        assert!(unreadable.is_expired(at("2000-01-01T00:00:00Z")));
    }

    #[test]
    fn the_operator_tag_fits_and_reads_back() {
        let tag = operator_tag("app:3fa85f64-5717-4562-b3fc-2c963f66afa6");
        assert_eq!(
            tag,
            "breakglass:operator:app:3fa85f64-5717-4562-b3fc-2c963f66afa6"
        );
        assert!(tag.len() <= MAX_PROPERTY_LENGTH);
        assert_eq!(
            operator_of(Some(&tag)),
            Some("app:3fa85f64-5717-4562-b3fc-2c963f66afa6")
        );
        assert_eq!(operator_tag(&"x".repeat(100)).len(), MAX_PROPERTY_LENGTH);
        assert_eq!(operator_of(Some("Contoso Ltd")), None);
        assert_eq!(operator_of(None), None);
    }

    #[test]
    fn the_pass_lives_as_long_as_the_lease_within_entra_bounds() {
        assert_eq!(tap_lifetime_minutes(SignedDuration::from_mins(30)), 30);
        assert_eq!(tap_lifetime_minutes(SignedDuration::from_mins(5)), 10);
        assert_eq!(tap_lifetime_minutes(SignedDuration::from_secs(601)), 11);
        assert_eq!(tap_lifetime_minutes(SignedDuration::from_hours(8)), 480);
        assert_eq!(
            tap_lifetime_minutes(SignedDuration::from_hours(1000)),
            43_200
        );
    }

    #[test]
    fn extensions_stay_within_eight_hours_of_creation() {
        let created = at("2025-06-01T12:00:00Z");
        let expires = at("2025-06-01T12:30:00Z");
        let now = at("2025-06-01T12:20:00Z");
        assert_eq!(
            extended_expiry(created, expires, SignedDuration::from_mins(15), now),
            Ok(at("2025-06-01T12:45:00Z"))
        );
        assert_eq!(
            extended_expiry(created, expires, SignedDuration::from_mins(450), now),
            Ok(at("2025-06-01T20:00:00Z"))
        );
        let too_far =
            extended_expiry(created, expires, SignedDuration::from_mins(451), now).unwrap_err();
        assert!(
            too_far
                .to_string()
                .contains("at the latest 2025-06-01T20:00:00Z"),
            "{too_far}"
        );
        assert!(matches!(
            extended_expiry(
                created,
                expires,
                SignedDuration::from_mins(15),
                at("2025-06-01T12:30:00Z")
            ),
            Err(ExtendError::Expired { .. })
        ));
        assert!(matches!(
            extended_expiry(created, expires, SignedDuration::from_secs(30), now),
            Err(ExtendError::TooShort { .. })
        ));
    }

    #[test]
    fn progress_is_elapsed_over_the_lease_length() {
        // The PowerShell this replaces counted i from 300 down to 1 and showed
        // (i / 60) * 100 percent: 500% at the start, rising past 100% as time was left.
        let start = at("2025-06-01T12:00:00Z");
        let expires = at("2025-06-01T12:05:00Z");
        let p = progress(start, expires, start);
        assert_eq!((p.elapsed, p.total, p.remaining), (0, 300, 300));
        assert_eq!(p.fraction(), 0.0);
        let p = progress(start, expires, at("2025-06-01T12:01:00Z"));
        assert_eq!((p.elapsed, p.remaining), (60, 240));
        assert!((p.fraction() - 0.2).abs() < 1e-9);
        let p = progress(start, expires, at("2025-06-01T12:09:00Z"));
        assert_eq!((p.elapsed, p.remaining), (300, 0));
        assert_eq!(p.fraction(), 1.0);
        // Before the start (a clock step backwards) the bar is empty, not negative.
        let p = progress(start, expires, at("2025-06-01T11:59:00Z"));
        assert_eq!((p.elapsed, p.remaining), (0, 300));
        // An extension lengthens the bar; what was used stays used.
        let p = progress(
            start,
            at("2025-06-01T12:10:00Z"),
            at("2025-06-01T12:04:00Z"),
        );
        assert_eq!((p.elapsed, p.total, p.remaining), (240, 600, 360));
        for now in 0..=300 {
            let p = progress(
                start,
                expires,
                Timestamp::from_second(start.as_second() + now).unwrap(),
            );
            assert!(p.fraction() >= 0.0 && p.fraction() <= 1.0);
            assert_eq!(p.elapsed + p.remaining, p.total);
        }
    }
}
