//! Microsoft Graph application permissions breakglass can grant the emergency app
//! instead of a directory role. Ids are the Microsoft Graph app role ids, the same
//! in every tenant.

use uuid::{Uuid, uuid};

/// One Microsoft Graph application permission.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GraphPermission {
    pub value: &'static str,
    pub id: Uuid,
}

pub const KNOWN: &[GraphPermission] = &[
    GraphPermission {
        value: "Application.Read.All",
        id: uuid!("9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30"),
    },
    GraphPermission {
        value: "Application.ReadWrite.All",
        id: uuid!("1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9"),
    },
    GraphPermission {
        value: "AppRoleAssignment.ReadWrite.All",
        id: uuid!("06b708a9-e830-4db3-a914-8e69da51d44f"),
    },
    GraphPermission {
        value: "AuditLog.Read.All",
        id: uuid!("b0afded3-3588-46d8-8b3d-9842eff778da"),
    },
    GraphPermission {
        value: "Directory.Read.All",
        id: uuid!("7ab1d382-f21e-4acd-a863-ba3e13f7da61"),
    },
    GraphPermission {
        value: "Directory.ReadWrite.All",
        id: uuid!("19dbc75e-c2e2-444c-a770-ec69d8559fc7"),
    },
    GraphPermission {
        value: "Group.ReadWrite.All",
        id: uuid!("62a82d76-70ea-41e2-9197-370581804d09"),
    },
    GraphPermission {
        value: "Policy.Read.All",
        id: uuid!("246dd0d5-5bd0-4def-940b-0421030a5b68"),
    },
    GraphPermission {
        value: "Policy.ReadWrite.AuthenticationMethod",
        id: uuid!("29c18626-4985-4dcd-85c0-193eef327366"),
    },
    GraphPermission {
        value: "Policy.ReadWrite.ConditionalAccess",
        id: uuid!("01c0a623-fc9b-48e9-b794-0756f8e8f067"),
    },
    GraphPermission {
        value: "RoleManagement.ReadWrite.Directory",
        id: uuid!("9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8"),
    },
    GraphPermission {
        value: "User.ReadWrite.All",
        id: uuid!("741f803b-c850-494e-b5df-cde7c675a1ca"),
    },
    GraphPermission {
        value: "UserAuthMethod-Passkey.ReadWrite.All",
        id: uuid!("0400e371-7db1-4338-a269-96069eb65227"),
    },
    GraphPermission {
        value: "UserAuthenticationMethod.ReadWrite.All",
        id: uuid!("50483e42-d915-4231-9639-7fdb7fd190e5"),
    },
];

pub fn is_known(value: &str) -> bool {
    by_value(value).is_some()
}

pub fn by_value(value: &str) -> Option<GraphPermission> {
    KNOWN
        .iter()
        .copied()
        .find(|p| p.value.eq_ignore_ascii_case(value))
}
