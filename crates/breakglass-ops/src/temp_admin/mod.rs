//! Making a temporary administrator: the user with its lease in the same request, the local
//! lease file, the pass and the role; any failure once the user exists removes it again.
//! [`sweep`] removes the ones whose lease is over.

pub mod countdown;
mod end;
mod extend;
mod list;
mod pass;
pub mod sweep;

pub use end::{EndReason, Ended, discard, end};
pub use extend::{Extended, extend};
pub use list::{LeaseList, LeaseRecord, list};

use std::path::PathBuf;
use std::time::Duration;

use breakglass_core::lease::{self as core_lease, Marker, format_timestamp, whole_seconds};
use breakglass_core::pass_policy::PassTerms;
use breakglass_core::roles::BuiltInRole;
use breakglass_entra::graph::models::{
    self as graph, NewRoleAssignment, NewTemporaryAccessPass, NewUser, PasswordProfile,
};
use breakglass_entra::graph::{ReplicationPolicy, retry_while_replicating};
use breakglass_entra::{GraphClient, Query};
use futures::TryStreamExt as _;
use jiff::{SignedDuration, Timestamp};
use secrecy::{ExposeSecret as _, SecretString};
use serde::{Serialize, Serializer};

use crate::Progress;
use crate::error::{Error, ErrorKind, usage_error};
use crate::lease::{self, LeaseFile, OperatorIdentity};
use crate::session::Session;

/// What the person asked for.
#[derive(Clone, Copy, Debug)]
pub struct NewTemporaryAdmin {
    pub ttl: SignedDuration,
    pub role: BuiltInRole,
    /// Sign in with a Temporary Access Pass instead of a password.
    pub tap: bool,
    /// Allow another while this operator already holds one.
    pub allow_several: bool,
    /// The countdown is left to `sweep`.
    pub detach: bool,
}

/// A new user's alias: `bg-temp-` and the random part every breakglass user name has.
pub fn random_alias() -> String {
    format!("bg-temp-{}", crate::random::name_suffix())
}

/// The sign-in details, shown once.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SignInDetails {
    pub user_id: String,
    pub user_principal_name: String,
    #[serde(
        serialize_with = "expose_secret",
        skip_serializing_if = "Option::is_none"
    )]
    pub password: Option<SecretString>,
    #[serde(
        serialize_with = "expose_secret",
        skip_serializing_if = "Option::is_none"
    )]
    pub temporary_access_pass: Option<SecretString>,
    pub role: String,
    pub created: String,
    pub expires: String,
    pub ttl_seconds: i64,
    pub lease_file: String,
    pub detached: bool,
}

/// The one place a secret is serialized: the sign-in details, on stdout, once.
fn expose_secret<S: Serializer>(
    secret: &Option<SecretString>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match secret {
        Some(secret) => serializer.serialize_str(secret.expose_secret()),
        None => serializer.serialize_none(),
    }
}

/// A fresh user may take a moment to replicate before it can get a role or a pass.
fn replication() -> ReplicationPolicy {
    ReplicationPolicy {
        budget: Duration::from_secs(60),
        initial_delay: Duration::from_millis(500),
        max_delay: Duration::from_secs(8),
    }
}

/// A created temporary administrator.
pub struct Made {
    pub lease: LeaseFile,
    pub lease_path: PathBuf,
    pub details: SignInDetails,
    /// The tenant's clock minus this machine's.
    pub skew: SignedDuration,
}

/// The tenant's initial domain, and its clock (from the answer's `Date`).
async fn initial_domain_and_time(
    progress: &dyn Progress,
    graph: &GraphClient,
) -> Result<(String, Timestamp), Error> {
    let (domains, date) = {
        let _busy = progress.busy("reading the tenant's domains…");
        graph.domains_dated().await?
    };
    let domain = domains
        .into_iter()
        .find(|domain| domain.is_initial == Some(true))
        .map(|domain| domain.id)
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Service,
                "the tenant lists no initial *.onmicrosoft.com domain",
            )
            .hinted("check `breakglass tenant show`; the operator needs Domain.Read.All or Directory.Read.All")
        })?;
    Ok((domain, lease::tenant_time(date.as_deref())))
}

