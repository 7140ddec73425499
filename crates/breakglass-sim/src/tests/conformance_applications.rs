//! Conformance rows for applications, service principals, their credentials, owners and app
//! role assignments (see `conformance` for what a row states).

use serde_json::json;

use super::conformance::{Case, check_rows, conformance_harness};

const APP_READ: &[&str] = &[
    "id",
    "appId",
    "displayName",
    "tags",
    "passwordCredentials",
    "keyCredentials",
];
const SP_READ: &[&str] = &[
    "id",
    "appId",
    "displayName",
    "accountEnabled",
    "servicePrincipalType",
    "appOwnerOrganizationId",
    "passwordCredentials",
    "keyCredentials",
    "appRoles",
];
const GRANT_READ: &[&str] = &[
    "id",
    "appRoleId",
    "principalId",
    "principalType",
    "resourceId",
    "resourceDisplayName",
];
/// A directory object in a collection of mixed kinds says which kind it is.
const MEMBER_READ: &[&str] = &["id", "@odata.type"];

fn application_rows() -> Vec<Case> {
    vec![
        Case {
            operation: "GET /applications",
            reference: "api-reference/v1.0/api/application-list.md",
            path: |_| "/v1.0/applications".into(),
            body: None,
            status: 200,
            required: &[],
            answers: APP_READ,
        },
        Case {
            operation: "GET /applications/{id}",
            reference: "api-reference/v1.0/api/application-get.md",
            path: |f| format!("/v1.0/applications/{}", f.app()),
            body: None,
            status: 200,
            required: &[],
            answers: APP_READ,
        },
        Case {
            // The key of a certificate comes back only when selected on one object
            // (api-reference/v1.0/resources/keycredential.md).
            operation: "GET /applications/{id}?$select=passwordCredentials,keyCredentials",
            reference: "api-reference/v1.0/api/application-get.md",
            path: |f| {
                f.certificate_key_id();
                format!(
                    "/v1.0/applications/{}?$select=passwordCredentials,keyCredentials",
                    f.certified_app()
                )
            },
            body: None,
            status: 200,
            required: &[],
            answers: &[
                "passwordCredentials",
                "keyCredentials/0/key",
                "keyCredentials/0/keyId",
            ],
        },
        Case {
            operation: "POST /applications",
            reference: "api-reference/v1.0/api/application-post-applications.md",
            path: |_| "/v1.0/applications".into(),
            body: Some(
                |f| json!({"displayName": f.unique("conformance created "), "tags": ["conformance"]}),
            ),
            status: 201,
            required: &["displayName"],
            answers: &[
                "id",
                "appId",
                "displayName",
                "createdDateTime",
                "signInAudience",
                "tags",
                "keyCredentials",
                "passwordCredentials",
            ],
        },
        Case {
            operation: "PATCH /applications/{id}",
            reference: "api-reference/v1.0/api/application-update.md",
            path: |f| format!("/v1.0/applications/{}", f.app()),
            body: Some(|_| json!({"notes": "rehearsed by the conformance suite"})),
            status: 204,
            required: &[],
            answers: &[],
        },
        Case {
            // The first certificate goes on with PATCH: addKey needs a certificate already held.
            operation: "PATCH /applications/{id} (keyCredentials)",
            reference: "api-reference/v1.0/api/application-update.md",
            path: |f| format!("/v1.0/applications/{}", f.app()),
            body: Some(
                |f| json!({"keyCredentials": [{"type": "AsymmetricX509Cert", "usage": "Verify", "key": f.new_certificate(), "displayName": "CN=conformance"}]}),
            ),
            status: 204,
            required: &[],
            answers: &[],
        },
        Case {
            operation: "DELETE /applications/{id}",
            reference: "api-reference/v1.0/api/application-delete.md",
            path: |f| format!("/v1.0/applications/{}", f.app()),
            body: None,
            status: 204,
            required: &[],
            answers: &[],
        },
        Case {
            // Only GET is sent, and the fixture's application has none: no item to read.
            operation: "GET /applications/{id}/federatedIdentityCredentials",
            reference: "api-reference/v1.0/api/application-list-federatedidentitycredentials.md",
            path: |f| {
                format!(
                    "/v1.0/applications/{}/federatedIdentityCredentials",
                    f.app()
                )
            },
            body: None,
            status: 200,
            required: &[],
            answers: &[],
        },
    ]
}

