//! Seeding of delegated administration: custom directory roles and administrative units
//! with the roles assigned over them.

use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::Seeding;
use crate::SimError;
use crate::state::Kind;
use crate::state::SeededUnit;
use breakglass_core::roles;

/// A custom directory role: `roles` and `eligibleRoles` of users and applications, and the
/// scoped roles of administrative units, may name it like a built-in one.
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct CustomRoleDescription {
    pub display_name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// `microsoft.directory/...` resource actions.
    pub allowed_resource_actions: Vec<String>,
}

/// An administrative unit; members are user principal names or group display names.
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct AdministrativeUnitDescription {
    pub display_name: String,
    #[serde(default)]
    pub is_member_management_restricted: bool,
    #[serde(default)]
    pub members: Vec<String>,
    /// Roles assigned with the unit as their scope.
    #[serde(default)]
    pub scoped_roles: Vec<ScopedRoleDescription>,
}

/// A role held over an administrative unit by a user (its principal name) or an
/// application's service principal (the application's display name).
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ScopedRoleDescription {
    pub role: String,
    pub principal: String,
    /// PIM-eligible instead of active.
    #[serde(default)]
    pub eligible: bool,
}

impl Seeding<'_> {
    pub(super) fn add_custom_roles(
        &mut self,
        custom: &[CustomRoleDescription],
    ) -> Result<(), SimError> {
        for role in custom {
            if self.role_id(&role.display_name).is_ok() {
                return Err(self.fail(format!(
                    "custom role `{}` has the name of a role the tenant has already",
                    role.display_name
                )));
            }
            // A custom role's id is its template id too.
            let id = Uuid::new_v4().to_string();
            self.tenant.role_definitions.push(json!({
                "id": id,
                "description": role.description,
                "displayName": role.display_name,
                "isBuiltIn": false,
                "isEnabled": true,
                "resourceScopes": ["/"],
                "templateId": id,
                "version": null,
                "rolePermissions": [{
                    "allowedResourceActions": role.allowed_resource_actions,
                    "condition": null
                }],
                "inheritsPermissionsFrom": []
            }));
        }
        Ok(())
    }

    /// The id of a built-in role (its template id) or of a seeded custom role, by name.
    pub(super) fn role_id(&self, name: &str) -> Result<Uuid, SimError> {
        if let Some(role) = roles::by_name(name) {
            return Ok(role.template_id);
        }
        self.tenant
            .role_definitions
            .iter()
            .find(|d| d.get("displayName").and_then(|n| n.as_str()) == Some(name))
            .and_then(|d| d.get("id").and_then(|id| id.as_str()))
            .and_then(|id| Uuid::parse_str(id).ok())
            .ok_or_else(|| self.fail(format!("unknown directory role `{name}`")))
    }

    fn member_id(&self, unit: &str, name: &str) -> Result<String, SimError> {
        if let Some(id) = self.user_ids.get(&name.to_ascii_lowercase()) {
            return Ok(id.clone());
        }
        self.tenant
            .live(Kind::Group)
            .find(|g| g.display_name() == name)
            .map(|g| g.id().to_string())
            .ok_or_else(|| {
                self.fail(format!(
                    "administrative unit `{unit}` lists member `{name}`, which is neither a user nor a group"
                ))
            })
    }

    fn principal_id(&self, unit: &str, name: &str) -> Result<String, SimError> {
        self.user_ids
            .get(&name.to_ascii_lowercase())
            .or_else(|| self.service_principal_ids.get(name))
            .cloned()
            .ok_or_else(|| {
                self.fail(format!(
                    "administrative unit `{unit}` assigns a role to `{name}`, which is neither a user nor an application"
                ))
            })
    }

    pub(super) fn add_administrative_units(
        &mut self,
        units: &[AdministrativeUnitDescription],
    ) -> Result<(), SimError> {
        for unit in units {
            let id = Uuid::new_v4().to_string();
            let members = unit
                .members
                .iter()
                .map(|m| self.member_id(&unit.display_name, m))
                .collect::<Result<Vec<_>, _>>()?;
            for scoped in &unit.scoped_roles {
                let role_id = self.role_id(&scoped.role)?;
                let principal_id = self.principal_id(&unit.display_name, &scoped.principal)?;
                let mut assignment = json!({
                    "id": Uuid::new_v4().to_string(),
                    "principalId": principal_id,
                    "roleDefinitionId": role_id.to_string(),
                    "directoryScopeId": format!("/administrativeUnits/{id}"),
                    "appScopeId": null,
                });
                if scoped.eligible {
                    assignment["startDateTime"] = json!(self.created);
                    assignment["endDateTime"] = json!(null);
                    assignment["memberType"] = json!("Direct");
                    assignment["roleEligibilityScheduleId"] = json!(Uuid::new_v4().to_string());
                    self.tenant.role_eligibilities.push(assignment);
                } else {
                    assignment["condition"] = json!(null);
                    assignment["principalOrganizationId"] = json!(null);
                    self.tenant.role_assignments.push(assignment);
                }
            }
            self.tenant.administrative_units.push(SeededUnit {
                unit: json!({
                    "id": id,
                    "deletedDateTime": null,
                    "displayName": unit.display_name,
                    "description": null,
                    "isMemberManagementRestricted": unit.is_member_management_restricted,
                    "membershipRule": null,
                    "membershipRuleProcessingState": null,
                    "membershipType": null,
                    "visibility": null
                }),
                members,
            });
        }
        Ok(())
    }
}
