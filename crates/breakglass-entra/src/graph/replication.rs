//! Bounded retries for Entra's replication delay right after a create.

use std::future::Future;
use std::time::{Duration, Instant};

use crate::error::EntraError;

/// How long to keep retrying a request that fails because a fresh object has not
/// replicated yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplicationPolicy {
    /// Total time spent retrying.
    pub budget: Duration,
    pub initial_delay: Duration,
    pub max_delay: Duration,
}

impl Default for ReplicationPolicy {
    fn default() -> Self {
        ReplicationPolicy {
            budget: Duration::from_secs(120),
            initial_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(15),
        }
    }
}

/// Runs `operation`, retrying while it fails with `404 Request_ResourceNotFound` or `400 …
/// does not reference a valid application object`, with doubling delays, for at most
/// `policy.budget`. Other errors, and the last replication error, are returned as they are.
pub async fn retry_while_replicating<T, F, Fut>(
    policy: ReplicationPolicy,
    mut operation: F,
) -> Result<T, EntraError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, EntraError>>,
{
    let started = Instant::now();
    let mut delay = policy.initial_delay;
    loop {
        match operation().await {
            Ok(value) => return Ok(value),
            Err(err) => {
                let replicating = err.graph().is_some_and(|g| g.is_replication_delay());
                if !replicating || started.elapsed() + delay > policy.budget {
                    return Err(err);
                }
                tracing::debug!(?delay, "waiting for replication: {err}");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(policy.max_delay);
            }
        }
    }
}
