//! Why the KeePass database could not be used, and what to do about it.

use std::path::PathBuf;

use uuid::Uuid;

use crate::atomic::WriteFileError;

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
