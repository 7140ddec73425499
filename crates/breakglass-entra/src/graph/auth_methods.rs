//! The authentication methods policy's Temporary Access Pass configuration (Graph v1.0), and
//! the groups a user is in as Entra evaluates the policy's targets.

use breakglass_core::cloud::GraphVersion::V1;
use breakglass_core::pass_policy::PassPolicy;
use serde::Deserialize;

use super::models::DirectoryObject;
use super::{GraphClient, Query, path_segment};
use crate::error::EntraError;

const PASS_POLICY_PATH: &str =
    "policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass";

/// `authenticationMethodTarget` and `excludeTarget`: a group id, or `all_users`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MethodTarget {
    pub id: String,
    pub target_type: Option<String>,
}

/// `temporaryAccessPassAuthenticationMethodConfiguration`. Every property may be missing: one
/// that is reads as Entra's built-in value.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TemporaryAccessPassConfiguration {
    pub state: Option<String>,
    pub default_lifetime_in_minutes: Option<i64>,
    pub minimum_lifetime_in_minutes: Option<i64>,
    pub maximum_lifetime_in_minutes: Option<i64>,
    pub is_usable_once: Option<bool>,
    pub include_targets: Option<Vec<MethodTarget>>,
    pub exclude_targets: Option<Vec<MethodTarget>>,
}

impl TemporaryAccessPassConfiguration {
    /// The policy as breakglass reasons about it.
    pub fn to_policy(&self) -> PassPolicy {
        let builtin = PassPolicy::default();
        let ids = |targets: &Option<Vec<MethodTarget>>, fallback: Vec<String>| {
            targets.as_ref().map_or(fallback, |targets| {
                targets.iter().map(|t| t.id.clone()).collect()
            })
        };
        PassPolicy {
            enabled: self
                .state
                .as_deref()
                .is_some_and(|state| state.eq_ignore_ascii_case("enabled")),
            minimum_minutes: self
                .minimum_lifetime_in_minutes
                .unwrap_or(builtin.minimum_minutes),
            maximum_minutes: self
                .maximum_lifetime_in_minutes
                .unwrap_or(builtin.maximum_minutes),
            default_minutes: self
                .default_lifetime_in_minutes
                .unwrap_or(builtin.default_minutes),
            one_time_only: self.is_usable_once.unwrap_or(builtin.one_time_only),
            include: ids(&self.include_targets, builtin.include),
            exclude: ids(&self.exclude_targets, builtin.exclude),
        }
    }
}

impl GraphClient {
    /// `GET /policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass`
    /// (Policy.Read.AuthenticationMethod or Policy.Read.All).
    pub async fn temporary_access_pass_policy(
        &self,
    ) -> Result<TemporaryAccessPassConfiguration, EntraError> {
        self.get_json(V1, PASS_POLICY_PATH, &Query::new()).await
    }

    /// `GET /users/{id}/transitiveMemberOf/microsoft.graph.group`: the ids of every group the
    /// user is in, directly or through nested groups.
    pub async fn transitive_group_ids(&self, user_id: &str) -> Result<Vec<String>, EntraError> {
        let groups: Vec<DirectoryObject> = self
            .list_all(
                V1,
                &format!(
                    "users/{}/transitiveMemberOf/microsoft.graph.group",
                    path_segment(user_id)
                ),
                &Query::new().select(["id"]),
            )
            .await?;
        Ok(groups.into_iter().map(|group| group.id).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_properties_read_as_entras_defaults() {
        let policy: TemporaryAccessPassConfiguration =
            serde_json::from_str(r#"{"id": "TemporaryAccessPass", "state": "enabled"}"#).unwrap();
        let policy = policy.to_policy();
        assert!(policy.enabled);
        assert_eq!((policy.minimum_minutes, policy.maximum_minutes), (60, 480));
        assert_eq!(policy.include, ["all_users"]);

        let odd: TemporaryAccessPassConfiguration = serde_json::from_str(
            r#"{"state": "Disabled", "includeTargets": [{"id": "g1", "targetType": "group"}],
                "isUsableOnce": true, "maximumLifetimeInMinutes": 90}"#,
        )
        .unwrap();
        let odd = odd.to_policy();
        assert!(!odd.enabled);
        assert!(odd.one_time_only);
        assert_eq!(odd.include, ["g1"]);
        assert_eq!(odd.maximum_minutes, 90);
    }
}