fn credential_rows() -> Vec<Case> {
    vec![
        Case {
            // The page makes `passwordCredential` and all its properties optional.
            operation: "POST /applications/{id}/addPassword",
            reference: "api-reference/v1.0/api/application-addpassword.md",
            path: |f| format!("/v1.0/applications/{}/addPassword", f.app()),
            body: Some(|_| json!({"passwordCredential": {"displayName": "conformance secret"}})),
            status: 200,
            required: &[],
            answers: &[
                "keyId",
                "secretText",
                "hint",
                "displayName",
                "startDateTime",
                "endDateTime",
            ],
        },
        Case {
            operation: "POST /applications/{id}/removePassword",
            reference: "api-reference/v1.0/api/application-removepassword.md",
            path: |f| format!("/v1.0/applications/{}/removePassword", f.app()),
            body: Some(|f| json!({"keyId": f.app_secret()})),
            status: 204,
            required: &["keyId"],
            answers: &[],
        },
        Case {
            // `passwordCredential` is needed only for X509CertAndPassword keys (null otherwise).
            operation: "POST /applications/{id}/addKey",
            reference: "api-reference/v1.0/api/application-addkey.md",
            path: |f| format!("/v1.0/applications/{}/addKey", f.certified_app()),
            body: Some(|f| {
                json!({
                    "keyCredential": {"type": "AsymmetricX509Cert", "usage": "Verify", "key": f.new_certificate()},
                    "passwordCredential": null,
                    "proof": f.proof(),
                })
            }),
            status: 200,
            required: &[
                "keyCredential",
                "proof",
                "keyCredential/type",
                "keyCredential/usage",
                "keyCredential/key",
            ],
            answers: &["keyId", "type", "usage"],
        },
        Case {
            operation: "POST /applications/{id}/removeKey",
            reference: "api-reference/v1.0/api/application-removekey.md",
            path: |f| format!("/v1.0/applications/{}/removeKey", f.certified_app()),
            body: Some(|f| json!({"keyId": f.certificate_key_id(), "proof": f.proof()})),
            status: 204,
            required: &["keyId", "proof"],
            answers: &[],
        },
    ]
}

