//! Enforcing app management policies when a credential is added: which restrictions bind an
//! application or service principal, and why one refuses a new secret or certificate. The
//! routes that read and change the policies are `graph::app_management`.

use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};
use serde_json::Value;

use crate::state::{DirObject, Kind, Tenant};

pub(crate) fn assigned_policy<'t>(tenant: &'t Tenant, object_id: &str) -> Option<&'t Value> {
    let (policy_id, _) = tenant
        .app_management
        .applies_to
        .iter()
        .find(|(_, id)| id == object_id)?;
    tenant
        .app_management
        .policies
        .iter()
        .find(|p| p.get("id").and_then(Value::as_str) == Some(policy_id.as_str()))
}

/// An ISO 8601 duration (`P90D`, `P1Y`, `PT12H`).
pub(crate) fn parse_duration(text: &str) -> Option<Span> {
    text.parse::<Span>().ok()
}

/// A credential being added, as the restrictions judge it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum NewCredential {
    Password { start: Timestamp, end: Timestamp },
    Certificate { start: Timestamp, end: Timestamp },
}

/// The restrictions that bind `object`: its assigned policy's when one is assigned (and
/// enabled), else the tenant default's for its kind when the default is enabled.
fn restrictions_for(tenant: &Tenant, object: &DirObject) -> Value {
    if let Some(policy) = assigned_policy(tenant, object.id()) {
        let enabled = policy
            .get("isEnabled")
            .and_then(Value::as_bool)
            .unwrap_or(true);
        return if enabled {
            policy.get("restrictions").cloned().unwrap_or(Value::Null)
        } else {
            Value::Null
        };
    }
    let default = &tenant.app_management.default_policy;
    if default.get("isEnabled").and_then(Value::as_bool) != Some(true) {
        return Value::Null;
    }
    let section = match object.kind {
        Kind::ServicePrincipal => "servicePrincipalRestrictions",
        _ => "applicationRestrictions",
    };
    default.get(section).cloned().unwrap_or(Value::Null)
}

/// Whether `restriction` is in force for an object created at `created`.
fn binds(restriction: &Value, created: Timestamp) -> bool {
    if restriction.get("state").and_then(Value::as_str) == Some("disabled") {
        return false;
    }
    match restriction
        .get("restrictForAppsCreatedAfterDateTime")
        .and_then(Value::as_str)
    {
        None => true,
        Some(after) => after
            .parse::<Timestamp>()
            .is_ok_and(|after| created > after),
    }
}

fn longer_than(start: Timestamp, end: Timestamp, max: &str) -> bool {
    let Some(span) = parse_duration(max) else {
        return false;
    };
    start
        .to_zoned(TimeZone::UTC)
        .checked_add(span)
        .is_ok_and(|limit| end > limit.timestamp())
}

/// Why the policy that binds `object` refuses `credential`, if it does.
pub(crate) fn refusal(
    tenant: &Tenant,
    object: &DirObject,
    credential: NewCredential,
) -> Option<String> {
    let restrictions = restrictions_for(tenant, object);
    let (list, start, end, addition, lifetime) = match credential {
        NewCredential::Password { start, end } => (
            "passwordCredentials",
            start,
            end,
            Some("passwordAddition"),
            "passwordLifetime",
        ),
        NewCredential::Certificate { start, end } => {
            ("keyCredentials", start, end, None, "asymmetricKeyLifetime")
        }
    };
    for restriction in restrictions
        .get(list)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|r| binds(r, object.created_at))
    {
        let kind = restriction
            .get("restrictionType")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if Some(kind) == addition {
            return Some(format!(
                "An app management policy forbids adding password credentials to this object (restriction {kind})."
            ));
        }
        let max = restriction
            .get("maxLifetime")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if kind == lifetime && longer_than(start, end, max) {
            return Some(format!(
                "An app management policy limits this credential's lifetime to {max} (restriction {kind})."
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn lifetimes_are_calendar_durations() {
        let start: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let year: Timestamp = "2027-01-01T00:00:00Z".parse().unwrap();
        assert!(!longer_than(start, year, "P1Y"));
        assert!(longer_than(start, year, "P364D"));
        assert!(!longer_than(start, year, "not a duration"));
        let restriction = json!({"restrictionType": "passwordAddition", "state": "enabled",
            "restrictForAppsCreatedAfterDateTime": "2025-01-01T00:00:00Z"});
        assert!(binds(&restriction, "2025-06-01T00:00:00Z".parse().unwrap()));
        assert!(!binds(
            &restriction,
            "2024-06-01T00:00:00Z".parse().unwrap()
        ));
        let mut off = restriction.clone();
        off["state"] = json!("disabled");
        assert!(!binds(&off, "2025-06-01T00:00:00Z".parse().unwrap()));
    }
}
