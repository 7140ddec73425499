//! Sweeping: every temporary administrator whose lease is over goes, whoever made it and
//! whether or not its countdown still runs; the tenant's clock decides.

use std::collections::BTreeSet;
use std::path::PathBuf;

use breakglass_core::lease::{Marker, format_timestamp};
use breakglass_entra::GraphClient;
use jiff::Timestamp;
use serde::Serialize;

use crate::Progress;
use crate::error::{Error, ErrorKind};
use crate::lease::{self, OperatorIdentity, Step, TemporaryUser};
use crate::session::Session;

/// A temporary administrator sweep removed (or would remove).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Swept {
    pub user_id: String,
    pub user_principal_name: Option<String>,
    pub expires: Option<String>,
    /// `expired`, `markerUnreadable`, `alreadyDeleted` or `localLeaseExpired`.
    pub reason: &'static str,
    /// Empty with `--dry-run`.
    pub steps: Vec<Step>,
}

/// A temporary administrator whose lease runs on.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Kept {
    pub user_id: String,
    pub user_principal_name: Option<String>,
    pub expires: String,
    pub remaining_seconds: i64,
}

/// One that could not be removed.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Failed {
    pub user_id: String,
    pub user_principal_name: Option<String>,
    pub error: String,
}

/// What `sweep` reports.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SweepReport {
    pub tenant_time: String,
    pub dry_run: bool,
    pub removed: Vec<Swept>,
    pub kept: Vec<Kept>,
    pub failed: Vec<Failed>,
    /// Local lease files removed because their user is gone from the tenant.
    pub local_leases_removed: Vec<String>,
}

/// Removes (or with `dry_run` lists) every temporary administrator whose lease is over, the
/// ones already deleted, and local leases of users that are gone. One failure does not stop
/// the others: the report lists it, and the error says how many failed.
pub async fn sweep(
    progress: &dyn Progress,
    session: &Session,
    dry_run: bool,
) -> Result<(SweepReport, Option<Error>), Error> {
    let graph = &session.graph;
    let operator = lease::operator_identity(session)?;
    let ((live, now), deleted) = {
        let _busy = progress.busy("reading temporary administrators…");
        let live = lease::temporary_users(graph).await?;
        let deleted = lease::deleted_temporary_users(graph).await?;
        (live, deleted)
    };
    let mut found = Found::from_tenant(live, deleted, now);
    let stale = found.add_local_leases(graph, &operator, now).await?;
    let Found {
        candidates,
        mut kept,
        ..
    } = found;
    kept.sort_by_key(|k| k.remaining_seconds);

    let removal = remove_candidates(progress, graph, candidates, dry_run).await;
    let local_leases_removed = remove_stale_leases(progress, stale, dry_run);
    let failures = removal.failed.len();
    let report = SweepReport {
        tenant_time: format_timestamp(now),
        dry_run,
        removed: removal.removed,
        kept,
        failed: removal.failed,
        local_leases_removed,
    };
    Ok((report, sweep_error(removal.first_error, failures)))
}

/// What the tenant and the local leases say: what to remove and why, and what runs on.
struct Found {
    candidates: Vec<(TemporaryUser, &'static str)>,
    kept: Vec<Kept>,
    /// Lower-case ids of the users the tenant marks, live or deleted.
    known: BTreeSet<String>,
}

impl Found {
    fn from_tenant(live: Vec<TemporaryUser>, deleted: Vec<TemporaryUser>, now: Timestamp) -> Found {
        let mut found = Found {
            candidates: Vec::new(),
            kept: Vec::new(),
            known: BTreeSet::new(),
        };
        for user in live {
            found.known.insert(user.id.to_ascii_lowercase());
            match user.marker {
                Marker::Expires(at) if at > now => found.kept.push(Kept {
                    user_id: user.id.clone(),
                    user_principal_name: user.user_principal_name.clone(),
                    expires: format_timestamp(at),
                    remaining_seconds: at.duration_since(now).as_secs(),
                }),
                Marker::Expires(_) => found.candidates.push((user, "expired")),
                _ => found.candidates.push((user, "markerUnreadable")),
            }
        }
        for user in deleted {
            if found.known.insert(user.id.to_ascii_lowercase()) {
                found.candidates.push((user, "alreadyDeleted"));
            }
        }
        found
    }

