//! The FIDO2 (passkey) method policy, and whether it lets an operator provision a passkey for
//! an emergency user.
//!
//! Microsoft's provisioning API (`fido2Methods/creationOptions`, then `POST fido2Methods`)
//! works only when the FIDO2 method is enabled for the user, self-service setup is allowed
//! (a documented known issue of the API), and the key's AAGUID passes the policy's key
//! restrictions; with attestation enforced, Entra also checks the key's attestation against
//! the FIDO Alliance metadata. breakglass reads the policy first and refuses with what to
//! change, before a security key is touched.

use serde::Serialize;

use crate::pass_policy::ALL_USERS;

/// `fido2AuthenticationMethodConfiguration` as breakglass reasons about it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PasskeyPolicy {
    pub enabled: bool,
    /// Group ids, or [`ALL_USERS`].
    pub include: Vec<String>,
    /// Group ids.
    pub exclude: Vec<String>,
    pub self_service_allowed: bool,
    pub attestation_enforced: bool,
    pub key_restrictions_enforced: bool,
    /// `allow` (only the listed AAGUIDs) or `block` (all but the listed AAGUIDs).
    pub enforcement_type: String,
    /// Lower-case AAGUIDs.
    pub aaguids: Vec<String>,
}

impl Default for PasskeyPolicy {
    /// Entra's built-in policy as breakglass assumes it when a property is missing: disabled,
    /// for all users, self-service allowed, attestation enforced, no key restrictions.
    fn default() -> Self {
        PasskeyPolicy {
            enabled: false,
            include: vec![ALL_USERS.to_string()],
            exclude: Vec::new(),
            self_service_allowed: true,
            attestation_enforced: true,
            key_restrictions_enforced: false,
            enforcement_type: "block".to_string(),
            aaguids: Vec::new(),
        }
    }
}

/// What breakglass knows of the authenticator before it makes a credential.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthenticatorFacts {
    /// Lower-case AAGUID, when known before the ceremony (a software authenticator's is fixed).
    pub aaguid: Option<String>,
    /// Whether it can give attestation Entra can verify against the FIDO metadata service
    /// (a real security key); a software authenticator has only self-attestation.
    pub attestation_verifiable: bool,
}

/// A prerequisite the policy does not meet, and what to change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Unmet {
    /// A short stable name: `method-disabled`, `user-not-targeted`, `user-excluded`,
    /// `self-service-disallowed`, `aaguid-blocked`, `attestation-enforced`.
    pub rule: &'static str,
    pub why: String,
    pub hint: String,
}

const POLICY_PLACE: &str =
    "Entra admin center > Protection > Authentication methods > Policies > Passkey (FIDO2)";

/// Every prerequisite that `policy` does not meet for a user in `user_groups` (group ids, any
/// case) with the authenticator described by `authenticator`; empty when enrolment may go on.
pub fn unmet_prerequisites(
    policy: &PasskeyPolicy,
    user_groups: &[String],
    authenticator: &AuthenticatorFacts,
) -> Vec<Unmet> {
    let mut unmet = Vec::new();
    let in_group = |id: &String| user_groups.iter().any(|g| g.eq_ignore_ascii_case(id));
    if !policy.enabled {
        unmet.push(Unmet {
            rule: "method-disabled",
            why: "the Passkey (FIDO2) method is disabled in the authentication methods policy"
                .into(),
            hint: format!("enable it ({POLICY_PLACE}: Enable), targeting the emergency users"),
        });
    }
    if let Some(group) = policy.exclude.iter().find(|g| in_group(g)) {
        unmet.push(Unmet {
            rule: "user-excluded",
            why: format!("the user is in group {group}, which the Passkey (FIDO2) policy excludes"),
            hint: format!("remove that group from the policy's Exclude list ({POLICY_PLACE})"),
        });
    }
    let targeted = policy
        .include
        .iter()
        .any(|t| t.eq_ignore_ascii_case(ALL_USERS) || in_group(t));
    if !targeted {
        unmet.push(Unmet {
            rule: "user-not-targeted",
            why: "the Passkey (FIDO2) policy does not target the user (not all users, nor a group the user is in)".into(),
            hint: format!("add the emergency users' group (or All users) to the policy's Include targets ({POLICY_PLACE})"),
        });
    }
    if !policy.self_service_allowed {
        unmet.push(Unmet {
            rule: "self-service-disallowed",
            why: "the Passkey (FIDO2) policy does not allow self-service set up, which Microsoft's provisioning API requires (a documented known issue)".into(),
            hint: format!("set \"Allow self-service set up\" to Yes ({POLICY_PLACE} > Configure), isSelfServiceRegistrationAllowed in Graph"),
        });
    }
    if policy.key_restrictions_enforced
        && let Some(aaguid) = &authenticator.aaguid
    {
        let listed = policy
            .aaguids
            .iter()
            .any(|a| a.eq_ignore_ascii_case(aaguid));
        let allow = policy.enforcement_type.eq_ignore_ascii_case("allow");
        if listed != allow {
            let why = if allow {
                format!(
                    "the key restrictions allow only listed AAGUIDs, and {aaguid} is not among them"
                )
            } else {
                format!("the key restrictions block AAGUID {aaguid}")
            };
            unmet.push(Unmet {
                rule: "aaguid-blocked",
                why,
                hint: format!("change Key restriction policy ({POLICY_PLACE} > Configure) or use a security key model the policy allows"),
            });
        }
    }
    if policy.attestation_enforced && !authenticator.attestation_verifiable {
        unmet.push(Unmet {
            rule: "attestation-enforced",
            why: "the Passkey (FIDO2) policy enforces attestation, and a software authenticator has only self-attestation, which Entra cannot verify".into(),
            hint: "use a real security key; for a rehearsal against the simulator, seed the policy with isAttestationEnforced false".into(),
        });
    }
    unmet
}

