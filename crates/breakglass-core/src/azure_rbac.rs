//! Azure role-based access control as the audit sees it with `--azure`: the role assignments
//! at the root scope (`/`) and on the tenant root management group, read through Azure Resource
//! Manager. Only the built-in roles the audit judges are named; any other role keeps its id.

use serde::Serialize;

use crate::tenant::{Fact, same};

/// A built-in Azure role: its role definition id (the same in every tenant) and its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AzureRole {
    pub id: &'static str,
    pub name: &'static str,
    /// Whether holding it lets one assign any role, User Access Administrator at root included.
    pub assigns_roles: bool,
}

pub const OWNER: AzureRole = AzureRole {
    id: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
    name: "Owner",
    assigns_roles: true,
};
pub const USER_ACCESS_ADMINISTRATOR: AzureRole = AzureRole {
    id: "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
    name: "User Access Administrator",
    assigns_roles: true,
};
pub const CONTRIBUTOR: AzureRole = AzureRole {
    id: "b24988ac-6180-42a0-ab88-20f7382dd24c",
    name: "Contributor",
    assigns_roles: false,
};
pub const READER: AzureRole = AzureRole {
    id: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    name: "Reader",
    assigns_roles: false,
};

/// What an operator needs to read the role assignments at both root scopes: any role on the
/// root management group includes reading them (Microsoft.Authorization/roleAssignments/read).
pub const AZURE_READ: &str = "an Azure role on the root management group, e.g. Reader (or elevated access: User Access Administrator at /)";

/// The built-in roles the audit names.
pub const KNOWN: &[AzureRole] = &[OWNER, USER_ACCESS_ADMINISTRATOR, CONTRIBUTOR, READER];

/// The built-in role with this id, or the last segment of a full role definition id
/// (`/providers/Microsoft.Authorization/roleDefinitions/{id}`, or under a subscription).
pub fn role_by_definition(role_definition_id: &str) -> Option<AzureRole> {
    let id = role_definition_id
        .rsplit('/')
        .next()
        .unwrap_or(role_definition_id);
    KNOWN.iter().copied().find(|r| same(r.id, id))
}

/// The built-in role with this name (case-insensitive).
pub fn role_by_name(name: &str) -> Option<AzureRole> {
    KNOWN
        .iter()
        .copied()
        .find(|r| r.name.eq_ignore_ascii_case(name))
}

/// The tenant root management group's resource id: its name is the tenant id.
pub fn root_management_group(tenant_id: &str) -> String {
    format!("/providers/Microsoft.Management/managementGroups/{tenant_id}")
}

/// One Azure role assignment.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AzureAssignment {
    /// The assignment's resource id.
    pub id: String,
    pub principal_id: String,
    /// `User`, `ServicePrincipal`, `Group`, as Resource Manager names it.
    pub principal_type: String,
    /// The role definition id as given (a full resource id).
    pub role_definition_id: String,
    /// `/`, or the root management group's resource id.
    pub scope: String,
}

impl AzureAssignment {
    pub fn role(&self) -> Option<AzureRole> {
        role_by_definition(&self.role_definition_id)
    }

    /// The role's name, or its id when it is not one the audit names.
    pub fn role_name(&self) -> String {
        self.role().map_or_else(
            || {
                self.role_definition_id
                    .rsplit('/')
                    .next()
                    .unwrap_or_default()
                    .to_string()
            },
            |r| r.name.to_string(),
        )
    }

    /// Whether its holder may assign any role at its scope and below.
    pub fn assigns_roles(&self) -> bool {
        self.role().is_some_and(|r| r.assigns_roles)
    }

    /// Whether it is at the root scope `/` (elevated access lands there).
    pub fn at_root(&self) -> bool {
        self.scope == "/"
    }

    /// `principalType` in the spelling evidence uses for directory objects.
    pub fn kind(&self) -> String {
        match self.principal_type.as_str() {
            "User" => "user".into(),
            "ServicePrincipal" => "servicePrincipal".into(),
            "Group" => "group".into(),
            "" => "unknown".into(),
            other => other.to_string(),
        }
    }
}

/// What `audit --azure` read from Resource Manager.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AzureReach {
    /// Role assignments at `/`.
    pub root: Fact<Vec<AzureAssignment>>,
    /// Role assignments on the tenant root management group itself (not those inherited from
    /// `/`); none when the tenant has no root management group yet.
    pub root_management_group: Fact<Vec<AzureAssignment>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_named_from_full_or_bare_definition_ids() {
        let full = "/subscriptions/x/providers/Microsoft.Authorization/roleDefinitions/18D7D88D-D35E-4FB5-A5C3-7773C20A72D9";
        assert_eq!(role_by_definition(full), Some(USER_ACCESS_ADMINISTRATOR));
        assert_eq!(role_by_definition(OWNER.id), Some(OWNER));
        assert_eq!(
            role_by_definition("/providers/x/roleDefinitions/other"),
            None
        );
        assert_eq!(role_by_name("owner"), Some(OWNER));
    }
}
