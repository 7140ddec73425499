//! App management policies (Graph v1.0): the tenant default, custom policies, and which one is
//! assigned to an application.

use breakglass_core::cloud::GraphVersion::V1;
use futures::TryStreamExt as _;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{GraphClient, Query, path_segment};
use crate::error::EntraError;

/// `passwordCredentialConfiguration` and `keyCredentialConfiguration`: one restriction.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CredentialRestriction {
    /// `passwordAddition`, `passwordLifetime`, `asymmetricKeyLifetime`, …
    pub restriction_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// An ISO 8601 duration (`P90D`).
    pub max_lifetime: Option<String>,
    pub restrict_for_apps_created_after_date_time: Option<String>,
}

/// `appManagementConfiguration` (and its application and service principal kinds): the
/// credential restrictions; other restrictions are not read.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AppManagementConfiguration {
    pub password_credentials: Vec<CredentialRestriction>,
    pub key_credentials: Vec<CredentialRestriction>,
}

/// `tenantAppManagementPolicy`: `GET /policies/defaultAppManagementPolicy`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TenantAppManagementPolicy {
    pub id: String,
    pub is_enabled: bool,
    pub application_restrictions: Option<AppManagementConfiguration>,
    pub service_principal_restrictions: Option<AppManagementConfiguration>,
}

/// `appManagementPolicy`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AppManagementPolicy {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub id: String,
    pub display_name: String,
    pub description: String,
    pub is_enabled: Option<bool>,
    pub restrictions: Option<AppManagementConfiguration>,
}

impl GraphClient {
    /// `GET /policies/defaultAppManagementPolicy`.
    pub async fn default_app_management_policy(
        &self,
    ) -> Result<TenantAppManagementPolicy, EntraError> {
        self.get_json(V1, "policies/defaultAppManagementPolicy", &Query::new())
            .await
    }

    /// `GET /applications/{id}/appManagementPolicies`: the custom policy assigned to an
    /// application (at most one).
    pub async fn app_management_policies_of_application(
        &self,
        application_object_id: &str,
    ) -> Result<Vec<AppManagementPolicy>, EntraError> {
        self.list_json(
            V1,
            &format!(
                "applications/{}/appManagementPolicies",
                path_segment(application_object_id)
            ),
            &Query::new(),
        )
        .try_collect()
        .await
    }

    /// `GET /policies/appManagementPolicies`.
    pub async fn app_management_policies(&self) -> Result<Vec<AppManagementPolicy>, EntraError> {
        self.list_json(V1, "policies/appManagementPolicies", &Query::new())
            .try_collect()
            .await
    }

    /// `POST /policies/appManagementPolicies`.
    pub async fn create_app_management_policy(
        &self,
        policy: &AppManagementPolicy,
    ) -> Result<AppManagementPolicy, EntraError> {
        self.post_json(V1, "policies/appManagementPolicies", policy)
            .await
    }

    /// `POST /applications/{id}/appManagementPolicies/$ref`.
    pub async fn assign_app_management_policy(
        &self,
        application_object_id: &str,
        policy_id: &str,
    ) -> Result<(), EntraError> {
        let reference = format!(
            "{}policies/appManagementPolicies/{}",
            self.base(V1),
            path_segment(policy_id)
        );
        self.post_no_content(
            V1,
            &format!(
                "applications/{}/appManagementPolicies/$ref",
                path_segment(application_object_id)
            ),
            Some(&json!({ "@odata.id": reference })),
        )
        .await
    }
}
