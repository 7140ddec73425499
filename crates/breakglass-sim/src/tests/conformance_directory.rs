//! Conformance rows for the tenant, users, groups, directory roles, deleted items and
//! Temporary Access Passes (see `conformance` for what a row states).

use serde_json::json;

use super::conformance::{Case, check_rows, conformance_harness};

/// The default properties a user is listed with (user-list.md) that breakglass reads.
const USER_READ: &[&str] = &["id", "displayName", "userPrincipalName"];
const GROUP_READ: &[&str] = &[
    "id",
    "displayName",
    "mailNickname",
    "mailEnabled",
    "securityEnabled",
    "groupTypes",
];
const MEMBER_READ: &[&str] = &["id", "@odata.type"];
const ASSIGNMENT_READ: &[&str] = &["id", "roleDefinitionId", "principalId", "directoryScopeId"];
const PASS_READ: &[&str] = &[
    "id",
    "createdDateTime",
    "startDateTime",
    "lifetimeInMinutes",
    "isUsableOnce",
    "isUsable",
    "methodUsabilityReason",
];

fn tenant_and_user_rows() -> Vec<Case> {
    vec![
        Case {
            operation: "GET /organization",
            reference: "api-reference/v1.0/api/organization-list.md",
            path: |_| "/v1.0/organization".into(),
            body: None,
            status: 200,
            required: &[],
            answers: &[
                "id",
                "displayName",
                "verifiedDomains/0/name",
                "verifiedDomains/0/isInitial",
                "verifiedDomains/0/isDefault",
            ],
        },
        Case {
            operation: "GET /domains",
            reference: "api-reference/v1.0/api/domain-list.md",
            path: |_| "/v1.0/domains".into(),
            body: None,
            status: 200,
            required: &[],
            answers: &[
                "id",
                "authenticationType",
                "isDefault",
                "isInitial",
                "isVerified",
                "isRoot",
            ],
        },
        Case {
            operation: "GET /users",
            reference: "api-reference/v1.0/api/user-list.md",
            path: |_| "/v1.0/users".into(),
            body: None,
            status: 200,
            required: &[],
            answers: USER_READ,
        },
        Case {
            operation: "GET /users/{id | userPrincipalName}",
            reference: "api-reference/v1.0/api/user-get.md",
            path: |f| format!("/v1.0/users/{}", f.user()),
            body: None,
            status: 200,
            required: &[],
            answers: USER_READ,
        },
        Case {
            operation: "POST /users",
            reference: "api-reference/v1.0/api/user-post-users.md",
            path: |_| "/v1.0/users".into(),
            body: Some(|f| {
                let nickname = f.unique("conformancecreated");
                json!({
                    "accountEnabled": false,
                    "displayName": nickname,
                    "mailNickname": nickname,
                    "userPrincipalName": format!("{nickname}@{}", f.domain()),
                    "passwordProfile": {"forceChangePasswordNextSignIn": true, "password": "Wx4#conformance-Made"},
                })
            }),
            status: 201,
            required: &[
                "accountEnabled",
                "displayName",
                "mailNickname",
                "userPrincipalName",
                "passwordProfile",
            ],
            answers: &["id", "userPrincipalName", "displayName"],
        },
        Case {
            operation: "PATCH /users/{id | userPrincipalName}",
            reference: "api-reference/v1.0/api/user-update.md",
            path: |f| format!("/v1.0/users/{}", f.user()),
            body: Some(|_| json!({"employeeType": "conformance"})),
            status: 204,
            required: &[],
            answers: &[],
        },
        Case {
            operation: "DELETE /users/{id | userPrincipalName}",
            reference: "api-reference/v1.0/api/user-delete.md",
            path: |f| format!("/v1.0/users/{}", f.user()),
            body: None,
            status: 204,
            required: &[],
            answers: &[],
        },
        Case {
            // The page notes a known issue about the code; it documents 200 with a Boolean.
            operation: "POST /users/{id | userPrincipalName}/revokeSignInSessions",
            reference: "api-reference/v1.0/api/user-revokesigninsessions.md",
            path: |f| format!("/v1.0/users/{}/revokeSignInSessions", f.user()),
            body: None,
            status: 200,
            required: &[],
            answers: &["value"],
        },
        Case {
            operation: "GET /users/{id | userPrincipalName}/memberOf",
            reference: "api-reference/v1.0/api/user-list-memberof.md",
            path: |f| format!("/v1.0/users/{}/memberOf", f.member()),
            body: None,
            status: 200,
            required: &[],
            answers: MEMBER_READ,
        },
        Case {
            // Every user has at least its password method.
            operation: "GET /users/{id | userPrincipalName}/authentication/methods",
            reference: "api-reference/v1.0/api/authentication-list-methods.md",
            path: |f| format!("/v1.0/users/{}/authentication/methods", f.user()),
            body: None,
            status: 200,
            required: &[],
            answers: MEMBER_READ,
        },
    ]
}

