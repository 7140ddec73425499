//! The KeePass store: a KDBX4 database with one entry per credential in the group `breakglass`.
//!
//! Entry layout (see `docs/stores.md`):
//!
//! | field | value |
//! | --- | --- |
//! | Title | `<app display name or client id> / <label>` |
//! | UserName | client id |
//! | Password | the client secret (protected); empty for certificates |
//! | URL | `<authority host>/<tenant id>` |
//! | Notes | how to use the credential |
//! | TenantId, ClientId, KeyId, Label, CredentialKind, Starts, Expires, Cloud, AuthorityHost | plain custom fields |
//! | Thumbprint | SHA-1 of the certificate (certificates only) |
//! | BreakglassPayload | the `BREAKGLASS:V1:` payload (protected): what breakglass reads back |
//! | attachment `<label>.pem` | private key + certificate PEM (protected; certificates only) |
//!
//! New databases use Argon2id (64 MiB, 3 iterations, parallelism 2), AES-256 and ChaCha20 for
//! protected fields. Saving is atomic (temp file, 0600, fsync, rename, fsync folder) and refuses
//! to overwrite a file another program changed since it was opened.

use std::fmt;
use std::path::{Path, PathBuf};

use keepass::config::{
    CompressionConfig, DatabaseConfig, InnerCipherConfig, KdfConfig, OuterCipherConfig,
};
use keepass::db::{EntryId, GroupId, Times, Value, fields};
use keepass::error::{DatabaseKeyError, DatabaseOpenError};
use keepass::{Database, DatabaseKey};
use secrecy::{ExposeSecret as _, SecretString};
use sha2::{Digest as _, Sha256};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::atomic::{Overwrite, WriteFileError, write_secret_file};
use crate::credential::{CredentialKind, StoredCredential};
use crate::payload::CredentialPayload;

/// The group that holds breakglass entries.
pub const GROUP_NAME: &str = "breakglass";
/// The group that holds the emergency user accounts' passwords.
pub const ACCOUNTS_GROUP: &str = "breakglass accounts";
const F_USER_ID: &str = "UserObjectId";
const F_TEMPORARY_ACCESS_PASS: &str = "TemporaryAccessPass";
const F_ACCOUNT_STATE: &str = "PasswordState";

const F_TENANT: &str = "TenantId";
const F_CLIENT: &str = "ClientId";
const F_KEY: &str = "KeyId";
const F_LABEL: &str = "Label";
const F_KIND: &str = "CredentialKind";
const F_STARTS: &str = "Starts";
const F_EXPIRES: &str = "Expires";
const F_CLOUD: &str = "Cloud";
const F_AUTHORITY: &str = "AuthorityHost";
const F_THUMBPRINT: &str = "Thumbprint";
const F_PAYLOAD: &str = "BreakglassPayload";

/// Whether the tenant holds an account entry's password yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountState {
    /// Written before the user was created or its password reset; the change may not
    /// have reached the tenant.
    Pending,
    /// The tenant took this password.
    InForce,
}

impl AccountState {
    fn as_str(self) -> &'static str {
        match self {
            AccountState::Pending => "pending",
            AccountState::InForce => "in force",
        }
    }
}

/// An emergency user's entry, without its secrets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredAccount {
    /// The user's object id; `None` while the user is being created.
    pub user_id: Option<String>,
    pub user_principal_name: String,
    pub state: AccountState,
    pub has_temporary_access_pass: bool,
}

/// Key derivation settings for new databases.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeePassOptions {
    /// Argon2id memory in KiB (default 65536 = 64 MiB).
    pub argon2_memory_kib: u64,
    /// Argon2id iterations (default 3).
    pub argon2_iterations: u64,
    /// Argon2id lanes (default 2).
    pub argon2_parallelism: u32,
}

impl Default for KeePassOptions {
    fn default() -> Self {
        KeePassOptions {
            argon2_memory_kib: 64 * 1024,
            argon2_iterations: 3,
            argon2_parallelism: 2,
        }
    }
}

