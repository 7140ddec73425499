//! Following a temporary administrator's lease while it runs: the tenant is read back in the
//! background (another shell may extend the lease, `sweep` or a person may remove the user),
//! and the countdown keeps to the tenant's clock rather than this machine's.
//!
//! The terminal side (the bar, Ctrl-C, the question) stays with the caller: it feeds every
//! [`Polled`] answer to [`LeaseClock::observe`] and says what each [`Seen`] means to a person.

use std::time::Duration;

use breakglass_core::lease::Marker;
use breakglass_entra::GraphClient;
use jiff::{SignedDuration, Timestamp};

use crate::lease::{self, LeaseFile};

/// How often the lease is read back from the tenant, to notice an extension.
pub const POLL_INTERVAL: Duration = Duration::from_secs(15);

/// A difference from the tenant's clock smaller than this is the jitter of whole-second
/// dates, not a clock that moved.
const CLOCK_JITTER: SignedDuration = SignedDuration::from_secs(2);

/// A user reported missing this many times in a row is gone; once could be replication.
const MISSING_POLLS_FOR_GONE: u32 = 2;

/// What one read of the tenant found.
#[derive(Clone, Debug)]
pub enum Polled {
    /// The user and its marker, with the tenant's time.
    Found(Marker, Timestamp),
    Missing,
    Failed(String),
}

/// Reads the lease back from the tenant every [`POLL_INTERVAL`] on a task of its own, so a
/// slow Graph never holds up the countdown. The task ends when the receiver is dropped.
pub fn spawn_poll(graph: GraphClient, user_id: String) -> tokio::sync::mpsc::Receiver<Polled> {
    let (sender, receiver) = tokio::sync::mpsc::channel(4);
    tokio::spawn(async move {
        let mut interval =
            tokio::time::interval_at(tokio::time::Instant::now() + POLL_INTERVAL, POLL_INTERVAL);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            let polled = match lease::user_by_key(&graph, &user_id).await {
                Ok((Some(user), now)) => {
                    Polled::Found(Marker::parse(user.employee_type.as_deref()), now)
                }
                Ok((None, _)) => Polled::Missing,
                Err(err) => Polled::Failed(err.to_string()),
            };
            if sender.send(polled).await.is_err() {
                return;
            }
        }
    });
    receiver
}

/// What an answer of the tenant changed, for the caller to tell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seen {
    /// The tenant answers again after failing.
    AnswersAgain,
    /// Someone moved the lease's end; `saved` is the local lease file's update.
    Moved {
        ends: Timestamp,
        extended: bool,
        saved: Result<(), String>,
    },
    /// The marker on the user was edited by hand (first time only); the lease keeps its end.
    MarkerChangedByHand,
    /// The tenant could not be read (first failure in a row only); the countdown goes on.
    PollFailed(String),
    /// The user is no longer in the tenant.
    Gone,
}

/// A running lease, kept on the tenant's clock.
#[derive(Debug)]
pub struct LeaseClock {
    pub lease: LeaseFile,
    /// The tenant's clock minus this machine's.
    skew: SignedDuration,
    missing_in_a_row: u32,
    poll_failing: bool,
    marker_warned: bool,
}

impl LeaseClock {
    pub fn new(lease: LeaseFile, skew: SignedDuration) -> LeaseClock {
        LeaseClock {
            lease,
            skew,
            missing_in_a_row: 0,
            poll_failing: false,
            marker_warned: false,
        }
    }

    /// The tenant's time now.
    pub fn now(&self) -> Timestamp {
        Timestamp::now()
            .checked_add(self.skew)
            .unwrap_or_else(|_| Timestamp::now())
    }

    /// Whether the lease has run out, by the tenant's clock.
    pub fn expired(&self) -> bool {
        self.now() >= self.lease.expires
    }

    /// How long until the lease runs out, by the tenant's clock.
    pub fn remaining(&self) -> SignedDuration {
        self.lease.expires.duration_since(self.now())
    }

