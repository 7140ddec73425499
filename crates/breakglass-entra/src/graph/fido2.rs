//! Passkeys (FIDO2) provisioned on behalf of users, Graph v1.0: the Passkey (FIDO2) method
//! policy, `fido2Methods/creationOptions`, registration, list and delete. Every call here is
//! in v1.0 (the creationOptions function left beta in 2026; only beta accepts a custom
//! challenge timeout, which breakglass does not use).

use breakglass_core::cloud::GraphVersion::V1;
use breakglass_core::passkey::PasskeyPolicy;
use serde::{Deserialize, Serialize};

use super::auth_methods::MethodTarget;
use super::{GraphClient, Query, path_segment};
use crate::error::EntraError;

const PASSKEY_POLICY_PATH: &str =
    "policies/authenticationMethodsPolicy/authenticationMethodConfigurations/fido2";

/// `fido2KeyRestrictions`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct KeyRestrictions {
    pub is_enforced: Option<bool>,
    pub enforcement_type: Option<String>,
    pub aa_guids: Option<Vec<String>>,
}

/// `fido2AuthenticationMethodConfiguration`; a missing property reads as Entra's built-in value.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Fido2Configuration {
    pub state: Option<String>,
    pub is_self_service_registration_allowed: Option<bool>,
    pub is_attestation_enforced: Option<bool>,
    pub key_restrictions: Option<KeyRestrictions>,
    pub include_targets: Option<Vec<MethodTarget>>,
    pub exclude_targets: Option<Vec<MethodTarget>>,
}

impl Fido2Configuration {
    /// The policy as breakglass reasons about it.
    pub fn to_policy(&self) -> PasskeyPolicy {
        let builtin = PasskeyPolicy::default();
        let ids = |targets: &Option<Vec<MethodTarget>>, fallback: Vec<String>| {
            targets.as_ref().map_or(fallback, |targets| {
                targets.iter().map(|t| t.id.clone()).collect()
            })
        };
        let restrictions = self.key_restrictions.clone().unwrap_or_default();
        PasskeyPolicy {
            enabled: self
                .state
                .as_deref()
                .is_some_and(|state| state.eq_ignore_ascii_case("enabled")),
            include: ids(&self.include_targets, builtin.include),
            exclude: ids(&self.exclude_targets, builtin.exclude),
            self_service_allowed: self
                .is_self_service_registration_allowed
                .unwrap_or(builtin.self_service_allowed),
            attestation_enforced: self
                .is_attestation_enforced
                .unwrap_or(builtin.attestation_enforced),
            key_restrictions_enforced: restrictions.is_enforced.unwrap_or(false),
            enforcement_type: restrictions
                .enforcement_type
                .unwrap_or(builtin.enforcement_type),
            aaguids: restrictions
                .aa_guids
                .unwrap_or_default()
                .into_iter()
                .map(|a| a.to_ascii_lowercase())
                .collect(),
        }
    }
}

/// `webauthnPublicKeyCredentialRpEntity`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RpEntity {
    pub id: String,
    pub name: Option<String>,
}

/// `webauthnPublicKeyCredentialUserEntity`; `id` is the user handle, base64url.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UserEntity {
    pub id: String,
    pub name: Option<String>,
    pub display_name: Option<String>,
}

/// `webauthnPublicKeyCredentialParameters`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CredentialParameters {
    #[serde(rename = "type")]
    pub kind: String,
    pub alg: i64,
}

/// `webauthnPublicKeyCredentialDescriptor`; `id` base64url.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CredentialDescriptor {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
}

/// `webauthnAuthenticatorSelectionCriteria`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SelectionCriteria {
    pub authenticator_attachment: Option<String>,
    pub require_resident_key: Option<bool>,
    pub user_verification: Option<String>,
}

/// `webauthnPublicKeyCredentialCreationOptions`; `challenge` base64url.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PublicKeyOptions {
    pub challenge: String,
    pub rp: RpEntity,
    pub user: UserEntity,
    pub pub_key_cred_params: Vec<CredentialParameters>,
    pub exclude_credentials: Vec<CredentialDescriptor>,
    pub timeout: Option<i64>,
    pub attestation: Option<String>,
    pub authenticator_selection: Option<SelectionCriteria>,
}

