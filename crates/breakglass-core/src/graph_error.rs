//! What to do about a Microsoft Graph error: pure rules from the request (method and path)
//! and the answer (status, error code, message) to a hint a person can act on.
//!
//! The most useful hint is for `403 Authorization_RequestDenied`: naming the application
//! permission (or directory role, for a signed-in operator) the request needs.

/// The permissions one kind of Graph request needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequiredPermissions {
    /// Application permissions (app-only tokens), any one of which is enough unless
    /// `all_application` is set.
    pub application: &'static [&'static str],
    /// Whether every listed application permission is needed rather than any one.
    pub all_application: bool,
    /// Directory roles that allow the request for a signed-in operator (least privileged first).
    pub roles: &'static [&'static str],
    /// A further condition worth saying, if any.
    pub note: Option<&'static str>,
}

struct Rule {
    methods: &'static [&'static str],
    /// Path segments; `*` matches one segment, `**` matches the rest.
    pattern: &'static [&'static str],
    needs: RequiredPermissions,
}

const READ: &[&str] = &["GET"];
const WRITE: &[&str] = &["POST", "PATCH", "PUT", "DELETE"];
const ANY: &[&str] = &["GET", "POST", "PATCH", "PUT", "DELETE"];

const fn any_of(
    application: &'static [&'static str],
    roles: &'static [&'static str],
) -> RequiredPermissions {
    RequiredPermissions {
        application,
        all_application: false,
        roles,
        note: None,
    }
}

const APP_ROLES: &[&str] = &[
    "Cloud Application Administrator",
    "Application Administrator",
];
const APP_WRITE: RequiredPermissions = any_of(
    &["Application.ReadWrite.OwnedBy", "Application.ReadWrite.All"],
    APP_ROLES,
);
const APP_READ: RequiredPermissions = any_of(
    &["Application.Read.All", "Directory.Read.All"],
    &["Global Reader"],
);
const ROLE_READ: RequiredPermissions = any_of(
    &["RoleManagement.Read.Directory", "Directory.Read.All"],
    &["Global Reader", "Privileged Role Administrator"],
);
const AUDIT_READ: RequiredPermissions = RequiredPermissions {
    application: &["AuditLog.Read.All", "Directory.Read.All"],
    all_application: true,
    roles: &["Reports Reader", "Security Reader", "Global Reader"],
    note: Some("sign-in logs also need a Microsoft Entra ID P1 or P2 licence in the tenant"),
};

