//! The vault's side of a credential kept on a PKCS#11 token: the token keeps the key, the
//! certificate and a note; the manifest lists the key id, so that plans need no PIN.

use super::keys;
use super::token_store::TokenNote;
use super::vault::{LocalVault, NewCredential, StoredLocation};
use crate::error::{Error, config_error};

impl LocalVault {
    /// Keeps a certificate made on a token: the certificate and a note go on the token next
    /// to the key, and the manifest lists the key id (so that plans need no PIN).
    pub(super) fn store_on_token(
        &mut self,
        policy: &breakglass_core::config::CredentialPolicy,
        credential: &NewCredential,
    ) -> Result<StoredLocation, Error> {
        let keys::Material::Certificate {
            key_id,
            certificate,
            start,
            end,
        } = &credential.material
        else {
            return Err(config_error(format!(
                "credential `{}`: a PKCS#11 token keeps certificates, not client secrets",
                policy.label
            )));
        };
        let keys::GeneratedKey::Token(key) = &certificate.key else {
            return Err(crate::error::internal_error(
                "a key made in memory cannot be put on a token",
            ));
        };
        let note = TokenNote {
            id: String::new(),
            label: credential.label.clone(),
            key_id: key_id.clone(),
            tenant_id: credential.tenant_id.clone(),
            client_id: credential.client_id.clone(),
            cloud: credential.cloud.clone(),
            authority_host: credential.authority_host.clone(),
            start: *start,
            end: *end,
        };
        self.tokens.store(key, &certificate.certificate_der, note)?;
        self.list_in_manifest(policy, ("certificate", *end), key_id, &[], None)?;
        Ok(StoredLocation {
            store: format!(
                "PKCS#11 token `{}` (serial {}), key `{}`",
                key.token().label(),
                key.token().serial_number(),
                key.label()
            ),
            files: Vec::new(),
        })
    }
}