/// Refuses a second temporary administrator for the same operator.
async fn refuse_a_second(
    progress: &dyn Progress,
    graph: &GraphClient,
    operator: &OperatorIdentity,
) -> Result<(), Error> {
    let (existing, _) = {
        let _busy = progress.busy("looking for this operator's temporary administrators…");
        lease::temporary_users(graph).await?
    };
    let Some(held) = existing
        .iter()
        .find(|user| user.operator.as_deref() == Some(operator.id.as_str()))
    else {
        return Ok(());
    };
    let until = match held.marker {
        Marker::Expires(at) => format!("lease until {}", format_timestamp(at)),
        _ => "lease unreadable".to_string(),
    };
    Err(usage_error(format!(
        "this operator already has a temporary administrator: {} ({until})",
        held.label()
    ))
    .hinted(format!(
        "use it, or extend it with `breakglass temp-user extend {} 15m`; `breakglass sweep` removes it once expired",
        held.label()
    ))
    .hinted("pass `--allow-several` to create another one anyway"))
}

/// Creates the user with its lease and operator in the same request: no temporary
/// administrator exists without them. An unanswered request may still have reached the
/// tenant, so a failure removes any user with the alias.
async fn create_user(
    progress: &dyn Progress,
    graph: &GraphClient,
    operator: &OperatorIdentity,
    alias: &str,
    upn: &str,
    expires: Timestamp,
    password: &SecretString,
) -> Result<graph::User, Error> {
    let user = NewUser {
        account_enabled: true,
        display_name: format!(
            "breakglass temporary administrator {}",
            alias.trim_start_matches("bg-temp-")
        ),
        mail_nickname: alias.to_string(),
        user_principal_name: upn.to_string(),
        password_profile: PasswordProfile {
            password: password.clone(),
            force_change_password_next_sign_in: false,
        },
        usage_location: None,
        employee_type: Some(core_lease::marker(expires)),
        company_name: Some(core_lease::operator_tag(&operator.id)),
    };
    let _busy = progress.busy(&format!("creating {upn}…"));
    match graph.create_user(&user).await {
        Ok(created) => Ok(created),
        Err(err) => {
            drop(user);
            remove_by_alias(progress, graph, alias).await;
            Err(err.into())
        }
    }
}

/// The pass (when asked for) and the role, once the lease file is written.
async fn finish_setup(
    progress: &dyn Progress,
    graph: &GraphClient,
    request: &NewTemporaryAdmin,
    pass_terms: Option<PassTerms>,
    lease: &LeaseFile,
) -> Result<(PathBuf, Option<SecretString>), Error> {
    let lease_path = lease::write_lease(lease)?;
    let user_id = &lease.user_id;
    let pass = if let Some(terms) = pass_terms {
        let pass = NewTemporaryAccessPass {
            start_date_time: None,
            lifetime_in_minutes: u32::try_from(terms.minutes).ok(),
            is_usable_once: Some(terms.usable_once),
        };
        let _busy = progress.busy("issuing a Temporary Access Pass…");
        let issued = retry_while_replicating(replication(), || {
            graph.create_temporary_access_pass(user_id, &pass)
        })
        .await?;
        let secret = issued.temporary_access_pass.ok_or_else(|| {
            Error::new(
                ErrorKind::Service,
                "the tenant issued a Temporary Access Pass but did not return it",
            )
        })?;
        progress.status("  ✓ issued a Temporary Access Pass");
        Some(secret)
    } else {
        None
    };
    let role = request.role;
    {
        let _busy = progress.busy(&format!("assigning {}…", role.display_name));
        let assignment = NewRoleAssignment::new(role.template_id.to_string(), user_id.clone(), "/");
        retry_while_replicating(replication(), || graph.create_role_assignment(&assignment))
            .await?;
    }
    progress.status(&format!(
        "  ✓ assigned {} (permanent, active, directory-wide)",
        role.display_name
    ));
    Ok((lease_path, pass))
}