const RULES: &[Rule] = &[
    Rule {
        methods: READ,
        pattern: &["organization", "**"],
        needs: any_of(
            &["Organization.Read.All", "Directory.Read.All"],
            &["Directory Readers"],
        ),
    },
    Rule {
        methods: READ,
        pattern: &["domains", "**"],
        needs: any_of(
            &["Domain.Read.All", "Directory.Read.All"],
            &["Directory Readers"],
        ),
    },
    Rule {
        methods: ANY,
        pattern: &["users", "*", "authentication", "fido2Methods", "**"],
        needs: RequiredPermissions {
            application: &[
                "UserAuthMethod-Passkey.ReadWrite.All",
                "UserAuthenticationMethod.ReadWrite.All",
            ],
            all_application: false,
            roles: &[
                "Authentication Administrator",
                "Privileged Authentication Administrator",
            ],
            note: Some(
                "the Passkey (FIDO2) method must also be enabled for the user, with self-service setup allowed, in the tenant's authentication methods policy",
            ),
        },
    },
    Rule {
        methods: READ,
        pattern: &["policies", "authenticationMethodsPolicy", "**"],
        needs: any_of(
            &["Policy.Read.AuthenticationMethod", "Policy.Read.All"],
            &["Global Reader", "Security Reader"],
        ),
    },
    Rule {
        methods: ANY,
        pattern: &[
            "users",
            "*",
            "authentication",
            "temporaryAccessPassMethods",
            "**",
        ],
        needs: RequiredPermissions {
            application: &["UserAuthenticationMethod.ReadWrite.All"],
            all_application: false,
            roles: &[
                "Authentication Administrator",
                "Privileged Authentication Administrator",
            ],
            note: Some(
                "for a user holding an admin role only Privileged Authentication Administrator will do; the Temporary Access Pass method must also be enabled in the tenant's authentication methods policy",
            ),
        },
    },
    Rule {
        methods: &["DELETE"],
        pattern: &["users", "*"],
        needs: RequiredPermissions {
            application: &["User.ReadWrite.All"],
            all_application: false,
            roles: &[
                "User Administrator",
                "Privileged Authentication Administrator",
            ],
            note: Some(
                "deleting a user who holds an admin role needs the Privileged Authentication Administrator role (or Global Administrator) assigned to the app or operator; User.ReadWrite.All alone is not enough",
            ),
        },
    },
    Rule {
        methods: WRITE,
        pattern: &["users", "**"],
        needs: any_of(&["User.ReadWrite.All"], &["User Administrator"]),
    },
    Rule {
        methods: READ,
        pattern: &["users", "**"],
        needs: any_of(
            &["User.Read.All", "Directory.Read.All"],
            &["Directory Readers"],
        ),
    },
    Rule {
        methods: READ,
        pattern: &["applications", "**"],
        needs: APP_READ,
    },
    Rule {
        methods: WRITE,
        pattern: &["applications", "**"],
        needs: APP_WRITE,
    },
    Rule {
        methods: READ,
        pattern: &["servicePrincipals", "**"],
        needs: APP_READ,
    },
    Rule {
        methods: WRITE,
        pattern: &["servicePrincipals", "**"],
        needs: APP_WRITE,
    },
    Rule {
        methods: READ,
        pattern: &["roleManagement", "directory", "**"],
        needs: ROLE_READ,
    },
    Rule {
        methods: WRITE,
        pattern: &["roleManagement", "directory", "**"],
        needs: any_of(
            &["RoleManagement.ReadWrite.Directory"],
            &["Privileged Role Administrator"],
        ),
    },
    Rule {
        methods: READ,
        pattern: &["directoryRoles", "**"],
        needs: ROLE_READ,
    },
    Rule {
        methods: WRITE,
        pattern: &["groups", "*", "members", "**"],
        needs: RequiredPermissions {
            application: &["GroupMember.ReadWrite.All", "Group.ReadWrite.All"],
            all_application: false,
            roles: &["Groups Administrator", "Privileged Role Administrator"],
            note: Some(
                "a role-assignable group's members also need RoleManagement.ReadWrite.Directory",
            ),
        },
    },
    Rule {
        methods: WRITE,
        pattern: &["groups", "**"],
        needs: RequiredPermissions {
            application: &["Group.ReadWrite.All", "Group.Create"],
            all_application: false,
            roles: &["Groups Administrator", "Privileged Role Administrator"],
            note: Some("a role-assignable group also needs RoleManagement.ReadWrite.Directory"),
        },
    },
    Rule {
        methods: READ,
        pattern: &["groups", "**"],
        needs: any_of(
            &[
                "GroupMember.Read.All",
                "Group.Read.All",
                "Directory.Read.All",
            ],
            &["Directory Readers"],
        ),
    },
    Rule {
        methods: READ,
        pattern: &["directory", "deletedItems", "**"],
        needs: any_of(
            &[
                "Application.Read.All",
                "User.Read.All",
                "Group.Read.All",
                "Directory.Read.All",
            ],
            &["Global Reader"],
        ),
    },
    Rule {
        methods: WRITE,
        pattern: &["directory", "deletedItems", "**"],
        needs: RequiredPermissions {
            application: &[
                "Application.ReadWrite.All",
                "User.ReadWrite.All",
                "Group.ReadWrite.All",
            ],
            all_application: false,
            roles: &[
                "Application Administrator",
                "User Administrator",
                "Groups Administrator",
            ],
            note: Some(
                "the permission matching the deleted object's type (application, user or group)",
            ),
        },
    },
    Rule {
        methods: READ,
        pattern: &["identity", "conditionalAccess", "**"],
        needs: any_of(
            &["Policy.Read.All"],
            &[
                "Security Reader",
                "Conditional Access Administrator",
                "Global Reader",
            ],
        ),
    },
    Rule {
        methods: WRITE,
        pattern: &["identity", "conditionalAccess", "**"],
        needs: RequiredPermissions {
            application: &["Policy.ReadWrite.ConditionalAccess", "Policy.Read.All"],
            all_application: true,
            roles: &["Conditional Access Administrator", "Security Administrator"],
            note: None,
        },
    },
    Rule {
        methods: READ,
        pattern: &["auditLogs", "**"],
        needs: AUDIT_READ,
    },
];

