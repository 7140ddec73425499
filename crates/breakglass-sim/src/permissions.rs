//! Microsoft Graph application permissions (app roles of the Microsoft Graph
//! service principal) that the simulator publishes and enforces.

use uuid::{Uuid, uuid};

pub(crate) struct GraphPermission {
    pub value: &'static str,
    pub id: Uuid,
    pub display_name: &'static str,
}

pub(crate) const GRAPH_APP_ROLES: &[GraphPermission] = &[
    GraphPermission {
        value: "Application.Read.All",
        id: uuid!("9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30"),
        display_name: "Read all applications",
    },
    GraphPermission {
        value: "Application.ReadWrite.All",
        id: uuid!("1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9"),
        display_name: "Read and write all applications",
    },
    GraphPermission {
        value: "Application.ReadWrite.OwnedBy",
        id: uuid!("18a4783c-866b-4cc7-a460-3d5e5662c884"),
        display_name: "Manage apps that this app creates or owns",
    },
    GraphPermission {
        value: "AppRoleAssignment.ReadWrite.All",
        id: uuid!("06b708a9-e830-4db3-a914-8e69da51d44f"),
        display_name: "Manage app permission grants and app role assignments",
    },
    GraphPermission {
        value: "AuditLog.Read.All",
        id: uuid!("b0afded3-3588-46d8-8b3d-9842eff778da"),
        display_name: "Read all audit log data",
    },
    GraphPermission {
        value: "Directory.Read.All",
        id: uuid!("7ab1d382-f21e-4acd-a863-ba3e13f7da61"),
        display_name: "Read directory data",
    },
    GraphPermission {
        value: "Directory.ReadWrite.All",
        id: uuid!("19dbc75e-c2e2-444c-a770-ec69d8559fc7"),
        display_name: "Read and write directory data",
    },
    GraphPermission {
        value: "Domain.Read.All",
        id: uuid!("dbb9058a-0e50-45d7-ae91-66909b5d4664"),
        display_name: "Read domains",
    },
    GraphPermission {
        value: "Group.Read.All",
        id: uuid!("5b567255-7703-4780-807c-7be8301ae99b"),
        display_name: "Read all groups",
    },
    GraphPermission {
        value: "Group.ReadWrite.All",
        id: uuid!("62a82d76-70ea-41e2-9197-370581804d09"),
        display_name: "Read and write all groups",
    },
    GraphPermission {
        value: "GroupMember.ReadWrite.All",
        id: uuid!("dbaae8cf-10b5-4b86-a4a1-f871c94c6695"),
        display_name: "Read and write all group memberships",
    },
    GraphPermission {
        value: "Organization.Read.All",
        id: uuid!("498476ce-e0fe-48b0-b801-37ba7e2685c6"),
        display_name: "Read organization information",
    },
    GraphPermission {
        value: "Policy.Read.All",
        id: uuid!("246dd0d5-5bd0-4def-940b-0421030a5b68"),
        display_name: "Read your organization's policies",
    },
    GraphPermission {
        value: "Policy.ReadWrite.ApplicationConfiguration",
        id: uuid!("be74164b-cff1-491c-8741-e671cb536e13"),
        display_name: "Read and write your organization's application configuration policies",
    },
    GraphPermission {
        value: "Policy.ReadWrite.AuthenticationMethod",
        id: uuid!("29c18626-4985-4dcd-85c0-193eef327366"),
        display_name: "Read and write all authentication method policies",
    },
    GraphPermission {
        value: "Policy.ReadWrite.ConditionalAccess",
        id: uuid!("01c0a623-fc9b-48e9-b794-0756f8e8f067"),
        display_name: "Read and write your organization's conditional access policies",
    },
    GraphPermission {
        value: "RoleManagement.Read.Directory",
        id: uuid!("483bed4a-2ad3-4361-a73b-c83ccdbdc53c"),
        display_name: "Read all directory RBAC settings",
    },
    GraphPermission {
        value: "RoleManagement.ReadWrite.Directory",
        id: uuid!("9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8"),
        display_name: "Read and write all directory RBAC settings",
    },
    GraphPermission {
        value: "User.Read.All",
        id: uuid!("df021288-bdef-4463-88db-98f22de89214"),
        display_name: "Read all users' full profiles",
    },
    GraphPermission {
        value: "User.ReadWrite.All",
        id: uuid!("741f803b-c850-494e-b5df-cde7c675a1ca"),
        display_name: "Read and write all users' full profiles",
    },
    GraphPermission {
        value: "UserAuthMethod-Passkey.ReadWrite.All",
        id: uuid!("0400e371-7db1-4338-a269-96069eb65227"),
        display_name: "Read and write all users' passkey authentication methods",
    },
    GraphPermission {
        value: "UserAuthenticationMethod.Read.All",
        id: uuid!("38d9df27-64da-44fd-b7c5-a6fbac20248f"),
        display_name: "Read all users' authentication methods",
    },
    GraphPermission {
        value: "UserAuthenticationMethod.ReadWrite.All",
        id: uuid!("50483e42-d915-4231-9639-7fdb7fd190e5"),
        display_name: "Read and write all users' authentication methods",
    },
];

pub(crate) fn by_value(value: &str) -> Option<&'static GraphPermission> {
    GRAPH_APP_ROLES
        .iter()
        .find(|p| p.value.eq_ignore_ascii_case(value))
}

pub(crate) fn by_id(id: Uuid) -> Option<&'static GraphPermission> {
    GRAPH_APP_ROLES.iter().find(|p| p.id == id)
}
