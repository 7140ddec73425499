//! Leases of temporary administrators, shared by `temp-user`, `temp-user list`,
//! `temp-user extend` and `sweep`.
//!
//! The tenant holds the truth: every temporary administrator carries its lease in
//! `employeeType` (`breakglass:temporary:<expiry>`) and its operator in `companyName`
//! (see [`breakglass_core::lease`]). A local lease file in the state folder repeats it for
//! the machine that made it (tenant, user, role, expiry, operator; never a secret), so
//! `temp-user list` can say which leases are this machine's and `sweep` can notice a
//! marker that was edited away.
//!
//! Expiry is judged by the tenant's clock, read from the `Date` header of Graph's
//! answers, so a machine whose clock is off neither sweeps too early nor too late.

use std::path::{Path, PathBuf};

use breakglass_core::lease::{self as core_lease, Marker};
use breakglass_core::roles;
use breakglass_entra::graph::models as graph;
use breakglass_entra::{EntraError, GraphClient, Query};
use futures::TryStreamExt as _;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Progress;
use crate::error::{Error, config_error, internal_error, usage_error};
use crate::session::Session;

/// Overrides the state folder (default `$XDG_STATE_HOME/breakglass` or
/// `~/.local/state/breakglass`).
pub const STATE_DIR_ENV: &str = "BREAKGLASS_STATE_DIR";

/// Reads `--ttl`: a usage error naming the bounds when it is malformed or out of bounds.
pub fn parse_ttl(text: &str) -> Result<SignedDuration, Error> {
    core_lease::parse_ttl(text).map_err(|err| {
        let hint = err.hint();
        usage_error(format!("invalid --ttl: {err}")).hinted(hint)
    })
}

// ----- who holds the lease -----

/// The operator as recorded on the lease: `app:<client id>` or `user:<object id>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OperatorIdentity {
    pub id: String,
    pub tenant_id: String,
}

/// Reads the operator from the session's token.
pub fn operator_identity(session: &Session) -> Result<OperatorIdentity, Error> {
    let claims = session.token.claims()?;
    let id = if claims.is_app_only() {
        claims.client_id().map(|id| format!("app:{id}"))
    } else {
        claims.oid.as_deref().map(|oid| format!("user:{oid}"))
    };
    let id = id.ok_or_else(|| {
        config_error("the access token names no application or user").hinted(
            "sign in as the operator app (AZURE_CLIENT_ID) or a person with `--auth device-code`",
        )
    })?;
    Ok(OperatorIdentity {
        id,
        tenant_id: claims.tid.unwrap_or_default(),
    })
}

// ----- the local lease files -----

/// A local record of a lease. Holds no secret.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeaseFile {
    pub version: u32,
    pub tenant_id: String,
    pub user_id: String,
    pub user_principal_name: String,
    pub role: String,
    /// `password` or `temporaryAccessPass`.
    pub sign_in: String,
    pub created: Timestamp,
    pub expires: Timestamp,
    /// `app:<client id>` or `user:<object id>`.
    pub operator: String,
}

/// The state folder: BREAKGLASS_STATE_DIR, else `$XDG_STATE_HOME/breakglass`, else
/// `~/.local/state/breakglass`.
pub fn state_dir() -> Result<PathBuf, Error> {
    let non_empty = |name: &str| {
        std::env::var_os(name)
            .filter(|value| !value.is_empty())
            .map(PathBuf::from)
    };
    if let Some(dir) = non_empty(STATE_DIR_ENV) {
        return Ok(dir);
    }
    if let Some(dir) = non_empty("XDG_STATE_HOME").filter(|dir| dir.is_absolute()) {
        return Ok(dir.join("breakglass"));
    }
    if let Some(home) = non_empty("HOME") {
        return Ok(home.join(".local").join("state").join("breakglass"));
    }
    Err(
        config_error("cannot tell where to keep lease files: HOME is not set")
            .hinted(format!("set {STATE_DIR_ENV} to a private folder")),
    )
}

/// The folder of the lease files.
pub fn leases_dir() -> Result<PathBuf, Error> {
    Ok(state_dir()?.join("leases"))
}

fn lease_path(dir: &Path, user_id: &str) -> Result<PathBuf, Error> {
    // Object ids are GUIDs; anything else must not become a path.
    let id = Uuid::parse_str(user_id)
        .map_err(|_| internal_error(format!("`{user_id}` is not an object id")))?;
    Ok(dir.join(format!("{id}.json")))
}

