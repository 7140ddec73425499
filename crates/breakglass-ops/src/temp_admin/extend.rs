//! Lengthening a running lease: the new end goes into the user's lease marker (which a
//! running countdown follows) and the local lease file, within the longest life a temporary
//! administrator may have.

use breakglass_core::lease::{self as core_lease, Marker, format_duration, format_timestamp};
use breakglass_entra::GraphClient;
use breakglass_entra::graph::models::UserPatch;
use jiff::SignedDuration;
use serde::Serialize;

use crate::Progress;
use crate::error::{Error, ErrorKind, usage_error};
use crate::lease;

/// What `temp-user extend` reports.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Extended {
    pub user_id: String,
    pub user_principal_name: String,
    pub previous_expiry: String,
    pub expires: String,
    pub remaining_seconds: i64,
    pub local_lease_updated: bool,
}

/// Extends the lease of the temporary administrator `key` (object id or UPN) by `by`.
pub async fn extend(
    progress: &dyn Progress,
    graph: &GraphClient,
    key: &str,
    by: SignedDuration,
) -> Result<Extended, Error> {
    let (user, now) = lease::user_by_key(graph, key).await?;
    let Some(user) = user else {
        return Err(Error::new(
            ErrorKind::Service,
            format!("the tenant has no user `{}`", key),
        )
        .hinted("`breakglass temp-user list` shows the temporary administrators"));
    };
    let id = user.id.clone();
    let upn = user
        .user_principal_name
        .clone()
        .unwrap_or_else(|| id.clone());
    let expires = match Marker::parse(user.employee_type.as_deref()) {
        Marker::Expires(at) => at,
        Marker::None => {
            return Err(usage_error(format!(
                "{upn} is not a temporary administrator (its employeeType is not breakglass:temporary:…)"
            ))
            .hinted("`breakglass temp-user list` shows the temporary administrators"));
        }
        Marker::Unreadable => {
            return Err(Error::new(
                ErrorKind::Service,
                format!("the lease marker of {upn} cannot be read"),
            )
            .hinted("`breakglass sweep` treats it as expired and removes the user"));
        }
    };
    let created = user
        .created_date_time
        .as_deref()
        .and_then(|t| t.parse().ok())
        .unwrap_or(now);
    let new_expiry = core_lease::extended_expiry(created, expires, by, now).map_err(|err| {
        let error = usage_error(format!("cannot extend the lease of {upn}: {err}"));
        match err {
            core_lease::ExtendError::Expired { .. } => error.hinted(
                "an expired lease is not extended; `breakglass sweep` removes the user, and `breakglass temp-user` makes a new one",
            ),
            _ => error.hinted(format!(
                "a temporary administrator lives at most {} in all",
                format_duration(core_lease::MAX_TTL)
            )),
        }
    })?;
    graph
        .update_user(
            &id,
            &UserPatch {
                employee_type: Some(core_lease::marker(new_expiry)),
                ..UserPatch::default()
            },
        )
        .await?;
    let mut local_lease_updated = false;
    if let Some((_, mut local)) = lease::read_lease(&id)? {
        local.expires = new_expiry;
        match lease::write_lease(&local) {
            Ok(_) => local_lease_updated = true,
            Err(err) => progress.warn(&format!("the local lease file was not updated: {err}")),
        }
    }
    Ok(Extended {
        user_id: id,
        user_principal_name: upn,
        previous_expiry: format_timestamp(expires),
        expires: format_timestamp(new_expiry),
        remaining_seconds: new_expiry.duration_since(now).as_secs(),
        local_lease_updated,
    })
}