/// `webauthnCredentialCreationOptions`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CreationOptions {
    pub challenge_timeout_date_time: Option<String>,
    pub public_key: PublicKeyOptions,
}

/// `webauthnAuthenticatorAttestationResponse`, base64url without padding.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttestationResponse {
    #[serde(rename = "clientDataJSON")]
    pub client_data_json: String,
    pub attestation_object: String,
}

/// `webauthnPublicKeyCredential`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicKeyCredential {
    pub id: String,
    pub response: AttestationResponse,
    pub client_extension_results: serde_json::Map<String, serde_json::Value>,
}

/// The body of `POST /users/{id}/authentication/fido2Methods`. It holds no secret: the
/// credential's public key and the attestation only.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewFido2Method {
    pub display_name: String,
    pub public_key_credential: PublicKeyCredential,
}

/// `fido2AuthenticationMethod`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Fido2Method {
    pub id: String,
    pub display_name: Option<String>,
    pub created_date_time: Option<String>,
    pub aa_guid: Option<String>,
    pub model: Option<String>,
    pub attestation_level: Option<String>,
    pub passkey_type: Option<String>,
}

fn methods_path(user_id: &str) -> String {
    format!(
        "users/{}/authentication/fido2Methods",
        path_segment(user_id)
    )
}

impl GraphClient {
    /// `GET /policies/authenticationMethodsPolicy/authenticationMethodConfigurations/fido2`
    /// (Policy.Read.AuthenticationMethod or Policy.Read.All).
    pub async fn passkey_policy(&self) -> Result<Fido2Configuration, EntraError> {
        self.get_json(V1, PASSKEY_POLICY_PATH, &Query::new()).await
    }

    /// `GET /users/{id}/authentication/fido2Methods/creationOptions`
    /// (UserAuthMethod-Passkey.ReadWrite.All).
    pub async fn passkey_creation_options(
        &self,
        user_id: &str,
    ) -> Result<CreationOptions, EntraError> {
        self.get_json(
            V1,
            &format!("{}/creationOptions", methods_path(user_id)),
            &Query::new(),
        )
        .await
    }

    /// `POST /users/{id}/authentication/fido2Methods` (UserAuthMethod-Passkey.ReadWrite.All).
    pub async fn register_passkey(
        &self,
        user_id: &str,
        method: &NewFido2Method,
    ) -> Result<Fido2Method, EntraError> {
        self.post_json(V1, &methods_path(user_id), method).await
    }

    /// `GET /users/{id}/authentication/fido2Methods`.
    pub async fn passkeys(&self, user_id: &str) -> Result<Vec<Fido2Method>, EntraError> {
        self.list_all(V1, &methods_path(user_id), &Query::new())
            .await
    }

    /// `DELETE /users/{id}/authentication/fido2Methods/{methodId}`.
    pub async fn remove_passkey(&self, user_id: &str, method_id: &str) -> Result<(), EntraError> {
        self.delete(
            V1,
            &format!("{}/{}", methods_path(user_id), path_segment(method_id)),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_policy_missing_properties_reads_as_the_built_in_one() {
        let read: Fido2Configuration = serde_json::from_str(
            r#"{"id": "Fido2", "state": "enabled",
                "keyRestrictions": {"isEnforced": true, "enforcementType": "allow",
                                    "aaGuids": ["CB69481E-8FF7-4039-93EC-0A2729A154A8"]}}"#,
        )
        .unwrap();
        let policy = read.to_policy();
        assert!(policy.enabled && policy.self_service_allowed && policy.attestation_enforced);
        assert_eq!(policy.include, ["all_users"]);
        assert_eq!(policy.aaguids, ["cb69481e-8ff7-4039-93ec-0a2729a154a8"]);
        assert_eq!(policy.enforcement_type, "allow");
    }
}
