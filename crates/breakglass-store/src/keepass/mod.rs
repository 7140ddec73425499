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

mod accounts;
mod credentials;
mod error;

use std::fmt;
use std::path::{Path, PathBuf};

use keepass::config::{
    CompressionConfig, DatabaseConfig, InnerCipherConfig, KdfConfig, OuterCipherConfig,
};
use keepass::error::{DatabaseKeyError, DatabaseOpenError};
use keepass::{Database, DatabaseKey};
use secrecy::{ExposeSecret as _, SecretString};
use sha2::{Digest as _, Sha256};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::atomic::{Overwrite, write_secret_file};

pub use error::KeePassError;

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
}
