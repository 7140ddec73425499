//! Faults injected per route: latency, throttling above a request rate, failures,
//! dropped connections and replication delay.
//!
//! Rules are set at start or through `PUT /_sim/faults` and are deterministic:
//! "the next N matching requests" rather than probabilities, so tests are repeatable.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// One fault rule. A request matches when its method (if given) equals and its path
/// starts with `pathPrefix` (if given), e.g. `{"method":"POST","pathPrefix":"/v1.0/servicePrincipals"}`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultRule {
    #[serde(default)]
    pub method: Option<String>,
    #[serde(default)]
    pub path_prefix: Option<String>,
    /// Delay every matching request by this long.
    #[serde(default)]
    pub latency_ms: Option<u64>,
    /// Answer matching requests with this status (429, 500, 502, 503, 504, …).
    #[serde(default)]
    pub status: Option<u16>,
    /// `Retry-After` seconds sent with `status` or with rate limiting.
    #[serde(default)]
    pub retry_after_seconds: Option<u64>,
    /// Close the connection without an answer.
    #[serde(default)]
    pub drop_connection: bool,
    /// How many matching requests the status or drop applies to; unlimited when absent.
    #[serde(default)]
    pub times: Option<u32>,
    /// Throttle with 429 once more than this many matching requests arrive within `windowSeconds`.
    #[serde(default)]
    pub max_requests: Option<u32>,
    #[serde(default)]
    pub window_seconds: Option<u64>,
    /// New objects stay invisible to reads for this long after they are created.
    #[serde(default)]
    pub replication_delay_ms: Option<u64>,
    /// Carry out the n-th matching change (any method but GET and HEAD), then hold its
    /// answer until the rules are replaced: the client never learns the change happened,
    /// the worst moment to be killed.
    #[serde(default)]
    pub hold_nth_change: Option<u32>,
}

impl FaultRule {
    fn matches(&self, method: &str, path: &str) -> bool {
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && self
                .path_prefix
                .as_deref()
                .is_none_or(|prefix| path.starts_with(prefix))
    }
}

struct ActiveRule {
    rule: FaultRule,
    applied: u32,
    recent: VecDeque<Instant>,
}

/// What the transport should do with a request.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct FaultDecision {
    pub delay: Option<Duration>,
    pub drop_connection: bool,
    pub respond: Option<(u16, Option<u64>)>,
    /// Process the request, then hold the answer until the rules change.
    pub hold: bool,
}

struct HeldGuard<'a>(&'a std::sync::atomic::AtomicU32);

impl Drop for HeldGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

#[derive(Default)]
pub(crate) struct Faults {
    rules: Mutex<Vec<ActiveRule>>,
    /// Answers currently held back.
    held: std::sync::atomic::AtomicU32,
    /// Reads that did not see an object because of an injected replication delay.
    hidden_by_replication: std::sync::atomic::AtomicU32,
    released: tokio::sync::Notify,
}

impl Faults {
    pub fn replace(&self, rules: Vec<FaultRule>) {
        let mut active = self.rules.lock().unwrap_or_else(|p| p.into_inner());
        *active = rules
            .into_iter()
            .map(|rule| ActiveRule {
                rule,
                applied: 0,
                recent: VecDeque::new(),
            })
            .collect();
        drop(active);
        self.released.notify_waiters();
    }

    /// How many times each rule has acted (answered with its status, dropped a connection, or
    /// counted a change), in the order given; for tests that must see a fault fire.
    pub fn hits(&self) -> Vec<u32> {
        let active = self.rules.lock().unwrap_or_else(|p| p.into_inner());
        active.iter().map(|a| a.applied).collect()
    }

    /// Counts a read that an injected replication delay kept from seeing an object.
    pub fn note_hidden_by_replication(&self) {
        self.hidden_by_replication
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }

