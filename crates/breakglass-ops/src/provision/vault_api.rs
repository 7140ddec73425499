//! What provisioning asks of the stores ([`Vault`]), and what it hands them; the stores on
//! this machine are [`super::vault::LocalVault`].

use std::collections::BTreeSet;
use std::path::PathBuf;

use breakglass_core::config::CredentialPolicy;
use breakglass_core::plan::HeldAccount;
use secrecy::SecretString;
use serde::Serialize;

use super::keys::Material;
use super::token_store::Tokens;
use crate::error::Error;

/// A credential just made, with what its store needs to know.
pub struct NewCredential {
    pub label: String,
    pub tenant_id: String,
    pub client_id: String,
    pub authority_host: String,
    pub cloud: String,
    pub material: Material,
}

/// Where a stored credential ended up, for output.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredLocation {
    pub store: String,
    pub files: Vec<PathBuf>,
}

/// The stores as provisioning sees them.
pub trait Vault {
    /// The PKCS#11 tokens `store = "pkcs11"` credentials are made on.
    fn tokens(&self) -> Tokens;
    /// Key ids of app credentials held by any store; `None` when a store cannot be read.
    /// A wrong password or a damaged store is an error, not an unknown.
    fn held_key_ids(&mut self) -> Result<Option<BTreeSet<String>>, Error>;
    /// The emergency users' entries in KeePass; `None` when the KeePass password is not
    /// available.
    fn held_accounts(&mut self) -> Result<Option<Vec<HeldAccount>>, Error>;
    /// Writes a new credential to the store its policy names.
    fn store_credential(
        &mut self,
        policy: &CredentialPolicy,
        credential: NewCredential,
    ) -> Result<StoredLocation, Error>;
    /// Forgets a credential that is no longer in the tenant.
    fn forget(&mut self, key_id: &str) -> Result<(), Error>;
    /// Writes an emergency user's password to KeePass, marked pending, before the tenant
    /// is asked to take it. `user_id` is `None` for a user not yet created.
    fn stage_account_password(
        &mut self,
        user_id: Option<&str>,
        user_principal_name: &str,
        tenant_id: &str,
        password: &SecretString,
    ) -> Result<(), Error>;
    /// Marks a staged password as the tenant's, with the user's object id.
    fn confirm_account_password(
        &mut self,
        user_principal_name: &str,
        user_id: &str,
    ) -> Result<(), Error>;
    /// Passwords staged for users that were never created (a crash before the create
    /// request), so the next create uses them instead of leaving them behind.
    fn unclaimed_account_passwords(&mut self) -> Result<Vec<(String, SecretString)>, Error>;
    /// Drops a staged password whose user name turned out to belong to someone else.
    fn forget_unclaimed_account(&mut self, user_principal_name: &str) -> Result<(), Error>;
    /// Keeps a Temporary Access Pass for the user's owner.
    fn store_temporary_access_pass(
        &mut self,
        user_id: &str,
        pass: &SecretString,
    ) -> Result<(), Error>;
}
