//! breakglass-store: where the emergency credentials of breakglass are kept.
//!
//! * [`StoredCredential`]: one client secret or certificate of the break-glass app, with the ids
//!   and dates needed to use it on the worst day.
//! * [`CredentialPayload`]: a compact, versioned, checksummed text form of a credential
//!   (`BREAKGLASS:V1:…`), carried by QR codes and pasted by hand.
//! * [`KeePassStore`]: a KDBX4 database (Argon2id) with one entry per credential.
//! * [`render_recovery_sheet`]: the printed offline recovery sheet (PDF, A4).
//! * [`shamir`]: k-of-n Shamir shares of a payload, with a custodian sheet per share.
//!
//! Secrets live in [`secrecy`] boxes and are zeroized on drop; nothing here prints, and no
//! `Debug` output reveals a secret. Files are written atomically with mode 0600.
#![forbid(unsafe_code)]
// Functions stay under clippy.toml's too-many-lines-threshold; tests may be longer.
#![cfg_attr(not(test), deny(clippy::too_many_lines))]

mod atomic;
mod credential;
mod encoding;
pub mod keepass;
mod payload;
pub mod qr;
pub mod shamir;
pub mod sheet;

pub use atomic::{Overwrite, WriteFileError, write_secret_file};
pub use credential::{
    CertificateCredential, CredentialError, CredentialKind, KeyFormat, StoredCredential,
};
pub use keepass::{
    AccountState, KeePassEntry, KeePassError, KeePassOptions, KeePassStore, StoredAccount,
    UpsertOutcome,
};
pub use payload::{CredentialPayload, PAYLOAD_PREFIX, PayloadError};
pub use shamir::{ShamirError, ShamirShare, combine, split};
pub use sheet::{SheetOptions, render_recovery_sheet, render_share_sheet};

/// The `secrecy` crate this library uses, so callers build the same `SecretString`.
pub use secrecy;
