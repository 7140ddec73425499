//! The emergency access identities as monitoring sees them: every id an alert rule, the
//! watcher or a log scan matches on, with the label and severity each one carries.
//!
//! Gathered once from the tenant (and `breakglass.toml`), then used by `monitor rules`,
//! `watch` and `scan`, and saved as JSON (`--identities FILE`) so a scan on an
//! investigator's machine needs no sign-in.

use serde::{Deserialize, Serialize};

use crate::ids::is_hyphenated_guid;

pub use crate::severity::Severity;

/// One client credential of the emergency app.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MonitoredCredential {
    /// The credential's key id, as sign-in logs record it (`servicePrincipalCredentialKeyId`).
    pub key_id: String,
    /// The label in `breakglass.toml`, e.g. `offline` or `rotating`.
    pub label: String,
    /// `secret` or `certificate`.
    pub kind: String,
    /// SHA-1 thumbprint (hex, upper case) for certificates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbprint: Option<String>,
    /// Use of an offline credential is critical; of a rotating one, high.
    pub severity: Severity,
}

/// An emergency access user account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MonitoredUser {
    pub id: String,
    pub user_principal_name: String,
}

/// Everything monitoring matches on.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmergencyIdentities {
    pub tenant_id: String,
    /// The emergency app's application (client) id.
    pub app_id: String,
    /// The application object id.
    pub application_object_id: String,
    /// The service principal's object id.
    pub service_principal_id: String,
    pub credentials: Vec<MonitoredCredential>,
    pub users: Vec<MonitoredUser>,
    /// The Conditional Access exclusion group's object id.
    pub exclusion_group_id: String,
    /// The `employeeType` prefix of temporary administrators (`breakglass:temporary:`).
    pub temporary_user_marker: String,
}

impl EmergencyIdentities {
    /// The severity of a sign-in with this credential key id: unknown key ids are critical,
    /// since nobody should hold a credential breakglass did not make.
    pub fn severity_of_key(&self, key_id: &str) -> Severity {
        self.credentials
            .iter()
            .find(|c| c.key_id.eq_ignore_ascii_case(key_id))
            .map(|c| c.severity)
            .unwrap_or(Severity::Critical)
    }

    /// The label of a credential key id, if breakglass made it.
    pub fn label_of_key(&self, key_id: &str) -> Option<&str> {
        self.credentials
            .iter()
            .find(|c| c.key_id.eq_ignore_ascii_case(key_id))
            .map(|c| c.label.as_str())
    }

    /// Whether a user id or user principal name is an emergency user.
    pub fn is_emergency_user(&self, id_or_upn: &str) -> bool {
        self.users.iter().any(|u| {
            u.id.eq_ignore_ascii_case(id_or_upn)
                || u.user_principal_name.eq_ignore_ascii_case(id_or_upn)
        })
    }

    /// Every object id monitoring watches changes to.
    pub fn watched_object_ids(&self) -> Vec<&str> {
        let mut ids = vec![
            self.application_object_id.as_str(),
            self.service_principal_id.as_str(),
            self.exclusion_group_id.as_str(),
        ];
        ids.extend(self.users.iter().map(|u| u.id.as_str()));
        ids.retain(|id| !id.is_empty());
        ids
    }

    /// The object ids Conditional Access policies must exclude: the exclusion group, the
    /// emergency app's service principal and the emergency users.
    pub fn conditional_access_exclusions(&self) -> Vec<&str> {
        let mut ids = vec![
            self.exclusion_group_id.as_str(),
            self.service_principal_id.as_str(),
        ];
        ids.extend(self.users.iter().map(|u| u.id.as_str()));
        ids.retain(|id| !id.trim().is_empty());
        ids
    }

    /// The exclusions a Conditional Access policy update dropped: ids named in the policy's
    /// old value and missing from its new one (as the `ca-exclusion-removed` rule decides).
    pub fn exclusions_removed(&self, old_value: &str, new_value: &str) -> Vec<&str> {
        let old_value = old_value.to_ascii_lowercase();
        let new_value = new_value.to_ascii_lowercase();
        self.conditional_access_exclusions()
            .into_iter()
            .filter(|id| {
                let id = id.trim().to_ascii_lowercase();
                old_value.contains(&id) && !new_value.contains(&id)
            })
            .collect()
    }

