//! Settings for other scanners that recognise emergency access accounts, written from the
//! tenant's own ids, so their checks judge the emergency accounts by Microsoft's guidance
//! instead of flagging them as unprotected or stale administrators.
//!
//! - Maester (2.0.0 and later) and the Zero Trust Assessment (2.3.0 and later) read
//!   `GlobalSettings.EmergencyAccessAccounts`: entries with `Type` (`User` or `Group`) and `Id`.
//!   Maester's MT.1005 fails a policy that misses any listed account, and breakglass excludes
//!   its group from every policy rather than each user, so the group is what is listed; the
//!   Zero Trust Assessment expands a listed group to its members.
//! - ScubaGear (1.8.0) has no such setting: a Conditional Access policy passes only when every
//!   principal it excludes is listed under that policy's id (`Aad` → `MS.AAD.x.yvz` →
//!   `CapExclusions`), and a permanent role assignment only when listed under `MS.AAD.7.4v1`
//!   → `RoleExclusions`.

use serde_json::{Map, Value, json};

use crate::identities::EmergencyIdentities;

/// The scanners breakglass writes settings for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scanner {
    Maester,
    ZeroTrustAssessment,
    ScubaGear,
}

impl Scanner {
    /// The file name the tool's documentation uses.
    pub fn file_name(self) -> &'static str {
        match self {
            Scanner::Maester => "maester-config.json",
            Scanner::ZeroTrustAssessment => "zt-config.json",
            Scanner::ScubaGear => "scubagear-breakglass.yaml",
        }
    }
}

/// Why settings cannot be written.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    #[error("the tenant has no exclusion group and no emergency user to name")]
    NothingToName,
    #[error("the file to update is not a JSON object")]
    NotAnObject,
    #[error("`GlobalSettings` in the file to update is not a JSON object")]
    GlobalSettingsNotAnObject,
}

/// `GlobalSettings.EmergencyAccessAccounts` for Maester and the Zero Trust Assessment: the
/// exclusion group, or the users when there is none.
pub fn emergency_access_accounts(identities: &EmergencyIdentities) -> Result<Value, ExportError> {
    if !identities.exclusion_group_id.is_empty() {
        return Ok(json!([{"Type": "Group", "Id": identities.exclusion_group_id}]));
    }
    let users: Vec<Value> = identities
        .users
        .iter()
        .filter(|u| !u.id.is_empty())
        .map(|u| json!({"Type": "User", "Id": u.id, "UserPrincipalName": u.user_principal_name}))
        .collect();
    if users.is_empty() {
        return Err(ExportError::NothingToName);
    }
    Ok(Value::Array(users))
}

/// `existing` (a configuration file the tool already reads, or none) with its emergency
/// access accounts replaced and everything else kept.
pub fn json_settings(
    identities: &EmergencyIdentities,
    existing: Option<Value>,
) -> Result<Value, ExportError> {
    let accounts = emergency_access_accounts(identities)?;
    let mut document = match existing {
        None => Value::Object(Map::new()),
        Some(value @ Value::Object(_)) => value,
        Some(_) => return Err(ExportError::NotAnObject),
    };
    let settings = document
        .as_object_mut()
        .ok_or(ExportError::NotAnObject)?
        .entry("GlobalSettings")
        .or_insert_with(|| Value::Object(Map::new()));
    settings
        .as_object_mut()
        .ok_or(ExportError::GlobalSettingsNotAnObject)?
        .insert("EmergencyAccessAccounts".into(), accounts);
    Ok(document)
}

/// The ScubaGear policies whose Conditional Access exclusions it checks against its
/// configuration (`CapExclusions`).
pub const SCUBAGEAR_CAP_POLICIES: [&str; 9] = [
    "MS.AAD.1.1v1",
    "MS.AAD.2.1v1",
    "MS.AAD.2.3v1",
    "MS.AAD.3.1v1",
    "MS.AAD.3.2v2",
    "MS.AAD.3.6v1",
    "MS.AAD.3.7v1",
    "MS.AAD.3.8v1",
    "MS.AAD.3.9v1",
];

/// The ScubaGear policy of permanent role assignments (`RoleExclusions`).
pub const SCUBAGEAR_ROLE_POLICY: &str = "MS.AAD.7.4v1";

fn yaml_list(out: &mut String, indent: &str, key: &str, ids: &[&str]) {
    if ids.is_empty() {
        return;
    }
    out.push_str(&format!("{indent}{key}:\n"));
    for id in ids {
        // Object ids are GUIDs: quoted anyway, so no YAML reading can take one for anything else.
        out.push_str(&format!("{indent}  - \"{id}\"\n"));
    }
}