/// Creates the user with its lease, the local lease file, the pass and the role. Once the
/// user exists, any failure removes it again before the error is returned.
pub async fn create(
    progress: &dyn Progress,
    session: &Session,
    operator: &OperatorIdentity,
    request: &NewTemporaryAdmin,
    alias: &str,
) -> Result<Made, Error> {
    let graph = &session.graph;
    let (domain, now) = initial_domain_and_time(progress, graph).await?;
    let skew = now.duration_since(Timestamp::now());
    if !request.allow_several {
        refuse_a_second(progress, graph, operator).await?;
    }
    let pass_terms = if request.tap {
        Some(pass::terms_for_lease(progress, graph, request.ttl).await?)
    } else {
        None
    };
    let expires = whole_seconds(now.checked_add(request.ttl).unwrap_or(now));
    let upn = format!("{alias}@{domain}");
    let password = crate::random::password();
    let created = create_user(progress, graph, operator, alias, &upn, expires, &password).await?;
    let created_at = created
        .created_date_time
        .as_deref()
        .and_then(|t| t.parse::<Timestamp>().ok())
        .unwrap_or(now);
    progress.status(&format!(
        "  ✓ created {upn}, lease until {}",
        format_timestamp(expires)
    ));
    let lease = LeaseFile {
        version: 1,
        tenant_id: operator.tenant_id.clone(),
        user_id: created.id.clone(),
        user_principal_name: upn.clone(),
        role: request.role.display_name.to_string(),
        sign_in: if request.tap {
            "temporaryAccessPass"
        } else {
            "password"
        }
        .to_string(),
        created: created_at,
        expires,
        operator: operator.id.clone(),
    };
    let (lease_path, pass) = match finish_setup(progress, graph, request, pass_terms, &lease).await
    {
        Ok(done) => done,
        Err(err) => {
            remove_after_failure(progress, graph, &lease).await;
            return Err(err);
        }
    };
    let (password, temporary_access_pass) = match pass {
        Some(pass) => (None, Some(pass)),
        None => (Some(password), None),
    };
    let details = SignInDetails {
        user_id: created.id,
        user_principal_name: upn,
        password,
        temporary_access_pass,
        role: request.role.display_name.to_string(),
        created: format_timestamp(created_at),
        expires: format_timestamp(expires),
        ttl_seconds: expires.duration_since(now).as_secs(),
        lease_file: lease_path.display().to_string(),
        detached: request.detach,
    };
    Ok(Made {
        lease,
        lease_path,
        details,
        skew,
    })
}

/// Removes a user whose setup failed; what it cannot remove keeps its lease for `sweep`.
async fn remove_after_failure(progress: &dyn Progress, graph: &GraphClient, lease: &LeaseFile) {
    let upn = &lease.user_principal_name;
    progress.warn(&format!(
        "could not finish setting up {upn}; removing it again"
    ));
    if lease::remove_user(progress, graph, &lease.user_id, upn)
        .await
        .is_err()
    {
        progress.warn(&format!(
            "{upn} is still there; `breakglass sweep` removes it after {}",
            format_timestamp(lease.expires)
        ));
    } else {
        let _ = lease::remove_lease(&lease.user_id);
    }
}

/// Best effort after an interruption or an unanswered create: removes any user with this
/// alias. Whatever it misses still carries its lease marker, so `sweep` removes it.
pub async fn remove_by_alias(progress: &dyn Progress, graph: &GraphClient, alias: &str) {
    let query = Query::users_with_alias(alias);
    let users: Vec<graph::User> = match graph.users(&query).try_collect().await {
        Ok(users) => users,
        Err(_) => {
            progress.warn(&format!(
                "could not check whether {alias} was created; `breakglass sweep` removes it once its lease ends"
            ));
            return;
        }
    };
    for user in users.into_iter().filter(|u| !u.id.is_empty()) {
        let label = user.user_principal_name.as_deref().unwrap_or(&user.id);
        match lease::remove_user(progress, graph, &user.id, label).await {
            Ok(_) => {
                let _ = lease::remove_lease(&user.id);
            }
            Err(_) => progress.warn(&format!(
                "{label} is still there; `breakglass sweep` removes it once its lease ends"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_are_marked_and_random() {
        let alias = random_alias();
        assert!(
            alias.starts_with("bg-temp-") && alias.len() == 18,
            "{alias}"
        );
        assert_ne!(alias, random_alias());
    }
}
