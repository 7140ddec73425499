//! breakglass-ops: the operations breakglass carries out on a tenant and on the stores of
//! its emergency credentials.
//!
//! Everything here returns [`Error`] (a kind, one line, hints) and reports progress through
//! [`Progress`], never to a terminal, so the CLI, a test or a runner over many tenants can
//! call it alike. The command line (arguments, prompts, rendering, exit codes) stays in
//! `breakglass-cli`.
#![forbid(unsafe_code)]
// Functions stay short (clippy.toml: 100 lines); tests may be longer.
#![cfg_attr(not(test), deny(clippy::too_many_lines))]

pub mod audit;
pub mod cloud;
pub mod contained;
pub mod directory;
pub mod drill;
pub mod emergency;
pub mod error;
pub mod evidence;
pub mod exports;
pub mod lease;
pub mod monitor;
pub mod passkey;
pub mod progress;
pub mod provision;
pub mod random;
pub mod session;
pub mod target;
pub mod temp_admin;
pub mod tenant;
pub mod tenants;
pub mod watch;
pub mod zip_archive;

pub use error::{Error, ErrorKind, config_error, internal_error, usage_error};
pub use progress::{Busy, Progress, Silent};
