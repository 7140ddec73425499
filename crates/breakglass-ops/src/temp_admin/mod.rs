//! Making a temporary administrator: the user with its lease in the same request, the local
//! lease file, the pass and the role; any failure once the user exists removes it again.
//! [`sweep`] removes the ones whose lease is over.

pub mod sweep;

use std::path::PathBuf;
use std::time::Duration;

use breakglass_core::cloud::GraphVersion::V1;
use breakglass_core::lease::{self as core_lease, Marker, format_timestamp, whole_seconds};
use breakglass_core::roles::BuiltInRole;
use breakglass_entra::graph::models::{NewRoleAssignment, NewTemporaryAccessPass};
use breakglass_entra::graph::{ReplicationPolicy, odata_string, retry_while_replicating};
use breakglass_entra::{GraphClient, Query};
use jiff::{SignedDuration, Timestamp};
use secrecy::{ExposeSecret as _, SecretString};
use serde::{Serialize, Serializer};
use serde_json::{Value, json};

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

/// Creates the user with its lease, the local lease file, the pass and the role. Once the
/// user exists, any failure removes it again before the error is returned.
pub async fn create(
    progress: &dyn Progress,
    session: &Session,
    operator: &OperatorIdentity,
    request: &NewTemporaryAdmin,
    alias: &str,
) -> Result<Made, Error> {
    let (ttl, role) = (request.ttl, request.role);
    let graph = &session.graph;
    let (domains, date) = {
        let _busy = progress.busy("reading the tenant's domains…");
        graph
            .get_json_dated::<Value>(V1, "domains", &Query::new())
            .await?
    };
    let now = lease::tenant_time(date.as_deref());
    let skew = now.duration_since(Timestamp::now());
    let domain = domains
        .get("value")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|domain| domain.get("isInitial") == Some(&Value::Bool(true)))
        .and_then(|domain| domain.get("id").and_then(Value::as_str))
        .map(str::to_string)
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Service,
                "the tenant lists no initial *.onmicrosoft.com domain",
            )
            .hinted("check `breakglass tenant show`; the operator needs Domain.Read.All or Directory.Read.All")
        })?;

    if !request.allow_several {
        let (existing, _) = {
            let _busy = progress.busy("looking for this operator's temporary administrators…");
            lease::temporary_users(graph).await?
        };
        if let Some(held) = existing
            .iter()
            .find(|user| user.operator.as_deref() == Some(operator.id.as_str()))
        {
            let until = match held.marker {
                Marker::Expires(at) => format!("lease until {}", format_timestamp(at)),
                _ => "lease unreadable".to_string(),
            };
            return Err(usage_error(format!(
                "this operator already has a temporary administrator: {} ({until})",
                held.label()
            ))
            .hinted(format!(
                "use it, or extend it with `breakglass temp-user extend {} 15m`; `breakglass sweep` removes it once expired",
                held.label()
            ))
            .hinted("pass `--allow-several` to create another one anyway"));
        }
    }

    let expires = whole_seconds(now.checked_add(ttl).unwrap_or(now));
    let upn = format!("{alias}@{domain}");
    let password = crate::random::password();
    let body = json!({
        "accountEnabled": true,
        "displayName": format!("breakglass temporary administrator {}", alias.trim_start_matches("bg-temp-")),
        "mailNickname": alias,
        "userPrincipalName": upn,
        // The lease, in the same request: no temporary administrator exists without it.
        "employeeType": core_lease::marker(expires),
        "companyName": core_lease::operator_tag(&operator.id),
        "passwordProfile": {
            "forceChangePasswordNextSignIn": false,
            "password": password.expose_secret(),
        },
    });
    let created: Value = {
        let _busy = progress.busy(&format!("creating {upn}…"));
        match graph.post_json(V1, "users", &body).await {
            Ok(user) => user,
            Err(err) => {
                // The request may have reached the tenant even though the answer did not.
                drop(body);
                remove_by_alias(progress, graph, alias).await;
                return Err(err.into());
            }
        }
    };
    drop(body);
    let user_id = created
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let created_at = created
        .get("createdDateTime")
        .and_then(Value::as_str)
        .and_then(|t| t.parse::<Timestamp>().ok())
        .unwrap_or(now);
    progress.status(&format!(
        "  ✓ created {upn}, lease until {}",
        format_timestamp(expires)
    ));

    let lease = LeaseFile {
        version: 1,
        tenant_id: operator.tenant_id.clone(),
        user_id: user_id.clone(),
        user_principal_name: upn.clone(),
        role: role.display_name.to_string(),
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
    let finished = async {
        let lease_path = lease::write_lease(&lease)?;
        let pass = if request.tap {
            let request = NewTemporaryAccessPass {
                start_date_time: None,
                lifetime_in_minutes: u32::try_from(core_lease::tap_lifetime_minutes(ttl)).ok(),
                is_usable_once: Some(false),
            };
            let _busy = progress.busy("issuing a Temporary Access Pass…");
            let issued = retry_while_replicating(replication(), || {
                graph.create_temporary_access_pass(&user_id, &request)
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
        {
            let _busy = progress.busy(&format!("assigning {}…", role.display_name));
            let assignment =
                NewRoleAssignment::new(role.template_id.to_string(), user_id.clone(), "/");
            retry_while_replicating(replication(), || graph.create_role_assignment(&assignment))
                .await?;
        }
        progress.status(&format!(
            "  ✓ assigned {} (permanent, active, directory-wide)",
            role.display_name
        ));
        Ok::<_, Error>((lease_path, pass))
    }
    .await;
    let (lease_path, pass) = match finished {
        Ok(done) => done,
        Err(err) => {
            progress.warn(&format!(
                "could not finish setting up {upn}; removing it again"
            ));
            if let Err(cleanup) = lease::remove_user(progress, graph, &user_id, &upn).await {
                drop(cleanup);
                progress.warn(&format!(
                    "{upn} is still there; `breakglass sweep` removes it after {}",
                    format_timestamp(expires)
                ));
            } else {
                let _ = lease::remove_lease(&user_id);
            }
            return Err(err);
        }
    };
    let (password, temporary_access_pass) = match pass {
        Some(pass) => (None, Some(pass)),
        None => (Some(password), None),
    };
    let details = SignInDetails {
        user_id,
        user_principal_name: upn,
        password,
        temporary_access_pass,
        role: role.display_name.to_string(),
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

/// Best effort after an interruption or an unanswered create: removes any user with this
/// alias. Whatever it misses still carries its lease marker, so `sweep` removes it.
pub async fn remove_by_alias(progress: &dyn Progress, graph: &GraphClient, alias: &str) {
    let query = Query::new()
        .filter(format!("mailNickname eq {}", odata_string(alias)))
        .select(["id", "userPrincipalName"]);
    let users: Vec<Value> = match graph.list_all(V1, "users", &query).await {
        Ok(users) => users,
        Err(_) => {
            progress.warn(&format!(
                "could not check whether {alias} was created; `breakglass sweep` removes it once its lease ends"
            ));
            return;
        }
    };
    for user in users {
        let Some(id) = user.get("id").and_then(Value::as_str) else {
            continue;
        };
        let label = user
            .get("userPrincipalName")
            .and_then(Value::as_str)
            .unwrap_or(id);
        match lease::remove_user(progress, graph, id, label).await {
            Ok(_) => {
                let _ = lease::remove_lease(id);
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