    /// Local leases whose user the tenant no longer marks: a marker edited away, or gone.
    /// Returns the leases of users gone from the tenant, as (file, user id).
    async fn add_local_leases(
        &mut self,
        graph: &GraphClient,
        operator: &OperatorIdentity,
        now: Timestamp,
    ) -> Result<Vec<(PathBuf, String)>, Error> {
        let local = lease::read_leases()?;
        let mut stale = Vec::new();
        for (path, local_lease) in local {
            let same_tenant = local_lease.tenant_id.is_empty()
                || operator.tenant_id.is_empty()
                || local_lease
                    .tenant_id
                    .eq_ignore_ascii_case(&operator.tenant_id);
            if !same_tenant
                || self
                    .known
                    .contains(&local_lease.user_id.to_ascii_lowercase())
            {
                continue;
            }
            match lease::user_by_key(graph, &local_lease.user_id).await? {
                (None, _) => stale.push((path, local_lease.user_id)),
                (Some(_), _) if local_lease.expires <= now => self.candidates.push((
                    TemporaryUser {
                        id: local_lease.user_id.clone(),
                        user_principal_name: Some(local_lease.user_principal_name.clone()),
                        marker: Marker::Expires(local_lease.expires),
                        operator: Some(local_lease.operator.clone()),
                        created: Some(local_lease.created),
                        deleted: None,
                    },
                    "localLeaseExpired",
                )),
                (Some(_), _) => self.kept.push(Kept {
                    user_id: local_lease.user_id.clone(),
                    user_principal_name: Some(local_lease.user_principal_name.clone()),
                    expires: format_timestamp(local_lease.expires),
                    remaining_seconds: local_lease.expires.duration_since(now).as_secs(),
                }),
            }
        }
        Ok(stale)
    }
}

/// What removing the candidates came to.
struct Removal {
    removed: Vec<Swept>,
    failed: Vec<Failed>,
    first_error: Option<Error>,
}

async fn remove_candidates(
    progress: &dyn Progress,
    graph: &GraphClient,
    candidates: Vec<(TemporaryUser, &'static str)>,
    dry_run: bool,
) -> Removal {
    let mut removal = Removal {
        removed: Vec::new(),
        failed: Vec::new(),
        first_error: None,
    };
    for (user, reason) in candidates {
        let expires = user.marker.expires().map(format_timestamp);
        if dry_run {
            removal.removed.push(Swept {
                user_id: user.id.clone(),
                user_principal_name: user.user_principal_name.clone(),
                expires,
                reason,
                steps: Vec::new(),
            });
            continue;
        }
        progress.status(&format!(
            "removing {} ({})",
            user.label(),
            match user.marker.expires() {
                Some(at) => format!("lease ended {}", format_timestamp(at)),
                None => "lease unreadable".to_string(),
            }
        ));
        match lease::remove_user(progress, graph, &user.id, user.label()).await {
            Ok(steps) => {
                if let Err(err) = lease::remove_lease(&user.id) {
                    progress.warn(&format!("the local lease file was not removed: {err}"));
                }
                removal.removed.push(Swept {
                    user_id: user.id.clone(),
                    user_principal_name: user.user_principal_name.clone(),
                    expires,
                    reason,
                    steps,
                });
            }
            Err(err) => {
                removal.failed.push(Failed {
                    user_id: user.id.clone(),
                    user_principal_name: user.user_principal_name.clone(),
                    error: err.to_string(),
                });
                removal.first_error.get_or_insert(err);
            }
        }
    }
    removal
}

/// Removes the lease files of users gone from the tenant; returns the files removed (or,
/// with `dry_run`, to remove).
fn remove_stale_leases(
    progress: &dyn Progress,
    stale: Vec<(PathBuf, String)>,
    dry_run: bool,
) -> Vec<String> {
    let mut local_leases_removed = Vec::new();
    for (path, user_id) in stale {
        if !dry_run && let Err(err) = lease::remove_lease(&user_id) {
            progress.warn(&format!("could not remove {}: {err}", path.display()));
            continue;
        }
        local_leases_removed.push(path.display().to_string());
    }
    local_leases_removed
}

/// The error `sweep` returns: the only failure as it was, or how many failed.
fn sweep_error(first_error: Option<Error>, failures: usize) -> Option<Error> {
    match first_error {
        None => None,
        Some(err) if failures == 1 => Some(err),
        Some(err) => Some(
            Error::new(
                ErrorKind::Service,
                format!("could not remove {failures} temporary administrators; the first: {err}"),
            )
            .hinted("run `breakglass sweep` again; each step is idempotent"),
        ),
    }
}