fn service_principal_rows() -> Vec<Case> {
    vec![
        Case {
            operation: "GET /servicePrincipals",
            reference: "api-reference/v1.0/api/serviceprincipal-list.md",
            path: |_| "/v1.0/servicePrincipals".into(),
            body: None,
            status: 200,
            required: &[],
            answers: SP_READ,
        },
        Case {
            operation: "GET /servicePrincipals/{id}",
            reference: "api-reference/v1.0/api/serviceprincipal-get.md",
            path: |f| format!("/v1.0/servicePrincipals/{}", f.sp()),
            body: None,
            status: 200,
            required: &[],
            answers: SP_READ,
        },
        Case {
            operation: "POST /servicePrincipals",
            reference: "api-reference/v1.0/api/serviceprincipal-post-serviceprincipals.md",
            path: |_| "/v1.0/servicePrincipals".into(),
            body: Some(|f| json!({"appId": f.app_id(), "tags": ["conformance"]})),
            status: 201,
            required: &["appId"],
            answers: &[
                "id",
                "appId",
                "accountEnabled",
                "servicePrincipalType",
                "appOwnerOrganizationId",
                "servicePrincipalNames",
            ],
        },
        Case {
            operation: "PATCH /servicePrincipals/{id}",
            reference: "api-reference/v1.0/api/serviceprincipal-update.md",
            path: |f| format!("/v1.0/servicePrincipals/{}", f.sp()),
            body: Some(|_| json!({"accountEnabled": true})),
            status: 204,
            required: &[],
            answers: &[],
        },
        Case {
            operation: "PATCH /servicePrincipals/{id} (keyCredentials)",
            reference: "api-reference/v1.0/api/serviceprincipal-update.md",
            path: |f| format!("/v1.0/servicePrincipals/{}", f.sp()),
            body: Some(
                |f| json!({"keyCredentials": [{"type": "AsymmetricX509Cert", "usage": "Verify", "key": f.new_certificate()}]}),
            ),
            status: 204,
            required: &[],
            answers: &[],
        },
        Case {
            operation: "DELETE /servicePrincipals/{id}",
            reference: "api-reference/v1.0/api/serviceprincipal-delete.md",
            path: |f| format!("/v1.0/servicePrincipals/{}", f.sp()),
            body: None,
            status: 204,
            required: &[],
            answers: &[],
        },
        Case {
            operation: "POST /servicePrincipals/{id}/removePassword",
            reference: "api-reference/v1.0/api/serviceprincipal-removepassword.md",
            path: |f| format!("/v1.0/servicePrincipals/{}/removePassword", f.sp()),
            body: Some(|f| json!({"keyId": f.sp_secret()})),
            status: 204,
            required: &["keyId"],
            answers: &[],
        },
    ]
}

fn app_role_rows() -> Vec<Case> {
    vec![
        Case {
            operation: "GET /servicePrincipals/{id}/appRoleAssignments",
            reference: "api-reference/v1.0/api/serviceprincipal-list-approleassignments.md",
            path: |f| {
                f.app_role_grant();
                format!("/v1.0/servicePrincipals/{}/appRoleAssignments", f.sp())
            },
            body: None,
            status: 200,
            required: &[],
            answers: GRANT_READ,
        },
        Case {
            operation: "GET /servicePrincipals/{id}/appRoleAssignedTo",
            reference: "api-reference/v1.0/api/serviceprincipal-list-approleassignedto.md",
            path: |f| {
                f.app_role_grant();
                format!(
                    "/v1.0/servicePrincipals/{}/appRoleAssignedTo",
                    f.graph_app_role().0
                )
            },
            body: None,
            status: 200,
            required: &[],
            answers: GRANT_READ,
        },
        Case {
            // The three ids are named as needed on the page; the resource's page
            // (approleassignment.md) marks each "Required on create".
            operation: "POST /servicePrincipals/{id}/appRoleAssignments",
            reference: "api-reference/v1.0/api/serviceprincipal-post-approleassignments.md",
            path: |f| format!("/v1.0/servicePrincipals/{}/appRoleAssignments", f.sp()),
            body: Some(|f| {
                let (resource, role) = f.graph_app_role();
                json!({"principalId": f.sp(), "resourceId": resource, "appRoleId": role})
            }),
            status: 201,
            required: &["principalId", "resourceId", "appRoleId"],
            answers: GRANT_READ,
        },
        Case {
            operation: "DELETE /servicePrincipals/{id}/appRoleAssignments/{appRoleAssignment-id}",
            reference: "api-reference/v1.0/api/serviceprincipal-delete-approleassignments.md",
            path: |f| {
                let grant = f.app_role_grant();
                format!(
                    "/v1.0/servicePrincipals/{}/appRoleAssignments/{grant}",
                    f.sp()
                )
            },
            body: None,
            status: 204,
            required: &[],
            answers: &[],
        },
    ]
}

