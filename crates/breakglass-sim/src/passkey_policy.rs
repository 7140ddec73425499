//! The Passkey (FIDO2) method policy (`fido2AuthenticationMethodConfiguration`) and the rules
//! Entra applies when an administrator provisions a passkey for a user: the method enabled for
//! the user (included directly or through nested groups, in no excluded group), self-service
//! setup allowed (a known issue of the provisioning API), the key's AAGUID through the key
//! restrictions, and attestation when the policy enforces it (in `crate::webauthn`).
//!
//! Microsoft does not document the error a refused provisioning gets, so every refusal is a
//! 400 naming the rule broken, as for the Temporary Access Pass policy.

use serde_json::{Value, json};

use crate::pass_policy::{target, transitive_groups};
use crate::state::{DirObject, Tenant};

const ALL_USERS: &str = "all_users";

/// Entra's built-in policy: disabled, for all users, self-service allowed, attestation
/// enforced, no key restrictions.
pub(crate) fn default_policy() -> Value {
    json!({
        "@odata.type": "#microsoft.graph.fido2AuthenticationMethodConfiguration",
        "id": "Fido2",
        "state": "disabled",
        "isSelfServiceRegistrationAllowed": true,
        "isAttestationEnforced": true,
        "keyRestrictions": {"isEnforced": false, "enforcementType": "block", "aaGuids": []},
        "includeTargets": [target(ALL_USERS)],
        "excludeTargets": []
    })
}

fn target_ids(policy: &Value, key: &str) -> Vec<String> {
    policy
        .get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| t.get("id").and_then(Value::as_str))
        .map(str::to_ascii_lowercase)
        .collect()
}

fn flag(policy: &Value, key: &str, fallback: bool) -> bool {
    policy.get(key).and_then(Value::as_bool).unwrap_or(fallback)
}

/// Whether the policy lets an administrator provision a passkey for `user` at all.
pub(crate) fn allows_user(tenant: &Tenant, user: &DirObject) -> Result<(), String> {
    let policy = &tenant.passkey_policy;
    if policy.get("state").and_then(Value::as_str) != Some("enabled") {
        return Err("The Passkey (FIDO2) authentication method is not enabled in this tenant's authentication methods policy.".into());
    }
    let groups = transitive_groups(tenant, user.id());
    if let Some(group) = target_ids(policy, "excludeTargets")
        .into_iter()
        .find(|g| groups.contains(g))
    {
        return Err(format!(
            "The user is a member of group {group}, which the Passkey (FIDO2) authentication method policy excludes."
        ));
    }
    let included = target_ids(policy, "includeTargets")
        .iter()
        .any(|t| t == ALL_USERS || groups.contains(t));
    if !included {
        return Err(
            "The Passkey (FIDO2) authentication method policy does not target this user.".into(),
        );
    }
    if !flag(policy, "isSelfServiceRegistrationAllowed", true) {
        return Err("Passkey provisioning requires self-service setup to be allowed in the Passkey (FIDO2) authentication method policy.".into());
    }
    Ok(())
}

/// Whether the policy enforces attestation.
pub(crate) fn attestation_enforced(tenant: &Tenant) -> bool {
    flag(&tenant.passkey_policy, "isAttestationEnforced", true)
}

/// Whether the key restrictions let a key of `aaguid` in.
pub(crate) fn allows_aaguid(tenant: &Tenant, aaguid: &str) -> Result<(), String> {
    let restrictions = &tenant.passkey_policy["keyRestrictions"];
    if !flag(restrictions, "isEnforced", false) {
        return Ok(());
    }
    let listed = restrictions
        .get("aaGuids")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .any(|a| a.eq_ignore_ascii_case(aaguid));
    let allow = restrictions.get("enforcementType").and_then(Value::as_str) == Some("allow");
    if listed == allow {
        Ok(())
    } else {
        Err(format!(
            "The security key's AAGUID {aaguid} is not allowed by the key restrictions of the Passkey (FIDO2) authentication method policy."
        ))
    }
}