impl KeePassOptions {
    fn config(&self) -> DatabaseConfig {
        let mut config = DatabaseConfig::default();
        config.outer_cipher_config = OuterCipherConfig::AES256;
        config.inner_cipher_config = InnerCipherConfig::ChaCha20;
        config.compression_config = CompressionConfig::GZip;
        config.kdf_config = KdfConfig::Argon2id {
            iterations: self.argon2_iterations,
            memory: self.argon2_memory_kib * 1024,
            parallelism: self.argon2_parallelism,
            version: argon2::Version::Version13,
        };
        config
    }
}

/// One breakglass entry, without its secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeePassEntry {
    /// The entry title.
    pub title: String,
    /// The credential label.
    pub label: String,
    /// The tenant id.
    pub tenant_id: String,
    /// The client id.
    pub client_id: String,
    /// The Entra key id.
    pub key_id: Option<Uuid>,
    /// `secret` or `certificate`.
    pub kind: String,
    /// End of validity, as stored (RFC 3339).
    pub expires: String,
    /// The certificate thumbprint, for certificates.
    pub thumbprint: Option<String>,
}

/// What [`KeePassStore::upsert`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpsertOutcome {
    /// A new entry was added.
    Added,
    /// An entry with the same key id, or the same client id and label, was replaced.
    Replaced,
}

/// An open KeePass database. Changes are kept in memory until [`save`](Self::save).
pub struct KeePassStore {
    path: PathBuf,
    db: Database,
    password: SecretString,
    /// SHA-256 of the file as read, or `None` for a database not yet on disk.
    opened_digest: Option<[u8; 32]>,
}

impl fmt::Debug for KeePassStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeePassStore")
            .field("path", &self.path)
            .field("entries", &self.db.num_entries())
            .finish_non_exhaustive()
    }
}