fn pass_and_deleted_rows() -> Vec<Case> {
    vec![
        Case {
            operation: "GET /users/{id | userPrincipalName}/authentication/temporaryAccessPassMethods",
            reference: "api-reference/v1.0/api/authentication-list-temporaryaccesspassmethods.md",
            path: |f| {
                f.temporary_access_pass();
                format!(
                    "/v1.0/users/{}/authentication/temporaryAccessPassMethods",
                    f.user()
                )
            },
            body: None,
            status: 200,
            required: &[],
            answers: PASS_READ,
        },
        Case {
            // Every property of the request is optional on the page.
            operation: "POST /users/{id | userPrincipalName}/authentication/temporaryAccessPassMethods",
            reference: "api-reference/v1.0/api/authentication-post-temporaryaccesspassmethods.md",
            path: |f| {
                format!(
                    "/v1.0/users/{}/authentication/temporaryAccessPassMethods",
                    f.user()
                )
            },
            body: Some(|_| json!({"lifetimeInMinutes": 90, "isUsableOnce": true})),
            status: 201,
            required: &[],
            answers: &[
                "id",
                "temporaryAccessPass",
                "createdDateTime",
                "startDateTime",
                "lifetimeInMinutes",
                "isUsableOnce",
                "isUsable",
                "methodUsabilityReason",
            ],
        },
        Case {
            operation: "DELETE /users/{id | userPrincipalName}/authentication/temporaryAccessPassMethods/{temporaryAccessPassAuthenticationMethodId}",
            reference: "api-reference/v1.0/api/temporaryaccesspassauthenticationmethod-delete.md",
            path: |f| {
                let pass = f.temporary_access_pass();
                format!(
                    "/v1.0/users/{}/authentication/temporaryAccessPassMethods/{pass}",
                    f.user()
                )
            },
            body: None,
            status: 204,
            required: &[],
            answers: &[],
        },
        Case {
            operation: "GET /directory/deletedItems/microsoft.graph.user",
            reference: "api-reference/v1.0/api/directory-deleteditems-list.md",
            path: |f| {
                f.deleted_user();
                "/v1.0/directory/deletedItems/microsoft.graph.user".into()
            },
            body: None,
            status: 200,
            required: &[],
            answers: &["id", "deletedDateTime", "userPrincipalName"],
        },
        Case {
            // The page says to send no body.
            operation: "POST /directory/deletedItems/{id}/restore",
            reference: "api-reference/v1.0/api/directory-deleteditems-restore.md",
            path: |f| format!("/v1.0/directory/deletedItems/{}/restore", f.deleted_user()),
            body: None,
            status: 200,
            required: &[],
            answers: &["id"],
        },
        Case {
            operation: "DELETE /directory/deletedItems/{id}",
            reference: "api-reference/v1.0/api/directory-deleteditems-delete.md",
            path: |f| format!("/v1.0/directory/deletedItems/{}", f.deleted_user()),
            body: None,
            status: 204,
            required: &[],
            answers: &[],
        },
    ]
}