    /// A person-readable name for one of the watched ids, key ids or user principal names.
    pub fn describe(&self, id: &str) -> Option<String> {
        let is = |candidate: &str| !candidate.is_empty() && candidate.eq_ignore_ascii_case(id);
        if is(&self.application_object_id) {
            return Some("emergency app (application)".into());
        }
        if is(&self.service_principal_id) {
            return Some("emergency app (service principal)".into());
        }
        if is(&self.app_id) {
            return Some("emergency app".into());
        }
        if is(&self.exclusion_group_id) {
            return Some("exclusion group".into());
        }
        if let Some(user) = self
            .users
            .iter()
            .find(|u| is(&u.id) || is(&u.user_principal_name))
        {
            return Some(user.user_principal_name.clone());
        }
        self.credentials
            .iter()
            .find(|c| is(&c.key_id))
            .map(|c| format!("credential {}", c.label))
    }
}

/// Why an identity named on the command line (`scan --app-id`, `--user`, `--key-id`) was
/// refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NamedIdentityError {
    #[error("--app-id {0} is not a GUID")]
    AppId(String),
    #[error("--user {0} is neither a user principal name nor an object id")]
    User(String),
    #[error("--key-id {given}: {key} is not a GUID")]
    KeyId { given: String, key: String },
}

impl NamedIdentityError {
    /// What to type instead.
    pub fn hint(&self) -> &'static str {
        match self {
            NamedIdentityError::AppId(_) => {
                "the application (client) id looks like 3f2c9a51-7b1e-4d8a-9c3e-5a6b7c8d9e0f"
            }
            NamedIdentityError::User(_) => "for example --user bg-admin1@contoso.onmicrosoft.com",
            NamedIdentityError::KeyId { .. } => {
                "give the credential's key id and a label: --key-id GUID=offline"
            }
        }
    }
}

/// Identities named by hand, for a scan without the tenant or an identities file.
impl EmergencyIdentities {
    /// Sets the emergency app's application (client) id.
    pub fn name_app(&mut self, app_id: &str) -> Result<(), NamedIdentityError> {
        let app_id = app_id.trim();
        if !is_hyphenated_guid(app_id) {
            return Err(NamedIdentityError::AppId(app_id.to_string()));
        }
        self.app_id = app_id.to_string();
        Ok(())
    }

    /// Adds an emergency user by object id or user principal name.
    pub fn name_user(&mut self, user: &str) -> Result<(), NamedIdentityError> {
        let user = user.trim();
        let entry = if is_hyphenated_guid(user) {
            MonitoredUser {
                id: user.to_string(),
                user_principal_name: String::new(),
            }
        } else if user.contains('@') {
            MonitoredUser {
                id: String::new(),
                user_principal_name: user.to_string(),
            }
        } else {
            return Err(NamedIdentityError::User(user.to_string()));
        };
        self.users.push(entry);
        Ok(())
    }

    /// Adds a credential from `KEY-ID=LABEL` (the label `given` when left out); a credential
    /// labelled `offline` is critical, any other high.
    pub fn name_key(&mut self, given: &str) -> Result<(), NamedIdentityError> {
        let (key, label) = given.split_once('=').unwrap_or((given, "given"));
        let key = key.trim();
        if !is_hyphenated_guid(key) {
            return Err(NamedIdentityError::KeyId {
                given: given.to_string(),
                key: key.to_string(),
            });
        }
        let label = label.trim();
        self.credentials.push(MonitoredCredential {
            key_id: key.to_string(),
            label: label.to_string(),
            kind: "unknown".to_string(),
            thumbprint: None,
            severity: if label.eq_ignore_ascii_case("offline") {
                Severity::Critical
            } else {
                Severity::High
            },
        });
        Ok(())
    }
}

