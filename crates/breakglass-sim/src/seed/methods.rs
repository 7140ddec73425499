//! Authentication methods a seeded user has registered, in the shapes Graph v1.0 lists them
//! under `/users/{id}/authentication/methods` (microsoft-graph-docs-contrib
//! `resources/fido2authenticationmethod.md`, `windowshelloforbusinessauthenticationmethod.md`,
//! `microsoftauthenticatorauthenticationmethod.md`, `softwareoathauthenticationmethod.md`,
//! `phoneauthenticationmethod.md`, `emailauthenticationmethod.md`). The simulator cannot
//! register one through a ceremony; a tenant description says what a user already has.

use serde_json::{Value, json};
use uuid::Uuid;

/// The method kinds a description may name.
pub(crate) const KINDS: &[&str] = &[
    "fido2",
    "windowsHelloForBusiness",
    "microsoftAuthenticator",
    "softwareOath",
    "phone",
    "email",
];

/// The method `kind` as Graph lists it, or `None` for a kind the simulator does not know.
pub(crate) fn registered_method(kind: &str, created: &str) -> Option<Value> {
    let id = Uuid::new_v4().to_string();
    let method = match kind {
        "fido2" => json!({
            "@odata.type": "#microsoft.graph.fido2AuthenticationMethod",
            "id": id, "displayName": "Security key", "createdDateTime": created,
            "aaGuid": Uuid::new_v4().to_string(), "model": "Security key",
            "attestationCertificates": [], "attestationLevel": "attested"
        }),
        "windowsHelloForBusiness" => json!({
            "@odata.type": "#microsoft.graph.windowsHelloForBusinessAuthenticationMethod",
            "id": id, "displayName": "Workstation", "createdDateTime": created,
            "keyStrength": "normal"
        }),
        "microsoftAuthenticator" => json!({
            "@odata.type": "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod",
            "id": id, "displayName": "Phone", "createdDateTime": created,
            "deviceTag": "SoftwareTokenActivated", "phoneAppVersion": "6.8.0"
        }),
        "softwareOath" => json!({
            "@odata.type": "#microsoft.graph.softwareOathAuthenticationMethod",
            "id": id, "secretKey": null
        }),
        "phone" => json!({
            "@odata.type": "#microsoft.graph.phoneAuthenticationMethod",
            "id": id, "phoneNumber": "+1 5555550100", "phoneType": "mobile",
            "smsSignInState": "notAllowedByPolicy"
        }),
        "email" => json!({
            "@odata.type": "#microsoft.graph.emailAuthenticationMethod",
            "id": id, "emailAddress": "recovery@contoso.example"
        }),
        _ => return None,
    };
    Some(method)
}