/// Writes a lease file atomically, mode 0600, in a 0700 folder; returns its path.
pub fn write_lease(lease: &LeaseFile) -> Result<PathBuf, Error> {
    let dir = leases_dir()?;
    create_private_dir(&dir)?;
    let path = lease_path(&dir, &lease.user_id)?;
    let mut bytes = serde_json::to_vec_pretty(lease)
        .map_err(|err| internal_error(format!("cannot encode the lease: {err}")))?;
    bytes.push(b'\n');
    breakglass_store::write_secret_file(&path, &bytes, breakglass_store::Overwrite::Replace)
        .map_err(|err| {
            let hint = err.hint();
            config_error(format!("cannot write the lease file: {err}"))
                .hinted(hint)
                .hinted(format!(
                    "or set {STATE_DIR_ENV} to a writable private folder"
                ))
        })?;
    Ok(path)
}

fn create_private_dir(dir: &Path) -> Result<(), Error> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|err| {
        config_error(format!("cannot create {}: {err}", dir.display()))
            .hinted(format!("set {STATE_DIR_ENV} to a writable private folder"))
    })
}

/// The lease file of a user, if this machine has one.
pub fn read_lease(user_id: &str) -> Result<Option<(PathBuf, LeaseFile)>, Error> {
    let path = lease_path(&leases_dir()?, user_id)?;
    match std::fs::read(&path) {
        Ok(bytes) => match serde_json::from_slice(&bytes) {
            Ok(lease) => Ok(Some((path, lease))),
            Err(_) => Ok(None),
        },
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(config_error(format!(
            "cannot read {}: {err}",
            path.display()
        ))),
    }
}

/// Every readable lease file with its path, soonest expiry first. Files that cannot be
/// read are skipped: they are no lease of breakglass's.
pub fn read_leases() -> Result<Vec<(PathBuf, LeaseFile)>, Error> {
    let dir = leases_dir()?;
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Vec::new());
        }
        Err(err) => {
            return Err(config_error(format!(
                "cannot read {}: {err}",
                dir.display()
            )));
        }
    };
    let mut leases = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        if let Some(lease) = std::fs::read(&path)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<LeaseFile>(&bytes).ok())
        {
            leases.push((path, lease));
        }
    }
    leases.sort_by_key(|(_, lease)| lease.expires);
    Ok(leases)
}

/// Removes a user's lease file; `false` when there was none.
pub fn remove_lease(user_id: &str) -> Result<bool, Error> {
    let path = lease_path(&leases_dir()?, user_id)?;
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(true),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(err) => Err(config_error(format!(
            "cannot remove {}: {err}",
            path.display()
        ))),
    }
}

// ----- the tenant's view -----

/// A temporary administrator as the tenant records it.
#[derive(Clone, Debug, PartialEq)]
pub struct TemporaryUser {
    pub id: String,
    pub user_principal_name: Option<String>,
    pub marker: Marker,
    /// The operator from `companyName`, when breakglass wrote it.
    pub operator: Option<String>,
    pub created: Option<Timestamp>,
    /// When it was deleted, for users in deleted items.
    pub deleted: Option<Timestamp>,
}

impl TemporaryUser {
    /// Reads a Graph user; `None` unless it carries the temporary marker.
    pub fn from_user(user: &graph::User) -> Option<TemporaryUser> {
        let marker = Marker::parse(user.employee_type.as_deref());
        if !marker.is_temporary() || user.id.is_empty() {
            return None;
        }
        let time = |t: &Option<String>| t.as_deref().and_then(|t| t.parse().ok());
        Some(TemporaryUser {
            id: user.id.clone(),
            user_principal_name: user.user_principal_name.clone(),
            marker,
            operator: core_lease::operator_of(user.company_name.as_deref()).map(str::to_string),
            created: time(&user.created_date_time),
            deleted: time(&user.deleted_date_time),
        })
    }

    /// The user principal name, or the id when Graph gave none.
    pub fn label(&self) -> &str {
        self.user_principal_name.as_deref().unwrap_or(&self.id)
    }
}

/// The tenant's time from a `Date` header; this machine's clock when there is none.
pub fn tenant_time(date: Option<&str>) -> Timestamp {
    date.and_then(|text| jiff::fmt::rfc2822::parse(text.trim()).ok())
        .map(|zoned| zoned.timestamp())
        .unwrap_or_else(Timestamp::now)
}