fn owner_rows() -> Vec<Case> {
    vec![
        Case {
            operation: "GET /applications/{id}/owners",
            reference: "api-reference/v1.0/api/application-list-owners.md",
            path: |f| {
                let app = f.app();
                f.owner_of("applications", &app);
                format!("/v1.0/applications/{app}/owners")
            },
            body: None,
            status: 200,
            required: &[],
            answers: MEMBER_READ,
        },
        Case {
            operation: "POST /applications/{id}/owners/$ref",
            reference: "api-reference/v1.0/api/application-post-owners.md",
            path: |f| format!("/v1.0/applications/{}/owners/$ref", f.app()),
            body: Some(|f| {
                let user = f.user();
                f.reference_to(&format!("directoryObjects/{user}"))
            }),
            status: 204,
            required: &["@odata.id"],
            answers: &[],
        },
        Case {
            operation: "DELETE /applications/{id}/owners/{id}/$ref",
            reference: "api-reference/v1.0/api/application-delete-owners.md",
            path: |f| {
                let app = f.app();
                let owner = f.owner_of("applications", &app);
                format!("/v1.0/applications/{app}/owners/{owner}/$ref")
            },
            body: None,
            status: 204,
            required: &[],
            answers: &[],
        },
        Case {
            operation: "GET /servicePrincipals/{id}/owners",
            reference: "api-reference/v1.0/api/serviceprincipal-list-owners.md",
            path: |f| {
                let sp = f.sp();
                f.owner_of("servicePrincipals", &sp);
                format!("/v1.0/servicePrincipals/{sp}/owners")
            },
            body: None,
            status: 200,
            required: &[],
            answers: MEMBER_READ,
        },
        Case {
            operation: "POST /servicePrincipals/{id}/owners/$ref",
            reference: "api-reference/v1.0/api/serviceprincipal-post-owners.md",
            path: |f| format!("/v1.0/servicePrincipals/{}/owners/$ref", f.sp()),
            body: Some(|f| {
                let user = f.user();
                f.reference_to(&format!("directoryObjects/{user}"))
            }),
            status: 204,
            required: &["@odata.id"],
            answers: &[],
        },
        Case {
            operation: "DELETE /servicePrincipals/{id}/owners/{id}/$ref",
            reference: "api-reference/v1.0/api/serviceprincipal-delete-owners.md",
            path: |f| {
                let sp = f.sp();
                let owner = f.owner_of("servicePrincipals", &sp);
                format!("/v1.0/servicePrincipals/{sp}/owners/{owner}/$ref")
            },
            body: None,
            status: 204,
            required: &[],
            answers: &[],
        },
        Case {
            operation: "GET /groups/{id}/owners",
            reference: "api-reference/v1.0/api/group-list-owners.md",
            path: |f| {
                let group = f.group();
                f.owner_of("groups", &group);
                format!("/v1.0/groups/{group}/owners")
            },
            body: None,
            status: 200,
            required: &[],
            answers: MEMBER_READ,
        },
        Case {
            operation: "POST /groups/{id}/owners/$ref",
            reference: "api-reference/v1.0/api/group-post-owners.md",
            path: |f| format!("/v1.0/groups/{}/owners/$ref", f.group()),
            body: Some(|f| {
                let user = f.user();
                f.reference_to(&format!("directoryObjects/{user}"))
            }),
            status: 204,
            required: &["@odata.id"],
            answers: &[],
        },
        Case {
            operation: "DELETE /groups/{id}/owners/{id}/$ref",
            reference: "api-reference/v1.0/api/group-delete-owners.md",
            path: |f| {
                let group = f.group();
                let owner = f.owner_of("groups", &group);
                format!("/v1.0/groups/{group}/owners/{owner}/$ref")
            },
            body: None,
            status: 204,
            required: &[],
            answers: &[],
        },
    ]
}

#[test]
fn conformance_of_applications_and_their_credentials() {
    let h = conformance_harness();
    let token = h.operator_token();
    check_rows(&h, &token, &application_rows());
    check_rows(&h, &token, &credential_rows());
}

#[test]
fn conformance_of_service_principals_grants_and_owners() {
    let h = conformance_harness();
    let token = h.operator_token();
    check_rows(&h, &token, &service_principal_rows());
    check_rows(&h, &token, &app_role_rows());
    check_rows(&h, &token, &owner_rows());
}
