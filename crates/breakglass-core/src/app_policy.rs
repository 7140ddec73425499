//! App management policies and the emergency app's declared credentials: which credential the
//! policy that binds the app would refuse, and why.
//!
//! An app follows the custom policy assigned to it, or else the tenant default when that is
//! enabled (Graph `appManagementPolicy`, `tenantAppManagementPolicy`). A restriction binds apps
//! created after its `restrictForAppsCreatedAfterDateTime`, every app when that is absent, and
//! none when its `state` is `disabled`. The ones that can stop breakglass: `passwordAddition`
//! (no new client secrets), `passwordLifetime` and `asymmetricKeyLifetime` (a longest lifetime
//! for secrets and certificates, as an ISO 8601 duration).

use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};
use serde::Serialize;

use crate::config::{CredentialKind, CredentialPolicy};

/// One credential restriction as the policy states it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Restriction {
    /// `passwordAddition`, `passwordLifetime`, `asymmetricKeyLifetime`, …
    pub restriction_type: String,
    /// `enabled` or `disabled`; absent means enabled.
    pub state: Option<String>,
    /// An ISO 8601 duration, for lifetime restrictions.
    pub max_lifetime: Option<String>,
    pub restrict_for_apps_created_after: Option<Timestamp>,
}

impl Restriction {
    /// Whether it binds an app created at `created` (an app not created yet binds, since it
    /// will be created after any date in the past).
    pub fn binds(&self, created: Option<Timestamp>) -> bool {
        if self.state.as_deref() == Some("disabled") {
            return false;
        }
        match (self.restrict_for_apps_created_after, created) {
            (None, _) | (Some(_), None) => true,
            (Some(after), Some(created)) => created > after,
        }
    }
}

/// Where the restrictions come from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum PolicySource {
    /// The tenant default (`/policies/defaultAppManagementPolicy`).
    #[default]
    TenantDefault,
    /// A custom policy assigned to the app.
    Assigned { id: String, display_name: String },
}

impl PolicySource {
    pub fn describe(&self) -> String {
        match self {
            PolicySource::TenantDefault => "the tenant's default app management policy".into(),
            PolicySource::Assigned { display_name, .. } => {
                format!("the app management policy \"{display_name}\" assigned to the app")
            }
        }
    }
}

/// The restrictions that bind the emergency app.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EffectivePolicy {
    pub source: PolicySource,
    /// Whether the policy is enabled at all.
    pub enabled: bool,
    pub password_credentials: Vec<Restriction>,
    pub key_credentials: Vec<Restriction>,
}

/// A declared credential the policy would refuse.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Blocked {
    pub label: String,
    /// The restriction, e.g. `passwordAddition`.
    pub restriction: String,
    /// One line for people.
    pub why: String,
}

/// Whether a credential valid `days` days from `now` outlives `max` (an ISO 8601 duration,
/// added to `now` on the calendar). An unreadable duration is not judged.
fn outlives(now: Timestamp, days: u32, max: &str) -> bool {
    let Ok(span) = max.parse::<Span>() else {
        return false;
    };
    let zoned = now.to_zoned(TimeZone::UTC);
    match (
        zoned.checked_add(Span::new().days(i64::from(days))),
        zoned.checked_add(span),
    ) {
        (Ok(end), Ok(limit)) => end > limit,
        _ => false,
    }
}