    /// How many reads a replication delay kept from seeing an object, since the start.
    pub fn hidden_by_replication(&self) -> u32 {
        self.hidden_by_replication
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// How many answers are held back right now.
    pub fn held(&self) -> u32 {
        self.held.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Waits, counted as held, until the rules are replaced.
    pub async fn hold(&self) {
        let released = self.released.notified();
        self.held.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        // Counted down however the wait ends: released, or dropped with its connection
        // when the client is killed.
        let _counted = HeldGuard(&self.held);
        released.await;
    }

    pub fn list(&self) -> Vec<FaultRule> {
        let active = self.rules.lock().unwrap_or_else(|p| p.into_inner());
        active.iter().map(|a| a.rule.clone()).collect()
    }

    /// The longest replication delay any rule matching this request asks for.
    pub fn replication_delay(&self, method: &str, path: &str) -> Option<Duration> {
        let active = self.rules.lock().unwrap_or_else(|p| p.into_inner());
        active
            .iter()
            .filter(|a| a.rule.matches(method, path))
            .filter_map(|a| a.rule.replication_delay_ms)
            .max()
            .map(Duration::from_millis)
    }

    pub fn decide(&self, method: &str, path: &str) -> FaultDecision {
        let mut decision = FaultDecision::default();
        let now = Instant::now();
        let mut active = self.rules.lock().unwrap_or_else(|p| p.into_inner());
        let change = !matches!(method, "GET" | "HEAD");
        for entry in active.iter_mut().filter(|a| a.rule.matches(method, path)) {
            if let Some(n) = entry.rule.hold_nth_change {
                if change {
                    entry.applied += 1;
                    decision.hold |= entry.applied == n;
                }
                continue;
            }
            if let Some(ms) = entry.rule.latency_ms {
                decision.delay =
                    Some(decision.delay.unwrap_or_default() + Duration::from_millis(ms));
            }
            if let (Some(max), Some(window)) = (entry.rule.max_requests, entry.rule.window_seconds)
            {
                let window = Duration::from_secs(window.max(1));
                while entry
                    .recent
                    .front()
                    .is_some_and(|t| now.duration_since(*t) > window)
                {
                    entry.recent.pop_front();
                }
                entry.recent.push_back(now);
                if entry.recent.len() > max as usize && decision.respond.is_none() {
                    let retry_after = entry.rule.retry_after_seconds.unwrap_or(window.as_secs());
                    decision.respond = Some((429, Some(retry_after)));
                }
            }
            let has_budget = entry.rule.times.is_none_or(|times| entry.applied < times);
            let one_shot = entry.rule.drop_connection || entry.rule.status.is_some();
            if one_shot && has_budget && decision.respond.is_none() && !decision.drop_connection {
                entry.applied += 1;
                if entry.rule.drop_connection {
                    decision.drop_connection = true;
                } else if let Some(status) = entry.rule.status {
                    decision.respond = Some((status, entry.rule.retry_after_seconds));
                }
            }
        }
        decision
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_applies_the_given_number_of_times() {
        let faults = Faults::default();
        faults.replace(vec![FaultRule {
            path_prefix: Some("/v1.0/users".into()),
            status: Some(503),
            retry_after_seconds: Some(1),
            times: Some(2),
            ..FaultRule::default()
        }]);
        assert_eq!(
            faults.decide("GET", "/v1.0/users").respond,
            Some((503, Some(1)))
        );
        assert_eq!(faults.decide("GET", "/v1.0/applications").respond, None);
        assert_eq!(
            faults.decide("GET", "/v1.0/users/x").respond,
            Some((503, Some(1)))
        );
        assert_eq!(faults.decide("GET", "/v1.0/users").respond, None);
    }

    #[test]
    fn rate_limit_throttles_above_the_rate() {
        let faults = Faults::default();
        faults.replace(vec![FaultRule {
            max_requests: Some(3),
            window_seconds: Some(60),
            retry_after_seconds: Some(2),
            ..FaultRule::default()
        }]);
        for _ in 0..3 {
            assert_eq!(faults.decide("GET", "/v1.0/users").respond, None);
        }
        assert_eq!(
            faults.decide("GET", "/v1.0/users").respond,
            Some((429, Some(2)))
        );
    }

    #[test]
    fn the_nth_change_is_held() {
        let faults = Faults::default();
        faults.replace(vec![FaultRule {
            path_prefix: Some("/v1.0/".into()),
            hold_nth_change: Some(2),
            ..FaultRule::default()
        }]);
        assert!(!faults.decide("POST", "/v1.0/applications").hold);
        assert!(!faults.decide("GET", "/v1.0/applications").hold);
        assert!(faults.decide("PATCH", "/v1.0/applications/x").hold);
        assert!(!faults.decide("DELETE", "/v1.0/applications/x").hold);
    }
}
