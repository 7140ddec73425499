//! What the audit reads about delegated administration (Graph v1.0): directory role
//! definitions with their permissions, administrative units and their members, and a group's
//! members through nested groups, and PIM for Groups eligibilities.

use breakglass_core::cloud::GraphVersion::V1;
use serde::Deserialize;

use super::models::DirectoryObject;
use super::query::odata_string;
use super::{GraphClient, Query, path_segment};
use crate::error::EntraError;

/// `unifiedRolePermission`: the resource actions one permission set allows.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UnifiedRolePermission {
    pub allowed_resource_actions: Vec<String>,
    pub condition: Option<String>,
}

/// `unifiedRoleDefinition` with its `rolePermissions`, which `models::UnifiedRoleDefinition`
/// (for naming roles) leaves out.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RoleDefinitionPermissions {
    pub id: String,
    pub display_name: Option<String>,
    pub is_built_in: Option<bool>,
    pub is_enabled: Option<bool>,
    pub template_id: Option<String>,
    pub role_permissions: Vec<UnifiedRolePermission>,
}

/// `administrativeUnit`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AdministrativeUnit {
    pub id: String,
    pub display_name: Option<String>,
    /// Missing or null in tenants that never made a restricted management unit.
    pub is_member_management_restricted: Option<bool>,
}

/// `privilegedAccessGroupEligibilityScheduleInstance`: a principal PIM for Groups lets
/// activate membership (`accessId` `member`) or ownership (`owner`) of a group.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GroupEligibilityInstance {
    pub id: String,
    pub group_id: String,
    pub principal_id: String,
    pub access_id: Option<String>,
    pub member_type: Option<String>,
    pub start_date_time: Option<String>,
    pub end_date_time: Option<String>,
    /// With `$expand=principal`.
    pub principal: Option<DirectoryObject>,
}

impl GraphClient {
    /// `GET /roleManagement/directory/roleDefinitions` (RoleManagement.Read.Directory): the
    /// built-in roles and the tenant's custom roles, each with `rolePermissions`.
    pub async fn role_definition_permissions(
        &self,
    ) -> Result<Vec<RoleDefinitionPermissions>, EntraError> {
        self.list_all(
            V1,
            "roleManagement/directory/roleDefinitions",
            &Query::new().select([
                "id",
                "displayName",
                "isBuiltIn",
                "isEnabled",
                "templateId",
                "rolePermissions",
            ]),
        )
        .await
    }

    /// `GET /directory/administrativeUnits` (AdministrativeUnit.Read.All).
    pub async fn administrative_units(&self) -> Result<Vec<AdministrativeUnit>, EntraError> {
        self.list_all(
            V1,
            "directory/administrativeUnits",
            &Query::new().select(["id", "displayName", "isMemberManagementRestricted"]),
        )
        .await
    }

    /// `GET /directory/administrativeUnits/{id}/members` (AdministrativeUnit.Read.All).
    pub async fn administrative_unit_members(
        &self,
        id: &str,
    ) -> Result<Vec<DirectoryObject>, EntraError> {
        self.list_all(
            V1,
            &format!("directory/administrativeUnits/{}/members", path_segment(id)),
            &Query::ids(),
        )
        .await
    }

    /// `GET /groups/{id}/transitiveMembers` (GroupMember.Read.All): the members of the group and
    /// of every group nested in it, as Entra counts them.
    pub async fn group_transitive_members(
        &self,
        id: &str,
    ) -> Result<Vec<DirectoryObject>, EntraError> {
        self.list_all(
            V1,
            &format!("groups/{}/transitiveMembers", path_segment(id)),
            &Query::ids_and_names(),
        )
        .await
    }

    /// `GET /identityGovernance/privilegedAccess/group/eligibilityScheduleInstances` for one
    /// group, with each principal (PrivilegedEligibilitySchedule.Read.AzureADGroup; Graph
    /// refuses the listing unless it is filtered on a group or a principal).
    pub async fn group_eligibilities(
        &self,
        group_id: &str,
    ) -> Result<Vec<GroupEligibilityInstance>, EntraError> {
        self.list_all(
            V1,
            "identityGovernance/privilegedAccess/group/eligibilityScheduleInstances",
            &Query::new()
                .filter(format!("groupId eq {}", odata_string(group_id)))
                .expand("principal"),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_and_units_read_with_missing_properties() {
        let role: RoleDefinitionPermissions = serde_json::from_str(
            r#"{"id": "r1", "displayName": "App operators", "isBuiltIn": false,
                "rolePermissions": [{"allowedResourceActions":
                    ["microsoft.directory/applications/credentials/update"], "condition": null}]}"#,
        )
        .unwrap();
        assert_eq!(role.is_built_in, Some(false));
        assert_eq!(role.role_permissions[0].allowed_resource_actions.len(), 1);
        let unit: AdministrativeUnit =
            serde_json::from_str(r#"{"id": "au", "displayName": "Tier 0"}"#).unwrap();
        assert_eq!(unit.is_member_management_restricted, None);
    }
}