fn group_rows() -> Vec<Case> {
    vec![
        Case {
            operation: "GET /groups",
            reference: "api-reference/v1.0/api/group-list.md",
            path: |_| "/v1.0/groups".into(),
            body: None,
            status: 200,
            required: &[],
            answers: GROUP_READ,
        },
        Case {
            operation: "GET /groups/{id}",
            reference: "api-reference/v1.0/api/group-get.md",
            path: |f| format!("/v1.0/groups/{}", f.group()),
            body: None,
            status: 200,
            required: &[],
            answers: GROUP_READ,
        },
        Case {
            operation: "POST /groups",
            reference: "api-reference/v1.0/api/group-post-groups.md",
            path: |_| "/v1.0/groups".into(),
            body: Some(|f| {
                let nickname = f.unique("conformancemade");
                json!({"displayName": nickname, "mailNickname": nickname, "mailEnabled": false, "securityEnabled": true})
            }),
            status: 201,
            required: &[
                "displayName",
                "mailEnabled",
                "mailNickname",
                "securityEnabled",
            ],
            answers: &[
                "id",
                "displayName",
                "mailNickname",
                "mailEnabled",
                "securityEnabled",
                "groupTypes",
                "createdDateTime",
            ],
        },
        Case {
            operation: "DELETE /groups/{id}",
            reference: "api-reference/v1.0/api/group-delete.md",
            path: |f| format!("/v1.0/groups/{}", f.group()),
            body: None,
            status: 204,
            required: &[],
            answers: &[],
        },
        Case {
            operation: "GET /groups/{id}/members",
            reference: "api-reference/v1.0/api/group-list-members.md",
            path: |f| {
                f.member();
                format!("/v1.0/groups/{}/members", f.group())
            },
            body: None,
            status: 200,
            required: &[],
            answers: MEMBER_READ,
        },
        Case {
            operation: "POST /groups/{group-id}/members/$ref",
            reference: "api-reference/v1.0/api/group-post-members.md",
            path: |f| format!("/v1.0/groups/{}/members/$ref", f.group()),
            body: Some(|f| {
                let user = f.user();
                f.reference_to(&format!("directoryObjects/{user}"))
            }),
            status: 204,
            required: &["@odata.id"],
            answers: &[],
        },
        Case {
            operation: "DELETE /groups/{group-id}/members/{directoryObject-id}/$ref",
            reference: "api-reference/v1.0/api/group-delete-members.md",
            path: |f| {
                let member = f.member();
                format!("/v1.0/groups/{}/members/{member}/$ref", f.group())
            },
            body: None,
            status: 204,
            required: &[],
            answers: &[],
        },
    ]
}

fn role_rows() -> Vec<Case> {
    vec![
        Case {
            operation: "GET /roleManagement/directory/roleDefinitions",
            reference: "api-reference/v1.0/api/rbacapplication-list-roledefinitions.md",
            path: |_| "/v1.0/roleManagement/directory/roleDefinitions".into(),
            body: None,
            status: 200,
            required: &[],
            answers: &[
                "id",
                "displayName",
                "templateId",
                "isBuiltIn",
                "isEnabled",
                "rolePermissions/0/allowedResourceActions",
            ],
        },
        Case {
            operation: "GET /roleManagement/directory/roleAssignments",
            reference: "api-reference/v1.0/api/rbacapplication-list-roleassignments.md",
            path: |f| {
                f.role_assignment();
                "/v1.0/roleManagement/directory/roleAssignments".into()
            },
            body: None,
            status: 200,
            required: &[],
            answers: ASSIGNMENT_READ,
        },
        Case {
            // The built-in tenant holds no eligibility, so there is no item to read.
            operation: "GET /roleManagement/directory/roleEligibilityScheduleInstances",
            reference: "api-reference/v1.0/api/rbacapplication-list-roleeligibilityscheduleinstances.md",
            path: |_| "/v1.0/roleManagement/directory/roleEligibilityScheduleInstances".into(),
            body: None,
            status: 200,
            required: &[],
            answers: &[],
        },
        Case {
            // `directoryScopeId` or `appScopeId` is required; breakglass sends the first only,
            // so without it the request has neither.
            operation: "POST /roleManagement/directory/roleAssignments",
            reference: "api-reference/v1.0/api/rbacapplication-post-roleassignments.md",
            path: |_| "/v1.0/roleManagement/directory/roleAssignments".into(),
            body: Some(|f| {
                json!({
                    "roleDefinitionId": breakglass_core::roles::GLOBAL_READER.template_id.to_string(),
                    "principalId": f.user(),
                    "directoryScopeId": "/",
                })
            }),
            status: 201,
            required: &["roleDefinitionId", "principalId", "directoryScopeId"],
            answers: ASSIGNMENT_READ,
        },
        Case {
            operation: "DELETE /roleManagement/directory/roleAssignments/{id}",
            reference: "api-reference/v1.0/api/unifiedroleassignment-delete.md",
            path: |f| {
                format!(
                    "/v1.0/roleManagement/directory/roleAssignments/{}",
                    f.role_assignment()
                )
            },
            body: None,
            status: 204,
            required: &[],
            answers: &[],
        },
    ]
}

#[test]
fn conformance_of_the_tenant_users_and_passes() {
    let h = conformance_harness();
    let token = h.operator_token();
    check_rows(&h, &token, &tenant_and_user_rows());
    check_rows(&h, &token, &pass_and_deleted_rows());
}

#[test]
fn conformance_of_groups_and_directory_roles() {
    let h = conformance_harness();
    let token = h.operator_token();
    check_rows(&h, &token, &group_rows());
    check_rows(&h, &token, &role_rows());
}
