//! The checks that judge one fact: a credential's end date, the authority a token carries, a
//! user's authentication methods and last sign-in.

use jiff::Timestamp;

use super::{Check, CheckKind, VALIDATION_INTERVAL_DAYS, day, days_between};
use crate::roles::BuiltInRole;

/// The credential's end date against the thresholds: a failure when expired or fewer than
/// `min_days` are left, a warning when fewer than `warn_days` are left.
pub fn expiry(end: Option<Timestamp>, now: Timestamp, min_days: i64, warn_days: i64) -> Check {
    let Some(end) = end else {
        return Check::warning(CheckKind::Expiry, "the tenant shows no end date");
    };
    let left = days_between(now, end);
    if end <= now {
        return Check::failure(CheckKind::Expiry, format!("expired on {}", day(end)));
    }
    let detail = format!("valid until {} ({left} days left)", day(end));
    if left < min_days {
        Check::failure(
            CheckKind::Expiry,
            format!("{detail}, fewer than the minimum of {min_days}"),
        )
    } else if left < warn_days {
        Check::warning(
            CheckKind::Expiry,
            format!("{detail}, fewer than {warn_days}"),
        )
    } else {
        Check::pass(CheckKind::Expiry, detail)
    }
}

/// What the emergency app must be able to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Authority {
    /// A directory role, seen in the token's `wids` claim.
    Role(BuiltInRole),
    /// Microsoft Graph application permissions, seen in the token's `roles` claim.
    GraphPermissions(Vec<String>),
}

/// Whether the token carries the declared authority. `assigned_at_root` is what the app's
/// role assignments say (`None` when not looked up): it stands in when the token has no
/// `wids` claim.
pub fn authority_in_token(
    authority: &Authority,
    wids: &[String],
    roles: &[String],
    assigned_at_root: Option<bool>,
) -> Check {
    match authority {
        Authority::Role(role) => {
            let id = role.template_id.to_string();
            if wids.iter().any(|w| w.eq_ignore_ascii_case(&id)) {
                Check::pass(
                    CheckKind::Role,
                    format!("{} in effect (the token's wids claim)", role.display_name),
                )
            } else if assigned_at_root == Some(true) {
                Check::pass(
                    CheckKind::Role,
                    format!(
                        "{} assigned at / (role assignments; the token carries no wids claim)",
                        role.display_name
                    ),
                )
            } else {
                Check::failure(
                    CheckKind::Role,
                    format!(
                        "the token does not carry {} ({id}) and the app holds no active assignment of it at /",
                        role.display_name
                    ),
                )
                .hinted("run `breakglass plan` and `breakglass apply` to restore the role")
            }
        }
        Authority::GraphPermissions(wanted) => {
            let missing: Vec<&str> = wanted
                .iter()
                .filter(|w| !roles.iter().any(|r| r.eq_ignore_ascii_case(w)))
                .map(String::as_str)
                .collect();
            if missing.is_empty() {
                Check::pass(
                    CheckKind::Role,
                    format!("{} in the token's roles claim", wanted.join(", ")),
                )
            } else {
                Check::failure(
                    CheckKind::Role,
                    format!("the token lacks {}", missing.join(", ")),
                )
                .hinted(
                    "run `breakglass plan` and `breakglass apply` to grant them (admin consent)",
                )
            }
        }
    }
}

/// Authentication method types (`@odata.type`) that resist phishing.
pub const PHISHING_RESISTANT_METHODS: &[&str] = &[
    "#microsoft.graph.fido2AuthenticationMethod",
    "#microsoft.graph.windowsHelloForBusinessAuthenticationMethod",
    "#microsoft.graph.x509CertificateAuthenticationMethod",
    "#microsoft.graph.platformCredentialAuthenticationMethod",
];

fn short_method(odata_type: &str) -> &str {
    odata_type
        .trim_start_matches("#microsoft.graph.")
        .trim_end_matches("AuthenticationMethod")
}

/// Whether a phishing-resistant method is among the user's registered methods.
pub fn phishing_resistant(method_types: &[String]) -> Check {
    let strong: Vec<&str> = method_types
        .iter()
        .filter(|t| {
            PHISHING_RESISTANT_METHODS
                .iter()
                .any(|p| p.eq_ignore_ascii_case(t))
        })
        .map(|t| short_method(t))
        .collect();
    if !strong.is_empty() {
        return Check::pass(
            CheckKind::PhishingResistantMethod,
            format!("registered: {}", strong.join(", ")),
        );
    }
    let has: Vec<&str> = method_types.iter().map(|t| short_method(t)).collect();
    Check::warning(
        CheckKind::PhishingResistantMethod,
        format!(
            "no phishing-resistant method (has: {})",
            if has.is_empty() {
                "none".to_string()
            } else {
                has.join(", ")
            }
        ),
    )
    .hinted("the owner registers a FIDO2 security key or passkey (with a Temporary Access Pass: `[users] temporary_access_pass = true`)")
}

/// When the user last signed in: a warning if never, or longer ago than the validation
/// interval. `source` says where the date came from.
pub fn last_sign_in(at: Option<Timestamp>, now: Timestamp, source: &str) -> Check {
    match at {
        None => Check::warning(
            CheckKind::LastSignIn,
            format!("no sign-in found ({source})"),
        )
        .hinted("the owner signs in with the account's passkey at least every 90 days; it raises the alert, as it should"),
        Some(at) => {
            let ago = days_between(at, now);
            let detail = format!("{} ({ago} days ago; {source})", day(at));
            if ago > VALIDATION_INTERVAL_DAYS {
                Check::warning(CheckKind::LastSignIn, detail)
                    .hinted("the owner signs in with the account's passkey at least every 90 days")
            } else {
                Check::pass(CheckKind::LastSignIn, detail)
            }
        }
    }
}