/// Every live temporary administrator, and the tenant's time.
pub async fn temporary_users(
    graph: &GraphClient,
) -> Result<(Vec<TemporaryUser>, Timestamp), Error> {
    let query = Query::temporary_users(core_lease::MARKER_PREFIX);
    let (users, date) = graph.users_dated(&query).await?;
    // The filter runs in the tenant; check again here, in case a service ignores it.
    let users = users.iter().filter_map(TemporaryUser::from_user).collect();
    Ok((users, tenant_time(date.as_deref())))
}

/// Every temporary administrator in deleted items (deleted, not yet purged).
pub async fn deleted_temporary_users(graph: &GraphClient) -> Result<Vec<TemporaryUser>, Error> {
    // Filtered here: deleted items filter on few properties.
    let query = Query::temporary_user_properties().top(999);
    let users = graph.deleted_users(&query).await?;
    Ok(users.iter().filter_map(TemporaryUser::from_user).collect())
}

/// A user by object id or UPN with the lease properties, and the tenant's time; `None`
/// when the tenant has no such (live) user.
pub async fn user_by_key(
    graph: &GraphClient,
    key: &str,
) -> Result<(Option<graph::User>, Timestamp), Error> {
    let query = Query::temporary_user_properties();
    match graph.user_dated(key, &query).await {
        Ok((user, date)) => Ok((Some(user), tenant_time(date.as_deref()))),
        Err(err) if is_not_found(&err) => Ok((None, Timestamp::now())),
        Err(err) => Err(err.into()),
    }
}

/// Whether Graph answered 404: the object is not (or no longer) there.
pub fn is_not_found(err: &EntraError) -> bool {
    err.graph().is_some_and(|graph| graph.status == 404)
}

// ----- removing a temporary administrator -----

/// How a removal step went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    Done,
    /// Nothing to do: 404, or nothing was there.
    AlreadyDone,
}

/// One confirmed step of removing a temporary administrator.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    /// `removeRoleAssignment`, `revokeSignInSessions`, `deleteUser` or `purgeDeletedUser`.
    pub step: &'static str,
    pub outcome: Outcome,
    pub detail: String,
}

impl Step {
    fn new(step: &'static str, outcome: Outcome, detail: impl Into<String>) -> Step {
        Step {
            step,
            outcome,
            detail: detail.into(),
        }
    }

    /// The step as a short line for the terminal and tables.
    pub fn line(&self) -> String {
        let mark = match self.outcome {
            Outcome::Done => "done",
            Outcome::AlreadyDone => "already done",
        };
        format!("{} ({mark})", self.detail)
    }
}

/// Removes a temporary administrator, each step idempotent and confirmed on stderr as it
/// completes: its role assignments first (Entra lets only a higher admin revoke or delete a
/// user who holds an admin role), then its sign-in sessions, then the user, then the user
/// from deleted items. A 404 means the step was already done.
pub async fn remove_user(
    progress: &dyn Progress,
    graph: &GraphClient,
    user_id: &str,
    label: &str,
) -> Result<Vec<Step>, Error> {
    let mut removal = Removal {
        progress,
        graph,
        user_id,
        label,
        steps: Vec::new(),
    };
    removal.remove_role_assignments().await?;
    removal.revoke_sign_in_sessions().await?;
    let deleted_now = removal.delete_user().await?;
    removal.purge_deleted_user(deleted_now).await?;
    Ok(removal.steps)
}

/// One removal under way, and the steps confirmed so far.
struct Removal<'a> {
    progress: &'a dyn Progress,
    graph: &'a GraphClient,
    user_id: &'a str,
    label: &'a str,
    steps: Vec<Step>,
}