/// The `Aad` section of a ScubaGear configuration file: the emergency users and the exclusion
/// group as allowed exclusions of every Conditional Access policy it checks, and the users as
/// allowed permanent role holders.
pub fn scubagear_yaml(
    identities: &EmergencyIdentities,
    version: &str,
) -> Result<String, ExportError> {
    let users: Vec<&str> = identities
        .users
        .iter()
        .map(|u| u.id.as_str())
        .filter(|id| !id.is_empty())
        .collect();
    let groups: Vec<&str> = [identities.exclusion_group_id.as_str()]
        .into_iter()
        .filter(|id| !id.is_empty())
        .collect();
    if users.is_empty() && groups.is_empty() {
        return Err(ExportError::NothingToName);
    }
    let mut out = format!(
        "# ScubaGear configuration (Aad section) written by breakglass {version} for tenant {}.\n\
         # The emergency access accounts, by object id: allowed exclusions of each Conditional\n\
         # Access policy ScubaGear checks, and allowed permanent role holders. Merge this section\n\
         # into the file you pass to Invoke-SCuBA -ConfigFilePath.\n",
        identities.tenant_id
    );
    out.push_str("Aad:\n");
    for policy in SCUBAGEAR_CAP_POLICIES {
        out.push_str(&format!("  {policy}:\n    CapExclusions:\n"));
        yaml_list(&mut out, "      ", "Users", &users);
        yaml_list(&mut out, "      ", "Groups", &groups);
    }
    if !users.is_empty() {
        out.push_str(&format!(
            "  {SCUBAGEAR_ROLE_POLICY}:\n    RoleExclusions:\n"
        ));
        yaml_list(&mut out, "      ", "Users", &users);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identities::MonitoredUser;

    fn identities() -> EmergencyIdentities {
        EmergencyIdentities {
            tenant_id: "t".into(),
            exclusion_group_id: "66666666-6666-4666-8666-666666666666".into(),
            users: vec![MonitoredUser {
                id: "55555555-5555-4555-8555-555555555555".into(),
                user_principal_name: "bg-a@contoso.onmicrosoft.com".into(),
            }],
            ..EmergencyIdentities::default()
        }
    }

    #[test]
    fn an_existing_configuration_keeps_everything_but_the_accounts() {
        let existing = json!({
            "Days": 7,
            "GlobalSettings": {"Other": 1, "EmergencyAccessAccounts": [{"Type": "User", "Id": "old"}]},
            "TestSettings": [{"Id": "MT.1005", "Severity": "Critical"}]
        });
        let updated = json_settings(&identities(), Some(existing)).unwrap();
        assert_eq!(updated["Days"], 7);
        assert_eq!(updated["GlobalSettings"]["Other"], 1);
        assert_eq!(updated["TestSettings"][0]["Severity"], "Critical");
        assert_eq!(
            updated["GlobalSettings"]["EmergencyAccessAccounts"],
            json!([{"Type": "Group", "Id": "66666666-6666-4666-8666-666666666666"}])
        );
        assert_eq!(
            json_settings(&identities(), Some(json!([1]))),
            Err(ExportError::NotAnObject)
        );
    }

    #[test]
    fn without_a_group_the_users_are_named() {
        let mut ids = identities();
        ids.exclusion_group_id.clear();
        let accounts = emergency_access_accounts(&ids).unwrap();
        assert_eq!(accounts[0]["Type"], "User");
        assert_eq!(accounts[0]["Id"], "55555555-5555-4555-8555-555555555555");
        ids.users.clear();
        assert_eq!(
            emergency_access_accounts(&ids),
            Err(ExportError::NothingToName)
        );
    }

    #[test]
    fn scubagear_lists_the_ids_under_every_policy_it_checks() {
        let yaml = scubagear_yaml(&identities(), "0.1.0").unwrap();
        for policy in SCUBAGEAR_CAP_POLICIES {
            assert!(
                yaml.contains(&format!("  {policy}:\n    CapExclusions:\n")),
                "{policy}"
            );
        }
        assert!(
            yaml.contains(
                "  MS.AAD.7.4v1:\n    RoleExclusions:\n      Users:\n        - \"55555555"
            )
        );
        assert_eq!(
            yaml.matches("66666666-6666-4666-8666-666666666666").count(),
            9
        );
    }
}
