//! Which failed requests to retry, and how long to wait: pure rules, no clock, no I/O.
//!
//! Microsoft Graph and the token endpoint throttle with `429` (and `503`/`504`) and a
//! `Retry-After` header; Microsoft's advice is to honour the header and to fall back to
//! exponential backoff when it is missing. Whether to retry is decided here from the status
//! code alone; the client applies the decision within a bounded time budget.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

/// The `Retry-After` value a server gave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryAfter {
    /// `Retry-After: 5`
    Delay(Duration),
    /// `Retry-After: Wed, 21 Oct 2015 07:28:00 GMT`
    Until(Timestamp),
}

impl RetryAfter {
    /// Parses a `Retry-After` header value: delay-seconds or an HTTP-date.
    /// Returns `None` for anything else (the caller then backs off on its own).
    pub fn parse(value: &str) -> Option<RetryAfter> {
        let value = value.trim();
        if value.is_empty() {
            return None;
        }
        if value.bytes().all(|b| b.is_ascii_digit()) {
            // Absurd values are capped by the caller's budget; saturate rather than fail.
            let seconds = value.parse::<u64>().unwrap_or(u64::MAX);
            return Some(RetryAfter::Delay(Duration::from_secs(seconds)));
        }
        jiff::fmt::rfc2822::DateTimeParser::new()
            .parse_timestamp(value)
            .ok()
            .map(RetryAfter::Until)
    }

    /// How long to wait from `now`; a date in the past means "now".
    pub fn delay_from(self, now: Timestamp) -> Duration {
        match self {
            RetryAfter::Delay(delay) => delay,
            RetryAfter::Until(when) => {
                let wait: SignedDuration = when.duration_since(now);
                Duration::try_from(wait).unwrap_or(Duration::ZERO)
            }
        }
    }
}

/// What to do with a response of a given status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryDecision {
    /// Success, or a failure that will not go away by asking again.
    DoNotRetry,
    /// Transient; the server said when to come back.
    RetryAfter(RetryAfter),
    /// Transient; wait by exponential backoff with jitter.
    Backoff,
}

impl RetryDecision {
    pub fn is_retry(self) -> bool {
        !matches!(self, RetryDecision::DoNotRetry)
    }
}

/// Statuses that mean "try again later".
///
/// * `429 Too Many Requests`, `503 Service Unavailable`, `504 Gateway Timeout`: throttling or
///   overload; `Retry-After` is honoured when present.
/// * `408 Request Timeout`, `500 Internal Server Error`, `502 Bad Gateway`: transient; backoff.
///   (A `Retry-After` sent with these is honoured too.)
///
/// Everything else, including `501 Not Implemented` and `505 HTTP Version Not Supported`,
/// will not change by retrying.
pub fn classify(status: u16, retry_after: Option<&str>) -> RetryDecision {
    match status {
        408 | 429 | 500 | 502 | 503 | 504 => match retry_after.and_then(RetryAfter::parse) {
            Some(after) => RetryDecision::RetryAfter(after),
            None => RetryDecision::Backoff,
        },
        _ => RetryDecision::DoNotRetry,
    }
}

/// Whether a status may be retried for a request that is not idempotent (a `POST` that
/// creates something): only when the server says it did not process the request.
pub fn retry_safe_for_non_idempotent(status: u16) -> bool {
    matches!(status, 429 | 503)
}