/// Splits a Graph path (absolute URL path, with or without `/v1.0`/`/beta` and query) into
/// its segments.
fn segments(path: &str) -> Vec<&str> {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let path = path
        .strip_prefix("https://")
        .and_then(|rest| rest.find('/').map(|i| &rest[i..]))
        .unwrap_or(path);
    let mut parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if matches!(parts.first(), Some(&"v1.0") | Some(&"beta")) {
        parts.remove(0);
    }
    parts
        .into_iter()
        // `applications(appId='…')` addresses by alternate key; match on the collection name.
        .map(|segment| segment.split('(').next().unwrap_or(segment))
        .collect()
}

fn matches(pattern: &[&str], path: &[&str]) -> bool {
    match (pattern.first(), path.first()) {
        (Some(&"**"), _) => true,
        (None, None) => true,
        (Some(&"*"), Some(_)) => matches(&pattern[1..], &path[1..]),
        (Some(want), Some(got)) if want.eq_ignore_ascii_case(got) => {
            matches(&pattern[1..], &path[1..])
        }
        _ => false,
    }
}

/// The permissions a Graph request needs, if this module knows the request.
pub fn required_permissions(method: &str, path: &str) -> Option<RequiredPermissions> {
    let method = method.to_ascii_uppercase();
    let parts = segments(path);
    RULES
        .iter()
        .find(|rule| rule.methods.contains(&method.as_str()) && matches(rule.pattern, &parts))
        .map(|rule| rule.needs)
}

fn describe(needs: &RequiredPermissions) -> String {
    let joiner = if needs.all_application {
        " and "
    } else {
        " or "
    };
    let mut text = format!(
        "the app needs the Microsoft Graph application permission {} (granted with admin consent)",
        needs.application.join(joiner)
    );
    if !needs.roles.is_empty() {
        text.push_str(&format!(
            "; a signed-in operator needs a directory role such as {}",
            needs.roles.join(" or ")
        ));
    }
    if let Some(note) = needs.note {
        text.push_str("; ");
        text.push_str(note);
    }
    text
}