impl Removal<'_> {
    fn confirm(&mut self, step: Step) {
        self.progress.status(&format!("  ✓ {}", step.line()));
        self.steps.push(step);
    }

    fn failed(&self, what: &str, err: EntraError) -> Error {
        self.progress
            .warn(&format!("could not {what} of {}", self.label));
        Error::from(err).hinted(
            "the user still carries its lease marker: run `breakglass sweep` to finish removing it",
        )
    }

    async fn remove_role_assignments(&mut self) -> Result<(), Error> {
        let assignments: Vec<breakglass_entra::graph::models::UnifiedRoleAssignment> = self
            .graph
            .role_assignments(&Query::assignments_of(self.user_id))
            .try_collect()
            .await
            .map_err(|err| self.failed("list the role assignments", err))?;
        if assignments.is_empty() {
            self.confirm(Step::new(
                "removeRoleAssignment",
                Outcome::AlreadyDone,
                "no directory role assignments left",
            ));
        }
        for assignment in assignments {
            let role = Uuid::parse_str(&assignment.role_definition_id)
                .ok()
                .and_then(roles::by_template_id)
                .map(|role| role.display_name.to_string())
                .unwrap_or_else(|| format!("role {}", assignment.role_definition_id));
            let outcome = match self.graph.delete_role_assignment(&assignment.id).await {
                Ok(()) => Outcome::Done,
                Err(err) if is_not_found(&err) => Outcome::AlreadyDone,
                Err(err) => return Err(self.failed("remove the role assignment", err)),
            };
            self.confirm(Step::new(
                "removeRoleAssignment",
                outcome,
                format!("removed the {role} role assignment"),
            ));
        }
        Ok(())
    }

    async fn revoke_sign_in_sessions(&mut self) -> Result<(), Error> {
        let outcome = match self.graph.revoke_sign_in_sessions(self.user_id).await {
            Ok(()) => Outcome::Done,
            Err(err) if is_not_found(&err) => Outcome::AlreadyDone,
            Err(err) => return Err(self.failed("revoke the sign-in sessions", err)),
        };
        self.confirm(Step::new(
            "revokeSignInSessions",
            outcome,
            "revoked the sign-in sessions",
        ));
        Ok(())
    }

    /// Whether this call deleted the user (rather than finding it gone).
    async fn delete_user(&mut self) -> Result<bool, Error> {
        let deleted_now = match self.graph.delete_user(self.user_id).await {
            Ok(()) => true,
            Err(err) if is_not_found(&err) => false,
            Err(err) => return Err(self.failed("delete the user", err)),
        };
        self.confirm(Step::new(
            "deleteUser",
            if deleted_now {
                Outcome::Done
            } else {
                Outcome::AlreadyDone
            },
            format!("deleted {}", self.label),
        ));
        Ok(deleted_now)
    }

    /// A user deleted a moment ago may take a little while to show in deleted items.
    async fn purge_deleted_user(&mut self, deleted_now: bool) -> Result<(), Error> {
        let mut delay = std::time::Duration::from_millis(500);
        let started = std::time::Instant::now();
        let outcome = loop {
            match self.graph.permanently_delete_item(self.user_id).await {
                Ok(()) => break Outcome::Done,
                Err(err) if is_not_found(&err) => {
                    if !deleted_now || started.elapsed() > std::time::Duration::from_secs(15) {
                        break Outcome::AlreadyDone;
                    }
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(std::time::Duration::from_secs(4));
                }
                Err(err) => return Err(self.failed("purge the user from deleted items", err)),
            }
        };
        self.confirm(Step::new(
            "purgeDeletedUser",
            outcome,
            "purged it from deleted items",
        ));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_users_are_read_from_their_marker() {
        let user: graph::User = serde_json::from_value(serde_json::json!({
            "id": "00000000-0000-0000-0000-000000000001",
            "userPrincipalName": "bg-temp-x@contoso.onmicrosoft.com",
            "employeeType": "breakglass:temporary:2025-06-01T12:30:00Z",
            "companyName": "breakglass:operator:app:abc",
            "createdDateTime": "2025-06-01T12:00:00Z",
        }))
        .unwrap();
        let parsed = TemporaryUser::from_user(&user).expect("temporary");
        assert_eq!(
            parsed.marker.expires(),
            Some("2025-06-01T12:30:00Z".parse().unwrap())
        );
        assert_eq!(parsed.operator.as_deref(), Some("app:abc"));
        assert_eq!(parsed.label(), "bg-temp-x@contoso.onmicrosoft.com");
        let other = graph::User {
            id: "x".into(),
            employee_type: Some("Employee".into()),
            ..graph::User::default()
        };
        assert!(TemporaryUser::from_user(&other).is_none());
    }

    #[test]
    fn the_tenant_clock_comes_from_the_date_header() {
        assert_eq!(
            tenant_time(Some("Sun, 01 Jun 2025 12:30:00 GMT")),
            "2025-06-01T12:30:00Z".parse::<Timestamp>().unwrap()
        );
        let now = Timestamp::now();
        assert!(tenant_time(Some("garbage")) >= now);
        assert!(tenant_time(None) >= now);
    }
}
