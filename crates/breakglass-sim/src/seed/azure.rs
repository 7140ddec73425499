//! Azure role assignments at the root of Azure (`azureRoleAssignments`), for `audit --azure`.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Seeding;
use crate::SimError;
use crate::state::{AzureRoleAssignment, Kind};
use breakglass_core::azure_rbac;

/// `{"scope": "/" | "rootManagementGroup", "role": "Owner" | "{role definition GUID}",
/// "principal": "{user principal name | group or application display name | object id}"}`.
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct AzureRoleAssignmentDescription {
    pub scope: String,
    pub role: String,
    pub principal: String,
    /// For a principal given by object id only: `User` (default), `Group` or `ServicePrincipal`.
    #[serde(default)]
    pub principal_type: Option<String>,
}

impl Seeding<'_> {
    pub(super) fn add_azure_role_assignments(
        &mut self,
        assignments: &[AzureRoleAssignmentDescription],
    ) -> Result<(), SimError> {
        let root_group = azure_rbac::root_management_group(&self.tenant.tenant_id.to_string());
        for a in assignments {
            let scope = match a.scope.as_str() {
                "/" => "/".to_string(),
                "rootManagementGroup" => root_group.clone(),
                other if other.eq_ignore_ascii_case(&root_group) => root_group.clone(),
                other => {
                    return Err(self.fail(format!(
                        "azureRoleAssignments scope `{other}` is neither `/` nor `rootManagementGroup` ({root_group})"
                    )));
                }
            };
            let role_definition = match azure_rbac::role_by_name(&a.role) {
                Some(role) => role.id.to_string(),
                None => Uuid::parse_str(&a.role)
                    .map_err(|_| self.fail(format!("azureRoleAssignments role `{}` is neither Owner, User Access Administrator, Contributor, Reader nor a role definition GUID", a.role)))?
                    .to_string(),
            };
            let (principal_id, principal_type) = self.azure_principal(a)?;
            self.tenant.arm.role_assignments.push(AzureRoleAssignment {
                name: Uuid::new_v4().to_string(),
                scope,
                role_definition,
                principal_id,
                principal_type,
            });
        }
        Ok(())
    }

    fn azure_principal(
        &self,
        a: &AzureRoleAssignmentDescription,
    ) -> Result<(String, String), SimError> {
        let name = a.principal.as_str();
        if let Some(id) = self.user_ids.get(&name.to_ascii_lowercase()) {
            return Ok((id.clone(), "User".into()));
        }
        if let Some(id) = self.service_principal_ids.get(name) {
            return Ok((id.clone(), "ServicePrincipal".into()));
        }
        if let Some(group) = self
            .tenant
            .live(Kind::Group)
            .find(|g| g.display_name() == name)
        {
            return Ok((group.id().to_string(), "Group".into()));
        }
        if let Ok(id) = Uuid::parse_str(name) {
            let kind = a.principal_type.clone().unwrap_or_else(|| "User".into());
            return Ok((id.to_string(), kind));
        }
        Err(self.fail(format!(
            "azureRoleAssignments principal `{name}` is neither a user, a group, an application nor an object id"
        )))
    }
}
