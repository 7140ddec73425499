//! Built-in directory roles that breakglass reasons about, by template id.
//!
//! Template ids are the same in every tenant and every cloud; Entra accepts them
//! wherever a role definition id is expected.

use uuid::{Uuid, uuid};

/// A built-in Entra directory role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BuiltInRole {
    pub display_name: &'static str,
    pub template_id: Uuid,
    /// Whether Microsoft marks the role as privileged.
    pub privileged: bool,
}

pub const GLOBAL_ADMINISTRATOR: BuiltInRole = BuiltInRole {
    display_name: "Global Administrator",
    template_id: uuid!("62e90394-69f5-4237-9190-012177145e10"),
    privileged: true,
};
pub const PRIVILEGED_ROLE_ADMINISTRATOR: BuiltInRole = BuiltInRole {
    display_name: "Privileged Role Administrator",
    template_id: uuid!("e8611ab8-c189-46e8-94e1-60213ab1f814"),
    privileged: true,
};
pub const PRIVILEGED_AUTHENTICATION_ADMINISTRATOR: BuiltInRole = BuiltInRole {
    display_name: "Privileged Authentication Administrator",
    template_id: uuid!("7be44c8a-adaf-4e2a-84d6-ab2649e08a13"),
    privileged: true,
};
pub const APPLICATION_ADMINISTRATOR: BuiltInRole = BuiltInRole {
    display_name: "Application Administrator",
    template_id: uuid!("9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"),
    privileged: true,
};
pub const CLOUD_APPLICATION_ADMINISTRATOR: BuiltInRole = BuiltInRole {
    display_name: "Cloud Application Administrator",
    template_id: uuid!("158c047a-c907-4556-b7ef-446551a6b5f7"),
    privileged: true,
};
pub const CONDITIONAL_ACCESS_ADMINISTRATOR: BuiltInRole = BuiltInRole {
    display_name: "Conditional Access Administrator",
    template_id: uuid!("b1be1c3e-b65d-4f19-8427-f6fa0d97feb9"),
    privileged: true,
};
pub const SECURITY_ADMINISTRATOR: BuiltInRole = BuiltInRole {
    display_name: "Security Administrator",
    template_id: uuid!("194ae4cb-b126-40b2-bd5b-6091b380977d"),
    privileged: true,
};
pub const USER_ADMINISTRATOR: BuiltInRole = BuiltInRole {
    display_name: "User Administrator",
    template_id: uuid!("fe930be7-5e62-47db-91af-98c3a49a38b1"),
    privileged: true,
};
pub const HELPDESK_ADMINISTRATOR: BuiltInRole = BuiltInRole {
    display_name: "Helpdesk Administrator",
    template_id: uuid!("729827e3-9c14-49f7-bb1b-9608f156bbb8"),
    privileged: true,
};
pub const AUTHENTICATION_ADMINISTRATOR: BuiltInRole = BuiltInRole {
    display_name: "Authentication Administrator",
    template_id: uuid!("c4e39bd9-1100-46d3-8c65-fb160da0071f"),
    privileged: true,
};
/// Runs Entra Connect and federation; may change the owners of any app and service principal.
pub const AUTHENTICATION_POLICY_ADMINISTRATOR: BuiltInRole = BuiltInRole {
    display_name: "Authentication Policy Administrator",
    template_id: uuid!("0526716b-113d-4c15-b2c8-68e3c22b9f80"),
    privileged: true,
};
pub const HYBRID_IDENTITY_ADMINISTRATOR: BuiltInRole = BuiltInRole {
    display_name: "Hybrid Identity Administrator",
    template_id: uuid!("8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2"),
    privileged: true,
};
pub const EXCHANGE_ADMINISTRATOR: BuiltInRole = BuiltInRole {
    display_name: "Exchange Administrator",
    template_id: uuid!("29232cdf-9323-42fd-ade2-1d097af3e4de"),
    privileged: false,
};
pub const GLOBAL_READER: BuiltInRole = BuiltInRole {
    display_name: "Global Reader",
    template_id: uuid!("f2ef992c-3afb-46b9-b7cf-a126ee74c451"),
    privileged: false,
};
pub const SECURITY_READER: BuiltInRole = BuiltInRole {
    display_name: "Security Reader",
    template_id: uuid!("5d6b6bb7-de71-4623-b4af-96380a352509"),
    privileged: false,
};

/// Every role this module knows, for lookups by name or id.
pub const ALL: &[BuiltInRole] = &[
    GLOBAL_ADMINISTRATOR,
    PRIVILEGED_ROLE_ADMINISTRATOR,
    PRIVILEGED_AUTHENTICATION_ADMINISTRATOR,
    APPLICATION_ADMINISTRATOR,
    CLOUD_APPLICATION_ADMINISTRATOR,
    CONDITIONAL_ACCESS_ADMINISTRATOR,
    SECURITY_ADMINISTRATOR,
    USER_ADMINISTRATOR,
    HELPDESK_ADMINISTRATOR,
    AUTHENTICATION_ADMINISTRATOR,
    AUTHENTICATION_POLICY_ADMINISTRATOR,
    HYBRID_IDENTITY_ADMINISTRATOR,
    EXCHANGE_ADMINISTRATOR,
    GLOBAL_READER,
    SECURITY_READER,
];

/// Finds a role by its display name, ignoring case.
pub fn by_name(name: &str) -> Option<BuiltInRole> {
    ALL.iter()
        .copied()
        .find(|role| role.display_name.eq_ignore_ascii_case(name.trim()))
}

/// Finds a role by its template id.
pub fn by_template_id(id: Uuid) -> Option<BuiltInRole> {
    ALL.iter().copied().find(|role| role.template_id == id)
}

/// The Microsoft Graph first-party application id, the same in every tenant.
pub const MICROSOFT_GRAPH_APP_ID: Uuid = uuid!("00000003-0000-0000-c000-000000000000");

/// The "Microsoft Graph Command Line Tools" public client: a first-party app every
/// tenant can sign in to, used for the operator's device code sign-in.
pub const GRAPH_COMMAND_LINE_TOOLS_APP_ID: Uuid = uuid!("14d82eec-204b-4c2f-b7e8-296a70dab67e");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_agree() {
        assert_eq!(by_name("global administrator"), Some(GLOBAL_ADMINISTRATOR));
        assert_eq!(
            by_template_id(GLOBAL_READER.template_id).map(|r| r.display_name),
            Some("Global Reader")
        );
        assert_eq!(by_name("Chief Everything Officer"), None);
    }
}