/// Exponential backoff parameters and the total time budget for one logical request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The longest time, from the first attempt, spent retrying before giving up.
    pub budget: Duration,
    /// The first backoff delay; doubled on each further attempt.
    pub base_delay: Duration,
    /// No single wait is longer than this (a longer `Retry-After` is still honoured if it
    /// fits in the budget).
    pub max_delay: Duration,
    /// Attempts at most, counting the first.
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            budget: Duration::from_secs(60),
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(16),
            max_attempts: 10,
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn none() -> Self {
        RetryPolicy {
            budget: Duration::ZERO,
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// The backoff before attempt `attempt + 1`, after `attempt` (≥ 1) failed attempts.
    /// `jitter` in `[0, 1)` chooses a point in the upper half of the window ("equal jitter"),
    /// so retries from many clients spread out but never collapse to zero.
    pub fn backoff(&self, attempt: u32, jitter: f64) -> Duration {
        let exponent = attempt.saturating_sub(1).min(20);
        let full = self
            .base_delay
            .saturating_mul(1u32 << exponent)
            .min(self.max_delay);
        let jitter = if jitter.is_finite() {
            jitter.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let half = full / 2;
        half + half.mul_f64(jitter)
    }

    /// The wait before the next attempt, or `None` when the budget or the attempt count
    /// does not allow one. `elapsed` is the time since the first attempt started.
    pub fn next_delay(
        &self,
        decision: RetryDecision,
        attempt: u32,
        elapsed: Duration,
        now: Timestamp,
        jitter: f64,
    ) -> Option<Duration> {
        let delay = match decision {
            RetryDecision::DoNotRetry => return None,
            RetryDecision::RetryAfter(after) => after.delay_from(now),
            RetryDecision::Backoff => self.backoff(attempt, jitter),
        };
        if attempt >= self.max_attempts {
            return None;
        }
        if elapsed.saturating_add(delay) > self.budget {
            return None;
        }
        Some(delay)
    }
}

/// Whether a Graph failure right after creating an object is probably replication delay
/// (the object exists but has not reached every replica yet), worth retrying for a while:
/// `404 Request_ResourceNotFound`, and `400` saying an app id "does not reference a valid
/// application object" (creating a service principal right after its application).
pub fn is_replication_delay(status: u16, code: &str, message: &str) -> bool {
    match status {
        404 => code.eq_ignore_ascii_case("Request_ResourceNotFound") || code.is_empty(),
        400 => message
            .to_ascii_lowercase()
            .contains("does not reference a valid application object"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_every_status_code() {
        for status in 100u16..=599 {
            let without = classify(status, None);
            let with_seconds = classify(status, Some("3"));
            match status {
                408 | 429 | 500 | 502 | 503 | 504 => {
                    assert_eq!(without, RetryDecision::Backoff, "{status}");
                    assert_eq!(
                        with_seconds,
                        RetryDecision::RetryAfter(RetryAfter::Delay(Duration::from_secs(3))),
                        "{status}"
                    );
                }
                _ => {
                    assert_eq!(without, RetryDecision::DoNotRetry, "{status}");
                    assert_eq!(with_seconds, RetryDecision::DoNotRetry, "{status}");
                    assert!(!without.is_retry());
                }
            }
            assert_eq!(
                retry_safe_for_non_idempotent(status),
                status == 429 || status == 503,
                "{status}"
            );
        }
    }

    #[test]
    fn retry_after_http_date() {
        let now: Timestamp = "2015-10-21T07:27:50Z".parse().unwrap();
        let after = RetryAfter::parse("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        assert_eq!(after.delay_from(now), Duration::from_secs(10));
        // A date in the past means retry now.
        let later: Timestamp = "2015-10-21T08:00:00Z".parse().unwrap();
        assert_eq!(after.delay_from(later), Duration::ZERO);
        assert_eq!(
            classify(429, Some("Wed, 21 Oct 2015 07:28:00 GMT")),
            RetryDecision::RetryAfter(after)
        );
    }

    #[test]
    fn retry_after_garbage_falls_back_to_backoff() {
        for bad in ["", "soon", "-1", "1.5"] {
            assert_eq!(RetryAfter::parse(bad), None, "{bad}");
            assert_eq!(classify(503, Some(bad)), RetryDecision::Backoff);
        }
        assert_eq!(
            RetryAfter::parse(" 0 "),
            Some(RetryAfter::Delay(Duration::ZERO))
        );
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let policy = RetryPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            ..RetryPolicy::default()
        };
        assert_eq!(policy.backoff(1, 0.0), Duration::from_millis(50));
        assert_eq!(policy.backoff(1, 1.0), Duration::from_millis(100));
        assert_eq!(policy.backoff(3, 1.0), Duration::from_millis(400));
        assert_eq!(policy.backoff(30, 1.0), Duration::from_millis(1000));
        assert!(policy.backoff(2, 0.5) >= Duration::from_millis(100));
    }

    #[test]
    fn next_delay_respects_budget_and_attempts() {
        let now = Timestamp::UNIX_EPOCH;
        let policy = RetryPolicy {
            budget: Duration::from_secs(10),
            max_attempts: 3,
            ..RetryPolicy::default()
        };
        let after = |s| RetryDecision::RetryAfter(RetryAfter::Delay(Duration::from_secs(s)));
        assert_eq!(
            policy.next_delay(after(2), 1, Duration::ZERO, now, 0.0),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            policy.next_delay(after(11), 1, Duration::ZERO, now, 0.0),
            None
        );
        assert_eq!(
            policy.next_delay(after(2), 1, Duration::from_secs(9), now, 0.0),
            None
        );
        assert_eq!(
            policy.next_delay(after(1), 3, Duration::ZERO, now, 0.0),
            None
        );
        assert_eq!(
            policy.next_delay(RetryDecision::DoNotRetry, 1, Duration::ZERO, now, 0.0),
            None
        );
        assert_eq!(
            RetryPolicy::none().next_delay(RetryDecision::Backoff, 1, Duration::ZERO, now, 0.0),
            None
        );
    }

    #[test]
    fn replication_delay_patterns() {
        assert!(is_replication_delay(
            404,
            "Request_ResourceNotFound",
            "Resource 'x' does not exist"
        ));
        assert!(is_replication_delay(
            400,
            "Request_BadRequest",
            "The appId 'abc' of the service principal does not reference a valid application object."
        ));
        assert!(!is_replication_delay(
            400,
            "Request_BadRequest",
            "Invalid value"
        ));
        assert!(!is_replication_delay(
            403,
            "Authorization_RequestDenied",
            ""
        ));
    }
}