/// What to do about a Graph error answered to `method path`.
pub fn hint(method: &str, path: &str, status: u16, code: &str, message: &str) -> Option<String> {
    let lower = message.to_ascii_lowercase();
    match status {
        401 => Some(if lower.contains("expired") || lower.contains("not yet valid") {
            "the access token has expired (or this machine's clock is off); sign in again or fetch a new token".to_string()
        } else {
            "Graph rejected the access token; check it was issued for this cloud's Microsoft Graph (its `aud`) and for this tenant".to_string()
        }),
        403 if code.eq_ignore_ascii_case("Authentication_RequestFromNonPremiumTenantOrB2CTenant") => {
            Some("sign-in logs need a Microsoft Entra ID P1 or P2 licence in the tenant".to_string())
        }
        403 => Some(match required_permissions(method, path) {
            Some(needs) => describe(&needs),
            None => "the signed-in identity lacks permission for this request; check its Microsoft Graph application permissions (with admin consent) or directory roles".to_string(),
        }),
        404 => Some(
            "the object does not exist; if it was created moments ago it may not have replicated yet, so retry in a minute; otherwise check the id".to_string(),
        ),
        409 => Some("the object conflicts with one that already exists; treat it as done or choose another value".to_string()),
        429 => Some(
            "Microsoft Graph is throttling this app or tenant; wait a minute and retry, and run fewer requests in parallel".to_string(),
        ),
        400 if lower.contains("does not reference a valid application object") => Some(
            "the application was created moments ago and has not replicated yet; retry in a minute".to_string(),
        ),
        400 if lower.contains("conflicting object") || lower.contains("already exists") => Some(
            "an object with the same unique value already exists (for example the same role assignment or userPrincipalName); treat it as done or choose another value".to_string(),
        ),
        400 if code.eq_ignore_ascii_case("Request_UnsupportedQuery") => Some(
            "this query needs Graph's advanced query support: add $count=true and the header ConsistencyLevel: eventual, or simplify the $filter".to_string(),
        ),
        400 if code.eq_ignore_ascii_case("Directory_QuotaExceeded") => {
            Some("the tenant's directory object quota is exhausted; delete unused objects".to_string())
        }
        400 => None,
        500..=599 => Some(
            "Microsoft Graph had a transient failure; retry later, and quote the request-id to Microsoft support if it persists".to_string(),
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_for_known_requests() {
        let post_apps = required_permissions("POST", "/v1.0/applications").unwrap();
        assert!(post_apps.application.contains(&"Application.ReadWrite.All"));
        assert!(
            post_apps
                .application
                .contains(&"Application.ReadWrite.OwnedBy")
        );
        let add_password = required_permissions(
            "post",
            "https://graph.microsoft.com/v1.0/applications/abc/addPassword",
        )
        .unwrap();
        assert_eq!(add_password, post_apps);
        let by_app_id = required_permissions("PATCH", "/v1.0/applications(appId='x')").unwrap();
        assert_eq!(by_app_id, post_apps);
        assert_eq!(
            required_permissions("POST", "/v1.0/roleManagement/directory/roleAssignments")
                .unwrap()
                .application,
            &["RoleManagement.ReadWrite.Directory"]
        );
        let delete_user = required_permissions("DELETE", "/v1.0/users/u1").unwrap();
        assert!(
            delete_user
                .roles
                .contains(&"Privileged Authentication Administrator")
        );
        let audit = required_permissions("GET", "/beta/auditLogs/signIns?$filter=x").unwrap();
        assert!(audit.all_application);
        assert_eq!(
            audit.application,
            &["AuditLog.Read.All", "Directory.Read.All"]
        );
        let tap = required_permissions(
            "POST",
            "/v1.0/users/u/authentication/temporaryAccessPassMethods",
        )
        .unwrap();
        assert_eq!(tap.application, &["UserAuthenticationMethod.ReadWrite.All"]);
        let passkey = required_permissions(
            "GET",
            "/v1.0/users/u/authentication/fido2Methods/creationOptions",
        )
        .unwrap();
        assert_eq!(
            passkey.application[0],
            "UserAuthMethod-Passkey.ReadWrite.All"
        );
        let policy = required_permissions(
            "GET",
            "/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/fido2",
        )
        .unwrap();
        assert_eq!(policy.application[0], "Policy.Read.AuthenticationMethod");
        assert_eq!(required_permissions("GET", "/v1.0/me/drive"), None);
    }

    #[test]
    fn hints_by_status() {
        let forbidden = hint(
            "POST",
            "/v1.0/applications",
            403,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        )
        .unwrap();
        assert!(
            forbidden.contains("Application.ReadWrite.All"),
            "{forbidden}"
        );
        let expired = hint(
            "GET",
            "/v1.0/users",
            401,
            "InvalidAuthenticationToken",
            "Access token has expired or is not yet valid.",
        )
        .unwrap();
        assert!(expired.contains("expired"));
        assert!(
            hint("GET", "/v1.0/users/x", 404, "Request_ResourceNotFound", "")
                .unwrap()
                .contains("replicated")
        );
        assert!(
            hint("GET", "/v1.0/users", 429, "", "")
                .unwrap()
                .contains("throttling")
        );
        let conflict = hint("POST", "/v1.0/roleManagement/directory/roleAssignments", 400, "Request_BadRequest", "A conflicting object with one or more of the specified property values is present in the directory.").unwrap();
        assert!(conflict.contains("already exists"));
        assert_eq!(
            hint(
                "GET",
                "/v1.0/users",
                400,
                "Request_BadRequest",
                "Invalid filter clause"
            ),
            None
        );
        assert!(hint("GET", "/v1.0/users", 503, "", "").is_some());
    }
}