/// The declared credentials `policy` would refuse the next time breakglass adds them (at
/// `apply` or rotation), for an app created at `app_created` (`None`: not created yet).
pub fn blocked_credentials(
    policy: &EffectivePolicy,
    app_created: Option<Timestamp>,
    credentials: &[CredentialPolicy],
    now: Timestamp,
) -> Vec<Blocked> {
    if !policy.enabled {
        return Vec::new();
    }
    let mut blocked = Vec::new();
    for credential in credentials {
        let (restrictions, addition, lifetime, what) = match credential.kind {
            CredentialKind::Secret => (
                &policy.password_credentials,
                Some("passwordAddition"),
                "passwordLifetime",
                "client secrets",
            ),
            CredentialKind::Certificate => (
                &policy.key_credentials,
                None,
                "asymmetricKeyLifetime",
                "certificates",
            ),
        };
        let refused = restrictions
            .iter()
            .filter(|r| r.binds(app_created))
            .find_map(|r| {
                let kind = r.restriction_type.as_str();
                if Some(kind) == addition {
                    return Some((
                        kind,
                        format!("{} forbids new {what}", policy.source.describe()),
                    ));
                }
                let max = r.max_lifetime.as_deref()?;
                (kind == lifetime && outlives(now, credential.lifetime_days, max)).then(|| {
                    (
                        kind,
                        format!(
                            "{} allows {what} of at most {max}; `{}` is declared for {} days",
                            policy.source.describe(),
                            credential.label,
                            credential.lifetime_days
                        ),
                    )
                })
            });
        if let Some((restriction, why)) = refused {
            blocked.push(Blocked {
                label: credential.label.clone(),
                restriction: restriction.to_string(),
                why,
            });
        }
    }
    blocked
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::StoreKind;

    fn credential(label: &str, kind: CredentialKind, days: u32) -> CredentialPolicy {
        CredentialPolicy {
            label: label.into(),
            kind,
            store: StoreKind::Keepass,
            shares: None,
            lifetime_days: days,
            rotate_after_days: None,
            pkcs11_module: None,
            pkcs11_token: None,
            pkcs11_key: None,
            pkcs11_algorithm: None,
        }
    }

    fn restriction(kind: &str, max: Option<&str>, after: Option<&str>) -> Restriction {
        Restriction {
            restriction_type: kind.into(),
            state: Some("enabled".into()),
            max_lifetime: max.map(str::to_string),
            restrict_for_apps_created_after: after.map(|a| a.parse().unwrap()),
        }
    }

    #[test]
    fn a_baseline_that_forbids_secrets_and_caps_certificates_blocks_both() {
        let now: Timestamp = "2026-12-05T00:00:00Z".parse().unwrap();
        let policy = EffectivePolicy {
            source: PolicySource::TenantDefault,
            enabled: true,
            password_credentials: vec![restriction(
                "passwordAddition",
                None,
                Some("2020-01-01T00:00:00Z"),
            )],
            key_credentials: vec![restriction("asymmetricKeyLifetime", Some("P1Y"), None)],
        };
        let declared = [
            credential("offline", CredentialKind::Certificate, 1095),
            credential("rotating", CredentialKind::Secret, 180),
            credential("short", CredentialKind::Certificate, 365),
        ];
        let blocked = blocked_credentials(&policy, None, &declared, now);
        let labels: Vec<&str> = blocked.iter().map(|b| b.label.as_str()).collect();
        assert_eq!(labels, ["offline", "rotating"]);
        assert_eq!(blocked[1].restriction, "passwordAddition");
        assert!(blocked[0].why.contains("at most P1Y"), "{}", blocked[0].why);

        // An app created before the restriction's date is not bound by it.
        let old_app = "2019-06-01T00:00:00Z".parse().ok();
        let blocked = blocked_credentials(&policy, old_app, &declared, now);
        assert_eq!(blocked.len(), 1, "{blocked:?}");

        let disabled = EffectivePolicy {
            enabled: false,
            ..policy
        };
        assert!(blocked_credentials(&disabled, None, &declared, now).is_empty());
    }

    #[test]
    fn a_secret_lifetime_cap_binds_only_longer_secrets() {
        let now: Timestamp = "2026-12-05T00:00:00Z".parse().unwrap();
        let policy = EffectivePolicy {
            source: PolicySource::Assigned {
                id: "p".into(),
                display_name: "Secrets 90 days".into(),
            },
            enabled: true,
            password_credentials: vec![restriction("passwordLifetime", Some("P90D"), None)],
            key_credentials: Vec::new(),
        };
        let short = [credential("rotating", CredentialKind::Secret, 90)];
        assert!(blocked_credentials(&policy, None, &short, now).is_empty());
        let long = [credential("rotating", CredentialKind::Secret, 91)];
        let blocked = blocked_credentials(&policy, None, &long, now);
        assert!(
            blocked[0].why.contains("\"Secrets 90 days\""),
            "{}",
            blocked[0].why
        );
    }
}