/// Whether Entra's key restrictions would refuse a key of `aaguid` (checked again once the
/// key has made its credential and told its AAGUID).
pub fn aaguid_refused(policy: &PasskeyPolicy, aaguid: &str) -> bool {
    if !policy.key_restrictions_enforced {
        return false;
    }
    let listed = policy
        .aaguids
        .iter()
        .any(|a| a.eq_ignore_ascii_case(aaguid));
    listed != policy.enforcement_type.eq_ignore_ascii_case("allow")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn software() -> AuthenticatorFacts {
        AuthenticatorFacts {
            aaguid: Some("4267c2b1-7e1d-4a0e-8f5b-627265616b67".into()),
            attestation_verifiable: false,
        }
    }

    fn open() -> PasskeyPolicy {
        PasskeyPolicy {
            enabled: true,
            attestation_enforced: false,
            ..PasskeyPolicy::default()
        }
    }

    #[test]
    fn the_built_in_policy_is_refused_for_being_disabled_and_enforcing_attestation() {
        let rules: Vec<_> = unmet_prerequisites(&PasskeyPolicy::default(), &[], &software())
            .into_iter()
            .map(|u| u.rule)
            .collect();
        assert_eq!(rules, ["method-disabled", "attestation-enforced"]);
    }

    #[test]
    fn an_open_policy_lets_a_software_key_in() {
        assert!(unmet_prerequisites(&open(), &[], &software()).is_empty());
    }

    #[test]
    fn targets_exclusions_and_self_service_are_judged() {
        let policy = PasskeyPolicy {
            include: vec!["G1".into()],
            exclude: vec!["g2".into()],
            self_service_allowed: false,
            ..open()
        };
        let rules = |groups: &[&str]| -> Vec<&'static str> {
            let groups: Vec<String> = groups.iter().map(|g| g.to_string()).collect();
            unmet_prerequisites(&policy, &groups, &software())
                .into_iter()
                .map(|u| u.rule)
                .collect()
        };
        assert_eq!(rules(&["g1"]), ["self-service-disallowed"]);
        assert_eq!(rules(&[]), ["user-not-targeted", "self-service-disallowed"]);
        assert_eq!(
            rules(&["g1", "G2"]),
            ["user-excluded", "self-service-disallowed"]
        );
    }

    #[test]
    fn key_restrictions_allow_or_block_by_aaguid() {
        let aaguid = software().aaguid.unwrap();
        let block = PasskeyPolicy {
            key_restrictions_enforced: true,
            enforcement_type: "block".into(),
            aaguids: vec![aaguid.to_uppercase()],
            ..open()
        };
        assert_eq!(
            unmet_prerequisites(&block, &[], &software())[0].rule,
            "aaguid-blocked"
        );
        assert!(aaguid_refused(&block, &aaguid));
        let allow = PasskeyPolicy {
            enforcement_type: "allow".into(),
            ..block.clone()
        };
        assert!(unmet_prerequisites(&allow, &[], &software()).is_empty());
        let allow_other = PasskeyPolicy {
            aaguids: vec!["cb69481e-8ff7-4039-93ec-0a2729a154a8".into()],
            ..allow
        };
        assert!(aaguid_refused(&allow_other, &aaguid));
        // Not enforced: the list means nothing.
        assert!(!aaguid_refused(
            &PasskeyPolicy {
                key_restrictions_enforced: false,
                ..block
            },
            &aaguid
        ));
    }
}