/// The severity a credential with this store gets: offline (sheet, shares, a token in a safe)
/// is critical.
pub fn severity_for_store(store: crate::config::StoreKind) -> Severity {
    match store {
        crate::config::StoreKind::Sheet
        | crate::config::StoreKind::Shares
        | crate::config::StoreKind::Pkcs11 => Severity::Critical,
        crate::config::StoreKind::Keepass => Severity::High,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_named_by_hand_are_checked_and_rated() {
        let mut named = EmergencyIdentities::default();
        named
            .name_app(" 3f2c9a51-7b1e-4d8a-9c3e-5a6b7c8d9e0f ")
            .unwrap();
        named
            .name_user("bg-admin1@contoso.onmicrosoft.com")
            .unwrap();
        named
            .name_user("9c9c9c9c-2222-4222-8222-000000000001")
            .unwrap();
        named
            .name_key("0b0b0b0b-1111-4111-8111-000000000001=offline")
            .unwrap();
        named
            .name_key("0b0b0b0b-1111-4111-8111-000000000002")
            .unwrap();
        assert_eq!(named.app_id, "3f2c9a51-7b1e-4d8a-9c3e-5a6b7c8d9e0f");
        assert_eq!(named.users[0].id, "");
        assert_eq!(named.users[1].user_principal_name, "");
        assert_eq!(named.credentials[0].severity, Severity::Critical);
        assert_eq!(named.credentials[1].label, "given");
        assert_eq!(named.credentials[1].severity, Severity::High);
        assert_eq!(
            named.name_user("bg-admin1").unwrap_err().to_string(),
            "--user bg-admin1 is neither a user principal name nor an object id"
        );
        let refused = named.name_key("abc=rotating").unwrap_err();
        assert_eq!(
            refused.to_string(),
            "--key-id abc=rotating: abc is not a GUID"
        );
        assert!(refused.hint().contains("--key-id GUID=offline"));
        assert!(named.name_app("contoso").is_err());
    }

    #[test]
    fn unknown_keys_are_critical_and_labels_are_found() {
        let identities = EmergencyIdentities {
            credentials: vec![MonitoredCredential {
                key_id: "AAA".into(),
                label: "rotating".into(),
                kind: "secret".into(),
                thumbprint: None,
                severity: Severity::High,
            }],
            users: vec![MonitoredUser {
                id: "u1".into(),
                user_principal_name: "bg-x@contoso.onmicrosoft.com".into(),
            }],
            ..EmergencyIdentities::default()
        };
        assert_eq!(identities.severity_of_key("aaa"), Severity::High);
        assert_eq!(identities.severity_of_key("bbb"), Severity::Critical);
        assert_eq!(identities.label_of_key("AAA"), Some("rotating"));
        assert!(identities.is_emergency_user("BG-X@contoso.onmicrosoft.com"));
        assert!(!identities.is_emergency_user("someone"));
        assert_eq!(
            identities.describe("U1").as_deref(),
            Some("bg-x@contoso.onmicrosoft.com")
        );
        assert_eq!(
            identities.describe("aaa").as_deref(),
            Some("credential rotating")
        );
        assert_eq!(identities.describe(""), None);
    }

    #[test]
    fn a_policy_update_that_drops_an_exclusion_is_told_apart_from_one_that_keeps_it() {
        let identities = EmergencyIdentities {
            exclusion_group_id: "GROUP-1".into(),
            service_principal_id: "sp-1".into(),
            users: vec![MonitoredUser {
                id: "user-1".into(),
                user_principal_name: "bg-x@contoso.onmicrosoft.com".into(),
            }],
            ..EmergencyIdentities::default()
        };
        let old =
            r#"{"conditions":{"users":{"excludeGroups":["group-1"],"excludeUsers":["user-1"]}}}"#;
        let kept = r#"{"conditions":{"users":{"excludeGroups":["group-1"],"excludeUsers":["user-1"]},"state":"enabled"}}"#;
        let dropped = r#"{"conditions":{"users":{"excludeGroups":[],"excludeUsers":["user-1"]}}}"#;
        assert!(identities.exclusions_removed(old, kept).is_empty());
        assert_eq!(identities.exclusions_removed(old, dropped), vec!["GROUP-1"]);
        assert!(identities.exclusions_removed(dropped, old).is_empty());
    }
}