impl KeePassStore {
    /// Opens an existing database. The password is the caller's (prompt, stdin, file or
    /// `BREAKGLASS_KEEPASS_PASSWORD`), never a command-line argument.
    pub fn open(path: &Path, password: &SecretString) -> Result<KeePassStore, KeePassError> {
        let bytes = match std::fs::read(path) {
            Ok(b) => Zeroizing::new(b),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(KeePassError::NotFound {
                    path: path.to_path_buf(),
                });
            }
            Err(source) => {
                return Err(KeePassError::Read {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        let key = DatabaseKey::new().with_password(password.expose_secret());
        let db = Database::parse(&bytes, key).map_err(|e| match e {
            DatabaseOpenError::Key(DatabaseKeyError::IncorrectKey) => KeePassError::WrongPassword {
                path: path.to_path_buf(),
            },
            DatabaseOpenError::UnsupportedVersion => KeePassError::Unsupported {
                path: path.to_path_buf(),
            },
            DatabaseOpenError::Io(source) => KeePassError::Read {
                path: path.to_path_buf(),
                source,
            },
            other => KeePassError::Corrupted {
                path: path.to_path_buf(),
                detail: other.to_string(),
            },
        })?;
        Ok(KeePassStore {
            path: path.to_path_buf(),
            db,
            password: password.clone(),
            opened_digest: Some(Sha256::digest(&*bytes).into()),
        })
    }

    /// Starts a new, empty database at `path` (written by [`save`](Self::save)). Fails if the
    /// file exists.
    pub fn create(
        path: &Path,
        password: &SecretString,
        options: KeePassOptions,
    ) -> Result<KeePassStore, KeePassError> {
        if path.exists() {
            return Err(KeePassError::AlreadyExists {
                path: path.to_path_buf(),
            });
        }
        if password.expose_secret().is_empty() {
            return Err(KeePassError::EmptyPassword);
        }
        let mut db = Database::with_config(options.config());
        db.meta.database_name = Some("breakglass".to_string());
        db.root_mut().name = "Root".to_string();
        Ok(KeePassStore {
            path: path.to_path_buf(),
            db,
            password: password.clone(),
            opened_digest: None,
        })
    }

    /// Opens the database, or starts a new one when the file does not exist.
    pub fn open_or_create(
        path: &Path,
        password: &SecretString,
        options: KeePassOptions,
    ) -> Result<KeePassStore, KeePassError> {
        match KeePassStore::open(path, password) {
            Err(KeePassError::NotFound { .. }) => KeePassStore::create(path, password, options),
            other => other,
        }
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The breakglass entries, in database order.
    pub fn list(&self) -> Vec<KeePassEntry> {
        let Some(group) = self.group_id() else {
            return Vec::new();
        };
        let Some(group) = self.db.group(group) else {
            return Vec::new();
        };
        group
            .entries()
            .map(|e| {
                let get = |k: &str| e.get(k).unwrap_or_default().to_string();
                KeePassEntry {
                    title: get(fields::TITLE),
                    label: get(F_LABEL),
                    tenant_id: get(F_TENANT),
                    client_id: get(F_CLIENT),
                    key_id: e.get(F_KEY).and_then(|k| Uuid::parse_str(k).ok()),
                    kind: get(F_KIND),
                    expires: get(F_EXPIRES),
                    thumbprint: e.get(F_THUMBPRINT).map(str::to_string),
                }
            })
            .collect()
    }

    /// Reads back the credential with this key id.
    pub fn get(&self, key_id: Uuid) -> Result<Option<StoredCredential>, KeePassError> {
        let Some(id) = self.find(key_id, None) else {
            return Ok(None);
        };
        let Some(entry) = self.db.entry(id) else {
            return Ok(None);
        };
        let text = entry
            .get(F_PAYLOAD)
            .ok_or(KeePassError::EntryDamaged { key_id })?;
        let payload =
            CredentialPayload::parse(text).map_err(|_| KeePassError::EntryDamaged { key_id })?;
        Ok(Some(payload.credential().clone()))
    }

    /// Adds the credential, or replaces the entry with the same key id (or, failing that, the
    /// same client id and label). Other entries and groups are left as they are.
    pub fn upsert(&mut self, credential: &StoredCredential) -> Result<UpsertOutcome, KeePassError> {
        let payload = CredentialPayload::encode(credential)
            .map_err(|e| KeePassError::Credential(e.to_string()))?;
        let group = self.ensure_group();
        let existing = self.find(
            credential.key_id,
            Some((&credential.client_id.to_string(), &credential.label)),
        );
        let (id, outcome) = match existing {
            Some(id) => (id, UpsertOutcome::Replaced),
            None => {
                let mut group = self.db.group_mut(group).ok_or(KeePassError::Internal)?;
                (group.add_entry().id(), UpsertOutcome::Added)
            }
        };
        let mut entry = self.db.entry_mut(id).ok_or(KeePassError::Internal)?;
        let c = credential;
        // Start from a clean set of fields so nothing of a replaced credential survives.
        entry.fields.retain(|k, _| !is_owned_field(k));
        let names: Vec<String> = entry
            .as_ref()
            .attachments_named()
            .map(|(n, _)| n.to_string())
            .collect();
        for name in names.iter().filter(|n| n.ends_with(".pem")) {
            entry.remove_attachment_by_name(name);
        }
        entry.set_unprotected(fields::TITLE, c.title());
        entry.set_unprotected(fields::USERNAME, c.client_id.to_string());
        entry.set_unprotected(
            fields::URL,
            format!("{}/{}", c.authority_host.trim_end_matches('/'), c.tenant_id),
        );
        entry.set_unprotected(fields::NOTES, usage_notes(c));
        entry.set_unprotected(F_TENANT, c.tenant_id.clone());
        entry.set_unprotected(F_CLIENT, c.client_id.to_string());
        entry.set_unprotected(F_KEY, c.key_id.to_string());
        entry.set_unprotected(F_LABEL, c.label.clone());
        entry.set_unprotected(F_KIND, c.kind.name());
        entry.set_unprotected(F_STARTS, c.start.to_string());
        entry.set_unprotected(F_EXPIRES, c.end.to_string());
        entry.set_unprotected(F_CLOUD, c.cloud.clone());
        entry.set_unprotected(F_AUTHORITY, c.authority_host.clone());
        entry.set_protected(F_PAYLOAD, payload.text().expose_secret());
        match &c.kind {
            CredentialKind::Secret { value, .. } => {
                entry.set_protected(fields::PASSWORD, value.expose_secret());
            }
            CredentialKind::Certificate(cert) => {
                entry.set_protected(fields::PASSWORD, "");
                entry.set_unprotected(F_THUMBPRINT, cert.thumbprint_sha1_hex());
                let pem = cert.combined_pem();
                entry.add_attachment(
                    format!("{}.pem", c.label),
                    Value::protected(pem.expose_secret().as_bytes().to_vec()),
                );
            }
        }
        let now = Times::now();
        entry.times.last_modification = Some(now);
        entry.times.expiry = naive(c.end);
        entry.times.expires = Some(true);
        entry.tags.retain(|t| t != "breakglass");
        entry.tags.push("breakglass".to_string());
        self.db.remove_unused_attachments();
        Ok(outcome)
    }

    /// Removes the entry with this key id. Returns whether one was found.
    pub fn remove(&mut self, key_id: Uuid) -> bool {
        let Some(id) = self.find(key_id, None) else {
            return false;
        };
        let Some(entry) = self.db.entry_mut(id) else {
            return false;
        };
        entry.remove();
        self.db
            .deleted_objects
            .insert(id.uuid(), Some(Times::now()));
        self.db.remove_unused_attachments();
        true
    }

    /// Writes the database atomically (mode 0600). Fails, writing nothing, when the file was
    /// changed by another program since it was opened.
    pub fn save(&mut self) -> Result<(), KeePassError> {
        let current = match std::fs::read(&self.path) {
            Ok(bytes) => Some(<[u8; 32]>::from(Sha256::digest(
                Zeroizing::new(bytes).as_slice(),
            ))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(source) => {
                return Err(KeePassError::Read {
                    path: self.path.clone(),
                    source,
                });
            }
        };
        if current != self.opened_digest {
            return Err(KeePassError::ChangedOnDisk {
                path: self.path.clone(),
            });
        }
        if !matches!(
            self.db.config.version,
            keepass::config::DatabaseVersion::KDB4(_)
        ) {
            // KDBX 3.1 (e.g. from `keepassxc-cli db-create`) cannot be written: upgrade it.
            self.db.config = KeePassOptions::default().config();
        }
        let mut bytes = Zeroizing::new(Vec::new());
        let key = DatabaseKey::new().with_password(self.password.expose_secret());
        self.db
            .save(&mut *bytes, key)
            .map_err(|e| KeePassError::Encode(e.to_string()))?;
        let overwrite = if self.opened_digest.is_some() {
            Overwrite::Replace
        } else {
            Overwrite::Refuse
        };
        write_secret_file(&self.path, &bytes, overwrite).map_err(KeePassError::Write)?;
        self.opened_digest = Some(Sha256::digest(bytes.as_slice()).into());
        Ok(())
    }

    /// Keeps an emergency user's password, in the group `breakglass accounts`. A later call
    /// for the same user (by object id, else by user name) replaces it.
    ///
    /// The entry is written as *pending* ([`AccountState::Pending`]): the password is in the
    /// store before the tenant has it, so a crash between the two never leaves a user whose
    /// password no store holds. [`confirm_account`](Self::confirm_account) marks it in force
    /// once Entra has taken it. A new user has no object id yet; its entry is found by user
    /// name until it is confirmed.
    pub fn stage_account(
        &mut self,
        user_id: Option<&str>,
        user_principal_name: &str,
        tenant_id: &str,
        password: &SecretString,
    ) -> Result<(), KeePassError> {
        let existing = match user_id {
            Some(id) => self.find_account(id),
            None => None,
        }
        .or_else(|| self.find_unconfirmed_by_name(user_principal_name));
        let id = match existing {
            Some(id) => id,
            None => {
                let group = self.ensure_accounts_group();
                let mut group = self.db.group_mut(group).ok_or(KeePassError::Internal)?;
                group.add_entry().id()
            }
        };
        let mut entry = self.db.entry_mut(id).ok_or(KeePassError::Internal)?;
        entry.set_unprotected(
            fields::TITLE,
            format!("Emergency access account {user_principal_name}"),
        );
        entry.set_unprotected(fields::USERNAME, user_principal_name);
        entry.set_protected(fields::PASSWORD, password.expose_secret());
        entry.set_unprotected(F_USER_ID, user_id.unwrap_or_default());
        entry.set_unprotected(F_TENANT, tenant_id);
        entry.set_unprotected(F_ACCOUNT_STATE, AccountState::Pending.as_str());
        entry.set_unprotected(
            fields::NOTES,
            "EMERGENCY ACCESS ACCOUNT: holds Global Administrator. Every sign-in raises an alert.\nSign in at https://portal.azure.com with this user name and password; register a passkey with the Temporary Access Pass if one is stored here.",
        );
        Ok(())
    }

    /// Marks a staged password as the one the tenant holds, and records the user's object id.
    /// `false` when no entry has this object id or (unconfirmed) user name.
    pub fn confirm_account(&mut self, user_principal_name: &str, user_id: &str) -> bool {
        let Some(id) = self
            .find_account(user_id)
            .or_else(|| self.find_unconfirmed_by_name(user_principal_name))
        else {
            return false;
        };
        let Some(mut entry) = self.db.entry_mut(id) else {
            return false;
        };
        entry.set_unprotected(F_USER_ID, user_id);
        entry.set_unprotected(F_ACCOUNT_STATE, AccountState::InForce.as_str());
        true
    }

    /// Stores a Temporary Access Pass on a confirmed account entry.
    pub fn set_account_temporary_access_pass(
        &mut self,
        user_id: &str,
        pass: &SecretString,
    ) -> Result<(), KeePassError> {
        let id = self.find_account(user_id).ok_or(KeePassError::Internal)?;
        let mut entry = self.db.entry_mut(id).ok_or(KeePassError::Internal)?;
        entry.set_protected(F_TEMPORARY_ACCESS_PASS, pass.expose_secret());
        Ok(())
    }

    /// The emergency user accounts this database holds a password for.
    pub fn accounts(&self) -> Vec<StoredAccount> {
        let Some(group) = self.accounts_group_id().and_then(|g| self.db.group(g)) else {
            return Vec::new();
        };
        group
            .entries()
            .map(|e| StoredAccount {
                user_id: e
                    .get(F_USER_ID)
                    .filter(|id| !id.is_empty())
                    .map(str::to_string),
                user_principal_name: e.get(fields::USERNAME).unwrap_or_default().to_string(),
                // Entries written before accounts were staged were always in force.
                state: match e.get(F_ACCOUNT_STATE) {
                    Some(state) if state == AccountState::Pending.as_str() => AccountState::Pending,
                    _ => AccountState::InForce,
                },
                has_temporary_access_pass: e
                    .get(F_TEMPORARY_ACCESS_PASS)
                    .is_some_and(|p| !p.is_empty()),
            })
            .collect()
    }

    /// An emergency user's password and Temporary Access Pass, by object id, for the person
    /// who signs in with them.
    pub fn account_secrets(&self, user_id: &str) -> Option<(SecretString, Option<SecretString>)> {
        let entry = self.db.entry(self.find_account(user_id)?)?;
        let password = SecretString::from(entry.get(fields::PASSWORD)?.to_string());
        let pass = entry
            .get(F_TEMPORARY_ACCESS_PASS)
            .filter(|p| !p.is_empty())
            .map(|p| SecretString::from(p.to_string()));
        Some((password, pass))
    }

    /// Passwords staged for users that were never confirmed as created: (user name, password).
    pub fn unclaimed_accounts(&self) -> Vec<(String, SecretString)> {
        let Some(group) = self.accounts_group_id().and_then(|g| self.db.group(g)) else {
            return Vec::new();
        };
        group
            .entries()
            .filter(|e| e.get(F_USER_ID).is_none_or(str::is_empty))
            .filter_map(|e| {
                Some((
                    e.get(fields::USERNAME)?.to_string(),
                    SecretString::from(e.get(fields::PASSWORD)?.to_string()),
                ))
            })
            .collect()
    }

    /// The tenant ids the entries were made for (entries of older versions name none).
    pub fn tenant_ids(&self) -> std::collections::BTreeSet<String> {
        [self.group_id(), self.accounts_group_id()]
            .into_iter()
            .flatten()
            .filter_map(|g| self.db.group(g))
            .flat_map(|g| {
                g.entries()
                    .filter_map(|e| e.get(F_TENANT).map(str::to_ascii_lowercase))
                    .filter(|t| !t.is_empty())
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// Forgets a password staged for a user that was never created; `true` when there was one.
    pub fn remove_unclaimed_account(&mut self, user_principal_name: &str) -> bool {
        match self.find_unconfirmed_by_name(user_principal_name) {
            Some(id) => self.db.entry_mut(id).map(|e| e.remove()).is_some(),
            None => false,
        }
    }

    /// Forgets an emergency user's entry; `true` when there was one.
    pub fn remove_account(&mut self, user_id: &str) -> bool {
        match self.find_account(user_id) {
            Some(id) => self.db.entry_mut(id).map(|e| e.remove()).is_some(),
            None => false,
        }
    }

    fn accounts_group_id(&self) -> Option<GroupId> {
        self.db.root().group_by_name(ACCOUNTS_GROUP).map(|g| g.id())
    }

    fn ensure_accounts_group(&mut self) -> GroupId {
        if let Some(id) = self.accounts_group_id() {
            return id;
        }
        let mut root = self.db.root_mut();
        let mut group = root.add_group();
        group.name = ACCOUNTS_GROUP.to_string();
        group.notes = Some(
            "Emergency access user accounts of Microsoft Entra ID, managed by breakglass.".into(),
        );
        group.id()
    }

    fn find_account(&self, user_id: &str) -> Option<EntryId> {
        let group = self.db.group(self.accounts_group_id()?)?;
        group
            .entries()
            .find(|e| {
                e.get(F_USER_ID)
                    .is_some_and(|u| u.eq_ignore_ascii_case(user_id))
            })
            .map(|e| e.id())
    }

    /// An entry staged for a user not yet created: no object id, this user name.
    fn find_unconfirmed_by_name(&self, user_principal_name: &str) -> Option<EntryId> {
        let group = self.db.group(self.accounts_group_id()?)?;
        group
            .entries()
            .find(|e| {
                e.get(F_USER_ID).is_none_or(str::is_empty)
                    && e.get(fields::USERNAME)
                        .is_some_and(|u| u.eq_ignore_ascii_case(user_principal_name))
            })
            .map(|e| e.id())
    }

    fn group_id(&self) -> Option<GroupId> {
        self.db.root().group_by_name(GROUP_NAME).map(|g| g.id())
    }

    fn ensure_group(&mut self) -> GroupId {
        if let Some(id) = self.group_id() {
            return id;
        }
        let mut root = self.db.root_mut();
        let mut group = root.add_group();
        group.name = GROUP_NAME.to_string();
        group.notes = Some(
            "Emergency (break-glass) credentials of Microsoft Entra ID, managed by breakglass."
                .into(),
        );
        group.id()
    }

    fn find(&self, key_id: Uuid, client_and_label: Option<(&str, &str)>) -> Option<EntryId> {
        let group = self.db.group(self.group_id()?)?;
        let key = key_id.to_string();
        let by_key = group
            .entries()
            .find(|e| e.get(F_KEY).is_some_and(|k| k.eq_ignore_ascii_case(&key)))
            .map(|e| e.id());
        by_key.or_else(|| {
            let (client, label) = client_and_label?;
            group
                .entries()
                .find(|e| {
                    e.get(F_CLIENT)
                        .is_some_and(|c| c.eq_ignore_ascii_case(client))
                        && e.get(F_LABEL) == Some(label)
                })
                .map(|e| e.id())
        })
    }
}

fn is_owned_field(name: &str) -> bool {
    matches!(
        name,
        F_TENANT
            | F_CLIENT
            | F_KEY
            | F_LABEL
            | F_KIND
            | F_STARTS
            | F_EXPIRES
            | F_CLOUD
            | F_AUTHORITY
            | F_THUMBPRINT
            | F_PAYLOAD
    )
}

fn naive(t: jiff::Timestamp) -> chrono::NaiveDateTime {
    chrono::DateTime::from_timestamp(t.as_second(), 0)
        .map(|d| d.naive_utc())
        .unwrap_or_default()
}

/// The entry's notes: how to use the credential by hand.
fn usage_notes(c: &StoredCredential) -> String {
    let mut notes = String::new();
    notes.push_str("EMERGENCY ACCESS: this credential grants Global Administrator. Every use raises an alert.\n\n");
    match &c.kind {
        CredentialKind::Secret { .. } => notes.push_str(&format!(
            "Get a token: breakglass token --keepass <this file> --key-id {}\n\
             By hand: POST {}/{}/oauth2/v2.0/token with grant_type=client_credentials, client_id={}, \
             client_secret=<Password>, scope=https://graph.microsoft.com/.default\n",
            c.key_id,
            c.authority_host.trim_end_matches('/'),
            c.tenant_id,
            c.client_id
        )),
        CredentialKind::Certificate(_) => notes.push_str(&format!(
            "Get a token: breakglass token --keepass <this file> --key-id {}\n\
             By hand: save the attachment {}.pem, then e.g. az login --service-principal -u {} --certificate {}.pem --tenant {} --allow-no-subscriptions\n",
            c.key_id, c.label, c.client_id, c.label, c.tenant_id
        )),
    }
    if !c.note.trim().is_empty() {
        notes.push('\n');
        notes.push_str(c.note.trim());
        notes.push('\n');
    }
    notes
}

/// Why the KeePass database could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeePassError {
    /// The database file does not exist.
    #[error("the KeePass database {} does not exist", path.display())]
    NotFound {
        /// The file.
        path: PathBuf,
    },
    /// A new database was asked for but the file exists.
    #[error("{} already exists; it was not changed", path.display())]
    AlreadyExists {
        /// The file.
        path: PathBuf,
    },
    /// The password does not open the database.
    #[error("the KeePass password is wrong for {}", path.display())]
    WrongPassword {
        /// The file.
        path: PathBuf,
    },
    /// The file is not a readable KeePass database.
    #[error("{} is corrupted or not a KeePass database ({detail}); the file was not changed", path.display())]
    Corrupted {
        /// The file.
        path: PathBuf,
        /// What the parser said.
        detail: String,
    },
    /// KDBX 2 or another unsupported format.
    #[error("{} uses a KeePass format this tool cannot read; the file was not changed", path.display())]
    Unsupported {
        /// The file.
        path: PathBuf,
    },
    /// An empty master password for a new database.
    #[error("the KeePass password is empty")]
    EmptyPassword,
    /// The file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Another program changed the file after it was opened.
    #[error("{} was changed by another program after it was opened; nothing was written", path.display())]
    ChangedOnDisk {
        /// The file.
        path: PathBuf,
    },
    /// The credential is not valid.
    #[error("the credential cannot be stored: {0}")]
    Credential(String),
    /// A breakglass entry's payload field is missing or damaged.
    #[error("the KeePass entry for key {key_id} has no readable BreakglassPayload field")]
    EntryDamaged {
        /// The key id.
        key_id: Uuid,
    },
    /// Encoding the database failed.
    #[error("cannot encode the KeePass database: {0}")]
    Encode(String),
    /// Writing failed; the file on disk is unchanged.
    #[error(transparent)]
    Write(WriteFileError),
    /// An entry or group vanished while editing (a bug).
    #[error("internal error while editing the KeePass database")]
    Internal,
}

impl KeePassError {
    /// What to do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            KeePassError::NotFound { .. } => {
                "check the path, or create the database by storing a credential in it"
            }
            KeePassError::AlreadyExists { .. } => {
                "open the existing database instead, or choose another path"
            }
            KeePassError::WrongPassword { .. } => {
                "type the master password again; pass it with a prompt, stdin, a file or BREAKGLASS_KEEPASS_PASSWORD"
            }
            KeePassError::Corrupted { .. } | KeePassError::Unsupported { .. } => {
                "restore the database from a backup, or open it in KeePassXC to check it"
            }
            KeePassError::EmptyPassword => {
                "choose a long master password and keep it apart from the database"
            }
            KeePassError::Read { .. } => "check the path and that you may read the file",
            KeePassError::ChangedOnDisk { .. } => {
                "close other programs using the database, then run the command again"
            }
            KeePassError::Credential(_) => "check the credential's label, tenant id and dates",
            KeePassError::EntryDamaged { .. } => {
                "the entry was edited by hand; remove it and store the credential again, or use the printed sheet"
            }
            KeePassError::Encode(_) | KeePassError::Internal => {
                "report this as a bug in breakglass; the file was not changed"
            }
            KeePassError::Write(e) => e.hint(),
        }
    }
}