    /// Takes in one answer of the tenant.
    pub fn observe(&mut self, polled: Polled) -> Vec<Seen> {
        let mut seen = Vec::new();
        match polled {
            Polled::Found(marker, tenant_now) => {
                self.missing_in_a_row = 0;
                if std::mem::take(&mut self.poll_failing) {
                    seen.push(Seen::AnswersAgain);
                }
                self.follow_clock(tenant_now);
                seen.extend(self.follow_marker(marker));
            }
            Polled::Missing => {
                self.missing_in_a_row += 1;
                if self.missing_in_a_row >= MISSING_POLLS_FOR_GONE {
                    seen.push(Seen::Gone);
                }
            }
            Polled::Failed(error) => {
                if !self.poll_failing {
                    self.poll_failing = true;
                    seen.push(Seen::PollFailed(error));
                }
            }
        }
        seen
    }

    fn follow_clock(&mut self, tenant_now: Timestamp) {
        let observed = tenant_now.duration_since(Timestamp::now());
        if (observed - self.skew).abs() > CLOCK_JITTER {
            self.skew = observed;
        }
    }

    fn follow_marker(&mut self, marker: Marker) -> Option<Seen> {
        match marker {
            Marker::Expires(at) if at != self.lease.expires => {
                let extended = at > self.lease.expires;
                self.lease.expires = at;
                let saved = lease::write_lease(&self.lease)
                    .map(|_| ())
                    .map_err(|err| err.to_string());
                Some(Seen::Moved {
                    ends: at,
                    extended,
                    saved,
                })
            }
            Marker::Expires(_) => None,
            Marker::None | Marker::Unreadable if !self.marker_warned => {
                self.marker_warned = true;
                Some(Seen::MarkerChangedByHand)
            }
            Marker::None | Marker::Unreadable => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clock() -> LeaseClock {
        let now = Timestamp::now();
        LeaseClock::new(
            LeaseFile {
                version: 1,
                tenant_id: "t1".into(),
                user_id: "u1".into(),
                user_principal_name: "bg-temp@contoso.test".into(),
                role: "Global Administrator".into(),
                sign_in: "password".into(),
                created: now,
                expires: now + SignedDuration::from_mins(30),
                operator: "app:a1".into(),
            },
            SignedDuration::ZERO,
        )
    }

    #[test]
    fn one_missing_answer_is_replication_two_are_gone() {
        let mut clock = clock();
        assert!(clock.observe(Polled::Missing).is_empty());
        let now = clock.now();
        assert!(
            clock
                .observe(Polled::Found(Marker::Expires(clock.lease.expires), now))
                .is_empty()
        );
        assert!(clock.observe(Polled::Missing).is_empty());
        assert_eq!(clock.observe(Polled::Missing), vec![Seen::Gone]);
    }

    #[test]
    fn failures_are_told_once_and_recovery_once() {
        let mut clock = clock();
        assert_eq!(
            clock.observe(Polled::Failed("503".into())),
            vec![Seen::PollFailed("503".into())]
        );
        assert!(clock.observe(Polled::Failed("503".into())).is_empty());
        let now = clock.now();
        let ends = clock.lease.expires;
        assert_eq!(
            clock.observe(Polled::Found(Marker::Expires(ends), now)),
            vec![Seen::AnswersAgain]
        );
    }

    #[test]
    fn a_hand_edited_marker_is_told_once_and_keeps_the_end() {
        let mut clock = clock();
        let ends = clock.lease.expires;
        let now = clock.now();
        assert_eq!(
            clock.observe(Polled::Found(Marker::Unreadable, now)),
            vec![Seen::MarkerChangedByHand]
        );
        assert!(clock.observe(Polled::Found(Marker::None, now)).is_empty());
        assert_eq!(clock.lease.expires, ends);
    }

    #[test]
    fn the_countdown_follows_the_tenants_clock() {
        let mut clock = clock();
        let ahead = Timestamp::now() + SignedDuration::from_mins(10);
        let ends = clock.lease.expires;
        clock.observe(Polled::Found(Marker::Expires(ends), ahead));
        let remaining = clock.remaining();
        assert!(
            remaining < SignedDuration::from_mins(21) && remaining > SignedDuration::from_mins(19),
            "{remaining:?}"
        );
    }
}
